//! `PatchStrategicMergeTransformer`: the deprecated `patchesStrategicMerge:` (or the
//! builtin plugin config). Each entry is inline YAML when it reads as resources, else a
//! file of patches; each patch applies to the one resource whose current or previous id
//! is the patch's.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::Transformer;
use crate::limits::Allowance;
use crate::loader::Loader;
use crate::patch::schema::Schema;
use crate::patch::{apply_sm_patch_to, PatchOptions};
use crate::resmap::ResMap;
use crate::resource::Resource;
use crate::Error;

/// Applies strategic-merge patches by id.
#[derive(Debug)]
pub struct PatchStrategicMergeTransformer {
    patches: Vec<Resource>,
    schema: Arc<Schema>,
    /// What the build has left of its limits.
    allowance: Arc<Allowance>,
    /// Whether a patch has been merged into a resource.
    used: AtomicBool,
}

impl PatchStrategicMergeTransformer {
    /// Loads the patches of `paths` (each a file or inline YAML) and of `inline`.
    pub fn new(
        paths: &[String],
        inline: &str,
        loader: &Loader,
        schema: Arc<Schema>,
    ) -> Result<Self, Error> {
        if paths.is_empty() && inline.is_empty() {
            return Err(Error::Other(
                "empty file path and empty patch content".into(),
            ));
        }
        let mut patches = Vec::new();
        for path in paths {
            match loader.patches(path.as_bytes(), loader.root()) {
                Ok(inline) => patches.extend(inline),
                Err(_) => {
                    let (bytes, file) = loader.load(path)?;
                    patches.extend(loader.patches(&bytes, &file)?);
                }
            }
        }
        if !inline.is_empty() {
            patches.extend(loader.patches(inline.as_bytes(), loader.root())?);
        }
        if patches.is_empty() {
            return Err(Error::Other(format!(
                "patch appears to be empty; files={paths:?}, Patch={inline}"
            )));
        }
        Ok(PatchStrategicMergeTransformer {
            patches,
            schema,
            allowance: Arc::clone(loader.allowance()),
            used: AtomicBool::new(false),
        })
    }
}

impl Transformer for PatchStrategicMergeTransformer {
    fn used_schema(&self) -> bool {
        self.used.load(Ordering::Relaxed)
    }

    fn transform(&self, resources: &mut ResMap) -> Result<(), Error> {
        for (n, patch) in self.patches.iter().enumerate() {
            self.allowance.poll(n)?;
            let i = resources.find_unique_by_any_id(&patch.org_id())?;
            self.used.store(true, Ordering::Relaxed);
            apply_sm_patch_to(
                resources,
                &[i],
                patch,
                PatchOptions::default(),
                &self.schema,
                &self.allowance,
            )?;
        }
        Ok(())
    }
}
