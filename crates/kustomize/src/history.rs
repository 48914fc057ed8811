//! [`History`]: what a build remembers of a resource's past — its previous ids and the
//! prefixes and suffixes added to its name — packed in one block.
//!
//! Upstream keeps these in internal annotations (`config.kubernetes.io/previousNames`,
//! `previousKinds`, `previousNamespaces`, `internal.config.kubernetes.io/prefixes`, ...).
//! Every resource of a build is held at once and most have two previous ids (before the
//! namespace and the prefix changed them), so they are packed: one allocation per
//! resource, a previous id that keeps the Gvk of the one before it stores only its name
//! and namespace, and the resource holds a 16-byte handle. Ids are unpacked when read.
//!
//! The block is a list of records, each a tag byte and its fields; a field is its length
//! (LEB128) and its bytes.

use std::fmt;

use crate::resid::{Gvk, ResId};

/// A previous id with its Gvk: group, version, kind, name, namespace.
const TAG_ID: u8 = b'I';
/// A previous id with the Gvk of the one before it: name, namespace.
const TAG_ID_SAME_GVK: u8 = b'i';
/// A name prefix.
const TAG_PREFIX: u8 = b'P';
/// A name suffix.
const TAG_SUFFIX: u8 = b'S';

/// A resource's previous ids (oldest first) and name affixes (innermost first).
#[derive(Clone, Default, PartialEq)]
pub(crate) struct History {
    packed: Option<Box<[u8]>>,
}

/// One record of the block, its fields borrowed.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Record<'a> {
    /// A previous id; `gvk` is `None` when it is the previous record's.
    Id {
        gvk: Option<[&'a str; 3]>,
        name: &'a str,
        namespace: &'a str,
    },
    Prefix(&'a str),
    Suffix(&'a str),
}

impl History {
    fn records(&self) -> Records<'_> {
        Records {
            rest: self.packed.as_deref().unwrap_or_default(),
        }
    }

    /// The previous ids, oldest first.
    pub fn prev_ids(&self) -> impl Iterator<Item = ResId> + '_ {
        let mut gvk = [""; 3];
        self.records().filter_map(move |record| match record {
            Record::Id {
                gvk: own,
                name,
                namespace,
            } => {
                if let Some(own) = own {
                    gvk = own;
                }
                let [group, version, kind] = gvk;
                Some(ResId::new(Gvk::new(group, version, kind), name, namespace))
            }
            Record::Prefix(_) | Record::Suffix(_) => None,
        })
    }

    /// The names of the previous ids, oldest first (borrowed: nothing is unpacked).
    pub fn prev_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.records().filter_map(|record| match record {
            Record::Id { name, .. } => Some(name),
            Record::Prefix(_) | Record::Suffix(_) => None,
        })
    }

    /// How many previous ids there are.
    pub fn prev_id_count(&self) -> usize {
        self.prev_names().count()
    }

    /// The id the resource had when it entered the build: the oldest previous one, else
    /// `cur`.
    pub fn org_id(&self, cur: &ResId) -> ResId {
        self.prev_ids().next().unwrap_or_else(|| cur.clone())
    }

    /// Name prefixes added, innermost first.
    pub fn prefixes(&self) -> impl Iterator<Item = &str> + '_ {
        self.records().filter_map(|record| match record {
            Record::Prefix(p) => Some(p),
            Record::Id { .. } | Record::Suffix(_) => None,
        })
    }

    /// Name suffixes added, innermost first.
    pub fn suffixes(&self) -> impl Iterator<Item = &str> + '_ {
        self.records().filter_map(|record| match record {
            Record::Suffix(s) => Some(s),
            Record::Id { .. } | Record::Prefix(_) => None,
        })
    }

    /// Appends a previous id.
    pub fn push_prev_id(&mut self, id: &ResId) {
        let last_gvk = self.records().fold(None, |last, record| match record {
            Record::Id { gvk: Some(g), .. } => Some(g),
            _ => last,
        });
        let gvk = &id.gvk;
        let same = last_gvk == Some([gvk.group.as_str(), &gvk.version, &gvk.kind]);
        let (name, namespace) = (id.name.as_str(), id.namespace.as_str());
        if same {
            self.push(TAG_ID_SAME_GVK, &[name, namespace]);
        } else {
            self.push(
                TAG_ID,
                &[&gvk.group, &gvk.version, &gvk.kind, name, namespace],
            );
        }
    }

    /// Appends a name prefix.
    pub fn push_prefix(&mut self, prefix: &str) {
        self.push(TAG_PREFIX, &[prefix]);
    }

    /// Appends a name suffix.
    pub fn push_suffix(&mut self, suffix: &str) {
        self.push(TAG_SUFFIX, &[suffix]);
    }

    /// Appends a record, copying the block once at its new exact size.
    fn push(&mut self, tag: u8, fields: &[&str]) {
        let old = self.packed.take().unwrap_or_default();
        let added: usize = fields.iter().map(|f| leb128_len(f.len()) + f.len()).sum();
        let mut block = Vec::with_capacity(old.len() + 1 + added);
        block.extend_from_slice(&old);
        block.push(tag);
        for field in fields {
            let mut n = field.len();
            while n >= 0x80 {
                block.push((n as u8) | 0x80);
                n >>= 7;
            }
            block.push(n as u8);
            block.extend_from_slice(field.as_bytes());
        }
        self.packed = Some(block.into_boxed_slice());
    }
}

