//! [`Mapping`]: a YAML mapping with string keys kept in input order, sized for resources.
//!
//! Almost every mapping in a Kubernetes resource has a handful of entries (`metadata`,
//! `labels`, a container), and a build holds every resource of a tree at once. So entries
//! live in one [`ThinVec`] (a mapping is one pointer wide) and small mappings are searched
//! linearly; only a mapping that grows past `INDEXED_FROM` entries (a large ConfigMap's
//! `data`, chart values) gets a hash index, kept in the vector's aux slot. Keys are
//! [`Key`]s, one word each, so most keys cost no allocation of their own.
//!
//! Equality ignores order, as a mapping's meaning does.

use std::fmt;
use std::hash::BuildHasher;

use hashbrown::HashTable;

use crate::{Key, ThinVec, Value};

/// Mappings with more entries than this keep a hash index beside their entries.
const INDEXED_FROM: usize = 12;

/// A YAML mapping: string keys in input order. The emitter sorts keys.
pub type Mapping = Map<Value>;

/// Values under string keys, in insertion order: a [`Mapping`] holds [`Value`]s (the
/// strategic merge's node maps hold node ids).
#[derive(Clone)]
pub struct Map<V = Value> {
    /// The entries in order; the aux slot holds the index of a large mapping.
    entries: ThinVec<(Key, V), KeyIndex>,
}

impl<V> Default for Map<V> {
    fn default() -> Self {
        Map {
            entries: ThinVec::new(),
        }
    }
}

/// Positions of a [`Map`]'s entries, hashed by their keys, kept past [`INDEXED_FROM`]
/// entries. It holds positions only; the keys are read from the entries (`key_at`) when
/// hashes meet.
#[derive(Debug, Clone, Default)]
struct KeyIndex {
    hasher: foldhash::fast::RandomState,
    slots: HashTable<usize>,
}

impl KeyIndex {
    /// The index of `len` distinct keys, the one at each position read with `key_at`.
    fn of<'a>(len: usize, key_at: impl Fn(usize) -> &'a str) -> KeyIndex {
        let mut index = KeyIndex {
            hasher: foldhash::fast::RandomState::default(),
            slots: HashTable::with_capacity(len),
        };
        for at in 0..len {
            index.push(key_at(at), at, &key_at);
        }
        index
    }

    /// The position of `key`, reading the key at a position with `key_at`.
    fn find<'a>(&self, key: &str, key_at: impl Fn(usize) -> &'a str) -> Option<usize> {
        let hash = self.hasher.hash_one(key);
        self.slots.find(hash, |&i| key_at(i) == key).copied()
    }

    /// Adds `key` (not yet present) at position `at`.
    fn push<'a>(&mut self, key: &str, at: usize, key_at: impl Fn(usize) -> &'a str) {
        let hasher = &self.hasher;
        self.slots
            .insert_unique(hasher.hash_one(key), at, |&i| hasher.hash_one(key_at(i)));
    }
}

impl<V> Map<V> {
    /// An empty mapping.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty mapping with room for `n` entries.
    pub fn with_capacity(n: usize) -> Self {
        Map {
            entries: ThinVec::with_capacity(n),
        }
    }

    /// Makes room for at least `additional` more entries.
    pub fn reserve(&mut self, additional: usize) {
        self.entries.reserve(additional);
    }

