//! [`Key`]: a mapping key in one machine word.
//!
//! A build holds every mapping entry of every resource at once, and keys are most of an
//! entry. Kubernetes keys come from a small vocabulary: half are at most seven bytes
//! (`name`, `kind`, `spec`, `labels`), and most longer ones are API field names
//! (`apiVersion`, `containerPort`, `matchLabels`). So a key is one word, tagged in its low
//! two bits:
//!
//! - `01`: up to [`INLINE_CAP`] bytes stored in the word itself, with the length in the
//!   tag byte;
//! - `10`: a pointer to one of the [`KNOWN`] field names, which are never freed;
//! - `00`: a pointer to a heap block: a reference count, the length, then the bytes.
//!   Clones share the block, so a transformer that adds one key to every resource stores
//!   its text once.
//!
//! Every text has exactly one form (short, else known, else heap), so keys are compared by
//! their text alone.

use std::alloc::{self, Layout};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use hashbrown::HashSet;

use compact_str::CompactString;

const WORD: usize = size_of::<usize>();

/// The longest key kept in the word itself.
pub(crate) const INLINE_CAP: usize = WORD - 1;

const TAG_MASK: usize = 0b11;
// The two tag bits are free in pointers to heap blocks and to `KNOWN`'s elements.
const _: () = assert!(align_of::<usize>() >= 4 && align_of::<&str>() >= 4);
const TAG_HEAP: usize = 0b00;
const TAG_INLINE: usize = 0b01;
const TAG_KNOWN: usize = 0b10;

/// The byte of the word that holds the tag (its least significant), and where the inline
/// text starts, in memory order.
#[cfg(target_endian = "little")]
const TAG_BYTE: usize = 0;
#[cfg(target_endian = "little")]
const TEXT_AT: usize = 1;
#[cfg(target_endian = "big")]
const TAG_BYTE: usize = WORD - 1;
#[cfg(target_endian = "big")]
const TEXT_AT: usize = 0;

/// A mapping key: a string in one word (see the module documentation).
pub struct Key {
    /// Tagged: inline text (never dereferenced), or a pointer to a known name or a heap
    /// block. Never null: inline words have their tag bit set.
    raw: NonNull<u8>,
}

// SAFETY: a heap block's text never changes and its count is atomic; known names are
// immutable statics.
unsafe impl Send for Key {}
// SAFETY: `&Key` only reads.
unsafe impl Sync for Key {}

impl Key {
    /// The key for `text`.
    pub fn new(text: &str) -> Key {
        Key::without_heap(text).unwrap_or_else(|| Key::heap(text))
    }

