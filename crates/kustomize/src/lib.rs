//! kustomize-rs: a rendering engine that builds Kustomize kustomizations exactly as
//! upstream `kustomize build` (v5.7.1) does.
//!
//! ```no_run
//! use std::sync::Arc;
//! use kustomize::{fs::DiskFs, Kustomizer, Options};
//!
//! let out = Kustomizer::new(Options::default())
//!     .build(Arc::new(DiskFs), "testdata/examples/hello/overlay".as_ref())
//!     .unwrap();
//! print!("{}", out.resources.to_yaml().unwrap());
//! ```
//!
//! A [`Kustomizer`] holds no global state and is `Send + Sync`: one may serve many
//! builds on many threads at once. Files come through a [`fs::FileSystem`], the disk
//! ([`fs::DiskFs`]) or memory ([`fs::MemoryFs`]).
//!
//! # Untrusted kustomizations
//!
//! [`Options::default`] lets a build read its file system and nothing else: no network,
//! no git, no helm, no plugins. A kustomization that needs one of those fails with
//! [`Error::Denied`] naming the [`Capability`] and the option that grants it.
//! [`Options::cli`] grants what upstream's `kustomize build` grants (remote content);
//! [`Options::remote`] takes any [`remote::Remote`], to serve bases from an artifact cache,
//! allow-list hosts, or refuse; `remote::GitCache` (feature `git`) keeps git bases in a
//! directory shared by every build and process, so a base pinned to a tag or a commit is
//! cloned once. Every build is bounded by its [`Limits`] (file size, bytes
//! read, tree nodes, resources, nesting, wall time), and a [`Cancel`] handle stops it from
//! another thread:
//!
//! ```
//! use std::{sync::Arc, time::Duration};
//! use kustomize::{fs::MemoryFs, Cancel, ErrorKind, Kustomizer, Limits, Options};
//!
//! let mut fs = MemoryFs::new();
//! fs.add_file("/app/kustomization.yaml", "resources: [https://example.com/cm.yaml]\n");
//! let cancel = Cancel::new();
//! let options = Options {
//!     limits: Limits { max_duration: Some(Duration::from_secs(10)), ..Limits::default() },
//!     cancel: Some(cancel.clone()),
//!     ..Options::default()
//! };
//! let err = Kustomizer::new(options).build(Arc::new(fs), "/app".as_ref()).unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::Denied);
//! ```
//!
//! [`Resource`] and [`ResMap`] implement `serde::Serialize`, as their objects.
//!
//! # Cargo features
//!
//! `http` and `git` (both default) build [`remote::DefaultRemote`]'s fetchers (and `git`
//! the `remote::GitCache`). Without
//! them the library has no network or TLS dependency.

#![warn(missing_docs)]

// The stable API is what this root exports: `Kustomizer`, `Options`, `BuildOutput`,
// `ResMap`, `Resource`, `Error`, the file systems (`fs`), remote content (`remote`), ids
// (`resid`), origins (`origin`), and the YAML layer (`yaml`, `Value`). The other modules are
// internals, reachable through `unstable` for tools that need them (the CLI, fuzz targets).
#[doc(hidden)]
pub mod accumulator;
#[doc(hidden)]
pub mod cache;
mod error;
#[doc(hidden)]
pub mod fieldspec;
#[doc(hidden)]
pub mod fieldspecs;
pub mod fs;
#[doc(hidden)]
pub mod generators;
mod go_regex;
mod history;
mod kind_order;
#[doc(hidden)]
pub mod kustomization;
mod limits;
mod links;
#[doc(hidden)]
pub mod loader;
pub mod origin;
#[doc(hidden)]
pub mod patch;
#[doc(hidden)]
pub mod pattern;
pub mod remote;
pub mod resid;
#[doc(hidden)]
pub mod resmap;
#[doc(hidden)]
pub mod resource;
mod scope;
#[doc(hidden)]
pub mod selector;
#[doc(hidden)]
pub mod target;
#[doc(hidden)]
pub mod transformers;

