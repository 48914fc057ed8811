//! The [`Loader`]: reads files relative to a kustomization root under the load restrictor,
//! and opens the roots of bases and components, refusing cycles.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::error::Capability;
use crate::fs::{clean, FileSystem};
use crate::limits::{Allowance, Limits};
use crate::remote::{Remote, RemoteError, RemoteRepo, RepoSpec};
use crate::resource::Resource;
use crate::Error;

/// Which files a kustomization may read, as upstream's `--load-restrictor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LoadRestrictor {
    /// `LoadRestrictionsRootOnly` (the default): files must lie in or below the root of the
    /// kustomization that names them, after symlinks are resolved.
    #[default]
    RootOnly,
    /// `LoadRestrictionsNone`: any file may be read.
    None,
}

/// Reads files for one kustomization directory (its root).
#[derive(Clone)]
pub struct Loader {
    fs: Arc<dyn FileSystem>,
    root: PathBuf,
    restrictor: LoadRestrictor,
    /// The roots of the kustomizations that led here, nearest first.
    referrers: Arc<Vec<PathBuf>>,
    /// Inside a remote repository: its checkout, kept alive while any loader needs it;
    /// bases must stay inside it.
    repo: Option<Arc<RemoteRepo>>,
    /// Where remote content comes from; `None` when the build may fetch none.
    remote: Option<Arc<dyn Remote>>,
    /// What the build has left of its limits: every loader of one build shares it.
    allowance: Arc<Allowance>,
    /// Whether the build has read a resource of a type upstream's precomputed scope table
    /// lacks (see [`Loader::note_types`]); shared by every loader of one build.
    unlisted_type_read: Arc<AtomicBool>,
}

impl std::fmt::Debug for Loader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loader")
            .field("root", &self.root)
            .field("restrictor", &self.restrictor)
            .field("remote", &self.remote)
            .finish()
    }
}

impl Loader {
    /// A loader at the top-level kustomization directory `dir` (absolute, or relative to
    /// the file system's [working directory](FileSystem::current_dir)), for a build
    /// bounded by `limits` that may fetch no remote content.
    pub fn new(
        fs: Arc<dyn FileSystem>,
        dir: &Path,
        restrictor: LoadRestrictor,
        limits: Limits,
    ) -> Result<Loader, Error> {
        Loader::for_build(fs, dir, restrictor, Allowance::new(limits), None)
    }

    /// A loader at the top-level kustomization directory `dir` for a build with this
    /// allowance, fetching remote content through `remote` when given.
    pub fn for_build(
        fs: Arc<dyn FileSystem>,
        dir: &Path,
        restrictor: LoadRestrictor,
        allowance: Arc<Allowance>,
        remote: Option<Arc<dyn Remote>>,
    ) -> Result<Loader, Error> {
        // Upstream's `NewLoader`: a target that reads as a repository URL is cloned (local
        // paths never read as one).
        let spec = dir.to_str().and_then(|d| RepoSpec::parse(d).ok());
        let root = match spec {
            Some(_) => PathBuf::new(),
            None => confirm_dir(fs.as_ref(), dir)?,
        };
        let loader = Loader {
            fs,
            root,
            restrictor,
            referrers: Arc::new(Vec::new()),
            repo: None,
            remote,
            allowance,
            unlisted_type_read: Arc::default(),
        };
        match spec {
            Some(spec) => {
                let mut remote_root = loader.remote_child(&spec)?;
                remote_root.referrers = Arc::new(Vec::new());
                Ok(remote_root)
            }
            None => Ok(loader),
        }
    }

    /// Whether the build may go on (not cancelled, not past its time).
    pub fn checkpoint(&self) -> Result<(), Error> {
        self.allowance.checkpoint()
    }