    /// Removes every entry, keeping the room.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.entries.set_aux(None);
    }

    /// Makes room for exactly `additional` more entries.
    pub fn reserve_exact(&mut self, additional: usize) {
        self.entries.reserve_exact(additional);
    }

    /// Moves the entries (and the index) into a new mapping of exactly their number,
    /// leaving this one empty with its room kept: the parser fills one buffer per depth,
    /// and a strategic merge refills a mapping in its own block.
    pub fn take_exact(&mut self) -> Map<V> {
        let mut entries = ThinVec::with_capacity(self.entries.len());
        entries.append(&mut self.entries);
        entries.set_aux(self.entries.set_aux(None));
        Map { entries }
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The position of `key`, if present.
    pub fn get_index_of(&self, key: &str) -> Option<usize> {
        match self.entries.aux() {
            Some(index) => index.find(key, |i| self.entries[i].0.as_str()),
            // A short key is one word: compared as one (each text has one form).
            None => match Key::inline_word(key) {
                Some(word) => self.entries.iter().position(|(k, _)| k.word() == word),
                None => self.entries.iter().position(|(k, _)| k == key),
            },
        }
    }

    /// The value at `key`.
    pub fn get(&self, key: &str) -> Option<&V> {
        self.get_index_of(key).map(|i| &self.entries[i].1)
    }

    /// The value at `key`, mutably.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        self.get_index_of(key).map(|i| &mut self.entries[i].1)
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get_index_of(key).is_some()
    }

    /// Sets `key` to `value`: an existing key keeps its place and its old value is returned;
    /// a new key goes last.
    pub fn insert(&mut self, key: impl Into<Key>, value: V) -> Option<V> {
        let key = key.into();
        match self.get_index_of(&key) {
            Some(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            None => {
                self.push_new(key, value);
                None
            }
        }
    }

    /// Appends an entry whose key is known to be absent.
    fn push_new(&mut self, key: Key, value: V) -> usize {
        let at = self.entries.len();
        if at > 0 && at == self.entries.capacity() {
            // Grow by half, from one entry by one: a parsed mapping is copied out at its
            // exact size, and the few that grow later (labels, annotations) gain an entry or
            // two; `ThinVec::reserve` would give a one-entry mapping room for four.
            self.entries.reserve_exact(at.div_ceil(2));
        }
        self.entries.push((key, value));
        // The index is taken out while it reads the entries' keys.
        if let Some(mut index) = self.entries.set_aux(None) {
            let entries = &self.entries;
            index.push(&entries[at].0, at, |i| entries[i].0.as_str());
            self.entries.set_aux(Some(index));
        } else if self.entries.len() > INDEXED_FROM {
            self.reindex();
        }
        at
    }

    /// Rebuilds (or drops) the index after entries moved.
    fn reindex(&mut self) {
        let entries = &self.entries;
        let index = (entries.len() > INDEXED_FROM)
            .then(|| Box::new(KeyIndex::of(entries.len(), |i| entries[i].0.as_str())));
        self.entries.set_aux(index);
    }

    /// Removes `key`, keeping the order of the others, and returns its value.
    pub fn shift_remove(&mut self, key: &str) -> Option<V> {
        let i = self.get_index_of(key)?;
        let (_, value) = self.entries.remove(i);
        if self.entries.aux().is_some() {
            self.reindex();
        }
        Some(value)
    }

    /// Keeps only the entries `keep` accepts, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&Key, &mut V) -> bool) {
        let before = self.entries.len();
        // Taken out first: if `keep` panics, no index outlives the entries it points at.
        let index = self.entries.set_aux(None);
        self.entries.retain_mut(|(k, v)| keep(k, v));
        if self.entries.len() != before {
            self.reindex();
        } else {
            self.entries.set_aux(index);
        }
    }

    /// Sorts the entries with `cmp` on (key, value) pairs.
    pub fn sort_by(&mut self, mut cmp: impl FnMut(&Key, &V, &Key, &V) -> std::cmp::Ordering) {
        self.entries
            .sort_by(|(ka, va), (kb, vb)| cmp(ka, va, kb, vb));
        if self.entries.aux().is_some() {
            self.reindex();
        }
    }

    /// The entry for `key`, to read or fill in place.
    pub fn entry(&mut self, key: impl Into<Key>) -> Entry<'_, V> {
        let key = key.into();
        match self.get_index_of(&key) {
            Some(at) => Entry::Occupied(OccupiedEntry { map: self, at }),
            None => Entry::Vacant(VacantEntry { map: self, key }),
        }
    }

    /// The first entry.
    pub fn first(&self) -> Option<(&Key, &V)> {
        self.entries.first().map(|(k, v)| (k, v))
    }

    /// The last entry.
    pub fn last(&self) -> Option<(&Key, &V)> {
        self.entries.last().map(|(k, v)| (k, v))
    }

    /// The entry at a position.
    pub fn get_index(&self, i: usize) -> Option<(&Key, &V)> {
        self.entries.get(i).map(|(k, v)| (k, v))
    }

    /// Entries in order.
    pub fn iter(&self) -> Iter<'_, V> {
        Iter(self.entries.iter())
    }

    /// Entries in order, values mutable.
    pub fn iter_mut(&mut self) -> IterMut<'_, V> {
        IterMut(self.entries.iter_mut())
    }

    /// Keys in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &Key> + ExactSizeIterator {
        self.entries.iter().map(|(k, _)| k)
    }

    /// Values in order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator {
        self.entries.iter().map(|(_, v)| v)
    }

    /// Values in order, mutably.
    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut V> + ExactSizeIterator {
        self.entries.iter_mut().map(|(_, v)| v)
    }
}

