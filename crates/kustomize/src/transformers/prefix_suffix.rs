//! `PrefixTransformer` and `SuffixTransformer`: `namePrefix` and `nameSuffix`.
//!
//! Each field the specs reach gets the prefix (suffix) added to its text. CRDs, APIServices
//! and Namespaces are never renamed. Renaming `metadata/name` records the affix and the
//! previous id, so name references and patches can still find the resource.

use super::Transformer;
use crate::fieldspec::{Create, FieldSpec};
use crate::resid::Gvk;
use crate::resmap::ResMap;
use crate::resource::scalar_text;
use crate::Error;

/// Which end of the name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Affix {
    /// `namePrefix`.
    Prefix(String),
    /// `nameSuffix`.
    Suffix(String),
}

/// Adds a prefix or a suffix to names.
#[derive(Debug, Clone)]
pub struct PrefixSuffixTransformer {
    /// What to add.
    pub affix: Affix,
    /// Where (the `namePrefix` / `nameSuffix` table by default).
    pub field_specs: Vec<FieldSpec>,
}

/// Kinds upstream never renames.
fn skipped(gvk: &Gvk) -> bool {
    gvk.kind == "CustomResourceDefinition"
        || gvk.kind == "Namespace"
        || (gvk.kind == "APIService" && gvk.group == "apiregistration.k8s.io")
}

impl Transformer for PrefixSuffixTransformer {
    fn transform(&self, resources: &mut ResMap) -> Result<(), Error> {
        let stop = resources.stop();
        for (i, r) in resources.iter_mut().enumerate() {
            stop.poll(i)?;
            let org = r.org_id();
            if skipped(&org.gvk) {
                continue;
            }
            for spec in &self.field_specs {
                if !org.gvk.is_selected_by(&spec.gvk) {
                    continue;
                }
                if &*spec.path == "metadata/name" {
                    match &self.affix {
                        Affix::Prefix(p) => r.add_name_prefix(p),
                        Affix::Suffix(s) => r.add_name_suffix(s),
                    }
                    let empty = match &self.affix {
                        Affix::Prefix(a) | Affix::Suffix(a) => a.is_empty(),
                    };
                    if !empty {
                        r.store_previous_id();
                    }
                }
                let gvk = r.gvk();
                spec.apply(r.value_mut(), &gvk, Some(Create::Scalar), &mut |node| {
                    let text = scalar_text(Some(node));
                    // kyaml's `SetScalar`: untagged, in the old node's style.
                    node.set_scalar(&match &self.affix {
                        Affix::Prefix(p) => format!("{p}{text}"),
                        Affix::Suffix(s) => format!("{text}{s}"),
                    });
                    Ok(())
                })
                .map_err(|message| Error::Transform {
                    transformer: "PrefixSuffixTransformer",
                    message,
                })?;
            }
        }
        Ok(())
    }
}
