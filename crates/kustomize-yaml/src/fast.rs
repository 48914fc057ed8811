//! A fast path for the YAML most manifests are written in: block mappings and sequences
//! (indentless and compact ones too), plain scalars (folded over several lines too),
//! single- and double-quoted scalars (over several lines too, with the common escapes),
//! literal block scalars, flat flow sequences of scalars, `{}`, comments and `---`
//! separators.
//!
//! It produces the events granit-parser would produce for the same text, so the loader
//! (resolution, keys, merges, errors) is shared, and it borrows scalars from the source, so
//! most are never allocated. It works a document at a time: a document with anything else
//! (flow mappings, anchors, tags, folded `>` scalars, odd indentation), or one the loader
//! rejects, goes to granit-parser alone, from the end of the previous document to the next
//! `---` line. Texts with tabs, CRLF or control characters go to granit-parser whole, and so does
//! any text with an error, so that granit-parser words it with the file's lines. Without a final
//! newline only a literal block that ends the text differs (it has no last line break): its
//! document goes to granit-parser. `tests/fast_path.rs` holds the fast path to granit-parser on every
//! YAML file under `../shared` and on generated YAML.

use std::borrow::Cow;

use granit_parser::{Event, Marker, ScalarStyle, Span, StructureStyle};

/// A quoted scalar's value and the text after its closing quote.
type Quoted<'s> = (Cow<'s, str>, &'s str);

/// The fast path cannot (or must not) handle this text.
#[derive(Debug)]
pub(crate) struct Unsupported;

type Step = Result<(), Unsupported>;

/// What the fast path hands on: an event, or the text of a document it declined (from
/// the end of the last document to the next `---` line, which no scalar may contain), for
/// granit-parser.
// Items go straight to the sink, one at a time: their size does not matter.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Item<'s> {
    Event(Event<'s>, Span),
    Declined(&'s str),
}

/// Feeds `src` to `sink` document by document: the events of each document the fast path
/// takes, the text of each it declines. `Err` when the whole text must go to granit-parser: it
/// breaks a rule the fast path checks up front, holds no document, or the sink failed on a
/// declined document (an error, which granit-parser then words for the whole text).
pub(crate) fn parse<'s>(src: &'s str, sink: &mut dyn FnMut(Item<'s>) -> Result<(), ()>) -> Step {
    // Tabs among them: no line the fast path reads holds one.
    if src.bytes().any(|b| b < 0x20 && b != b'\n' || b == 0x7F) {
        return Err(Unsupported);
    }
    // Characters YAML does not allow or reads as breaks: granit-parser decides.
    if !src.is_ascii()
        && src.chars().any(|c| {
            matches!(
                c,
                '\u{80}'
                    ..='\u{9F}' | '\u{2028}' | '\u{2029}' | '\u{FEFF}' | '\u{FFFE}' | '\u{FFFF}'
            )
        })
    {
        return Err(Unsupported);
    }
    // Sized up front: growing it would leave freed copies among the parsed nodes.
    let mut lines = Vec::with_capacity(src.bytes().filter(|&b| b == b'\n').count() + 1);
    lines.extend(src.split_terminator('\n'));
    let mut p = Fast {
        lines,
        at: 0,
        final_newline: src.ends_with('\n'),
        sink,
    };
    p.event(Event::StreamStart)?;
    let mut documents = 0;
    loop {
        let doc_line = p.at;
        p.skip_blank();
        if p.line().is_none() {
            break;
        }
        documents += 1;
        if p.document().is_err() {
            let start = p.offset(src, doc_line);
            p.at = doc_line;
            p.skip_blank();
            if p.line().is_some_and(is_doc_start) {
                p.at += 1;
            }
            while p.line().is_some_and(|l| !is_doc_start(l)) {
                p.at += 1;
            }
            let end = p.offset(src, p.at);
            (p.sink)(Item::Declined(&src[start..end])).map_err(|()| Unsupported)?;
        }
    }
    if documents == 0 {
        return Err(Unsupported);
    }
    p.event(Event::StreamEnd)
}

struct Fast<'s, 'k> {
    lines: Vec<&'s str>,
    /// The current line.
    at: usize,
    /// Whether the last line ends with a line break.
    final_newline: bool,
    sink: &'k mut dyn FnMut(Item<'s>) -> Result<(), ()>,
}

