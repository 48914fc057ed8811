//! Patches: strategic merge and JSON 6902, the schema strategic merge reads, and how a
//! patch's text is told apart (upstream tries both readings: resources for a strategic
//! merge, a list of operations for JSON 6902).

pub mod json6902;
pub mod schema;
pub mod strategic_merge;

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
    let sm = loader.resources(text.as_bytes(), std::path::Path::new(source));
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
    strategic_merge::merge_with(r.value_mut(), patch, Some(&api_version), schema, scratch)
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
        if !options.allow_name_change {
            meta.insert("name", Value::from(name));
        }
        if namespace.is_empty() {
            meta.shift_remove("namespace");
        } else {
            meta.insert("namespace", Value::from(namespace));
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
    for &i in targets {
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

/// Applies JSON 6902 operations to one resource; afterwards annotations are rewritten as
/// strings (an empty map removed), as upstream's round trip through `SetAnnotations` does.
pub fn apply_json_patch(
    r: &mut Resource,
    ops: &[json6902::Operation],
    allowance: &Allowance,
) -> Result<(), Error> {
    let id = r.cur_id();
    json6902::apply(r.value_mut(), ops, Some(allowance.budget())).map_err(|e| match e {
        json6902::ApplyError::Op(message) => Error::Patch {
            patch: format!("json patch on {id}"),
            message,
        },
        json6902::ApplyError::Budget(e) => e.into(),
    })?;
    r.normalize_annotations();
    Ok(())
}
