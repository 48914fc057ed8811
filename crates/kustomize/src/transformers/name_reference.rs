//! Name-reference fixing (upstream's `nameReferenceTransformer` and `filters/nameref`):
//! after renames, every field that names another resource follows the new name.
//!
//! For each referrer field of the `nameReference` table (selected by the referrer's
//! original Gvk), the old name in the field picks the referral among the resources that
//! once had that name (a previous id, so never-renamed resources are never candidates), of
//! the referred kind, allowed by namespace (same namespace, cluster-scoped, a
//! ServiceAccount, or a RoleBinding's subject namespaces), for `roleRef` of the right
//! kind; ties break on matching name prefixes and suffixes. Several different candidates
//! left is an error. A field holding a map (`{name, namespace}`) narrows candidates by
//! that namespace and gets both fields set.
//!
//! Candidates are indexed by previous name, so the cost grows with the number of
//! references, not with referrers times resources.

/// Hash maps and sets keyed by names and Gvks: foldhash, faster than SipHash on short keys.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
type HashSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;

use kustomize_yaml::Value;

use super::Transformer;
use crate::fieldspec::FieldSpec;
use crate::fieldspecs::NameBackReferences;
use crate::resid::{Gvk, ResId};
use crate::resmap::ResMap;
use crate::resource::{scalar_text, History, Resource};
use crate::Error;

/// Fixes name references after renames.
#[derive(Debug, Clone)]
pub struct NameReferenceTransformer {
    /// The `nameReference` table.
    pub back_references: Vec<NameBackReferences>,
}

/// What the selection needs of a possible referral, taken before referrers change. The
/// resource's previous ids and name affixes are moved here for the pass (not copied: the
/// pass holds one candidate per resource of the build) and moved back after it.
struct Candidate {
    cur: ResId,
    history: History,
    /// Whether the original id is cluster-scoped, and its effective namespace.
    org_cluster_scoped: bool,
    org_namespace: kustomize_yaml::CompactString,
}

impl Candidate {
    fn take(r: &mut Resource) -> Self {
        let cur = r.cur_id();
        let history = r.take_history();
        let org = history.org_id(&cur);
        Candidate {
            org_cluster_scoped: org.gvk.is_cluster_scoped(),
            org_namespace: org.effective_namespace().into(),
            cur,
            history,
        }
    }

    fn org_id(&self) -> &ResId {
        self.history.org_id(&self.cur)
    }

    fn prev_ids(&self) -> &[ResId] {
        &self.history.prev_ids
    }
}

/// The referrer as the selection sees it.
struct Referrer<'a> {
    cur: &'a ResId,
    /// Namespaces of a RoleBinding's ServiceAccount subjects.
    binding_namespaces: HashSet<kustomize_yaml::CompactString>,
    /// `roleRef`'s group and kind, when the referrer has one.
    role_ref: Option<Gvk>,
    /// The referrer's own previous ids and affixes.
    history: &'a History,
}

struct Selection<'a> {
    candidates: &'a [Candidate],
    /// Original namespaces of all namespaced resources.
    org_namespaces: &'a HashSet<&'a str>,
    by_prev_name: &'a HashMap<&'a str, Vec<usize>>,
    referrer: &'a Referrer<'a>,
    target: &'a Gvk,
    is_role_ref: bool,
}

impl Transformer for NameReferenceTransformer {
    fn transform(&self, resources: &mut ResMap) -> Result<(), Error> {
        let candidates: Vec<Candidate> = resources.iter_mut().map(Candidate::take).collect();
        let result = self.fix(resources, &candidates);
        for (r, c) in resources.iter_mut().zip(candidates) {
            r.restore_history(c.history);
        }
        result
    }
}

impl NameReferenceTransformer {
    /// The pass itself, with each resource's previous ids and affixes in `candidates`.
    fn fix(&self, resources: &mut ResMap, candidates: &[Candidate]) -> Result<(), Error> {
        let mut by_prev_name: HashMap<&str, Vec<usize>> = HashMap::default();
        for (i, c) in candidates.iter().enumerate() {
            let mut seen = HashSet::default();
            for id in c.prev_ids() {
                if seen.insert(id.name.as_str()) {
                    by_prev_name.entry(id.name.as_str()).or_default().push(i);
                }
            }
        }
        let org_namespaces: HashSet<&str> = candidates
            .iter()
            .filter(|c| !c.org_cluster_scoped)
            .map(|c| c.org_namespace.as_str())
            .collect();
        // The referrer fields that select each original Gvk (with their back reference),
        // in table order: resources share a handful of Gvks, and the table holds ~170 specs.
        let mut selected: HashMap<Gvk, Vec<SelectedField>> = HashMap::default();
        for (r, own) in resources.iter_mut().zip(candidates) {
            // Checked for every referrer, renames or not, as upstream does.
            let referrer = Referrer::of(r, own)?;
            if by_prev_name.is_empty() {
                continue;
            }
            let org_gvk = &own.org_id().gvk;
            if !selected.contains_key(org_gvk) {
                let fields = self.fields_selecting(org_gvk);
                selected.insert(org_gvk.clone(), fields);
            }
            for selected in &selected[org_gvk] {
                let selection = Selection {
                    candidates,
                    org_namespaces: &org_namespaces,
                    by_prev_name: &by_prev_name,
                    referrer: &referrer,
                    target: &self.back_references[selected.backref].gvk,
                    is_role_ref: selected.is_role_ref,
                };
                let field = &selected.field;
                field
                    .apply(r.value_mut(), &referrer.cur.gvk, None, &mut |node| {
                        selection.set(node)
                    })
                    .map_err(|e| Error::Transform {
                        transformer: "NameReferenceTransformer",
                        message: format!(
                            "updating name reference in '{}' field of '{}': {e}",
                            field.path, referrer.cur
                        ),
                    })?;
            }
        }
        Ok(())
    }

