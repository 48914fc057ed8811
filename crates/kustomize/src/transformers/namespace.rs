//! `NamespaceTransformer`: `namespace:`.
//!
//! Upstream's rules: `metadata/namespace` is set on every namespaced resource (never on
//! cluster-scoped kinds); `metadata/name` specs (renaming `Namespace` objects) apply only
//! to `apiVersion: v1`; in RoleBindings and ClusterRoleBindings the subjects named
//! `default` get the namespace (or every ServiceAccount subject, or none, by
//! `setRoleBindingSubjects`); the other specs of the `namespace` table (webhook services,
//! APIService, CRD conversion) are set too. A resulting id conflict is an error.

use kustomize_yaml::Value;

use super::Transformer;
use crate::fieldspec::{Create, FieldSpec};
use crate::resmap::ResMap;
use crate::resource::scalar_text;
use crate::Error;

/// Which RoleBinding subjects get the namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SubjectMode {
    /// `defaultOnly` (the default): subjects named `default`.
    #[default]
    DefaultOnly,
    /// `allServiceAccounts`: every ServiceAccount subject.
    AllServiceAccounts,
    /// `none`.
    None,
}

impl SubjectMode {
    /// Parses upstream's `setRoleBindingSubjects` value (empty means the default).
    pub fn parse(s: &str) -> Result<Self, Error> {
        match s {
            "" | "defaultOnly" => Ok(SubjectMode::DefaultOnly),
            "allServiceAccounts" => Ok(SubjectMode::AllServiceAccounts),
            "none" => Ok(SubjectMode::None),
            other => Err(Error::Transform {
                transformer: "NamespaceTransformer",
                message: format!(
                    "invalid value \"{other}\" for setRoleBindingSubjects: must be one of \"defaultOnly\", \"none\" or \"allServiceAccounts\""
                ),
            }),
        }
    }
}

/// Sets namespaces.
#[derive(Debug, Clone)]
pub struct NamespaceTransformer {
    /// The namespace.
    pub namespace: String,
    /// The `namespace` table (or the plugin config's `fieldSpecs`).
    pub field_specs: Vec<FieldSpec>,
    /// RoleBinding subjects.
    pub subjects: SubjectMode,
    /// Only set where no namespace is set yet.
    pub unset_only: bool,
}

impl NamespaceTransformer {
    fn set(&self, node: &mut Value) -> Result<(), String> {
        if matches!(node, Value::Map(_) | Value::Seq(_)) {
            return Err(format!(
                "namespace field specs must target scalar nodes: wrong node kind: expected ScalarNode but got {}",
                node.type_name()
            ));
        }
        if self.unset_only && !scalar_text(Some(node)).is_empty() {
            return Ok(());
        }
        node.set_str(&self.namespace);
        Ok(())
    }

    fn set_subjects(&self, obj: &mut Value) -> Result<(), String> {
        let Some(Value::Seq(subjects)) = obj.get_mut("subjects") else {
            return Ok(());
        };
        for subject in subjects {
            let wanted = match self.subjects {
                SubjectMode::None => false,
                SubjectMode::DefaultOnly => {
                    subject.get("name").and_then(Value::as_str) == Some("default")
                }
                SubjectMode::AllServiceAccounts => {
                    subject.get("kind").and_then(Value::as_str) == Some("ServiceAccount")
                }
            };
            if wanted {
                let Value::Map(m) = subject else { continue };
                let field = m
                    .entry("namespace".to_owned())
                    .or_insert(Value::from(String::new()));
                self.set(field)?;
            }
        }
        Ok(())
    }
}

impl NamespaceTransformer {
    /// Sets the namespace in one resource (upstream's namespace filter), without
    /// remembering its previous id.
    pub fn apply(&self, r: &mut crate::resource::Resource) -> Result<(), Error> {
        let err = |message: String| Error::Transform {
            transformer: "NamespaceTransformer",
            message,
        };
        let meta_namespace = FieldSpec::any_kind("metadata/namespace", true);
        let gvk = r.gvk();
        let is_binding = gvk.kind == "RoleBinding" || gvk.kind == "ClusterRoleBinding";
        let api_version = r.api_version();
        let obj = r.value_mut();
        if !gvk.is_cluster_scoped() {
            meta_namespace
                .apply(obj, &gvk, Some(Create::Scalar), &mut |n| self.set(n))
                .map_err(err)?;
        }
        if is_binding {
            self.set_subjects(obj).map_err(err)?;
        }
        for spec in &self.field_specs {
            let skip = &*spec.path == "metadata/namespace"
                || (&*spec.path == "metadata/name" && api_version != "v1")
                || (is_binding
                    && (spec.gvk.kind == "RoleBinding" || spec.gvk.kind == "ClusterRoleBinding")
                    && &*spec.path == "subjects/namespace");
            if !skip {
                spec.apply(obj, &gvk, Some(Create::Scalar), &mut |n| self.set(n))
                    .map_err(err)?;
            }
        }
        Ok(())
    }
}

impl Transformer for NamespaceTransformer {
    fn transform(&self, resources: &mut ResMap) -> Result<(), Error> {
        if self.namespace.is_empty() {
            return Ok(());
        }
        let err = |message: String| Error::Transform {
            transformer: "NamespaceTransformer",
            message,
        };
        let stop = resources.stop();
        for (i, r) in resources.iter_mut().enumerate() {
            stop.poll(i)?;
            if r.value().as_map().is_none_or(|m| m.is_empty()) {
                continue;
            }
            r.store_previous_id();
            self.apply(r)?;
        }
        resources.check_unique_ids().map_err(|e| {
            err(format!(
                "namespace transformation produces ID conflict: {e}"
            ))
        })
    }
}
