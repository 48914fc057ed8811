//! `PatchTransformer`: an entry of `patches:` (or the builtin plugin config).
//!
//! The patch (inline `patch`, or the file at `path`) is a strategic merge or a JSON 6902
//! patch. A strategic merge with a `target` applies to every selected resource (one patch
//! document only); without, each document applies to the resource whose current or
//! previous id is the document's. A JSON patch needs a `target`; each selected resource
//! remembers its id first. A target that selects nothing is not an error.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::Transformer;
use crate::kustomization::{Patch, Selector};
use crate::limits::Allowance;
use crate::loader::Loader;
use crate::patch::schema::Schema;
use crate::patch::{
    apply_json_patch, apply_sm_patch_to, parse_patch_text, PatchContent, PatchOptions,
};
use crate::resmap::ResMap;
use crate::Error;

/// Applies one `patches:` entry.
#[derive(Debug)]
pub struct PatchTransformer {
    content: PatchContent,
    target: Option<Selector>,
    options: PatchOptions,
    source: String,
    schema: Arc<Schema>,
    /// What the build has left of its limits.
    allowance: Arc<Allowance>,
    /// Whether a strategic-merge patch has been merged into a resource.
    used: AtomicBool,
}

impl PatchTransformer {
    /// Loads the patch of an entry (exactly one of `patch` and `path`).
    pub fn new(entry: &Patch, loader: &Loader, schema: Arc<Schema>) -> Result<Self, Error> {
        let inline = entry.patch.trim();
        let bad = |message: &str| Error::Patch {
            patch: format!("patches entry in '{}'", loader.root().display()),
            message: message.into(),
        };
        let (text, source) = match (inline.is_empty(), entry.path.is_empty()) {
            (true, true) => return Err(bad("must specify one of patch and path")),
            (false, false) => return Err(bad("patch and path can't be set at the same time")),
            (false, true) => (inline.to_owned(), format!("[patch: {inline:?}]")),
            (true, false) => {
                let (bytes, _) = loader.load(&entry.path).map_err(|e| Error::Patch {
                    patch: format!("[path: {:?}]", entry.path),
                    message: format!("failed to get the patch file: {e}"),
                })?;
                let text = String::from_utf8(bytes).map_err(|_| bad("patch file is not UTF-8"))?;
                (text, format!("[path: {:?}]", entry.path))
            }
        };
        let content = parse_patch_text(&text, &source, loader)?;
        Ok(PatchTransformer {
            content,
            target: entry.target.clone(),
            options: PatchOptions {
                allow_name_change: entry
                    .options
                    .get("allowNameChange")
                    .copied()
                    .unwrap_or(false),
                allow_kind_change: entry
                    .options
                    .get("allowKindChange")
                    .copied()
                    .unwrap_or(false),
            },
            source,
            schema,
            allowance: Arc::clone(loader.allowance()),
            used: AtomicBool::new(false),
        })
    }
}

impl Transformer for PatchTransformer {
    fn used_schema(&self) -> bool {
        self.used.load(Ordering::Relaxed)
    }

    fn transform(&self, resources: &mut ResMap) -> Result<(), Error> {
        let err = |message: String| Error::Patch {
            patch: self.source.clone(),
            message,
        };
        match (&self.content, &self.target) {
            (PatchContent::StrategicMerge(patches), Some(target)) if !patches.is_empty() => {
                if patches.len() > 1 {
                    return Err(err("Multiple Strategic-Merge Patches in one `patches` entry is not allowed to set `patches.target` field".into()));
                }
                let selected = resources.select(target)?;
                if !selected.is_empty() {
                    self.used.store(true, Ordering::Relaxed);
                }
                apply_sm_patch_to(
                    resources,
                    &selected,
                    &patches[0],
                    self.options,
                    &self.schema,
                    &self.allowance,
                )?;
                // Upstream's `resWrangler.ApplySmPatch` appends every resource again, so a
                // rename onto another resource's id fails here (not with a patch's own id).
                resources.check_unique_ids()
            }
            (PatchContent::StrategicMerge(patches), None) if !patches.is_empty() => {
                for patch in patches {
                    let i = resources
                        .find_unique_by_any_id(&patch.org_id())
                        .map_err(|e| {
                            err(format!("no resource matches strategic merge patch: {e}"))
                        })?;
                    self.used.store(true, Ordering::Relaxed);
                    apply_sm_patch_to(
                        resources,
                        &[i],
                        patch,
                        self.options,
                        &self.schema,
                        &self.allowance,
                    )?;
                }
                Ok(())
            }
            (content, target) => {
                let Some(target) = target else {
                    return Err(err("must specify a target for JSON patch".into()));
                };
                let ops = match content {
                    PatchContent::Json(ops) => ops.as_slice(),
                    PatchContent::StrategicMerge(_) => &[],
                };
                for (n, i) in resources.select(target)?.into_iter().enumerate() {
                    self.allowance.poll(n)?;
                    if let Some(r) = resources.get_mut(i) {
                        r.store_previous_id();
                        apply_json_patch(r, ops, &self.allowance)?;
                    }
                }
                Ok(())
            }
        }
    }
}
