//! Patches: strategic merge and JSON 6902, the schema strategic merge reads, and how a
//! patch's text is told apart (upstream tries both readings: resources for a strategic
//! merge, a list of operations for JSON 6902).

pub mod json6902;
pub mod schema;
pub mod strategic_merge;

use kustomize_yaml::resolve::go_format_float64;
use kustomize_yaml::{Mapping, Value};

use crate::limits::Allowance;
use crate::loader::Loader;
use crate::resmap::ResMap;
use crate::resource::Resource;
use crate::Error;
use schema::Schema;

/// A patch's content.
#[derive(Debug, Clone)]
pub enum PatchContent {
    /// Strategic-merge patches (resources); may be empty.
    StrategicMerge(Vec<Resource>),
    /// JSON 6902 operations.
    Json(Vec<json6902::Operation>),
}

/// Reads a patch's text as upstream's `PatchTransformer` does: strategic merge when it
/// reads as resources, JSON 6902 when it reads as operations, an error when both (and
/// non-empty) or neither.
pub fn parse_patch_text(text: &str, source: &str, loader: &Loader) -> Result<PatchContent, Error> {
    let sm = loader.patches(text.as_bytes(), std::path::Path::new(source));
    if let Err(e @ Error::Limit { .. }) = sm {
        return Err(e);
    }
    let json = json6902::parse(text, Some(loader.allowance().budget()));
    match (sm, json) {
        (Ok(sm), Ok(ops)) if !sm.is_empty() && !ops.is_empty() => Err(Error::Patch {
            patch: source.to_owned(),
            message: "illegally qualifies as both an SM and JSON patch".into(),
        }),
        (Ok(sm), _) => Ok(PatchContent::StrategicMerge(sm)),
        (Err(_), Ok(ops)) => Ok(PatchContent::Json(ops)),
        (Err(_), Err(_)) => Err(Error::Patch {
            patch: source.to_owned(),
            message: "unable to parse SM or JSON patch".into(),
        }),
    }
}

/// Whether a strategic-merge patch may rename or re-kind its target.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PatchOptions {
    /// `allowNameChange`.
    pub allow_name_change: bool,
    /// `allowKindChange`.
    pub allow_kind_change: bool,
}

/// Applies a strategic-merge patch to one resource as upstream's `Resource.ApplySmPatch`,
/// the patch taking the resource's `apiVersion` (upstream's `ResMap.ApplySmPatch` gives each
/// target a copy with it): the name, kind and namespace are restored afterwards unless the
/// options allow the change (the namespace always is). Returns false when the patch
/// deleted the resource.
pub fn apply_sm_patch(
    r: &mut Resource,
    patch: &Value,
    options: PatchOptions,
    schema: &Schema,
    scratch: &mut strategic_merge::Scratch,
) -> Result<bool, Error> {
    let (name, namespace, kind) = (r.name(), r.namespace(), r.kind());
    if options.allow_name_change || options.allow_kind_change {
        r.store_previous_id();
    }
    let api_version = r.api_version();
    // The merge writes into existing fields in place: linked fields share what it writes.
    r.write_linked(|obj| {
        strategic_merge::merge_with(obj, patch, Some(&api_version), schema, scratch)
    })
    .map_err(|message| Error::Patch {
        patch: format!("strategic merge patch on {}", r.cur_id()),
        message,
    })?;
    if r.value().as_map().is_none_or(Mapping::is_empty) {
        return Ok(false);
    }
    let Value::Map(obj) = r.value_mut() else {
        return Ok(false);
    };
    if !options.allow_kind_change {
        obj.insert("kind", Value::from(kind));
    }
    let meta = obj
        .entry("metadata".to_owned())
        .or_insert_with(|| Value::Map(Mapping::default()));
    if let Value::Map(meta) = meta {
        // kyaml's `SetName` and `SetNamespace` set untagged scalars in the old fields'
        // style: a name that reads as a number prints as one, as after a prefix.
        let mut restore = |field: &str, text: &str| match meta.get_mut(field) {
            Some(v) => v.set_scalar(text),
            None => {
                meta.insert(field, kustomize_yaml::resolve::untagged(text));
            }
        };
        if !options.allow_name_change {
            restore("name", &name);
        }
        if namespace.is_empty() {
            meta.shift_remove("namespace");
        } else {
            restore("namespace", &namespace);
        }
    }
    Ok(true)
}

/// Applies a strategic-merge patch to the resources at `targets` (indices into
/// `resources`), upstream's `ResMap.ApplySmPatch`: each gets the patch with its own
/// `apiVersion` ([`apply_sm_patch`]); resources the patch deletes are removed. Each target
/// is charged the patch's cost.
pub fn apply_sm_patch_to(
    resources: &mut ResMap,
    targets: &[usize],
    patch: &Resource,
    options: PatchOptions,
    schema: &Schema,
    allowance: &Allowance,
) -> Result<(), Error> {
    let mut deleted = Vec::new();
    let mut scratch = strategic_merge::Scratch::default();
    // What merging the patch in may add to each target.
    let cost = patch.value().size().cost;
    for (n, &i) in targets.iter().enumerate() {
        allowance.poll(n)?;
        allowance.charge(cost)?;
        let applied = resources.update_at(i, |r| {
            apply_sm_patch(r, patch.value(), options, schema, &mut scratch)
        });
        if let Some(false) = applied.transpose()? {
            deleted.push(i);
        }
    }
    resources.remove_indices(&deleted);
    Ok(())
}

