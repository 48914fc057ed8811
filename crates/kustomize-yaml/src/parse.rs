//! The parser front end: `granit-parser` events -> [`Value`] trees, with upstream's scalar
//! resolution, tags, anchors, merge keys and key rules.
//!
//! Upstream rules reproduced (checked with reference kustomize v5.7.1):
//! * [`Schema::Kyaml`] (resources; go-yaml v3 decoding into `map[string]interface{}`):
//!   duplicate keys are an error; `<<` merges (explicit keys win, then earlier merged maps);
//!   top-level keys keep their source text whatever they resolve to (`80:` -> `"80"`), while
//!   non-string keys in nested maps are an error (upstream's `json.Marshal` fails on them).
//!   Upstream raises those two only when it prints a resource: with
//!   [`Context::defer_key_errors`] they are returned with their document instead;
//!   plain timestamps become RFC 3339 strings (`2001-12-14` -> `2001-12-14T00:00:00Z`).
//! * [`Schema::Yaml11`] (kustomization files; sigs.k8s.io/yaml on go-yaml v2): YAML 1.1
//!   booleans, duplicate keys last-wins, `<<` merges in place, non-string keys converted as
//!   `YAMLToJSON` does (`yes:` -> `"true"`, `1.5:` -> `"1.5"`), timestamps stay as written.
//! * Both: explicit core tags are honoured (`!!str 1` is a string, `!!int "3"` a number,
//!   `!!binary` is base64-decoded), other tags are dropped; aliases are expanded by copy with a
//!   cap on each document's expansion.

use std::borrow::Cow;
use std::collections::HashMap;

use granit_parser::{ErrorKind, Event, Options, Parser, ScalarStyle, Span, StructureStyle, Tag};

use crate::key::KeyCache;
use crate::resolve::{go_format_float32, is_yaml11_non_string, resolve_v2, resolve_v3, Resolved};
use crate::{Budget, Error, Key, Mapping, Str, Value};

/// Which resolution rules apply to plain scalars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    /// Resources: kyaml (go-yaml v3) resolution.
    Kyaml,
    /// Kustomization files: go-yaml v2 (YAML 1.1) resolution.
    Yaml11,
}

/// Most collections a document may nest, the root included: upstream's (go-yaml v3's and
/// Go's JSON decoder's) limit. Deeper input is an error ("exceeded max depth of 10000"),
/// and the engine keeps every tree it makes deeper after parsing within it too.
pub const MAX_DEPTH: usize = 10_000;

/// The error for a tree nested deeper than [`MAX_DEPTH`].
pub const MAX_DEPTH_MESSAGE: &str = "exceeded max depth of 10000";

/// Nodes that alias expansion may copy in each document, on top of four per byte of the
/// text ([`alias_allowance`]).
const ALIAS_BUDGET_BASE: usize = 1 << 20;

/// Parses every document of `src`. An empty input yields no documents; an empty document
/// (`---` alone) yields [`Value::Null`].
///
/// Documents go through the `fast` path; each one it declines goes to
/// granit-parser alone, and the fast path goes on after it. Errors are always reported from
/// a parse of the whole text, so that their lines are the file's.
pub fn parse_documents(src: &str, schema: Schema) -> Result<Vec<Value>, Error> {
    parse_documents_in(src, schema, Context::default())
}

/// Where a parse shares keys and charges what it makes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context<'a> {
    /// A key that needs a heap block shares the one this cache holds, so the files of one
    /// build store each such key once.
    pub keys: Option<&'a KeyCache>,
    /// Each document is charged to this budget as it is made (an alias expansion as it
    /// happens); a parse that would overdraw it fails with [`Error::Budget`].
    pub budget: Option<&'a Budget>,
    /// A key repeated in a mapping keeps its first value instead of failing the parse:
    /// kyaml reads nodes without checking keys and finds a field by its first match, so a
    /// patch with a repeated key applies its first value (a resource's repeated key fails
    /// only when it is printed).
    pub first_key_wins: bool,
    /// A key that would fail the parse only because upstream cannot print it (a repeated
    /// key outside annotations, a non-string key in a nested mapping) does not fail it:
    /// the first value is kept and the error is returned with its document
    /// ([`parse_documents_deferring`]). Upstream reads nodes without checking keys and
    /// fails only when it prints the resource, so one that is deleted never fails.
    pub defer_key_errors: bool,
}

/// A key upstream reads without complaint and fails on only when it prints the document.
#[derive(Debug)]
pub enum KeyError {
    /// A key repeated in a mapping: go-yaml v3's `mapping key "k" already defined at line
    /// N` when it decodes the printed node.
    Repeated {
        /// The repeated key's line.
        line: usize,
        /// What went wrong (go-yaml's words).
        message: String,
    },
    /// A non-string key in a nested mapping: `json.Marshal`'s error.
    NonString(Error),
}

/// A document read with [`parse_documents_deferring`].
#[derive(Debug)]
pub struct Deferring {
    /// The document (a repeated key keeps its first value).
    pub value: Value,
    /// The error upstream raises only when it prints the document.
    pub unprintable: Option<KeyError>,
    /// Repeated keys of the root's `metadata.annotations`, each with its last value:
    /// upstream writes to the first and, when it rebuilds the annotations from a map,
    /// keeps the last.
    pub annotation_shadows: Vec<(Key, Value)>,
}

/// The documents of `src`, each with the key error upstream would raise only when it
/// prints it ([`Context::defer_key_errors`], which this sets).
pub fn parse_documents_deferring(
    src: &str,
    schema: Schema,
    cx: Context<'_>,
) -> Result<Vec<Deferring>, Error> {
    let cx = Context {
        defer_key_errors: true,
        ..cx
    };
    let mut charged = 0;
    let (docs, deferred) = match parse_fast_sharing(src, schema, cx, &mut charged) {
        Some((docs, _, deferred)) => (docs, deferred),
        None => {
            if let Some(budget) = cx.budget {
                budget.refund(charged);
            }
            parse_full_deferring(src, schema, alias_allowance(src), cx, &mut 0)?
        }
    };
    let mut out: Vec<Deferring> = docs
        .into_iter()
        .map(|value| Deferring {
            value,
            unprintable: None,
            annotation_shadows: Vec::new(),
        })
        .collect();
    for (i, note) in deferred {
        let Some(slot) = out.get_mut(i) else { continue };
        match note {
            Note::KeyError(e) => {
                slot.unprintable.get_or_insert(e);
            }
            Note::AnnotationShadow(k, v) => {
                match slot
                    .annotation_shadows
                    .iter_mut()
                    .find(|(key, _)| *key == k)
                {
                    Some(shadow) => shadow.1 = v,
                    None => slot.annotation_shadows.push((k, v)),
                }
            }
        }
    }
    Ok(out)
}

/// [`parse_documents`] in a [`Context`].
pub fn parse_documents_in(src: &str, schema: Schema, cx: Context<'_>) -> Result<Vec<Value>, Error> {
    let mut charged = 0;
    match parse_fast_sharing(src, schema, cx, &mut charged) {
        Some((docs, _, _)) => Ok(docs),
        None => {
            if let Some(budget) = cx.budget {
                budget.refund(charged);
            }
            parse_full_with(src, schema, alias_allowance(src), cx, &mut 0)
        }
    }
}

/// The documents of `src` through the [`crate::fast`] path (granit-parser for the documents it
/// declines) and how many the fast path read; `None` when the whole text must go to
/// granit-parser. (Public for the differential tests only.)
#[doc(hidden)]
pub fn parse_fast(src: &str, schema: Schema) -> Option<(Vec<Value>, usize)> {
    parse_fast_sharing(src, schema, Context::default(), &mut 0).map(|(d, n, _)| (d, n))
}

