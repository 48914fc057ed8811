//! kustomize-rs's commands other than `build`, as upstream kustomize v5.7.1 has them:
//! `edit` (add, set, remove, fix), `create`, `localize`, `version`, `openapi`, and the
//! kyaml commands it only names. The `kustomize-rs` binary parses its command line with
//! these types and runs them; they live apart from the binary so that a build, the
//! binary's hot path, does not carry their code (they are optimised for size).

pub mod create;
pub mod edit;
mod glob;
pub mod kustfile;
pub mod localize;
pub mod other;
pub mod write;

/// The upstream kustomize release whose output kustomize-rs reproduces.
pub const UPSTREAM_VERSION: &str = "v5.7.1";

/// `kustomize version` output: upstream's version, with ours as build metadata, so tools
/// that parse the version see a v5.7.1.
pub fn version() -> String {
    format!(
        "{UPSTREAM_VERSION}+kustomize-rs.{}",
        env!("CARGO_PKG_VERSION")
    )
}

/// The remote content a command may fetch: git bases through the cache (in `dir`, or the
/// user's cache directory), unless `bypass` or no cache directory can be found.
pub fn remote(dir: Option<&str>, bypass: bool) -> std::sync::Arc<dyn kustomize::remote::Remote> {
    use kustomize::remote::{DefaultRemote, GitCache};
    if bypass {
        return std::sync::Arc::new(DefaultRemote);
    }
    match dir.map(std::path::PathBuf::from).or_else(default_cache_dir) {
        Some(d) => std::sync::Arc::new(GitCache::new(d)),
        None => std::sync::Arc::new(DefaultRemote),
    }
}

/// `$XDG_CACHE_HOME/kustomize-rs/remote`, else `~/.cache/...` (`~/Library/Caches/...` on
/// macOS, `%LOCALAPPDATA%\...` on Windows).
fn default_cache_dir() -> Option<std::path::PathBuf> {
    let nonempty = |v: &str| {
        std::env::var_os(v)
            .filter(|s| !s.is_empty())
            .map(std::path::PathBuf::from)
    };
    let base = if cfg!(windows) {
        nonempty("LOCALAPPDATA")?
    } else if cfg!(target_os = "macos") {
        nonempty("HOME")?.join("Library/Caches")
    } else {
        nonempty("XDG_CACHE_HOME")
            .filter(|p| p.is_absolute())
            .or_else(|| nonempty("HOME").map(|h| h.join(".cache")))?
    };
    Some(base.join("kustomize-rs").join("remote"))
}
