//! [`FieldSpec`]: where in which kinds a transformer acts, and the walk that reaches those
//! fields in a resource (upstream's `filters/fieldspec`).
//!
//! A path is `/`-separated (`\/` escapes a slash). Walking it: a sequence applies the rest
//! of the path to each element; a map looks the next field up and, when the spec says
//! `create: true`, creates it (a map on the way, the requested kind at the end; a `null`
//! field is replaced the same way); a `null` stops the walk; a segment ending in `[]` names
//! a sequence that is never created. Reaching a scalar with path left is an error.

use kustomize_yaml::{Mapping, Seq, Value};

use crate::resid::Gvk;

/// A field of some kinds: the Gvk selector (empty parts match anything), the path, and
/// whether a missing field is created.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldSpec {
    /// Which resources: non-empty parts must equal the resource's.
    pub gvk: Gvk,
    /// `/`-separated path (shared: the tables are cloned into every kustomization).
    pub path: std::sync::Arc<str>,
    /// Create the field when missing.
    pub create: bool,
}

impl FieldSpec {
    /// Whether a map set at this path could hold an id field (`path_may_touch_id`: the
    /// root, `metadata`, a path through one of them, or a wildcard where one could be).
    pub fn may_touch_id(&self) -> bool {
        let segs = split_path(&self.path, '/');
        path_may_touch_id(&segs)
    }
}

/// Whether a field path (its segments) could reach an id field: the root (`apiVersion`,
/// `kind`), `metadata` (`name`, `namespace`), a path through one of them, or a wildcard
/// where one of them could be.
pub(crate) fn path_may_touch_id<S: AsRef<str>>(segs: &[S]) -> bool {
    let first = segs.first().map(AsRef::as_ref);
    let second = segs.get(1).map(AsRef::as_ref);
    match first {
        None | Some("" | "apiVersion" | "kind" | "*") => true,
        Some("metadata") => matches!(second, None | Some("name" | "namespace" | "*")),
        Some(_) => false,
    }
}

impl From<&crate::kustomization::FieldSpec> for FieldSpec {
    fn from(f: &crate::kustomization::FieldSpec) -> Self {
        FieldSpec {
            gvk: Gvk::new(&f.group, &f.version, &f.kind),
            path: f.path.as_str().into(),
            create: f.create,
        }
    }
}

/// What a walk creates at the end of a missing path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Create {
    /// An empty string scalar.
    Scalar,
    /// An empty map.
    Map,
    /// An empty sequence.
    Seq,
}

impl Create {
    fn make(self) -> Value {
        match self {
            Create::Scalar => Value::from(String::new()),
            Create::Map => Value::Map(Mapping::default()),
            Create::Seq => Value::Seq(Seq::new()),
        }
    }
}

impl FieldSpec {
    /// A spec for any kind.
    pub fn any_kind(path: &str, create: bool) -> Self {
        FieldSpec {
            gvk: Gvk::default(),
            path: path.into(),
            create,
        }
    }

    /// Whether this spec applies to a resource of `gvk`.
    pub fn applies_to(&self, gvk: &Gvk) -> bool {
        gvk.is_selected_by(&self.gvk)
    }

    /// The path's segments.
    pub fn segments(&self) -> Vec<String> {
        split_path(&self.path, '/')
    }

    /// Upstream's `effectivelyEquals`: same path, and `other`'s Gvk selects this one's.
    pub fn effectively_equals(&self, other: &FieldSpec) -> bool {
        self.path == other.path && self.gvk.is_selected_by(&other.gvk)
    }

    /// Calls `set` on every node this spec's path reaches in `obj` (a resource of `gvk`),
    /// creating missing fields as the spec allows (`create` says what to make at the end;
    /// `None` never creates).
    pub fn apply(
        &self,
        obj: &mut Value,
        gvk: &Gvk,
        create: Option<Create>,
        set: &mut dyn FnMut(&mut Value) -> Result<(), String>,
    ) -> Result<(), String> {
        self.apply_at(obj, gvk, create, &mut |node, _| set(node))
    }

