//! `SortOrderTransformer`: the output order (`sortOptions`, or the CLI's legacy default).
//!
//! `fifo` keeps input order. `legacy` orders by kind rank (`orderFirst` kinds first, in
//! their order; `orderLast` kinds last; all others between), then by Gvk text with `~G`,
//! `~V`, `~K` standing for empty parts (two `Namespace` kinds where one has no group
//! compare the other way round, as upstream does), then by `kind.version.group|ns|name`.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::HashMap;

use crate::kustomization::{LegacySortOptions, SortOptions};
use crate::resid::Gvk;
use crate::resmap::ResMap;
use crate::Error;

pub use crate::kind_order::{DEFAULT_ORDER_FIRST, DEFAULT_ORDER_LAST};

/// Checks `sortOptions` as upstream does and sorts `resources` by it.
pub fn apply(options: &SortOptions, resources: &mut ResMap) -> Result<(), Error> {
    match options.order.as_str() {
        "fifo" if options.legacy_sort_options.is_some() => Err(Error::Other(
            "the field 'sortOptions.legacySortOptions' is set but the selected sort order is 'fifo', not 'legacy'".into(),
        )),
        "fifo" => Ok(()),
        "legacy" => {
            let sorter = match &options.legacy_sort_options {
                Some(LegacySortOptions {
                    order_first,
                    order_last,
                }) => LegacySorter::new(order_first, order_last),
                None => LegacySorter::new(DEFAULT_ORDER_FIRST, DEFAULT_ORDER_LAST),
            };
            sorter.sort(resources);
            Ok(())
        }
        _ => Err(Error::Other(
            "the field 'sortOptions.order' must be one of [fifo, legacy]".into(),
        )),
    }
}

/// Sorts in the default legacy order.
pub fn legacy_sort(resources: &mut ResMap) {
    LegacySorter::new(DEFAULT_ORDER_FIRST, DEFAULT_ORDER_LAST).sort(resources);
}

struct LegacySorter {
    ranks: HashMap<kustomize_yaml::CompactString, i64>,
}

impl LegacySorter {
    fn new<S: AsRef<str>>(first: &[S], last: &[S]) -> Self {
        let mut ranks = HashMap::new();
        let n = first.len() as i64;
        for (i, k) in first.iter().enumerate() {
            ranks.insert(k.as_ref().into(), i as i64 - n);
        }
        for (i, k) in last.iter().enumerate() {
            ranks.insert(k.as_ref().into(), i as i64 + 1);
        }
        LegacySorter { ranks }
    }

    fn sort(&self, resources: &mut ResMap) {
        let order = self.order(resources);
        resources.reorder(order);
    }

    /// The positions of the resources in sorted order (a stable sort, as upstream's).
    fn order(&self, resources: &ResMap) -> Vec<usize> {
        // Resources share a handful of Gvks: each distinct one is kept once, with its rank.
        let mut gvk_at: HashMap<Gvk, u32> = HashMap::new();
        let mut gvks: Vec<(Gvk, i64)> = Vec::new();
        let keys: Vec<SortKey> = resources
            .iter()
            .map(|r| {
                let gvk = r.gvk();
                let at = *gvk_at.entry(gvk).or_insert_with_key(|gvk| {
                    let rank = self.ranks.get(&gvk.kind).copied().unwrap_or(0);
                    gvks.push((gvk.clone(), rank));
                    (gvks.len() - 1) as u32
                });
                SortKey {
                    gvk: at,
                    namespace: r.text_at(&["metadata", "namespace"]),
                    name: r.text_at(&["metadata", "name"]),
                }
            })
            .collect();
        let mut order: Vec<usize> = (0..keys.len()).collect();
        order.sort_by(|&a, &b| compare(&gvks, &keys[a], &keys[b]));
        order
    }
}

/// What the legacy order compares, read once per resource: its Gvk's place in the table of
/// distinct Gvks, and its namespace and name (borrowed).
struct SortKey<'a> {
    gvk: u32,
    namespace: Cow<'a, str>,
    name: Cow<'a, str>,
}

fn compare(gvks: &[(Gvk, i64)], a: &SortKey, b: &SortKey) -> Ordering {
    if a.gvk == b.gvk {
        return cmp_ns_name((&a.namespace, &a.name), (&b.namespace, &b.name));
    }
    let ((ga, rank_a), (gb, rank_b)) = (&gvks[a.gvk as usize], &gvks[b.gvk as usize]);
    if rank_a != rank_b {
        return rank_a.cmp(rank_b);
    }
    let order = ga.cmp_sort_text(gb);
    if ga.kind == "Namespace"
        && gb.kind == "Namespace"
        && (ga.group.is_empty() || gb.group.is_empty())
    {
        order.reverse()
    } else {
        order
    }
}

fn or<'a>(s: &'a str, empty: &'a str) -> &'a str {
    if s.is_empty() {
        empty
    } else {
        s
    }
}

/// Upstream compares the texts `gvk|namespace|name` (`~X`, `~N` standing for empty
/// parts); for equal Gvks that is comparing `namespace|name`, byte by byte (not as a pair:
/// `ab|x` sorts after `abc|y`), done here without making the texts.
fn cmp_ns_name(a: (&str, &str), b: (&str, &str)) -> Ordering {
    let (ns_a, name_a) = (or(a.0, "~X"), or(a.1, "~N"));
    let (ns_b, name_b) = (or(b.0, "~X"), or(b.1, "~N"));
    if ns_a == ns_b {
        return name_a.cmp(name_b);
    }
    (ns_a.bytes().chain(*b"|").chain(name_a.bytes()))
        .cmp(ns_b.bytes().chain(*b"|").chain(name_b.bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Comparing namespace and name in place orders as upstream's joined texts do.
        #[test]
        fn ns_name_order_is_the_joined_texts_order(
            a in ("[a-c|~]{0,3}", "[a-c|~]{0,3}"),
            b in ("[a-c|~]{0,3}", "[a-c|~]{0,3}"),
        ) {
            let joined = |(ns, name): &(String, String)| format!("{}|{}", or(ns, "~X"), or(name, "~N"));
            prop_assert_eq!(
                cmp_ns_name((&a.0, &a.1), (&b.0, &b.1)),
                joined(&a).cmp(&joined(&b))
            );
        }
    }
}
