//! Strategic merge patches, as upstream kustomize v5.7.1 applies them.
//!
//! Upstream does not use apimachinery's strategic merge here: `patchstrategicmerge.Filter`
//! runs kyaml's `merge2.Merge(patch, resource)` with the OpenAPI schema and the *prepend* list
//! direction, a walk over both trees at once. Its rules, all observed with the reference:
//!
//! - Maps merge field by field, in sorted field order; a field the patch sets to `null` is
//!   removed, and so is any `null` inside a subtree the patch adds. A field whose value in
//!   the resource is an explicit `null` and that the patch does not mention stays.
//! - Scalars and lists the schema does not mark `merge` (every list of a kind the schema does
//!   not know: custom resources) are replaced by the patch's value, directives and all.
//! - Associative lists (`x-kubernetes-patch-strategy: merge`) merge element by element, keyed by
//!   `x-kubernetes-list-map-keys` or else `x-kubernetes-patch-merge-key` (ports: `containerPort`
//!   *and* `protocol`), or by the element's value for lists of scalars (`finalizers`). The
//!   result lists the patch's elements first, in patch order, then the resource's other
//!   elements; an element present on both sides takes the resource's position among the
//!   patch's ones. Elements compare by the *text* of their key fields.
//! - Directives: `$patch: delete | replace | merge` on maps and (as a lone `{$patch: ...}`
//!   element) on associative lists; `$patch: delete` on an element removes it. Nothing else:
//!   `$retainKeys`, `$setElementOrder/...` and `$deleteFromPrimitiveList/...` are ordinary
//!   fields to upstream and end up in the output. `$patch: replace` on a list *element* is a
//!   no-op (the resource's element is put back), as is a patch with `$patch: replace` at the
//!   top.
//! - Elements missing a merge key, a patch port without `protocol` matching a resource port
//!   with one, and similar corner cases follow kyaml's bookkeeping exactly (often surprising:
//!   a patch element without `name` in `containers` empties the list).
//!
//! The walk is a port of kyaml's `walk.Walker` + `merge2.Merger` over an arena of nodes, so
//! that nodes shared between the two trees behave as the pointers they are upstream. Common
//! associative lists (every element keyed, keys unique) take a linear path that produces the
//! same result as the general one, which is quadratic like upstream's.

use std::collections::{HashMap, HashSet};

use kustomize_yaml::mapping::Map;
use kustomize_yaml::resolve::{go_format_float64, is_yaml11_non_string, resolve_v3, Resolved};
use kustomize_yaml::{CompactString, Key, Mapping, Str, ToCompactString, Value};

use super::schema::{FieldSchema, Schema};

/// Applies strategic-merge patch `patch` to resource `target` as upstream's
/// `patchstrategicmerge.Filter` does. When the patch deletes the resource (`$patch: delete`
/// at the top), `target` becomes `Value::Null`. The name/kind/namespace restoration of
/// upstream's `Resource.ApplySmPatch` is the caller's.
///
/// The schema for the resource is looked up, as upstream does, by the `apiVersion` and
/// `kind` in the documents themselves (the resource's first, then the patch's).
pub fn merge(target: &mut Value, patch: &Value, schema: &Schema) -> Result<(), String> {
    merge_with(target, patch, None, schema, &mut Scratch::default())
}

/// Buffers that merges of one patch into many resources pass on: the node arena, and the
/// maps, lists and key lists of earlier nodes (cleared, their room kept).
#[derive(Default)]
pub struct Scratch {
    nodes: Vec<Node>,
    sources: Vec<usize>,
    spare: Spare,
}

/// Emptied buffers for the next nodes to fill.
#[derive(Default)]
struct Spare {
    names: Vec<Vec<Key>>,
    maps: Vec<NodeMap>,
    seqs: Vec<Vec<Id>>,
}

impl Spare {
    /// Buffers kept of each sort, at most (a merge holds as many as its nodes).
    const MAX: usize = 1024;
}

/// [`merge`], with buffers from earlier merges; `patch_api_version`, when given, stands for
/// the patch's own `apiVersion` (none when empty), so that one patch is applied to many
/// resources without a copy for each.
pub fn merge_with(
    target: &mut Value,
    patch: &Value,
    patch_api_version: Option<&str>,
    schema: &Schema,
    scratch: &mut Scratch,
) -> Result<(), String> {
    let mut m = Merger {
        nodes: std::mem::take(&mut scratch.nodes),
        sources: std::mem::take(&mut scratch.sources),
        schema,
        linear: true,
        spare: std::mem::take(&mut scratch.spare),
    };
    let dest = m.import(target);
    let origin = m.import(patch);
    if let Some(api_version) = patch_api_version {
        if matches!(m.nodes[origin], Node::Map(_)) {
            let value =
                (!api_version.is_empty()).then(|| m.alloc(Node::Scalar(Value::from(api_version))));
            m.set_field(origin, "apiVersion", value);
        }
    }
    let result = m
        .walk(None, [Some(dest), Some(origin)])
        .map(|merged| match merged {
            None => *target = Value::Null,
            Some(r) if r == dest => m.export_into(dest, target),
            // Upstream keeps the resource node it patched in place; a merge that returns another
            // node (the patch, for `$patch: replace` at the top) leaves the resource unchanged.
            Some(_) => {}
        });
    m.recycle();
    (scratch.nodes, scratch.sources, scratch.spare) = (m.nodes, m.sources, m.spare);
    result
}

type Id = usize;

/// Positions of a list's elements by address (searched linearly in short lists).
enum SourcePositions {
    Few(Vec<usize>),
    Many(HashMap<usize, usize>),
}

impl SourcePositions {
    fn of(list: &[Value]) -> Self {
        let addresses = list.iter().map(|v| std::ptr::from_ref(v) as usize);
        if list.len() <= 16 {
            SourcePositions::Few(addresses.collect())
        } else {
            SourcePositions::Many(addresses.zip(0..).collect())
        }
    }

    /// The position of the element at `address`; none for 0 (a node the merge made).
    fn find(&self, address: usize) -> Option<usize> {
        match self {
            _ if address == 0 => None,
            SourcePositions::Few(addresses) => addresses.iter().position(|&a| a == address),
            SourcePositions::Many(positions) => positions.get(&address).copied(),
        }
    }
}

/// A scalar's text as kyaml compares it (inline up to 24 bytes: list keys are short).
type Text = CompactString;

/// A map node's entries, in order: a [`Map`] of node ids (searched linearly while small,
/// through a hash index of positions past that, as a [`Mapping`] is).
type NodeMap = Map<Id>;

/// A YAML node. Scalars keep their resolved value; their *text* (what kyaml compares) is
/// derived from it.
#[derive(Debug, Clone)]
enum Node {
    /// A non-null scalar.
    Scalar(Value),
    /// A null (kyaml's `IsTaggedNull`: `null`, `~`, `Null`, `NULL` or nothing), as it was
    /// written; `keep` marks the null kyaml creates to keep an explicit `null` of the
    /// resource that the patch does not mention.
    Null {
        keep: bool,
        value: Value,
    },
    Map(NodeMap),
    Seq(Vec<Id>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Map,
    Seq,
    Scalar,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Map => "MappingNode",
            Kind::Seq => "SequenceNode",
            Kind::Scalar => "ScalarNode",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Directive {
    Unknown,
    Replace,
    Delete,
    Merge,
}

type Sources = [Option<Id>; 2];
const DEST: usize = 0;
const ORIGIN: usize = 1;

struct Merger<'s> {
    nodes: Vec<Node>,
    /// For each node, the address of the value it was imported from (0 for nodes the merge
    /// made): lets the result reuse the resource's own values where a list changed length.
    sources: Vec<usize>,
    schema: &'s Schema,
    /// Whether associative lists may take the linear path (tests turn it off to compare).
    linear: bool,
    /// Buffers of finished nodes and map walks, for the next ones to fill.
    spare: Spare,
}

impl<'s> Merger<'s> {
    // ---- arena ----

