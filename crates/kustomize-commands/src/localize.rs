//! `kustomize localize [target [destination]]` (upstream's alpha command): copies a
//! kustomization and everything it references, remote bases and files included, into a
//! new directory, rewriting references to point at the local copies.
//!
//! Upstream's rules (`api/internal/localizer`), reproduced here:
//! * The scope (default: the target) bounds the local roots that may be copied; the copy of
//!   a root lands at its path relative to the scope.
//! * Files load as a build loads them (within their root); a remote base (with a `ref`)
//!   and a remote file go under `localized-files/` of the root that names them.
//! * Every kustomization is re-written whole, as sigs.k8s.io/yaml prints the struct (keys
//!   sorted, comments dropped); other files are copied byte for byte.
//! * Unless `--no-verify`, the target and the copy are then built (upstream compares the
//!   outputs through a buffer passed by value, so only the builds' success counts).

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use clap::Args;
use kustomize::fs::{clean, DiskFs};
use kustomize::remote::{Remote, RemoteRepo, RepoSpec};
use kustomize::unstable::generators::kv::parse_file_source;
use kustomize::unstable::kustomization::{Kustomization, KUSTOMIZATION_FILE_NAMES};
use kustomize::unstable::resource::resources_from_bytes;
use kustomize::yaml::Value;
use kustomize::Resource;
use kustomize::{Kustomizer, Options};

use crate::edit::log;
use crate::kustfile::render_whole;

/// `localize` flags.
#[derive(Debug, Args)]
#[command(
    about = "[Alpha] Creates localized copy of target kustomization root at destination",
    long_about = "[Alpha] Creates copy of target kustomization directory or
versioned URL at destination, where remote references in the original
are replaced by local references to the downloaded remote content.

If target is not specified, the current working directory will be used.
Destination is a path to a new directory in an existing directory. If
destination is not specified, a new directory will be created in the current
working directory.

For details, see: https://kubectl.docs.kubernetes.io/references/kustomize/cmd/

Disclaimer:
This command does not yet localize helm or KRM plugin fields. This command also
alphabetizes kustomization fields in the localized copy."
)]
pub struct Localize {
    /// Path to directory inside of which localize is limited to running.
    /// Cannot specify for remote targets, as scope is by default the containing repo.
    /// If not specified for local target, scope defaults to target.
    #[arg(long = "scope", default_value = "")]
    scope: String,
    /// Does not verify that the outputs of kustomize build for target and newDir are the
    /// same after localization.
    #[arg(long = "no-verify", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value_t = false, action = clap::ArgAction::Set)]
    no_verify: bool,
    /// `[target [destination]]`.
    args: Vec<String>,
}

/// Most nested roots a localization follows (upstream has no limit; kustomize-rs bounds
/// what input controls).
const MAX_DEPTH: usize = 100;

/// Go's `%q` of a string.
fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl Localize {
    /// Runs `localize` with `cwd` as the working directory.
    pub fn run(&self, cwd: &Path) -> Result<(), String> {
        if self.args.len() > 2 {
            return Err(format!(
                "accepts at most 2 arg(s), received {}",
                self.args.len()
            ));
        }
        let target = self.args.first().map_or(".", String::as_str);
        let dest = self.args.get(1).map_or("", String::as_str);
        let dst = run(cwd, target, &self.scope, dest)?;
        if !self.no_verify {
            verify(cwd, target, &self.scope, &dst)?;
            log(&format!(
                "VERIFICATION SUCCESS: `kustomize build` for {target} and {} are the same after localization.\n",
                dst.display()
            ));
        }
        log(&format!(
            "SUCCESS: localized {} to directory {}\n",
            quote(target),
            dst.display()
        ));
        Ok(())
    }
}

/// Where a build finds `target`: a repository URL as it is, a directory from `cwd`.
fn target_path(cwd: &Path, target: &str) -> PathBuf {
    if RepoSpec::parse(target).is_ok() {
        PathBuf::from(target)
    } else {
        cwd.join(target)
    }
}

/// Builds the target and the copy; either failing is an error, after upstream's hint.
fn verify(cwd: &Path, target: &str, scope: &str, dst: &Path) -> Result<(), String> {
    let build = |what: &str| -> Result<(), String> {
        let options = Options {
            remote: Some(crate::remote(None, false)),
            ..Options::cli()
        };
        Kustomizer::new(options)
            .build(Arc::new(DiskFs), &target_path(cwd, what))
            .map(drop)
            .map_err(|e| {
                log(&format!(
                    "If your target directory requires flags to build: \n1. Add executable permissions for the downloaded exec binaries in '{what}'. \n2. Run kustomize build with the necessary flags and self-verify the outputs."
                ));
                e.chain()
            })
    };
    build(target)?;
    let mut built = dst.to_path_buf();
    if !scope.is_empty() && scope != target {
        if let Some(base) = Path::new(target).file_name() {
            built.push(base);
        }
    }
    build(&built.to_string_lossy())
}