/// The fast path, adding what it charges to `charged` (so that a caller that then parses
/// the whole text again can refund it).
fn parse_fast_sharing(
    src: &str,
    schema: Schema,
    cx: Context<'_>,
    charged: &mut usize,
) -> Option<(Vec<Value>, usize, Deferred)> {
    let mut loader = Loader::new(src, schema, cx);
    let mut fast = 0;
    crate::fast::parse(src, &mut |item| match item {
        crate::fast::Item::Event(event, span) => {
            let end = matches!(event, Event::DocumentEnd);
            let result = loader.event(event, span).map_err(|_| ());
            *charged += std::mem::take(&mut loader.charged);
            result?;
            fast += usize::from(end);
            Ok(())
        }
        crate::fast::Item::Declined(text) => {
            // Whatever the fast path had started of this document is dropped.
            loader.stack.clear();
            loader.root = None;
            loader.pending = 0;
            // The declined document has the alias allowance it would have in one granit-parser
            // parse of the whole text.
            let (more, deferred) =
                parse_full_deferring(text, schema, loader.alias_allowance, cx, charged)
                    .map_err(|_| ())?;
            let base = loader.docs.len();
            loader
                .deferred
                .extend(deferred.into_iter().map(|(i, e)| (base + i, e)));
            loader.docs.extend(more);
            Ok(())
        }
    })
    .ok()?;
    Some((loader.docs, fast, loader.deferred))
}

/// [`parse_documents`] with granit-parser alone. (Public for the differential tests only.)
#[doc(hidden)]
pub fn parse_full(src: &str, schema: Schema) -> Result<Vec<Value>, Error> {
    parse_full_with(
        src,
        schema,
        alias_allowance(src),
        Context::default(),
        &mut 0,
    )
}

/// The alias expansions a document of `src` may make: each document has its own, as
/// upstream's decoder is made afresh for each document.
fn alias_allowance(src: &str) -> usize {
    ALIAS_BUDGET_BASE.saturating_add(src.len().saturating_mul(4))
}

/// [`parse_full`], each document allowed `allowance` alias expansions, adding what it
/// charges to `charged` (an attempt that is retried is refunded).
fn parse_full_with(
    src: &str,
    schema: Schema,
    allowance: usize,
    cx: Context<'_>,
    charged: &mut usize,
) -> Result<Vec<Value>, Error> {
    parse_full_deferring(src, schema, allowance, cx, charged).map(|(docs, _)| docs)
}

/// [`parse_full_with`], with the key errors it deferred (by document index).
fn parse_full_deferring(
    src: &str,
    schema: Schema,
    allowance: usize,
    cx: Context<'_>,
    charged: &mut usize,
) -> Result<(Vec<Value>, Deferred), Error> {
    let mut src = Cow::Borrowed(src);
    let mut fixes = 0;
    loop {
        let mut loader = Loader::new(&src, schema, cx);
        loader.alias_allowance = allowance;
        let result = loader.run(&src);
        match result {
            Ok(()) => {
                *charged += loader.charged;
                return Ok((loader.docs, loader.deferred));
            }
            Err(Failure::Scan(e)) => {
                if let Some(budget) = cx.budget {
                    budget.refund(loader.charged);
                }
                let fixed = (fixes < MAX_FIXES).then(|| lenient_fix(&src, &e)).flatten();
                match fixed {
                    Some(fixed) => {
                        src = Cow::Owned(fixed);
                        fixes += 1;
                    }
                    None => {
                        let m = e.marker();
                        return Err(Error::syntax(m.line(), m.col() + 1, e.info()));
                    }
                }
            }
            Err(Failure::Load(e)) => {
                *charged += loader.charged;
                return Err(e);
            }
        }
    }
}

/// How many times [`parse_documents`] rewrites input libyaml accepts and granit-parser does
/// not before giving up.
const MAX_FIXES: usize = 64;

/// What a deferring parse notes of a document ([`Context::defer_key_errors`]).
enum Note {
    /// A key error upstream raises only when it prints the document.
    KeyError(KeyError),
    /// A repeated annotation key's later value.
    AnnotationShadow(Key, Value),
}

/// Notes of a deferring parse, each with its document's index.
type Deferred = Vec<(usize, Note)>;

/// A nested mapping's key that is not a string: upstream fails only when it prints the
/// resource ([`Context::defer_key_errors`]).
struct NonStringKey(Error);

/// Why a parse attempt failed.
enum Failure {
    /// granit-parser refused the input.
    Scan(granit_parser::ScanError),
    /// The events made no acceptable document.
    Load(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Load(e)
    }
}

/// Rewrites, without changing its meaning, input that go-yaml (libyaml) accepts but
/// granit-parser (stricter YAML 1.2) rejects:
/// * continuation lines of a quoted scalar indented no deeper than its parent
///   (`a: "x\n  y"` under a key at column 2): indented further, which folding ignores;
/// * plain scalars of a flow collection continued at a lower column (`a: {b: 1,\nc: 2}`):
///   indented further;
/// * a tab right after a mapping colon (`a:\tb`): replaced with a space.
///
/// `None` when the error is not one of these.
fn lenient_fix(src: &str, e: &granit_parser::ScanError) -> Option<String> {
    let at = src
        .char_indices()
        .nth(e.marker().index())
        .map_or(src.len(), |(i, _)| i);
    let line_start = src[..at].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let col = src[line_start..at].chars().count();
    match e.kind() {
        ErrorKind::InvalidQuotedScalarIndent => {
            let quote = src[at..].chars().next()?;
            if quote != '"' && quote != '\'' {
                return None;
            }
            let pad = " ".repeat(col + 1);
            let mut out = String::with_capacity(src.len() + 64);
            out.push_str(&src[..at + 1]);
            let mut chars = src[at + 1..].char_indices();
            let mut end = src.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' if quote == '"' => {
                        out.push(c);
                        match chars.next() {
                            Some((_, n)) if n == '\n' || n == '\r' => {
                                out.push(n);
                                out.push_str(&pad);
                            }
                            Some((_, n)) => out.push(n),
                            None => {}
                        }
                        continue;
                    }
                    c if c == quote => {
                        // A doubled single quote is an escaped one.
                        if quote == '\'' && src[at + 1 + i + 1..].starts_with('\'') {
                            out.push_str("''");
                            chars.next();
                            continue;
                        }
                        end = at + 1 + i;
                        break;
                    }
                    '\n' => {
                        out.push(c);
                        out.push_str(&pad);
                    }
                    '\r' if !src[at + 1 + i + 1..].starts_with('\n') => {
                        out.push(c);
                        out.push_str(&pad);
                    }
                    _ => out.push(c),
                }
            }
            if end == src.len() {
                return None;
            }
            out.push_str(&src[end..]);
            Some(out)
        }
        ErrorKind::InvalidFlowScalarIndent => {
            // Indent the scalar one column deeper than the previous line's indentation.
            let prev = src[..line_start.saturating_sub(1)]
                .rsplit(['\n', '\r'])
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            let prev_indent = prev.len() - prev.trim_start_matches(' ').len();
            let pad = (prev_indent + 1).saturating_sub(col).max(1);
            let mut out = String::with_capacity(src.len() + pad);
            out.push_str(&src[..at]);
            out.extend(std::iter::repeat_n(' ', pad));
            out.push_str(&src[at..]);
            Some(out)
        }
        ErrorKind::InvalidMappingValueWhitespace => {
            let before = &src[line_start..at];
            let ws = before.len() - before.trim_end_matches([' ', '\t']).len();
            if ws == 0 || !before[..before.len() - ws].ends_with(':') {
                return None;
            }
            let mut out = String::with_capacity(src.len());
            out.push_str(&src[..at - ws]);
            out.push_str(&src[at - ws..at].replace('\t', " "));
            out.push_str(&src[at..]);
            Some(out)
        }
        _ => None,
    }
}