/// `---` alone (or before a comment) on its line.
fn is_doc_start(line: &str) -> bool {
    line.strip_prefix("---")
        .is_some_and(|rest| rest.is_empty() || rest.trim_start_matches(' ').starts_with('#'))
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// Whether a line holds nothing but spaces and perhaps a comment.
fn is_blank(line: &str) -> bool {
    let t = line.trim_start_matches(' ');
    t.is_empty() || t.starts_with('#')
}

/// Text with nothing after it but spaces and perhaps a comment (after a space).
fn is_trailer(rest: &str) -> bool {
    rest.is_empty() || (rest.starts_with(' ') && is_blank(rest))
}

/// A `- ` (or a lone `-`) sequence entry marker at the start of `text`.
fn is_entry(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

impl<'s> Fast<'s, '_> {
    fn line(&self) -> Option<&'s str> {
        self.lines.get(self.at).copied()
    }

    fn event(&mut self, e: Event<'s>) -> Step {
        let line = self.at + 1;
        // Only the line is used (for errors); the span is never empty, which for the
        // parser marks an empty node.
        let span = Span::new(Marker::new(0, line, 0), Marker::new(1, line, 0));
        (self.sink)(Item::Event(e, span)).map_err(|()| Unsupported)
    }

    /// The byte offset of line `i` in `src` (its length past the last line).
    fn offset(&self, src: &str, i: usize) -> usize {
        self.lines
            .get(i)
            .map_or(src.len(), |l| l.as_ptr() as usize - src.as_ptr() as usize)
    }

    /// One document, from its `---` (if any) to the next one or the end.
    fn document(&mut self) -> Step {
        let explicit = self.line().is_some_and(is_doc_start);
        if explicit {
            self.at += 1;
            self.skip_blank();
        }
        // An empty document, `...`, directives: granit-parser decides.
        match self.line() {
            None => return Err(Unsupported),
            Some(l) if is_doc_start(l) || l.starts_with("...") || l.starts_with('%') => {
                return Err(Unsupported)
            }
            Some(l) if indent(l) != 0 => return Err(Unsupported),
            Some(_) => {}
        }
        self.event(Event::DocumentStart(explicit, None))?;
        self.block_node(-1)?;
        self.skip_blank();
        if self.line().is_some_and(|l| !is_doc_start(l)) {
            return Err(Unsupported);
        }
        self.event(Event::DocumentEnd)
    }

    fn scalar(&mut self, text: Cow<'s, str>, style: ScalarStyle) -> Step {
        self.event(Event::Scalar(text, style, 0, None))
    }

    /// Skips lines of spaces and comments (outside block scalars).
    fn skip_blank(&mut self) {
        while self.line().is_some_and(is_blank) {
            self.at += 1;
        }
    }

    /// The indent of the next line with content, if it is not a document marker.
    fn next_content_indent(&mut self) -> Option<usize> {
        self.skip_blank();
        let line = self.line()?;
        if is_doc_start(line) || line.starts_with("...") {
            return None;
        }
        Some(indent(line))
    }

    /// A block node starting on the current line, indented more than `parent`.
    fn block_node(&mut self, parent: isize) -> Step {
        let line = self.line().ok_or(Unsupported)?;
        let n = indent(line);
        if n as isize <= parent {
            return Err(Unsupported);
        }
        let text = &line[n..];
        crate::stack::deeper(|| {
            if is_entry(text) {
                self.sequence(n, false)
            } else {
                self.mapping(n, text)
            }
        })
    }

    /// A block mapping whose keys sit at column `n`; `first` is its first entry's text
    /// (after `- ` for a mapping inside a sequence entry).
    fn mapping(&mut self, n: usize, first: &'s str) -> Step {
        self.event(Event::MappingStart(StructureStyle::Block, 0, None))?;
        let mut entry = first;
        loop {
            let rest = self.key(entry)?;
            self.value(rest, n, true)?;
            match self.next_content_indent() {
                Some(i) if i == n => {
                    let line = self.line().ok_or(Unsupported)?;
                    entry = &line[n..];
                    if is_entry(entry) {
                        return Err(Unsupported);
                    }
                }
                Some(i) if i > n => return Err(Unsupported),
                _ => break,
            }
        }
        self.event(Event::MappingEnd)
    }

    /// A block sequence whose `-` sit at column `n`; `indentless` when it is a mapping
    /// value at its key's column (the sequence ends at the next key).
    fn sequence(&mut self, n: usize, indentless: bool) -> Step {
        self.event(Event::SequenceStart(StructureStyle::Block, 0, None))?;
        loop {
            let line = self.line().ok_or(Unsupported)?;
            let text = &line[n..];
            let item = text.strip_prefix('-').ok_or(Unsupported)?;
            let pad = item.len() - item.trim_start_matches(' ').len();
            let item = &item[pad..];
            if is_blank(item) {
                self.at += 1;
                match self.next_content_indent() {
                    Some(i) if i > n => self.block_node(n as isize)?,
                    _ => self.scalar(Cow::Borrowed(""), ScalarStyle::Plain)?,
                }
            } else if is_entry(item) || item.starts_with("? ") {
                return Err(Unsupported);
            } else if starts_mapping_entry(item) {
                self.mapping(n + 1 + pad, item)?;
            } else {
                self.value(item, n, false)?;
            }
            match self.next_content_indent() {
                Some(i) if i == n => {
                    let next = self.line().ok_or(Unsupported)?;
                    if !is_entry(&next[n..]) {
                        if indentless {
                            break;
                        }
                        return Err(Unsupported);
                    }
                }
                Some(i) if i > n => return Err(Unsupported),
                _ => break,
            }
        }
        self.event(Event::SequenceEnd)
    }

    /// A mapping key at the start of `text`; returns what follows its `:`.
    fn key(&mut self, text: &'s str) -> Result<&'s str, Unsupported> {
        let (key, style, after) = match text.as_bytes().first() {
            Some(b'"') => {
                let (k, after) = double_quoted(text).ok_or(Unsupported)?;
                (k, ScalarStyle::DoubleQuoted, after)
            }
            Some(b'\'') => {
                let (k, after) = single_quoted(text).ok_or(Unsupported)?;
                (k, ScalarStyle::SingleQuoted, after)
            }
            Some(&c) if !is_indicator(c) => {
                let colon = find_value_colon(text).ok_or(Unsupported)?;
                let key = text[..colon].trim_end_matches(' ');
                if key.contains(" #") || key.len() > 1024 {
                    return Err(Unsupported);
                }
                (Cow::Borrowed(key), ScalarStyle::Plain, &text[colon..])
            }
            _ => return Err(Unsupported),
        };
        let after = after.trim_start_matches(' ');
        let rest = after.strip_prefix(':').ok_or(Unsupported)?;
        if !(rest.is_empty() || rest.starts_with(' ')) {
            return Err(Unsupported);
        }
        self.scalar(key, style)?;
        Ok(rest)
    }

    /// The value after a key's `:` (`in_map`) or a sequence entry's `- `; `n` is the
    /// column of the key or the `-`.
    fn value(&mut self, rest: &'s str, n: usize, in_map: bool) -> Step {
        let text = rest.trim_start_matches(' ');
        if is_blank(text) {
            self.at += 1;
            return match self.next_content_indent() {
                Some(i) if i > n => self.block_node(n as isize),
                Some(i) if i == n && in_map && self.line().is_some_and(|l| is_entry(&l[n..])) => {
                    self.sequence(n, true)
                }
                _ => self.scalar(Cow::Borrowed(""), ScalarStyle::Plain),
            };
        }
        let (scalar, style, after): (Cow<'s, str>, _, &str) = match text.as_bytes()[0] {
            b'"' => {
                let (s, after) = self.quoted(text, n, double_quoted, Self::double_quoted_lines)?;
                (s, ScalarStyle::DoubleQuoted, after)
            }
            b'\'' => {
                let (s, after) = self.quoted(text, n, single_quoted, Self::single_quoted_lines)?;
                (s, ScalarStyle::SingleQuoted, after)
            }
            b'|' => return self.literal(&text[1..], n),
            b'{' => {
                // Only `{}`: an empty mapping.
                let after = text[1..].trim_start_matches(' ');
                let after = after.strip_prefix('}').ok_or(Unsupported)?;
                if !is_trailer(after) {
                    return Err(Unsupported);
                }
                self.event(Event::MappingStart(StructureStyle::Block, 0, None))?;
                self.event(Event::MappingEnd)?;
                self.at += 1;
                return self.no_continuation(n);
            }
            b'[' => {
                let (items, after) = flow_sequence(text).ok_or(Unsupported)?;
                if !is_trailer(after) {
                    return Err(Unsupported);
                }
                self.event(Event::SequenceStart(StructureStyle::Block, 0, None))?;
                for (item, style) in items {
                    self.scalar(item, style)?;
                }
                self.event(Event::SequenceEnd)?;
                self.at += 1;
                return self.no_continuation(n);
            }
            _ if !plain_may_start(text) => return Err(Unsupported),
            _ => {
                let end = text.find(" #").unwrap_or(text.len());
                let plain = text[..end].trim_end_matches(' ');
                if plain.contains(": ") || plain.ends_with(':') {
                    return Err(Unsupported);
                }
                // Lines indented past `n` continue the scalar, unless a comment ended it.
                let folded = if end == text.len() {
                    self.plain_continuation(n)?
                } else {
                    None
                };
                let value = match folded {
                    Some((rest, next)) => {
                        self.at = next - 1;
                        Cow::Owned(format!("{plain}{rest}"))
                    }
                    None => Cow::Borrowed(plain),
                };
                (value, ScalarStyle::Plain, "")
            }
        };
        if !is_trailer(after) {
            return Err(Unsupported);
        }
        self.scalar(scalar, style)?;
        self.at += 1;
        self.no_continuation(n)
    }

    /// A quoted scalar starting `text` (the current line from its quote): closed on this
    /// line (`one_line`), else on a later one (`lines`, after which the current line is the
    /// one it closes on). Its value and the text after it.
    fn quoted(
        &mut self,
        text: &'s str,
        n: usize,
        one_line: fn(&'s str) -> Option<Quoted<'s>>,
        lines: impl FnOnce(&Self, &'s str, usize) -> Result<(String, usize, &'s str), Unsupported>,
    ) -> Result<Quoted<'s>, Unsupported> {
        if let Some(closed) = one_line(text) {
            return Ok(closed);
        }
        let (s, last, after) = lines(self, text, n)?;
        self.at = last;
        Ok((Cow::Owned(s), after))
    }

    /// A double-quoted scalar that starts on the current line (`text`) and closes on a
    /// later one, as go-yaml writes long strings: its value, the line it closes on and the
    /// text after it. A line break folds to a space (empty lines to newlines) and the
    /// spaces around it go; a `\` before it removes it. Continuation lines must be
    /// indented past `n`.
    fn double_quoted_lines(
        &self,
        text: &'s str,
        n: usize,
    ) -> Result<(String, usize, &'s str), Unsupported> {
        let mut out = String::new();
        // What escapes wrote may not be trimmed at a line break.
        let mut escaped_to = 0;
        let mut line = self.at;
        let mut rest = &text[1..];
        loop {
            // Up to the first quote or backslash, or the end of the line.
            let stop = rest.find(['"', '\\']).unwrap_or(rest.len());
            out.push_str(&rest[..stop]);
            rest = &rest[stop..];
            match rest.as_bytes().first() {
                Some(b'"') => return Ok((out, line, &rest[1..])),
                Some(_) if rest.len() == 1 => {
                    // An escaped line break: nothing is added.
                    line += 1;
                    rest = self.continuation(line, n)?;
                }
                Some(_) => {
                    let (c, used) = escape(rest).ok_or(Unsupported)?;
                    out.push(c);
                    escaped_to = out.len();
                    rest = &rest[used..];
                }
                None => rest = self.fold_break(&mut out, escaped_to, &mut line, n)?,
            }
        }
    }

    /// A single-quoted scalar over several lines, folded as [`Fast::double_quoted_lines`]
    /// folds (without escapes but `''`).
    fn single_quoted_lines(
        &self,
        text: &'s str,
        n: usize,
    ) -> Result<(String, usize, &'s str), Unsupported> {
        let mut out = String::new();
        let mut line = self.at;
        let mut rest = &text[1..];
        loop {
            let stop = rest.find('\'').unwrap_or(rest.len());
            out.push_str(&rest[..stop]);
            rest = &rest[stop..];
            if rest.starts_with("''") {
                out.push('\'');
                rest = &rest[2..];
                continue;
            }
            if let Some(after) = rest.strip_prefix('\'') {
                return Ok((out, line, after));
            }
            rest = self.fold_break(&mut out, 0, &mut line, n)?;
        }
    }

    /// A line break inside a quoted scalar, after `out` and line `*line`: the spaces
    /// before it go (not those of `out[..keep]`, which escapes wrote), then one space, or
    /// a newline per empty line after it. Returns the next line with text, without its
    /// indentation, and leaves `*line` on it.
    fn fold_break(
        &self,
        out: &mut String,
        keep: usize,
        line: &mut usize,
        n: usize,
    ) -> Result<&'s str, Unsupported> {
        let kept = out.trim_end_matches(' ').len().max(keep);
        out.truncate(kept);
        let mut empty = 0;
        *line += 1;
        while self
            .lines
            .get(*line)
            .is_some_and(|l| l.trim_start_matches(' ').is_empty())
        {
            empty += 1;
            *line += 1;
        }
        if empty == 0 {
            out.push(' ');
        } else {
            out.extend(std::iter::repeat_n('\n', empty));
        }
        self.continuation(*line, n)
    }

    /// Line `i` continuing a quoted scalar, without its indentation.
    fn continuation(&self, i: usize, n: usize) -> Result<&'s str, Unsupported> {
        let line = self.lines.get(i).ok_or(Unsupported)?;
        if indent(line) <= n {
            return Err(Unsupported);
        }
        Ok(line.trim_start_matches(' '))
    }

    /// The continuation lines of a plain scalar whose first line is the current one: the
    /// folded text to append (a space per line break, a newline per empty line) and the
    /// line after the last continuation; `None` when the scalar is one line.
    fn plain_continuation(&self, n: usize) -> Result<Option<(String, usize)>, Unsupported> {
        let mut out = String::new();
        let (mut breaks, mut next, mut found) = (0usize, self.at + 1, None);
        while let Some(line) = self.lines.get(next) {
            let content = line.trim_matches(' ');
            if content.is_empty() {
                breaks += 1;
                next += 1;
                continue;
            }
            if indent(line) <= n {
                break;
            }
            // Indicators only matter where a scalar starts, but a `#` after the
            // indentation starts a comment.
            if content.starts_with('#')
                || content.contains(": ")
                || content.contains(" #")
                || content.ends_with(':')
            {
                return Err(Unsupported);
            }
            if breaks == 0 {
                out.push(' ');
            } else {
                out.extend(std::iter::repeat_n('\n', breaks));
            }
            out.push_str(content);
            breaks = 0;
            next += 1;
            found = Some(next);
        }
        Ok(found.map(|next| (out, next)))
    }

    /// After a one-line scalar: a following line indented past `n` would continue it (or
    /// be an error), which granit-parser decides.
    fn no_continuation(&mut self, n: usize) -> Step {
        let mut at = self.at;
        while let Some(line) = self.lines.get(at) {
            if line.trim_start_matches(' ').is_empty() {
                at += 1;
                continue;
            }
            return if indent(line) > n {
                Err(Unsupported)
            } else {
                Ok(())
            };
        }
        Ok(())
    }

    /// A literal block scalar; `header` follows the `|`, `n` is the parent's column.
    fn literal(&mut self, header: &'s str, n: usize) -> Step {
        let (chomp, after) = match header.as_bytes().first() {
            Some(b'-') => (Chomp::Strip, &header[1..]),
            Some(b'+') => (Chomp::Keep, &header[1..]),
            _ => (Chomp::Clip, header),
        };
        if !is_trailer(after) {
            return Err(Unsupported);
        }
        self.at += 1;
        // The first line with content sets the indentation; the lines before it must be
        // empty and not longer than it.
        let start = self.at;
        let first = (start..self.lines.len())
            .find(|&i| !self.lines[i].trim_start_matches(' ').is_empty())
            .ok_or(Unsupported)?;
        let width = indent(self.lines[first]);
        if width <= n || self.lines[start..first].iter().any(|l| l.len() > width) {
            return Err(Unsupported);
        }
        // The block: every line that is empty or indented at least `width`.
        let mut end = first;
        while let Some(line) = self.lines.get(end) {
            let empty = line.trim_start_matches(' ').is_empty();
            if empty && line.len() > width {
                // Spaces past the indentation on an empty line: granit-parser decides.
                return Err(Unsupported);
            }
            if !empty && indent(line) < width {
                break;
            }
            end += 1;
        }
        let last_content = (start..end)
            .rev()
            .find(|&i| !self.lines[i].trim_start_matches(' ').is_empty())
            .ok_or(Unsupported)?;
        // A block that ends the text without a line break keeps no last break: granit-parser.
        if end == self.lines.len() && !self.final_newline && !matches!(chomp, Chomp::Strip) {
            return Err(Unsupported);
        }
        let mut text = String::new();
        for (k, line) in self.lines[start..=last_content].iter().enumerate() {
            if k > 0 {
                text.push('\n');
            }
            text.push_str(line.get(width..).unwrap_or(""));
        }
        match chomp {
            Chomp::Strip => {}
            Chomp::Clip => text.push('\n'),
            Chomp::Keep => {
                text.extend(std::iter::repeat_n('\n', 1 + (end - 1 - last_content)));
            }
        }
        self.at = end;
        // What follows must belong to an outer node.
        if let Some(line) = self.line() {
            if indent(line) > n && !is_blank(line) {
                return Err(Unsupported);
            }
        }
        self.scalar(Cow::Owned(text), ScalarStyle::Literal)
    }
}

