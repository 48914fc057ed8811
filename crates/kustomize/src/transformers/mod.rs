//! The builtin transformers, one per module, and the field-level operations they share.

pub mod annotations;
pub mod builtin_plugins;
pub mod exec_function;
pub mod hash;
pub mod image_tag;
pub mod labels;
pub mod name_reference;
pub mod namespace;
pub mod patch;
pub mod patch_json6902;
pub mod patch_strategic_merge;
pub mod prefix_suffix;
pub mod refvar;
pub mod replacement;
pub mod replica_count;
pub mod sort_order;
pub mod value_add;

use std::collections::BTreeMap;

use kustomize_yaml::{Key, ThinVec, Value};

use crate::fieldspec::{Create, FieldSpec};
use crate::links::Place;
use crate::resmap::ResMap;
use crate::Error;

/// A builtin transformer: changes the resources of a kustomization in place.
pub trait Transformer {
    /// Applies the transformer.
    fn transform(&self, resources: &mut ResMap) -> Result<(), Error>;

    /// Whether the transformer replaces every resource with one read back from a
    /// plugin's output (upstream's `UpdateResMapValues`), even when it changes nothing.
    /// Upstream's validator check compares node identity, so such a validator fails on
    /// any resources, whether the function ran or was skipped.
    fn rereads_resources(&self) -> bool {
        false
    }

    /// Whether the transformer has merged a strategic-merge patch into a resource (and so
    /// looked at the OpenAPI schema; see the build's schema choice).
    fn used_schema(&self) -> bool {
        false
    }
}

/// Sets `entries` in the map at each field spec's path of every resource, creating the map
/// where the spec says `create: true` (upstream's labels and annotations filters).
pub(crate) fn set_map_entries(
    resources: &mut ResMap,
    entries: &BTreeMap<String, String>,
    field_specs: &[FieldSpec],
) -> Result<(), Error> {
    if entries.is_empty() {
        return Ok(());
    }
    // Keys made once: a long key's clones share its text.
    let entries: Vec<(Key, &str)> = entries
        .iter()
        .map(|(k, v)| (Key::new(k), v.as_str()))
        .collect();
    // A key made here is an untagged scalar: one go-yaml reads as a number, boolean, null
    // or date makes the resource's JSON fail upstream (when it is printed).
    let non_string_keys: Vec<Option<String>> = (entries.iter())
        .map(|(k, _)| {
            let read = kustomize_yaml::resolve::resolve_v3(k, true);
            (read != kustomize_yaml::resolve::Resolved::Str).then(|| {
                format!(
                    "key {:?} reads as !!{}: json: unsupported type: map[interface {{}}]interface {{}}",
                    k.as_str(),
                    read.tag_name()
                )
            })
        })
        .collect();
    let stop = resources.stop();
    let resources = if field_specs.iter().any(FieldSpec::may_touch_id) {
        resources.iter_mut()
    } else {
        resources.iter_mut_keeping_ids()
    };
    // Per key, the places it was missing from in the resource at hand: they share its node.
    let spec_paths: Vec<Key> = field_specs.iter().map(|s| Key::new(&s.path)).collect();
    let mut created: Vec<ThinVec<Place>> = (0..entries.len()).map(|_| ThinVec::new()).collect();
    for (i, r) in resources.enumerate() {
        stop.poll(i)?;
        let gvk = r.gvk();
        created.iter_mut().for_each(ThinVec::clear);
        r.write_linked(|obj| {
            for (spec, path) in field_specs.iter().zip(&spec_paths) {
                spec.apply_at(obj, &gvk, Some(Create::Map), &mut |node, indices| {
                    if node.is_null() {
                        *node = Value::Map(Default::default());
                    }
                    let Value::Map(map) = node else {
                        return Err(format!("expected a map, found a {}", node.type_name()));
                    };
                    // One growth to the exact size (parsed maps have no room to spare).
                    let missing = entries.iter().filter(|(k, _)| !map.contains_key(k)).count();
                    map.reserve_exact(missing);
                    let entries = entries.iter().zip(&non_string_keys);
                    for (((k, v), non_string), places) in entries.zip(created.iter_mut()) {
                        if !map.contains_key(k) {
                            if let Some(e) = non_string {
                                return Err(e.clone());
                            }
                            places.push(Place::new(path.clone(), indices));
                        }
                        map.insert(k.clone(), Value::from(*v));
                    }
                    Ok(())
                })
                .map_err(|e| Error::Transform {
                    transformer: "labels/annotations",
                    message: e,
                })?;
            }
            Ok::<(), Error>(())
        })?;
        let (_, links) = r.linked_mut();
        for ((k, _), places) in entries.iter().zip(created.iter_mut()) {
            // A lone place makes no link, but may end a stale one.
            if places.len() > 1 || (places.len() == 1 && !links.is_empty()) {
                links.add(k, std::mem::take(places));
            }
        }
    }
    Ok(())
}

/// A step from a resource's root to a field: a mapping key or a sequence index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Step {
    /// Inline up to 24 bytes: paths are recorded for every resource.
    Key(kustomize_yaml::CompactString),
    Index(usize),
}

/// The node a path of [`Step`]s leads to, if it is there.
pub(crate) fn node_at<'a>(mut node: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    for step in path {
        node = match (step, node) {
            (Step::Key(k), Value::Map(m)) => m.get_mut(k.as_str())?,
            (Step::Index(i), Value::Seq(s)) => s.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(node)
}
