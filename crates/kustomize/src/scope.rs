//! Whether a kind is cluster-scoped, from upstream kyaml's `precomputedIsNamespaceScoped`
//! table (kyaml/openapi/openapi.go, derived from the Kubernetes v1.21.2 schema). Kinds
//! not in the table are namespaced.
//!
//! The table matters twice: for scope, and because upstream parses its builtin OpenAPI
//! schema only when it meets a type the table lacks (or a strategic merge needs it), which
//! decides how a later custom schema combines with the builtin one
//! ([`crate::target`]'s `OpenApi`).

/// `(apiVersion, kind, namespaced)` for every type the table knows, sorted by kind, then
/// apiVersion.
const PRECOMPUTED: &[(&str, &str, bool)] = &[
    ("apiregistration.k8s.io/v1", "APIService", false),
    ("apiregistration.k8s.io/v1beta1", "APIService", false),
    ("storage.k8s.io/v1", "CSIDriver", false),
    ("storage.k8s.io/v1beta1", "CSIDriver", false),
    ("storage.k8s.io/v1", "CSINode", false),
    ("storage.k8s.io/v1beta1", "CSINode", false),
    ("storage.k8s.io/v1beta1", "CSIStorageCapacity", true),
    ("certificates.k8s.io/v1", "CertificateSigningRequest", false),
    (
        "certificates.k8s.io/v1beta1",
        "CertificateSigningRequest",
        false,
    ),
    ("rbac.authorization.k8s.io/v1", "ClusterRole", false),
    ("rbac.authorization.k8s.io/v1beta1", "ClusterRole", false),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", false),
    (
        "rbac.authorization.k8s.io/v1beta1",
        "ClusterRoleBinding",
        false,
    ),
    ("v1", "ComponentStatus", false),
    ("v1", "ConfigMap", true),
    ("apps/v1", "ControllerRevision", true),
    ("batch/v1", "CronJob", true),
    ("batch/v1beta1", "CronJob", true),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition", false),
    (
        "apiextensions.k8s.io/v1beta1",
        "CustomResourceDefinition",
        false,
    ),
    ("apps/v1", "DaemonSet", true),
    ("apps/v1", "Deployment", true),
    ("discovery.k8s.io/v1", "EndpointSlice", true),
    ("discovery.k8s.io/v1beta1", "EndpointSlice", true),
    ("v1", "Endpoints", true),
    ("events.k8s.io/v1", "Event", true),
    ("events.k8s.io/v1beta1", "Event", true),
    ("v1", "Event", true),
    ("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema", false),
    ("autoscaling/v1", "HorizontalPodAutoscaler", true),
    ("autoscaling/v2beta1", "HorizontalPodAutoscaler", true),
    ("autoscaling/v2beta2", "HorizontalPodAutoscaler", true),
    ("extensions/v1beta1", "Ingress", true),
    ("networking.k8s.io/v1", "Ingress", true),
    ("networking.k8s.io/v1beta1", "Ingress", true),
    ("networking.k8s.io/v1", "IngressClass", false),
    ("networking.k8s.io/v1beta1", "IngressClass", false),
    ("batch/v1", "Job", true),
    ("coordination.k8s.io/v1", "Lease", true),
    ("coordination.k8s.io/v1beta1", "Lease", true),
    ("v1", "LimitRange", true),
    (
        "admissionregistration.k8s.io/v1",
        "MutatingWebhookConfiguration",
        false,
    ),
    (
        "admissionregistration.k8s.io/v1beta1",
        "MutatingWebhookConfiguration",
        false,
    ),
    ("v1", "Namespace", false),
    ("networking.k8s.io/v1", "NetworkPolicy", true),
    ("v1", "Node", false),
    ("v1", "NodeProxyOptions", false),
    ("v1", "PersistentVolume", false),
    ("v1", "PersistentVolumeClaim", true),
    ("v1", "Pod", true),
    ("v1", "PodAttachOptions", true),
    ("policy/v1", "PodDisruptionBudget", true),
    ("policy/v1beta1", "PodDisruptionBudget", true),
    ("v1", "PodExecOptions", true),
    ("v1", "PodPortForwardOptions", true),
    ("v1", "PodProxyOptions", true),
    ("policy/v1beta1", "PodSecurityPolicy", false),
    ("v1", "PodTemplate", true),
    ("scheduling.k8s.io/v1", "PriorityClass", false),
    ("scheduling.k8s.io/v1beta1", "PriorityClass", false),
    (
        "flowcontrol.apiserver.k8s.io/v1beta1",
        "PriorityLevelConfiguration",
        false,
    ),
    ("apps/v1", "ReplicaSet", true),
    ("v1", "ReplicationController", true),
    ("v1", "ResourceQuota", true),
    ("rbac.authorization.k8s.io/v1", "Role", true),
    ("rbac.authorization.k8s.io/v1beta1", "Role", true),
    ("rbac.authorization.k8s.io/v1", "RoleBinding", true),
    ("rbac.authorization.k8s.io/v1beta1", "RoleBinding", true),
    ("node.k8s.io/v1", "RuntimeClass", false),
    ("node.k8s.io/v1beta1", "RuntimeClass", false),
    ("autoscaling/v1", "Scale", true),
    ("v1", "Secret", true),
    ("v1", "Service", true),
    ("v1", "ServiceAccount", true),
    ("v1", "ServiceProxyOptions", true),
    ("apps/v1", "StatefulSet", true),
    ("storage.k8s.io/v1", "StorageClass", false),
    ("storage.k8s.io/v1beta1", "StorageClass", false),
    (
        "admissionregistration.k8s.io/v1",
        "ValidatingWebhookConfiguration",
        false,
    ),
    (
        "admissionregistration.k8s.io/v1beta1",
        "ValidatingWebhookConfiguration",
        false,
    ),
    ("storage.k8s.io/v1", "VolumeAttachment", false),
    ("storage.k8s.io/v1beta1", "VolumeAttachment", false),
];

/// Whether `(api_version, kind)` is in upstream's table and cluster-scoped.
pub(crate) fn is_cluster_scoped(api_version_is: impl Fn(&str) -> bool, kind: &str) -> bool {
    PRECOMPUTED
        .iter()
        .any(|&(av, k, namespaced)| !namespaced && k == kind && api_version_is(av))
}

/// Whether upstream's table knows `(api_version, kind)` (so looking at its scope does not
/// make upstream parse its schema).
pub(crate) fn is_precomputed(api_version: &str, kind: &str) -> bool {
    let from = PRECOMPUTED.partition_point(|&(_, k, _)| k < kind);
    PRECOMPUTED[from..]
        .iter()
        .take_while(|&&(_, k, _)| k == kind)
        .any(|&(av, _, _)| av == api_version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_by_kind() {
        assert_eq!(PRECOMPUTED.len(), 82);
        assert!(PRECOMPUTED
            .windows(2)
            .all(|w| (w[0].1, w[0].0) < (w[1].1, w[1].0)));
        assert!(is_precomputed("apps/v1", "Deployment"));
        assert!(is_precomputed("v1", "ConfigMap"));
        assert!(!is_precomputed("apps/v1beta1", "Deployment"));
        assert!(!is_precomputed("builtin", "PrefixTransformer"));
    }
}