/// A file read from a root: its content and real path.
type LoadedFile = (Vec<u8>, PathBuf);

/// A directory being localized: where it is read and where its copy goes.
#[derive(Clone)]
struct Root {
    /// The directory (absolute, symlinks resolved).
    dir: PathBuf,
    /// Its copy.
    dst: PathBuf,
    /// The repository checkout it lies in, for remote roots.
    repo: Option<Arc<RemoteRepo>>,
    /// The roots that led here (for cycles).
    ancestors: Vec<PathBuf>,
}

/// What every root of one localization shares.
struct Localizer {
    scope: PathBuf,
    new_dir: PathBuf,
    remote: Arc<dyn Remote>,
}

/// Upstream's `localizer.Run`: checks the arguments, makes the destination, copies.
fn run(cwd: &Path, target: &str, scope: &str, dest: &str) -> Result<PathBuf, String> {
    let remote = RepoSpec::parse(target).ok();
    let (root_dir, repo, spec) = match remote {
        Some(spec) => {
            if spec.git_ref.is_empty() {
                return Err(format!(
                    "localize remote root {} missing ref query string parameter",
                    quote(target)
                ));
            }
            let repo = crate::remote(None, false)
                .fetch_repo(&spec, spec.timeout)
                .map_err(|e| {
                    format!("unable to establish localize target {}: {e}", quote(target))
                })?;
            let dir = repo.dir.join(&spec.kust_root_path);
            let dir = confirm_dir(&dir).map_err(|e| {
                format!("unable to establish localize target {}: {e}", quote(target))
            })?;
            (dir, Some(Arc::new(repo)), Some(spec))
        }
        None => {
            let dir = confirm_dir(&cwd.join(target)).map_err(|e| {
                format!("unable to establish localize target {}: {e}", quote(target))
            })?;
            (dir, None, None)
        }
    };
    let bad_scope = |e: String| format!("invalid localize scope {}: {e}", quote(scope));
    let scope_dir = match (&repo, scope.is_empty()) {
        (Some(_), false) => {
            return Err(bad_scope(format!(
                "scope {} specified for remote localize target {}",
                quote(scope),
                quote(target)
            )))
        }
        (Some(r), true) => confirm_dir(&r.dir).map_err(bad_scope)?,
        (None, true) => root_dir.clone(),
        (None, false) => confirm_dir(&cwd.join(scope))
            .map_err(|e| bad_scope(format!("unable to establish localize scope: {e}")))?,
    };
    if !root_dir.starts_with(&scope_dir) {
        return Err(bad_scope(format!(
            "localize scope {} does not contain target {} at {}",
            quote(scope),
            quote(target),
            quote(&root_dir.to_string_lossy())
        )));
    }
    let bad_dest = |e: String| format!("invalid localize destination {}: {e}", quote(dest));
    let dest_name = if dest.is_empty() {
        default_destination(&root_dir, spec.as_ref())
    } else {
        dest.to_string()
    };
    let dest_path = cwd.join(&dest_name);
    if dest_path.symlink_metadata().is_ok() {
        return Err(bad_dest(format!(
            "localize destination {} already exists",
            quote(&dest_name)
        )));
    }
    std::fs::create_dir(&dest_path).map_err(|e| {
        bad_dest(format!(
            "unable to create localize destination directory: mkdir {dest_name}: {}",
            io_text(&e)
        ))
    })?;
    let new_dir = confirm_dir(&dest_path)
        .map_err(|e| bad_dest(format!("unable to establish localize destination: {e}")))?;
    let to_dst = root_dir.strip_prefix(&scope_dir).unwrap_or(Path::new(""));
    let dst = new_dir.join(to_dst);
    std::fs::create_dir_all(&dst)
        .map_err(|e| format!("unable to create directory in localize destination: {e}"))?;
    let lz = Localizer {
        scope: scope_dir,
        new_dir: new_dir.clone(),
        remote: crate::remote(None, false),
    };
    let root = Root {
        dir: root_dir,
        dst,
        repo,
        ancestors: Vec::new(),
    };
    if let Err(e) = lz.localize_root_dir(&root) {
        if let Err(e) = std::fs::remove_dir_all(&new_dir) {
            log(&format!("unable to clean localize destination: {e}"));
        }
        return Err(format!("unable to localize target {}: {e}", quote(target)));
    }
    Ok(new_dir)
}

/// Go's text of an I/O error (`no such file or directory`, not Rust's "(os error 2)").
fn io_text(e: &std::io::Error) -> String {
    let text = e.to_string();
    let text = match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    };
    let mut c = text.chars();
    match c.next() {
        Some(first) => first.to_lowercase().chain(c).collect(),
        None => text,
    }
}