    /// The referrer fields of every back reference whose spec selects `gvk`, in table order.
    fn fields_selecting(&self, gvk: &Gvk) -> Vec<SelectedField> {
        let backrefs = self.back_references.iter().enumerate();
        backrefs
            .flat_map(|(b, backref)| {
                let specs = backref.referrers.iter();
                specs
                    .filter(|spec| gvk.is_selected_by(&spec.gvk))
                    .map(move |spec| SelectedField {
                        backref: b,
                        // The spec has selected the referrer: its path applies to any kind.
                        field: FieldSpec {
                            gvk: Gvk::default(),
                            path: spec.path.clone(),
                            create: false,
                        },
                        is_role_ref: spec.path.ends_with("roleRef/name"),
                    })
            })
            .collect()
    }
}

/// A referrer field that selects some Gvk, and the back reference it belongs to.
struct SelectedField {
    backref: usize,
    field: FieldSpec,
    is_role_ref: bool,
}

impl<'a> Referrer<'a> {
    /// The referrer's view (`own` is its candidate); an error for a RoleBinding whose
    /// ServiceAccount subject has a `namespace` that is not a string (upstream: "namespace
    /// is blank").
    fn of(r: &Resource, own: &'a Candidate) -> Result<Self, Error> {
        let obj = r.value();
        let mut binding_namespaces = HashSet::default();
        if r.text_at(&["kind"]) == "RoleBinding" {
            if let Some(Value::Seq(subjects)) = obj.get("subjects") {
                for s in subjects {
                    let Some(ns) = s.get("namespace") else {
                        continue;
                    };
                    if s.get("kind").and_then(Value::as_str) != Some("ServiceAccount") {
                        continue;
                    }
                    match ns {
                        Value::String(ns) => binding_namespaces.insert(ns.clone()),
                        _ => {
                            return Err(Error::Transform {
                                transformer: "NameReferenceTransformer",
                                message: format!(
                                    "Invalid Input: namespace is blank for resource \"{}\"",
                                    own.cur
                                ),
                            })
                        }
                    };
                }
            }
        }
        let role_ref = obj.get("roleRef").and_then(|rr| {
            let group = rr.get("apiGroup")?;
            let kind = rr.get("kind")?;
            Some(Gvk::new(
                scalar_text(Some(group)),
                "",
                scalar_text(Some(kind)),
            ))
        });
        Ok(Referrer {
            cur: &own.cur,
            binding_namespaces,
            role_ref,
            history: &own.history,
        })
    }
}

