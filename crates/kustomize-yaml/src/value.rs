//! The owned node tree every part of kustomize-rs works on.
//!
//! Upstream works on kyaml nodes (go-yaml v3) from the moment it reads a file until it
//! prints: a scalar keeps its tag, its text as written and its style, and only some steps
//! resolve it. A [`Value`] keeps what those steps and the printer can see, and nothing
//! more, so that one parse feeds the whole build.
//!
//! **Kept.**
//! - A scalar's value, and its *text* where the value does not print as written:
//!   [`Value::Plain`] holds `0x1F`, `~`, `3.0`, `True`, `2001-12-14` as written, resolved
//!   on demand ([`Value::resolved`]). Annotations, names, labels rebuilt from text and
//!   replacements into string fields read that text, as upstream's `yaml.Node.Value`.
//! - Whether a scalar has a tag ([`Str::is_untagged`]: kustomize set it from text with
//!   kyaml's `NewScalarRNode`, so the printer resolves it later), whether it was written
//!   quoted or as a block ([`Str::is_styled`]: a value set over it stays a string), and
//!   whether a YAML 1.1 non-string text was known to be a plain string
//!   ([`Str::is_known_plain`]). These are marks in spare bits of the string's first byte:
//!   they cost no memory and equality ignores them.
//! - `key:` with nothing after it ([`Value::Blank`]: a strategic merge drops it, but keeps
//!   `key: null`), and an empty plain null in a flow collection (`{a: }`), which go-yaml v3
//!   reads as the empty string.
//! - Map entries in input order, exact integers, every key as a string.
//!
//! **Dropped at parse time**, as no step of upstream's shows them in its output:
//! comments, anchors (each alias is a de-anchored copy, as kyaml copies it), the exact
//! style (which quote, which block indicator), flow layout, and the tags of keys.
//!
//! **Where upstream resolves**, this layer resolves too: a JSON 6902 patch round-trips its
//! resource through JSON (numbers through float64), the printer marshals every resource
//! to JSON before go-yaml v2 prints it ([`crate::emit`]), annotations are rebuilt from
//! their text at the end of a build, and generators read data through `GetDataMap`.
//! Places that share one node upstream (a label transformer's new key) are not shared
//! here; the engine records them as linked fields and copies writes between them.

use crate::{Mapping, Str, ThinVec};

/// A YAML sequence: one pointer wide.
pub type Seq = ThinVec<Value>;

/// A resolved YAML node, 16 bytes: a tag byte and a 15-byte text, or a tag and one word.
/// (Numbers are three variants, not one holding a nested number enum, whose tag would
/// leave no room beside the text.)
///
/// [`Value::Null`] and [`Value::Blank`] compare equal and print alike; only a strategic
/// merge tells them apart (upstream drops untouched `key:` fields but keeps `key: null`).
#[derive(Debug, Clone, Default)]
pub enum Value {
    /// `null`, `~`, or a null made by the build.
    #[default]
    Null,
    /// A null written as nothing (`key:` with no value) in a resource.
    Blank,
    /// `true` / `false`.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer above `i64::MAX`.
    UInt(u64),
    /// A floating-point number.
    Float(f64),
    /// Any string, however it was quoted (inline up to 14 bytes).
    String(Str),
    /// A plain scalar kept as text, resolved only when read ([`Value::resolved`], go-yaml
    /// v3's rules). It holds a resource's non-string scalar whose text is not how its
    /// value prints (`0x1F`, `~`, `3.0`, `True`, `2001-12-14`); an [untagged](Str::is_untagged)
    /// scalar kustomize set from text, whatever the text; and the empty plain null of a
    /// flow collection (styled, which resolves to the empty string). Upstream's nodes keep
    /// their text until its output resolves them, and some fields (annotations, names)
    /// print or use the text itself.
    Plain(Str),
    /// A sequence.
    Seq(Seq),
    /// A mapping.
    Map(Mapping),
}

