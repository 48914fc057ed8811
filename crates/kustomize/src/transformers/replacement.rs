//! `ReplacementTransformer`: `replacements:` (inline or from files) and the builtin plugin
//! config.
//!
//! Upstream's rules (`filters/replacement`):
//! - the source is one resource selected by id (current or previous; name and namespace
//!   exact, Gvk parts when given), or `sourceValue`; its `fieldPath` (default
//!   `metadata.name`) must exist; `options.delimiter`/`index` pick a part of a scalar;
//! - every target resource selected by `select` (id, labels, annotations) and not by a
//!   `reject` gets the value at each of its `fieldPaths`; a path that reaches nothing is
//!   an error unless `options.create` makes it;
//! - paths are `.`-separated: a field, `[key=regex]` (the elements whose `key` matches),
//!   `[=regex]` (primitive elements), an index, or `*` (every element); brackets may hold
//!   dots;
//! - a scalar target keeps its type and takes the source's text (`replicas: 1` stays a
//!   number); a created or map/list target takes the source value as is.

use crate::fieldspec::path_may_touch_id;
use kustomize_yaml::resolve::{plain, resolve_v3, untagged};
use std::sync::Arc;

use kustomize_yaml::{Mapping, Seq, Value, MAX_DEPTH, MAX_DEPTH_MESSAGE};

use super::{node_at, Step, Transformer};
use crate::kustomization::{
    FieldOptions, ReplacementField, Selector, SourceSelector, TargetSelector,
};
use crate::limits::Allowance;
use crate::loader::Loader;
use crate::resid::{Gvk, ResId};
use crate::resmap::ResMap;
use crate::resource::{scalar_text, Resource};
use crate::selector::LabelSelector;
use crate::Error;

/// One replacement: a source (or a literal value) and its targets.
#[derive(Debug, Clone)]
pub struct Replacement {
    source: Option<SourceSelector>,
    source_value: Option<String>,
    targets: Vec<TargetSelector>,
}

/// Applies replacements in order.
#[derive(Debug, Clone)]
pub struct ReplacementTransformer {
    replacements: Vec<Replacement>,
    /// What the build has left of its limits: each value set is charged.
    allowance: Arc<Allowance>,
}

fn err(message: impl Into<String>) -> Error {
    Error::Transform {
        transformer: "ReplacementTransformer",
        message: message.into(),
    }
}

impl ReplacementTransformer {
    /// The replacements of a `replacements:` list: inline ones, and files (`path`) holding
    /// one replacement or a list of them.
    pub fn new(fields: &[ReplacementField], loader: &Loader) -> Result<Self, Error> {
        let mut replacements = Vec::new();
        for f in fields {
            if f.path.is_empty() {
                replacements.push(Replacement {
                    source: f.source.clone(),
                    source_value: f.source_value.clone(),
                    targets: f.targets.clone(),
                });
                continue;
            }
            if f.source.is_some() || !f.targets.is_empty() {
                return Err(err("cannot specify both path and inline replacement"));
            }
            let (doc, file) = loader.load_document(&f.path, kustomize_yaml::Schema::Yaml11)?;
            let items = match doc {
                Value::Seq(items) => items.into_iter().collect(),
                m @ Value::Map(_) => vec![m],
                other => {
                    return Err(err(format!(
                        "unsupported replacement type encountered within replacement path: {}",
                        other.type_name()
                    )))
                }
            };
            for item in &items {
                let f: ReplacementField = kustomize_yaml::de::from_value_lenient(item)
                    .map_err(|e| err(format!("{}: {e}", file.display())))?;
                replacements.push(Replacement {
                    source: f.source,
                    source_value: f.source_value,
                    targets: f.targets,
                });
            }
        }
        Ok(ReplacementTransformer {
            replacements,
            allowance: Arc::clone(loader.allowance()),
        })
    }
}

impl Transformer for ReplacementTransformer {
    fn transform(&self, resources: &mut ResMap) -> Result<(), Error> {
        for r in &self.replacements {
            if (r.source.is_none() && r.source_value.is_none()) || r.targets.is_empty() {
                return Err(err(
                    "replacements must specify a source and at least one target",
                ));
            }
            let mut source = source_value(resources, r)?;
            for target in &r.targets {
                apply_target(resources, target, &mut source, &self.allowance)?;
            }
        }
        Ok(())
    }
}

