//! [`ResMap`]: the ordered resources of a build, indexed by id.

use crate::resid::{IdKey, ResId};

use crate::resource::Resource;
use crate::Error;

/// The resources of a build in order, with a hashed index from id to position, so that
/// lookups and duplicate checks never scan the list.
///
/// The index follows upstream's id equality ([`ResId::equals`]): a namespaced resource
/// without a namespace collides with the same one in `default`.
#[derive(Debug, Clone, Default)]
pub struct ResMap {
    resources: Vec<Resource>,
    index: IdIndex,
    /// False after mutable access: names may have changed, rebuild before the next lookup.
    index_fresh: bool,
    /// Positions by current and previous names, built on first use and dropped when ids
    /// may have changed (see [`ResMap::update_at`]).
    any_index: std::sync::OnceLock<AnyIdIndex>,
    /// The stop signal of the build the resources belong to.
    stop: crate::limits::Stop,
}

/// A stopped build returns its error without waiting to free what it built: a large map
/// of one (thousands of resources take tens of milliseconds to free) is freed on a thread
/// of its own, so that a cancelled build ends promptly.
impl Drop for ResMap {
    fn drop(&mut self) {
        if self.resources.len() >= 1024 && self.stop.is_stopped() {
            let resources = std::mem::take(&mut self.resources);
            let index = std::mem::take(&mut self.index);
            let freed = std::thread::Builder::new()
                .name("kustomize-free".into())
                .spawn(move || drop((resources, index)));
            // Without a thread, free them here.
            drop(freed);
        }
    }
}

/// A resource map serialises as the list of its resources, in order.
impl serde::Serialize for ResMap {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl ResMap {
    /// An empty map.
    pub fn new() -> Self {
        ResMap {
            resources: Vec::new(),
            index: IdIndex::default(),
            index_fresh: true,
            any_index: std::sync::OnceLock::new(),
            stop: crate::limits::Stop::default(),
        }
    }

    /// The stop signal of the build these resources belong to (none by default): steps
    /// that loop over every resource poll it, every 256 resources.
    pub fn stop(&self) -> crate::limits::Stop {
        self.stop.clone()
    }

    /// Ties the map to a build's stop signal.
    pub fn set_stop(&mut self, stop: crate::limits::Stop) {
        self.stop = stop;
    }

    /// How many resources.
    pub fn len(&self) -> usize {
        self.resources.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }

    /// The resources in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Resource> {
        self.resources.iter()
    }

    /// The resources in order, mutably. Ids may change: the index is rebuilt on next use.
    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, Resource> {
        self.index_fresh = false;
        self.any_index.take();
        self.resources.iter_mut()
    }