/// An anchored node, kept for its aliases.
struct Anchored {
    value: Value,
    /// Copy cost charged to the alias budget.
    weight: usize,
    /// Collection nesting depth of `value`.
    height: usize,
    /// The scalar as written, for aliases used as keys.
    scalar: Option<ScalarSrc>,
}

#[derive(Clone)]
struct ScalarSrc {
    text: Str,
    plain: bool,
    tag: TagKind,
}

/// A scalar's source as a key reads it, borrowed (from the event, or an anchor's
/// [`ScalarSrc`]).
#[derive(Clone, Copy)]
struct ScalarRef<'a> {
    text: &'a str,
    plain: bool,
    tag: &'a TagKind,
}

impl ScalarSrc {
    fn borrowed(&self) -> ScalarRef<'_> {
        ScalarRef {
            text: &self.text,
            plain: self.plain,
            tag: &self.tag,
        }
    }
}

/// A tag, as far as resolution cares.
#[derive(Clone, Debug, PartialEq)]
enum TagKind {
    /// No tag, or the non-specific `!`.
    None,
    /// `tag:yaml.org,2002:<name>` (`!!name`).
    Core(String),
    /// Anything else (`!foo`, other URIs): dropped.
    Other,
}

impl TagKind {
    fn of(tag: Option<&Tag>) -> TagKind {
        let Some(tag) = tag else { return TagKind::None };
        let full = format!("{}{}", tag.handle(), tag.suffix());
        if full == "!" {
            TagKind::None
        } else if let Some(core) = full.strip_prefix("tag:yaml.org,2002:") {
            TagKind::Core(core.to_owned())
        } else {
            TagKind::Other
        }
    }
}

// One frame per open collection: few at a time, so the size difference does not matter.
#[allow(clippy::large_enum_variant)]
enum Frame {
    Seq {
        items: Vec<Value>,
        anchor: usize,
    },
    Map {
        map: Mapping,
        /// Line of each entry of `map`, for duplicate-key errors.
        lines: Vec<usize>,
        key: Option<PendingKey>,
        /// Kyaml: the `<<` value, merged when the mapping ends.
        merge: Option<(Value, usize)>,
        root: bool,
        anchor: usize,
    },
}

struct PendingKey {
    key: Key,
    merge: bool,
    span: Span,
}

struct Loader<'k> {
    schema: Schema,
    /// Where keys that need a heap block are shared, if anywhere.
    keys: Option<&'k KeyCache>,
    /// What the documents are charged to, if anything.
    budget: Option<&'k Budget>,
    /// Cost of the current document not charged yet.
    pending: usize,
    /// Cost charged to `budget` so far.
    charged: usize,
    /// [`Context::first_key_wins`].
    first_key_wins: bool,
    /// [`Context::defer_key_errors`].
    defer_key_errors: bool,
    /// The first deferred key error of each document that has one, by document index.
    deferred: Deferred,
    /// Open flow collections.
    flow_depth: usize,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Anchored>,
    keep_anchors: bool,
    /// Alias expansions each document may make ([`alias_allowance`]).
    alias_allowance: usize,
    /// What the current document has left of them.
    alias_budget: usize,
    root: Option<Value>,
    docs: Vec<Value>,
    /// Buffers of closed collections, for the next ones to fill: each finished collection
    /// is copied out once, at its exact size, so that no growth or trimming leaves holes
    /// between the nodes a build keeps.
    spare_maps: Vec<(Mapping, Vec<usize>)>,
    spare_seqs: Vec<Vec<Value>>,
    /// Characters in the source, when it does not end with a line break: a block scalar
    /// ending there has no final line break (granit-parser adds one; go-yaml does not).
    unterminated_len: Option<usize>,
}

fn err_at(span: &Span, message: impl Into<String>) -> Error {
    Error::syntax(span.start.line(), span.start.col() + 1, message)
}