#[derive(Clone, Copy)]
enum Chomp {
    Strip,
    Clip,
    Keep,
}

/// Characters that may not start a plain scalar here.
fn is_indicator(c: u8) -> bool {
    matches!(
        c,
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
            | b' '
    )
}

/// Whether a plain scalar may start `text`: not an indicator, except `-`, `?` and `:`
/// before a character that is not a space (`--flag`, `-1`).
fn plain_may_start(text: &str) -> bool {
    let b = text.as_bytes();
    match b.first() {
        Some(b'-' | b'?' | b':') => b.get(1).is_some_and(|&c| c != b' '),
        Some(&c) => !is_indicator(c),
        None => false,
    }
}

/// Where a plain key ends: the first `:` followed by a space or the end of the line.
fn find_value_colon(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    (0..b.len()).find(|&i| b[i] == b':' && (i + 1 == b.len() || b[i + 1] == b' '))
}

/// Whether a sequence entry's text starts a mapping (`key: ...` or a quoted key).
fn starts_mapping_entry(text: &str) -> bool {
    match text.as_bytes().first() {
        Some(b'"') => double_quoted(text)
            .is_some_and(|(_, after)| after.trim_start_matches(' ').starts_with(':')),
        Some(b'\'') => single_quoted(text)
            .is_some_and(|(_, after)| after.trim_start_matches(' ').starts_with(':')),
        Some(&c) if !is_indicator(c) => {
            let end = text.find(" #").unwrap_or(text.len());
            find_value_colon(&text[..end]).is_some()
        }
        _ => false,
    }
}