/// The default destination: `localized-<name>` for a local target, with the ref for a
/// remote one.
fn default_destination(root: &Path, spec: Option<&RepoSpec>) -> String {
    let base = root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match spec {
        None if base.is_empty() => "localized".into(),
        None => format!("localized-{base}"),
        Some(spec) => {
            let name = if spec.kust_root_path.trim_matches('/').is_empty() {
                spec.repo_path
                    .trim_end_matches('/')
                    .rsplit('/')
                    .next()
                    .unwrap_or("")
                    .to_string()
            } else {
                base
            };
            format!("localized-{name}-{}", spec.git_ref.replace('/', "-"))
        }
    }
}

/// Upstream's `ConfirmDir`: the absolute, symlink-resolved path of an existing directory.
fn confirm_dir(path: &Path) -> Result<PathBuf, String> {
    let real = std::fs::canonicalize(path).map_err(|e| {
        format!(
            "must build at directory: not a valid directory: evalsymlink failure on '{}' : lstat {}: {}",
            path.display(),
            path.display(),
            io_text(&e)
        )
    })?;
    if !real.is_dir() {
        return Err(format!(
            "must build at directory: '{}': file is not directory",
            path.display()
        ));
    }
    Ok(real)
}

/// `to` relative to `from` (both absolute and clean), `..` where needed.
fn relative(from: &Path, to: &Path) -> PathBuf {
    let f: Vec<Component> = from.components().collect();
    let t: Vec<Component> = to.components().collect();
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..f.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c.as_os_str());
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