impl Selection<'_> {
    fn set(&self, node: &mut Value) -> Result<(), String> {
        match node {
            Value::Null | Value::Blank => Ok(()),
            Value::Seq(items) => items.iter_mut().try_for_each(|item| match item {
                Value::Null | Value::Blank => Ok(()),
                Value::Map(_) => self.set_mapping(item),
                Value::Seq(_) => Err("expected either a string or a map of string".into()),
                _ => self.set_scalar(item),
            }),
            Value::Map(_) => self.set_mapping(node),
            _ => self.set_scalar(node),
        }
    }

    fn set_scalar(&self, node: &mut Value) -> Result<(), String> {
        let old = scalar_text(Some(node));
        let Some(i) = self.select(&old, None, false)? else {
            return Ok(());
        };
        let new = &self.candidates[i].cur.name;
        if *new != old {
            *node = Value::from(new.clone());
        }
        Ok(())
    }

    fn set_mapping(&self, node: &mut Value) -> Result<(), String> {
        let Value::Map(map) = node else {
            return Err("expect a mapping node".into());
        };
        let Some(name) = map.get("name") else {
            return Err("path config error; no 'name' field in node".into());
        };
        let old = scalar_text(Some(name));
        let namespace = map.get("namespace").map(|n| scalar_text(Some(n)));
        let Some(i) = self.select(&old, namespace.as_deref(), true)? else {
            return Ok(());
        };
        let referral = &self.candidates[i].cur;
        if referral.name == old && referral.namespace.is_empty() {
            return Ok(());
        }
        map.insert("name", Value::from(referral.name.clone()));
        if !referral.namespace.is_empty() {
            map.insert("namespace", Value::from(referral.namespace.clone()));
        }
        Ok(())
    }

    /// Whether the referrer may refer to `c` at all (upstream's
    /// `SubsetThatCouldBeReferencedByResource`).
    fn reachable(&self, c: &Candidate) -> bool {
        self.referrer.cur.gvk.is_cluster_scoped()
            || c.cur.gvk.is_cluster_scoped()
            || c.cur.effective_namespace() == self.referrer.cur.effective_namespace()
            || self.referrer.binding_namespaces.contains(&c.cur.namespace)
    }

    /// Picks the referral for `old_name`; `namespace` is the map form's `namespace` field.
    fn select(
        &self,
        old_name: &str,
        namespace: Option<&str>,
        compare_namespaces: bool,
    ) -> Result<Option<usize>, String> {
        let Some(indices) = self.by_prev_name.get(old_name) else {
            return Ok(None);
        };
        let mut list: Vec<usize> = indices
            .iter()
            .copied()
            .filter(|&i| self.reachable(&self.candidates[i]))
            .collect();
        if let Some(ns) = namespace {
            // Upstream groups candidates by original namespace when any resource had it,
            // else by current namespace; cluster-scoped ones are in no group.
            if self.org_namespaces.contains(ns) {
                list.retain(|&i| {
                    let c = &self.candidates[i];
                    !c.org_cluster_scoped && c.org_namespace == ns
                });
            } else {
                list.retain(|&i| {
                    let c = &self.candidates[i].cur;
                    !c.gvk.is_cluster_scoped() && c.effective_namespace() == ns
                });
            }
        }
        let referrer_cluster_scoped = self.referrer.cur.gvk.is_cluster_scoped();
        list.retain(|&i| {
            let c = &self.candidates[i];
            c.prev_ids()
                .iter()
                .any(|id| id.gvk.is_selected_by(self.target))
                && (!self.is_role_ref
                    || self
                        .referrer
                        .role_ref
                        .as_ref()
                        .is_none_or(|rr| c.prev_ids().iter().any(|id| id.gvk.is_selected_by(rr))))
                && (referrer_cluster_scoped
                    || c.cur.gvk.is_cluster_scoped()
                    || c.cur.gvk.kind == "ServiceAccount"
                    || c.cur.effective_namespace() == self.referrer.cur.effective_namespace())
        });
        if list.len() == 1 {
            return Ok(Some(list[0]));
        }
        list.retain(|&i| self.affixes_match(&self.candidates[i], true));
        if list.len() > 1 {
            list.retain(|&i| self.affixes_match(&self.candidates[i], false));
        }
        match list.len() {
            0 => Ok(None),
            1 => Ok(Some(list[0])),
            _ => {
                let first = &self.candidates[list[0]].cur;
                let identical = list.iter().all(|&i| {
                    let c = &self.candidates[i].cur;
                    c.name == first.name && (!compare_namespaces || c.namespace == first.namespace)
                });
                if identical {
                    return Ok(Some(list[0]));
                }
                let ids: Vec<String> = list
                    .iter()
                    .map(|&i| self.candidates[i].cur.to_string())
                    .collect();
                Err(format!(
                    "found multiple possible referrals: {}",
                    ids.join(", ")
                ))
            }
        }
    }

    /// Upstream's `PrefixesSuffixesEquals`.
    fn affixes_match(&self, c: &Candidate, allow_empty: bool) -> bool {
        let (r, c) = (self.referrer.history, &c.history);
        let prefixes = (allow_empty && (r.prefixes.is_empty() || c.prefixes.is_empty()))
            || same_ending(&r.prefixes, &c.prefixes);
        let suffixes = (allow_empty && (r.suffixes.is_empty() || c.suffixes.is_empty()))
            || same_ending(&r.suffixes, &c.suffixes);
        prefixes && suffixes
    }
}

/// Whether the shorter slice is the end of the longer (two empty slices match; one empty
/// and one not do not).
fn same_ending<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short.is_empty() {
        return long.is_empty();
    }
    long.ends_with(short)
}

#[cfg(test)]
mod tests {
    use super::same_ending;

    #[test]
    fn same_ending_matches_upstream() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(same_ending(&s(&["a", "b", "c"]), &s(&["b", "c"])));
        assert!(!same_ending(&s(&["a", "b", "c"]), &s(&["a", "b"])));
        assert!(!same_ending(&s(&[]), &s(&["a"])));
        assert!(same_ending(&s(&[]), &s(&[])));
    }
}