    fn alloc(&mut self, n: Node) -> Id {
        self.nodes.push(n);
        self.sources.push(0);
        self.nodes.len() - 1
    }

    /// Empties the arena, keeping the buffers of its maps and lists.
    fn recycle(&mut self) {
        self.sources.clear();
        for node in self.nodes.drain(..) {
            match node {
                Node::Map(mut map) if self.spare.maps.len() < Spare::MAX => {
                    map.clear();
                    self.spare.maps.push(map);
                }
                Node::Seq(mut ids) if self.spare.seqs.len() < Spare::MAX => {
                    ids.clear();
                    self.spare.seqs.push(ids);
                }
                _ => {}
            }
        }
    }

    fn import(&mut self, v: &Value) -> Id {
        kustomize_yaml::stack::deeper(|| self.import_here(v))
    }

    /// [`Merger::import`] at one level.
    fn import_here(&mut self, v: &Value) -> Id {
        let node = match v {
            Value::Null | Value::Blank => Node::Null {
                keep: false,
                value: v.clone(),
            },
            Value::Plain(t) if kustomize_yaml::resolve::is_null_text(t) => Node::Null {
                keep: false,
                value: v.clone(),
            },
            Value::Map(m) => {
                let mut out = self.spare.maps.pop().unwrap_or_default();
                out.reserve(m.len());
                for (k, v) in m {
                    let id = self.import(v);
                    out.insert(k.clone(), id);
                }
                Node::Map(out)
            }
            Value::Seq(s) => {
                let mut ids = self.spare.seqs.pop().unwrap_or_default();
                ids.reserve(s.len());
                for v in s {
                    let id = self.import(v);
                    ids.push(id);
                }
                Node::Seq(ids)
            }
            scalar => Node::Scalar(scalar.clone()),
        };
        let id = self.alloc(node);
        self.sources[id] = std::ptr::from_ref(v) as usize;
        id
    }

    fn export(&self, id: Id) -> Value {
        kustomize_yaml::stack::deeper(|| self.export_here(id))
    }

    /// [`Merger::export`] at one level.
    fn export_here(&self, id: Id) -> Value {
        match &self.nodes[id] {
            Node::Scalar(v) => v.clone(),
            Node::Null { value, .. } => value.clone(),
            Node::Map(m) => {
                let mut out = Mapping::with_capacity(m.len());
                for (k, &v) in m {
                    out.insert(k.clone(), self.export(v));
                }
                Value::Map(out)
            }
            Node::Seq(s) => Value::Seq(s.iter().map(|&v| self.export(v)).collect()),
        }
    }

    /// Writes node `id` into `into` (which holds what `id` was imported from): the result
    /// equals [`Merger::export`]'s, but a mapping whose keys stay the same, in the same
    /// order, and a sequence of the same length are updated in place, a mapping whose keys
    /// changed reuses the old values of its keys, and a sequence of another length reuses
    /// the old elements its nodes were imported from (by address). A patch touches a resource in a few
    /// places, so most of its allocations are kept (and the time and memory of copying it).
    fn export_into(&self, id: Id, into: &mut Value) {
        kustomize_yaml::stack::deeper(|| self.export_into_here(id, into))
    }

    /// [`Merger::export_into`] at one level.
    fn export_into_here(&self, id: Id, into: &mut Value) {
        match (&self.nodes[id], into) {
            (Node::Map(m), Value::Map(old))
                if old.len() == m.len() && old.keys().zip(m.keys()).all(|(a, b)| a == b) =>
            {
                for (slot, &child) in old.values_mut().zip(m.values()) {
                    self.export_into(child, slot);
                }
            }
            (Node::Map(m), Value::Map(old)) => {
                // Rebuilt in the mapping's own allocation (grown if need be): a fresh one
                // would come from this thread's malloc arena and leave the old block a
                // hole in the parsing thread's, which nothing allocates from again.
                let mut prior = old.take_exact();
                old.reserve_exact(m.len());
                for (k, &child) in m {
                    let mut value = prior.get_mut(k).map(std::mem::take).unwrap_or_default();
                    self.export_into(child, &mut value);
                    old.insert(k.clone(), value);
                }
            }
            (Node::Seq(s), Value::Seq(old)) if old.len() == s.len() => {
                for (slot, &child) in old.iter_mut().zip(s) {
                    self.export_into(child, slot);
                }
            }
            (Node::Seq(s), Value::Seq(old)) => {
                // A list of another length (a patch added or removed elements): each
                // element imported from this list is moved to its new place and updated
                // there, the others are exported afresh.
                // Rebuilt in the list's own allocation, as a mapping is above.
                let at = SourcePositions::of(old);
                let mut prior = kustomize_yaml::Seq::with_capacity(old.len());
                prior.append(old);
                old.reserve_exact(s.len());
                for &child in s {
                    let mut value = at
                        .find(self.sources[child])
                        .map(|j| std::mem::take(&mut prior[j]))
                        .unwrap_or_default();
                    self.export_into(child, &mut value);
                    old.push(value);
                }
            }
            (_, into) => *into = self.export(id),
        }
    }

    fn node(&self, id: Id) -> &Node {
        &self.nodes[id]
    }

    /// `yaml.IsMissingOrNull`.
    fn missing_or_null(&self, id: Option<Id>) -> bool {
        id.is_none_or(|id| matches!(self.nodes[id], Node::Null { .. }))
    }

    fn is_null(&self, id: Id) -> bool {
        matches!(self.nodes[id], Node::Null { .. })
    }

    fn is_empty_map(&self, id: Id) -> bool {
        matches!(&self.nodes[id], Node::Map(m) if m.is_empty())
    }

    fn kind(&self, id: Id) -> Kind {
        match self.nodes[id] {
            Node::Map(_) => Kind::Map,
            Node::Seq(_) => Kind::Seq,
            Node::Scalar(_) | Node::Null { .. } => Kind::Scalar,
        }
    }

    /// The node's text (`yaml.Node.Value`): a scalar's text, empty for maps and lists.
    fn text(&self, id: Id) -> Text {
        match &self.nodes[id] {
            Node::Scalar(v) => scalar_text(v),
            Node::Null { value, .. } => value.text().as_ref().into(),
            Node::Map(_) | Node::Seq(_) => Text::default(),
        }
    }

    /// `IsNilOrEmpty` of a node: null, `{}` or `[]`.
    fn nil_or_empty(&self, id: Id) -> bool {
        match &self.nodes[id] {
            Node::Null { .. } => true,
            Node::Map(m) => m.is_empty(),
            Node::Seq(s) => s.is_empty(),
            Node::Scalar(_) => false,
        }
    }

    /// `RNode.Field(name).Value`: None for non-maps and missing fields.
    fn field(&self, id: Option<Id>, name: &str) -> Option<Id> {
        match self.nodes.get(id?)? {
            Node::Map(m) => m.get(name).copied(),
            _ => None,
        }
    }

    fn seq(&self, id: Id) -> &[Id] {
        match &self.nodes[id] {
            Node::Seq(s) => s,
            _ => &[],
        }
    }

    fn set_seq(&mut self, id: Id, content: Vec<Id>) {
        self.nodes[id] = Node::Seq(content);
    }

    fn kind_error(&self, expected: Kind, id: Id) -> String {
        let mut contents = String::new();
        let _ = kustomize_yaml::emit_document(&self.export(id), &mut contents);
        format!(
            "wrong node kind: expected {} but got {}: node contents:\n{}",
            expected.name(),
            self.kind(id).name(),
            contents.trim_end_matches('\n')
        )
    }