fn path_text(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn is_url(path: &str) -> bool {
    path.starts_with("https://") || path.starts_with("http://")
}

impl Localizer {
    /// Whether roots so far are all local (scope and destination rules apply).
    fn local(root: &Root) -> bool {
        root.repo.is_none()
    }

    /// The bound a root's files must stay in: the root itself (root-only loading).
    fn load(&self, root: &Root, path: &str) -> Result<(Vec<u8>, PathBuf), String> {
        let invalid = |e: String| format!("invalid file reference: {e}");
        let full = root.dir.join(path);
        let real = std::fs::canonicalize(&full).map_err(|e| {
            invalid(format!(
                "evalsymlink failure on '{}' : lstat {}: {}",
                full.display(),
                full.display(),
                io_text(&e)
            ))
        })?;
        if real.is_dir() {
            return Err(invalid(format!(
                "'{}' must resolve to a file",
                full.display()
            )));
        }
        if !real.starts_with(&root.dir) {
            return Err(invalid(format!(
                "security; file '{}' is not in or below '{}'",
                real.display(),
                root.dir.display()
            )));
        }
        if Self::local(root) && real.parent().is_some_and(|d| d.starts_with(&self.new_dir)) {
            return Err(format!(
                "file {} at {} enters localize destination {}",
                quote(path),
                quote(&path_text(&real)),
                quote(&path_text(&self.new_dir))
            ));
        }
        let bytes = std::fs::read(&real).map_err(|e| invalid(e.to_string()))?;
        Ok((bytes, real))
    }

    /// Copies a file the root references; the path it has in the copy.
    fn localize_file(&self, root: &Root, path: &str) -> Result<String, String> {
        if path.is_empty() {
            return Ok(String::new());
        }
        if is_url(path) {
            let content = self
                .remote
                .fetch_file(path, 256 << 20)
                .map_err(|e| format!("invalid file reference: {e}"))?;
            return self.write_remote_file(root, path, &content);
        }
        let (content, real) = self.load(root, path)?;
        let loc = relative(&root.dir, &real);
        self.write(root, &loc, &content, path)?;
        Ok(path_text(&loc))
    }

    /// A remote file goes to `localized-files/<host>/<path>`.
    fn write_remote_file(&self, root: &Root, url: &str, content: &[u8]) -> Result<String, String> {
        if root.dir.join("localized-files").exists() {
            return Err(format!(
                "{} already contains localized-files needed to store file {}",
                root.dir.display(),
                quote(url)
            ));
        }
        let rest = url.split_once("://").map_or(url, |(_, r)| r);
        let rest = rest.split(['?', '#']).next().unwrap_or(rest);
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        let host = host.rsplit('@').next().unwrap_or(host);
        let host = host.split(':').next().unwrap_or(host);
        let clean = crate::edit::clean_path(path);
        let loc = PathBuf::from("localized-files")
            .join(host)
            .join(clean.trim_start_matches('/'));
        self.write(root, &loc, content, url)?;
        Ok(path_text(&loc))
    }

    fn write(&self, root: &Root, loc: &Path, content: &[u8], what: &str) -> Result<(), String> {
        let to = root.dst.join(loc);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(|e| {
                format!(
                    "unable to create directories to localize file {}: {e}",
                    quote(what)
                )
            })?;
        }
        std::fs::write(&to, content)
            .map_err(|e| format!("unable to localize file {}: {e}", quote(what)))
    }

    /// A `resources` entry: a file of resources, else a root.
    fn localize_resource(&self, root: &Root, path: &str) -> Result<String, String> {
        let as_file = (|| {
            if is_url(path) {
                let content = self
                    .remote
                    .fetch_file(path, 256 << 20)
                    .map_err(|e| format!("invalid file reference: {e}"))?;
                parses_as_resources(&content)
                    .map_err(|e| format!("invalid resource at file {}: {e}", quote(path)))?;
                return self.write_remote_file(root, path, &content);
            }
            let (content, real) = self.load(root, path)?;
            parses_as_resources(&content)
                .map_err(|e| format!("invalid resource at file {}: {e}", quote(path)))?;
            let loc = relative(&root.dir, &real);
            self.write(root, &loc, &content, path)?;
            Ok(path_text(&loc))
        })();
        match as_file {
            Ok(loc) => Ok(loc),
            Err(file_err) => self.localize_root(root, path).map_err(|root_err| {
                format!(
                    "could not localize path {0} as file: {file_err}; could not localize path {0} as directory: {root_err}",
                    quote(path)
                )
            }),
        }
    }

    /// Upstream's localize loader `New` for a local directory: a directory below no root
    /// that led here, within the repository (remote) or the scope and outside the
    /// destination (local).
    fn new_root(&self, root: &Root, path: &str) -> Result<PathBuf, String> {
        let invalid = |e: String| format!("invalid root reference: {e}");
        if path.is_empty() {
            return Err(invalid("new root cannot be empty".into()));
        }
        if Path::new(path).is_absolute() {
            return Err(invalid(format!("new root '{path}' cannot be absolute")));
        }
        let dir = confirm_dir(&root.dir.join(path)).map_err(invalid)?;
        if let Some(a) = root
            .ancestors
            .iter()
            .chain(std::iter::once(&root.dir))
            .find(|a| a.starts_with(&dir))
        {
            return Err(invalid(format!(
                "cycle detected: candidate root '{}' contains visited root '{}'",
                dir.display(),
                a.display()
            )));
        }
        if let Some(repo) = &root.repo {
            if !dir.starts_with(&repo.dir) {
                return Err(invalid(format!(
                    "new root '{}' is outside the repository at '{}'",
                    dir.display(),
                    repo.dir.display()
                )));
            }
        } else {
            if !dir.starts_with(&self.scope) {
                return Err(format!(
                    "root {} outside localize scope {}",
                    quote(&path_text(&dir)),
                    quote(&path_text(&self.scope))
                ));
            }
            if dir.starts_with(&self.new_dir) {
                return Err(format!(
                    "root {} references into localize destination {}",
                    quote(&path_text(&dir)),
                    quote(&path_text(&self.new_dir))
                ));
            }
        }
        Ok(dir)
    }

    /// A base or component: its copy, localized in turn; the path it has in the copy.
    fn localize_root(&self, root: &Root, path: &str) -> Result<String, String> {
        if path.is_empty() {
            return Ok(String::new());
        }
        if root.ancestors.len() >= MAX_DEPTH {
            return Err(format!("more than {MAX_DEPTH} nested kustomizations"));
        }
        let invalid = |e: String| format!("invalid root reference: {e}");
        let mut ancestors = root.ancestors.clone();
        ancestors.push(root.dir.clone());
        // A URL is a remote root before anything else, as upstream's loader takes it.
        if let Ok(spec) = RepoSpec::parse(path) {
            if spec.git_ref.is_empty() {
                return Err(format!(
                    "localize remote root {} missing ref query string parameter",
                    quote(path)
                ));
            }
            if root.dir.join("localized-files").exists() {
                return Err(format!(
                    "{} already contains localized-files needed to store root {}",
                    root.dir.display(),
                    quote(path)
                ));
            }
            let repo = self
                .remote
                .fetch_repo(&spec, spec.timeout)
                .map_err(|e| invalid(e.to_string()))?;
            let dir = confirm_dir(&repo.dir.join(&spec.kust_root_path)).map_err(invalid)?;
            let loc = remote_root_path(&spec);
            let dst = root.dst.join(&loc);
            std::fs::create_dir_all(&dst).map_err(|e| {
                format!(
                    "unable to create root {} in localize destination: {e}",
                    quote(path)
                )
            })?;
            let child = Root {
                dir,
                dst,
                repo: Some(Arc::new(repo)),
                ancestors,
            };
            self.localize_root_dir(&child)
                .map_err(|e| format!("unable to localize root {}: {e}", quote(path)))?;
            return Ok(path_text(&loc));
        }
        let dir = self.new_root(root, path)?;
        let loc = relative(&root.dir, &dir);
        let child = Root {
            dir,
            dst: clean(&root.dst.join(&loc)),
            repo: root.repo.clone(),
            ancestors,
        };
        std::fs::create_dir_all(&child.dst).map_err(|e| {
            format!(
                "unable to create root {} in localize destination: {e}",
                quote(path)
            )
        })?;
        self.localize_root_dir(&child)
            .map_err(|e| format!("unable to localize root {}: {e}", quote(path)))?;
        Ok(path_text(&loc))
    }

    /// Localizes the kustomization of a root and writes it to the root's copy.
    fn localize_root_dir(&self, root: &Root) -> Result<(), String> {
        let found: Vec<&str> = KUSTOMIZATION_FILE_NAMES
            .iter()
            .copied()
            .filter(|n| root.dir.join(n).is_file())
            .collect();
        let name = match found.as_slice() {
            [] => {
                return Err(format!(
                    "unable to find one of 'kustomization.yaml', 'kustomization.yml' or 'Kustomization' in directory '{}'",
                    root.dir.display()
                ))
            }
            [one] => *one,
            _ => {
                return Err(format!(
                    "Found multiple kustomization files under: {}\n",
                    root.dir.display()
                ))
            }
        };
        let (content, _) = self.load(root, name)?;
        let mut k =
            Kustomization::read_strict(&content, &root.dir.join(name)).map_err(|e| match e {
                kustomize::Error::InvalidKustomization { message, .. } => {
                    format!(
                        "invalid Kustomization: {}",
                        crate::kustfile::go_json_message(&message)
                    )
                }
                other => other.chain(),
            })?;
        self.localize_kustomization(root, &mut k)?;
        let out = render_whole(&k)
            .map_err(|e| format!("unable to serialize localized kustomization file: {e}"))?;
        std::fs::write(root.dst.join(name), out)
            .map_err(|e| format!("unable to write localized kustomization file: {e}"))
    }

    fn localize_kustomization(&self, root: &Root, k: &mut Kustomization) -> Result<(), String> {
        if let Some(p) = k.openapi.get("path").cloned() {
            let loc = self
                .localize_file(root, &p)
                .map_err(|e| format!("unable to localize openapi path: {e}"))?;
            k.openapi.insert("path".into(), loc);
        }
        fn entry(field: &'static str) -> impl Fn(String) -> String {
            move |e| format!("unable to localize {field} entry: {e}")
        }
        for r in &mut k.resources {
            *r = self
                .localize_resource(root, r)
                .map_err(entry("resources"))?;
        }
        for (field, list) in [("bases", &mut k.bases), ("components", &mut k.components)] {
            for r in list.iter_mut() {
                *r = self.localize_root(root, r).map_err(entry(field))?;
            }
        }
        for (field, list) in [
            ("configurations", &mut k.configurations),
            ("crds", &mut k.crds),
        ] {
            for r in list.iter_mut() {
                *r = self.localize_file(root, r).map_err(entry(field))?;
            }
        }
        for (field, list) in [
            ("configMapGenerator", &mut k.config_map_generator),
            ("secretGenerator", &mut k.secret_generator),
        ] {
            let wrap = |e: String| format!("unable to localize {field}: {e}");
            for g in list.iter_mut() {
                g.env = self
                    .localize_file(root, &g.env)
                    .map_err(|e| wrap(format!("unable to localize generator env file: {e}")))?;
                for e in g.envs.iter_mut() {
                    *e = self.localize_file(root, e).map_err(|e| {
                        wrap(format!("unable to localize generator envs file: {e}"))
                    })?;
                }
                for f in g.files.iter_mut() {
                    *f = self.localize_file_source(root, f).map_err(wrap)?;
                }
            }
        }
        for (i, h) in k.helm_chart_inflation_generator.iter_mut().enumerate() {
            h.values = self.localize_file(root, &h.values).map_err(|e| {
                format!("unable to localize helmChartInflationGenerator entry {i} values: {e}")
            })?;
            h.chart_home = self
                .copy_chart_home_entry(root, &h.chart_home)
                .map_err(|e| {
                    format!("unable to copy helmChartInflationGenerator entry {i}: {e}")
                })?;
        }
        for (i, h) in k.helm_charts.iter_mut().enumerate() {
            h.values_file = self
                .localize_file(root, &h.values_file)
                .map_err(|e| format!("unable to localize helmCharts entry {i} valuesFile: {e}"))?;
            for f in h.additional_values_files.iter_mut() {
                *f = self.localize_file(root, f).map_err(|e| {
                    format!("unable to localize helmCharts entry {i} additionalValuesFiles: {e}")
                })?;
            }
        }
        if let Some(g) = &mut k.helm_globals {
            g.chart_home = self
                .copy_chart_home_entry(root, &g.chart_home)
                .map_err(|e| format!("unable to copy helmGlobals: {e}"))?;
        } else if !k.helm_charts.is_empty() {
            self.copy_chart_home_entry(root, "")
                .map_err(|e| format!("unable to copy default chart home: {e}"))?;
        }
        for (field, list) in [
            ("patches", &mut k.patches),
            ("patchesJson6902", &mut k.patches_json6902),
        ] {
            for p in list.iter_mut() {
                p.path = self
                    .localize_file(root, &p.path)
                    .map_err(|e| format!("unable to localize {field}: {e}"))?;
            }
        }
        for p in k.patches_strategic_merge.iter_mut() {
            *p = self
                .localize_inline_or_file(root, p)
                .map_err(|e| format!("unable to localize patchesStrategicMerge entry: {e}"))?;
        }
        for r in k.replacements.iter_mut() {
            r.path = self
                .localize_file(root, &r.path)
                .map_err(|e| format!("unable to localize replacements entry: {e}"))?;
        }
        for (field, list) in [
            ("generators", &mut k.generators),
            ("transformers", &mut k.transformers),
            ("validators", &mut k.validators),
        ] {
            for p in list.iter_mut() {
                *p = self.localize_plugin_entry(root, field, p)?;
            }
        }
        Ok(())
    }

    /// A `[key=]path` file source.
    fn localize_file_source(&self, root: &Root, source: &str) -> Result<String, String> {
        let (key, path) = parse_file_source(source)?;
        let loc = self
            .localize_file(root, &path)
            .map_err(|e| format!("invalid file source {}: {e}", quote(source)))?;
        // A source without a key stays one.
        Ok(if path == source {
            loc
        } else {
            format!("{key}={loc}")
        })
    }

    /// Upstream's `loadK8sResource`: the entry as inline resources, else as a file of
    /// resources (then also its content and real path).
    fn load_resources(
        &self,
        root: &Root,
        entry: &str,
    ) -> Result<(Vec<Resource>, Option<LoadedFile>), String> {
        let inline = resources_from_bytes(entry.as_bytes(), Path::new(entry));
        let inline_err = match inline {
            Ok(r) => return Ok((r, None)),
            Err(e) => upstream_message(entry.as_bytes(), e),
        };
        let from_file = self.load(root, entry).and_then(|(content, real)| {
            resources_from_bytes(&content, &real)
                .map(|r| (r, Some((content.clone(), real))))
                .map_err(|e| upstream_message(&content, e))
        });
        match from_file {
            Ok(found) => Ok(found),
            Err(file_err) => Err(format!(
                "unable to load resource entry {}: when parsing as inline received error: {inline_err}\nwhen parsing as filepath received error: {file_err}",
                quote(entry)
            )),
        }
    }

    /// A patchesStrategicMerge entry (`localizeK8sResource`): inline resources stay, a file
    /// is copied.
    fn localize_inline_or_file(&self, root: &Root, entry: &str) -> Result<String, String> {
        match self.load_resources(root, entry)? {
            (_, Some((content, real))) => {
                let loc = relative(&root.dir, &real);
                self.write(root, &loc, &content, entry)?;
                Ok(path_text(&loc))
            }
            (_, None) => Ok(entry.to_string()),
        }
    }

    /// A generators/transformers/validators entry: its plugin configs with their builtin
    /// paths localized, re-serialised (inline: the entry's new text; a file: written at its
    /// place in the copy).
    fn localize_plugin_entry(
        &self,
        root: &Root,
        field: &str,
        entry: &str,
    ) -> Result<String, String> {
        let (resources, file) = self
            .load_resources(root, entry)
            .map_err(|e| format!("unable to load {field} entry: {e}"))?;
        let mut docs: Vec<Value> = resources.into_iter().map(Resource::into_value).collect();
        for doc in docs.iter_mut() {
            self.localize_builtin_paths(root, doc)?;
        }
        let text = kustomize::yaml::emit_documents(&docs).map_err(|e| {
            format!(
                "unable to serialize localized {field} entry {}: {e}",
                quote(entry)
            )
        })?;
        let Some((_, real)) = file else {
            return Ok(text);
        };
        let loc = relative(&root.dir, &real);
        self.write(root, &loc, text.as_bytes(), entry)
            .map_err(|e| format!("unable to localize {field} entry: {e}"))?;
        Ok(path_text(&loc))
    }

    /// Localizes the path fields of a builtin plugin config (upstream's
    /// `localizeBuiltinPlugins` filter).
    fn localize_builtin_paths(&self, root: &Root, doc: &mut Value) -> Result<(), String> {
        if doc.str_at(&["apiVersion"]) != Some("builtin") {
            return Ok(());
        }
        let kind = doc.str_at(&["kind"]).unwrap_or_default().to_string();
        let id = format!(
            "{kind}.builtin.[noGrp]/{}.{}",
            nonempty(doc.str_at(&["metadata", "name"]), "[noName]"),
            nonempty(doc.str_at(&["metadata", "namespace"]), "[noNs]"),
        );
        #[derive(Clone, Copy)]
        enum How {
            File,
            Source,
            Resource,
        }
        let fields: &[(&str, How)] = match kind.as_str() {
            "ConfigMapGenerator" | "SecretGenerator" => &[
                ("env", How::File),
                ("envs", How::File),
                ("files", How::Source),
            ],
            "HelmChartInflationGenerator" => &[
                ("valuesFile", How::File),
                ("additionalValuesFiles", How::File),
            ],
            "PatchTransformer" | "PatchJson6902Transformer" => &[("path", How::File)],
            "PatchStrategicMergeTransformer" => &[("paths", How::Resource)],
            _ => &[],
        };
        let each = |how: How, s: &str| -> Result<String, String> {
            match how {
                How::File => self.localize_file(root, s),
                How::Source => self.localize_file_source(root, s),
                How::Resource => self.localize_inline_or_file(root, s),
            }
        };
        let considering =
            |field: &str, e: String| format!("considering field '{field}' of object {id}: {e}");
        let localize_all = |v: &mut Value, how: How| -> Result<(), String> {
            match v {
                Value::Seq(items) => {
                    for item in items.iter_mut() {
                        let loc = each(how, &item.text())?;
                        *item = Value::from(loc.as_str());
                    }
                }
                Value::Map(_) => return Err("expected sequence or scalar node".into()),
                scalar => {
                    let loc = each(how, &scalar.text())?;
                    *scalar = Value::from(loc.as_str());
                }
            }
            Ok(())
        };
        for &(field, how) in fields {
            if let Some(v) = doc.get_mut(field) {
                localize_all(v, how).map_err(|e| considering(field, e))?;
            }
        }
        if kind == "ReplacementTransformer" {
            if let Some(Value::Seq(items)) = doc.get_mut("replacements") {
                for item in items.iter_mut() {
                    if let Some(p) = item.get_mut("path") {
                        localize_all(p, How::File)
                            .map_err(|e| considering("replacements/path", e))?;
                    }
                }
            }
        }
        if kind == "HelmChartInflationGenerator" {
            let plugin = |e: String| format!("plugin {id}: {e}");
            match doc.get_mut("chartHome") {
                Some(home) => {
                    let loc = self
                        .copy_chart_home_entry(root, &home.text())
                        .map_err(plugin)?;
                    *home = Value::from(loc.as_str());
                }
                None => {
                    self.copy_chart_home_entry(root, "").map_err(plugin)?;
                }
            }
        }
        Ok(())
    }

    /// Upstream's `copyChartHomeEntry`: copies the chart home (default `charts`); the
    /// entry's path in the copy.
    fn copy_chart_home_entry(&self, root: &Root, entry: &str) -> Result<String, String> {
        let path = if entry.is_empty() { "charts" } else { entry };
        if Path::new(path).is_absolute() {
            return Err(format!(
                "absolute path {} not handled in alpha",
                quote(path)
            ));
        }
        let lexical = |p: &str| clean(&root.dir.join(p));
        let is_default = lexical(path) == lexical("charts");
        let loc = self
            .copy_chart_home(root, path, !is_default)
            .map_err(|e| format!("unable to copy home {}: {e}", quote(entry)))?;
        Ok(if entry.is_empty() { String::new() } else { loc })
    }

    fn copy_chart_home(&self, root: &Root, path: &str, to_real: bool) -> Result<String, String> {
        let target = clean(&root.dir.join(path));
        let rel = path_text(&relative(&root.dir, &target));
        if root.dir.join(&rel).symlink_metadata().is_err() {
            return Ok(rel);
        }
        let real = self
            .new_root(root, &rel)
            .map_err(|e| format!("invalid chart home: {e}"))?;
        let to_dst = if to_real {
            path_text(&relative(&root.dir, &real))
        } else {
            rel.clone()
        };
        let dst = clean(&root.dst.join(&to_dst));
        if !dst.exists() {
            copy_tree(&real, &dst).map_err(|e| {
                format!(
                    "unable to copy chart home {}: unable to copy directory {}: {e}",
                    quote(&rel),
                    quote(&path_text(&real))
                )
            })?;
        }
        Ok(to_dst)
    }
}