/// The ids a resource answers to: current, then previous.
fn ids(r: &Resource) -> Vec<ResId> {
    let mut out = vec![r.cur_id()];
    out.extend(r.prev_ids());
    out
}

/// Upstream's `ResId.IsSelectedBy`: name and namespace exact when given (an empty
/// namespace counts as `default`), Gvk parts when given.
fn selected_by(id: &ResId, sel: &Gvk, name: &str, namespace: &str) -> bool {
    let ns = |s: &str| {
        if s.is_empty() {
            "default".to_owned()
        } else {
            s.to_owned()
        }
    };
    (name.is_empty() || name == id.name)
        && (namespace.is_empty() || ns(namespace) == ns(&id.namespace))
        && id.gvk.is_selected_by(sel)
}

/// A replacement's value, and where it lives when upstream reads it live.
///
/// Upstream keeps the source field's node itself (unless a delimiter refines it) and copies
/// it at every write; a write into that very node (a target that is the source field) or
/// into a node below it therefore changes what later targets receive. kustomize-rs reads
/// the source field again after each write into the source resource.
struct Source {
    value: Value,
    /// The value's size, for the depth check and the allowance.
    size: kustomize_yaml::Size,
    /// The source resource's index and the field's path, when the value is live.
    live: Option<(usize, Vec<String>)>,
}

impl Source {
    /// After a write into resource `index` (`obj`): the field's current value, if it is
    /// still there.
    fn reread(&mut self, index: usize, obj: &Value) {
        if let Some((i, path)) = &self.live {
            if *i == index {
                if let Ok(Some(v)) = lookup(obj, path) {
                    if *v != self.value {
                        self.value = v.clone();
                        self.size = v.size();
                    }
                }
            }
        }
    }
}

fn source_value(resources: &ResMap, r: &Replacement) -> Result<Source, Error> {
    if r.source.is_some() && r.source_value.is_some() {
        return Err(err("value and resource selectors are mutually exclusive"));
    }
    let Some(src) = &r.source else {
        let value = Value::from(r.source_value.clone().unwrap_or_default());
        return Ok(Source {
            size: value.size(),
            value,
            live: None,
        });
    };
    let gvk = Gvk::new(&src.group, &src.version, &src.kind);
    // A named source is among the resources that have (or had) that name.
    let all = resources.resources();
    let candidates: Vec<(usize, &Resource)> = if src.name.is_empty() {
        all.iter().enumerate().collect()
    } else {
        resources
            .indices_named(&src.name)
            .into_iter()
            .filter_map(|i| all.get(i).map(|r| (i, r)))
            .collect()
    };
    let mut found: Option<(usize, &Resource)> = None;
    for (i, res) in candidates {
        if ids(res)
            .iter()
            .any(|id| selected_by(id, &gvk, &src.name, &src.namespace))
        {
            if found.is_some() {
                return Err(err(format!(
                    "multiple matches for selector {}",
                    describe(src)
                )));
            }
            found = Some((i, res));
        }
    }
    let Some((index, res)) = found else {
        return Err(err(format!("nothing selected by {}", describe(src))));
    };
    let field_path = if src.field_path.is_empty() {
        "metadata.name"
    } else {
        &src.field_path
    };
    let path = smarter_split(field_path);
    let value = lookup(res.value(), &path)?
        // `IsNilOrEmpty`: a null however spelled (`~`, `Null`), `{}` or `[]` is missing.
        .filter(|v| match v {
            Value::Map(m) => !m.is_empty(),
            Value::Seq(s) => !s.is_empty(),
            v => !v.is_null(),
        })
        .ok_or_else(|| {
            err(format!(
                "fieldPath `{field_path}` is missing for replacement source {}",
                describe(src)
            ))
        })?;
    let refined = src
        .options
        .as_ref()
        .is_some_and(|o| !o.delimiter.is_empty());
    let value = refine(src.options.as_ref(), value.clone())?;
    Ok(Source {
        size: value.size(),
        value,
        live: (!refined).then_some((index, path)),
    })
}