/// The internal annotations upstream keeps a resource's previous ids in (comma-separated,
/// oldest first) while it builds: a JSON patch sees them in `metadata.annotations`.
const PREVIOUS_ID_ANNOTATIONS: [&str; 3] = [
    "internal.config.kubernetes.io/previousKinds",
    "internal.config.kubernetes.io/previousNames",
    "internal.config.kubernetes.io/previousNamespaces",
];

/// Applies JSON 6902 operations to one resource, as upstream's round trip of the resource
/// through JSON does:
///
/// * the patch sees the resource's previous ids (a rename, or the `patches:` field, which
///   stores one first) as upstream's internal annotations, so that `add
///   /metadata/annotations/x` works on a resource without annotations; they are taken out
///   again afterwards (a copy the patch made elsewhere keeps them);
/// * the result must still have a `kind` and a name;
/// * every number passes through a float64, so integers past 2^53 lose precision;
/// * annotations are rewritten as strings (an empty map removed).
pub fn apply_json_patch(
    r: &mut Resource,
    ops: &[json6902::Operation],
    allowance: &Allowance,
) -> Result<(), Error> {
    let id = r.cur_id();
    let previous: Vec<crate::resid::ResId> = r.prev_ids().collect();
    let fail = |message: String| Error::Patch {
        patch: format!("json patch on {id}"),
        message,
    };
    // Upstream patches the resource as JSON, which resolves every scalar and cannot hold
    // an infinity or a NaN.
    r.value_mut().resolve_scalars();
    // The resource is rebuilt from JSON: no node is shared any more.
    r.unlink_all();
    if let Some(bad) = json6902::first_non_finite(r.value()) {
        return Err(fail(format!("json: unsupported value: {bad}")));
    }
    // Annotations upstream's resource holds while it builds: its previous ids (after a
    // rename), and with `buildMetadata` its origin and transformations. A patch sees them
    // (an `add` under `/metadata/annotations` finds the map), and they leave after it.
    let mut held: Vec<(&str, String)> = Vec::new();
    if !previous.is_empty() {
        let csv = |part: fn(&crate::resid::ResId) -> &str| {
            previous.iter().map(part).collect::<Vec<_>>().join(",")
        };
        let values = [
            csv(|i| &i.gvk.kind),
            csv(|i| &i.name),
            csv(|i| &i.namespace),
        ];
        held.extend(PREVIOUS_ID_ANNOTATIONS.iter().copied().zip(values));
    }
    held.extend(r.build_metadata_annotations());
    let value = r.value_mut();
    if !held.is_empty() {
        if let Some(annotations) = annotations_mut(value) {
            for (key, v) in &held {
                annotations.insert(*key, Value::from(v.as_str()));
            }
        }
    }
    json6902::apply(value, ops, Some(allowance.budget())).map_err(|e| match e {
        json6902::ApplyError::Op(message) => fail(message),
        json6902::ApplyError::Budget(e) => e.into(),
    })?;
    if !held.is_empty() {
        if let Some(Value::Map(a)) = value
            .get_mut("metadata")
            .and_then(|m| m.get_mut("annotations"))
        {
            for (key, _) in &held {
                a.shift_remove(key);
            }
        }
    }
    crate::resource::check_id_fields(value).map_err(fail)?;
    value.resolve_scalars();
    round_through_float64(value);
    r.normalize_annotations();
    Ok(())
}

/// `metadata.annotations` of an object, made (as kyaml's `SetAnnotation` makes them) when
/// missing or null; `None` when something else is in the way.
fn annotations_mut(obj: &mut Value) -> Option<&mut Mapping> {
    let Value::Map(obj) = obj else { return None };
    let meta = obj
        .entry("metadata".to_owned())
        .or_insert_with(|| Value::Map(Mapping::default()));
    if meta.is_null() {
        *meta = Value::Map(Mapping::default());
    }
    let Value::Map(meta) = meta else { return None };
    let annotations = meta
        .entry("annotations".to_owned())
        .or_insert_with(|| Value::Map(Mapping::default()));
    if annotations.is_null() {
        *annotations = Value::Map(Mapping::default());
    }
    annotations.as_map_mut()
}

/// Every number becomes a float64, as upstream's decoding of the patched JSON into
/// `interface{}` makes it, and its text is how go-yaml prints that float64 when kyaml
/// rebuilds the node (`strconv.FormatFloat(f, 'g', -1, 64)`): `1000000` is `1e+06` from
/// then on to whatever reads its text.
fn round_through_float64(v: &mut Value) {
    v.numbers_through_float64(|f| kustomize_yaml::resolve::plain(&go_format_float64(f)));
}