    /// The resources in order, mutably, for a change that keeps every id: the caller
    /// promises not to touch `apiVersion`, `kind`, `metadata.name` or
    /// `metadata.namespace`, so the id indexes survive.
    pub fn iter_mut_keeping_ids(&mut self) -> std::slice::IterMut<'_, Resource> {
        self.resources.iter_mut()
    }

    /// The resources as a slice.
    pub fn resources(&self) -> &[Resource] {
        &self.resources
    }

    fn refresh_index(&mut self) -> Result<(), Error> {
        if self.index_fresh {
            return Ok(());
        }
        self.index.clear();
        for (i, r) in self.resources.iter().enumerate() {
            let id = r.cur_id();
            if !self.index.insert(&id.key(), i, &self.resources) {
                return Err(Error::DuplicateId { id });
            }
        }
        self.index_fresh = true;
        Ok(())
    }

    /// An error if two resources now have equal ids (after renames).
    pub fn check_unique_ids(&mut self) -> Result<(), Error> {
        self.refresh_index()
    }

    /// Appends a resource; an error if one with an equal id is already here.
    pub fn append(&mut self, res: Resource) -> Result<(), Error> {
        self.refresh_index()?;
        let id = res.cur_id();
        let i = self.resources.len();
        if !self.index.insert(&id.key(), i, &self.resources) {
            return Err(Error::DuplicateId { id });
        }
        if let Some(any) = self.any_index.get_mut() {
            any.add(i, &res);
        }
        self.resources.push(res);
        Ok(())
    }

    /// Adds a generated resource by its behavior (upstream's `appendReplaceOrMerge`): a
    /// resource whose current or any previous id equals the new one's is merged into
    /// (`merge`) or replaced (`replace`), keeping its place; with none, `merge` and
    /// `replace` are errors and anything else appends; with one, `create` is an error.
    pub fn absorb_generated(&mut self, mut res: Resource) -> Result<(), Error> {
        use crate::generators::Behavior;
        let id = res.cur_id();
        let matches = self.indices_by_any_id(&id);
        let generator_error = |message: String| Error::Generator {
            generator: format!("{}/{}", id.gvk.kind, id.name),
            message,
        };
        match (matches.as_slice(), res.behavior()) {
            ([], Behavior::Merge | Behavior::Replace) => Err(generator_error(format!(
                "id {id} does not exist; cannot merge or replace"
            ))),
            ([], _) => self.append(res),
            ([i], Behavior::Merge | Behavior::Replace) => {
                let old = &self.resources[*i];
                res.copy_merge_metadata_from(old);
                if res.behavior() == Behavior::Merge {
                    res.merge_data_from(old);
                }
                // It took the old one's name, namespace and previous ids: the indexes
                // still hold unless its kind or apiVersion differ.
                let same_ids = old.cur_id() == res.cur_id();
                self.resources[*i] = res;
                if !same_ids {
                    self.index_fresh = false;
                    self.any_index.take();
                }
                Ok(())
            }
            ([_], _) => Err(generator_error(format!(
                "id {id} exists; behavior must be merge or replace"
            ))),
            _ => Err(generator_error(format!(
                "found multiple objects that could accept merge of {id}"
            ))),
        }
    }

    /// Appends every resource of `other`, in order; an error on the first id collision.
    /// Into an empty map (a base absorbed by its overlay), `other` moves whole, index and
    /// all, so the two lists and indexes are never held at once.
    pub fn append_all(&mut self, mut other: ResMap) -> Result<(), Error> {
        if self.resources.is_empty() {
            other.refresh_index()?;
            *self = other;
            return Ok(());
        }
        for r in std::mem::take(&mut other.resources) {
            self.append(r)?;
        }
        Ok(())
    }

    /// The resource whose current id equals `id`.
    pub fn get_by_id(&mut self, id: &ResId) -> Result<Option<&Resource>, Error> {
        self.refresh_index()?;
        Ok(self
            .index
            .get(&id.key(), &self.resources)
            .map(|i| &self.resources[i]))
    }

    /// The resource at position `i`, mutably.
    pub fn get_mut(&mut self, i: usize) -> Option<&mut Resource> {
        self.index_fresh = false;
        self.any_index.take();
        self.resources.get_mut(i)
    }

    /// Removes the resources at these positions.
    pub fn remove_indices(&mut self, indices: &[usize]) {
        if indices.is_empty() {
            return;
        }
        let drop: std::collections::HashSet<usize> = indices.iter().copied().collect();
        let old = std::mem::take(&mut self.resources);
        self.resources = old
            .into_iter()
            .enumerate()
            .filter(|(i, _)| !drop.contains(i))
            .map(|(_, r)| r)
            .collect();
        self.index_fresh = false;
        self.any_index.take();
    }

    /// Positions of the resources a selector picks, in order.
    pub fn select(&self, selector: &crate::kustomization::Selector) -> Result<Vec<usize>, Error> {
        let compiled = crate::selector::CompiledSelector::new(selector)?;
        Ok(self
            .resources
            .iter()
            .enumerate()
            .filter(|(_, r)| compiled.matches(r))
            .map(|(i, _)| i)
            .collect())
    }

    /// The one resource whose current or any previous id equals `id` (upstream's
    /// `GetById`); an error for none or several.
    pub fn find_unique_by_any_id(&self, id: &ResId) -> Result<usize, Error> {
        unique_match(&self.indices_by_any_id(id), id)
    }

    /// Positions of the resources whose current or any previous id equals `id`, in
    /// order: the candidates of its name, checked.
    fn indices_by_any_id(&self, id: &ResId) -> Vec<usize> {
        let index = self.any_index.get_or_init(|| self.any_id_index());
        index
            .candidates(&id.name)
            .filter(|&i| self.resources[i].any_id_equals(id))
            .collect()
    }

    /// Changes the resource at `i`; the id indexes survive unless its ids changed.
    pub fn update_at<T>(&mut self, i: usize, f: impl FnOnce(&mut Resource) -> T) -> Option<T> {
        let r = self.resources.get_mut(i)?;
        let (before, prev) = (r.cur_id(), r.prev_id_count());
        let out = f(r);
        if !r.cur_id_equals(&before) || r.prev_id_count() != prev {
            self.index_fresh = false;
            self.any_index.take();
        }
        Some(out)
    }

    /// An index from every current and previous name to positions.
    fn any_id_index(&self) -> AnyIdIndex {
        let mut index = AnyIdIndex::default();
        for (i, r) in self.resources.iter().enumerate() {
            index.add(i, r);
        }
        index
    }

    /// Positions of the resources whose current or any previous name is `name`, in order.
    pub fn indices_named(&self, name: &str) -> Vec<usize> {
        self.any_index
            .get_or_init(|| self.any_id_index())
            .candidates(name)
            .filter(|&i| {
                let r = &self.resources[i];
                r.text_at(&["metadata", "name"]) == name || r.prev_names().any(|n| n == name)
            })
            .collect()
    }

    /// Keeps only the resources for which `keep` is true, in order.
    pub fn retain(&mut self, keep: impl FnMut(&Resource) -> bool) {
        self.resources.retain(keep);
        self.index_fresh = false;
        self.any_index.take();
    }

    /// Puts the resources in `order`: place `j` takes the resource at `order[j]`. The
    /// caller sorts positions (by keys that may borrow from the resources) and hands the
    /// order over; the resources, a few hundred bytes each, are permuted in place,
    /// following each cycle, so no second list is held.
    ///
    /// `order` must be a permutation of the positions.
    pub(crate) fn reorder(&mut self, mut order: Vec<usize>) {
        debug_assert_eq!(order.len(), self.resources.len());
        permute(&mut self.resources, &mut order);
        self.index_fresh = false;
        self.any_index.take();
    }

    /// Takes the resources out, in order.
    pub fn into_resources(mut self) -> Vec<Resource> {
        std::mem::take(&mut self.resources)
    }

    /// Writes what [`ResMap::to_yaml`] returns, one resource at a time (the whole text is
    /// never held in memory); nothing is written when a value cannot be printed.
    pub fn write_yaml(&self, w: &mut dyn std::io::Write) -> Result<(), Error> {
        self.write_yaml_threads(w, 1)
    }

    /// [`ResMap::write_yaml`], with resources printed on up to `threads` threads (the calling
    /// thread writes them, in order), no more than there are cores (`usize::MAX`: every
    /// core); threads start only for a large output. The threads take runs of resources of
    /// about 32 KiB of text (at the mean size printed so far, and at most 64 resources),
    /// so that small resources do not cost a hand-over each; at most two runs per thread
    /// wait, printed, to be written, and written runs' buffers are printed into again.
    pub fn write_yaml_threads(
        &self,
        w: &mut dyn std::io::Write,
        threads: usize,
    ) -> Result<(), Error> {
        let mut stack = Vec::new();
        for r in &self.resources {
            r.check_printable()?;
            check_printable(r.value(), &mut stack)?;
        }
        let write = |w: &mut dyn std::io::Write, text: &str| {
            w.write_all(text.as_bytes())
                .map_err(|source| Error::Write { source })
        };
        let emit = |i: usize, buf: &mut String| {
            if i > 0 {
                buf.push_str("---\n");
            }
            kustomize_yaml::emit_document(self.resources[i].value(), buf).map_err(Error::Emit)
        };
        let n = self.resources.len();
        // Starting threads costs more than printing a small output: the calling thread
        // prints alone until it has printed PARALLEL_PRINT_BYTES, and threads take the rest
        // only if at least 16 resources are left.
        let mut first = 0;
        let mut printed = 0;
        let mut buf = String::new();
        let mut threads = threads;
        // Resources per run: about PRINT_BATCH_BYTES at the mean size printed so far.
        let per_run = |first: usize, printed: usize| {
            (PRINT_BATCH_BYTES * first / printed.max(1)).clamp(1, PRINT_BATCH_MAX)
        };
        while first < n {
            if threads >= 2 && printed >= PARALLEL_PRINT_BYTES && n - first >= 16 {
                let runs = (n - first).div_ceil(per_run(first, printed));
                threads = crate::cap_to_cores(threads.min(runs));
                if threads >= 2 {
                    break;
                }
            }
            buf.clear();
            emit(first, &mut buf)?;
            write(w, &buf)?;
            printed += buf.len();
            first += 1;
        }
        if first == n {
            return Ok(());
        }
        let per = per_run(first, printed);
        let batches = (n - first).div_ceil(per);
        // A run that panics while printing becomes its error, so that the writer, which
        // waits for every run in turn, is never left waiting.
        let emit_batch = |b: usize, buf: &mut String| {
            let start = first + b * per;
            let run = || (start..n.min(start + per)).try_for_each(|i| emit(i, buf));
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(run))
                .unwrap_or_else(|_| Err(Error::Other("printing the output panicked".into())))
        };
        let window = 2 * threads;
        let next = std::sync::atomic::AtomicUsize::new(0);
        let state = std::sync::Mutex::new(Printed {
            texts: std::collections::VecDeque::new(),
            written: 0,
            failed: false,
            spare: Vec::new(),
        });
        let changed = std::sync::Condvar::new();
        let lock = || state.lock().unwrap_or_else(|e| e.into_inner());
        std::thread::scope(|scope| {
            let mut started = 0;
            for _ in 0..threads {
                let spawned = std::thread::Builder::new().spawn_scoped(scope, || loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= batches {
                        break;
                    }
                    let mut st = lock();
                    while i >= st.written + window && !st.failed {
                        st = changed.wait(st).unwrap_or_else(|e| e.into_inner());
                    }
                    if st.failed {
                        break;
                    }
                    let mut buf = st.spare.pop().unwrap_or_default();
                    drop(st);
                    let text = emit_batch(i, &mut buf).map(|()| buf);
                    let mut st = lock();
                    let slot = i - st.written;
                    if st.texts.len() <= slot {
                        st.texts.resize_with(slot + 1, || None);
                    }
                    st.texts[slot] = Some(text);
                    changed.notify_all();
                });
                match spawned {
                    Ok(_) => started += 1,
                    // The system refused another thread: those started do all the runs.
                    Err(_) => break,
                }
            }
            if started == 0 {
                // Not one: the calling thread prints the rest itself.
                let mut buf = String::new();
                return (0..batches).try_for_each(|b| {
                    buf.clear();
                    emit_batch(b, &mut buf)?;
                    write(w, &buf)
                });
            }
            let mut result = Ok(());
            for _ in 0..batches {
                let mut st = lock();
                let text = loop {
                    if let Some(Some(_)) = st.texts.front() {
                        break st.texts.pop_front().flatten().expect("checked");
                    }
                    st = changed.wait(st).unwrap_or_else(|e| e.into_inner());
                };
                st.written += 1;
                changed.notify_all();
                drop(st);
                let written = text.and_then(|mut text| {
                    write(w, &text)?;
                    text.clear();
                    Ok(text)
                });
                match written {
                    Ok(buf) => lock().spare.push(buf),
                    Err(e) => {
                        result = Err(e);
                        break;
                    }
                }
            }
            if result.is_err() {
                lock().failed = true;
                changed.notify_all();
            }
            result
        })
    }

    /// The output upstream prints: each resource as YAML, joined by `---\n`.
    pub fn to_yaml(&self) -> Result<String, Error> {
        for r in &self.resources {
            r.check_printable()?;
        }
        let mut out = String::new();
        for (i, r) in self.resources.iter().enumerate() {
            if i > 0 {
                out.push_str("---\n");
            }
            kustomize_yaml::emit_document(r.value(), &mut out).map_err(Error::Emit)?;
        }
        Ok(out)
    }
}