    /// [`FieldSpec::apply`], telling `set` the index taken at each sequence on the way.
    pub fn apply_at(
        &self,
        obj: &mut Value,
        gvk: &Gvk,
        create: Option<Create>,
        set: &mut SetAt<'_>,
    ) -> Result<(), String> {
        if !self.applies_to(gvk) {
            return Ok(());
        }
        let create = if self.create { create } else { None };
        let mut walker = Walker {
            create,
            set,
            indices: Vec::new(),
        };
        let result = if self.path.contains('\\') {
            let owned = self.segments();
            let segs: Vec<&str> = owned.iter().map(String::as_str).collect();
            walker.walk(obj, Rest::Split(&segs), 0)
        } else {
            // Called for every resource and spec: the path is read in place.
            let path = self.path.trim_start_matches('/');
            walker.walk(obj, Rest::Slashed(Some(path)), 0)
        };
        result.map_err(|e| format!("considering field '{}': {e}", self.path))
    }
}

/// What is left of a field path to walk.
#[derive(Clone, Copy)]
enum Rest<'p> {
    /// Segments separated by `/` (no escapes), or none left.
    Slashed(Option<&'p str>),
    /// Segments already split (a path with escaped `/`).
    Split(&'p [&'p str]),
}

impl<'p> Rest<'p> {
    /// The next segment and what follows it.
    fn next(self) -> Option<(&'p str, Rest<'p>)> {
        match self {
            Rest::Slashed(None) => None,
            Rest::Slashed(Some(path)) => Some(match path.split_once('/') {
                Some((head, rest)) => (head, Rest::Slashed(Some(rest))),
                None => (path, Rest::Slashed(None)),
            }),
            Rest::Split(segs) => segs
                .split_first()
                .map(|(head, rest)| (*head, Rest::Split(rest))),
        }
    }
}

/// Splits on `delim`, joining a segment ending in `\` with the next (upstream's
/// `PathSplitter`); a leading delimiter is ignored.
pub fn split_path(path: &str, delim: char) -> Vec<String> {
    let mut parts: Vec<&str> = path.split(delim).collect();
    if parts.len() > 1 && parts[0].is_empty() {
        parts.remove(0);
    }
    let mut out: Vec<String> = Vec::with_capacity(parts.len());
    for p in parts {
        match out.last_mut() {
            Some(last) if last.ends_with('\\') => {
                last.pop();
                last.push(delim);
                last.push_str(p);
            }
            _ => out.push(p.to_owned()),
        }
    }
    out
}

/// What a walk calls at each node it reaches, with the sequence indices taken.
pub type SetAt<'a> = dyn FnMut(&mut Value, &[u32]) -> Result<(), String> + 'a;

/// A walk of one field spec's path: what to create, what to call at the end, and the
/// sequence indices taken so far.
struct Walker<'s> {
    create: Option<Create>,
    set: &'s mut SetAt<'s>,
    indices: Vec<u32>,
}

