//! Resource identity: [`Gvk`] (group, version, kind) and [`ResId`] (a Gvk plus name and
//! namespace), with upstream's equality and string forms.

use std::fmt;

use kustomize_yaml::CompactString;

/// Group, version and kind of a resource.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Gvk {
    /// API group; empty for the core group.
    pub group: CompactString,
    /// API version.
    pub version: CompactString,
    /// Kind.
    pub kind: CompactString,
}

impl Gvk {
    /// A Gvk from its parts.
    pub fn new(
        group: impl Into<CompactString>,
        version: impl Into<CompactString>,
        kind: impl Into<CompactString>,
    ) -> Self {
        Gvk {
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
        }
    }

    /// A Gvk of static texts, which are referred to rather than copied.
    pub fn from_static(group: &'static str, version: &'static str, kind: &'static str) -> Self {
        Gvk {
            group: CompactString::const_new(group),
            version: CompactString::const_new(version),
            kind: CompactString::const_new(kind),
        }
    }

    /// Splits an `apiVersion` at its first `/` into group and version.
    pub fn from_api_version(api_version: &str, kind: &str) -> Self {
        let (group, version) = match api_version.split_once('/') {
            Some((g, v)) => (g, v),
            None => ("", api_version),
        };
        Gvk::new(group, version, kind)
    }

    /// `group/version`, or `version` for the core group.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The order of the two Gvks' sort texts (`group_version_kind`, with `~G`, `~V`, `~K`
    /// for empty parts), compared without making them.
    pub fn cmp_sort_text(&self, other: &Gvk) -> std::cmp::Ordering {
        use crate::kind_order::{cmp_sort_texts, sort_pieces};
        cmp_sort_texts(
            sort_pieces(&self.group, &self.version, &self.kind),
            sort_pieces(&other.group, &other.version, &other.kind),
        )
    }

    /// Whether upstream's built-in schema says the kind is cluster-scoped. Unknown kinds
    /// (custom resources) are namespaced, as upstream's `IsCertainlyClusterScoped` says.
    pub fn is_cluster_scoped(&self) -> bool {
        crate::scope::is_cluster_scoped(|av| self.api_version_is(av), &self.kind)
    }

    /// Whether `group/version` (or `version` for the core group) is `av`, without
    /// building the string.
    fn api_version_is(&self, av: &str) -> bool {
        if self.group.is_empty() {
            return av == self.version;
        }
        av.len() == self.group.len() + 1 + self.version.len()
            && av.starts_with(self.group.as_str())
            && av.as_bytes()[self.group.len()] == b'/'
            && av.ends_with(self.version.as_str())
    }

    /// Whether `selector`'s non-empty parts all equal this Gvk's.
    pub fn is_selected_by(&self, selector: &Gvk) -> bool {
        crate::kind_order::selects(
            [&selector.group, &selector.version, &selector.kind],
            [&self.group, &self.version, &self.kind],
        )
    }

    /// Upstream's `StringWoEmptyField`: the non-empty parts joined by `_`.
    pub fn string_without_empty_fields(&self) -> String {
        [&self.group, &self.version, &self.kind]
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("_")
    }
}

/// Upstream's `Gvk.String()`: `kind.version.group` with `[noKind]`, `[noVer]`, `[noGrp]`
/// standing for empty parts.
impl fmt::Display for Gvk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn or<'a>(s: &'a str, empty: &'a str) -> &'a str {
            if s.is_empty() {
                empty
            } else {
                s
            }
        }
        write!(
            f,
            "{}.{}.{}",
            or(&self.kind, "[noKind]"),
            or(&self.version, "[noVer]"),
            or(&self.group, "[noGrp]")
        )
    }
}

/// The namespace upstream gives namespaced resources without one.
pub const DEFAULT_NAMESPACE: &str = "default";

/// A resource's identity: Gvk, name and namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResId {
    /// Group, version, kind.
    pub gvk: Gvk,
    /// `metadata.name`.
    pub name: CompactString,
    /// `metadata.namespace`, empty when unset.
    pub namespace: CompactString,
}

impl ResId {
    /// A ResId from its parts.
    pub fn new(
        gvk: Gvk,
        name: impl Into<CompactString>,
        namespace: impl Into<CompactString>,
    ) -> Self {
        ResId {
            gvk,
            name: name.into(),
            namespace: namespace.into(),
        }
    }

    /// The namespace used for equality: a marker for cluster-scoped kinds, `default` for
    /// namespaced resources without a namespace.
    pub fn effective_namespace(&self) -> &str {
        if self.gvk.is_cluster_scoped() {
            "_non_namespaceable_"
        } else if self.namespace.is_empty() {
            DEFAULT_NAMESPACE
        } else {
            &self.namespace
        }
    }

    /// Upstream's `ResId.Equals`: same Gvk and name, same effective namespace.
    pub fn equals(&self, other: &ResId) -> bool {
        self.gvk == other.gvk
            && self.name == other.name
            && self.effective_namespace() == other.effective_namespace()
    }

    /// The key under which [`ResId::equals`] ids collide, for hashed lookups.
    pub fn key(&self) -> IdKey {
        IdKey {
            gvk: self.gvk.clone(),
            name: self.name.clone(),
            namespace: self.effective_namespace().into(),
        }
    }
}

/// A hashable form of [`ResId`] under upstream's equality (effective namespace).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdKey {
    gvk: Gvk,
    name: CompactString,
    namespace: CompactString,
}

/// Upstream's `ResId.String()`: `kind.version.group/name.namespace`, with `[noName]` and
/// `[noNs]` for empty parts.
impl fmt::Display for ResId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = if self.name.is_empty() {
            "[noName]"
        } else {
            &self.name
        };
        let ns = if self.namespace.is_empty() {
            "[noNs]"
        } else {
            &self.namespace
        };
        write!(f, "{}/{}.{}", self.gvk, name, ns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_version_splits_at_first_slash() {
        let g = Gvk::from_api_version("apps/v1", "Deployment");
        assert_eq!((g.group.as_str(), g.version.as_str()), ("apps", "v1"));
        assert_eq!(Gvk::from_api_version("v1", "Pod").api_version(), "v1");
    }

    #[test]
    fn display_matches_upstream() {
        let id = ResId::new(Gvk::from_api_version("v1", "ConfigMap"), "cm", "");
        assert_eq!(id.to_string(), "ConfigMap.v1.[noGrp]/cm.[noNs]");
    }

    #[test]
    fn default_namespace_equals_empty() {
        let gvk = Gvk::from_api_version("v1", "ConfigMap");
        let a = ResId::new(gvk.clone(), "x", "");
        let b = ResId::new(gvk, "x", "default");
        assert!(a.equals(&b));
        assert_eq!(a.key(), b.key());
    }

    #[test]
    fn cluster_scoped_ignores_namespace() {
        let gvk = Gvk::from_api_version("v1", "Namespace");
        assert!(gvk.is_cluster_scoped());
        assert!(ResId::new(gvk.clone(), "x", "a").equals(&ResId::new(gvk, "x", "b")));
        assert!(!Gvk::from_api_version("example.com/v1", "Namespace").is_cluster_scoped());
    }
}