/// Output [`ResMap::write_yaml_threads`] prints on the calling thread alone before it starts
/// threads.
const PARALLEL_PRINT_BYTES: usize = 128 * 1024;

/// About how much text [`ResMap::write_yaml_threads`]'s threads print per hand-over.
/// (Fresh 64 KiB runs, four waiting per thread, added about 1 MB to the peak memory of the
/// generated 10k tree's build.)
const PRINT_BATCH_BYTES: usize = 32 * 1024;

/// The most resources in one hand-over. Runs are sized by the mean size printed first,
/// and the legacy order puts small kinds first: without a bound, large resources later
/// would make runs, and the texts waiting their turn, many times larger.
const PRINT_BATCH_MAX: usize = 64;

/// Runs of resources printed by [`ResMap::write_yaml_threads`]'s threads, waiting to be
/// written: `texts[k]` is run `written + k`.
struct Printed {
    texts: std::collections::VecDeque<Option<Result<String, Error>>>,
    written: usize,
    failed: bool,
    /// Buffers already written, for the threads to print into again: the buffers in
    /// use stay at most `window` plus one per thread, each grown once.
    spare: Vec<String>,
}

impl<'a> IntoIterator for &'a ResMap {
    type Item = &'a Resource;
    type IntoIter = std::slice::Iter<'a, Resource>;