    /// The key for `text` when it needs no heap block (short, or a known name).
    fn without_heap(text: &str) -> Option<Key> {
        if let Some(word) = Key::inline_word(text) {
            return Some(Key::tagged(std::ptr::without_provenance_mut(word)));
        }
        let slot = known(text)?;
        let ptr = (slot as *const &'static str).cast_mut().cast::<u8>();
        Some(Key::tagged(ptr.map_addr(|a| a | TAG_KNOWN)))
    }

    /// The word of the inline key for `text`, if it is short enough to be one: two keys
    /// of short texts are equal exactly when their words are.
    #[inline]
    pub(crate) fn inline_word(text: &str) -> Option<usize> {
        if text.len() > INLINE_CAP {
            return None;
        }
        let mut bytes = [0u8; WORD];
        bytes[TAG_BYTE] = ((text.len() as u8) << 2) | TAG_INLINE as u8;
        bytes[TEXT_AT..TEXT_AT + text.len()].copy_from_slice(text.as_bytes());
        Some(usize::from_ne_bytes(bytes))
    }

    /// The key's word: its inline text and tag, or its tagged pointer.
    #[inline]
    pub(crate) fn word(&self) -> usize {
        self.raw.as_ptr().addr()
    }

    fn heap(text: &str) -> Key {
        let layout = heap_layout(text.len());
        // SAFETY: the layout is never zero-sized (it holds two words); the block is written
        // in full (count, length, then `text.len()` bytes) before it is read.
        unsafe {
            let block = alloc::alloc(layout);
            if block.is_null() {
                alloc::handle_alloc_error(layout);
            }
            block.cast::<AtomicUsize>().write(AtomicUsize::new(1));
            block.add(WORD).cast::<usize>().write(text.len());
            std::ptr::copy_nonoverlapping(text.as_ptr(), block.add(2 * WORD), text.len());
            Key::tagged(block)
        }
    }

    /// A heap key's reference count, the first word of its block.
    fn count(&self) -> &AtomicUsize {
        debug_assert_eq!(self.tag(), TAG_HEAP);
        // SAFETY: only called on heap keys, whose block starts with the count and lives
        // while any key refers to it.
        unsafe { &*self.raw.as_ptr().cast::<AtomicUsize>() }
    }

    fn tagged(raw: *mut u8) -> Key {
        Key {
            raw: NonNull::new(raw).expect("a key's word is never zero"),
        }
    }

    fn tag(&self) -> usize {
        self.raw.as_ptr().addr() & TAG_MASK
    }

    /// The key's text.
    #[inline]
    pub fn as_str(&self) -> &str {
        let word = self.raw.as_ptr();
        match word.addr() & TAG_MASK {
            TAG_INLINE => {
                let len = (word.addr() & 0xff) >> 2;
                // SAFETY: an inline key's text is the `len` bytes after its tag byte in the
                // word's own memory, copied there from a `str`.
                unsafe {
                    let at = (&raw const self.raw).cast::<u8>().add(TEXT_AT);
                    std::str::from_utf8_unchecked(std::slice::from_raw_parts(at, len))
                }
            }
            // SAFETY: the word points to an element of `KNOWN`, a static.
            TAG_KNOWN => unsafe { *word.map_addr(|a| a & !TAG_MASK).cast::<&'static str>() },
            // SAFETY: the word points to a live block this key shares: the count, the
            // length, then as many bytes copied from a `str`.
            _ => unsafe {
                let len = word.add(WORD).cast::<usize>().read();
                std::str::from_utf8_unchecked(std::slice::from_raw_parts(word.add(2 * WORD), len))
            },
        }
    }
}

/// Heap keys shared between the documents parsed with it
/// ([`crate::parse::parse_documents_in`]): the first key made for a text that needs a
/// heap block is kept, and later ones clone it. Kept for one build, it stores each such key
/// of the build's files once (a ConfigMap key repeated in every app's file, say).
#[derive(Debug, Default)]
pub struct KeyCache {
    keys: Mutex<HashSet<Key, foldhash::fast::RandomState>>,
}

impl KeyCache {
    /// An empty cache.
    pub fn new() -> KeyCache {
        KeyCache::default()
    }

    /// The key for `text`, sharing the cached block when it needs one.
    pub fn key(&self, text: &str) -> Key {
        if let Some(key) = Key::without_heap(text) {
            return key;
        }
        // A panic while holding the lock cannot leave the set half written.
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        keys.get_or_insert_with(text, Key::heap).clone()
    }
}

/// The heap block of a `len`-byte key: a reference count, the length, then the bytes.
fn heap_layout(len: usize) -> Layout {
    Layout::from_size_align(2 * WORD + len, align_of::<usize>()).expect("key length fits a layout")
}

impl Drop for Key {
    fn drop(&mut self) {
        if self.tag() == TAG_HEAP && self.count().fetch_sub(1, Ordering::Release) == 1 {
            // The last key of the block: see every other key's use of it before freeing.
            std::sync::atomic::fence(Ordering::Acquire);
            // SAFETY: no other key refers to the block, allocated with `heap_layout` of the
            // length it holds.
            unsafe {
                let len = self.raw.as_ptr().add(WORD).cast::<usize>().read();
                alloc::dealloc(self.raw.as_ptr(), heap_layout(len));
            }
        }
    }
}

impl Clone for Key {
    /// Shares a heap key's block (as `Arc` does); the other forms are copied.
    fn clone(&self) -> Key {
        if self.tag() == TAG_HEAP {
            // Relaxed, as `Arc::clone`: the new key is made from a live one. As `Arc`, abort
            // before the count could wrap (only reachable by leaking clones).
            if self.count().fetch_add(1, Ordering::Relaxed) > isize::MAX as usize {
                std::process::abort();
            }
        }
        Key { raw: self.raw }
    }
}

impl Default for Key {
    fn default() -> Key {
        Key::new("")
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.raw == other.raw || self.as_str() == other.as_str()
    }
}

text_traits!(Key);

/// Keys from any text type.
macro_rules! key_from_text {
    ($($text:ty),*) => {$(
        impl From<$text> for Key {
            fn from(text: $text) -> Key {
                Key::new(&text)
            }
        }
    )*};
}

key_from_text!(&str, &String, String, &CompactString, CompactString);

impl From<&Key> for Key {
    fn from(key: &Key) -> Key {
        key.clone()
    }
}

impl From<Key> for CompactString {
    fn from(key: Key) -> CompactString {
        CompactString::new(key.as_str())
    }
}

impl From<&Key> for CompactString {
    fn from(key: &Key) -> CompactString {
        CompactString::new(key.as_str())
    }
}

impl From<Key> for String {
    fn from(key: Key) -> String {
        key.as_str().to_owned()
    }
}

/// Kubernetes field names longer than [`INLINE_CAP`] bytes that keys point to instead of
/// copying: the API fields most frequent in real manifests, and kustomization fields.
pub(crate) static KNOWN: [&str; 161] = [
    "accessModes",
    "additionalPrinterColumns",
    "additionalProperties",
    "admissionReviewVersions",
    "affinity",
    "aggregationRule",
    "allowPrivilegeEscalation",
    "annotations",
    "apiGroup",
    "apiGroups",
    "apiService",
    "apiVersion",
    "apiVersions",
    "automountServiceAccountToken",
    "capabilities",
    "categories",
    "clientConfig",
    "clusterIP",
    "commonAnnotations",
    "commonLabels",
    "components",
    "conditions",
    "configMap",
    "configMapGenerator",
    "configMapKeyRef",
    "configMapRef",
    "containerName",
    "containerPort",
    "containers",
    "conversion",
    "creationTimestamp",
    "defaultMode",
    "deprecated",
    "description",
    "dnsPolicy",
    "downwardAPI",
    "emptyDir",
    "endpoints",
    "expirationSeconds",
    "externalTrafficPolicy",
    "failurePolicy",
    "failureThreshold",
    "fieldPath",
    "fieldRef",
    "finalizers",
    "generateName",
    "generation",
    "hostNetwork",
    "hostPath",
    "httpHeaders",
    "imagePullPolicy",
    "imagePullSecrets",
    "ingressClassName",
    "initContainers",
    "initialDelaySeconds",
    "insecureSkipVerify",
    "interval",
    "jsonPath",
    "kubeVersion",
    "labelSelector",
    "lastTransitionTime",
    "lifecycle",
    "limitRange",
    "listKind",
    "livenessProbe",
    "matchExpressions",
    "matchLabels",
    "matchPolicy",
    "maxItems",
    "maxLength",
    "maxSurge",
    "maxUnavailable",
    "metadata",
    "minItems",
    "minLength",
    "minProperties",
    "minReadySeconds",
    "mountPath",
    "namePrefix",
    "nameSuffix",
    "namespace",
    "namespaceSelector",
    "namespaces",
    "nodeAffinity",
    "nodeSelector",
    "nonResourceURLs",
    "objectSelector",
    "observedGeneration",
    "openAPIV3Schema",
    "operations",
    "operator",
    "optional",
    "ownerReferences",
    "parameters",
    "pathType",
    "periodSeconds",
    "persistentVolumeClaim",
    "podAffinityTerm",
    "podAntiAffinity",
    "podSelector",
    "policyTypes",
    "preferredDuringSchedulingIgnoredDuringExecution",
    "priorityClassName",
    "privileged",
    "projected",
    "properties",
    "protocol",
    "readOnly",
    "readOnlyRootFilesystem",
    "readinessProbe",
    "replicas",
    "requests",
    "required",
    "requiredDuringSchedulingIgnoredDuringExecution",
    "resource",
    "resourceFieldRef",
    "resourceNames",
    "resourceVersion",
    "resources",
    "restartPolicy",
    "revisionHistoryLimit",
    "rollingUpdate",
    "runAsGroup",
    "runAsNonRoot",
    "runAsUser",
    "schedulerName",
    "seccompProfile",
    "secretGenerator",
    "secretKeyRef",
    "secretName",
    "secretRef",
    "securityContext",
    "selector",
    "serviceAccount",
    "serviceAccountName",
    "serviceAccountToken",
    "serviceName",
    "sessionAffinity",
    "sideEffects",
    "startupProbe",
    "storageClassName",
    "strategy",
    "subjects",
    "subresources",
    "successThreshold",
    "targetPort",
    "template",
    "terminationGracePeriodSeconds",
    "terminationMessagePath",
    "terminationMessagePolicy",
    "timeoutSeconds",
    "tolerations",
    "topologyKey",
    "topologySpreadConstraints",
    "valueFrom",
    "versions",
    "volumeClaimTemplates",
    "volumeMounts",
    "webhooks",
    "workingDir",
    "x-kubernetes-preserve-unknown-fields",
];

/// Slots of the open-addressing table over [`KNOWN`]: a power of two, at least four times
/// its length.
const SLOTS: usize = 1024;
const EMPTY: u16 = u16::MAX;

/// FNV-1a over the bytes: cheap, and const.
const fn fnv(bytes: &[u8]) -> usize {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    (hash ^ (hash >> 32)) as usize
}

/// Positions in [`KNOWN`] by hash, linear probing; built at compile time.
static TABLE: [u16; SLOTS] = {
    let mut table = [EMPTY; SLOTS];
    let mut i = 0;
    while i < KNOWN.len() {
        let mut slot = fnv(KNOWN[i].as_bytes()) & (SLOTS - 1);
        while table[slot] != EMPTY {
            slot = (slot + 1) & (SLOTS - 1);
        }
        table[slot] = i as u16;
        i += 1;
    }
    table
};

/// The slot of `text` in [`KNOWN`], if it is a known name.
fn known(text: &str) -> Option<&'static &'static str> {
    let mut slot = fnv(text.as_bytes()) & (SLOTS - 1);
    loop {
        let at = TABLE[slot];
        if at == EMPTY {
            return None;
        }
        let name = &KNOWN[usize::from(at)];
        if *name == text {
            return Some(name);
        }
        slot = (slot + 1) & (SLOTS - 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::hash::{Hash, Hasher};

    #[test]
    fn a_key_is_one_word() {
        assert_eq!(size_of::<Key>(), WORD);
        assert_eq!(size_of::<Option<Key>>(), WORD);
    }

    #[test]
    fn known_names_are_long_distinct_and_found() {
        let mut seen = std::collections::HashSet::new();
        for name in &KNOWN {
            assert!(name.len() > INLINE_CAP, "{name} would be inline");
            assert!(seen.insert(*name), "{name} twice");
            assert_eq!(Key::new(name).tag(), TAG_KNOWN, "{name}");
        }
        assert!(known("apiVersions2").is_none());
    }

    #[test]
    fn each_text_has_one_form() {
        assert_eq!(Key::new("").tag(), TAG_INLINE);
        assert_eq!(Key::new(&"x".repeat(INLINE_CAP)).tag(), TAG_INLINE);
        assert_eq!(Key::new(&"x".repeat(INLINE_CAP + 1)).tag(), TAG_HEAP);
        assert_eq!(Key::new("metadata").tag(), TAG_KNOWN);
        assert_eq!(Key::default().as_str(), "");
    }

    #[test]
    fn heap_keys_are_shared_across_threads() {
        let key = Key::new("bench.example.com/generated");
        assert_eq!(key.tag(), TAG_HEAP);
        let clones: Vec<Key> = (0..64).map(|_| key.clone()).collect();
        assert!(clones.iter().all(|k| k.raw == key.raw));
        std::thread::scope(|s| {
            for chunk in clones.chunks(16) {
                let chunk = chunk.to_vec();
                s.spawn(move || {
                    let more: Vec<Key> = chunk.iter().map(Key::clone).collect();
                    assert!(more.iter().all(|k| k == "bench.example.com/generated"));
                });
            }
        });
        drop(clones);
        assert_eq!(key.count().load(Ordering::Relaxed), 1);
        assert_eq!(key.as_str(), "bench.example.com/generated");
    }

    #[test]
    fn a_cache_shares_heap_keys() {
        let cache = KeyCache::new();
        let (a, b) = (
            cache.key("settings.properties"),
            cache.key("settings.properties"),
        );
        assert_eq!(a.raw, b.raw);
        assert_eq!(a.count().load(Ordering::Relaxed), 3);
        assert_eq!(cache.key("name").tag(), TAG_INLINE);
        assert_eq!(cache.key("metadata").tag(), TAG_KNOWN);
        let docs = crate::parse::parse_documents_in(
            "a_long_key: 1\n---\na_long_key: 2\n",
            crate::Schema::Kyaml,
            crate::Context {
                keys: Some(&cache),
                budget: None,
                first_key_wins: false,
                defer_key_errors: false,
            },
        )
        .expect("parses");
        let keys: Vec<&Key> = docs
            .iter()
            .filter_map(|d| d.as_map()?.keys().next())
            .collect();
        assert_eq!(keys[0].raw, keys[1].raw);
    }

    proptest! {
        /// Any text survives a key, its clones and moves, in each of the three forms.
        #[test]
        fn keys_keep_their_text(
            text in prop_oneof![
                ".{0,20}",
                proptest::sample::select(KNOWN.to_vec()).prop_map(str::to_owned),
            ],
            other in ".{0,12}",
        ) {
            let key = Key::new(&text);
            prop_assert_eq!(key.as_str(), text.as_str());
            let copy = key.clone();
            drop(key);
            let moved = [copy];
            prop_assert_eq!(moved[0].as_str(), text.as_str());
            let b = Key::new(&other);
            prop_assert_eq!(moved[0] == b, text == other);
            prop_assert_eq!(moved[0].cmp(&b), text.as_str().cmp(other.as_str()));
            let hash = |s: &dyn Fn(&mut std::hash::DefaultHasher)| {
                let mut h = std::hash::DefaultHasher::new();
                s(&mut h);
                h.finish()
            };
            prop_assert_eq!(
                hash(&|h| moved[0].hash(h)),
                hash(&|h| text.as_str().hash(h))
            );
        }
    }
}