fn describe(s: &SourceSelector) -> String {
    ResId::new(
        Gvk::new(&s.group, &s.version, &s.kind),
        &s.name,
        &s.namespace,
    )
    .to_string()
}

/// `delimiter`/`index` on a source: the index-th part of the scalar.
fn refine(options: Option<&FieldOptions>, value: Value) -> Result<Value, Error> {
    let Some(o) = options.filter(|o| !o.delimiter.is_empty()) else {
        return Ok(value);
    };
    if matches!(value, Value::Map(_) | Value::Seq(_)) {
        return Err(err("delimiter option can only be used with scalar nodes"));
    }
    let text = scalar_text(Some(&value));
    let parts: Vec<&str> = text.split(o.delimiter.as_str()).collect();
    let part = usize::try_from(o.index)
        .ok()
        .and_then(|i| parts.get(i))
        .ok_or_else(|| {
            err(format!(
                "options.index {} is out of bounds for value {text}",
                o.index
            ))
        })?;
    retype(&value, part)
}

/// A scalar of `like`'s type holding `text`: upstream copies only the text into the
/// existing node, which keeps its tag. A string stays a string (`0x1F` copied into a
/// string prints `"0x1F"`); any other tag holds text that reads as that type (`0x1F` into
/// an int is 31, an int's text into a float is that number). Text that does not fit the
/// tag is upstream's error when it prints the resource (``cannot decode !!str `c` as a
/// !!int``), found here at once.
///
/// An untagged target (an image, a field an earlier replacement created) takes any text,
/// resolved when printed; a string keeps its style and marks.
fn retype(like: &Value, text: &str) -> Result<Value, Error> {
    let tag = match like {
        Value::String(s) if s.is_untagged() && !s.is_styled() => return Ok(untagged(text)),
        Value::Plain(s) if s.is_untagged() => return Ok(untagged(text)),
        Value::String(s) => {
            let quoted = s.has_quotes();
            let mut s = s.clone();
            s.set(text);
            return Ok(Value::String(s.styled(quoted)));
        }
        Value::Int(_) | Value::UInt(_) => "int",
        Value::Float(_) => "float",
        Value::Bool(_) => "bool",
        Value::Null | Value::Blank => "null",
        Value::Plain(t) => resolve_v3(t, true).tag_name(),
        Value::Seq(_) | Value::Map(_) => return Ok(untagged(text)),
    };
    let found = resolve_v3(text, true).tag_name();
    if found == tag || (tag == "float" && found == "int") {
        return Ok(plain(text));
    }
    Err(err(format!(
        "map[string]interface {{}}(nil): yaml: cannot decode !!{found} `{text}` as a !!{tag}"
    )))
}

/// Splits a field path at dots outside `[...]` (upstream's `SmarterPathSplitter`):
/// `a.[name=x.y].b` is `a`, `[name=x.y]`, `b`; a bracket without `=` loses its brackets.
pub fn smarter_split(path: &str) -> Vec<String> {
    let parts = crate::fieldspec::split_path(path, '.');
    let mut out = Vec::new();
    let mut i = 0;
    while i < parts.len() {
        let p = &parts[i];
        if p.starts_with('[') && !p.ends_with(']') {
            let mut joined = vec![p.clone()];
            while i + 1 < parts.len() {
                i += 1;
                joined.push(parts[i].clone());
                if parts[i].ends_with(']') {
                    break;
                }
            }
            let s = joined.join(".");
            if s.contains('=') {
                out.push(s);
            } else {
                out.push(s.trim_matches(|c| c == '[' || c == ']').to_owned());
            }
        } else {
            out.push(p.clone());
        }
        i += 1;
    }
    out
}

/// `[key=value]` split into key and value.
fn list_index(part: &str) -> Option<(&str, &str)> {
    part.strip_prefix('[')?.strip_suffix(']')?.split_once('=')
}