    fn into_iter(self) -> Self::IntoIter {
        self.resources.iter()
    }
}

/// Positions by current or previous name. Each entry is a name's hash and its first two
/// positions (16 bytes; a map from names to lists held a name and a list per resource, a
/// tenth of a 100k-resource build's peak); the positions of a hash that more resources
/// share sit in `more`. Names are not kept: a lookup returns the positions of its name's
/// hash, and callers check the resources' ids (a colliding hash only adds a candidate).
#[derive(Debug, Clone, Default)]
pub struct AnyIdIndex {
    table: hashbrown::HashTable<AnyIdSlot>,
    /// Every position of a hash that more than two resources share.
    more: Vec<Vec<u32>>,
    hasher: foldhash::fast::RandomState,
}

#[derive(Debug, Clone, Copy)]
struct AnyIdSlot {
    hash: u64,
    first: u32,
    /// [`NONE`]; a second position; or, with [`IN_MORE`] set, an index into `more`, which
    /// then holds every position.
    rest: u32,
}

const NONE: u32 = u32::MAX;
const IN_MORE: u32 = 1 << 31;

impl AnyIdIndex {
    /// Adds the resource at position `i` (positions must be added in increasing order,
    /// and stay below 2^31).
    fn add(&mut self, i: usize, r: &Resource) {
        let i = u32::try_from(i)
            .ok()
            .filter(|&i| i < IN_MORE)
            .expect("fewer than 2^31 resources");
        self.add_name(i, &r.text_at(&["metadata", "name"]));
        for name in r.prev_names() {
            self.add_name(i, name);
        }
    }

