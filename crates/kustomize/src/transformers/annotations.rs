//! `AnnotationsTransformer`: `commonAnnotations`.

use std::collections::BTreeMap;

use super::{set_map_entries, Transformer};
use crate::fieldspec::FieldSpec;
use crate::resmap::ResMap;
use crate::Error;

/// Sets annotations at the given fields.
#[derive(Debug, Clone, Default)]
pub struct AnnotationsTransformer {
    /// Annotation names and values.
    pub annotations: BTreeMap<String, String>,
    /// Where annotations go (the `commonAnnotations` table by default).
    pub field_specs: Vec<FieldSpec>,
}

impl Transformer for AnnotationsTransformer {
    fn transform(&self, resources: &mut ResMap) -> Result<(), Error> {
        set_map_entries(resources, &self.annotations, &self.field_specs)
    }
}