    /// `yaml.FieldSetter{Name, Value}` on map `dest`.
    ///
    /// The setter first quotes a plain string or untagged value whose text YAML 1.1 reads
    /// as a non-string ([`quote_yaml11_non_string`]); then, over an existing field, the new
    /// node takes that field's style, so a value set over a quoted field stays a string
    /// (`7` over `"x"` prints `"7"`) and one set over a plain field loses the quoting. The
    /// walk re-sets every field of the maps it visits with its own node, which is how a
    /// patch quotes an image or prefixed name that reads as a number.
    fn set_field(&mut self, dest: Id, name: &str, val: Option<Id>) {
        let clear = match val {
            None => true,
            Some(v) => matches!(self.nodes[v], Node::Null { keep: false, .. }),
        };
        let existing = self.field(Some(dest), name);
        match (clear, val, existing) {
            (true, _, _) => {
                if let Node::Map(m) = &mut self.nodes[dest] {
                    m.shift_remove(name);
                }
            }
            (false, Some(v), Some(e)) if v == e => {
                if let Node::Scalar(value) = &mut self.nodes[e] {
                    quote_yaml11_non_string(value);
                }
            }
            (false, Some(v), Some(e)) => {
                // `SetYNode`: the existing node takes the new node's content, and keeps
                // its style.
                let styled =
                    matches!(&self.nodes[e], Node::Scalar(Value::String(s)) if s.has_quotes());
                self.nodes[e] = self.nodes[v].clone();
                if let Node::Scalar(value) = &mut self.nodes[e] {
                    restyle(value, styled);
                }
            }
            (false, Some(v), None) => {
                if let Node::Scalar(value) = &mut self.nodes[v] {
                    quote_yaml11_non_string(value);
                }
                if let Node::Map(m) = &mut self.nodes[dest] {
                    m.insert(CompactString::from(name), v);
                }
            }
            (false, None, _) => {}
        }
    }

    // ---- the walk ----

    /// `walk.Walker.Walk` with the merge visitor.
    fn walk(
        &mut self,
        schema: Option<FieldSchema<'s>>,
        src: Sources,
    ) -> Result<Option<Id>, String> {
        kustomize_yaml::stack::deeper(|| self.walk_here(schema, src))
    }

    /// [`Merger::walk`] at one level.
    fn walk_here(
        &mut self,
        schema: Option<FieldSchema<'s>>,
        src: Sources,
    ) -> Result<Option<Id>, String> {
        let schema = match schema {
            Some(s) => Some(s),
            None => self.schema_by_meta(&src),
        };
        let kind = src
            .iter()
            .flatten()
            .find(|&&id| !self.is_null(id))
            .map(|&id| self.kind(id));
        let Some(kind) = kind else {
            // Empty nodes are walked as maps.
            return self.walk_map(schema, src);
        };
        for &id in src.iter().flatten() {
            if !self.is_null(id) && self.kind(id) != kind {
                return Err(self.kind_error(kind, id));
            }
        }
        match kind {
            Kind::Map => self.walk_map(schema, src),
            Kind::Seq => {
                if schema.is_some_and(|s| s.is_associative()) {
                    self.walk_associative(schema, src)
                } else {
                    // Non-associative lists: the patch's list, else the resource's.
                    Ok(src[ORIGIN].or(src[DEST]))
                }
            }
            Kind::Scalar => Ok(src[ORIGIN].or(src[DEST])),
        }
    }

    /// A nested object's schema from its own `apiVersion` and `kind`, as kyaml looks one up
    /// wherever the schema has nothing to say.
    fn schema_by_meta(&self, src: &Sources) -> Option<FieldSchema<'s>> {
        for &id in src.iter().flatten() {
            if self.is_null(id) {
                continue;
            }
            let text = |name| {
                self.field(Some(id), name)
                    .filter(|&f| !self.nil_or_empty(f))
                    .map(|f| self.text(f))
                    .unwrap_or_default()
            };
            let (kind, api_version) = (text("kind"), text("apiVersion"));
            if kind.is_empty() || api_version.is_empty() {
                continue;
            }
            if let Some(s) = self.schema.for_type(&api_version, &kind) {
                return Some(s);
            }
        }
        None
    }

    fn walk_map(
        &mut self,
        schema: Option<FieldSchema<'s>>,
        mut src: Sources,
    ) -> Result<Option<Id>, String> {
        let Some(dest) = self.visit_map(src)? else {
            return Ok(None);
        };
        src[DEST] = Some(dest);
        let mut names = self.spare.names.pop().unwrap_or_default();
        for &id in src.iter().flatten() {
            if let Node::Map(m) = &self.nodes[id] {
                names.extend(m.keys().cloned());
            }
        }
        names.sort_unstable();
        names.dedup();
        for name in names.drain(..) {
            let field_schema = schema.and_then(|s| s.field(&name));
            let fv = [self.field(src[DEST], &name), self.field(src[ORIGIN], &name)];
            let val = self.walk(field_schema, fv)?;
            self.set_field(dest, &name, val);
        }
        self.spare.names.push(names);
        Ok(Some(dest))
    }

    /// `Merger.VisitMap`.
    fn visit_map(&mut self, src: Sources) -> Result<Option<Id>, String> {
        let (dest, origin) = (src[DEST], src[ORIGIN]);
        if self.missing_or_null(dest) {
            // Add (errors are ignored here upstream).
            if self.directive(origin).unwrap_or(Directive::Unknown) == Directive::Delete {
                return Ok(None);
            }
            if let (None, Some(d)) = (origin, dest) {
                // An explicit `null` of the resource the patch does not mention stays.
                let text = self.text(d);
                if !text.is_empty() {
                    // `MakePersistentNullNode(dest.Value)`: a new null with its text.
                    return Ok(Some(self.alloc(Node::Null {
                        keep: true,
                        value: kustomize_yaml::resolve::plain(&text),
                    })));
                }
            }
            return Ok(origin);
        }
        if origin.is_some_and(|o| self.is_null(o)) {
            return Ok(None);
        }
        Ok(match self.directive(origin)? {
            Directive::Delete => None,
            Directive::Replace => origin,
            _ => dest,
        })
    }

    /// `Merger.VisitList` for associative lists.
    fn visit_associative_list(&mut self, src: Sources) -> Result<Option<Id>, String> {
        let (dest, origin) = (src[DEST], src[ORIGIN]);
        if self.missing_or_null(dest) {
            return Ok(origin);
        }
        if origin.is_some_and(|o| self.is_null(o)) {
            return Ok(None);
        }
        Ok(match self.directive(origin)? {
            Directive::Delete => None,
            Directive::Replace => origin,
            _ => dest,
        })
    }

    /// `determineSmpDirective`: finds the `$patch` directive of a patch node and removes it.
    fn directive(&mut self, origin: Option<Id>) -> Result<Directive, String> {
        const KEY: &str = "$patch";
        let Some(o) = origin else {
            return Ok(Directive::Merge);
        };
        match self.node(o) {
            Node::Map(m) => {
                let Some(&v) = m.get(KEY) else {
                    return Ok(Directive::Merge);
                };
                let d = parse_directive(&self.text(v))?;
                if let Node::Map(m) = &mut self.nodes[o] {
                    m.shift_remove(KEY);
                }
                Ok(d)
            }
            Node::Seq(s) => {
                // The first mapping element with a `$patch` field, if it has no other field.
                let found = s.iter().copied().find_map(|e| match self.node(e) {
                    Node::Map(m) => m.get(KEY).map(|&v| (m.len(), v)),
                    _ => None,
                });
                let Some((len, v)) = found else {
                    return Ok(Directive::Merge);
                };
                if len > 1 {
                    return Ok(Directive::Merge);
                }
                let text = self.text(v);
                let d = parse_directive(&text)?;
                self.element_setter(o, None, &[KEY], &[text])?;
                Ok(d)
            }
            Node::Scalar(_) | Node::Null { .. } => Err(format!(
                "no implemented strategic merge patch strategy for '{}'",
                self.text(o)
            )),
        }
    }