/// A scalar of a flow sequence and its style.
type FlowItem<'s> = (Cow<'s, str>, ScalarStyle);

/// The escape at the start of `rest` (a backslash and what follows): the character and
/// the bytes it takes. Escapes other than the common ones are left to granit-parser.
fn escape(rest: &str) -> Option<(char, usize)> {
    Some(match rest.as_bytes().get(1)? {
        b'"' => ('"', 2),
        b'\\' => ('\\', 2),
        b'n' => ('\n', 2),
        b't' => ('\t', 2),
        b'0' => ('\0', 2),
        b' ' => (' ', 2),
        b'u' => {
            let hex = rest.get(2..6)?;
            if !hex.bytes().all(|h| h.is_ascii_hexdigit()) {
                return None;
            }
            (char::from_u32(u32::from_str_radix(hex, 16).ok()?)?, 6)
        }
        _ => return None,
    })
}

/// A flow sequence of scalars closed on its line (`[a, "b", 'c']`): its items and the text
/// after it. Nested collections, empty entries and odd plain scalars are left to granit-parser.
fn flow_sequence(text: &str) -> Option<(Vec<FlowItem<'_>>, &str)> {
    let mut items = Vec::new();
    let mut rest = text[1..].trim_start_matches(' ');
    if let Some(after) = rest.strip_prefix(']') {
        return Some((items, after));
    }
    loop {
        let (item, style, after) = match rest.as_bytes().first()? {
            b'"' => {
                let (s, after) = double_quoted(rest)?;
                (s, ScalarStyle::DoubleQuoted, after)
            }
            b'\'' => {
                let (s, after) = single_quoted(rest)?;
                (s, ScalarStyle::SingleQuoted, after)
            }
            _ => {
                let end = rest.find([',', ']'])?;
                let plain = rest[..end].trim_end_matches(' ');
                if plain.is_empty()
                    || !plain_may_start(plain)
                    || plain.contains([':', '#', '[', ']', '{', '}'])
                {
                    return None;
                }
                (Cow::Borrowed(plain), ScalarStyle::Plain, &rest[end..])
            }
        };
        items.push((item, style));
        let after = after.trim_start_matches(' ');
        if let Some(after) = after.strip_prefix(']') {
            return Some((items, after));
        }
        rest = after.strip_prefix(',')?.trim_start_matches(' ');
        if rest.starts_with(']') {
            return None;
        }
    }
}

