//! `IAMPolicyGenerator` (builtin plugin config): for `cloud: gke`, a ServiceAccount
//! annotated with the Google service account it maps to. Other clouds are an error, as
//! upstream says.

use kustomize_yaml::{Mapping, Value};
use serde::Deserialize;

use super::Generator;
use crate::resource::Resource;
use crate::Error;

/// The plugin config.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct IamPolicyGenerator {
    /// Only `gke`.
    pub cloud: String,
    /// The Kubernetes service account to make.
    pub kubernetes_service: KubernetesService,
    /// The cloud service account it maps to.
    pub service_account: ServiceAccount,
}

/// `kubernetesService`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
#[allow(missing_docs)]
pub struct KubernetesService {
    pub name: String,
    pub namespace: String,
}

/// `serviceAccount`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct ServiceAccount {
    pub name: String,
    pub project_id: String,
}

impl Generator for IamPolicyGenerator {
    fn generate(&self) -> Result<Vec<Resource>, Error> {
        if self.cloud != "gke" {
            return Err(Error::Generator {
                generator: "IAMPolicyGenerator".into(),
                message: format!("cloud provider {} not supported yet", self.cloud),
            });
        }
        let scalar = |s: &str| kustomize_yaml::resolve::plain_scalar_value(s);
        let mut annotations = Mapping::default();
        annotations.insert(
            "iam.gke.io/gcp-service-account",
            Value::from(format!(
                "{}@{}.iam.gserviceaccount.com",
                self.service_account.name, self.service_account.project_id
            )),
        );
        let mut metadata = Mapping::default();
        metadata.insert("annotations", Value::Map(annotations));
        metadata.insert("name", scalar(&self.kubernetes_service.name));
        if !self.kubernetes_service.namespace.is_empty() {
            metadata.insert("namespace", scalar(&self.kubernetes_service.namespace));
        }
        let mut obj = Mapping::default();
        obj.insert("apiVersion", Value::from("v1"));
        obj.insert("kind", Value::from("ServiceAccount"));
        obj.insert("metadata", Value::Map(metadata));
        Ok(vec![Resource::new(Value::Map(obj))])
    }
}