    fn add_name(&mut self, i: u32, name: &str) {
        let hash = std::hash::BuildHasher::hash_one(&self.hasher, name);
        let entry = self
            .table
            .entry(hash, |slot| slot.hash == hash, |slot| slot.hash);
        let slot = match entry {
            hashbrown::hash_table::Entry::Vacant(e) => {
                e.insert(AnyIdSlot {
                    hash,
                    first: i,
                    rest: NONE,
                });
                return;
            }
            hashbrown::hash_table::Entry::Occupied(e) => e.into_mut(),
        };
        match slot.rest {
            NONE if slot.first != i => slot.rest = i,
            NONE => {}
            second if second & IN_MORE == 0 => {
                if second != i {
                    slot.rest = IN_MORE | self.more.len() as u32;
                    self.more.push(vec![slot.first, second, i]);
                }
            }
            at => {
                let list = &mut self.more[(at & !IN_MORE) as usize];
                if list.last() != Some(&i) {
                    list.push(i);
                }
            }
        }
    }

    /// Positions of the resources with a current or previous name of `name`'s hash, in
    /// order.
    fn candidates(&self, name: &str) -> impl Iterator<Item = usize> + '_ {
        let hash = std::hash::BuildHasher::hash_one(&self.hasher, name);
        let slot = self.table.find(hash, |slot| slot.hash == hash).copied();
        let (inline, more): ([Option<u32>; 2], &[u32]) = match slot {
            None => ([None, None], &[]),
            Some(AnyIdSlot {
                rest: NONE, first, ..
            }) => ([Some(first), None], &[]),
            Some(AnyIdSlot { rest, first, .. }) if rest & IN_MORE == 0 => {
                ([Some(first), Some(rest)], &[])
            }
            Some(AnyIdSlot { rest, .. }) => ([None, None], &self.more[(rest & !IN_MORE) as usize]),
        };
        inline
            .into_iter()
            .flatten()
            .chain(more.iter().copied())
            .map(|i| i as usize)
    }
}

