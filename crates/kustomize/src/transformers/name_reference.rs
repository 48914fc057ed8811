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

use std::hash::BuildHasher;

use kustomize_yaml::{CompactString, Value};

use super::Transformer;
use crate::fieldspec::FieldSpec;
use crate::fieldspecs::NameBackReferences;
use crate::history::History;
use crate::resid::{Gvk, ResId};
use crate::resmap::ResMap;
use crate::resource::{scalar_text, Resource};
use crate::Error;

/// Fixes name references after renames.
#[derive(Debug, Clone)]
pub struct NameReferenceTransformer {
    /// The `nameReference` table.
    pub back_references: Vec<NameBackReferences>,
}

/// A possible referral as the selection sees it: its current id (read when selected, as
/// upstream reads it: a referrer field that changes ids, such as a custom
/// `metadata/namespace` path, has already changed the resources before the referrer) and
/// its previous ids and affixes (borrowed where they are).
struct Candidate<'a> {
    cur: ResId,
    history: &'a History,
}

impl Candidate<'_> {
    fn org_id(&self) -> ResId {
        self.history.org_id(&self.cur)
    }

    fn prev_ids(&self) -> impl Iterator<Item = ResId> + '_ {
        self.history.prev_ids()
    }
}

/// Positions of the resources by each of their previous names: one sorted list of (name
/// hash, position) pairs for the whole pass, 16 bytes per pair. Names are not kept; the
/// selection checks a candidate's previous names (a colliding hash only adds a candidate).
struct PrevNameIndex {
    pairs: Vec<(u64, u32)>,
    hasher: foldhash::fast::RandomState,
}

impl PrevNameIndex {
    fn of(resources: &ResMap) -> Self {
        let hasher = foldhash::fast::RandomState::default();
        let mut pairs: Vec<(u64, u32)> = Vec::new();
        for (i, r) in resources.iter().enumerate() {
            let i = u32::try_from(i).expect("fewer than 2^32 resources");
            pairs.extend(r.prev_names().map(|name| (hasher.hash_one(name), i)));
        }
        // By hash, then position: each name's positions in build order (a name a resource
        // had twice, or two of its names with one hash, give it once).
        pairs.sort_unstable();
        pairs.dedup();
        PrevNameIndex { pairs, hasher }
    }

    fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// Positions of the resources that once had a name of `name`'s hash, in build order.
    fn get(&self, name: &str) -> impl Iterator<Item = usize> + '_ {
        let hash = self.hasher.hash_one(name);
        let start = self.pairs.partition_point(|&(h, _)| h < hash);
        self.pairs[start..]
            .iter()
            .take_while(move |&&(h, _)| h == hash)
            .map(|&(_, i)| i as usize)
    }
}

/// The referrer as the selection sees it.
struct Referrer<'a> {
    /// Its position in the build.
    at: usize,
    cur: ResId,
    /// Namespaces of a RoleBinding's ServiceAccount subjects.
    binding_namespaces: HashSet<CompactString>,
    /// `roleRef`'s group and kind, when the referrer has one.
    role_ref: Option<Gvk>,
    /// The referrer's own previous ids and affixes.
    history: &'a History,
}

/// The resources other than the referrer, which is borrowed mutably meanwhile.
struct Others<'a> {
    before: &'a [Resource],
    after: &'a [Resource],
}

struct Selection<'a> {
    others: &'a Others<'a>,
    /// Original namespaces of all namespaced resources.
    org_namespaces: &'a HashSet<CompactString>,
    by_prev_name: &'a PrevNameIndex,
    referrer: &'a Referrer<'a>,
    target: &'a Gvk,
    is_role_ref: bool,
}

impl Transformer for NameReferenceTransformer {
    /// Each referrer is rewritten in place while the selection reads the other resources
    /// where they are: nothing is copied per resource; the pass keeps an index of previous
    /// names and the set of original namespaces.
    fn transform(&self, resources: &mut ResMap) -> Result<(), Error> {
        let mut pass = Pass {
            transformer: self,
            by_prev_name: PrevNameIndex::of(resources),
            org_namespaces: resources
                .iter()
                .filter_map(|r| {
                    let org = r.org_id();
                    (!org.gvk.is_cluster_scoped()).then(|| org.effective_namespace().into())
                })
                .collect(),
            selected: HashMap::default(),
        };
        let stop = resources.stop();
        let all = resources.iter_mut().into_slice();
        for at in 0..all.len() {
            stop.poll(at)?;
            let (before, rest) = all.split_at_mut(at);
            let Some((r, after)) = rest.split_first_mut() else {
                break;
            };
            let others = Others { before, after };
            // The referrer's history is read as a candidate's while its object changes.
            let history = r.take_history();
            let result = pass.fix_referrer(r, at, &history, &others);
            r.restore_history(history);
            result?;
        }
        Ok(())
    }
}

/// What the pass works out once for all referrers.
struct Pass<'t> {
    transformer: &'t NameReferenceTransformer,
    by_prev_name: PrevNameIndex,
    /// Original namespaces of all namespaced resources.
    org_namespaces: HashSet<CompactString>,
    /// The referrer fields that select each original Gvk (with their back reference), in
    /// table order: resources share a handful of Gvks, and the table holds ~170 specs.
    selected: HashMap<Gvk, Vec<SelectedField>>,
}