/// A single-quoted scalar closed on its line: its value and the text after it.
fn single_quoted(text: &str) -> Option<Quoted<'_>> {
    let body = &text[1..];
    let mut owned: Option<String> = None;
    let mut i = 0;
    let b = body.as_bytes();
    loop {
        let q = i + body[i..].find('\'')?;
        if b.get(q + 1) == Some(&b'\'') {
            owned.get_or_insert_with(String::new).push_str(&body[i..=q]);
            i = q + 2;
            continue;
        }
        let value = match owned {
            Some(mut s) => {
                s.push_str(&body[i..q]);
                Cow::Owned(s)
            }
            None => Cow::Borrowed(&body[..q]),
        };
        return Some((value, &body[q + 1..]));
    }
}

/// A double-quoted scalar closed on its line, with the common escapes: its value and the
/// text after it. Other escapes are left to granit-parser.
fn double_quoted(text: &str) -> Option<Quoted<'_>> {
    let body = &text[1..];
    let end = body.find(['"', '\\'])?;
    if body.as_bytes()[end] == b'"' {
        return Some((Cow::Borrowed(&body[..end]), &body[end + 1..]));
    }
    let mut out = String::from(&body[..end]);
    let mut rest = &body[end..];
    loop {
        let c = rest.as_bytes()[0];
        if c == b'"' {
            return Some((Cow::Owned(out), &rest[1..]));
        }
        let (ch, used) = escape(rest)?;
        out.push(ch);
        rest = &rest[used..];
        let next = rest.find(['"', '\\'])?;
        out.push_str(&rest[..next]);
        rest = &rest[next..];
    }
}