fn unique_match(found: &[usize], id: &ResId) -> Result<usize, Error> {
    match found {
        [i] => Ok(*i),
        [] => Err(Error::Other(format!(
            "no matches for Id {id}; failed to find unique target for patch {id}"
        ))),
        _ => Err(Error::Other(format!(
            "multiple matches for Id {id}; failed to find unique target for patch {id}"
        ))),
    }
}

/// An error for a value the emitter refuses (NaN or infinity), or for a tree nested deeper
/// than [`kustomize_yaml::MAX_DEPTH`] collections (which upstream fails to read back),
/// found before any output.
/// `stack` is scratch space.
fn check_printable<'v>(
    v: &'v kustomize_yaml::Value,
    stack: &mut Vec<(&'v kustomize_yaml::Value, usize)>,
) -> Result<(), Error> {
    use kustomize_yaml::Value;
    stack.clear();
    stack.push((v, 0));
    while let Some((v, depth)) = stack.pop() {
        match v {
            Value::Float(f) if !f.is_finite() => {
                let mut sink = String::new();
                return kustomize_yaml::emit_document(v, &mut sink).map_err(Error::Emit);
            }
            Value::Plain(_) => {
                if let Value::Float(f) = &*v.resolved() {
                    if !f.is_finite() {
                        let mut sink = String::new();
                        return kustomize_yaml::emit_document(v, &mut sink).map_err(Error::Emit);
                    }
                }
            }
            Value::Seq(_) | Value::Map(_) if depth == kustomize_yaml::MAX_DEPTH => {
                return Err(Error::Emit(kustomize_yaml::Error::Emit(
                    kustomize_yaml::MAX_DEPTH_MESSAGE.into(),
                )));
            }
            Value::Seq(items) => stack.extend(items.iter().map(|i| (i, depth + 1))),
            Value::Map(m) => stack.extend(m.values().map(|i| (i, depth + 1))),
            _ => {}
        }
    }
    Ok(())
}

