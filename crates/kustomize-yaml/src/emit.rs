//! The emitter: prints a [`Value`] exactly as upstream kustomize prints a resource.
//!
//! Upstream serialises each resource with `json.Marshal` and converts the JSON with
//! sigs.k8s.io/yaml `JSONToYAML`, i.e. go-yaml v2 `Unmarshal` + `Marshal` (a port of libyaml's
//! emitter). The rules reproduced here:
//! * keys sorted by go-yaml v2's `keyList.Less` ([`key_less`]);
//! * block style, indent 2, sequences not indented under their key, empty collections as
//!   `{}` / `[]`;
//! * strings plain unless they would resolve to a non-string under YAML 1.1 (then double
//!   quoted), literal (`|`) when they contain `\n`, then demoted by libyaml's
//!   `analyze_scalar` (plain -> single quoted -> double quoted);
//! * plain and quoted scalars fold at column 80, keys longer than 128 bytes use `? `;
//! * numbers as they come back from JSON (see [`crate::resolve::float_output_text`]).

use crate::resolve::{float_output_text, go_nonfinite_name, v2_plain_is_string};
use crate::{Error, Key, Value};

/// libyaml's `best_width`.
const BEST_WIDTH: usize = 80;
/// libyaml's `best_indent`.
const BEST_INDENT: isize = 2;
/// Longest key (in bytes) libyaml writes as a simple key.
const MAX_SIMPLE_KEY_LEN: usize = 128;

/// Appends one document to `out`, exactly as upstream prints it (always ending in `\n`).
pub fn emit_document(v: &Value, out: &mut String) -> Result<(), Error> {
    let mut e = Emitter {
        out,
        column: 0,
        indent: -1,
        indents: Vec::new(),
        whitespace: true,
        indention: true,
    };
    e.node(v, Ctx::ROOT)?;
    // DOCUMENT-END: a final line break unless already at the start of a line.
    e.write_indent();
    Ok(())
}

/// All documents joined by `---\n`.
pub fn emit_documents(docs: &[Value]) -> Result<String, Error> {
    let mut out = String::new();
    for (i, d) in docs.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        emit_document(d, &mut out)?;
    }
    Ok(out)
}

/// go-yaml v2's `keyList.Less` for string keys: letters sort after non-letters and among
/// themselves by code point; runs of digits compare by numeric value.
pub fn key_less(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        natural_less(
            a.as_bytes(),
            b.as_bytes(),
            |c| c.is_ascii_alphabetic(),
            |c| c.is_ascii_digit(),
            |c| i64::from(c) - i64::from(b'0'),
        )
    } else {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        // Go's unicode.IsLetter / IsDigit; `is_alphabetic` is a close stand-in for the first,
        // non-ASCII decimal digits are treated as non-digits.
        natural_less(
            &a,
            &b,
            |c| c.is_alphabetic(),
            |c| c.is_ascii_digit(),
            |c| i64::from(u32::from(c)) - i64::from(b'0'),
        )
    }
}

fn natural_less<T: Copy + Eq + Ord>(
    a: &[T],
    b: &[T],
    is_letter: impl Fn(T) -> bool,
    is_digit: impl Fn(T) -> bool,
    digit_value: impl Fn(T) -> i64,
) -> bool {
    let n = a.len().min(b.len());
    let Some(i) = (0..n).find(|&i| a[i] != b[i]) else {
        return a.len() < b.len();
    };
    let (al, bl) = (is_letter(a[i]), is_letter(b[i]));
    if al && bl {
        return a[i] < b[i];
    }
    if al || bl {
        return bl;
    }
    let zero = |c: T| is_digit(c) && digit_value(c) == 0;
    let (mut an, mut bn) = (0i64, 0i64);
    if zero(a[i]) || zero(b[i]) {
        // A zero continuing a number with a non-zero digit before it is significant.
        let mut j = i;
        while j > 0 && is_digit(a[j - 1]) {
            j -= 1;
            if !zero(a[j]) {
                an = 1;
                bn = 1;
                break;
            }
        }
    }
    let mut ai = i;
    while ai < a.len() && is_digit(a[ai]) {
        an = an.wrapping_mul(10).wrapping_add(digit_value(a[ai]));
        ai += 1;
    }
    let mut bi = i;
    while bi < b.len() && is_digit(b[bi]) {
        bn = bn.wrapping_mul(10).wrapping_add(digit_value(b[bi]));
        bi += 1;
    }
    if an != bn {
        return an < bn;
    }
    if ai != bi {
        return ai < bi;
    }
    a[i] < b[i]
}

