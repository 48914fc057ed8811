//! [`GitCache`]: remote bases kept on disk between builds, keyed by the commit they check
//! out (content-addressed).
//!
//! Layout under the cache directory:
//! * `trees/<url>/<commit>[-nosub]/`: a checkout (without `.git`), where `<url>` is a hash
//!   of the clone URL;
//! * `pins/<url>/<ref>`: the commit of a ref that cannot move (a tag, a commit id), so a
//!   later build finds its tree without asking the server;
//! * `locks/<url>.lock`: held (an OS file lock, released when the process dies) while a
//!   build resolves or clones that repository, so builds started at once clone it once;
//! * `tmp/`: clones in progress, renamed into `trees/` only when complete, so a crash or a
//!   kill never leaves a partial tree where a build would read it.
//!
//! A branch, or no ref, is resolved with `git ls-remote` on every build (a branch moves),
//! and its commit's tree is reused when the cache has it.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::{
    clone_into, fresh_dir, run_git, DefaultRemote, Remote, RemoteError, RemoteRepo, RepoSpec,
};
use crate::fs::DiskFs;

/// A [`Remote`] that keeps every repository it fetches in a cache directory and serves
/// later builds from it; files over http(s) are fetched as [`DefaultRemote`] fetches them.
/// Any number of builds, in any number of processes, may share one directory.
#[derive(Debug, Clone)]
pub struct GitCache {
    dir: PathBuf,
}

/// The text of a hash, short enough for a file name.
fn key(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

fn is_commit_id(r: &str) -> bool {
    r.len() == 40 && r.bytes().all(|b| b.is_ascii_hexdigit())
}

impl GitCache {
    /// A cache in `dir` (created when first used).
    pub fn new(dir: impl Into<PathBuf>) -> GitCache {
        GitCache { dir: dir.into() }
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn tree(&self, url: &str, commit: &str, submodules: bool) -> PathBuf {
        let suffix = if submodules { "" } else { "-nosub" };
        self.dir
            .join("trees")
            .join(url)
            .join(format!("{commit}{suffix}"))
    }

    fn pin(&self, url: &str, git_ref: &str) -> PathBuf {
        self.dir.join("pins").join(url).join(key(git_ref))
    }

    fn pinned(&self, url: &str, git_ref: &str) -> Option<String> {
        let text = std::fs::read_to_string(self.pin(url, git_ref)).ok()?;
        let commit = text.trim();
        is_commit_id(commit).then(|| commit.to_string())
    }

    /// Records that `git_ref` is `commit` for good (written whole, then renamed).
    fn write_pin(&self, url: &str, git_ref: &str, commit: &str) -> std::io::Result<()> {
        let path = self.pin(url, git_ref);
        let dir = path.parent().unwrap_or(&self.dir);
        std::fs::create_dir_all(dir)?;
        let tmp = dir.join(format!(".{}.{}", key(git_ref), std::process::id()));
        std::fs::write(&tmp, commit)?;
        std::fs::rename(&tmp, &path)
    }

    fn serve(tree: PathBuf) -> RemoteRepo {
        RemoteRepo {
            fs: Arc::new(DiskFs),
            dir: tree,
            keep: None,
        }
    }

    /// Holds the repository's lock, waiting at most until `deadline`. On a file system
    /// without locks it goes on unlocked: builds may then clone the same commit twice, and
    /// the renames still keep every tree whole.
    fn lock(&self, url: &str, deadline: Instant) -> Result<Option<File>, String> {
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.dir.join("locks").join(format!("{url}.lock")))
            .map_err(|e| format!("remote cache: {e}"))?;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Some(file)),
                Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err("remote cache: timed out waiting for another build's clone".into())
                }
                Err(std::fs::TryLockError::Error(_)) => return Ok(None),
            }
        }
    }

    /// Whether the cache directory can be used (made, written).
    fn usable(&self) -> bool {
        ["locks", "tmp", "trees", "pins"]
            .iter()
            .all(|d| std::fs::create_dir_all(self.dir.join(d)).is_ok())
    }

    fn fetch(&self, spec: &RepoSpec, timeout: Duration) -> Result<RemoteRepo, String> {
        super::check_ref(spec)?;
        let deadline = Instant::now() + timeout;
        let clone_url = spec.clone_spec();
        let url = key(&clone_url);
        let git_ref = spec.git_ref.as_str();
        let _lock = self.lock(&url, deadline)?;
        let left = || deadline.saturating_duration_since(Instant::now());

        // A ref pinned by an earlier build, or a commit id: no git at all.
        let known = if is_commit_id(git_ref) {
            Some(git_ref.to_ascii_lowercase())
        } else if git_ref.is_empty() {
            None
        } else {
            self.pinned(&url, git_ref)
        };
        if let Some(commit) = &known {
            let tree = self.tree(&url, commit, spec.submodules);
            if tree.is_dir() {
                return Ok(Self::serve(tree));
            }
        }

        // A moving ref: what it points at now.
        let resolved = if known.is_some() {
            None
        } else {
            ls_remote(&clone_url, git_ref, left())?
        };
        if let Some((commit, is_tag)) = &resolved {
            let tree = self.tree(&url, commit, spec.submodules);
            if tree.is_dir() {
                if *is_tag {
                    let _ = self.write_pin(&url, git_ref, commit);
                }
                return Ok(Self::serve(tree));
            }
        }

        // Clone into tmp/, then move the complete tree into place.
        let tmp_root = self.dir.join("tmp");
        remove_stale(&tmp_root);
        let tmp = fresh_dir(&tmp_root)?;
        let result = (|| {
            clone_into(spec, &tmp, left())?;
            let head = run_git(&tmp, &["rev-parse", "HEAD"], left())?;
            let commit = head.trim().to_ascii_lowercase();
            if !is_commit_id(&commit) {
                return Err(format!("unexpected commit id '{commit}'"));
            }
            let _ = std::fs::remove_dir_all(tmp.join(".git"));
            let tree = self.tree(&url, &commit, spec.submodules);
            std::fs::create_dir_all(tree.parent().unwrap_or(&self.dir))
                .map_err(|e| format!("remote cache: {e}"))?;
            if let Err(e) = std::fs::rename(&tmp, &tree) {
                // Another process (without our lock: an older version, a copied cache)
                // moved the same commit in first; its tree is as good.
                if !tree.is_dir() {
                    return Err(format!("remote cache: {e}"));
                }
            }
            let pinned = match &resolved {
                Some((_, is_tag)) => *is_tag,
                // Not listed by the server: a commit id, possibly abbreviated.
                None => {
                    !git_ref.is_empty()
                        && git_ref.bytes().all(|b| b.is_ascii_hexdigit())
                        && commit.starts_with(&git_ref.to_ascii_lowercase())
                }
            };
            if pinned {
                let _ = self.write_pin(&url, git_ref, &commit);
            }
            Ok(tree)
        })();
        let _ = std::fs::remove_dir_all(&tmp);
        result.map(Self::serve)
    }
}