    // ---- associative lists ----

    fn walk_associative(
        &mut self,
        schema: Option<FieldSchema<'s>>,
        mut src: Sources,
    ) -> Result<Option<Id>, String> {
        let Some(dest) = self.visit_associative_list(src)? else {
            return Ok(None);
        };
        src[DEST] = Some(dest);
        let keys: Vec<&str> = schema.map(|s| s.merge_keys().collect()).unwrap_or_default();
        let elem_schema = schema.and_then(|s| s.elements());
        if !keys.is_empty() {
            if self.linear {
                if let Some(r) = self.try_linear_keyed(elem_schema, src, dest, &keys)? {
                    return Ok(r);
                }
            }
            let values = self.element_values(&src, &keys);
            return self.set_associative_elements(elem_schema, src, values, &keys, dest);
        }
        let empty = [""];
        if self.linear {
            if let Some(r) = self.try_linear_primitive(elem_schema, src, dest)? {
                return Ok(r);
            }
        }
        let values = self.element_primitive_values(&src);
        self.set_associative_elements(elem_schema, src, values, &empty, dest)
    }

    /// The values of `keys` in one element, `""` where missing or empty.
    fn key_values(&self, elem: Id, keys: &[&str]) -> Vec<Text> {
        keys.iter()
            .map(|k| match self.field(Some(elem), k) {
                Some(f) if !self.nil_or_empty(f) => self.text(f),
                _ => Text::default(),
            })
            .collect()
    }