impl Walker<'_> {
    /// Calls `set` on every node `path` leads to from `obj` (at `depth` below the root),
    /// creating fields as `create` says.
    fn walk(&mut self, obj: &mut Value, path: Rest<'_>, depth: usize) -> Result<(), String> {
        kustomize_yaml::stack::deeper_at(depth, || self.walk_here(obj, path, depth))
    }

    /// [`Walker::walk`] at one node.
    fn walk_here(&mut self, obj: &mut Value, path: Rest<'_>, depth: usize) -> Result<(), String> {
        let Some((head, rest)) = path.next() else {
            return (self.set)(obj, &self.indices);
        };
        match obj {
            Value::Null | Value::Blank => Ok(()),
            Value::Seq(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    self.indices.push(u32::try_from(i).unwrap_or(u32::MAX));
                    let result = self.walk(item, path, depth + 1);
                    self.indices.pop();
                    result?;
                }
                Ok(())
            }
            Value::Map(map) => {
                let (name, is_seq) = match head.strip_suffix("[]") {
                    Some(name) => (name, true),
                    None => (head, false),
                };
                if name.is_empty() {
                    return Err("cannot set or create an empty field name".into());
                }
                let make = match self.create {
                    Some(kind) if !is_seq => Some(if rest.next().is_none() {
                        kind
                    } else {
                        Create::Map
                    }),
                    _ => None,
                };
                let field = match make {
                    None => match map.get_mut(name) {
                        // A `name[]` field that is null becomes an empty sequence, as
                        // upstream.
                        Some(f) if is_seq && f.is_null() => {
                            *f = Value::Seq(Seq::new());
                            f
                        }
                        Some(f) => f,
                        None => return Ok(()),
                    },
                    Some(kind) => {
                        if !map.contains_key(name) {
                            // A created field is most often the only one its map gains (a
                            // namespace): grow by one, not by half.
                            map.reserve_exact(1);
                        }
                        let f = map.entry(name).or_insert(Value::Null);
                        if f.is_null() {
                            *f = kind.make();
                        }
                        f
                    }
                };
                self.walk(field, rest, depth + 1)
            }
            _ => Err("expected sequence or mapping node".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: Vec<(&str, Value)>) -> Value {
        Value::Map(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    #[test]
    fn only_paths_at_or_through_id_fields_may_touch_ids() {
        let spec = |path: &str| FieldSpec {
            gvk: Gvk::default(),
            path: path.into(),
            create: true,
        };
        for path in [
            "",
            "metadata",
            "/metadata",
            "kind",
            "metadata/name/x",
            "metadata/namespace",
        ] {
            assert!(spec(path).may_touch_id(), "{path}");
        }
        for path in [
            "metadata/labels",
            "spec/template/metadata",
            "metadata/name\\/x",
        ] {
            assert!(!spec(path).may_touch_id(), "{path}");
        }
    }

    #[test]
    fn split_path_honours_escapes() {
        assert_eq!(split_path("a/b\\/c/d", '/'), ["a", "b/c", "d"]);
        assert_eq!(split_path("/a/b", '/'), ["a", "b"]);
    }

    #[test]
    fn walk_visits_sequence_elements_and_creates() {
        let mut obj = map(vec![(
            "spec",
            map(vec![(
                "containers",
                Value::from(vec![map(vec![("name", "a".into())]), map(vec![])]),
            )]),
        )]);
        let spec = FieldSpec::any_kind("spec/containers/image", true);
        let mut n = 0;
        spec.apply(&mut obj, &Gvk::default(), Some(Create::Scalar), &mut |v| {
            n += 1;
            *v = Value::from("x");
            Ok(())
        })
        .unwrap();
        assert_eq!(n, 2);
        assert_eq!(
            obj.get_path(&["spec", "containers"])
                .unwrap()
                .as_seq()
                .unwrap()[1],
            map(vec![("image", "x".into())])
        );
    }

    #[test]
    fn no_create_stops_at_missing_fields() {
        let mut obj = map(vec![]);
        let spec = FieldSpec::any_kind("metadata/labels", false);
        spec.apply(&mut obj, &Gvk::default(), Some(Create::Map), &mut |_| {
            Err("must not be called".into())
        })
        .unwrap();
        assert_eq!(obj, map(vec![]));
    }

    #[test]
    fn scalar_on_the_way_is_an_error() {
        let mut obj = map(vec![("metadata", "x".into())]);
        let spec = FieldSpec::any_kind("metadata/labels", true);
        assert!(spec
            .apply(
                &mut obj,
                &Gvk::default(),
                Some(Create::Map),
                &mut |_| Ok(())
            )
            .is_err());
    }

    proptest::proptest! {
        /// A path read in place yields the segments splitting it on `/` gives, empty ones
        /// included.
        #[test]
        fn path_read_in_place_splits_alike(path in "[a/]{0,8}") {
            let mut read = Vec::new();
            let mut rest = Rest::Slashed(Some(&path));
            while let Some((head, next)) = rest.next() {
                read.push(head);
                rest = next;
            }
            proptest::prop_assert_eq!(read, path.split('/').collect::<Vec<_>>());
        }
    }
}