/// Reorders `items` so that place `j` holds what was at `order[j]` (`order` a permutation
/// of the positions; it is used up as the visited marks).
fn permute<T>(items: &mut [T], order: &mut [usize]) {
    for start in 0..order.len() {
        // Follow the cycle through `start`: each place takes its element from the place
        // the order names, which the cycle has not touched yet.
        let mut place = start;
        while order[place] != start {
            let from = std::mem::replace(&mut order[place], place);
            items.swap(place, from);
            place = from;
        }
        order[place] = place;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::resources_from_bytes;
    use proptest::strategy::Strategy;

    #[test]
    fn any_id_index_lists_each_position_once_in_order() {
        let mut index = AnyIdIndex::default();
        let adds = [
            (0, "a"),
            (1, "b"),
            (1, "b"),
            (2, "a"),
            (3, "a"),
            (3, "c"),
            (4, "c"),
            (4, "c"),
            (5, "a"),
            (5, "a"),
        ];
        for (i, name) in adds {
            index.add_name(i, name);
        }
        let found = |name| index.candidates(name).collect::<Vec<_>>();
        assert_eq!(found("a"), [0, 2, 3, 5]);
        assert_eq!(found("b"), [1]);
        assert_eq!(found("c"), [3, 4]);
        assert!(found("d").is_empty());
    }

    /// `n` config maps of about 4 KiB each: the first 32 reach `PARALLEL_PRINT_BYTES`.
    fn config_maps(n: usize) -> ResMap {
        let pad = "x".repeat(4096);
        let text: String = (0..n)
            .map(|i| format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\ndata:\n  k: \"{i}\"\n  pad: {pad}\n---\n"))
            .collect();
        let mut m = ResMap::default();
        for r in resources_from_bytes(text.as_bytes(), "cms.yaml".as_ref()).unwrap() {
            m.append(r).unwrap();
        }
        m
    }

    #[test]
    fn threaded_output_equals_sequential() {
        for n in [0, 1, 16, 40, 48, 49, 100] {
            let m = config_maps(n);
            for threads in [1, 2, 3, 8] {
                let mut out = Vec::new();
                m.write_yaml_threads(&mut out, threads).unwrap();
                assert_eq!(
                    String::from_utf8(out).unwrap(),
                    m.to_yaml().unwrap(),
                    "{n} {threads}"
                );
            }
        }
    }

    /// A writer that fails stops the printing threads instead of leaving them waiting.
    #[test]
    fn threaded_output_stops_on_write_error() {
        struct FailAfter(usize);
        impl std::io::Write for FailAfter {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                if self.0 == 0 {
                    return Err(std::io::Error::other("disk full"));
                }
                self.0 -= 1;
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let m = config_maps(200);
        // The first 32 are written before the threads start.
        let err = m.write_yaml_threads(&mut FailAfter(40), 2).unwrap_err();
        assert!(err.chain().contains("disk full"), "{err}");
    }

    proptest::proptest! {
        /// The in-place permutation puts each element where collecting in order would.
        #[test]
        fn permute_is_reordering(order in (0..40usize).prop_flat_map(|n| {
            proptest::strategy::Just((0..n).collect::<Vec<usize>>()).prop_shuffle()
        })) {
            let items: Vec<String> = (0..order.len()).map(|i| format!("r{i}")).collect();
            let expected: Vec<String> = order.iter().map(|&i| items[i].clone()).collect();
            let mut permuted = items;
            permute(&mut permuted, &mut order.clone());
            proptest::prop_assert_eq!(permuted, expected);
        }
    }
}

/// Positions of resources by current id (as [`IdKey`]s compare): each entry is the key's
/// hash and the position, 16 bytes; the keys themselves are read from the resources when
/// two hashes are equal. (A map from key to position held a 120-byte key per resource,
/// twice over while a base is absorbed.)
#[derive(Debug, Clone, Default)]
struct IdIndex {
    table: hashbrown::HashTable<(u64, usize)>,
    hasher: foldhash::fast::RandomState,
}

impl IdIndex {
    fn clear(&mut self) {
        self.table.clear();
    }

    fn hash(&self, key: &IdKey) -> u64 {
        std::hash::BuildHasher::hash_one(&self.hasher, key)
    }

    /// The position of the resource whose current id has `key`.
    fn get(&self, key: &IdKey, resources: &[Resource]) -> Option<usize> {
        let hash = self.hash(key);
        self.table
            .find(hash, |&(h, i)| {
                h == hash && resources[i].cur_id().key() == *key
            })
            .map(|&(_, i)| i)
    }

    /// Adds position `i` (which `resources` may not hold yet) under `key`; false, and
    /// nothing added, when a resource of `resources` already has that key.
    fn insert(&mut self, key: &IdKey, i: usize, resources: &[Resource]) -> bool {
        let hash = self.hash(key);
        match self.table.entry(
            hash,
            |&(h, j)| h == hash && resources[j].cur_id().key() == *key,
            |&(h, _)| h,
        ) {
            hashbrown::hash_table::Entry::Occupied(_) => false,
            hashbrown::hash_table::Entry::Vacant(slot) => {
                slot.insert((hash, i));
                true
            }
        }
    }
}
