//! The legacy kind order and Gvk selection, as functions of plain strings: the crate uses
//! them, and so does `build.rs`, which sorts the default field-spec tables at build time
//! (`#[path]`-included there, so this file uses nothing of the crate).

/// Upstream's default `orderFirst`.
pub const DEFAULT_ORDER_FIRST: &[&str] = &[
    "Namespace",
    "ResourceQuota",
    "StorageClass",
    "CustomResourceDefinition",
    "ServiceAccount",
    "PodSecurityPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "Endpoints",
    "Service",
    "LimitRange",
    "PriorityClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
];

/// Upstream's default `orderLast`.
pub const DEFAULT_ORDER_LAST: &[&str] = &[
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// The legacy rank of a kind under the default orders (negative first, 0 between,
/// positive last).
pub fn default_rank(kind: &str) -> i64 {
    if let Some(i) = DEFAULT_ORDER_FIRST.iter().position(|k| *k == kind) {
        return i as i64 - DEFAULT_ORDER_FIRST.len() as i64;
    }
    match DEFAULT_ORDER_LAST.iter().position(|k| *k == kind) {
        Some(i) => i as i64 + 1,
        None => 0,
    }
}

/// The pieces of upstream's Gvk sort text: group, version and kind, with `~G`, `~V`, `~K`
/// for empty parts.
pub fn sort_pieces<'a>(group: &'a str, version: &'a str, kind: &'a str) -> [&'a str; 3] {
    [(group, "~G"), (version, "~V"), (kind, "~K")].map(
        |(part, empty)| {
            if part.is_empty() {
                empty
            } else {
                part
            }
        },
    )
}

/// The order of two Gvks' sort texts ([`gvk_sort_string`]), from their [`sort_pieces`],
/// compared without building them: equal leading pieces are skipped; then, unless one
/// piece is a prefix of the other, those two pieces decide.
pub fn cmp_sort_texts(a: [&str; 3], b: [&str; 3]) -> std::cmp::Ordering {
    let same = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let (Some(x), Some(y)) = (a.get(same), b.get(same)) else {
        return std::cmp::Ordering::Equal;
    };
    if !x.starts_with(*y) && !y.starts_with(*x) {
        return x.cmp(y);
    }
    a[same..].join("_").cmp(&b[same..].join("_"))
}

/// Upstream's Gvk sort text: the [`sort_pieces`] joined by `_`. (For `build.rs` and the
/// tests: the crate compares Gvks with [`cmp_sort_texts`].)
#[allow(dead_code)]
pub fn gvk_sort_string(group: &str, version: &str, kind: &str) -> String {
    let parts = sort_pieces(group, version, kind);
    let mut out = String::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push('_');
        }
        out.push_str(part);
    }
    out
}

/// Upstream's field-spec order for a Gvk: legacy kind rank, then sort text (a stable sort).
/// `build.rs` sorts the default tables by it; the crate compares with the same order
/// without building the texts (`fieldspecs::gvk_order`).
#[allow(dead_code)]
pub fn fieldspec_order_key(group: &str, version: &str, kind: &str) -> (i64, String) {
    (default_rank(kind), gvk_sort_string(group, version, kind))
}

/// Whether `selector`'s non-empty parts (group, version, kind) all equal `gvk`'s. Each
/// part is read only when the ones before it matched.
#[inline]
pub fn selects<S: AsRef<str> + ?Sized>(selector: [&S; 3], gvk: [&S; 3]) -> bool {
    selector.iter().zip(gvk).all(|(s, g)| {
        let s = s.as_ref();
        s.is_empty() || s == g.as_ref()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The comparison without strings orders Gvks as their sort strings do, including
        /// where `_` meets name characters either side of it ("a_" against "a.b_").
        #[test]
        fn gvk_comparison_equals_string_comparison(
            a in ("[a._~]{0,3}", "[a._~]{0,3}", "[a._~]{0,3}"),
            b in ("[a._~]{0,3}", "[a._~]{0,3}", "[a._~]{0,3}"),
        ) {
            prop_assert_eq!(
                cmp_sort_texts(sort_pieces(&a.0, &a.1, &a.2), sort_pieces(&b.0, &b.1, &b.2)),
                gvk_sort_string(&a.0, &a.1, &a.2).cmp(&gvk_sort_string(&b.0, &b.1, &b.2))
            );
        }
    }
}