impl<'k> Loader<'k> {
    fn new(src: &str, schema: Schema, cx: Context<'k>) -> Loader<'k> {
        Loader {
            schema,
            keys: cx.keys,
            budget: cx.budget,
            first_key_wins: cx.first_key_wins,
            defer_key_errors: cx.defer_key_errors,
            deferred: Vec::new(),
            flow_depth: 0,
            pending: 0,
            charged: 0,
            stack: Vec::new(),
            anchors: HashMap::new(),
            // Without a '*' there can be no alias, so anchored nodes need not be kept.
            keep_anchors: src.contains('*'),
            alias_allowance: alias_allowance(src),
            // Each document starts with the whole allowance (`DocumentStart`).
            alias_budget: 0,
            root: None,
            docs: Vec::new(),
            spare_maps: Vec::new(),
            spare_seqs: Vec::new(),
            unterminated_len: (!src.is_empty() && !src.ends_with('\n'))
                .then(|| src.chars().count()),
        }
    }

    /// Reads the documents of `src` into `docs`.
    fn run(&mut self, src: &str) -> Result<(), Failure> {
        let mut options = Options::default();
        // The loader stops at MAX_DEPTH collections, with upstream's message.
        options.flow_nesting_limit = 2 * MAX_DEPTH;
        options.block_nesting_limit = 2 * MAX_DEPTH;
        let mut parser = Parser::new_from_str_with_options(src, options);
        while let Some(next) = parser.next_event() {
            let (event, span) = next.map_err(Failure::Scan)?;
            self.event(event, span)?;
        }
        Ok(())
    }

    /// Charges what the document has made so far, and `more`, to the budget.
    fn charge(&mut self, more: usize) -> Result<(), Error> {
        let cost = std::mem::take(&mut self.pending).saturating_add(more);
        if let Some(budget) = self.budget {
            budget.charge(cost).map_err(Error::Budget)?;
            self.charged += cost;
        }
        Ok(())
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), Error> {
        match event {
            Event::DocumentStart(..) => {
                self.anchors.clear();
                self.root = None;
                self.alias_budget = self.alias_allowance;
            }
            Event::DocumentEnd => {
                self.charge(0)?;
                let doc = self.root.take().unwrap_or(Value::Null);
                self.docs.push(doc);
            }
            Event::Scalar(text, style, anchor, tag) => {
                let tag = TagKind::of(tag.as_deref());
                let plain = style == ScalarStyle::Plain;
                let anchored = anchor != 0 && self.keep_anchors;
                let block = matches!(style, ScalarStyle::Literal | ScalarStyle::Folded);
                let text = match (block, self.unterminated_len) {
                    // An empty node comes as a plain `~` with an empty span.
                    _ if plain && text == "~" && span.end.index() == span.start.index() => {
                        Cow::Borrowed("")
                    }
                    (true, Some(len)) if span.end.index() >= len && text.ends_with('\n') => {
                        Cow::Owned(text[..text.len() - 1].to_owned())
                    }
                    _ => text,
                };
                // Annotations are printed from their values as read: upstream rebuilds them
                // from a map, past kyaml's round trip of folded scalars.
                let text = if style == ScalarStyle::Folded
                    && self.schema == Schema::Kyaml
                    && !self.in_root_annotations()
                {
                    match folded_round_trip(&text) {
                        Cow::Owned(t) => Cow::Owned(t),
                        Cow::Borrowed(_) => text,
                    }
                } else {
                    text
                };
                if self.expecting_key() {
                    if anchored {
                        let value = self.scalar_value(&text, plain, &tag, &span)?;
                        let src = ScalarSrc {
                            text: Str::new(&text),
                            plain,
                            tag: tag.clone(),
                        };
                        self.anchor(anchor, value, Some(src));
                    }
                    // The key is made from the event's text: no copy of it is kept.
                    let src = ScalarRef {
                        text: &text,
                        plain,
                        tag: &tag,
                    };
                    self.key_scalar(src, &span)?;
                } else if anchored {
                    let value = self.scalar_value(&text, plain, &tag, &span)?;
                    let src = ScalarSrc {
                        text: Str::new(&text),
                        plain,
                        tag,
                    };
                    self.anchor(anchor, value.clone(), Some(src));
                    self.complete(value, &span)?;
                } else {
                    let value = self.scalar_value(&text, plain, &tag, &span)?;
                    self.complete(value, &span)?;
                }
            }
            Event::SequenceStart(style, anchor, _) => {
                self.open(&span)?;
                self.flow_depth += usize::from(style == StructureStyle::Flow);
                let items = self.spare_seqs.pop().unwrap_or_default();
                self.stack.push(Frame::Seq { items, anchor });
            }
            Event::MappingStart(style, anchor, _) => {
                self.open(&span)?;
                self.flow_depth += usize::from(style == StructureStyle::Flow);
                let root = self.stack.is_empty();
                let (map, lines) = self.spare_maps.pop().unwrap_or_default();
                self.stack.push(Frame::Map {
                    map,
                    lines,
                    key: None,
                    merge: None,
                    root,
                    anchor,
                });
            }
            Event::SequenceEnd => {
                // Flow collections hold only flow collections: the innermost one is flow.
                self.flow_depth = self.flow_depth.saturating_sub(1);
                let Some(Frame::Seq { mut items, anchor }) = self.stack.pop() else {
                    return Err(err_at(&span, "unbalanced sequence end"));
                };
                let mut exact = crate::Seq::with_capacity(items.len());
                exact.extend(items.drain(..));
                let value = Value::Seq(exact);
                self.spare_seqs.push(items);
                if anchor != 0 && self.keep_anchors {
                    self.anchor(anchor, value.clone(), None);
                }
                self.complete(value, &span)?;
            }
            Event::MappingEnd => {
                self.flow_depth = self.flow_depth.saturating_sub(1);
                let Some(Frame::Map {
                    mut map,
                    mut lines,
                    merge,
                    anchor,
                    ..
                }) = self.stack.pop()
                else {
                    return Err(err_at(&span, "unbalanced mapping end"));
                };
                if let Some((merged, _)) = merge {
                    // go-yaml v3: explicit keys win, then earlier merged maps.
                    for_each_merged_map(merged, &span, false, |m| {
                        for (k, v) in m {
                            map.entry(k).or_insert(v);
                        }
                    })?;
                }
                // A build holds every tree at once: no room is kept for entries that
                // will not come (the few maps that grow later regrow).
                let value = Value::Map(map.take_exact());
                lines.clear();
                self.spare_maps.push((map, lines));
                if anchor != 0 && self.keep_anchors {
                    self.anchor(anchor, value.clone(), None);
                }
                self.complete(value, &span)?;
            }
            Event::Alias(id) => {
                let Some(anchored) = self.anchors.get(&id) else {
                    return Err(err_at(&span, "unknown anchor"));
                };
                if self.expecting_key() {
                    let Some(src) = anchored.scalar.clone() else {
                        return Err(err_at(&span, "invalid map key: a collection"));
                    };
                    self.key_scalar(src.borrowed(), &span)?;
                } else {
                    if self.stack.len() + anchored.height > MAX_DEPTH {
                        return Err(err_at(&span, MAX_DEPTH_MESSAGE));
                    }
                    if anchored.weight > self.alias_budget {
                        return Err(err_at(&span, "alias expansion limit exceeded"));
                    }
                    self.alias_budget -= anchored.weight;
                    let weight = anchored.weight;
                    self.charge(weight)?;
                    let Some(anchored) = self.anchors.get(&id) else {
                        return Err(err_at(&span, "unknown anchor"));
                    };
                    let value = anchored.value.clone();
                    self.complete(value, &span)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn expecting_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { key: None, .. }))
    }

    /// A collection starts: it may not be a key, nor nest too deep.
    fn open(&self, span: &Span) -> Result<(), Error> {
        if self.expecting_key() {
            return Err(err_at(span, "invalid map key: a collection"));
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(err_at(span, MAX_DEPTH_MESSAGE));
        }
        Ok(())
    }

    fn anchor(&mut self, id: usize, value: Value, scalar: Option<ScalarSrc>) {
        let crate::value::Size {
            cost: weight,
            depth: height,
        } = value.size();
        self.anchors.insert(
            id,
            Anchored {
                value,
                weight,
                height,
                scalar,
            },
        );
    }

    /// A finished node goes to its parent (or becomes the document).
    fn complete(&mut self, value: Value, span: &Span) -> Result<(), Error> {
        self.pending += 1;
        let schema = self.schema;
        let annotations = schema == Schema::Kyaml && self.in_root_annotations();
        let first_key_wins = self.first_key_wins;
        let defer = self.defer_key_errors;
        let mut deferred = None;
        let mut shadow = None;
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(Frame::Seq { items, .. }) => items.push(value),
            Some(Frame::Map {
                map,
                lines,
                key,
                merge,
                ..
            }) => {
                let k = key.take().expect("a value follows its key");
                if k.merge {
                    match schema {
                        Schema::Kyaml => {
                            if merge.is_some() {
                                return Err(err_at(&k.span, "duplicate merge key"));
                            }
                            *merge = Some((value, k.span.start.line()));
                        }
                        Schema::Yaml11 => {
                            // go-yaml v2: merged in place, later keys override; of a list of
                            // maps the earlier ones win.
                            for_each_merged_map(value, span, true, |m| {
                                for (mk, mv) in m {
                                    map.insert(mk, mv);
                                }
                            })?;
                        }
                    }
                    return Ok(());
                }
                match schema {
                    // kyaml's DeAnchor clears any field named `<<` once merges are done, so a
                    // quoted "<<" key disappears.
                    Schema::Kyaml if k.key == "<<" => {}
                    // Upstream rebuilds a resource's annotations from a map before it
                    // prints: there a repeated key is not an error, the last one wins.
                    Schema::Kyaml if annotations && !first_key_wins && defer => {
                        match map.entry(k.key) {
                            crate::mapping::Entry::Occupied(e) => {
                                shadow = Some((e.key().clone(), value));
                            }
                            crate::mapping::Entry::Vacant(e) => {
                                e.insert(value);
                                lines.push(k.span.start.line());
                            }
                        }
                    }
                    Schema::Kyaml if annotations && !first_key_wins => {
                        if map.insert(k.key, value).is_none() {
                            lines.push(k.span.start.line());
                        }
                    }
                    Schema::Kyaml => match map.entry(k.key) {
                        crate::mapping::Entry::Occupied(_) if first_key_wins => {}
                        crate::mapping::Entry::Occupied(e) => {
                            let message = format!(
                                "mapping key {:?} already defined at line {}",
                                e.key(),
                                lines[e.index()]
                            );
                            if !defer {
                                return Err(err_at(&k.span, message));
                            }
                            deferred = Some(KeyError::Repeated {
                                line: k.span.start.line(),
                                message,
                            });
                        }
                        crate::mapping::Entry::Vacant(e) => {
                            e.insert(value);
                            lines.push(k.span.start.line());
                        }
                    },
                    Schema::Yaml11 => {
                        map.insert(k.key, value);
                    }
                }
            }
        }
        if let Some(error) = deferred {
            self.defer(error);
        }
        if let Some((key, value)) = shadow {
            let doc = self.docs.len();
            self.deferred
                .push((doc, Note::AnnotationShadow(key, value)));
        }
        Ok(())
    }

    /// Keeps the first deferred key error of the current document.
    fn defer(&mut self, error: KeyError) {
        let doc = self.docs.len();
        let noted = self
            .deferred
            .iter()
            .rev()
            .take_while(|(i, _)| *i == doc)
            .any(|(_, n)| matches!(n, Note::KeyError(_)));
        if !noted {
            self.deferred.push((doc, Note::KeyError(error)));
        }
    }

    /// Whether the open mapping is a document's `metadata.annotations`.
    fn in_root_annotations(&self) -> bool {
        let pending =
            |f: &Frame, name: &str| matches!(f, Frame::Map { key: Some(k), .. } if k.key == name);
        matches!(self.stack.as_slice(), [root @ Frame::Map { root: true, .. }, meta, Frame::Map { .. }]
            if pending(root, "metadata") && pending(meta, "annotations"))
    }

    /// A scalar in key position: becomes the pending key of the current mapping.
    fn key_scalar(&mut self, src: ScalarRef<'_>, span: &Span) -> Result<(), Error> {
        let Some(Frame::Map { root, .. }) = self.stack.last() else {
            unreachable!("keys only occur in mappings");
        };
        let root = *root;
        // A plain untagged `<<`, or any `!!merge <<`.
        let merge = src.text == "<<"
            && match src.tag {
                TagKind::None => src.plain,
                TagKind::Core(t) => t == "merge",
                TagKind::Other => false,
            };
        let key = if merge {
            Key::default()
        } else {
            match self.schema {
                Schema::Kyaml => match self.kyaml_key(src, root, span) {
                    Err(NonStringKey(e)) if self.defer_key_errors => {
                        self.defer(KeyError::NonString(e));
                        self.key(src.text)
                    }
                    Err(NonStringKey(e)) => return Err(e),
                    Ok(k) => k?,
                },
                Schema::Yaml11 => self.yaml11_key(src, span)?,
            }
        };
        if let Some(Frame::Map { key: slot, .. }) = self.stack.last_mut() {
            *slot = Some(PendingKey {
                key,
                merge,
                span: *span,
            });
        }
        Ok(())
    }

    fn key(&self, text: &str) -> Key {
        match self.keys {
            Some(keys) => keys.key(text),
            None => Key::new(text),
        }
    }

    /// go-yaml v3: the top-level mapping is decoded into `map[string]interface{}`, so any
    /// scalar key keeps its text; nested mappings with a non-string key become
    /// `map[interface{}]interface{}`, which `json.Marshal` rejects.
    fn kyaml_key(
        &self,
        src: ScalarRef<'_>,
        root: bool,
        span: &Span,
    ) -> Result<Result<Key, Error>, NonStringKey> {
        let is_string = match src.tag {
            TagKind::None if !src.plain => true,
            TagKind::None => resolve_v3(src.text, true) == Resolved::Str,
            TagKind::Core(t) => t == "str",
            TagKind::Other => false,
        };
        if root {
            if matches!(src.tag, TagKind::Core(t) if t == "binary") {
                return Ok(decode_binary(src.text)
                    .map(|text| self.key(&text))
                    .ok_or_else(|| err_at(span, "!!binary value contains invalid base64 data")));
            }
            // Tag mismatches still fail (`!!int x`).
            if let Err(e) = self.scalar_value(src.text, src.plain, src.tag, span) {
                return Ok(Err(e));
            }
            Ok(Ok(self.key(src.text)))
        } else if is_string {
            Ok(Ok(self.key(src.text)))
        } else {
            Err(NonStringKey(err_at(
                span,
                format!(
                    "json: unsupported type: map[interface {{}}]interface {{}} (non-string key {:?} in a nested mapping)",
                    src.text
                ),
            )))
        }
    }

    /// sigs.k8s.io/yaml `YAMLToJSON`: keys resolved by go-yaml v2, then converted to strings
    /// (ints in decimal, floats as Go's shortest float32 `%g`, booleans `true`/`false`).
    fn yaml11_key(&self, src: ScalarRef<'_>, span: &Span) -> Result<Key, Error> {
        let value = self.scalar_value(src.text, src.plain, src.tag, span)?;
        Ok(match value {
            Value::String(s) => self.key(&s),
            Value::Bool(b) => self.key(if b { "true" } else { "false" }),
            Value::Int(i) => self.key(itoa::Buffer::new().format(i)),
            Value::Float(f) => match go_format_float32(f as f32).as_str() {
                "+Inf" => self.key(".inf"),
                "-Inf" => self.key("-.inf"),
                "NaN" => self.key(".nan"),
                s => self.key(s),
            },
            Value::UInt(_)
            | Value::Null
            | Value::Blank
            | Value::Plain(_)
            | Value::Seq(_)
            | Value::Map(_) => {
                return Err(err_at(
                    span,
                    format!(
                        "unsupported map key of type {}: {:?}",
                        value.type_name(),
                        src.text
                    ),
                ))
            }
        })
    }

    /// The value of a scalar in value position.
    fn scalar_value(
        &self,
        text: &str,
        plain: bool,
        tag: &TagKind,
        span: &Span,
    ) -> Result<Value, Error> {
        // A quoted or block scalar keeps that it was ([`Str::is_styled`]).
        let string = || Ok(Value::String(Str::new(text).styled(!plain)));
        let wanted = match tag {
            TagKind::None if !plain => return string(),
            TagKind::None => None,
            TagKind::Other => return string(),
            TagKind::Core(t) => match t.as_str() {
                "str" => return string(),
                "binary" => {
                    return decode_binary(text)
                        .map(Value::from)
                        .ok_or_else(|| err_at(span, "!!binary value contains invalid base64 data"))
                }
                "int" | "float" | "bool" | "null" | "timestamp" => Some(t.as_str()),
                _ => return string(),
            },
        };
        let try_timestamp = matches!(wanted, None | Some("timestamp"));
        let mut resolved = match self.schema {
            Schema::Kyaml => resolve_v3(text, try_timestamp),
            Schema::Yaml11 => resolve_v2(text, try_timestamp),
        };
        // Upstream keeps a timestamp with a time of day (`2001-12-14t21:59:43.10-05:00`)
        // as its text inside a flow collection, where a date alone still becomes RFC 3339
        // (seen with the reference; block context converts both).
        if self.schema == Schema::Kyaml
            && self.flow_depth > 0
            && wanted.is_none()
            && matches!(resolved, Resolved::Timestamp(_))
            && text.contains(':')
        {
            resolved = Resolved::Str;
        }
        // A resource's plain scalar keeps its text when that is not how its value prints.
        if self.schema == Schema::Kyaml
            && wanted.is_none()
            && !crate::resolve::prints_as_written(&resolved, text)
        {
            return Ok(Value::Plain(Str::new(text)));
        }
        if let Some(want) = wanted {
            let ok = resolved.tag_name() == want
                || (want == "float" && matches!(resolved, Resolved::Int(_)));
            if !ok {
                return Err(err_at(
                    span,
                    format!(
                        "cannot decode !!{} `{}` as a !!{}",
                        resolved.tag_name(),
                        text,
                        want
                    ),
                ));
            }
        }
        Ok(match resolved {
            // An empty null in a flow collection is null to the build but prints as
            // `""`: go-yaml cannot emit an empty plain scalar there, so kyaml's print
            // through YAML text quotes it ([`Value::resolved`]).
            Resolved::Null
                if text.is_empty()
                    && wanted.is_none()
                    && self.schema == Schema::Kyaml
                    && self.flow_depth > 0 =>
            {
                Value::Plain(Str::new("").styled(true))
            }
            Resolved::Null
                if text.is_empty() && wanted.is_none() && self.schema == Schema::Kyaml =>
            {
                Value::Blank
            }
            Resolved::Null => Value::Null,
            Resolved::Bool(b) => Value::Bool(b),
            Resolved::Int(i) if wanted == Some("float") => Value::Float(i as f64),
            Resolved::Int(i) => Value::Int(i),
            Resolved::UInt(u) => Value::UInt(u),
            Resolved::Float(f) => Value::Float(f),
            // go-yaml v3 decodes a timestamp to time.Time, which JSON prints as RFC 3339;
            // go-yaml v2 keeps the text when decoding into interface{}.
            Resolved::Timestamp(t) => match self.schema {
                Schema::Kyaml => Value::String(t.to_rfc3339_nano().into()),
                Schema::Yaml11 => Value::String(Str::new(text)),
            },
            // A plain string YAML 1.1 reads otherwise is one of its booleans (`yes`, `on`).
            Resolved::Str if plain && text.len() <= 5 && is_yaml11_non_string(text) => {
                Value::String(Str::new(text).known_plain(true))
            }
            Resolved::Str => Value::String(Str::new(text)),
        })
    }
}

/// What kyaml's re-serialisation does to a folded (`>`) scalar before upstream prints it.
///
/// kyaml writes the node back with go-yaml v3, keeping the folded style, and reads it again.
/// v3's `write_folded_scalar` decides whether a line break needs an extra blank line by
/// looking at the start of the whole value (past leading breaks) instead of at the next line
/// (a porting bug), so after a text line:
/// * if the value starts with a non-blank, a break run followed by a more-indented line, or a
///   final kept (`>+`) run, gains a newline (`x\n z` -> `x\n\n z`);
/// * if the value starts with a blank, a break run between two text lines loses one
///   (`y\nz` -> `y z`, `y\n\nz` -> `y\nz`).
///
/// Values v3 would not write as a block scalar (trailing spaces, unprintable characters) are
/// double-quoted instead and come back intact.
fn folded_round_trip(value: &str) -> Cow<'_, str> {
    if !value.contains('\n') || value.contains(['\u{2028}', '\u{2029}']) || !v3_block_allowed(value)
    {
        return Cow::Borrowed(value);
    }
    let is_blank = |line: &str| line.starts_with([' ', '\t']);
    // v3 looks past the value's leading line breaks to its first other character.
    let first_blank = value.trim_start_matches('\n').starts_with([' ', '\t']);
    let mut out = String::with_capacity(value.len() + 8);
    let mut rest = value;
    loop {
        let line_end = rest.find('\n').unwrap_or(rest.len());
        let (line, after) = rest.split_at(line_end);
        out.push_str(line);
        if after.is_empty() {
            break;
        }
        let n = after.len() - after.trim_start_matches('\n').len();
        let next = &after[n..];
        let mut breaks = n;
        if !line.is_empty() && !is_blank(line) {
            if !first_blank {
                if (next.is_empty() && n >= 2) || (!next.is_empty() && is_blank(next)) {
                    breaks += 1;
                }
            } else if !next.is_empty() && !is_blank(next) {
                breaks -= 1;
            }
        }
        if breaks == 0 {
            out.push(' ');
        } else {
            out.extend(std::iter::repeat_n('\n', breaks));
        }
        rest = next;
    }
    if out == value {
        Cow::Borrowed(value)
    } else {
        Cow::Owned(out)
    }
}