fn nonempty<'a>(s: Option<&'a str>, or: &'a str) -> &'a str {
    s.filter(|s| !s.is_empty()).unwrap_or(or)
}

/// A resource-reading error as upstream words it where its text is kyaml's
/// (`GetValidatedMetadata`, which prints the object's metadata as a Go struct), else the
/// library's message. Localize's errors quote these texts, so the wording is upstream's.
fn upstream_message(content: &[u8], e: kustomize::Error) -> String {
    go_metadata_error(content).unwrap_or_else(|| resource_message(e))
}

/// kyaml's metadata error for the first document that has one.
fn go_metadata_error(content: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(content).ok()?;
    let docs = kustomize::yaml::parse_documents(text, kustomize::yaml::Schema::Kyaml).ok()?;
    docs.iter().filter(|d| !d.is_null()).find_map(|doc| {
        let field = |path: &[&str]| {
            doc.get_path(path)
                .filter(|v| !v.is_null())
                .map(|v| v.text().into_owned())
        };
        let api_version = field(&["apiVersion"]);
        let kind = field(&["kind"]);
        let name = field(&["metadata", "name"]);
        let namespace = field(&["metadata", "namespace"]);
        let map = |key: &str| -> Option<Vec<(String, String)>> {
            let m = doc.get_path(&["metadata", key])?.as_map()?;
            let mut pairs: Vec<(String, String)> = m
                .iter()
                .map(|(k, v)| (k.to_string(), v.text().into_owned()))
                .collect();
            pairs.sort();
            Some(pairs)
        };
        let (labels, annotations) = (map("labels"), map("annotations"));
        let nothing = api_version.is_none()
            && kind.is_none()
            && name.is_none()
            && namespace.is_none()
            && labels.as_ref().is_none_or(|l| l.is_empty())
            && annotations.as_ref().is_none_or(|a| a.is_empty());
        if nothing {
            return Some("missing Resource metadata".to_string());
        }
        let go_map = |m: &Option<Vec<(String, String)>>| {
            let items: Vec<String> = m
                .iter()
                .flatten()
                .map(|(k, v)| format!("{k}:{v}"))
                .collect();
            format!("map[{}]", items.join(" "))
        };
        let dump = format!(
            "{{{{{} {}}} {{{{{} {}}} {} {}}}}}",
            api_version.as_deref().unwrap_or(""),
            kind.as_deref().unwrap_or(""),
            name.as_deref().unwrap_or(""),
            namespace.as_deref().unwrap_or(""),
            go_map(&labels),
            go_map(&annotations)
        );
        match kind.as_deref() {
            None | Some("") => Some(format!("missing kind in object {dump}")),
            Some(k) if k.ends_with("List") => None,
            Some(_) if name.as_deref().is_none_or(str::is_empty) => {
                Some(format!("missing metadata.name in object {dump}"))
            }
            Some(_) => None,
        }
    })
}

