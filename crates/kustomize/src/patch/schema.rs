//! The OpenAPI schema a strategic merge patch reads: for a resource type, which fields are
//! lists, which lists are associative (`x-kubernetes-patch-strategy` containing `merge`) and
//! their merge keys.
//!
//! Upstream (kyaml's `openapi` package) looks a resource's schema up by its `apiVersion` and
//! `kind` (`x-kubernetes-group-version-kind`), then walks it field by field, resolving `$ref`s:
//! a field is a property or, failing that, `additionalProperties`; list elements are `items`,
//! only when the schema's `type` is exactly `array`. [`Schema`] keeps exactly that, as a
//! table of nodes: [`Schema::builtin`] is the Kubernetes v1.21.2 schema upstream compiles in
//! (generated into `k8s-v1.21.2.schema` by `tools/gen-schema.py`), [`Schema::from_openapi`]
//! reads a kustomization's `openapi: {path: ...}` file, which replaces the builtin schema.

use std::borrow::Cow;
use std::collections::HashMap;

use kustomize_yaml::Value;

/// The compact builtin table (see `tools/gen-schema.py` for its format).
#[cfg(test)]
const BUILTIN: &str = include_str!("k8s-v1.21.2.schema");

include!(concat!(env!("OUT_DIR"), "/builtin_schema.rs"));

/// How many `$ref` hops are followed before a reference is considered unresolvable.
const MAX_REF_HOPS: usize = 64;

/// A merge-key schema: immutable, `Send + Sync`, cheap to share in an `Arc`.
#[derive(Debug, Clone)]
pub struct Schema {
    nodes: Cow<'static, [Node]>,
    /// Properties of all nodes; each node owns a range, sorted by name.
    props: Cow<'static, [(Cow<'static, str>, u32)]>,
    /// Resource types: kind -> [(apiVersion, node)].
    by_type: TypeTable,
    /// Named definitions and their nodes, sorted by name (for combining schemas).
    defs: Cow<'static, [(Cow<'static, str>, u32)]>,
}

/// How a custom `openapi:` schema combines with the builtin one, by definition name and by
/// resource type (upstream parses both into one table; what was parsed last wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Combine {
    /// The custom schema alone.
    CustomOnly,
    /// The builtin schema, with the custom definitions replacing those of the same name.
    CustomOverBuiltin,
    /// The custom schema, with the builtin definitions replacing those of the same name.
    BuiltinOverCustom,
}

#[derive(Debug, Clone, Default, PartialEq)]
struct Node {
    array: bool,
    items: Option<u32>,
    additional: Option<u32>,
    strategy: Option<Cow<'static, str>>,
    keys: Cow<'static, [Cow<'static, str>]>,
    props_start: u32,
    props_end: u32,
}

/// The schema of one field (or resource, or list element): a node of a [`Schema`].
#[derive(Debug, Clone, Copy)]
pub struct FieldSchema<'a> {
    schema: &'a Schema,
    node: u32,
}

impl Schema {
    /// The Kubernetes v1.21.2 schema upstream kustomize v5.7.1 compiles in.
    pub fn builtin() -> Schema {
        let mut by_type = TypeTable::with_capacity(BUILTIN_TYPES.len());
        for &(api_version, kind, node) in BUILTIN_TYPES {
            add_type(&mut by_type, api_version.into(), kind.into(), node);
        }
        Schema {
            nodes: Cow::Borrowed(BUILTIN_NODES),
            props: Cow::Borrowed(BUILTIN_PROPS),
            by_type,
            defs: Cow::Owned(
                BUILTIN_DEFS
                    .iter()
                    .map(|&(name, node)| (Cow::Borrowed(name), node))
                    .collect(),
            ),
        }
    }

    /// A schema that knows no types: every list is replaced wholesale.
    pub fn empty() -> Schema {
        Schema {
            nodes: Cow::Owned(vec![Node::default()]),
            props: Cow::Borrowed(&[]),
            by_type: HashMap::new(),
            defs: Cow::Borrowed(&[]),
        }
    }