impl Value {
    /// The mapping, if this is one.
    pub fn as_map(&self) -> Option<&Mapping> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The mapping, mutably, if this is one.
    pub fn as_map_mut(&mut self) -> Option<&mut Mapping> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// Replaces every number in the tree (a plain scalar that reads as one too) by `to`
    /// of its value as a float64: what a trip through Go's `encoding/json` into
    /// `interface{}` makes of it (integers past 2^53 lose precision). Walks with a stack
    /// of its own, whatever the depth.
    pub fn numbers_through_float64(&mut self, to: impl Fn(f64) -> Value) {
        let mut stack = vec![self];
        while let Some(v) = stack.pop() {
            match v {
                Value::Seq(items) => stack.extend(items.iter_mut()),
                Value::Map(m) => stack.extend(m.values_mut()),
                _ => {
                    let f = match &*v.resolved() {
                        Value::Int(i) => *i as f64,
                        Value::UInt(u) => *u as f64,
                        Value::Float(f) => *f,
                        _ => continue,
                    };
                    *v = to(f);
                }
            }
        }
    }

    /// Whether this is a number (`Int`, `UInt` or `Float`, or a plain scalar that reads
    /// as one).
    pub fn is_number(&self) -> bool {
        matches!(
            &*self.resolved(),
            Value::Int(_) | Value::UInt(_) | Value::Float(_)
        )
    }