/// A resource-reading error's message, without the library's file prefix.
fn resource_message(e: kustomize::Error) -> String {
    match e {
        kustomize::Error::InvalidResource { message, .. } => message,
        other => other.to_string(),
    }
}

/// `localized-files/<host>/<repo path>/<ref>/<path in repo>` for a remote root.
fn remote_root_path(spec: &RepoSpec) -> PathBuf {
    let host = spec.host.to_ascii_lowercase();
    let host_dir = if host.starts_with("gh:") {
        "gh".to_string()
    } else if host.starts_with("file://") {
        "file-schemed".to_string()
    } else if let Some(rest) = ["https://", "http://", "ssh://"]
        .iter()
        .find_map(|p| spec.host.strip_prefix(p))
    {
        let h = rest.trim_end_matches('/');
        let h = h.rsplit('@').next().unwrap_or(h);
        h.split(':').next().unwrap_or(h).to_string()
    } else {
        let h = spec.host.rsplit('@').next().unwrap_or(&spec.host);
        h.trim_end_matches([':', '/']).to_string()
    };
    let repo = spec.repo_path.trim_end_matches(".git");
    let repo = crate::edit::clean_path(repo.trim_start_matches('/'));
    let mut out = PathBuf::from("localized-files").join(host_dir).join(repo);
    out.push(&spec.git_ref);
    let inner = crate::edit::clean_path(&spec.kust_root_path);
    if inner != "." {
        out.push(inner);
    }
    out
}