#[cfg(test)]
mod tests {
    use crate::parse::{parse_fast, parse_full};
    use crate::Schema;

    /// The fast path takes all of `src` and reads it as granit-parser does.
    fn same(src: &str) {
        for schema in [Schema::Kyaml, Schema::Yaml11] {
            let (fast, taken) = parse_fast(src, schema).expect("no document declined");
            let full = parse_full(src, schema).expect("granit-parser parses");
            assert_eq!(taken, full.len(), "not all taken: {src:?}");
            assert_eq!(format!("{fast:?}"), format!("{full:?}"), "for {src:?}");
        }
    }

    fn declined(src: &str) {
        let taken = parse_fast(src, Schema::Kyaml).map_or(0, |(_, n)| n);
        assert_eq!(taken, 0, "taken: {src:?}");
    }

    /// A document the fast path declines goes to granit-parser alone; the ones around it do not.
    #[test]
    fn declines_document_by_document() {
        let src = "a: 1\n---\nb: &x 2\nc: *x\n---\nd: 3\n";
        let (docs, taken) = parse_fast(src, Schema::Kyaml).expect("taken");
        assert_eq!((docs.len(), taken), (3, 2));
        assert_eq!(
            format!("{docs:?}"),
            format!("{:?}", parse_full(src, Schema::Kyaml).unwrap())
        );
        // An error in a declined document is granit's, on the whole text.
        let bad = "a: 1\n---\nb: [\n---\nd: 3\n";
        assert!(parse_fast(bad, Schema::Kyaml).is_none());
        assert_eq!(
            crate::parse_documents(bad, Schema::Kyaml)
                .unwrap_err()
                .to_string(),
            parse_full(bad, Schema::Kyaml).unwrap_err().to_string()
        );
    }