    /// The value this stands for: a [`Value::Plain`] scalar's text resolved as upstream
    /// resolves it when it reads a resource (go-yaml v3; a timestamp becomes its RFC 3339
    /// text, as Go's JSON prints a time); anything else is itself.
    pub fn resolved(&self) -> std::borrow::Cow<'_, Value> {
        match self {
            // An empty null of a flow collection prints as `""` (see the parser).
            Value::Plain(text) if text.is_empty() && text.is_styled() => {
                std::borrow::Cow::Owned(Value::from(""))
            }
            Value::Plain(text) => std::borrow::Cow::Owned(crate::resolve::resource_scalar(text)),
            v => std::borrow::Cow::Borrowed(v),
        }
    }

    /// A scalar's text as upstream's node holds it: a string's value, a plain scalar as
    /// written, a number or boolean as it was written when it printed as its value
    /// (`31`, `1.5`, `true`), `null` for null and nothing for an empty null or a
    /// collection.
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        use std::borrow::Cow;
        match self {
            Value::String(s) | Value::Plain(s) => Cow::Borrowed(s),
            Value::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
            Value::Int(i) => Cow::Owned(i.to_string()),
            Value::UInt(u) => Cow::Owned(u.to_string()),
            Value::Float(f) if f.is_nan() => Cow::Borrowed(".nan"),
            Value::Float(f) if f.is_infinite() => {
                Cow::Borrowed(if *f > 0.0 { ".inf" } else { "-.inf" })
            }
            Value::Float(f) => Cow::Owned(crate::json::go_json_float(*f).unwrap_or_default()),
            Value::Null => Cow::Borrowed("null"),
            Value::Blank | Value::Seq(_) | Value::Map(_) => Cow::Borrowed(""),
        }
    }

    /// Resolves every plain scalar of this tree to its value and every empty null to
    /// `null`: what a round trip through JSON leaves (upstream's JSON patches). Every
    /// scalar is tagged then, and a string is styled exactly when its YAML text needs
    /// quotes or a block (kyaml rebuilds the node from the YAML it prints of the JSON).
    pub fn resolve_scalars(&mut self) {
        let mut stack = vec![self];
        while let Some(v) = stack.pop() {
            match v {
                Value::String(s) => {
                    s.mark_untagged(false);
                    let styled = !crate::emit::prints_plain(s);
                    s.mark_styled(styled);
                }
                Value::Plain(_) => {
                    *v = match v.resolved().into_owned() {
                        Value::Blank => Value::Null,
                        resolved => resolved,
                    }
                }
                Value::Blank => *v = Value::Null,
                Value::Seq(items) => stack.extend(items.iter_mut()),
                Value::Map(m) => stack.extend(m.values_mut()),
                _ => {}
            }
        }
    }

    /// The sequence, if this is one.
    pub fn as_seq(&self) -> Option<&Seq> {
        match self {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// The sequence, mutably, if this is one.
    pub fn as_seq_mut(&mut self) -> Option<&mut Seq> {
        match self {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// Makes this the string `text` (a `!!str` node, as kyaml's `NewStringRNode`), reusing
    /// the text's heap block if it is a string already ([`Str::set`]); a quoted or block
    /// scalar keeps that style, as kyaml's field setter keeps it.
    pub fn set_str(&mut self, text: &str) {
        match self {
            Value::String(s) => {
                s.set(text);
                s.mark_untagged(false);
            }
            other => *other = Value::from(text),
        }
    }

    /// Sets this scalar to `text` as kyaml's `SetScalar` does (images, name prefixes and
    /// suffixes): a new node without a tag that takes the old one's style. Over a quoted
    /// or block scalar the text stays a string; otherwise it is [`untagged`], so its text
    /// resolves when the resource prints (a prefixed name `0` + `x1` prints `name: 0x1`
    /// as the number 1).
    ///
    /// [`untagged`]: crate::resolve::untagged
    pub fn set_scalar(&mut self, text: &str) {
        match self {
            Value::String(s) if s.has_quotes() => {
                s.set(text);
                s.mark_styled(true);
                s.mark_untagged(true);
            }
            other => *other = crate::resolve::untagged(text),
        }
    }

    /// Whether this is `Null` (or a plain scalar that reads as null: `~`, `Null`).
    pub fn is_null(&self) -> bool {
        match self {
            Value::Null | Value::Blank => true,
            Value::Plain(t) => crate::resolve::is_null_text(t),
            _ => false,
        }
    }

    /// `self[key]` for a mapping; `None` for anything else or a missing key.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_map()?.get(key)
    }

    /// Mutable `self[key]` for a mapping.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.as_map_mut()?.get_mut(key)
    }

    /// Follows a path of mapping keys.
    pub fn get_path(&self, path: &[&str]) -> Option<&Value> {
        path.iter().try_fold(self, |v, k| v.get(k))
    }

    /// The string at a path of mapping keys.
    pub fn str_at(&self, path: &[&str]) -> Option<&str> {
        self.get_path(path)?.as_str()
    }

    /// The tree's [`Size`], measured without recursion.
    pub fn size(&self) -> Size {
        let mut size = Size::default();
        let mut stack: Vec<(&Value, usize)> = vec![(self, 0)];
        while let Some((v, depth)) = stack.pop() {
            size.cost = size.cost.saturating_add(1);
            match v {
                Value::String(s) | Value::Plain(s) => {
                    size.cost = size.cost.saturating_add(s.len() / 64)
                }
                Value::Seq(items) => {
                    size.depth = size.depth.max(depth + 1);
                    stack.extend(items.iter().map(|i| (i, depth + 1)));
                }
                Value::Map(m) => {
                    size.depth = size.depth.max(depth + 1);
                    for (k, i) in m {
                        size.cost = size.cost.saturating_add(1 + k.len() / 64);
                        stack.push((i, depth + 1));
                    }
                }
                _ => {}
            }
        }
        size
    }

    /// A short name of the node's type, for error messages (`map`, `seq`, `string`, ...).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Plain(_) => self.resolved().type_name(),
            Value::Null | Value::Blank => "null",
            Value::Bool(_) => "bool",
            Value::Float(_) => "float",
            Value::Int(_) | Value::UInt(_) => "int",
            Value::String(_) => "string",
            Value::Seq(_) => "seq",
            Value::Map(_) => "map",
        }
    }
}

