//! `PatchJson6902Transformer`: the deprecated `patchesJson6902:` (or the builtin plugin
//! config): JSON 6902 operations (inline `jsonOp`/`patch`, or the file at `path`) applied
//! to every resource the target selects; the target must name a resource.

use super::Transformer;
use crate::kustomization::Selector;
use crate::loader::Loader;
use crate::patch::{apply_json_patch, json6902};
use crate::resmap::ResMap;
use crate::Error;

/// Applies JSON 6902 operations to selected resources.
#[derive(Debug, Clone)]
pub struct PatchJson6902Transformer {
    target: Selector,
    ops: Vec<json6902::Operation>,
    /// What the build has left of its limits.
    allowance: std::sync::Arc<crate::limits::Allowance>,
}

impl PatchJson6902Transformer {
    /// Loads the operations.
    pub fn new(
        target: Option<&Selector>,
        path: &str,
        inline: &str,
        loader: &Loader,
    ) -> Result<Self, Error> {
        let bad = |message: String| Error::Patch {
            patch: format!("patchesJson6902 entry in '{}'", loader.root().display()),
            message,
        };
        let target = target.cloned().unwrap_or_default();
        if target.name.is_empty() {
            return Err(bad("must specify the target name".into()));
        }
        let text = match (path.is_empty(), inline.is_empty()) {
            (true, true) => return Err(bad("empty file path and empty jsonOp".into())),
            (false, false) => {
                return Err(bad("must specify a file path or jsonOp, not both".into()))
            }
            (false, true) => {
                let (bytes, _) = loader.load(path)?;
                let text =
                    String::from_utf8(bytes).map_err(|_| bad("patch is not UTF-8".into()))?;
                if text.is_empty() {
                    return Err(bad(format!("patch file '{path}' empty seems to be empty")));
                }
                text
            }
            (true, false) => inline.to_owned(),
        };
        let ops = json6902::parse(&text, Some(loader.allowance().budget())).map_err(bad)?;
        if ops.is_empty() {
            return Err(bad("patch appears to be empty".into()));
        }
        Ok(PatchJson6902Transformer {
            target,
            ops,
            allowance: std::sync::Arc::clone(loader.allowance()),
        })
    }
}

impl Transformer for PatchJson6902Transformer {
    fn transform(&self, resources: &mut ResMap) -> Result<(), Error> {
        for (n, i) in resources.select(&self.target)?.into_iter().enumerate() {
            self.allowance.poll(n)?;
            if let Some(r) = resources.get_mut(i) {
                apply_json_patch(r, &self.ops, &self.allowance)?;
            }
        }
        Ok(())
    }
}