    /// `elementValues`: each element's key values, the patch's elements first, no repeats.
    fn element_values(&self, src: &Sources, keys: &[&str]) -> Vec<Vec<Text>> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        for id in [src[ORIGIN], src[DEST]].into_iter().flatten() {
            for &e in self.seq(id) {
                let v = self.key_values(e, keys);
                if v.is_empty() || seen.contains(&v) {
                    continue;
                }
                seen.insert(v.clone());
                out.push(v);
            }
        }
        out
    }

    /// `elementPrimitiveValues`: each element's text, the patch's elements first, no repeats.
    fn element_primitive_values(&self, src: &Sources) -> Vec<Vec<Text>> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        for id in [src[ORIGIN], src[DEST]].into_iter().flatten() {
            for &e in self.seq(id) {
                let t = self.text(e);
                if seen.insert(t.clone()) {
                    out.push(vec![t]);
                }
            }
        }
        out
    }

    /// `setAssociativeSequenceElements` (prepend direction), the general path.
    fn set_associative_elements(
        &mut self,
        elem_schema: Option<FieldSchema<'s>>,
        src: Sources,
        mut values_list: Vec<Vec<Text>>,
        keys: &[&str],
        dest: Id,
    ) -> Result<Option<Id>, String> {
        let items = self.alloc(Node::Seq(Vec::new()));
        if keys.len() > 1 {
            merge_values(&mut values_list);
        }
        // The keys some element has a value for (the same for every element below).
        let mut valid_key_set: HashSet<&str> = HashSet::new();
        for values in &values_list {
            for (i, v) in values.iter().enumerate() {
                if !v.is_empty() {
                    if let Some(k) = keys.get(i) {
                        valid_key_set.insert(k);
                    }
                }
            }
        }
        let mut valid_keys: Vec<&str> = Vec::new();
        for values in &values_list {
            if values.is_empty() {
                continue;
            }
            let valid_values;
            (valid_keys, valid_values) = validate_keys(&valid_key_set, values, keys);
            let el_src = self.element_value_list(&src, &valid_keys, &valid_values);
            let val = self.walk(elem_schema, el_src)?;
            let mut exit = false;
            for (i, key) in valid_keys.iter().enumerate() {
                match val {
                    Some(v) if !self.is_null(v) && !self.is_empty_map(v) => {
                        let value = valid_values.get(i).map(Text::as_str).unwrap_or("");
                        if self.field(Some(v), key).is_none() && !value.is_empty() {
                            self.set_key_field(v, key, value)?;
                        }
                    }
                    _ => {
                        // Remove the element from the resource's list.
                        self.element_setter(dest, None, &valid_keys, &valid_values)?;
                        exit = true;
                    }
                }
            }
            if exit {
                continue;
            }
            if let Some(v) = val {
                self.element_setter(items, Some(v), &valid_keys, &valid_values)?;
            }
        }
        let mut result = Some(dest);
        if !values_list.is_empty() {
            result = Some(self.append_list_node(items, dest, &valid_keys)?);
        }
        if self.missing_or_null(result) {
            return Ok(None);
        }
        Ok(result)
    }

    /// `val.SetField(key, NewScalarRNode(value))`: puts a key back on a merged element. The
    /// new scalar is untagged, so it resolves like a plain scalar on output.
    fn set_key_field(&mut self, val: Id, key: &str, value: &str) -> Result<(), String> {
        if key.is_empty() {
            // FieldSetter without a name gives a scalar node the same text, keeping its
            // style: its value does not change (`"1"` stays a string).
            match self.kind(val) {
                Kind::Scalar => Ok(()),
                other => Err(format!(
                    "wrong node kind: expected ScalarNode but got {}",
                    other.name()
                )),
            }
        } else {
            let id = self.alloc(plain_scalar(value));
            self.set_field(val, key, Some(id));
            Ok(())
        }
    }

    /// `elementValueList`: the element matching the key values in each source.
    fn element_value_list(&self, src: &Sources, keys: &[&str], values: &[Text]) -> Sources {
        let set: HashSet<&str> = keys
            .iter()
            .zip(values)
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, _)| *k)
            .collect();
        let (keys, values) = validate_keys(&set, values, keys);
        src.map(|s| s.and_then(|s| self.element_list(s, &keys, &values)))
    }

    /// `RNode.ElementList`: the first element whose key fields have exactly these texts.
    fn element_list(&self, seq: Id, keys: &[&str], values: &[Text]) -> Option<Id> {
        let Node::Seq(content) = self.node(seq) else {
            return None;
        };
        let first_key = keys.first().copied().unwrap_or("");
        let first_value = values.first().map(Text::as_str).unwrap_or("");
        if first_key.is_empty() {
            return content
                .iter()
                .copied()
                .find(|&e| self.text(e) == first_value);
        }
        if keys.len() != values.len() {
            return None;
        }
        content.iter().copied().find(|&e| {
            matches!(self.node(e), Node::Map(_))
                && keys
                    .iter()
                    .zip(values)
                    .all(|(k, v)| self.field(Some(e), k).is_some_and(|f| self.text(f) == *v))
        })
    }

    /// `yaml.FieldMatcher{Name, StringValue}` on a list element.
    fn field_matcher(&self, elem: Id, name: &str, value: &str) -> Result<Option<Id>, String> {
        if self.is_null(elem) {
            return Ok(None);
        }
        if name.is_empty() {
            if self.kind(elem) != Kind::Scalar {
                return Err(self.kind_error(Kind::Scalar, elem));
            }
            return Ok((self.text(elem) == value).then_some(elem));
        }
        if self.kind(elem) != Kind::Map {
            return Err(self.kind_error(Kind::Map, elem));
        }
        Ok(self
            .field(Some(elem), name)
            .filter(|&f| value.is_empty() || self.text(f) == value))
    }

    /// `yaml.ElementSetter`: replaces the elements of `seq` matching the key values with
    /// `element`, or removes them when `element` is None; appends `element` when none
    /// matched. Nulls and empty maps are dropped from the list on the way.
    fn element_setter(
        &mut self,
        seq: Id,
        element: Option<Id>,
        keys: &[&str],
        values: &[Text],
    ) -> Result<Option<Id>, String> {
        let default_keys = [""];
        let keys = if keys.is_empty() {
            &default_keys[..]
        } else {
            keys
        };
        let mapping_setter = !keys[0].is_empty() && values.first().is_some_and(|v| !v.is_empty());
        let content = self.seq(seq).to_vec();
        let mut new_content = Vec::with_capacity(content.len() + 1);
        let mut matched = false;
        for e in content {
            if self.is_null(e) || self.is_empty_map(e) {
                continue;
            }
            if self.kind(e) != Kind::Map && mapping_setter {
                new_content.push(e);
                continue;
            }
            let mut val = None;
            let mut found = true;
            for (j, key) in keys.iter().enumerate() {
                if let Some(v) = values.get(j) {
                    val = self.field_matcher(e, key, v)?;
                }
                if val.is_none() {
                    found = false;
                    break;
                }
            }
            if !found {
                if !values.is_empty() {
                    new_content.push(e);
                }
                continue;
            }
            matched = true;
            if let Some(el) = element {
                new_content.push(el);
            }
        }
        self.set_seq(seq, new_content);
        let Some(el) = element.filter(|&el| !self.is_null(el)) else {
            return Ok(None);
        };
        if !matched {
            if let Node::Seq(s) = &mut self.nodes[seq] {
                s.push(el);
            }
        }
        Ok(Some(el))
    }

    /// `appendListNode(dst, src, keys)`: sets each element of `src` on `dst`.
    fn append_list_node(&mut self, dst: Id, src: Id, keys: &[&str]) -> Result<Id, String> {
        let first_key_empty = keys.first().is_none_or(|k| k.is_empty());
        for elem in self.seq(src).to_vec() {
            if first_key_empty {
                let t = self.text(elem);
                self.element_setter(dst, Some(elem), &[""], &[t])?;
                continue;
            }
            let mut v = Vec::with_capacity(keys.len());
            for key in keys {
                if self.is_null(elem) {
                    self.push_element(dst, elem);
                    continue;
                }
                if self.kind(elem) != Kind::Map {
                    return Err(self.kind_error(Kind::Map, elem));
                }
                match self.field(Some(elem), key) {
                    None => self.push_element(dst, elem),
                    Some(f) => v.push(self.text(f)),
                }
            }
            if keys.len() > 1 {
                self.element_setter(dst, None, keys, &v)?;
            }
            self.element_setter(dst, Some(elem), keys, &v)?;
        }
        Ok(dst)
    }

    fn push_element(&mut self, seq: Id, elem: Id) {
        if let Node::Seq(s) = &mut self.nodes[seq] {
            s.push(elem);
        }
    }

    // ---- linear paths ----

    /// For a keyed list whose elements (on both sides) are all maps with a non-empty scalar
    /// for every key, keys unique on each side: the general algorithm's result, in linear
    /// time. None when the list does not qualify.
    fn try_linear_keyed(
        &mut self,
        elem_schema: Option<FieldSchema<'s>>,
        src: Sources,
        dest: Id,
        keys: &[&str],
    ) -> Result<Option<Option<Id>>, String> {
        let origin = src[ORIGIN];
        let Some(dest_index) = self.unique_keyed_index(dest, keys) else {
            return Ok(None);
        };
        let origin_index = match origin {
            None => HashMap::new(),
            Some(o) if o == dest => dest_index.clone(),
            Some(o) => match self.unique_keyed_index(o, keys) {
                Some(i) => i,
                None => return Ok(None),
            },
        };
        // Tuples in merge order: the patch's, then the resource's others.
        let mut order: Vec<(Vec<Text>, Option<Id>, Option<Id>)> = Vec::new();
        let origin_content = origin.map(|o| self.seq(o).to_vec()).unwrap_or_default();
        for &e in &origin_content {
            let t = self.key_values(e, keys);
            let d = dest_index.get(&t).copied();
            order.push((t, d, Some(e)));
        }
        for &e in self.seq(dest) {
            let t = self.key_values(e, keys);
            if !origin_index.contains_key(&t) {
                order.push((t, Some(e), None));
            }
        }
        let mut deleted: HashSet<Id> = HashSet::new();
        let mut items: Vec<(Vec<Text>, Id)> = Vec::with_capacity(order.len());
        for (t, d, o) in order {
            let val = self.walk(elem_schema, [d, o])?;
            match val {
                Some(v) if !self.is_null(v) && !self.is_empty_map(v) => {
                    for (k, value) in keys.iter().zip(&t) {
                        if self.field(Some(v), k).is_none() {
                            self.set_key_field(v, k, value)?;
                        }
                    }
                    items.push((t, v));
                }
                _ => {
                    if let Some(d) = d {
                        deleted.insert(d);
                    }
                }
            }
        }
        let remaining: Vec<Id> = self
            .seq(dest)
            .iter()
            .copied()
            .filter(|e| !deleted.contains(e))
            .collect();
        let result = if keys.len() == 1 {
            // Each resource element takes the place of its merged element.
            let mut pos: HashMap<Vec<Text>, usize> = HashMap::with_capacity(items.len());
            for (i, (t, _)) in items.iter().enumerate() {
                pos.insert(t.clone(), i);
            }
            let mut out: Vec<Id> = items.iter().map(|(_, v)| *v).collect();
            for e in remaining {
                let t = self.key_values(e, keys);
                match pos.get(&t) {
                    Some(&i) => out[i] = e,
                    None => out.push(e),
                }
            }
            out
        } else {
            // Multiple keys: each resource element is removed and appended again.
            let dest_tuples: HashSet<Vec<Text>> = remaining
                .iter()
                .map(|&e| self.key_values(e, keys))
                .collect();
            let mut out: Vec<Id> = items
                .iter()
                .filter(|(t, _)| !dest_tuples.contains(t))
                .map(|(_, v)| *v)
                .collect();
            out.extend(remaining);
            out
        };
        let items_node = self.alloc(Node::Seq(result));
        // The general path leaves the resource's list without the deleted elements.
        let kept: Vec<Id> = self
            .seq(dest)
            .iter()
            .copied()
            .filter(|e| !deleted.contains(e))
            .collect();
        self.set_seq(dest, kept);
        Ok(Some(Some(items_node)))
    }

    /// Key tuple -> element, when every element is a map with a non-empty scalar for every
    /// key and no tuple repeats.
    fn unique_keyed_index(&self, seq: Id, keys: &[&str]) -> Option<HashMap<Vec<Text>, Id>> {
        let content = match self.node(seq) {
            Node::Seq(s) => s,
            Node::Null { .. } => return Some(HashMap::new()),
            _ => return None,
        };
        let mut index = HashMap::with_capacity(content.len());
        for &e in content {
            let Node::Map(m) = self.node(e) else {
                return None;
            };
            let mut t = Vec::with_capacity(keys.len());
            for k in keys {
                let f = *m.get(k)?;
                if !matches!(self.node(f), Node::Scalar(_)) {
                    return None;
                }
                let text = self.text(f);
                if text.is_empty() {
                    return None;
                }
                t.push(text);
            }
            if index.insert(t, e).is_some() {
                return None;
            }
        }
        Some(index)
    }

    /// For a list of scalars (non-empty texts, unique on each side): the general
    /// algorithm's result in linear time.
    fn try_linear_primitive(
        &mut self,
        elem_schema: Option<FieldSchema<'s>>,
        src: Sources,
        dest: Id,
    ) -> Result<Option<Option<Id>>, String> {
        let origin = src[ORIGIN];
        let Some(dest_index) = self.unique_scalar_index(dest) else {
            return Ok(None);
        };
        let origin_index = match origin {
            None => HashMap::new(),
            Some(o) if o == dest => dest_index.clone(),
            Some(o) => match self.unique_scalar_index(o) {
                Some(i) => i,
                None => return Ok(None),
            },
        };
        let mut order: Vec<(Text, Option<Id>, Option<Id>)> = Vec::new();
        let origin_content = origin.map(|o| self.seq(o).to_vec()).unwrap_or_default();
        for &e in &origin_content {
            let t = self.text(e);
            let d = dest_index.get(&t).copied();
            order.push((t, d, Some(e)));
        }
        for &e in self.seq(dest) {
            let t = self.text(e);
            if !origin_index.contains_key(&t) {
                order.push((t, Some(e), None));
            }
        }
        let mut out = Vec::with_capacity(order.len());
        for (t, d, o) in order {
            // Scalars: the patch's element, else the resource's; never null here.
            let Some(v) = self.walk(elem_schema, [d, o])? else {
                return Err(format!("strategic merge: list element `{t}` was lost"));
            };
            // The resource's element takes the place of the merged one.
            out.push(d.unwrap_or(v));
        }
        Ok(Some(Some(self.alloc(Node::Seq(out)))))
    }

    /// Text -> element, when every element is a non-null scalar with a non-empty text and no
    /// text repeats.
    fn unique_scalar_index(&self, seq: Id) -> Option<HashMap<Text, Id>> {
        let content = match self.node(seq) {
            Node::Seq(s) => s,
            Node::Null { .. } => return Some(HashMap::new()),
            _ => return None,
        };
        let mut index = HashMap::with_capacity(content.len());
        for &e in content {
            if !matches!(self.node(e), Node::Scalar(_)) {
                return None;
            }
            let t = self.text(e);
            if t.is_empty() || index.insert(t, e).is_some() {
                return None;
            }
        }
        Some(index)
    }
}