/// go-yaml v3's `analyze_scalar` verdict on block styles: no trailing space, no space before
/// a line break, nothing unprintable (tabs are fine in v3, unlike v2).
fn v3_block_allowed(value: &str) -> bool {
    use crate::emit::{is_break, is_printable};
    let mut prev_space = false;
    for c in value.chars() {
        if (c != '\t' && !is_printable(c)) || (prev_space && is_break(c)) {
            return false;
        }
        prev_space = c == ' ';
    }
    !value.is_empty() && !prev_space
}

/// Calls `f` with each map a merge value (`<<: *a` or `<<: [*a, *b]`) contributes, in the
/// order they should be applied.
fn for_each_merged_map(
    value: Value,
    span: &Span,
    reverse: bool,
    mut f: impl FnMut(Mapping),
) -> Result<(), Error> {
    let want_map = || {
        err_at(
            span,
            "map merge requires map or sequence of maps as the value",
        )
    };
    match value {
        Value::Map(m) => f(m),
        Value::Seq(items) => {
            if items.iter().any(|i| matches!(i, Value::Seq(_))) {
                return Err(err_at(
                    span,
                    "invalid map merge: received a nested sequence",
                ));
            }
            if items.iter().any(|i| !matches!(i, Value::Map(_))) {
                return Err(want_map());
            }
            let maps = items.into_iter().filter_map(|i| match i {
                Value::Map(m) => Some(m),
                _ => None,
            });
            if reverse {
                maps.rev().for_each(f);
            } else {
                maps.for_each(f);
            }
        }
        _ => return Err(want_map()),
    }
    Ok(())
}