fn leb128_len(mut n: usize) -> usize {
    let mut len = 1;
    while n >= 0x80 {
        n >>= 7;
        len += 1;
    }
    len
}

impl fmt::Debug for History {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.records()).finish()
    }
}

/// The records of a block, in order.
struct Records<'a> {
    rest: &'a [u8],
}

impl<'a> Records<'a> {
    fn field(&mut self) -> &'a str {
        let (mut n, mut shift) = (0usize, 0);
        while let Some((&byte, rest)) = self.rest.split_first() {
            self.rest = rest;
            n |= usize::from(byte & 0x7f) << shift;
            shift += 7;
            if byte < 0x80 {
                break;
            }
        }
        let (text, rest) = self.rest.split_at(n.min(self.rest.len()));
        self.rest = rest;
        // SAFETY: only `History::push` writes blocks, each field whole after its length,
        // copied from a `str`; records are read from the start of the block, so `text` is
        // exactly one such field.
        unsafe { std::str::from_utf8_unchecked(text) }
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Record<'a>;

    fn next(&mut self) -> Option<Record<'a>> {
        let (&tag, rest) = self.rest.split_first()?;
        self.rest = rest;
        Some(match tag {
            TAG_ID => {
                let gvk = [self.field(), self.field(), self.field()];
                Record::Id {
                    gvk: Some(gvk),
                    name: self.field(),
                    namespace: self.field(),
                }
            }
            TAG_ID_SAME_GVK => Record::Id {
                gvk: None,
                name: self.field(),
                namespace: self.field(),
            },
            TAG_PREFIX => Record::Prefix(self.field()),
            _ => Record::Suffix(self.field()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Id(String, String, String, String),
        Prefix(String),
        Suffix(String),
    }

    fn op() -> impl Strategy<Value = Op> {
        let text = "[a-z\u{e9}]{0,3}|.{0,200}";
        prop_oneof![
            ("[a-b]{0,1}", "v1|v2", text, text).prop_map(|(g, k, name, ns)| Op::Id(g, k, name, ns)),
            text.prop_map(Op::Prefix),
            text.prop_map(Op::Suffix),
        ]
    }

    proptest! {
        /// The block gives back what was pushed, each kind in order, as separate lists
        /// would.
        #[test]
        fn history_keeps_what_was_pushed(ops in proptest::collection::vec(op(), 0..8)) {
            let mut history = History::default();
            let (mut ids, mut prefixes, mut suffixes) = (vec![], vec![], vec![]);
            for op in ops {
                match op {
                    Op::Id(group, version, name, namespace) => {
                        let id = ResId::new(Gvk::new(group, version, "Kind"), name, namespace);
                        history.push_prev_id(&id);
                        ids.push(id);
                    }
                    Op::Prefix(p) => {
                        history.push_prefix(&p);
                        prefixes.push(p);
                    }
                    Op::Suffix(s) => {
                        history.push_suffix(&s);
                        suffixes.push(s);
                    }
                }
            }
            prop_assert_eq!(history.prev_ids().collect::<Vec<_>>(), ids.clone());
            prop_assert!(history.prev_names().eq(ids.iter().map(|id| id.name.as_str())));
            prop_assert_eq!(history.prev_id_count(), ids.len());
            prop_assert!(history.prefixes().eq(prefixes.iter().map(String::as_str)));
            prop_assert!(history.suffixes().eq(suffixes.iter().map(String::as_str)));
            let cur = ResId::new(Gvk::new("", "v1", "Cur"), "cur", "");
            prop_assert_eq!(history.org_id(&cur), ids.first().cloned().unwrap_or(cur));
        }
    }
}
