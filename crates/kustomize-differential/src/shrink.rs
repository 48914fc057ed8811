//! Shrinking a tree that shows a mismatch: remove files, documents, mapping entries and
//! list items, one at a time, keeping each removal after which the mismatch is still
//! there, until no removal keeps it (or the budget of tries is spent).

use crate::tree::{Content, Tree};
use crate::yaml::Y;

/// One removal.
#[derive(Debug, Clone, PartialEq)]
enum Cut {
    /// A whole file.
    File(usize),
    /// A document of a file.
    Doc(usize, usize),
    /// A node inside a document: the path of entry or item indices to it.
    Node(usize, usize, Vec<usize>),
}

/// The smallest tree `still_fails` holds for that this greedy search finds, trying at
/// most `budget` candidates.
pub fn shrink(tree: &Tree, still_fails: &mut dyn FnMut(&Tree) -> bool, budget: usize) -> Tree {
    let mut best = tree.clone();
    let mut tries = 0;
    'outer: loop {
        for cut in cuts(&best) {
            if tries >= budget {
                break 'outer;
            }
            let Some(candidate) = apply(&best, &cut) else {
                continue;
            };
            tries += 1;
            if still_fails(&candidate) {
                best = candidate;
                continue 'outer;
            }
        }
        break;
    }
    best
}

/// Every removal that could be tried, largest first: files, documents, then nodes from
/// the top of each document down.
fn cuts(tree: &Tree) -> Vec<Cut> {
    let mut out = Vec::new();
    for (i, f) in tree.files.iter().enumerate() {
        // The top kustomization stays: without it there is nothing to build.
        if f.path != format!("{}/kustomization.yaml", tree.build) {
            out.push(Cut::File(i));
        }
    }
    for (i, f) in tree.files.iter().enumerate() {
        if let Content::Docs { docs, .. } = &f.content {
            if docs.len() > 1 {
                out.extend((0..docs.len()).map(|d| Cut::Doc(i, d)));
            }
        }
    }
    let mut nodes = Vec::new();
    for (i, f) in tree.files.iter().enumerate() {
        let docs: Vec<&Y> = match &f.content {
            Content::Docs { docs, .. } => docs.iter().collect(),
            Content::Json(y) => vec![y],
            Content::Text(_) => vec![],
        };
        for (d, doc) in docs.into_iter().enumerate() {
            let mut stack = vec![(doc, Vec::new())];
            while let Some((y, path)) = stack.pop() {
                let children: Vec<&Y> = match y {
                    Y::M(entries, _) => entries.iter().map(|(_, v)| v).collect(),
                    Y::L(items, _) => items.iter().collect(),
                    Y::Anchor(_, inner) => {
                        stack.push((inner, path));
                        continue;
                    }
                    _ => continue,
                };
                for (c, child) in children.into_iter().enumerate() {
                    let mut p = path.clone();
                    p.push(c);
                    nodes.push((p.len(), Cut::Node(i, d, p.clone())));
                    stack.push((child, p));
                }
            }
        }
    }
    // Shallow nodes first: removing one takes everything under it.
    nodes.sort_by_key(|(depth, _)| *depth);
    out.extend(nodes.into_iter().map(|(_, c)| c));
    out
}

/// `tree` with `cut` made; `None` when it does not apply.
fn apply(tree: &Tree, cut: &Cut) -> Option<Tree> {
    let mut t = tree.clone();
    match cut {
        Cut::File(i) => {
            t.files.remove(*i);
        }
        Cut::Doc(i, d) => match &mut t.files.get_mut(*i)?.content {
            Content::Docs { docs, .. } if *d < docs.len() => {
                docs.remove(*d);
            }
            _ => return None,
        },
        Cut::Node(i, d, path) => {
            let doc = match &mut t.files.get_mut(*i)?.content {
                Content::Docs { docs, .. } => docs.get_mut(*d)?,
                Content::Json(y) if *d == 0 => y,
                _ => return None,
            };
            let (last, parents) = path.split_last()?;
            let mut cur = doc;
            for &p in parents {
                cur = child_mut(cur, p)?;
            }
            if let Y::Anchor(_, inner) = cur {
                cur = inner;
            }
            match cur {
                Y::M(entries, _) if *last < entries.len() => {
                    entries.remove(*last);
                }
                Y::L(items, _) if *last < items.len() => {
                    items.remove(*last);
                }
                _ => return None,
            }
        }
    }
    Some(t)
}

fn child_mut(y: &mut Y, i: usize) -> Option<&mut Y> {
    match y {
        Y::M(entries, _) => entries.get_mut(i).map(|(_, v)| v),
        Y::L(items, _) => items.get_mut(i),
        Y::Anchor(_, inner) => child_mut(inner, i),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::File;

    /// A "mismatch" that needs one list item of one file: everything else goes.
    #[test]
    fn shrinks_to_what_the_mismatch_needs() {
        let tree = Tree {
            build: "top".into(),
            files: vec![
                File::docs(
                    "top/kustomization.yaml",
                    vec![Y::map(vec![
                        ("resources", Y::list(vec![Y::s("a.yaml"), Y::s("b.yaml")])),
                        ("namePrefix", Y::s("p-")),
                    ])],
                ),
                File::docs(
                    "top/a.yaml",
                    vec![
                        Y::map(vec![
                            ("kind", Y::s("A")),
                            ("spec", Y::list(vec![Y::s("x"), Y::s("BAD"), Y::s("y")])),
                        ]),
                        Y::map(vec![("kind", Y::s("B"))]),
                    ],
                ),
                File::docs("top/b.yaml", vec![Y::map(vec![("kind", Y::s("C"))])]),
            ],
        };
        let bad = |t: &Tree| {
            t.files
                .iter()
                .any(|f| String::from_utf8_lossy(&f.render()).contains("BAD"))
        };
        let mut calls = 0;
        let small = shrink(
            &tree,
            &mut |t| {
                calls += 1;
                bad(t)
            },
            1000,
        );
        assert!(bad(&small));
        assert_eq!(small.files.len(), 2);
        assert_eq!(
            String::from_utf8_lossy(&small.files[1].render()),
            "spec:\n- BAD\n"
        );
        assert_eq!(String::from_utf8_lossy(&small.files[0].render()), "{}\n");
        assert!(calls < 100, "{calls} tries");
        // The budget bounds the work.
        let mut few = 0;
        let _ = shrink(
            &tree,
            &mut |t| {
                few += 1;
                bad(t)
            },
            3,
        );
        assert_eq!(few, 3);
    }
}