/// Go's `base64.StdEncoding.DecodeString` (line breaks ignored), with the bytes then read as
/// `json.Marshal` reads a Go string: each byte of invalid UTF-8 becomes U+FFFD.
fn decode_binary(text: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    let mut pad = 0;
    let mut n = 0;
    for c in text.bytes() {
        let v = match c {
            b'\r' | b'\n' => continue,
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => {
                pad += 1;
                n += 1;
                continue;
            }
            _ => return None,
        };
        if pad > 0 {
            return None;
        }
        n += 1;
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            bytes.push((acc >> bits) as u8);
        }
    }
    // Complete quanta of four, with at most two padding characters matching the data.
    let data = n - pad;
    if n % 4 != 0 || pad > 2 || (pad > 0 && data % 4 + pad != 4) {
        return None;
    }
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        out.extend(std::iter::repeat_n('\u{FFFD}', chunk.invalid().len()));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kyaml(src: &str) -> Value {
        let mut docs = parse_documents(src, Schema::Kyaml).unwrap();
        assert_eq!(docs.len(), 1);
        docs.pop().unwrap()
    }

    fn kyaml_err(src: &str) -> String {
        parse_documents(src, Schema::Kyaml).unwrap_err().to_string()
    }

    fn yaml11(src: &str) -> Value {
        parse_documents(src, Schema::Yaml11).unwrap().pop().unwrap()
    }

    fn int(i: i64) -> Value {
        Value::Int(i)
    }

    fn s(x: &str) -> Value {
        Value::String(x.into())
    }

    #[test]
    fn plain_scalars_keep_their_text_unless_it_is_how_their_value_prints() {
        let v = kyaml(
            "a: 0x1F\nb: 31\nc: ~\nd:\ne: 3.0\nf: 1.5\ng: True\nh: 2001-12-14\ni: null\nj: '0x1F'\n",
        );
        let at = |k: &str| v.get(k).unwrap().clone();
        for (key, text) in [
            ("a", "0x1F"),
            ("c", "~"),
            ("e", "3.0"),
            ("g", "True"),
            ("h", "2001-12-14"),
        ] {
            assert_eq!(at(key), Value::Plain(Str::new(text)), "{key}");
            assert_eq!(at(key).text(), text);
        }
        assert!(matches!(at("b"), Value::Int(31)));
        assert!(matches!(at("d"), Value::Blank));
        assert!(matches!(at("f"), Value::Float(_)));
        assert!(matches!(at("i"), Value::Null));
        assert!(matches!(at("j"), Value::String(_)));
        // Its value is the text resolved: it compares, prints and converts as that value.
        assert_eq!(at("a"), Value::Int(31));
        assert!(at("c").is_null());
        let mut out = String::new();
        crate::emit_document(&v, &mut out).unwrap();
        assert_eq!(
            out,
            "a: 31\nb: 31\nc: null\nd: null\ne: 3\nf: 1.5\ng: true\nh: \"2001-12-14T00:00:00Z\"\ni: null\nj: \"0x1F\"\n"
        );
        let mut resolved = v.clone();
        resolved.resolve_scalars();
        assert!(matches!(resolved.get("a"), Some(Value::Int(31))));
        assert!(matches!(resolved.get("d"), Some(Value::Null)));
    }

    /// Kustomizations are read as YAML 1.1 and never keep plain text.
    #[test]
    fn yaml11_scalars_are_always_resolved() {
        let v = yaml11("a: 0x1F\nb: ~\n");
        assert!(matches!(v.get("a"), Some(Value::Int(31))));
        assert!(matches!(v.get("b"), Some(Value::Null)));
    }

    #[test]
    fn documents() {
        assert!(parse_documents("", Schema::Kyaml).unwrap().is_empty());
        assert_eq!(
            parse_documents("---\n", Schema::Kyaml).unwrap(),
            vec![Value::Null]
        );
        let docs = parse_documents("a: 1\n---\n---\nb: 2\n", Schema::Kyaml).unwrap();
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[1], Value::Null);
    }

    #[test]
    fn tags_checked_with_reference() {
        let v = kyaml(
            "b1: !!binary aGVsbG8=\nb2: !!str ~\nb3: !foo 12\nb5: !!timestamp 2001-12-14\n\
             b6: !!str 2001-12-14\nb7: !!null \"\"\nb9: !!str true\nb10: !!int 0x10\n\
             b11: !!float .5\nb14: !<tag:yaml.org,2002:int> \"7\"\nb15: !!float \"1e3\"\n\
             b16: !!int \"012\"\nb17: !!float 1_0\nb18: !!binary /w==\n",
        );
        let m = v.as_map().unwrap();
        assert_eq!(m["b1"], s("hello"));
        assert_eq!(m["b2"], s("~"));
        assert_eq!(m["b3"], s("12"));
        assert_eq!(m["b5"], s("2001-12-14T00:00:00Z"));
        assert_eq!(m["b6"], s("2001-12-14"));
        assert_eq!(m["b7"], Value::Null);
        assert_eq!(m["b9"], s("true"));
        assert_eq!(m["b10"], int(16));
        assert_eq!(m["b11"], Value::Float(0.5));
        assert_eq!(m["b14"], int(7));
        assert_eq!(m["b15"], Value::Float(1000.0));
        assert_eq!(m["b16"], int(10));
        assert_eq!(m["b17"], Value::Float(10.0));
        assert_eq!(m["b18"], s("\u{FFFD}"));
        assert!(kyaml_err("a: !!bool yes").contains("cannot decode !!str `yes` as a !!bool"));
        assert!(kyaml_err("a: !!int 3.5").contains("cannot decode !!float `3.5` as a !!int"));
        assert!(kyaml_err("a: !!binary \"!!!\"").contains("invalid base64"));
    }

    #[test]
    fn key_errors_wait_for_printing_when_deferred() {
        let docs = parse_documents_deferring(
            "a: 1\nb:\n  0: x\n---\nc: 1\nc: 2\nd: 3\n---\ne: 1\n",
            Schema::Kyaml,
            Context::default(),
        )
        .unwrap();
        assert_eq!(docs.len(), 3);
        let message = |d: &Deferring| match &d.unprintable {
            Some(KeyError::Repeated { message, .. }) => message.clone(),
            Some(KeyError::NonString(e)) => e.to_string(),
            None => String::new(),
        };
        let e0 = message(&docs[0]);
        assert!(e0.contains("non-string key \"0\""), "{e0}");
        assert_eq!(
            docs[0].value.get_path(&["b", "0"]).and_then(Value::as_str),
            Some("x")
        );
        let e1 = message(&docs[1]);
        assert!(
            e1.contains("mapping key \"c\" already defined at line 5"),
            "{e1}"
        );
        // The first value is kept, as kyaml finds a field by its first match.
        assert_eq!(docs[1].value.get("c"), Some(&Value::Int(1)));
        assert!(docs[2].unprintable.is_none());
        // A repeated annotation is no error: its first value is read, its last printed.
        let docs = parse_documents_deferring(
            "metadata:\n  annotations:\n    a: 1\n    a: 2\n    a: 3\n",
            Schema::Kyaml,
            Context::default(),
        )
        .unwrap();
        assert!(docs[0].unprintable.is_none());
        assert_eq!(
            docs[0].value.get_path(&["metadata", "annotations", "a"]),
            Some(&Value::Int(1))
        );
        assert_eq!(docs[0].annotation_shadows.len(), 1);
        assert_eq!(docs[0].annotation_shadows[0].1, Value::Int(3));
    }

    #[test]
    fn first_key_wins_for_patches() {
        let cx = Context {
            first_key_wins: true,
            defer_key_errors: false,
            ..Context::default()
        };
        let src = "a: 1\nb: 2\na: 3\nmetadata:\n  annotations: {x: p, x: q}\n";
        let docs = parse_documents_in(src, Schema::Kyaml, cx).expect("parses");
        let doc = &docs[0];
        assert_eq!(doc.get("a"), Some(&Value::Int(1)));
        assert_eq!(doc.as_map().map(Mapping::len), Some(3));
        let ann = doc.get("metadata").and_then(|m| m.get("annotations"));
        assert_eq!(ann.and_then(|a| a.get("x")), Some(&Value::from("p")));
        // Without it, a repeated key fails (annotations excepted: the last wins there).
        assert!(kyaml_err("a: 1\na: 2\n").contains("already defined"));
    }

    #[test]
    fn quoted_and_block_scalars_are_styled() {
        let v = kyaml("a: x\nb: \"x\"\nc: 'x'\nd: |\n  x\ne: !!str x\n");
        let styled = |k: &str| match v.get(k) {
            Some(Value::String(s)) => s.is_styled(),
            other => panic!("{k}: {other:?}"),
        };
        assert!(!styled("a") && styled("b") && styled("c") && styled("d") && !styled("e"));
    }

    #[test]
    fn keys_checked_with_reference() {
        let v = kyaml("80: x\nyes: a\ntrue: b\n1.5: d\n0x1F: e\n2001-12-14: f\n\"\": g\n");
        let keys: Vec<&str> = v.as_map().unwrap().keys().map(Key::as_str).collect();
        assert_eq!(keys, ["80", "yes", "true", "1.5", "0x1F", "2001-12-14", ""]);
        assert!(kyaml_err("data:\n  80: x\n").contains("json: unsupported type"));
        let e = kyaml_err("data:\n  a: 1\n  a: 2\n");
        assert!(
            e.contains("mapping key \"a\" already defined at line 2"),
            "{e}"
        );
        assert!(e.starts_with("yaml: line 3, column 3"), "{e}");
        // Nested string keys are fine, quoted or not.
        assert_eq!(
            kyaml("d:\n  yes: 1\n  \"80\": 2\n").get_path(&["d", "yes"]),
            Some(&int(1))
        );
    }

    #[test]
    fn yaml11_keys_and_values() {
        let v = yaml11("yes: a\n1.5: b\n0x1F: c\nc: on\nd: 2001-12-14\ne: 012\nc: off\n");
        let m = v.as_map().unwrap();
        assert_eq!(m["true"], s("a"));
        assert_eq!(m["1.5"], s("b"));
        assert_eq!(m["31"], s("c"));
        assert_eq!(m["c"], Value::Bool(false));
        assert_eq!(m["d"], s("2001-12-14"));
        assert_eq!(m["e"], int(10));
        assert!(parse_documents("~: x", Schema::Yaml11).is_err());
    }

    #[test]
    fn merge_keys_checked_with_reference() {
        let v = kyaml(
            "data: &a\n  a: 1\n  b: &b [1, 2]\nd2: *a\nd3:\n  <<: *a\n  c: 3\n  a: 5\n\
             d4:\n  <<: [*a, {z: 1, a: 9}]\nd5: *b\nd6:\n  a: 5\n  <<: *a\n",
        );
        assert_eq!(v.get_path(&["d3", "a"]), Some(&int(5)));
        assert_eq!(v.get_path(&["d3", "c"]), Some(&int(3)));
        assert_eq!(v.get_path(&["d4", "a"]), Some(&int(1)));
        assert_eq!(v.get_path(&["d4", "z"]), Some(&int(1)));
        assert_eq!(v.get_path(&["d6", "a"]), Some(&int(5)));
        assert_eq!(v.get("d5"), Some(&Value::from(vec![int(1), int(2)])));
        // A quoted "<<" is not a merge key, and kyaml then drops it; `!!merge` makes one.
        let v = kyaml(
            "d5:\n  \"<<\": {b: 1}\n  c: 2\nd6:\n  !!merge \"<<\": {b: 1}\nd7:\n  ! <<: {b: 1}\n",
        );
        assert_eq!(
            v.get("d5"),
            Some(&Value::Map(
                [("c".to_string(), int(2))].into_iter().collect()
            ))
        );
        assert_eq!(v.get_path(&["d6", "b"]), Some(&int(1)));
        assert_eq!(v.get_path(&["d7", "b"]), Some(&int(1)));
        assert_eq!(yaml11("\"<<\": 1\n").get("<<"), Some(&int(1)));
        // go-yaml v2 merges in place: a later merge overrides an earlier explicit key.
        let v = yaml11("b: &b {a: 1}\nc:\n  a: 5\n  <<: *b\n");
        assert_eq!(v.get_path(&["c", "a"]), Some(&int(1)));
        assert!(kyaml_err("a: &a 1\nb:\n  <<: *a\n").contains("map merge requires"));
    }

    #[test]
    fn folded_scalars_checked_with_reference() {
        let v = kyaml(
            "a: >-\n  x\n\n  y\n   z\nb: >+\n  k\n\nc: >\n  y\n  z\n   w\n\
             e: >2\n   s\n  y\n\n  z\nf: >2\n   s\n  y\n\n\n  z\n  w\n\
             g: >\n  a\n\n  b\n\n    c\n  d\n\n\nh: >\n  plain\n  folded\n",
        );
        let m = v.as_map().unwrap();
        assert_eq!(m["a"], s("x\ny\n\n z"));
        assert_eq!(m["b"], s("k\n\n\n"));
        assert_eq!(m["c"], s("y z\n\n w\n"));
        assert_eq!(m["e"], s(" s\ny z\n"));
        assert_eq!(m["f"], s(" s\ny\nz w\n"));
        assert_eq!(m["g"], s("a\nb\n\n\n  c\nd\n"));
        assert_eq!(m["h"], s("plain folded\n"));
    }

    #[test]
    fn libyaml_leniency_checked_with_reference() {
        let v = kyaml(
            "d:\n  b: \"x\n  y\"\n  c: 'a\n b''s\n\n c'\n  e: \"p\\\n  q\"\nf: {g: 1,\nh: 2}\ni:\tj\n",
        );
        assert_eq!(v.get_path(&["d", "b"]), Some(&s("x y")));
        assert_eq!(v.get_path(&["d", "c"]), Some(&s("a b's\nc")));
        assert_eq!(v.get_path(&["d", "e"]), Some(&s("pq")));
        assert_eq!(v.get_path(&["f", "h"]), Some(&int(2)));
        assert_eq!(v.get("i"), Some(&s("j")));
        // CRLF line ends.
        let v = kyaml("d:\r\n  b: \"x\r\n  y\"\r\n  c: |\r\n    l1\r\n    l2\r\n");
        assert_eq!(v.get_path(&["d", "b"]), Some(&s("x y")));
        assert_eq!(v.get_path(&["d", "c"]), Some(&s("l1\nl2\n")));
    }

    /// A document of `levels` anchors, each a list of ten aliases of the one before: it
    /// expands to about 10^levels nodes.
    fn alias_chain(levels: usize) -> String {
        let mut src = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..levels {
            let prev = format!("*a{}", i - 1);
            src.push_str(&format!(
                "a{i}: &a{i} [{}]\n",
                [prev.as_str(); 10].join(", ")
            ));
        }
        src
    }

    #[test]
    fn alias_bomb_is_an_error() {
        let e = kyaml_err(&alias_chain(12));
        assert!(e.contains("alias expansion limit exceeded"), "{e}");
    }

    /// Each document has its own alias budget, as upstream (checked with the reference:
    /// fifteen resources of five-level chains build), on both paths.
    #[test]
    fn alias_budget_is_each_documents() {
        let many = vec![alias_chain(5); 15].join("---\n");
        let docs = parse_documents(&many, Schema::Kyaml).expect("fast path");
        assert_eq!(docs.len(), 15);
        assert_eq!(
            parse_full(&many, Schema::Kyaml)
                .expect("granit-parser alone")
                .len(),
            15
        );
        let bomb = [many.as_str(), alias_chain(12).as_str()].join("---\n");
        assert!(kyaml_err(&bomb).contains("alias expansion limit exceeded"));
    }

    #[test]
    fn deep_nesting_is_an_error() {
        // granit-parser stops flow nesting first ("recursion limit exceeded").
        assert!(parse_documents(&"[".repeat(MAX_DEPTH + 1), Schema::Kyaml).is_err());
        let mut block = String::new();
        for i in 0..=MAX_DEPTH {
            block.push_str(&" ".repeat(i));
            block.push_str("a:\n");
        }
        assert!(kyaml_err(&block).contains(MAX_DEPTH_MESSAGE));
        let ok = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let v = kyaml(&ok);
        let mut out = String::new();
        crate::emit_document(&v, &mut out).unwrap();
    }

    #[test]
    fn unknown_anchor_across_documents() {
        let e = parse_documents("a: &x 1\n---\nb: *x\n", Schema::Kyaml).unwrap_err();
        assert!(e.to_string().contains("line 3"), "{e}");
    }
}