/// Internals with no stability promise: they change with any release. Tools built with
/// kustomize-rs itself (its CLI, fuzz targets, benchmarks) use them; an embedder should
/// need nothing here.
#[doc(hidden)]
pub mod unstable {
    pub use crate::limits::{Allowance, Stop};
    pub use crate::{
        accumulator, cache, fieldspec, fieldspecs, generators, kustomization, loader, patch,
        pattern, resmap, resource, selector, target, transformers,
    };
}

use std::path::Path;
use std::sync::Arc;

pub use error::{Capability, Error, ErrorKind};
pub use generators::helm_chart::HelmOptions;
pub use kustomize_yaml as yaml;
pub use kustomize_yaml::Value;
pub use limits::{Cancel, Limits};
pub use loader::LoadRestrictor;
pub use resmap::ResMap;
pub use resource::Resource;
pub use transformers::exec_function::PluginOptions;

/// How the output is ordered when the top kustomization has no `sortOptions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reorder {
    /// Upstream CLI's default: the legacy kind order (Namespaces first, webhooks last).
    #[default]
    Legacy,
    /// Input order, as upstream's library (`krusty`) does by default.
    None,
}

/// Build options: upstream's `kustomize build` flags that change the result, the
/// capabilities a build is granted, and its bounds.
///
/// `Options::default()` grants nothing beyond reading the given file system: no remote
/// content (`remote`), no helm (`helm.enabled`), no plugins or exec functions
/// (`plugins`). A kustomization that needs one fails with [`Error::Denied`] naming it.
/// [`Options::cli`] grants what upstream's `kustomize build` grants by default.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--load-restrictor`.
    pub load_restrictor: LoadRestrictor,
    /// Order when `sortOptions` is absent.
    pub reorder: Reorder,
    /// How `helmCharts` are inflated.
    pub helm: HelmOptions,
    /// `--enable-managedby-label`: label every resource `app.kubernetes.io/managed-by`.
    pub add_managed_by_label: bool,
    /// `--enable-alpha-plugins` and `--enable-exec`.
    pub plugins: PluginOptions,
    /// Threads a build may use to read and parse a kustomization's resource files at once;
    /// 0 or 1 parses them one by one on the calling thread. Threads start only for a large
    /// kustomization and never outnumber the cores (which are counted only then), so
    /// `usize::MAX` means every core. The CLI uses every core for a single build; a caller
    /// running builds side by side (or [`Kustomizer::build_many`], which ignores this)
    /// already keeps the cores busy.
    pub parse_threads: usize,
    /// Bounds on what a build may consume.
    pub limits: Limits,
    /// Where http(s) files and git bases come from; `None` (the default) fetches nothing.
    /// [`remote::DefaultRemote`] fetches as upstream does.
    pub remote: Option<Arc<dyn remote::Remote>>,
    /// A handle that stops the build from another thread.
    pub cancel: Option<Cancel>,
}

impl Options {
    /// What upstream's `kustomize build` does without flags: remote content fetched as
    /// upstream fetches it ([`remote::DefaultRemote`]), no helm, no plugins.
    pub fn cli() -> Options {
        Options {
            remote: Some(Arc::new(remote::DefaultRemote)),
            ..Options::default()
        }
    }
}

/// What a build produces.
#[derive(Debug, Clone)]
pub struct BuildOutput {
    /// The resources, in output order.
    pub resources: ResMap,
    /// Deprecation warnings upstream prints on stderr, in order.
    pub warnings: Vec<String>,
}

/// Builds kustomizations with fixed options. Cheap to clone and to share between
/// threads: the builtin tables are parsed once, when it is made, and only read after.
#[derive(Debug, Clone)]
pub struct Kustomizer {
    options: Options,
    builtins: Arc<target::Builtins>,
}

impl Default for Kustomizer {
    fn default() -> Self {
        Kustomizer::new(Options::default())
    }
}

impl Kustomizer {
    /// A kustomizer with these options.
    pub fn new(options: Options) -> Self {
        Kustomizer {
            options,
            builtins: Arc::new(target::Builtins::new()),
        }
    }