/// Upstream's `Lookup` (no wildcards): the node at `path`, if any.
fn lookup<'a>(node: &'a Value, path: &[String]) -> Result<Option<&'a Value>, Error> {
    let mut cur = node;
    for part in path {
        let next = if let Ok(i) = part.parse::<i64>() {
            if i < 0 {
                return Err(err(format!("array index {i} cannot be negative")));
            }
            cur.as_seq().and_then(|s| s.get(i as usize))
        } else if part == "-" {
            cur.as_seq().and_then(|s| s.last())
        } else if part == "*" {
            return Err(err("wildcard is not supported in PathGetter"));
        } else if let Some((key, value)) = list_index(part) {
            cur.as_seq().and_then(|s| {
                s.iter().find(|e| {
                    if key.is_empty() {
                        scalar_text(Some(e)) == value
                    } else {
                        e.get(key).is_some_and(|v| scalar_text(Some(v)) == value)
                    }
                })
            })
        } else {
            cur.get(part)
        };
        match next {
            Some(n) => cur = n,
            None => return Ok(None),
        }
    }
    Ok(Some(cur))
}

/// Where the target path leads, creating what `create` allows; each match is a list of
/// steps from the resource root and whether its last node was created here, or `None` for
/// a field "created" under a null: upstream's `PathMatcher` appends it to the null scalar's
/// hidden content, so the replacement succeeds and changes nothing that prints.
fn match_paths(
    node: &mut Value,
    path: &[String],
    create: Option<&Value>,
    prefix: &mut Vec<Step>,
    created: bool,
    out: &mut Vec<Option<(Vec<Step>, bool)>>,
) -> Result<(), Error> {
    kustomize_yaml::stack::deeper(|| match_here(node, path, create, prefix, created, out))
}

/// [`match_paths`] at one node.
fn match_here(
    node: &mut Value,
    path: &[String],
    create: Option<&Value>,
    prefix: &mut Vec<Step>,
    created: bool,
    out: &mut Vec<Option<(Vec<Step>, bool)>>,
) -> Result<(), Error> {
    let Some((part, rest)) = path.split_first() else {
        out.push(Some((prefix.clone(), created)));
        return Ok(());
    };
    // A null is no collection: it matches nothing, and what create makes under it is lost.
    if node.is_null() {
        match part.parse::<usize>() {
            Ok(0) if create.is_some() => out.push(None),
            Ok(i) => {
                return Err(err(format!(
                    "index {i} specified but only 0 elements found"
                )))
            }
            Err(_) if create.is_some() && part != "*" => out.push(None),
            Err(_) => {}
        }
        return Ok(());
    }
    let next_kind = |rest: &[String]| -> Value {
        match rest.first() {
            None => match create {
                Some(Value::Map(_)) => Value::Map(Mapping::default()),
                Some(Value::Seq(_)) => Value::Seq(Seq::new()),
                _ => Value::Null,
            },
            Some(n) if n == "*" || n.parse::<usize>().is_ok() || n.starts_with('[') => {
                Value::Seq(Seq::new())
            }
            Some(_) => Value::Map(Mapping::default()),
        }
    };
    if let Ok(i) = part.parse::<usize>() {
        let Value::Seq(items) = node else {
            return Err(err(format!("wrong node kind: expected sequence at {part}")));
        };
        let mut made = false;
        if items.len() == i && create.is_some() {
            items.push(next_kind(rest));
            made = true;
        }
        let len = items.len();
        let item = items
            .get_mut(i)
            .ok_or_else(|| err(format!("index {i} specified but only {len} elements found")))?;
        prefix.push(Step::Index(i));
        match_paths(item, rest, create, prefix, made, out)?;
        prefix.pop();
        return Ok(());
    }
    if part == "*" {
        let Value::Seq(items) = node else {
            return Err(err("wrong node kind: wildcard needs a sequence"));
        };
        for (i, item) in items.iter_mut().enumerate() {
            prefix.push(Step::Index(i));
            match_paths(item, rest, create, prefix, false, out)?;
            prefix.pop();
        }
        return Ok(());
    }
    if let Some((key, pattern)) = list_index(part) {
        // Unanchored, as upstream's `PathMatcher` compiles it.
        let re = crate::go_regex::compile(pattern).map_err(err)?;
        let Value::Seq(items) = node else {
            return Ok(());
        };
        let matches = |e: &Value| {
            let v = if key.is_empty() { Some(e) } else { e.get(key) };
            v.is_some_and(|v| !v.is_null() && re.is_match(scalar_text(Some(v)).trim()))
        };
        let mut any = false;
        for (i, item) in items.iter_mut().enumerate() {
            if matches(item) {
                any = true;
                prefix.push(Step::Index(i));
                match_paths(item, rest, create, prefix, false, out)?;
                prefix.pop();
            }
        }
        if !any && create.is_some() {
            let elem = if key.is_empty() {
                Value::from(pattern.to_owned())
            } else {
                let mut m = Mapping::default();
                m.insert(key.to_owned(), Value::from(pattern.to_owned()));
                Value::Map(m)
            };
            items.push(elem);
            let i = items.len() - 1;
            prefix.push(Step::Index(i));
            match_paths(&mut items[i], rest, create, prefix, false, out)?;
            prefix.pop();
        }
        return Ok(());
    }
    let Value::Map(map) = node else {
        return Ok(());
    };
    let mut made = false;
    if !map.contains_key(part.as_str()) {
        if create.is_none() {
            return Ok(());
        }
        map.insert(part.clone(), next_kind(rest));
        made = true;
    }
    let Some(field) = map.get_mut(part.as_str()) else {
        return Ok(());
    };
    prefix.push(Step::Key(part.as_str().into()));
    match_paths(field, rest, create, prefix, made, out)?;
    prefix.pop();
    Ok(())
}