fn parse_directive(v: &str) -> Result<Directive, String> {
    match v {
        "delete" => Ok(Directive::Delete),
        "replace" => Ok(Directive::Replace),
        "merge" => Ok(Directive::Merge),
        _ => Err(format!("unknown patch strategy '{v}'")),
    }
}

/// `validateKeys`: the keys some element has a value for, and this element's values for them.
fn validate_keys<'k>(
    valid_key_set: &HashSet<&str>,
    values: &[Text],
    keys: &[&'k str],
) -> (Vec<&'k str>, Vec<Text>) {
    if valid_key_set.is_empty() {
        return (keys.to_vec(), values.to_vec());
    }
    let valid_keys = keys
        .iter()
        .filter(|k| valid_key_set.contains(*k))
        .copied()
        .collect();
    let valid_values = values
        .iter()
        .enumerate()
        .filter(|(i, v)| !v.is_empty() || keys.get(*i).is_some_and(|k| valid_key_set.contains(*k)))
        .map(|(_, v)| v.clone())
        .collect();
    (valid_keys, valid_values)
}

/// `mergeValues`: key tuples that agree where both have a value are unified (a port without
/// `protocol` and the same port with one count as one element).
fn merge_values(values_list: &mut [Vec<Text>]) {
    // Tuples without an empty value only ever match themselves.
    if values_list.iter().all(|v| v.iter().all(|s| !s.is_empty())) {
        return;
    }
    for i in 0..values_list.len() {
        let values1 = values_list[i].clone();
        for j in 0..values_list.len() {
            let values2 = values_list[j].clone();
            if let Some(merged) = match_values(&values1, &values2) {
                values_list[i] = merged.clone();
                values_list[j] = merged;
            }
        }
    }
}

/// `match`: tuples match when they share a value and differ only where one is empty.
fn match_values(a: &[Text], b: &[Text]) -> Option<Vec<Text>> {
    if a.len() != b.len() {
        return None;
    }
    let mut common = false;
    let mut res = Vec::with_capacity(a.len());
    for (x, y) in a.iter().zip(b) {
        if x == y {
            common = true;
            res.push(x.clone());
            continue;
        }
        if !x.is_empty() && !y.is_empty() {
            return None;
        }
        res.push(if x.is_empty() { y.clone() } else { x.clone() });
    }
    common.then_some(res)
}

/// The text kyaml compares for a scalar.
fn scalar_text(v: &Value) -> Text {
    match v {
        Value::String(s) | Value::Plain(s) => s.as_str().into(),
        Value::Bool(b) => b.to_compact_string(),
        Value::Int(i) => i.to_compact_string(),
        Value::UInt(u) => u.to_compact_string(),
        Value::Float(f) => go_format_float64(*f).into(),
        Value::Null => "null".into(),
        Value::Blank | Value::Seq(_) | Value::Map(_) => Text::default(),
    }
}

/// An untagged scalar with this text, resolved as kyaml resolves plain scalars on output.
/// kyaml's field setter on a plain string or untagged scalar (`IsStringValue`, no style)
/// whose text go-yaml v2 reads as a non-string (`IsYaml1_1NonString`): it becomes
/// double-quoted, so an untagged `80` (an image, a prefixed name) is the string `"80"`
/// from then on.
fn quote_yaml11_non_string(value: &mut Value) {
    let quoted = match value {
        Value::String(s) => !s.is_styled() && is_yaml11_non_string(s),
        Value::Plain(s) => s.is_untagged() && is_yaml11_non_string(s),
        _ => false,
    };
    if quoted {
        restyle(value, true);
    }
}

/// A scalar given another node's style: quoted (or a block) makes any scalar a string
/// with its text; plain leaves the value as it reads.
fn restyle(value: &mut Value, styled: bool) {
    match value {
        Value::String(s) => s.mark_styled(styled),
        Value::Null | Value::Blank | Value::Seq(_) | Value::Map(_) => {}
        other if styled => {
            let untagged = matches!(other, Value::Plain(s) if s.is_untagged());
            let text = other.text();
            *other = Value::String(Str::new(&text).styled(true).untagged(untagged));
        }
        _ => {}
    }
}

