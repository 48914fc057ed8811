//! The file systems a build reads from: the disk, or memory (for controllers that render
//! from what they already hold).
//!
//! Paths given to a [`FileSystem`] are absolute; a relative directory given to a build is
//! taken from the file system's [`current_dir`](FileSystem::current_dir) (the process's
//! working directory for [`DiskFs`], `/` for [`MemoryFs`]). `real_path` plays the part of Go's
//! `filepath.EvalSymlinks`: upstream resolves symlinks before it checks that a file lies
//! under a kustomization's root, so a symlink pointing outside the root is caught.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Component, Path, PathBuf};

/// What a build needs from a file system. Implementations must be shareable across
/// threads: one file system may serve many builds at once.
pub trait FileSystem: Send + Sync {
    /// The whole content of a file.
    fn read_file(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// Whether `path` is an existing directory (following symlinks).
    fn is_dir(&self, path: &Path) -> bool;
    /// Whether `path` is an existing regular file (following symlinks).
    fn is_file(&self, path: &Path) -> bool;
    /// The absolute path with `.`/`..` removed and every symlink resolved; an error when
    /// the path does not exist.
    fn real_path(&self, path: &Path) -> io::Result<PathBuf>;
    /// The content of a file of at most `max` bytes: a longer file may be read only in
    /// part, and its content is then longer than `max` (the build fails on it). The
    /// default reads it whole.
    fn read_file_max(&self, path: &Path, max: u64) -> io::Result<Vec<u8>> {
        let _ = max;
        self.read_file(path)
    }
    /// The directory a relative path starts from. Default `/`.
    fn current_dir(&self) -> io::Result<PathBuf> {
        Ok(PathBuf::from("/"))
    }
}

/// The local disk.
#[derive(Debug, Clone, Copy, Default)]
pub struct DiskFs;

impl FileSystem for DiskFs {
    fn read_file(&self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }

    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }

    fn is_file(&self, path: &Path) -> bool {
        path.is_file()
    }

    fn real_path(&self, path: &Path) -> io::Result<PathBuf> {
        std::fs::canonicalize(path)
    }

    fn read_file_max(&self, path: &Path, max: u64) -> io::Result<Vec<u8>> {
        use std::io::Read;
        let file = std::fs::File::open(path)?;
        let hint = file
            .metadata()
            .map_or(0, |m| m.len())
            .min(max.saturating_add(1));
        let mut content = Vec::with_capacity(usize::try_from(hint).unwrap_or(0));
        file.take(max.saturating_add(1)).read_to_end(&mut content)?;
        Ok(content)
    }

    fn current_dir(&self) -> io::Result<PathBuf> {
        std::env::current_dir()
    }
}

/// An in-memory file system: files and directories under absolute paths, no symlinks.
///
/// ```
/// use kustomize::fs::{FileSystem, MemoryFs};
/// let mut fs = MemoryFs::new();
/// fs.add_file("/app/kustomization.yaml", "resources: [cm.yaml]\n");
/// assert!(fs.is_dir(std::path::Path::new("/app")));
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemoryFs {
    files: BTreeMap<PathBuf, Vec<u8>>,
    dirs: BTreeSet<PathBuf>,
}

impl MemoryFs {
    /// An empty file system holding only `/`.
    pub fn new() -> Self {
        let mut dirs = BTreeSet::new();
        dirs.insert(PathBuf::from("/"));
        MemoryFs {
            files: BTreeMap::new(),
            dirs,
        }
    }

    /// Adds (or replaces) a file, creating its parent directories. Relative paths are
    /// taken from `/`.
    pub fn add_file(&mut self, path: impl AsRef<Path>, content: impl Into<Vec<u8>>) {
        let path = clean(&Path::new("/").join(path));
        if let Some(parent) = path.parent() {
            self.add_dir(parent);
        }
        self.files.insert(path, content.into());
    }

    /// Adds a directory and its parents.
    pub fn add_dir(&mut self, path: impl AsRef<Path>) {
        let mut path = clean(&Path::new("/").join(path));
        loop {
            if !self.dirs.insert(path.clone()) {
                break;
            }
            match path.parent() {
                Some(p) => path = p.to_path_buf(),
                None => break,
            }
        }
    }
}

impl FileSystem for MemoryFs {
    fn read_file(&self, path: &Path) -> io::Result<Vec<u8>> {
        let path = clean(path);
        match self.files.get(&path) {
            Some(c) => Ok(c.clone()),
            None if self.dirs.contains(&path) => Err(io::Error::other(format!(
                "{} is a directory",
                path.display()
            ))),
            None => Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{}: no such file or directory", path.display()),
            )),
        }
    }

    fn is_dir(&self, path: &Path) -> bool {
        self.dirs.contains(&clean(path))
    }

    fn is_file(&self, path: &Path) -> bool {
        self.files.contains_key(&clean(path))
    }

    fn real_path(&self, path: &Path) -> io::Result<PathBuf> {
        let path = clean(path);
        if self.files.contains_key(&path) || self.dirs.contains(&path) {
            Ok(path)
        } else {
            Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{}: no such file or directory", path.display()),
            ))
        }
    }
}

/// Removes `.` and resolves `..` lexically, like Go's `filepath.Clean` on an absolute path.
pub fn clean(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                if out.parent().is_some() {
                    out.pop();
                }
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_resolves_dots() {
        assert_eq!(clean(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
        assert_eq!(clean(Path::new("/../a")), PathBuf::from("/a"));
    }

    #[test]
    fn memory_fs_creates_parents() {
        let mut fs = MemoryFs::new();
        fs.add_file("/a/b/c.yaml", "x");
        assert!(fs.is_dir(Path::new("/a/b")));
        assert!(fs.is_file(Path::new("/a/b/../b/c.yaml")));
        assert_eq!(fs.read_file(Path::new("/a/b/c.yaml")).unwrap(), b"x");
        assert!(fs.read_file(Path::new("/a/b")).is_err());
        assert!(fs.real_path(Path::new("/nope")).is_err());
    }
}
