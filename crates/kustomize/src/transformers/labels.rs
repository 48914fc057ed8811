//! `LabelTransformer`: `commonLabels`, and each entry of `labels:` (with
//! `includeSelectors`, `includeTemplates`, `fields`).

use std::collections::BTreeMap;

use super::{set_map_entries, Transformer};
use crate::fieldspec::FieldSpec;
use crate::fieldspecs::{merge_all, merge_one, TransformerConfig};
use crate::kustomization::Label;
use crate::resmap::ResMap;
use crate::Error;

/// Sets labels at the given fields.
#[derive(Debug, Clone, Default)]
pub struct LabelTransformer {
    /// Label names and values.
    pub labels: BTreeMap<String, String>,
    /// Where labels go.
    pub field_specs: Vec<FieldSpec>,
}

impl LabelTransformer {
    /// `commonLabels`: every field of the `commonLabels` table (selectors included).
    pub fn common(labels: &BTreeMap<String, String>, config: &TransformerConfig) -> Self {
        LabelTransformer {
            labels: labels.clone(),
            field_specs: config.common_labels.clone(),
        }
    }

    /// One `labels:` entry: its own `fields` plus the `labels` table, then the
    /// `commonLabels` table with `includeSelectors`, else `metadata/labels` (and the
    /// `templateLabels` table with `includeTemplates`).
    pub fn from_label(label: &Label, config: &TransformerConfig) -> Result<Self, Error> {
        let conflict = |e: crate::fieldspecs::ConflictingFieldSpecs| {
            Error::Other(format!("failed to merge labels: {e}"))
        };
        let mut specs: Vec<FieldSpec> = label.fields.iter().map(FieldSpec::from).collect();
        merge_all(&mut specs, &config.labels).map_err(conflict)?;
        if label.include_selectors {
            merge_all(&mut specs, &config.common_labels).map_err(conflict)?;
        } else {
            if label.include_templates {
                merge_all(&mut specs, &config.template_labels).map_err(conflict)?;
            }
            merge_one(&mut specs, FieldSpec::any_kind("metadata/labels", true))
                .map_err(conflict)?;
        }
        Ok(LabelTransformer {
            labels: label.pairs.clone(),
            field_specs: specs,
        })
    }
}

impl Transformer for LabelTransformer {
    fn transform(&self, resources: &mut ResMap) -> Result<(), Error> {
        set_map_entries(resources, &self.labels, &self.field_specs)
    }
}