/// A mapping's entry for one key, from [`Map::entry`].
pub enum Entry<'a, V = Value> {
    /// The key is present.
    Occupied(OccupiedEntry<'a, V>),
    /// The key is absent.
    Vacant(VacantEntry<'a, V>),
}

/// A present key's entry.
pub struct OccupiedEntry<'a, V = Value> {
    map: &'a mut Map<V>,
    at: usize,
}

/// An absent key's entry.
pub struct VacantEntry<'a, V = Value> {
    map: &'a mut Map<V>,
    key: Key,
}

impl<'a, V> Entry<'a, V> {
    /// The value, inserting `default` first if the key is absent.
    pub fn or_insert(self, default: V) -> &'a mut V {
        self.or_insert_with(|| default)
    }

    /// The value, inserting `make()` first if the key is absent.
    pub fn or_insert_with(self, make: impl FnOnce() -> V) -> &'a mut V {
        match self {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(make()),
        }
    }

    /// The value, inserting `V::default()` first if the key is absent.
    pub fn or_default(self) -> &'a mut V
    where
        V: Default,
    {
        self.or_insert_with(V::default)
    }
}

impl<'a, V> OccupiedEntry<'a, V> {
    /// The key.
    pub fn key(&self) -> &Key {
        &self.map.entries[self.at].0
    }

    /// The entry's position.
    pub fn index(&self) -> usize {
        self.at
    }

    /// The value, for the entry's lifetime.
    pub fn into_mut(self) -> &'a mut V {
        &mut self.map.entries[self.at].1
    }
}

impl<'a, V> VacantEntry<'a, V> {
    /// Inserts the value (last) and returns it.
    pub fn insert(self, value: V) -> &'a mut V {
        let at = self.map.push_new(self.key, value);
        &mut self.map.entries[at].1
    }
}

/// Iterator over `(&key, &value)`.
#[derive(Clone)]
pub struct Iter<'a, V = Value>(std::slice::Iter<'a, (Key, V)>);

impl<'a, V> Iterator for Iter<'a, V> {
    type Item = (&'a Key, &'a V);
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (k, v))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl<V> DoubleEndedIterator for Iter<'_, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(k, v)| (k, v))
    }
}

impl<V> ExactSizeIterator for Iter<'_, V> {}

/// Iterator over `(&key, &mut value)`.
pub struct IterMut<'a, V = Value>(std::slice::IterMut<'a, (Key, V)>);

impl<'a, V> Iterator for IterMut<'a, V> {
    type Item = (&'a Key, &'a mut V);
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (&*k, v))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl<V> ExactSizeIterator for IterMut<'_, V> {}

/// Owning iterator over `(key, value)`.
pub struct IntoIter<V = Value>(crate::thin::IntoIter<(Key, V), KeyIndex>);

impl<V> Iterator for IntoIter<V> {
    type Item = (Key, V);
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next()
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl<V> ExactSizeIterator for IntoIter<V> {}

impl<V> IntoIterator for Map<V> {
    type Item = (Key, V);
    type IntoIter = IntoIter<V>;
    fn into_iter(self) -> IntoIter<V> {
        IntoIter(self.entries.into_iter())
    }
}

impl<'a, V> IntoIterator for &'a Map<V> {
    type Item = (&'a Key, &'a V);
    type IntoIter = Iter<'a, V>;
    fn into_iter(self) -> Iter<'a, V> {
        self.iter()
    }
}

impl<'a, V> IntoIterator for &'a mut Map<V> {
    type Item = (&'a Key, &'a mut V);
    type IntoIter = IterMut<'a, V>;
    fn into_iter(self) -> IterMut<'a, V> {
        self.iter_mut()
    }
}