    /// Notes the types of resources the build has read. Upstream computes each resource's
    /// id as it reads it, and for a type missing from its precomputed scope table
    /// (`crate::scope`) it marks its builtin OpenAPI schema to be parsed on first use,
    /// which decides how a custom `openapi:` schema set later combines with the builtin one.
    pub fn note_types(&self, resources: &[Resource]) {
        if self.unlisted_type_read.load(Ordering::Relaxed) {
            return;
        }
        let unlisted = resources.iter().any(|r| {
            let v = r.value();
            let text = |key: &str| {
                v.get(key)
                    .and_then(kustomize_yaml::Value::as_str)
                    .unwrap_or("")
            };
            !crate::scope::is_precomputed(text("apiVersion"), text("kind"))
        });
        if unlisted {
            self.unlisted_type_read.store(true, Ordering::Relaxed);
        }
    }

    /// Whether the build has read a resource of a type upstream's precomputed table lacks.
    pub fn unlisted_type_read(&self) -> bool {
        self.unlisted_type_read.load(Ordering::Relaxed)
    }

    /// The resources in `bytes` (the content of `path`), as
    /// [`crate::resource::resources_from_bytes`] reads them, charging the build.
    pub fn resources(&self, bytes: &[u8], path: &Path) -> Result<Vec<Resource>, Error> {
        let cx = kustomize_yaml::Context {
            keys: None,
            budget: Some(self.allowance.budget()),
            first_key_wins: false,
            defer_key_errors: false,
        };
        let resources = crate::resource::resources_from_bytes_in(bytes, path, cx)?;
        self.note_types(&resources);
        Ok(resources)
    }

    /// Parses strategic-merge patches (resources whose repeated keys keep their first
    /// value, as kyaml's field lookup finds it), charging the build.
    pub fn patches(&self, bytes: &[u8], path: &Path) -> Result<Vec<Resource>, Error> {
        let cx = kustomize_yaml::Context {
            keys: None,
            budget: Some(self.allowance.budget()),
            first_key_wins: true,
            defer_key_errors: false,
        };
        let patches = crate::resource::resources_from_bytes_in(bytes, path, cx)?;
        self.note_types(&patches);
        Ok(patches)
    }

    /// What the build has left of its limits.
    pub fn allowance(&self) -> &Arc<Allowance> {
        &self.allowance
    }

    /// Parses `text` as [`kustomize_yaml::parse_documents`] does, charging the build.
    pub fn parse(
        &self,
        text: &str,
        schema: kustomize_yaml::Schema,
    ) -> Result<Vec<kustomize_yaml::Value>, kustomize_yaml::Error> {
        self.allowance.parse(text, schema)
    }

    /// The kustomization root (symlinks resolved).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file system.
    pub fn fs(&self) -> &dyn FileSystem {
        self.fs.as_ref()
    }

    /// The load restrictor in force.
    pub fn restrictor(&self) -> LoadRestrictor {
        self.restrictor
    }

    /// A loader for the base or component at `path` (relative to this root). Upstream's
    /// rules: not empty, not absolute, a directory, and not equal to or above this root or
    /// any root on the way here (that would be a cycle).
    pub fn child(&self, path: &str) -> Result<Loader, Error> {
        if path.is_empty() {
            return Err(self.bad_root(path, "new root cannot be empty"));
        }
        if Path::new(path).is_absolute() {
            return Err(self.bad_root(path, "new root cannot be absolute"));
        }
        self.allowance.depth(self.referrers.len() + 1)?;
        let root = confirm_dir(self.fs.as_ref(), &self.root.join(path))?;
        if let Some(repo) = &self.repo {
            if !root.starts_with(&repo.dir) {
                return Err(self.bad_root(
                    path,
                    &format!(
                        "security; bases in kustomizations found in cloned git repos must be within the repo, but base '{}' is outside '{}'",
                        root.display(),
                        repo.dir.display()
                    ),
                ));
            }
        }
        for visited in std::iter::once(&self.root).chain(self.referrers.iter()) {
            if visited.starts_with(&root) {
                return Err(Error::Cycle {
                    candidate: root,
                    visited: visited.clone(),
                });
            }
        }
        let mut referrers = Vec::with_capacity(self.referrers.len() + 1);
        referrers.push(self.root.clone());
        referrers.extend(self.referrers.iter().cloned());
        Ok(Loader {
            fs: Arc::clone(&self.fs),
            root,
            restrictor: self.restrictor,
            referrers: Arc::new(referrers),
            repo: self.repo.clone(),
            remote: self.remote.clone(),
            allowance: Arc::clone(&self.allowance),
            unlisted_type_read: Arc::clone(&self.unlisted_type_read),
        })
    }