/// Sorts map entries by [`key_less`]. A merge sort that only asks `less` (go-yaml's order
/// need not be a total order for odd keys, which `slice::sort_by` may panic on).
fn sort_entries<'v>(entries: &mut Vec<(&'v Key, &'v Value)>) {
    let less = |a: &(&Key, &Value), b: &(&Key, &Value)| key_less(a.0, b.0);
    let mut src = std::mem::take(entries);
    let mut buf = Vec::with_capacity(src.len());
    let mut width = 1;
    while width < src.len() {
        buf.clear();
        for start in (0..src.len()).step_by(2 * width) {
            let mid = (start + width).min(src.len());
            let end = (start + 2 * width).min(src.len());
            let (mut i, mut j) = (start, mid);
            while i < mid && j < end {
                if less(&src[j], &src[i]) {
                    buf.push(src[j]);
                    j += 1;
                } else {
                    buf.push(src[i]);
                    i += 1;
                }
            }
            buf.extend_from_slice(&src[i..mid]);
            buf.extend_from_slice(&src[j..end]);
        }
        std::mem::swap(&mut src, &mut buf);
        width *= 2;
    }
    *entries = src;
}

/// Mappings up to this size are sorted by insertion, as positions in an array on the stack.
const SMALL_MAP: usize = 16;

/// A stable insertion sort that only asks `less`.
fn insertion_sort<T>(items: &mut [T], less: impl Fn(&T, &T) -> bool) {
    for i in 1..items.len() {
        let mut j = i;
        while j > 0 && less(&items[j], &items[j - 1]) {
            items.swap(j, j - 1);
            j -= 1;
        }
    }
}

/// The node context libyaml tracks (`mapping_context`, `simple_key_context`).
#[derive(Clone, Copy)]
struct Ctx {
    mapping: bool,
    simple_key: bool,
}

impl Ctx {
    const ROOT: Ctx = Ctx {
        mapping: false,
        simple_key: false,
    };
    const SEQ_ITEM: Ctx = Ctx {
        mapping: false,
        simple_key: false,
    };
    const MAP_VALUE: Ctx = Ctx {
        mapping: true,
        simple_key: false,
    };
    const SIMPLE_KEY: Ctx = Ctx {
        mapping: true,
        simple_key: true,
    };
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
}