/// Whether a file holds Kubernetes objects, as a resource file (upstream's resource
/// factory; an error says what is missing).
fn parses_as_resources(content: &[u8]) -> Result<usize, String> {
    resources_from_bytes(content, Path::new(""))
        .map(|r| r.len())
        .map_err(resource_message)
}

/// Copies a directory tree (symlinks skipped), without recursion.
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    let mut stack = vec![(from.to_path_buf(), to.to_path_buf())];
    while let Some((src, dst)) = stack.pop() {
        std::fs::create_dir_all(&dst)?;
        for e in std::fs::read_dir(&src)? {
            let e = e?;
            let ty = e.file_type()?;
            if ty.is_symlink() {
                continue;
            }
            let (s, d) = (e.path(), dst.join(e.file_name()));
            if ty.is_dir() {
                stack.push((s, d));
            } else {
                std::fs::copy(&s, &d)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        assert_eq!(
            relative(Path::new("/a/b"), Path::new("/a/c")),
            PathBuf::from("../c")
        );
        assert_eq!(
            relative(Path::new("/a"), Path::new("/a/b/c")),
            PathBuf::from("b/c")
        );
        assert_eq!(
            relative(Path::new("/a"), Path::new("/a")),
            PathBuf::from(".")
        );
    }

    #[test]
    fn remote_root_paths() {
        let spec = RepoSpec::parse(
            "https://github.com/kubernetes-sigs/kustomize//api/krusty/testdata/localize/simple?ref=v4.5.7",
        )
        .unwrap();
        assert_eq!(
            remote_root_path(&spec),
            PathBuf::from("localized-files/github.com/kubernetes-sigs/kustomize/v4.5.7/api/krusty/testdata/localize/simple")
        );
        assert_eq!(
            default_destination(Path::new("/tmp/x/simple"), Some(&spec)),
            "localized-simple-v4.5.7"
        );
    }
}
