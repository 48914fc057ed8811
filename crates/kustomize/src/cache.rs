//! Parsed resource files shared between builds ([`crate::Kustomizer::build_many`]): many
//! overlays read the same bases, and cloning a parsed tree is much cheaper than parsing it
//! again. Entries are keyed by the file's path and checked against a hash of its bytes, so
//! a file that changed is parsed again.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::limits::Allowance;
use crate::resource::{resources_from_bytes_in, Resource};
use crate::Error;

/// A file's content hash, its parsed resources and their cost.
type Entry = (u64, Arc<Vec<Resource>>, usize);

/// A thread-safe cache of parsed resource files.
#[derive(Debug, Default)]
pub struct ParseCache {
    entries: Mutex<HashMap<PathBuf, Entry>>,
    hasher: foldhash::quality::FixedState,
    /// Mapping keys shared between the files parsed.
    keys: kustomize_yaml::KeyCache,
}

impl ParseCache {
    /// An empty cache.
    pub fn new() -> Self {
        ParseCache::default()
    }

    /// The resources in `bytes` (the content of `path`), parsed once per content; each
    /// call charges their cost to `allowance`, the build it is for.
    pub fn resources(
        &self,
        bytes: &[u8],
        path: &Path,
        allowance: &Allowance,
    ) -> Result<Vec<Resource>, Error> {
        let mut h = self.hasher.build_hasher();
        h.write(bytes);
        let digest = h.finish();
        if let Some((d, parsed, cost)) = self.lock().get(path) {
            if *d == digest {
                allowance.charge(*cost)?;
                return Ok(parsed.as_ref().clone());
            }
        }
        let cx = kustomize_yaml::Context {
            keys: Some(&self.keys),
            budget: Some(allowance.budget()),
            first_key_wins: false,
            defer_key_errors: false,
        };
        let parsed = resources_from_bytes_in(bytes, path, cx)?;
        let cost = parsed.iter().map(|r| r.value().size().cost).sum();
        let shared = Arc::new(parsed.clone());
        self.lock()
            .insert(path.to_path_buf(), (digest, shared, cost));
        Ok(parsed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, Entry>> {
        // A panic while holding the lock cannot leave an entry half written.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}