/// libyaml's `analyze_scalar` verdict.
#[derive(Debug, PartialEq)]
struct Analysis {
    multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

/// Whether a string in a block mapping's value prints as a plain scalar (not quoted, not
/// a block): how a document rebuilt from JSON (after a JSON patch) styles its strings.
pub fn prints_plain(s: &str) -> bool {
    !s.is_empty() && !s.contains('\n') && v2_plain_is_string(s) && analyze(s).block_plain_allowed
}

/// libyaml's printable set (`is_printable`): tab, CR, DEL, C1 controls, BOM, U+FFFE/F and
/// everything beyond the BMP are not printable.
pub(crate) fn is_printable(c: char) -> bool {
    matches!(c, '\n' | ' '..='~' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
        && c != '\u{FEFF}'
}

/// libyaml's `is_break`.
pub(crate) fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// libyaml's `is_blankz` (blank, break or NUL).
fn is_blankz(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\0') || is_break(c)
}

fn analyze(value: &str) -> Analysis {
    if value.is_empty() {
        return Analysis {
            multiline: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    if value.is_ascii() {
        return analyze_ascii(value.as_bytes());
    }
    analyze_chars(value)
}

/// [`analyze`] for any text, a character at a time.
fn analyze_chars(value: &str) -> Analysis {
    let bytes = value.as_bytes();
    let mut f = Flags {
        block_indicators: value.starts_with("---") || value.starts_with("..."),
        ..Flags::default()
    };
    let mut preceded_by_whitespace = true;
    let mut previous = Blank::Other;

    for (i, c) in value.char_indices() {
        let end = i + c.len_utf8();
        let followed_by_whitespace = end >= bytes.len() || matches!(bytes[end], b' ' | b'\t');
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => f.block_indicators = true,
                '?' | ':' | '-' if followed_by_whitespace => f.block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_whitespace => f.block_indicators = true,
                '#' if preceded_by_whitespace => f.block_indicators = true,
                _ => {}
            }
        }
        if !is_printable(c) {
            f.special_characters = true;
        }
        let kind = if c == ' ' {
            Blank::Space
        } else if is_break(c) {
            Blank::Break
        } else {
            Blank::Other
        };
        f.note(kind, i == 0, end == bytes.len(), &mut previous);
        preceded_by_whitespace = is_blankz(c);
    }
    verdict(f)
}

/// [`analyze`] for ASCII text, a byte at a time: the same rules, without decoding UTF-8
/// (long descriptions in CRDs made the character walk a quarter of a build).
fn analyze_ascii(bytes: &[u8]) -> Analysis {
    let n = bytes.len();
    let ws_at = |j: usize| j >= n || matches!(bytes[j], b' ' | b'\t');
    let mut f = Flags {
        block_indicators: bytes.starts_with(b"---") || bytes.starts_with(b"..."),
        ..Flags::default()
    };
    match bytes[0] {
        b'#' | b',' | b'[' | b']' | b'{' | b'}' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\''
        | b'"' | b'%' | b'@' | b'`' => f.block_indicators = true,
        b'?' | b':' | b'-' if ws_at(1) => f.block_indicators = true,
        _ => {}
    }
    let mut preceded_by_whitespace = true;
    let mut previous = Blank::Other;
    let mut i = 0;
    while i < n {
        let c = bytes[i];
        if ORDINARY[usize::from(c)] {
            // A run of printable characters that change nothing but the state below.
            i += 1;
            while i < n && ORDINARY[usize::from(bytes[i])] {
                i += 1;
            }
            previous = Blank::Other;
            preceded_by_whitespace = false;
            continue;
        }
        match c {
            b':' if i > 0 && ws_at(i + 1) => f.block_indicators = true,
            b'#' if i > 0 && preceded_by_whitespace => f.block_indicators = true,
            _ => {}
        }
        if !(c == b'\n' || (b' '..=b'~').contains(&c)) {
            f.special_characters = true;
        }
        let kind = match c {
            b' ' => Blank::Space,
            b'\r' | b'\n' => Blank::Break,
            _ => Blank::Other,
        };
        f.note(kind, i == 0, i + 1 == n, &mut previous);
        preceded_by_whitespace = matches!(c, b' ' | b'\t' | b'\0' | b'\r' | b'\n');
        i += 1;
    }
    verdict(f)
}

/// Bytes [`analyze_ascii`] can skip: printable, not a space, `:` or `#`.
static ORDINARY: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0x21;
    while c <= 0x7E {
        table[c] = c != b':' as usize && c != b'#' as usize;
        c += 1;
    }
    table
};

/// What `analyze_scalar` found while walking a value.
#[derive(Default)]
struct Flags {
    line_breaks: bool,
    special_characters: bool,
    block_indicators: bool,
    leading_space: bool,
    leading_break: bool,
    trailing_space: bool,
    trailing_break: bool,
    break_space: bool,
    space_break: bool,
}

/// What a character is to the space and break rules of `analyze_scalar`.
#[derive(Clone, Copy, PartialEq)]
enum Blank {
    Space,
    Break,
    Other,
}

impl Flags {
    /// Records a character of kind `kind` (first or last of the value?) after `previous`.
    fn note(&mut self, kind: Blank, first: bool, last: bool, previous: &mut Blank) {
        match kind {
            Blank::Space => {
                self.leading_space |= first;
                self.trailing_space |= last;
                self.break_space |= *previous == Blank::Break;
            }
            Blank::Break => {
                self.line_breaks = true;
                self.leading_break |= first;
                self.trailing_break |= last;
                self.space_break |= *previous == Blank::Space;
            }
            Blank::Other => {}
        }
        *previous = kind;
    }
}

/// libyaml's styles allowed by what [`Flags`] found.
fn verdict(f: Flags) -> Analysis {
    let Flags {
        line_breaks,
        special_characters,
        block_indicators,
        leading_space,
        leading_break,
        trailing_space,
        trailing_break,
        break_space,
        space_break,
    } = f;
    let mut a = Analysis {
        multiline: line_breaks,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special_characters {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
        a.block_allowed = false;
    }
    if line_breaks || block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

/// Characters go-yaml v2's reader refuses when it reads upstream's JSON back (JSON escapes
/// every other control character).
fn is_rejected_by_reader(c: char) -> bool {
    matches!(c, '\u{7F}'..='\u{84}' | '\u{86}'..='\u{9F}' | '\u{FFFE}' | '\u{FFFF}')
}

/// A raw NEL (U+0085) survives `json.Marshal` unescaped and go-yaml v2 then reads it as a line
/// break inside the double-quoted JSON string: YAML line folding applies to it and to the
/// spaces around it (one break becomes a space, `n` breaks `n-1` newlines).
fn fold_nel(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    loop {
        // Non-blank characters.
        while let Some(&c) = chars.peek() {
            if c == ' ' || c == '\u{85}' {
                break;
            }
            out.push(c);
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        // Blanks and breaks.
        let mut whitespace = 0usize;
        let mut leading_blanks = false;
        let mut trailing_breaks = 0usize;
        while let Some(&c) = chars.peek() {
            match c {
                ' ' => {
                    if !leading_blanks {
                        whitespace += 1;
                    }
                }
                '\u{85}' => {
                    if leading_blanks {
                        trailing_breaks += 1;
                    } else {
                        whitespace = 0;
                        leading_blanks = true;
                    }
                }
                _ => break,
            }
            chars.next();
        }
        if leading_blanks {
            if trailing_breaks == 0 {
                out.push(' ');
            } else {
                out.extend(std::iter::repeat_n('\n', trailing_breaks));
            }
        } else {
            out.extend(std::iter::repeat_n(' ', whitespace));
        }
    }
    out
}

struct Emitter<'a> {
    out: &'a mut String,
    /// Characters written on the current line.
    column: usize,
    indent: isize,
    indents: Vec<isize>,
    /// The last character written was whitespace (or nothing yet on the line).
    whitespace: bool,
    /// Only indentation written on the current line so far.
    indention: bool,
}

impl Emitter<'_> {
    fn node(&mut self, v: &Value, ctx: Ctx) -> Result<(), Error> {
        match v {
            Value::Null | Value::Blank => self.simple_scalar("null"),
            Value::Bool(true) => self.simple_scalar("true"),
            Value::Bool(false) => self.simple_scalar("false"),
            Value::Int(i) => self.simple_scalar(itoa::Buffer::new().format(*i)),
            Value::UInt(u) => self.simple_scalar(itoa::Buffer::new().format(*u)),
            Value::Float(f) => match float_output_text(*f) {
                Some(s) => self.simple_scalar(&s),
                None => {
                    return Err(Error::Emit(format!(
                        "json: unsupported value: {}",
                        go_nonfinite_name(*f)
                    )))
                }
            },
            Value::String(s) => self.string(s, ctx)?,
            Value::Plain(_) => return self.node(&v.resolved(), ctx),
            Value::Seq(items) if items.is_empty() => self.empty_flow("[]"),
            Value::Map(m) if m.is_empty() => self.empty_flow("{}"),
            _ => return crate::stack::deeper(|| self.collection(v, ctx)),
        }
        Ok(())
    }

    /// A non-empty sequence or mapping, in block style.
    fn collection(&mut self, v: &Value, ctx: Ctx) -> Result<(), Error> {
        match v {
            Value::Seq(items) => {
                // Sequences directly under a key are not indented.
                let indentless = ctx.mapping && !self.indention;
                self.increase_indent(false, indentless);
                for item in items {
                    self.write_indent();
                    self.write_indicator("-", true, false, true);
                    self.node(item, Ctx::SEQ_ITEM)?;
                }
                self.pop_indent();
            }
            Value::Map(m) if m.len() <= SMALL_MAP => {
                // Most mappings: sorted without allocating.
                self.increase_indent(false, false);
                let mut order = [0u8; SMALL_MAP];
                let order = &mut order[..m.len()];
                (0..).zip(order.iter_mut()).for_each(|(i, slot)| *slot = i);
                let key = |i: u8| m.get_index(usize::from(i)).map_or("", |(k, _)| k.as_str());
                insertion_sort(order, |&a, &b| key_less(key(a), key(b)));
                for &i in order.iter() {
                    if let Some((k, v)) = m.get_index(usize::from(i)) {
                        self.entry(k, v)?;
                    }
                }
                self.pop_indent();
            }
            Value::Map(m) => {
                self.increase_indent(false, false);
                let mut entries: Vec<(&Key, &Value)> = m.iter().collect();
                sort_entries(&mut entries);
                for (k, v) in entries {
                    self.entry(k, v)?;
                }
                self.pop_indent();
            }
            _ => self.node(v, ctx)?,
        }
        Ok(())
    }

    /// One mapping entry: the key, then its value.
    fn entry(&mut self, k: &str, v: &Value) -> Result<(), Error> {
        self.write_indent();
        if k.contains('\u{85}') {
            // The raw NEL in the JSON key is a line break inside an implicit key.
            return Err(Error::Emit(
                "yaml: did not find expected ',' or '}' (U+0085 in a key)".into(),
            ));
        }
        let simple = k.len() <= MAX_SIMPLE_KEY_LEN && !k.contains(is_break);
        if simple {
            self.string(k, Ctx::SIMPLE_KEY)?;
            self.write_indicator(":", false, false, false);
        } else {
            self.write_indicator("?", true, false, true);
            self.string(k, Ctx::MAP_VALUE)?;
            self.write_indent();
            self.write_indicator(":", true, false, true);
        }
        self.node(v, Ctx::MAP_VALUE)
    }

    fn empty_flow(&mut self, text: &str) {
        self.write_indicator(&text[..1], true, true, false);
        self.write_indicator(&text[1..], false, false, false);
    }

    /// A plain scalar with no spaces, breaks or indicators (null, booleans, numbers).
    fn simple_scalar(&mut self, text: &str) {
        if !self.whitespace {
            self.put(' ');
        }
        self.out.push_str(text);
        self.column += text.len();
        self.whitespace = false;
        self.indention = false;
    }

    fn string(&mut self, s: &str, ctx: Ctx) -> Result<(), Error> {
        let ascii = s.is_ascii();
        let rejected = if ascii {
            s.as_bytes().contains(&0x7F)
        } else {
            s.contains(is_rejected_by_reader)
        };
        if rejected {
            return Err(Error::Emit(
                "yaml: control characters are not allowed".into(),
            ));
        }
        let folded;
        let s = if !ascii && s.contains('\u{85}') {
            // A raw NEL starts a new line of the JSON text: `---` or `...` there is a
            // document marker to go-yaml.
            let marker = |m: &str| {
                s.match_indices(m).any(|(i, _)| {
                    s[..i].ends_with('\u{85}')
                        && s[i + 3..]
                            .chars()
                            .next()
                            .is_some_and(|c| c == ' ' || c == '\u{85}')
                })
            };
            if marker("---") || marker("...") {
                return Err(Error::Emit(
                    "yaml: found unexpected document indicator".into(),
                ));
            }
            folded = fold_nel(s);
            folded.as_str()
        } else {
            s
        };
        // go-yaml v2 encoder's choice...
        let requested = if s.contains('\n') {
            Style::Literal
        } else if v2_plain_is_string(s) {
            Style::Plain
        } else {
            Style::DoubleQuoted
        };
        // ...then libyaml's `select_scalar_style`.
        let a = analyze(s);
        let mut style = requested;
        if ctx.simple_key && a.multiline {
            style = Style::DoubleQuoted;
        }
        if style == Style::Plain && (!a.block_plain_allowed || (s.is_empty() && ctx.simple_key)) {
            style = Style::SingleQuoted;
        }
        if style == Style::SingleQuoted && !a.single_quoted_allowed {
            style = Style::DoubleQuoted;
        }
        if style == Style::Literal && (!a.block_allowed || ctx.simple_key) {
            style = Style::DoubleQuoted;
        }
        self.increase_indent(true, false);
        let allow_breaks = !ctx.simple_key;
        match style {
            Style::Plain => self.write_plain(s, allow_breaks),
            Style::SingleQuoted => self.write_single_quoted(s, allow_breaks),
            Style::DoubleQuoted => self.write_double_quoted(s, allow_breaks),
            Style::Literal => self.write_literal(s),
        }
        self.pop_indent();
        Ok(())
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = if flow { BEST_INDENT } else { 0 };
        } else if !indentless {
            self.indent += BEST_INDENT;
        }
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().expect("balanced indents");
    }

    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    /// Text without breaks, copied as it is.
    fn push_run(&mut self, text: &str) {
        self.out.push_str(text);
        self.column += text.chars().count();
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    /// libyaml `write_break`: `\n` is a line break, other break characters are copied.
    fn write_break(&mut self, c: char) {
        if c == '\n' {
            self.put_break();
        } else {
            self.out.push(c);
            self.column = 0;
        }
    }

    fn write_indent(&mut self) {
        let indent = self.indent.max(0) as usize;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn write_indicator(
        &mut self,
        indicator: &str,
        need_whitespace: bool,
        is_whitespace: bool,
        is_indention: bool,
    ) {
        if need_whitespace && !self.whitespace {
            self.put(' ');
        }
        self.out.push_str(indicator);
        self.column += indicator.chars().count();
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }

    fn write_plain(&mut self, value: &str, allow_breaks: bool) {
        if !self.whitespace {
            self.put(' ');
        }
        if !allow_breaks || self.column + value.len() <= BEST_WIDTH || !value.contains(' ') {
            // Fast path: no folding possible.
            self.out.push_str(value);
            self.column += value.chars().count();
        } else {
            // Word by word; a space may become a line break once past the width. Plain
            // scalars never hold breaks (analyze_scalar forbids them).
            let mut spaces = false;
            let mut rest = value;
            while !rest.is_empty() {
                let word_end = rest.find(' ').unwrap_or(rest.len());
                if word_end > 0 {
                    self.push_run(&rest[..word_end]);
                    self.indention = false;
                    spaces = false;
                    rest = &rest[word_end..];
                    continue;
                }
                let next_is_space = rest.as_bytes().get(1) == Some(&b' ');
                if !spaces && self.column > BEST_WIDTH && !next_is_space {
                    self.write_indent();
                } else {
                    self.put(' ');
                }
                spaces = true;
                rest = &rest[1..];
            }
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn write_single_quoted(&mut self, value: &str, allow_breaks: bool) {
        self.write_indicator("'", true, false, false);
        let mut spaces = false;
        let mut breaks = false;
        let last = value.len().saturating_sub(1);
        let mut chars = value.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i != 0
                    && i != last
                    && chars.peek().map(|p| p.1) != Some(' ')
                {
                    self.write_indent();
                } else {
                    self.put(' ');
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if c == '\'' {
                    self.put('\'');
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.write_indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_double_quoted(&mut self, value: &str, allow_breaks: bool) {
        self.write_indicator("\"", true, false, false);
        // libyaml's `is_bom` looks at the start of the value, not the current character: a
        // value starting with a BOM has every character escaped.
        let bom = value.starts_with('\u{FEFF}');
        let last = value.len().saturating_sub(1);
        let mut spaces = false;
        // Characters printed as they are gather into a run, written at once.
        let mut run_start = 0;
        let mut chars = value.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            let escaped = bom || !is_printable(c) || is_break(c) || c == '"' || c == '\\';
            if !escaped && c != ' ' {
                continue;
            }
            if run_start < i {
                self.push_run(&value[run_start..i]);
                spaces = false;
            }
            run_start = i + c.len_utf8();
            if escaped {
                self.put('\\');
                let short = match c {
                    '\0' => Some('0'),
                    '\u{7}' => Some('a'),
                    '\u{8}' => Some('b'),
                    '\t' => Some('t'),
                    '\n' => Some('n'),
                    '\u{B}' => Some('v'),
                    '\u{C}' => Some('f'),
                    '\r' => Some('r'),
                    '\u{1B}' => Some('e'),
                    '"' => Some('"'),
                    '\\' => Some('\\'),
                    '\u{85}' => Some('N'),
                    '\u{A0}' => Some('_'),
                    '\u{2028}' => Some('L'),
                    '\u{2029}' => Some('P'),
                    _ => None,
                };
                match short {
                    Some(e) => self.put(e),
                    None => {
                        let v = u32::from(c);
                        let (letter, width) = if v <= 0xFF {
                            ('x', 2)
                        } else if v <= 0xFFFF {
                            ('u', 4)
                        } else {
                            ('U', 8)
                        };
                        self.put(letter);
                        for k in (0..width).rev() {
                            let d = (v >> (4 * k)) & 0xF;
                            self.put(char::from_digit(d, 16).unwrap().to_ascii_uppercase());
                        }
                    }
                }
                spaces = false;
            } else {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && i != 0 && i != last {
                    self.write_indent();
                    if chars.peek().map(|p| p.1) == Some(' ') {
                        self.put('\\');
                    }
                } else {
                    self.put(' ');
                }
                spaces = true;
            }
        }
        if run_start < value.len() {
            self.push_run(&value[run_start..]);
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_literal(&mut self, value: &str) {
        self.write_indicator("|", true, false, false);
        // Block scalar hints: an indentation indicator when the text starts with a space or a
        // break, then chomping: `-` without a final break, `+` with more than one.
        let first = value.chars().next();
        if first.is_some_and(|c| c == ' ' || is_break(c)) {
            self.write_indicator("2", false, false, false);
        }
        let mut rev = value.chars().rev();
        let chomp = match (rev.next(), rev.next()) {
            (None, _) => Some("-"),
            (Some(l), _) if !is_break(l) => Some("-"),
            (Some(_), None) => Some("+"),
            (Some(_), Some(p)) if is_break(p) => Some("+"),
            _ => None,
        };
        if let Some(ch) = chomp {
            self.write_indicator(ch, false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        for line in value.split_inclusive(is_break) {
            let (text, brk) = match line.chars().next_back() {
                Some(c) if is_break(c) => (&line[..line.len() - c.len_utf8()], Some(c)),
                _ => (line, None),
            };
            if !text.is_empty() {
                if breaks {
                    self.write_indent();
                }
                self.out.push_str(text);
                self.column += text.chars().count();
                self.indention = false;
                breaks = false;
            }
            if let Some(c) = brk {
                self.write_break(c);
                self.indention = true;
                breaks = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Mapping;

    proptest::proptest! {
        /// The byte walk for ASCII agrees with the character walk.
        #[test]
        fn ascii_analysis_agrees(s in "[ -~\t\r\n\x00\x01\x7f]{1,12}") {
            proptest::prop_assert_eq!(analyze_ascii(s.as_bytes()), analyze_chars(&s));
        }

        #[test]
        fn ascii_analysis_agrees_on_indicators(s in "[-:#?. a\n]{1,8}") {
            proptest::prop_assert_eq!(analyze_ascii(s.as_bytes()), analyze_chars(&s));
        }
    }

    fn map(entries: &[(&str, Value)]) -> Value {
        Value::Map(
            entries
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect::<Mapping>(),
        )
    }

    fn s(x: &str) -> Value {
        Value::String(x.into())
    }

    fn emit(v: &Value) -> String {
        let mut out = String::new();
        emit_document(v, &mut out).unwrap();
        out
    }

    #[test]
    fn key_order_checked_with_reference() {
        let want = [
            "-", "_x", "0", "1", "2", "007", "10", "A", "a", "a-b", "a.b", "a_b", "a1", "a01",
            "a2", "a10", "aB", "ab", "b", "x0", "x00", "x10", "x010", "z", "é",
        ];
        for n in [want.len(), 3] {
            let strings: Vec<Key> = want[..n].iter().rev().map(|k| Key::from(*k)).collect();
            let mut expected = want[..n].to_vec();
            expected.sort_by_key(|k| want.iter().position(|w| w == k));
            // Both sorts the emitter uses: the merge sort of large maps, and the insertion
            // sort of small ones.
            let mut merged: Vec<(&Key, &Value)> =
                strings.iter().map(|k| (k, &Value::Null)).collect();
            let mut inserted = merged.clone();
            sort_entries(&mut merged);
            insertion_sort(&mut inserted, |a, b| key_less(a.0, b.0));
            for sorted in [merged, inserted] {
                let got: Vec<&str> = sorted.iter().map(|e| e.0.as_str()).collect();
                assert_eq!(got, expected);
            }
        }
    }

    #[test]
    fn quoting_checked_with_reference() {
        // Expected strings are reference kustomize v5.7.1 output for the same values.
        let cases: &[(&str, &str)] = &[
            ("yes", "\"yes\""),
            ("y", "\"y\""),
            ("1", "\"1\""),
            ("2001-12-14", "\"2001-12-14\""),
            ("1:20", "\"1:20\""),
            ("😀", "\"\\U0001F600\""),
            ("a\tb", "\"a\\tb\""),
            ("été", "été"),
            ("\u{feff}abc", "\"\\uFEFF\\x61\\x62\\x63\""),
            ("x\u{2028}y", "'x\u{2028}    y'"),
            ("a\nb", "|-\n    a\n    b"),
            ("a \nb", "\"a \\nb\""),
            ("\n a", "|2-\n\n     a"),
            (" a\nb\n", "|2\n     a\n    b"),
            ("a\n\n", "|+\n    a\n"),
            ("<<", "<<"),
            ("a: b", "'a: b'"),
            ("#x", "'#x'"),
            ("-x", "-x"),
            ("- x", "'- x'"),
            ("x #y", "'x #y'"),
            ("x# y", "x# y"),
            (" lead", "' lead'"),
            ("trail ", "'trail '"),
            ("---", "'---'"),
            ("a,b", "a,b"),
            ("[a]", "'[a]'"),
            ("?x", "?x"),
            (":x", ":x"),
            ("it's", "it's"),
            ("\u{85}", "' '"),
            ("a \u{85} b", "a b"),
            ("a\u{85}\u{85}b", "|-\n    a\n    b"),
            ("\u{a0}x", "\u{a0}x"),
            ("@x", "'@x'"),
            ("a\n b", "|-\n    a\n     b"),
            ("x:", "'x:'"),
            ("1e400", "1e400"),
            ("0b-1", "\"0b-1\""),
            ("", "\"\""),
        ];
        for (input, want) in cases {
            let got = emit(&map(&[("data", map(&[("e", s(input))]))]));
            let want = format!("data:\n  e: {want}\n");
            assert_eq!(got, want, "for {input:?}");
        }
    }

    #[test]
    fn unsupported_values() {
        let err = emit_document(&Value::Float(f64::NAN), &mut String::new());
        assert_eq!(err.unwrap_err().to_string(), "json: unsupported value: NaN");
        let err = emit_document(&s("a\u{7f}b"), &mut String::new());
        assert_eq!(
            err.unwrap_err().to_string(),
            "yaml: control characters are not allowed"
        );
    }

    #[test]
    fn layout() {
        let v = map(&[
            ("kind", s("X")),
            (
                "list",
                Value::from(vec![
                    map(&[("b", s("1x")), ("a", Value::from(vec![s("x")]))]),
                    Value::from(vec![s("y")]),
                ]),
            ),
            ("empty", map(&[("m", map(&[])), ("s", Value::from(vec![]))])),
            ("n", Value::Null),
        ]);
        assert_eq!(
            emit(&v),
            "empty:\n  m: {}\n  s: []\nkind: X\nlist:\n- a:\n  - x\n  b: 1x\n- - \"y\"\n\"n\": null\n"
        );
    }
}