    #[test]
    fn common_shapes() {
        same("a: b\nc: 1\nd:\ne: true # c\n");
        same("# head\n---\na: b\n---\nc: d\n");
        same("a:\n  b:\n    c: 'x''y'\n  d: \"q\\\"\\n\\u00e9\"\n");
        same("a:\n- x\n- y: 1\n  z: 2\n-\n  w: 3\nb: []\nc: {}\n");
        same("- a\n- --flag=x\n- -1\n- :x\n- 'k': v\n");
        same("a:\n  - b\n  -   c: d\n      e: f\n");
        same("\"quoted key\": 1\n'other': 2\nhttp://x: 3\nk : v\n");
        same("a: x y  z   \nb: x#y\n");
        same("a: [x, \"y\", 'z', --q=1]\nb: [ ]\nc: { }\nd: []\n");
        same("- [a]\n- b: [\"$(X)\", \"*\"]\n");
    }

    #[test]
    fn multi_line_double_quoted() {
        same("a: \"one two\n  three\"\nb: 1\n");
        same("a: \"one \\\n  two\\\n  \\ three\"\nb: 1\n");
        same("a: \"one\n\n  two   \n\n\n  three\" # c\nb: 1\n");
        same("a: \"one\\ \n  two\"\n");
        same("a: 'one: two\n  three''s   \n\n  four'\nb: 1\n");
        same("- \"x\n  y\"\n- k: \"p\n    q\\n\\u00e9\"\n");
    }