/// Clones older than this in `tmp/` were left by a crash or a kill.
const STALE: Duration = Duration::from_secs(24 * 3600);

fn remove_stale(tmp_root: &Path) {
    let Ok(entries) = std::fs::read_dir(tmp_root) else {
        return;
    };
    for e in entries.flatten() {
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > STALE);
        if old {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// What `git_ref` (or `HEAD`) points at on the server, and whether it is a tag (which
/// does not move); `None` when the server lists no such ref (a commit id).
fn ls_remote(
    url: &str,
    git_ref: &str,
    timeout: Duration,
) -> Result<Option<(String, bool)>, String> {
    let pattern = if git_ref.is_empty() { "HEAD" } else { git_ref };
    let cwd = std::env::temp_dir();
    let out = run_git(&cwd, &["ls-remote", "--", url, pattern], timeout)?;
    let mut tag: Option<String> = None;
    let mut peeled: Option<String> = None;
    let mut other: Option<String> = None;
    for line in out.lines() {
        let Some((commit, name)) = line.split_once('\t') else {
            continue;
        };
        let exact = |prefix: &str| name == format!("{prefix}{pattern}");
        if exact("refs/tags/") {
            tag = Some(commit.to_string());
        } else if name == format!("refs/tags/{pattern}^{{}}") {
            peeled = Some(commit.to_string());
        } else if name == pattern || exact("refs/heads/") || exact("refs/") {
            other = other.or_else(|| Some(commit.to_string()));
        }
    }
    // A branch of the same name wins over a tag, as it may move.
    Ok(match (other, peeled.or(tag)) {
        (Some(c), _) => Some((c.to_ascii_lowercase(), false)),
        (None, Some(c)) => Some((c.to_ascii_lowercase(), true)),
        (None, None) => None,
    })
}

impl Remote for GitCache {
    fn fetch_file(&self, url: &str, limit: u64) -> Result<Vec<u8>, RemoteError> {
        DefaultRemote.fetch_file(url, limit)
    }

    /// A cache directory that cannot be made or written (a read-only home) does not fail
    /// the build: the repository is cloned as [`DefaultRemote`] clones it.
    fn fetch_repo(&self, spec: &RepoSpec, timeout: Duration) -> Result<RemoteRepo, RemoteError> {
        if !self.usable() {
            return DefaultRemote.fetch_repo(spec, timeout);
        }
        self.fetch(spec, timeout).map_err(RemoteError::Failed)
    }
}