    /// A schema read from an OpenAPI (swagger 2) document, JSON or YAML, with `definitions`:
    /// what a kustomization's `openapi: {path: ...}` names. It replaces the builtin schema.
    pub fn from_openapi(doc: &Value) -> Result<Schema, String> {
        Self::combined(doc, None)
    }

    /// The custom schema `doc` combined with `base` (the builtin schema) as `how` says: a
    /// `$ref` resolves against the combined definitions, so a custom definition of a type
    /// the builtin ones refer to (`io.k8s.api.core.v1.PodSpec`) changes them too, and a
    /// custom kind may refer to builtin definitions it does not hold.
    pub fn combine(base: &Schema, doc: &Value, how: Combine) -> Result<Schema, String> {
        match how {
            Combine::CustomOnly => Self::combined(doc, None),
            Combine::CustomOverBuiltin => Self::combined(doc, Some((base, false))),
            Combine::BuiltinOverCustom => Self::combined(doc, Some((base, true))),
        }
    }

    /// [`Schema::from_openapi`] on top of `base`, whose definitions win when the flag says.
    fn combined(doc: &Value, base: Option<(&Schema, bool)>) -> Result<Schema, String> {
        let root = doc.as_map().ok_or_else(|| {
            format!(
                "openapi schema: expected a mapping, got a {}",
                doc.type_name()
            )
        })?;
        let mut builder = Builder {
            base,
            ..Builder::default()
        };
        let empty = kustomize_yaml::Mapping::default();
        let defs = match root.get("definitions") {
            None | Some(Value::Null | Value::Blank) => &empty,
            Some(Value::Map(m)) => m,
            Some(other) => {
                return Err(format!(
                    "openapi schema: `definitions` must be a mapping, got a {}",
                    other.type_name()
                ))
            }
        };
        // Where the builtin definitions win, a custom one of the same name is not there.
        let base_wins = |name: &str| base.is_some_and(|(b, wins)| wins && b.def(name).is_some());
        builder.defs = defs
            .iter()
            .filter(|(k, _)| !base_wins(k))
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        // Custom definitions replacing builtin ones are built, so the builtin nodes that
        // refer to them can be pointed at them.
        if let Some((b, false)) = base {
            let names: Vec<String> = builder
                .defs
                .keys()
                .filter(|n| b.def(n).is_some())
                .cloned()
                .collect();
            for name in names {
                builder.definition(&name);
            }
        }
        for (name, def) in defs {
            if base_wins(name) {
                continue;
            }
            let Some(gvks) = def
                .get("x-kubernetes-group-version-kind")
                .and_then(Value::as_seq)
            else {
                continue;
            };
            let mut types = Vec::new();
            for gvk in gvks {
                let (Some(version), Some(kind)) = (
                    gvk.get("version").and_then(Value::as_str),
                    gvk.get("kind").and_then(Value::as_str),
                ) else {
                    continue;
                };
                let api_version = match gvk.get("group").and_then(Value::as_str) {
                    Some(g) if !g.is_empty() => format!("{g}/{version}"),
                    _ => version.to_owned(),
                };
                types.push((api_version, kind.to_owned()));
            }
            if types.is_empty() {
                continue;
            }
            let id = builder.definition(name);
            for (api_version, kind) in types {
                add_type(&mut builder.by_type, api_version.into(), kind.into(), id);
            }
        }
        Ok(builder.finish())
    }

    /// The schema of a resource type, by `apiVersion` and `kind`.
    pub fn for_type(&self, api_version: &str, kind: &str) -> Option<FieldSchema<'_>> {
        let node = self
            .by_type
            .get(kind)?
            .iter()
            .find(|(av, _)| av == api_version)?
            .1;
        Some(FieldSchema { schema: self, node })
    }

    /// The node of a named definition.
    fn def(&self, name: &str) -> Option<u32> {
        self.defs
            .binary_search_by(|(n, _)| n.as_ref().cmp(name))
            .ok()
            .map(|i| self.defs[i].1)
    }

    /// Number of resource types the schema knows.
    pub fn type_count(&self) -> usize {
        self.by_type.values().map(Vec::len).sum()
    }

    fn node(&self, id: u32) -> Option<&Node> {
        self.nodes.get(id as usize)
    }
}