impl<K: Into<Key>, V> Extend<(K, V)> for Map<V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl<K: Into<Key>, V> FromIterator<(K, V)> for Map<V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let iter = iter.into_iter();
        let mut map = Map::with_capacity(iter.size_hint().0);
        map.extend(iter);
        map
    }
}

impl<V: PartialEq> PartialEq for Map<V> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .all(|(k, v)| other.get(k).is_some_and(|w| v == w))
    }
}

impl<V: fmt::Debug> fmt::Debug for Map<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::stack::deeper(|| f.debug_map().entries(self.iter()).finish())
    }
}

impl<V> std::ops::Index<&str> for Map<V> {
    type Output = V;
    fn index(&self, key: &str) -> &V {
        self.get(key).expect("key present in mapping")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(m: &Mapping) -> Vec<&str> {
        m.keys().map(|k| k.as_str()).collect()
    }

    #[test]
    fn small_and_indexed_mappings_agree() {
        for n in [3usize, INDEXED_FROM, INDEXED_FROM + 1, 100] {
            let mut m = Mapping::new();
            for i in 0..n {
                assert_eq!(m.insert(format!("k{i}"), Value::from(i.to_string())), None);
            }
            assert_eq!(m.len(), n);
            for i in 0..n {
                assert_eq!(m.get(&format!("k{i}")), Some(&Value::from(i.to_string())));
            }
            // Replacing keeps the place.
            assert!(m.insert("k1", Value::Null).is_some());
            assert_eq!(m.get_index_of("k1"), Some(1));
            // Removing shifts, and lookups still find every key.
            assert!(m.shift_remove("k0").is_some());
            assert_eq!(keys(&m)[0], "k1");
            for i in 1..n {
                assert_eq!(m.get_index_of(&format!("k{i}")), Some(i - 1));
            }
            m.retain(|k, _| k.as_str() != "k2");
            assert!(!m.contains_key("k2"));
            if n > 3 {
                assert_eq!(m.get_index_of("k3"), Some(1));
            }
        }
    }

    proptest::proptest! {
        /// A mapping keeps entries as IndexMap does (insert keeps a key's place, removal
        /// keeps the others' order), below and past the size where it starts indexing.
        #[test]
        fn mapping_behaves_as_indexmap(
            ops in proptest::collection::vec((0u8..40, proptest::bool::weighted(0.8)), 0..200)
        ) {
            let mut ours = Mapping::new();
            let mut theirs: indexmap::IndexMap<String, i64> = indexmap::IndexMap::new();
            for (n, (k, insert)) in ops.into_iter().enumerate() {
                let key = format!("k{k}");
                let value = i64::try_from(n).unwrap_or_default();
                if insert {
                    let old = ours.insert(key.as_str(), Value::Int(value));
                    let expected = theirs.insert(key, value).map(Value::Int);
                    proptest::prop_assert_eq!(old, expected);
                } else {
                    let expected = theirs.shift_remove(&key).map(Value::Int);
                    proptest::prop_assert_eq!(ours.shift_remove(&key), expected);
                }
                for k in 0..40 {
                    let key = format!("k{k}");
                    proptest::prop_assert_eq!(ours.get_index_of(&key), theirs.get_index_of(&key));
                }
                proptest::prop_assert!(keys(&ours).into_iter().eq(theirs.keys().map(String::as_str)));
            }
        }
    }

    #[test]
    fn equality_ignores_order() {
        let a: Mapping = [("x", Value::Null), ("y", Value::from("1"))]
            .into_iter()
            .collect();
        let b: Mapping = [("y", Value::from("1")), ("x", Value::Null)]
            .into_iter()
            .collect();
        assert_eq!(a, b);
        let c: Mapping = [("y", Value::from("2")), ("x", Value::Null)]
            .into_iter()
            .collect();
        assert_ne!(a, c);
    }

    #[test]
    fn entry_fills_once() {
        let mut m = Mapping::new();
        *m.entry("a").or_insert(Value::from("1")) = Value::from("2");
        m.entry("a").or_insert(Value::from("3"));
        assert_eq!(m.get("a"), Some(&Value::from("2")));
        assert!(matches!(m.entry("b"), Entry::Vacant(_)));
    }
}