    /// A loader at the kustomization inside a remote git repository, read through the
    /// file system the [`Remote`] gives (root-only, whatever this loader's restrictor).
    pub fn remote_child(&self, spec: &RepoSpec) -> Result<Loader, Error> {
        let remote = self.remote_granted(&spec.raw)?;
        self.allowance.depth(self.referrers.len() + 1)?;
        self.allowance.checkpoint()?;
        let bad = |message: String| Error::BadRoot {
            path: PathBuf::from(&spec.raw),
            message,
        };
        let timeout = match self.allowance.time_left() {
            Some(left) => left.min(spec.timeout),
            None => spec.timeout,
        };
        let mut repo = remote
            .fetch_repo(spec, timeout)
            .map_err(|e| bad(e.to_string()))?;
        repo.dir = repo
            .fs
            .real_path(&repo.dir)
            .map_err(|e| bad(e.to_string()))?;
        let root = confirm_dir(repo.fs.as_ref(), &repo.dir.join(&spec.kust_root_path))?;
        if !root.starts_with(&repo.dir) {
            return Err(bad(format!(
                "refers to directory outside of repo {}",
                repo.dir.display()
            )));
        }
        let mut referrers = vec![self.root.clone()];
        referrers.extend(self.referrers.iter().cloned());
        Ok(Loader {
            fs: Arc::clone(&repo.fs),
            root,
            restrictor: LoadRestrictor::RootOnly,
            referrers: Arc::new(referrers),
            repo: Some(Arc::new(repo)),
            remote: self.remote.clone(),
            allowance: Arc::clone(&self.allowance),
            unlisted_type_read: Arc::clone(&self.unlisted_type_read),
        })
    }

    /// The remote this build may fetch through, or the error for `what` needing one.
    fn remote_granted(&self, what: &str) -> Result<&Arc<dyn Remote>, Error> {
        self.remote.as_ref().ok_or_else(|| Error::Denied {
            what: format!("'{what}'"),
            capability: Capability::Remote,
        })
    }

    fn bad_root(&self, path: &str, message: &str) -> Error {
        Error::BadRoot {
            path: self.root.join(path),
            message: message.into(),
        }
    }

    /// The absolute path of `path` relative to this root, without touching the disk.
    pub fn resolve(&self, path: &str) -> PathBuf {
        clean(&self.root.join(path))
    }

    /// Reads and parses the first YAML (or JSON) document of the file at `path`, with
    /// the given scalar resolution; an empty file is `null`.
    pub fn load_document(
        &self,
        path: &str,
        schema: kustomize_yaml::Schema,
    ) -> Result<(kustomize_yaml::Value, PathBuf), Error> {
        let (bytes, file) = self.load(path)?;
        let text = String::from_utf8_lossy(&bytes);
        let doc = self
            .parse(&text, schema)
            .map_err(|source| Error::yaml(&file, source))?
            .into_iter()
            .next()
            .unwrap_or_default();
        Ok((doc, file))
    }