/// Whether a resource passes a target's label/annotation selectors and rejections.
fn selected_by_labels(r: &Resource, t: &TargetSelector, select: &Selector) -> Result<bool, Error> {
    let check = |s: &Selector| -> Result<bool, Error> {
        let labels = string_map(r, "labels");
        let annotations = string_map(r, "annotations");
        let ok =
            |text: &str, m: &std::collections::BTreeMap<String, String>| -> Result<bool, Error> {
                if text.is_empty() {
                    return Ok(true);
                }
                Ok(LabelSelector::parse(text).map_err(err)?.matches(m))
            };
        Ok(ok(&s.annotation_selector, &annotations)? && ok(&s.label_selector, &labels)?)
    };
    if !check(select)? {
        return Ok(false);
    }
    for reject in &t.reject {
        if reject.annotation_selector.is_empty() && reject.label_selector.is_empty() {
            continue;
        }
        if check(reject)? {
            return Ok(false);
        }
    }
    Ok(true)
}

fn string_map(r: &Resource, field: &str) -> std::collections::BTreeMap<String, String> {
    match r.value().get_path(&["metadata", field]) {
        Some(Value::Map(m)) => m
            .iter()
            .map(|(k, v)| (k.to_string(), scalar_text(Some(v))))
            .collect(),
        _ => Default::default(),
    }
}