    #[test]
    fn folded_plain_scalars() {
        same("a: one\n  two\n   three\nb: 1\n");
        same("a: one\n\n  two\n\n\n  three\n\nb: 1\n");
        same("- one\n  two\n- x: one\n    two\n  y: 2\n");
        same("a:\n  b: long text that\n    wraps. More info:none\n");
        same("a: one\n  `two` 'three' {four} [five] - six *seven &eight !nine\n");
    }

    #[test]
    fn literal_blocks() {
        same("a: |\n  x\n  y\nb: 1\n");
        same("a: |-\n  x\n\n  y\n\n\nb: 1\n");
        same("a: |+\n  x\n\n\nb: 1\n");
        same("a: |\n\n  x\n    indented\n  # not a comment\nb: |\n  last\n");
        same("- |\n  in a list\n- |+\n  kept\n\n");
        same("a: |\n\n  \n  x\n");
    }

    /// Without a final line break only a literal block that ends the text reads
    /// differently (see `declines_what_the_full_parser_should_decide`).
    #[test]
    fn no_final_newline() {
        same("a: b");
        same("a: b # c");
        same("a:\n- \"x\"\n- [y]");
        same("a: |-\n  x");
        same("a: |\n  x\nb: c");
        same("a: b\n---\nc: d");
    }

    #[test]
    fn declines_what_the_full_parser_should_decide() {
        declined("a: &x 1\nb: *x\n");
        declined("a: !!str 1\n");
        declined("a: [1, [2]]\n");
        declined("a: [1, 2,]\n");
        declined("a: [a: b]\n");
        declined("a: b\n  # comment\n  c\n");
        declined("a: b # comment\n  c\n");
        declined("a: >\n  folded\n");
        declined("a: \"open\nquote\"\n");
        declined("a: b: c\n");
        declined("a:\tb\n");
        declined("a: b\r\n");
        declined("a: |\n  x");
        declined("a: |+\n  x\n  ");
        declined("---\n");
        declined("a: |2\n   x\n");
        declined("- a: |\n   \n  a\n");
        declined("a: 1\n b: 2\n");
        declined("? a\n: b\n");
        declined("a: \"\\/\"\n");
        declined("a: '\u{85}'\n");
    }
}