/// Adds a type to a kind-keyed table (a later entry for the same type wins, as upstream's
/// map assignment does).
fn add_type(
    table: &mut TypeTable,
    api_version: Cow<'static, str>,
    kind: Cow<'static, str>,
    node: u32,
) {
    let entries = table.entry(kind).or_default();
    match entries.iter_mut().find(|(av, _)| *av == api_version) {
        Some(e) => e.1 = node,
        None => entries.push((api_version, node)),
    }
}

/// kind -> [(apiVersion, node)].
type TypeTable = HashMap<Cow<'static, str>, Vec<(Cow<'static, str>, u32)>>;

impl<'a> FieldSchema<'a> {
    fn data(&self) -> &'a Node {
        // Node ids are checked when the schema is built.
        static EMPTY: Node = Node {
            array: false,
            items: None,
            additional: None,
            strategy: None,
            keys: Cow::Borrowed(&[]),
            props_start: 0,
            props_end: 0,
        };
        self.schema.node(self.node).unwrap_or(&EMPTY)
    }

    fn at(&self, node: u32) -> FieldSchema<'a> {
        FieldSchema {
            schema: self.schema,
            node,
        }
    }

    /// The schema of field `name`: the property of that name, else `additionalProperties`.
    pub fn field(&self, name: &str) -> Option<FieldSchema<'a>> {
        let n = self.data();
        let props = self
            .schema
            .props
            .get(n.props_start as usize..n.props_end as usize)
            .unwrap_or(&[]);
        match props.binary_search_by(|(p, _)| p.as_ref().cmp(name)) {
            Ok(i) => Some(self.at(props[i].1)),
            Err(_) => n.additional.map(|a| self.at(a)),
        }
    }

    /// The schema of list elements, when this is an array schema with `items`.
    pub fn elements(&self) -> Option<FieldSchema<'a>> {
        let n = self.data();
        if !n.array {
            return None;
        }
        n.items.map(|i| self.at(i))
    }

    /// `x-kubernetes-patch-strategy`, if any.
    pub fn patch_strategy(&self) -> Option<&'a str> {
        self.data().strategy.as_deref()
    }

    /// The merge keys: `x-kubernetes-list-map-keys`, else `x-kubernetes-patch-merge-key`;
    /// empty when there is no patch strategy (or a strategy without keys: a list of scalars).
    pub fn merge_keys(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.data().keys.iter().map(|k| &**k)
    }

    /// Whether the patch strategy lists `merge`: the list is merged element by element.
    pub fn is_associative(&self) -> bool {
        self.patch_strategy()
            .is_some_and(|s| s.split(',').any(|p| p == "merge"))
    }
}