/// How much a tree weighs: what copying it costs, and how deep it nests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Size {
    /// One per node (scalar, collection, mapping key), plus one per 64 bytes of each
    /// string and key: the unit of the alias and build budgets.
    pub cost: usize,
    /// Collections nested: 0 for a scalar, 1 for a collection of scalars, and so on.
    pub depth: usize,
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Value::Null | Value::Blank, Value::Null | Value::Blank) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::UInt(a), Value::UInt(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Plain(a), Value::Plain(b)) if a == b => true,
            (Value::Plain(_), _) | (_, Value::Plain(_)) => *self.resolved() == *other.resolved(),
            (Value::Seq(a), Value::Seq(b)) => crate::stack::deeper(|| a == b),
            (Value::Map(a), Value::Map(b)) => crate::stack::deeper(|| a == b),
            _ => false,
        }
    }
}

/// A value serialises as the data upstream's JSON form of it holds: plain scalars
/// resolved (`0x1F` is 31), nulls as unit, mappings with string keys in order. Deep trees
/// are walked on as much stack as they need ([`crate::stack::deeper`]).
impl serde::Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        crate::stack::deeper(|| match self {
            Value::Null | Value::Blank => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Int(i) => serializer.serialize_i64(*i),
            Value::UInt(u) => serializer.serialize_u64(*u),
            Value::Float(f) => serializer.serialize_f64(*f),
            Value::String(s) => serializer.serialize_str(s),
            Value::Plain(_) => self.resolved().serialize(serializer),
            Value::Seq(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items.iter() {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Map(m) => {
                let mut map = serializer.serialize_map(Some(m.len()))?;
                for (k, v) in m.iter() {
                    map.serialize_entry(k.as_str(), v)?;
                }
                map.end()
            }
        })
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.into())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s.into())
    }
}

impl From<Str> for Value {
    fn from(s: Str) -> Self {
        Value::String(s)
    }
}

impl From<compact_str::CompactString> for Value {
    fn from(s: compact_str::CompactString) -> Self {
        Value::String(s.into())
    }
}

impl From<Seq> for Value {
    fn from(s: Seq) -> Self {
        Value::Seq(s)
    }
}

impl From<Mapping> for Value {
    fn from(m: Mapping) -> Self {
        Value::Map(m)
    }
}

impl From<Vec<Value>> for Value {
    fn from(s: Vec<Value>) -> Self {
        Value::Seq(s.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_scalar_is_untagged_in_the_old_style() {
        let mut plain = Value::from("e");
        plain.set_scalar("0x13");
        assert!(matches!(&plain, Value::Plain(s) if s.is_untagged()));
        assert_eq!(*plain.resolved(), Value::Int(19));
        assert_eq!(plain.text(), "0x13");
        let mut quoted = Value::String(Str::new("e").styled(true));
        quoted.set_scalar("0x13");
        assert!(matches!(&quoted, Value::String(s) if s.is_styled() && s.is_untagged()));
        let mut word = Value::Int(3);
        word.set_scalar("nginx");
        assert!(matches!(&word, Value::String(s) if s.is_untagged() && !s.is_styled()));
        // A tagged string write drops the untagged mark and keeps the style.
        quoted.set_str("x");
        assert!(matches!(&quoted, Value::String(s) if s.is_styled() && !s.is_untagged()));
    }

    #[test]
    fn json_round_trip_tags_everything() {
        let mut v = Value::Seq(
            vec![
                crate::resolve::untagged("80"),
                Value::String(Str::new("abc").untagged(true).styled(true)),
                Value::from("80"),
            ]
            .into(),
        );
        v.resolve_scalars();
        let items = v.as_seq().expect("a list");
        assert_eq!(items[0], Value::Int(80));
        assert!(matches!(&items[1], Value::String(s) if !s.is_untagged() && !s.is_styled()));
        assert!(matches!(&items[2], Value::String(s) if s.is_styled()));
    }

    /// A build holds every node of a tree at once: keep the node small.
    #[test]
    fn node_stays_small() {
        assert_eq!(std::mem::size_of::<Value>(), 16);
        assert_eq!(std::mem::size_of::<(crate::Key, Value)>(), 24);
    }
}
