//! STUB (helper-2 replaces this): strategic merge.
use kustomize_yaml::Value;

use super::schema::Schema;
use crate::resid::Gvk;

/// Applies a strategic-merge patch.
pub fn merge(_target: &mut Value, _patch: &Value, _gvk: &Gvk, _schema: &Schema) -> Result<(), String> {
    Err("strategic merge not implemented yet".into())
}