impl Pass<'_> {
    /// Fixes the references of the resource at `at`, whose history is moved to `history`.
    fn fix_referrer(
        &mut self,
        r: &mut Resource,
        at: usize,
        history: &History,
        others: &Others<'_>,
    ) -> Result<(), Error> {
        // Checked for every referrer, renames or not, as upstream does.
        let referrer = Referrer::of(r, at, history)?;
        if self.by_prev_name.is_empty() {
            return Ok(());
        }
        let org_gvk = &history.org_id(&referrer.cur).gvk;
        if !self.selected.contains_key(org_gvk) {
            let fields = self.transformer.fields_selecting(org_gvk);
            self.selected.insert(org_gvk.clone(), fields);
        }
        for selected in &self.selected[org_gvk] {
            let selection = Selection {
                others,
                org_namespaces: &self.org_namespaces,
                by_prev_name: &self.by_prev_name,
                referrer: &referrer,
                target: &self.transformer.back_references[selected.backref].gvk,
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
        Ok(())
    }
}

impl NameReferenceTransformer {
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
    /// The referrer's view of the resource at `at` (its history moved to `history`); an
    /// error for a RoleBinding whose ServiceAccount subject has a `namespace` that is not a
    /// string (upstream: "namespace is blank").
    fn of(r: &Resource, at: usize, history: &'a History) -> Result<Self, Error> {
        let cur = r.cur_id();
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
                        Value::String(ns) => {
                            binding_namespaces.insert(CompactString::from(ns.as_str()))
                        }
                        _ => {
                            return Err(Error::Transform {
                                transformer: "NameReferenceTransformer",
                                message: format!(
                                    "Invalid Input: namespace is blank for resource \"{}\"",
                                    cur
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
            at,
            cur,
            binding_namespaces,
            role_ref,
            history,
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
        let Some(referral) = self.select(&old, None, false)? else {
            return Ok(());
        };
        if referral.cur.name != old {
            *node = Value::from(referral.cur.name);
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
        let Some(Candidate { cur: referral, .. }) =
            self.select(&old, namespace.as_deref(), true)?
        else {
            return Ok(());
        };
        if referral.name == old && referral.namespace.is_empty() {
            return Ok(());
        }
        map.insert("name", Value::from(referral.name));
        if !referral.namespace.is_empty() {
            map.insert("namespace", Value::from(referral.namespace));
        }
        Ok(())
    }

    /// The resource at `at` as a candidate: the referrer's own id and history when it is
    /// the referrer.
    fn candidate(&self, at: usize) -> Candidate<'_> {
        let referrer = self.referrer;
        let r = match at.cmp(&referrer.at) {
            std::cmp::Ordering::Less => &self.others.before[at],
            std::cmp::Ordering::Greater => &self.others.after[at - referrer.at - 1],
            std::cmp::Ordering::Equal => {
                return Candidate {
                    cur: referrer.cur.clone(),
                    history: referrer.history,
                }
            }
        };
        Candidate {
            cur: r.cur_id(),
            history: r.history(),
        }
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
    ) -> Result<Option<Candidate<'_>>, String> {
        let mut list: Vec<Candidate> = self
            .by_prev_name
            .get(old_name)
            .map(|i| self.candidate(i))
            .filter(|c| c.history.prev_names().any(|n| n == old_name) && self.reachable(c))
            .collect();
        if let Some(ns) = namespace {
            // Upstream groups candidates by original namespace when any resource had it,
            // else by current namespace; cluster-scoped ones are in no group.
            if self.org_namespaces.contains(ns) {
                list.retain(|c| {
                    let org = c.org_id();
                    !org.gvk.is_cluster_scoped() && org.effective_namespace() == ns
                });
            } else {
                list.retain(|c| {
                    !c.cur.gvk.is_cluster_scoped() && c.cur.effective_namespace() == ns
                });
            }
        }
        let referrer_cluster_scoped = self.referrer.cur.gvk.is_cluster_scoped();
        list.retain(|c| {
            c.prev_ids().any(|id| id.gvk.is_selected_by(self.target))
                && (!self.is_role_ref
                    || self
                        .referrer
                        .role_ref
                        .as_ref()
                        .is_none_or(|rr| c.prev_ids().any(|id| id.gvk.is_selected_by(rr))))
                && (referrer_cluster_scoped
                    || c.cur.gvk.is_cluster_scoped()
                    || c.cur.gvk.kind == "ServiceAccount"
                    || c.cur.effective_namespace() == self.referrer.cur.effective_namespace())
        });
        if list.len() > 1 {
            list.retain(|c| self.affixes_match(c, true));
        }
        if list.len() > 1 {
            list.retain(|c| self.affixes_match(c, false));
        }
        if list.len() <= 1 {
            return Ok(list.pop());
        }
        let first = &list[0].cur;
        let identical = list.iter().all(|c| {
            c.cur.name == first.name && (!compare_namespaces || c.cur.namespace == first.namespace)
        });
        if identical {
            return Ok(list.into_iter().next());
        }
        let ids: Vec<String> = list.iter().map(|c| c.cur.to_string()).collect();
        Err(format!(
            "found multiple possible referrals: {}",
            ids.join(", ")
        ))
    }

    /// Upstream's `PrefixesSuffixesEquals`.
    fn affixes_match(&self, c: &Candidate, allow_empty: bool) -> bool {
        let (r, c) = (self.referrer.history, c.history);
        let matches = |a: Vec<&str>, b: Vec<&str>| {
            (allow_empty && (a.is_empty() || b.is_empty())) || same_ending(&a, &b)
        };
        matches(r.prefixes().collect(), c.prefixes().collect())
            && matches(r.suffixes().collect(), c.suffixes().collect())
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
