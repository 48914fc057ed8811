//! STUB (helper-2 replaces this): the merge-key schema.
use kustomize_yaml::Value;

/// Merge keys and strategies per type.
#[derive(Debug, Clone, Default)]
pub struct Schema;

impl Schema {
    /// The builtin Kubernetes v1.21.2 schema.
    pub fn builtin() -> Schema {
        Schema
    }

    /// A schema from an OpenAPI document.
    pub fn from_openapi(_doc: &Value) -> Result<Schema, String> {
        Ok(Schema)
    }
}