/// Parses the generated table at run time: what build.rs compiles in must equal it.
#[cfg(test)]
fn parse_table(text: &'static str) -> Result<Schema, String> {
    // Sized up front, and tokens found a byte at a time: this runs on every build with a
    // strategic merge.
    let mut nodes = Vec::with_capacity(text.bytes().filter(|&b| b == b'\n').count());
    let mut props: Vec<(Cow<'static, str>, u32)> =
        Vec::with_capacity(text.bytes().filter(|&b| b == b'=').count());
    let mut by_type = TypeTable::new();
    let mut defs = Vec::new();
    let id = |s: &str, line: usize| -> Result<u32, String> {
        s.parse::<u32>()
            .map_err(|_| format!("schema table line {line}: bad node id `{s}`"))
    };
    for (i, line) in text.lines().enumerate() {
        let lineno = i + 1;
        let mut toks = line.split_ascii_whitespace();
        match toks.next() {
            Some("N") => {
                let mut node = Node {
                    props_start: props.len() as u32,
                    ..Node::default()
                };
                for t in toks {
                    if let Some(flag) = t.strip_prefix('@') {
                        let (c, rest) = flag.split_at(flag.len().min(1));
                        match c {
                            "a" => node.array = true,
                            "i" => node.items = Some(id(rest, lineno)?),
                            "x" => node.additional = Some(id(rest, lineno)?),
                            "s" => node.strategy = Some(Cow::Borrowed(rest)),
                            "k" => node.keys = rest.split(',').map(Cow::Borrowed).collect(),
                            _ => return Err(format!("schema table line {lineno}: bad flag `{t}`")),
                        }
                    } else if let Some(eq) = t.bytes().rposition(|b| b == b'=') {
                        props.push((Cow::Borrowed(&t[..eq]), id(&t[eq + 1..], lineno)?));
                    } else {
                        return Err(format!("schema table line {lineno}: bad token `{t}`"));
                    }
                }
                node.props_end = props.len() as u32;
                nodes.push(node);
            }
            Some("G") => {
                let (Some(av), Some(kind), Some(n)) = (toks.next(), toks.next(), toks.next())
                else {
                    return Err(format!("schema table line {lineno}: bad type line"));
                };
                add_type(
                    &mut by_type,
                    Cow::Borrowed(av),
                    Cow::Borrowed(kind),
                    id(n, lineno)?,
                );
            }
            Some("D") => {
                let (Some(name), Some(n)) = (toks.next(), toks.next()) else {
                    return Err(format!("schema table line {lineno}: bad definition line"));
                };
                defs.push((Cow::Borrowed(name), id(n, lineno)?));
            }
            None => {}
            Some(t) if t.starts_with('#') => {}
            _ => return Err(format!("schema table line {lineno}: unknown line")),
        }
    }
    let count = nodes.len() as u32;
    let bad = nodes
        .iter()
        .flat_map(|n| [n.items, n.additional])
        .flatten()
        .chain(props.iter().map(|p| p.1))
        .chain(by_type.values().flatten().map(|e| e.1))
        .any(|n| n >= count);
    if bad || nodes.is_empty() {
        return Err("schema table: node id out of range".into());
    }
    Ok(Schema {
        nodes: Cow::Owned(nodes),
        props: Cow::Owned(props),
        by_type,
        defs: Cow::Owned(defs),
    })
}

/// Marks a node id of the base schema among a [`Builder`]'s own.
const BASE: u32 = 1 << 31;

/// Builds a [`Schema`] from swagger definitions, resolving `$ref`s as kyaml does (to the
/// base schema's definitions when these do not have the name).
#[derive(Default)]
struct Builder<'b> {
    /// The schema built on, and whether its definitions win over these.
    base: Option<(&'b Schema, bool)>,
    defs: HashMap<String, Value>,
    nodes: Vec<Option<Node>>,
    /// Properties collected per node before they are laid out.
    node_props: Vec<Vec<(String, u32)>>,
    def_ids: HashMap<String, u32>,
    by_type: TypeTable,
}

/// Where a `$ref` leads.
enum Target {
    /// Not a reference.
    Inline,
    /// One of the definitions being built.
    Def(String),
    /// A node of the base schema.
    Base(u32),
}

impl Builder<'_> {
    fn alloc(&mut self) -> u32 {
        self.nodes.push(None);
        self.node_props.push(Vec::new());
        (self.nodes.len() - 1) as u32
    }

    /// The node of a named definition.
    fn definition(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.def_ids.get(name) {
            return id;
        }
        let id = self.alloc();
        self.def_ids.insert(name.to_owned(), id);
        let def = self.defs.get(name).cloned().unwrap_or(Value::Null);
        self.fill(id, &def);
        id
    }

    /// Follows `$ref`s from `s`; `Err(())` when one does not resolve.
    fn resolve(&self, s: &Value) -> Result<Target, ()> {
        let mut cur = s;
        let mut name = None;
        for _ in 0..MAX_REF_HOPS {
            let Some(r) = cur.get("$ref") else {
                return Ok(name.map_or(Target::Inline, Target::Def));
            };
            let r = r.as_str().ok_or(())?;
            if r.is_empty() {
                return Ok(name.map_or(Target::Inline, Target::Def));
            }
            let n = r.strip_prefix("#/definitions/").ok_or(())?;
            let n = unescape_pointer(n);
            match self.defs.get(&n) {
                Some(def) => cur = def,
                None => {
                    let (base, _) = self.base.ok_or(())?;
                    return base.def(&n).map(|id| Target::Base(id | BASE)).ok_or(());
                }
            }
            name = Some(n);
        }
        Err(())
    }

    /// The node for schema `s` (a definition's property, items, additionalProperties).
    fn schema(&mut self, s: &Value) -> Option<u32> {
        match self.resolve(s) {
            Err(()) => None,
            Ok(Target::Def(name)) => Some(self.definition(&name)),
            Ok(Target::Base(id)) => Some(id),
            Ok(Target::Inline) => {
                let id = self.alloc();
                self.fill(id, s);
                Some(id)
            }
        }
    }

    fn fill(&mut self, id: u32, s: &Value) {
        let mut node = Node {
            array: match s.get("type") {
                Some(Value::String(t)) => t == "array",
                Some(Value::Seq(ts)) => ts.len() == 1 && ts[0].as_str() == Some("array"),
                _ => false,
            },
            ..Node::default()
        };
        if let Some(items @ Value::Map(_)) = s.get("items") {
            node.items = self.schema(items);
        }
        if let Some(addl @ Value::Map(_)) = s.get("additionalProperties") {
            node.additional = self.schema(addl);
        }
        if let Some(strategy) = s.get("x-kubernetes-patch-strategy").and_then(Value::as_str) {
            node.strategy = Some(Cow::Owned(strategy.to_owned()));
            let keys: Vec<Cow<'static, str>> = match s.get("x-kubernetes-list-map-keys") {
                Some(Value::Seq(keys)) => keys
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|k| Cow::Owned(k.to_owned()))
                    .collect(),
                _ => s
                    .get("x-kubernetes-patch-merge-key")
                    .and_then(Value::as_str)
                    .map(|k| vec![Cow::Owned(k.to_owned())])
                    .unwrap_or_default(),
            };
            node.keys = Cow::Owned(keys);
        }
        let mut props = Vec::new();
        if let Some(Value::Map(ps)) = s.get("properties") {
            for (name, p) in ps {
                if let Some(pid) = self.schema(p) {
                    props.push((name.to_string(), pid));
                }
            }
        }
        if let Some(slot) = self.nodes.get_mut(id as usize) {
            *slot = Some(node);
        }
        if let Some(slot) = self.node_props.get_mut(id as usize) {
            *slot = props;
        }
    }

    /// The schema: the base's nodes (when there is a base; else the empty node 0), then
    /// the ones built here. Where these definitions win, every reference to a base
    /// definition of the same name (in the base's nodes and types too) leads to this one.
    fn finish(self) -> Schema {
        let (mut nodes, mut props, mut by_type, mut defs) = match self.base {
            Some((b, _)) => (
                b.nodes.to_vec(),
                b.props.to_vec(),
                b.by_type.clone(),
                b.defs.to_vec(),
            ),
            // Node 0 stays the empty schema, as in the builtin table.
            None => (
                vec![Node::default()],
                Vec::new(),
                TypeTable::new(),
                Vec::new(),
            ),
        };
        let offset = nodes.len() as u32;
        let base_wins = self.base.is_some_and(|(_, wins)| wins);
        // Base definitions replaced by these: base node -> new node.
        let mut replaced: HashMap<u32, u32> = HashMap::new();
        for (name, &local) in &self.def_ids {
            let new = offset + local;
            match defs.binary_search_by(|(n, _)| n.as_ref().cmp(name.as_str())) {
                Ok(i) if !base_wins => {
                    replaced.insert(defs[i].1, new);
                    defs[i].1 = new;
                }
                Ok(_) => {}
                Err(i) => defs.insert(i, (Cow::Owned(name.clone()), new)),
            }
        }
        let base_id = |id: u32| replaced.get(&id).copied().unwrap_or(id);
        let id = |id: u32| {
            if id & BASE != 0 {
                base_id(id & !BASE)
            } else {
                offset + id
            }
        };
        if !replaced.is_empty() {
            for n in &mut nodes {
                n.items = n.items.map(base_id);
                n.additional = n.additional.map(base_id);
            }
            for p in &mut props {
                p.1 = base_id(p.1);
            }
            for e in by_type.values_mut().flatten() {
                e.1 = base_id(e.1);
            }
        }
        for (node, mut ps) in self.nodes.into_iter().zip(self.node_props) {
            let mut node = node.unwrap_or_default();
            node.items = node.items.map(id);
            node.additional = node.additional.map(id);
            ps.sort_by(|a, b| a.0.cmp(&b.0));
            ps.dedup_by(|a, b| a.0 == b.0);
            node.props_start = props.len() as u32;
            props.extend(ps.into_iter().map(|(n, i)| (Cow::Owned(n), id(i))));
            node.props_end = props.len() as u32;
            nodes.push(node);
        }
        for (kind, entries) in self.by_type {
            for (api_version, node) in entries {
                let known = by_type
                    .get(&kind)
                    .is_some_and(|e| e.iter().any(|(av, _)| *av == api_version));
                if !(base_wins && known) {
                    add_type(&mut by_type, api_version, kind.clone(), id(node));
                }
            }
        }
        Schema {
            nodes: Cow::Owned(nodes),
            props: Cow::Owned(props),
            by_type,
            defs: Cow::Owned(defs),
        }
    }
}