    /// Reads the file at `path` (relative to this root), under the load restrictor, or
    /// an `http(s)://` URL (upstream's `IsRemoteFile`). Returns the content and the
    /// absolute path read.
    pub fn load(&self, path: &str) -> Result<(Vec<u8>, PathBuf), Error> {
        self.allowance.checkpoint()?;
        if is_remote_file(path) {
            let remote = self.remote_granted(path)?;
            let limit = self
                .allowance
                .limits()
                .max_file_bytes
                .min(self.allowance.read_left());
            let bytes = remote.fetch_file(path, limit).map_err(|e| Error::Http {
                url: path.to_owned(),
                message: match e {
                    // Upstream says so when the URL is a repository, which the caller
                    // then clones.
                    RemoteError::Status(_) if RepoSpec::parse(path).is_ok() => {
                        "URL is a git repository".into()
                    }
                    e => e.to_string(),
                },
            })?;
            self.allowance.read(bytes.len())?;
            return Ok((bytes, PathBuf::from(path)));
        }
        let abs = self.resolve(path);
        if self.restrictor == LoadRestrictor::RootOnly {
            let real = self.fs.real_path(&abs).map_err(|source| Error::Io {
                path: abs.clone(),
                source,
            })?;
            if self.fs.is_dir(&real) {
                return Err(Error::BadRoot {
                    path: abs,
                    message: "must resolve to a file".into(),
                });
            }
            if !real.starts_with(&self.root) {
                return Err(Error::OutsideRoot {
                    path: abs,
                    root: self.root.clone(),
                });
            }
        }
        let max = self.allowance.limits().max_file_bytes;
        let content = self
            .fs
            .read_file_max(&abs, max)
            .map_err(|source| Error::Io {
                path: abs.clone(),
                source,
            })?;
        self.allowance.file(content.len() as u64)?;
        self.allowance.read(content.len())?;
        Ok((content, abs))
    }
}

/// Whether a path is an `http://` or `https://` URL.
pub fn is_remote_file(path: &str) -> bool {
    let lower = path.get(..8).unwrap_or(path).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// The real path of an existing directory, or an error saying it is not one.
fn confirm_dir(fs: &dyn FileSystem, dir: &Path) -> Result<PathBuf, Error> {
    let abs = if dir.is_absolute() {
        dir.to_path_buf()
    } else {
        fs.current_dir()
            .map_err(|source| Error::Io {
                path: dir.to_path_buf(),
                source,
            })?
            .join(dir)
    };
    let real = fs.real_path(&clean(&abs)).map_err(|source| Error::Io {
        path: abs.clone(),
        source,
    })?;
    if !fs.is_dir(&real) {
        return Err(Error::BadRoot {
            path: abs,
            message: "must be a directory".into(),
        });
    }
    Ok(real)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::MemoryFs;

    fn fs() -> Arc<dyn FileSystem> {
        let mut fs = MemoryFs::new();
        fs.add_file("/app/base/a.yaml", "a");
        fs.add_file("/app/overlay/kustomization.yaml", "k");
        fs.add_file("/app/secret.yaml", "s");
        Arc::new(fs)
    }

    #[test]
    fn root_only_refuses_files_outside_the_root() {
        let l = Loader::new(
            fs(),
            Path::new("/app/overlay"),
            LoadRestrictor::RootOnly,
            Limits::default(),
        )
        .unwrap();
        assert!(matches!(
            l.load("../secret.yaml"),
            Err(Error::OutsideRoot { .. })
        ));
        let l = Loader::new(
            fs(),
            Path::new("/app/overlay"),
            LoadRestrictor::None,
            Limits::default(),
        )
        .unwrap();
        assert_eq!(l.load("../secret.yaml").unwrap().0, b"s");
    }

    #[test]
    fn child_above_a_visited_root_is_a_cycle() {
        let top = Loader::new(
            fs(),
            Path::new("/app/overlay"),
            LoadRestrictor::RootOnly,
            Limits::default(),
        )
        .unwrap();
        let base = top.child("../base").unwrap();
        assert!(matches!(base.child(".."), Err(Error::Cycle { .. })));
        assert!(matches!(base.child("../overlay"), Err(Error::Cycle { .. })));
        assert!(matches!(top.child("."), Err(Error::Cycle { .. })));
    }
}