fn plain_scalar(text: &str) -> Node {
    match resolve_v3(text, false) {
        Resolved::Null => Node::Null {
            keep: false,
            value: kustomize_yaml::resolve::plain(text),
        },
        Resolved::Bool(b) => Node::Scalar(Value::Bool(b)),
        Resolved::Int(i) => Node::Scalar(Value::Int(i)),
        Resolved::UInt(u) => Node::Scalar(Value::UInt(u)),
        Resolved::Float(f) => Node::Scalar(Value::Float(f)),
        Resolved::Timestamp(_) | Resolved::Str => Node::Scalar(Value::from(text.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn yaml(s: &str) -> Value {
        kustomize_yaml::parse_documents(s, kustomize_yaml::Schema::Kyaml)
            .expect("test yaml parses")
            .remove(0)
    }

    fn run(target: &str, patch: &str, linear: bool) -> Result<Value, String> {
        merged(&yaml(target), &yaml(patch), linear)
    }

    /// Merges with both list algorithms, checks they agree, compares with `expected`
    /// (the reference's output).
    fn check(target: &str, patch: &str, expected: &str) {
        let fast = run(target, patch, true).expect("merge");
        let slow = run(target, patch, false).expect("merge");
        assert_eq!(fast, slow, "linear and general paths disagree");
        let expected = if expected.trim().is_empty() {
            Value::Null
        } else {
            yaml(expected)
        };
        assert_eq!(fast, expected);
    }

    const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    spec:\n";

    fn deploy(spec: &str) -> String {
        format!("{DEPLOY}{spec}")
    }

    #[test]
    fn containers_patch_elements_first() {
        check(
            &deploy("      containers:\n      - {name: a, image: a}\n      - {name: b, image: b}\n"),
            &deploy("      containers:\n      - {name: c, image: c}\n      - {name: b, image: b2}\n"),
            &deploy("      containers:\n      - {name: c, image: c}\n      - {name: b, image: b2}\n      - {name: a, image: a}\n"),
        );
    }

    #[test]
    fn env_merges_args_replaced() {
        check(
            &deploy("      containers:\n      - name: a\n        env: [{name: A, value: a}, {name: B, value: b}]\n        args: [x, y]\n"),
            &deploy("      containers:\n      - name: a\n        env: [{name: B, value: b2}, {name: C, value: c}]\n        args: [z]\n"),
            &deploy("      containers:\n      - name: a\n        env: [{name: B, value: b2}, {name: C, value: c}, {name: A, value: a}]\n        args: [z]\n"),
        );
    }

    #[test]
    fn port_without_protocol_does_not_patch_port_with_one() {
        let target = deploy("      containers:\n      - name: a\n        ports:\n        - {containerPort: 80, protocol: TCP}\n        - {containerPort: 90}\n        - {containerPort: 70, protocol: UDP}\n");
        check(
            &target,
            &deploy("      containers:\n      - name: a\n        ports:\n        - {containerPort: 80, name: http}\n        - {containerPort: 90, protocol: UDP, name: x}\n        - {containerPort: 70, name: y}\n"),
            &target,
        );
    }

    #[test]
    fn ports_with_both_keys() {
        check(
            &deploy("      containers:\n      - name: a\n        ports:\n        - {containerPort: 80, protocol: TCP}\n        - {containerPort: 90, protocol: TCP}\n"),
            &deploy("      containers:\n      - name: a\n        ports:\n        - {containerPort: 91, protocol: TCP}\n        - {containerPort: 90, protocol: TCP, name: x}\n"),
            &deploy("      containers:\n      - name: a\n        ports:\n        - {containerPort: 91, protocol: TCP}\n        - {containerPort: 80, protocol: TCP}\n        - {containerPort: 90, protocol: TCP, name: x}\n"),
        );
    }

    #[test]
    fn element_replace_is_a_no_op() {
        let target =
            deploy("      containers:\n      - {name: a, image: a, x: 1}\n      - {name: b}\n");
        check(
            &target,
            &deploy("      containers:\n      - {name: a, image: b, $patch: replace}\n"),
            &target,
        );
    }

    #[test]
    fn element_without_merge_key() {
        check(
            &deploy("      containers:\n      - {name: a}\n      - {name: b}\n"),
            &deploy("      containers:\n      - {image: x}\n"),
            &deploy("      containers: []\n"),
        );
        check(
            &deploy("      containers:\n      - {name: a}\n      - {image: q}\n"),
            &deploy("      containers:\n      - {name: c}\n"),
            &deploy("      containers:\n      - {image: q}\n"),
        );
        check(
            &deploy("      containers:\n      - {name: a}\n"),
            &deploy("      containers:\n      - {}\n"),
            &deploy("      containers: []\n"),
        );
    }

    #[test]
    fn list_directives() {
        check(
            &deploy("      containers:\n      - {name: a}\n      - {name: b}\n"),
            &deploy("      containers:\n      - {name: c}\n      - {$patch: replace}\n"),
            &deploy("      containers:\n      - {name: c}\n"),
        );
        check(
            &deploy("      containers:\n      - {name: a}\n      - {name: b}\n"),
            &deploy("      containers:\n      - {$patch: delete}\n"),
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {template: {spec: {}}}\n",
        );
        check(
            &deploy("      containers:\n      - {name: a}\n      - {name: b}\n      - {name: c}\n"),
            &deploy("      containers:\n      - {name: b, $patch: delete}\n      - {name: z, $patch: delete}\n"),
            &deploy("      containers:\n      - {name: a}\n      - {name: c}\n"),
        );
        // An empty list in the patch changes nothing.
        let target = deploy("      containers:\n      - {name: a}\n");
        check(&target, &deploy("      containers: []\n"), &target);
    }

    #[test]
    fn apimachinery_directives_are_plain_fields() {
        check(
            &deploy("      containers:\n      - {name: a}\n      - {name: b}\n"),
            &deploy("      $setElementOrder/containers: [{name: b}, {name: a}]\n      containers:\n      - {name: a, image: x}\n"),
            &deploy("      $setElementOrder/containers: [{name: b}, {name: a}]\n      containers:\n      - {name: a, image: x}\n      - {name: b}\n"),
        );
        check(
            &deploy("      volumes:\n      - {name: v, emptyDir: {}}\n"),
            &deploy("      volumes:\n      - {name: v, $retainKeys: [name, secret], secret: {secretName: s}}\n"),
            &deploy("      volumes:\n      - {name: v, $retainKeys: [name, secret], emptyDir: {}, secret: {secretName: s}}\n"),
        );
    }

    #[test]
    fn primitive_and_owner_reference_lists() {
        check(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d\n  finalizers: [a, b]\n  ownerReferences: [{uid: u1, name: n1}]\nx: [1, 2]\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d\n  finalizers: [c, a, '', c]\n  $deleteFromPrimitiveList/finalizers: [b]\n  ownerReferences: [{uid: u2, name: n2}]\nx: [3, {$patch: replace}]\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d\n  $deleteFromPrimitiveList/finalizers: [b]\n  finalizers: [c, a, '', b]\n  ownerReferences: [{uid: u2, name: n2}, {uid: u1, name: n1}]\nx: [3, {$patch: replace}]\n",
        );
    }

    #[test]
    fn primitive_list_keeps_quoted_strings() {
        check(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d\n  finalizers: ['1', '2', x]\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d\n  finalizers: ['2', '3']\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d\n  finalizers: ['2', '3', '1', x]\n",
        );
    }

    #[test]
    fn custom_resources_replace_lists_but_nested_kinds_have_schema() {
        check(
            "apiVersion: example.com/v1\nkind: Foo\nmetadata: {name: d}\nspec:\n  items: [{name: a, v: 1}, {name: b}]\n  m: {x: 1}\n  tmpl:\n    apiVersion: apps/v1\n    kind: Deployment\n    spec: {template: {spec: {containers: [{name: a, image: a}]}}}\n",
            "apiVersion: example.com/v1\nkind: Foo\nmetadata: {name: d}\nspec:\n  items: [{name: a, v: 2}, {$patch: replace}]\n  m: {y: 2}\n  tmpl:\n    apiVersion: apps/v1\n    kind: Deployment\n    spec: {template: {spec: {containers: [{name: b, image: b}]}}}\n",
            "apiVersion: example.com/v1\nkind: Foo\nmetadata: {name: d}\nspec:\n  items: [{name: a, v: 2}, {$patch: replace}]\n  m: {x: 1, y: 2}\n  tmpl:\n    apiVersion: apps/v1\n    kind: Deployment\n    spec: {template: {spec: {containers: [{name: b, image: b}, {name: a, image: a}]}}}\n",
        );
    }

    #[test]
    fn setter_quotes_untagged_non_strings_and_keeps_styles() {
        let mut target = yaml("kind: ConfigMap\ndata: {dq: \"x\", pl: x, word: w}\n");
        let data = target.get_mut("data").expect("data");
        data.as_map_mut()
            .expect("a map")
            .insert("num", kustomize_yaml::resolve::untagged("80"));
        data.get_mut("word").expect("word").set_scalar("nginx");
        let patch = yaml("kind: ConfigMap\ndata: {dq: 7, pl: 7}\n");
        merge(&mut target, &patch, &Schema::builtin()).expect("merges");
        let data = target.get("data").expect("data");
        // Re-set by the walk: the untagged 80 is quoted, the untagged word stays as it is.
        assert!(matches!(data.get("num"), Some(Value::String(s)) if s.as_str() == "80"));
        assert!(matches!(data.get("word"), Some(Value::String(s)) if s.is_untagged()));
        // Set over a quoted field: a string; over a plain one: the patch's int.
        assert!(matches!(data.get("dq"), Some(Value::String(s)) if s.as_str() == "7"));
        assert_eq!(data.get("pl"), Some(&Value::Int(7)));
    }

    #[test]
    fn nulls() {
        check(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d\n  creationTimestamp: null\ndata: {b: null, c: ~, d: ''}\nx: {z: {}, w: []}\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d\ndata: {e: x, f: null}\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d\n  creationTimestamp: null\ndata: {b: null, c: null, d: '', e: x}\nx: {z: {}, w: []}\n",
        );
        check(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\ndata: {b: x}\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\ndata: {b: null}\nnew: {a: null, c: {}, d: [], e: {x: null}}\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\ndata: {}\nnew: {c: {}, d: [], e: {}}\n",
        );
    }

    #[test]
    fn whole_object_directives() {
        let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\ndata: {a: x}\n";
        check(
            cm,
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\n$patch: delete\n",
            "",
        );
        check(
            cm,
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d, labels: {a: b}}\n$patch: replace\n",
            cm,
        );
    }

    #[test]
    fn errors() {
        let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\ndata: {a: x}\n";
        let e = run(
            cm,
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\ndata: {a: {b: c}}\n",
            true,
        )
        .expect_err("kind mismatch");
        assert!(
            e.starts_with(
                "wrong node kind: expected ScalarNode but got MappingNode: node contents:\n"
            ),
            "{e}"
        );
        let e = run(
            cm,
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\ndata: {$patch: foo}\n",
            true,
        )
        .expect_err("bad directive");
        assert_eq!(e, "unknown patch strategy 'foo'");
    }

    #[test]
    fn public_merge_deletes_target() {
        let mut t = yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\n");
        let p = yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\n$patch: delete\n");
        merge(&mut t, &p, &Schema::builtin()).expect("merge");
        assert_eq!(t, Value::Null);
    }

    // ---- properties ----

    fn name() -> impl Strategy<Value = String> {
        "[a-e]{1,2}"
    }

    fn scalar() -> impl Strategy<Value = Value> {
        prop_oneof![
            "[a-z]{0,3}".prop_map(Value::from),
            (0i64..5).prop_map(Value::Int),
            any::<bool>().prop_map(Value::Bool),
        ]
    }

    fn unique_by_name(items: Vec<(String, Value)>, key: &str) -> Value {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for (n, v) in items {
            if seen.insert(n.clone()) {
                let mut m = Mapping::default();
                m.insert(key, Value::from(n));
                m.insert("value", v);
                out.push(Value::Map(m));
            }
        }
        Value::from(out)
    }

    /// A well-formed Deployment: every keyed list element has its keys, no nulls.
    fn deployment() -> impl Strategy<Value = Value> {
        let container = (
            name(),
            proptest::collection::vec((name(), scalar()), 0..4),
            proptest::collection::vec((0i64..4, prop_oneof![Just("TCP"), Just("UDP")]), 0..4),
            proptest::collection::vec("[a-z]{1,2}", 0..3),
        );
        (
            proptest::collection::vec(container, 0..4),
            proptest::collection::vec(name(), 0..4),
            proptest::collection::btree_map(name(), "[a-z]{0,2}", 0..3),
        )
            .prop_map(|(containers, finalizers, labels)| {
                let mut seen = HashSet::new();
                let mut cs = Vec::new();
                for (n, env, ports, args) in containers {
                    if !seen.insert(n.clone()) {
                        continue;
                    }
                    let mut c = Mapping::default();
                    c.insert("name", Value::from(n));
                    c.insert("env", unique_by_name(env, "name"));
                    let mut seen_ports = HashSet::new();
                    let ports = ports
                        .into_iter()
                        .filter(|p| seen_ports.insert(*p))
                        .map(|(p, proto)| {
                            let mut m = Mapping::default();
                            m.insert("containerPort", Value::Int(80 + p));
                            m.insert("protocol", Value::String(proto.into()));
                            Value::Map(m)
                        })
                        .collect();
                    c.insert("ports", Value::Seq(ports));
                    c.insert(
                        "args",
                        Value::Seq(args.into_iter().map(Value::from).collect()),
                    );
                    cs.push(Value::Map(c));
                }
                let mut fin_seen = HashSet::new();
                let finalizers = finalizers
                    .into_iter()
                    .filter(|f| fin_seen.insert(f.clone()))
                    .map(Value::from)
                    .collect();
                let labels = labels
                    .into_iter()
                    .map(|(k, v)| (k, Value::from(v)))
                    .collect();
                let doc = format!("{DEPLOY}      containers: []\n");
                let mut d = yaml(&doc);
                if let Some(Value::Map(spec)) = d.get_mut("spec") {
                    if let Some(Value::Map(t)) = spec.get_mut("template") {
                        if let Some(Value::Map(s)) = t.get_mut("spec") {
                            s.insert("containers", Value::from(cs));
                        }
                    }
                }
                if let Some(Value::Map(meta)) = d.get_mut("metadata") {
                    meta.insert("finalizers", Value::Seq(finalizers));
                    meta.insert("labels", Value::Map(labels));
                }
                d
            })
    }

    /// What [`merge`] makes of `target`, by either list algorithm; also checks that
    /// writing the result over the resource gives what exporting it afresh does.
    fn merged(target: &Value, patch: &Value, linear: bool) -> Result<Value, String> {
        let schema = Schema::builtin();
        let mut m = Merger {
            nodes: Vec::new(),
            sources: Vec::new(),
            schema: &schema,
            linear,
            spare: Spare::default(),
        };
        let dest = m.import(target);
        let origin = m.import(patch);
        Ok(match m.walk(None, [Some(dest), Some(origin)])? {
            None => Value::Null,
            Some(r) if r == dest => {
                let fresh = m.export(dest);
                let mut in_place = target.clone();
                m.export_into(dest, &mut in_place);
                assert_eq!(in_place, fresh, "export_into and export disagree");
                fresh
            }
            Some(_) => target.clone(),
        })
    }

    proptest! {
        #[test]
        fn empty_patch_is_identity(d in deployment()) {
            let p = yaml(DEPLOY.trim_end_matches("spec:\n  template:\n    spec:\n"));
            prop_assert_eq!(merged(&d, &p, true).expect("merge"), d.clone());
            prop_assert_eq!(merged(&d, &p, false).expect("merge"), d);
        }

        #[test]
        fn self_merge_is_identity(d in deployment()) {
            prop_assert_eq!(merged(&d, &d, true).expect("merge"), d.clone());
            prop_assert_eq!(merged(&d, &d, false).expect("merge"), d);
        }

        #[test]
        fn linear_and_general_paths_agree(d in deployment(), p in deployment()) {
            prop_assert_eq!(merged(&d, &p, true), merged(&d, &p, false));
        }

        /// Buffers passed on from earlier merges (of other resources, one failing) change
        /// nothing.
        #[test]
        fn reused_scratch_merges_alike(
            targets in proptest::collection::vec(deployment(), 1..4),
            p in deployment(),
        ) {
            let schema = Schema::builtin();
            let mut scratch = Scratch::default();
            let bad = yaml("apiVersion: apps/v1\nkind: Deployment\nspec: {$patch: foo}\n");
            for d in targets {
                let mut fresh = d.clone();
                let expected = merge(&mut fresh, &p, &schema).map(|()| fresh);
                let mut reused = d.clone();
                let got = merge_with(&mut reused, &p, None, &schema, &mut scratch).map(|()| reused);
                prop_assert_eq!(got, expected);
                prop_assert!(merge_with(&mut d.clone(), &bad, None, &schema, &mut scratch).is_err());
            }
        }
    }
}