/// JSON pointer unescaping of one reference token (`~1` is `/`, `~0` is `~`).
fn unescape_pointer(s: &str) -> String {
    if s.contains('~') {
        s.replace("~1", "/").replace("~0", "~")
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_table_parses() {
        let s = parse_table(BUILTIN).expect("table parses");
        assert!(s.type_count() > 250);
    }

    /// The data build.rs compiles in is the table as parsed at run time.
    #[test]
    fn compiled_schema_equals_the_parsed_table() {
        let parsed = parse_table(BUILTIN).expect("table parses");
        let compiled = Schema::builtin();
        assert_eq!(compiled.nodes, parsed.nodes);
        assert_eq!(compiled.props, parsed.props);
        assert_eq!(compiled.by_type, parsed.by_type);
        assert_eq!(compiled.defs, parsed.defs);
        assert!(compiled.defs.windows(2).all(|w| w[0].0 < w[1].0));
    }

    /// A custom kind whose template refers to the builtin PodTemplateSpec, and a custom
    /// PodSpec with a plain `containers` list: how they combine decides which lists merge.
    #[test]
    fn custom_schemas_combine_by_definition_name() {
        let doc = kustomize_yaml::parse_documents(
            r##"{"definitions": {
              "x.My": {"x-kubernetes-group-version-kind": [{"group": "x", "version": "v1", "kind": "My"}],
                       "properties": {"template": {"$ref": "#/definitions/io.k8s.api.core.v1.PodTemplateSpec"}}},
              "io.k8s.api.core.v1.PodSpec": {"properties": {"containers": {"type": "array", "items": {}}}}}}"##,
            kustomize_yaml::Schema::Kyaml,
        )
        .unwrap()
        .remove(0);
        let builtin = Schema::builtin();
        let containers = |s: &Schema, av: &str, kind: &str, path: &[&str]| {
            let mut f = s.for_type(av, kind)?;
            for p in path {
                f = f.field(p)?;
            }
            Some(f.is_associative())
        };
        let my = ["template", "spec", "containers"];
        let dep = ["spec", "template", "spec", "containers"];
        let only = Schema::combine(&builtin, &doc, Combine::CustomOnly).unwrap();
        assert_eq!(containers(&only, "x/v1", "My", &my), None);
        assert!(only.for_type("apps/v1", "Deployment").is_none());
        let under = Schema::combine(&builtin, &doc, Combine::BuiltinOverCustom).unwrap();
        assert_eq!(containers(&under, "x/v1", "My", &my), Some(true));
        assert_eq!(
            containers(&under, "apps/v1", "Deployment", &dep),
            Some(true)
        );
        let over = Schema::combine(&builtin, &doc, Combine::CustomOverBuiltin).unwrap();
        assert_eq!(containers(&over, "x/v1", "My", &my), Some(false));
        assert_eq!(
            containers(&over, "apps/v1", "Deployment", &dep),
            Some(false)
        );
        assert_eq!(
            containers(&builtin, "apps/v1", "Deployment", &dep),
            Some(true)
        );
    }

    #[test]
    fn builtin_deployment_containers() {
        let s = Schema::builtin();
        let d = s.for_type("apps/v1", "Deployment").expect("deployment");
        let containers = d
            .field("spec")
            .and_then(|f| f.field("template"))
            .and_then(|f| f.field("spec"))
            .and_then(|f| f.field("containers"))
            .expect("containers");
        assert!(containers.is_associative());
        assert_eq!(containers.merge_keys().collect::<Vec<_>>(), ["name"]);
        let ports = containers
            .elements()
            .and_then(|c| c.field("ports"))
            .expect("ports");
        assert_eq!(
            ports.merge_keys().collect::<Vec<_>>(),
            ["containerPort", "protocol"]
        );
        let args = containers
            .elements()
            .and_then(|c| c.field("args"))
            .expect("args");
        assert!(!args.is_associative());
        let labels = d
            .field("metadata")
            .and_then(|m| m.field("labels"))
            .and_then(|l| l.field("anything"));
        assert!(labels.is_some());
        let fin = d
            .field("metadata")
            .and_then(|m| m.field("finalizers"))
            .expect("finalizers");
        assert!(fin.is_associative());
        assert_eq!(fin.merge_keys().count(), 0);
        assert!(s.for_type("example.com/v1", "Foo").is_none());
    }

    #[test]
    fn builtin_parses_fast() {
        let start = std::time::Instant::now();
        for _ in 0..10 {
            let _ = Schema::builtin();
        }
        let each = start.elapsed() / 10;
        eprintln!("Schema::builtin(): {each:?}");
        // Generous bound so that a loaded debug build passes; release is far below 1 ms.
        assert!(each.as_millis() < 50);
    }

    #[test]
    fn openapi_document() {
        let doc = kustomize_yaml::parse_documents(
            r##"
definitions:
  com.example.v1.Foo:
    x-kubernetes-group-version-kind:
    - group: example.com
      version: v1
      kind: Foo
    properties:
      spec:
        $ref: "#/definitions/com.example.v1.FooSpec"
  com.example.v1.FooSpec:
    properties:
      items:
        type: array
        x-kubernetes-patch-strategy: merge
        x-kubernetes-patch-merge-key: id
        items:
          $ref: "#/definitions/com.example.v1.Item"
      self:
        $ref: "#/definitions/com.example.v1.FooSpec"
  com.example.v1.Item:
    properties:
      id: {type: string}
"##,
            kustomize_yaml::Schema::Kyaml,
        )
        .expect("yaml")
        .remove(0);
        let s = Schema::from_openapi(&doc).expect("schema");
        let foo = s.for_type("example.com/v1", "Foo").expect("foo");
        let items = foo
            .field("spec")
            .and_then(|f| f.field("self"))
            .and_then(|f| f.field("items"))
            .expect("items");
        assert!(items.is_associative());
        assert_eq!(items.merge_keys().collect::<Vec<_>>(), ["id"]);
        assert!(items.elements().and_then(|e| e.field("id")).is_some());
        assert!(s.for_type("apps/v1", "Deployment").is_none());
    }
}