/// Sets `value` at every field path of every resource `t` selects. A path (created or
/// not) with a collection value may not make a resource nest deeper than [`MAX_DEPTH`]
/// collections (upstream fails re-reading such a resource), and every value set is
/// charged to the build.
fn apply_target(
    resources: &mut ResMap,
    t: &TargetSelector,
    source: &mut Source,
    allowance: &Allowance,
) -> Result<(), Error> {
    let Some(select) = &t.select else {
        return Err(err("target must specify resources to select"));
    };
    let default_paths = ["metadata.name".to_owned()];
    let field_paths: &[String] = if t.field_paths.is_empty() {
        &default_paths
    } else {
        &t.field_paths
    };
    let sel_gvk = Gvk::new(&select.group, &select.version, &select.kind);
    let rejects: Vec<(Gvk, &Selector)> = t
        .reject
        .iter()
        .filter(|r| {
            !(r.group.is_empty()
                && r.version.is_empty()
                && r.kind.is_empty()
                && r.name.is_empty()
                && r.namespace.is_empty())
        })
        .map(|r| (Gvk::new(&r.group, &r.version, &r.kind), r))
        .collect();
    let create = t.options.as_ref().is_some_and(|o| o.create);
    let paths: Vec<(&String, Vec<String>)> = field_paths
        .iter()
        .map(|fp| (fp, smarter_split(fp)))
        .collect();
    let too_deep = |source: &Source| {
        paths
            .iter()
            .any(|(_, p)| p.len() + source.size.depth > MAX_DEPTH)
    };
    if too_deep(source) {
        return Err(err(MAX_DEPTH_MESSAGE));
    }
    // A replacement that cannot change an id keeps the id indexes (the next replacement's
    // source lookup uses them).
    let targets = if paths.iter().any(|(_, p)| path_may_touch_id(p)) {
        resources.iter_mut()
    } else {
        resources.iter_mut_keeping_ids()
    };
    for (n, r) in targets.enumerate() {
        allowance.poll(n)?;
        if !selected_by_labels(r, t, select)? {
            continue;
        }
        let ids = ids(r);
        let rejected = rejects.iter().any(|(g, s)| {
            ids.iter()
                .any(|id| selected_by(id, g, &s.name, &s.namespace))
        });
        let selected = ids
            .iter()
            .any(|id| selected_by(id, &sel_gvk, &select.name, &select.namespace));
        if !selected || rejected {
            continue;
        }
        // The value is copied into existing fields in place: linked fields share it.
        r.write_linked(|obj| {
            for (fp, path) in &paths {
                let mut matches = Vec::new();
                let what = if create { "find or create" } else { "find" };
                let unable = format!("unable to {what} field \"{fp}\" in replacement target");
                match_paths(
                    obj,
                    path,
                    create.then_some(&source.value),
                    &mut Vec::new(),
                    false,
                    &mut matches,
                )
                .map_err(|e| match e {
                    Error::Transform { message, .. } => err(format!("{unable}: {message}")),
                    e => e,
                })?;
                if matches.is_empty() {
                    return Err(err(unable));
                }
                for (steps, created) in matches.into_iter().flatten() {
                    if too_deep(source) {
                        return Err(err(MAX_DEPTH_MESSAGE));
                    }
                    allowance.charge(source.size.cost)?;
                    if let Some(node) = node_at(obj, &steps) {
                        set_field(t.options.as_ref(), node, &source.value, created)?;
                    }
                    source.reread(n, obj);
                }
            }
            Ok(())
        })?;
    }
    Ok(())
}

fn set_field(
    options: Option<&FieldOptions>,
    target: &mut Value,
    value: &Value,
    created: bool,
) -> Result<(), Error> {
    let mut value = value.clone();
    if let Some(o) = options.filter(|o| !o.delimiter.is_empty()) {
        if matches!(target, Value::Map(_) | Value::Seq(_)) {
            return Err(err("delimiter option can only be used with scalar nodes"));
        }
        let current = scalar_text(Some(target));
        let mut parts: Vec<String> = current
            .split(o.delimiter.as_str())
            .map(str::to_owned)
            .collect();
        let v = scalar_text(Some(&value));
        if o.index < 0 {
            parts.insert(0, v);
        } else if o.index as usize >= parts.len() {
            parts.push(v);
        } else {
            parts[o.index as usize] = v;
        }
        value = Value::from(parts.join(&o.delimiter));
    }
    match target {
        Value::Map(_) | Value::Seq(_) => *target = value,
        _ if created => {
            *target = match &value {
                Value::Map(_) | Value::Seq(_) => value,
                v => untagged(&v.text()),
            }
        }
        // Only the text is copied into a scalar (a collection's is empty).
        _ => *target = retype(target, &value.text())?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::smarter_split;

    #[test]
    fn splits_outside_brackets() {
        assert_eq!(
            smarter_split("spec.template.spec.containers.[name=app.x].image"),
            [
                "spec",
                "template",
                "spec",
                "containers",
                "[name=app.x]",
                "image"
            ]
        );
        assert_eq!(smarter_split("a.[b].c"), ["a", "[b]", "c"]);
        assert_eq!(smarter_split("a.[b.c].d"), ["a", "b.c", "d"]);
    }
}