    /// Builds the kustomization in directory `dir` of `fs`.
    pub fn build(&self, fs: Arc<dyn fs::FileSystem>, dir: &Path) -> Result<BuildOutput, Error> {
        let loader = self.loader(fs, dir)?;
        target::build(loader, &self.options, &self.builtins, None)
    }

    /// Builds several kustomizations at once, on as many threads as the machine has
    /// cores, sharing the files they have in common (each is parsed once). Results come in
    /// the order of `dirs`.
    pub fn build_many(
        &self,
        fs: Arc<dyn fs::FileSystem>,
        dirs: &[&Path],
    ) -> Vec<Result<BuildOutput, Error>> {
        let cache = cache::ParseCache::new();
        // The builds themselves keep the cores busy.
        let options = Options {
            parse_threads: 1,
            ..self.options.clone()
        };
        let next = std::sync::atomic::AtomicUsize::new(0);
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(dirs.len().max(1));
        let mut results: Vec<Option<Result<BuildOutput, Error>>> =
            (0..dirs.len()).map(|_| None).collect();
        let done = std::sync::Mutex::new(&mut results);
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(dir) = dirs.get(i) else { break };
                    let result = self
                        .loader(Arc::clone(&fs), dir)
                        .and_then(|l| target::build(l, &options, &self.builtins, Some(&cache)));
                    let mut slots = done.lock().unwrap_or_else(|e| e.into_inner());
                    slots[i] = Some(result);
                });
            }
        });
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(Error::Other("build did not run".into()))))
            .collect()
    }
}

impl Kustomizer {
    /// The loader of one build at `dir`, with this build's own allowance.
    fn loader(&self, fs: Arc<dyn fs::FileSystem>, dir: &Path) -> Result<loader::Loader, Error> {
        let allowance =
            limits::Allowance::with_cancel(self.options.limits, self.options.cancel.clone());
        loader::Loader::for_build(
            fs,
            dir,
            self.options.load_restrictor,
            allowance,
            self.options.remote.clone(),
        )
    }
}

/// `requested` threads, but no more than the cores this process may run on. Counting the
/// cores reads the cgroup files (about 30 µs), so callers ask only when they are about to
/// start threads.
pub(crate) fn cap_to_cores(requested: usize) -> usize {
    if requested < 2 {
        return requested;
    }
    std::thread::available_parallelism().map_or(1, |n| n.get().min(requested))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn kustomizer_is_send_and_sync() {
        assert_send_sync::<Kustomizer>();
        assert_send_sync::<BuildOutput>();
    }

    #[test]
    fn builds_many_sharing_a_base() {
        let mut fs = fs::MemoryFs::new();
        fs.add_file("/app/base/kustomization.yaml", "resources: [cm.yaml]\n");
        fs.add_file(
            "/app/base/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
        );
        for env in ["dev", "prod", "test"] {
            fs.add_file(
                format!("/app/{env}/kustomization.yaml"),
                format!("resources: [../base]\nnamePrefix: {env}-\n"),
            );
        }
        let fs: Arc<dyn fs::FileSystem> = Arc::new(fs);
        let dirs = [
            Path::new("/app/dev"),
            Path::new("/app/prod"),
            Path::new("/app/missing"),
            Path::new("/app/test"),
        ];
        let out = Kustomizer::default().build_many(fs, &dirs);
        assert_eq!(out.len(), 4);
        for (i, env) in [(0, "dev"), (1, "prod"), (3, "test")] {
            let yaml = out[i].as_ref().unwrap().resources.to_yaml().unwrap();
            assert!(yaml.contains(&format!("name: {env}-c")), "{yaml}");
        }
        assert!(out[2].is_err());
    }

    #[test]
    fn builds_from_memory() {
        let mut fs = fs::MemoryFs::new();
        fs.add_file(
            "/app/kustomization.yaml",
            "resources: [cm.yaml]\nnamePrefix: p-\n",
        );
        fs.add_file(
            "/app/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
        );
        let out = Kustomizer::default()
            .build(Arc::new(fs), Path::new("/app"))
            .unwrap();
        assert_eq!(
            out.resources.to_yaml().unwrap(),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: p-c\n"
        );
    }
}
