//! `HelmChartInflationGenerator`: `helmCharts:` (with `helmGlobals:`) and the builtin
//! plugin config, run as upstream runs them: `helm version -c --short` must say v3, the
//! chart must be under `chartHome` (a chart that would have to be pulled from a
//! repository is an error here: there is no network), the values file is copied (or
//! merged with `valuesInline` per `valuesMerge`: `override`, `merge`, `replace`) into a
//! temporary directory that is always removed, and `helm template` renders the chart.
//!
//! helm reads the chart from the disk, so charts must be on the disk even when the build
//! reads its kustomizations from memory.

use std::path::{Path, PathBuf};
use std::process::Command;

use kustomize_yaml::{Mapping, Value};

use crate::kustomization::{HelmChart, HelmGlobals};
use crate::loader::Loader;
use crate::resource::Resource;
use crate::Error;

/// How `helm` is run (upstream's `--enable-helm`, `--helm-command`, ...).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HelmOptions {
    /// Whether charts may be inflated by running helm (`--enable-helm`).
    pub enabled: bool,
    /// `--helm-command` (default `helm`).
    pub command: String,
    /// `--helm-api-versions`: override every chart's `apiVersions`.
    pub api_versions: Vec<String>,
    /// `--helm-kube-version`: override every chart's `kubeVersion`.
    pub kube_version: String,
    /// `--helm-debug`.
    pub debug: bool,
}

/// One chart to inflate.
#[derive(Debug, Clone)]
pub struct HelmChartGenerator<'a> {
    /// The kustomization's loader (values files are read through it).
    pub loader: &'a Loader,
    /// Chart home and config home.
    pub globals: HelmGlobals,
    /// The chart.
    pub chart: HelmChart,
    /// How helm runs.
    pub options: &'a HelmOptions,
}

fn err(chart: &str, message: impl Into<String>) -> Error {
    Error::Generator {
        generator: format!("HelmChartInflationGenerator '{chart}'"),
        message: message.into(),
    }
}

/// A temporary directory removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> std::io::Result<TempDir> {
        let base = std::env::temp_dir();
        let pid = std::process::id();
        for n in 0..1000u32 {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            let path = base.join(format!("kustomize-helm-{pid}-{nanos}-{n}"));
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(TempDir(path)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::other("cannot create a temporary directory"))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl HelmChartGenerator<'_> {
    /// Renders the chart.
    pub fn generate(&self) -> Result<Vec<Resource>, Error> {
        let mut chart = self.chart.clone();
        let name = chart.name.clone();
        if !self.options.enabled {
            return Err(Error::Denied {
                what: format!("helm chart '{name}'"),
                capability: crate::Capability::Helm,
            });
        }
        let command = if self.options.command.is_empty() {
            "helm"
        } else {
            &self.options.command
        };
        if !self.options.kube_version.is_empty() {
            chart.kube_version = self.options.kube_version.clone();
        }
        if !self.options.api_versions.is_empty() {
            chart.api_versions = self.options.api_versions.clone();
        }
        chart.debug |= self.options.debug;
        if name.is_empty() {
            return Err(err(&name, "chart name cannot be empty"));
        }
        let chart_home = self.abs_chart_home(&chart);
        let values_file = if chart.values_file.is_empty() {
            chart_dir(&chart_home, &name)
                .join("values.yaml")
                .to_string_lossy()
                .into_owned()
        } else {
            chart.values_file.clone()
        };
        let mut additional = Vec::new();
        for file in &chart.additional_values_files {
            self.loader
                .load(file)
                .map_err(|e| err(&name, format!("could not load additionalValuesFile: {e}")))?;
            additional.push(self.loader.root().join(file));
        }
        let merge = if chart.values_merge.is_empty() {
            "override"
        } else {
            chart.values_merge.as_str()
        };
        if !["merge", "override", "replace"].contains(&merge) {
            return Err(err(
                &name,
                "valuesMerge must be one of [merge override replace]",
            ));
        }
        let tmp = TempDir::new().map_err(|e| err(&name, format!("cannot create tmp dir: {e}")))?;
        let config_home = if self.globals.config_home.is_empty() {
            tmp.0.join("helm")
        } else {
            PathBuf::from(&self.globals.config_home)
        };
        let run = |args: &[String]| -> Result<Vec<u8>, Error> {
            let out = Command::new(command)
                .args(args)
                .env("HELM_CONFIG_HOME", &config_home)
                .env("HELM_CACHE_HOME", config_home.join(".cache"))
                .env("HELM_DATA_HOME", config_home.join(".data"))
                .output()
                .map_err(|e| {
                    err(
                        &name,
                        format!(
                            "unable to run: '{command} {}' (is '{command}' installed?): {e}",
                            args.join(" ")
                        ),
                    )
                })?;
            if !out.status.success() {
                return Err(err(
                    &name,
                    format!(
                        "{}: unable to run: '{command} {}': {}",
                        String::from_utf8_lossy(&out.stderr).trim(),
                        args.join(" "),
                        out.status
                    ),
                ));
            }
            Ok(out.stdout)
        };

        let version = run(&["version".into(), "-c".into(), "--short".into()])?;
        let version = String::from_utf8_lossy(&version);
        let major = regex::Regex::new(r"v?\d+(\.\d+)+")
            .ok()
            .and_then(|re| {
                re.find(&version)
                    .map(|m| m.as_str().trim_start_matches('v').to_owned())
            })
            .ok_or_else(|| err(&name, format!("cannot find version string in {version}")))?;
        if major.split('.').next() != Some("3") {
            return Err(err(
                &name,
                format!("this plugin requires helm V3 but got v{major}"),
            ));
        }
        let chart_dir = chart_dir(&chart_home, &name);
        self.check_chart_dir(&name, &chart_dir)?;
        if !chart_dir.is_dir() {
            return Err(err(
                &name,
                if chart.repo.is_empty() {
                    "no repo specified for pull, no chart found at ''".to_owned()
                } else {
                    format!(
                        "chart not found under '{}' and pulling from '{}' is not supported (no network access)",
                        chart_home.display(),
                        chart.repo
                    )
                },
            ));
        }

        let values = match &chart.values_inline {
            Some(Value::Map(inline)) if !inline.is_empty() => {
                let merged = if merge == "replace" {
                    Value::Map(inline.clone())
                } else {
                    let (bytes, _) = self.loader.load(&values_file)?;
                    let text = String::from_utf8_lossy(&bytes);
                    let chart_values = self
                        .loader
                        .parse(&text, kustomize_yaml::Schema::Kyaml)
                        .map_err(|e| err(&name, format!("could not parse values file: {e}")))?
                        .into_iter()
                        .next()
                        .unwrap_or_default();
                    let chart_values = match chart_values {
                        Value::Map(m) => m,
                        _ => Mapping::default(),
                    };
                    if merge == "override" {
                        merge_values(chart_values, inline)
                    } else {
                        merge_values(inline.clone(), &chart_values)
                    }
                };
                let mut out = String::new();
                kustomize_yaml::emit_document(&merged, &mut out)
                    .map_err(|e| err(&name, e.to_string()))?;
                out.into_bytes()
            }
            _ => self.loader.load(&values_file)?.0,
        };
        // Upstream joins the name as a path (so `a/b` fails to write and `../b` writes
        // beside the temporary directory); here the file always lands inside it.
        let values_path = tmp
            .0
            .join(format!("{}-kustomize-values.yaml", name.replace('/', "_")));
        std::fs::write(&values_path, values)
            .map_err(|e| err(&name, format!("failed to write values file: {e}")))?;

        let args = template_args(&chart, &chart_dir, &values_path, &additional);
        let stdout = run(&args)?;
        self.loader
            .resources(&stdout, Path::new(&format!("helm template {name}")))
    }

    /// Under the root-only load restrictor the chart helm reads must lie inside the
    /// kustomization root, as every file the build reads does. (Upstream lets helm read a
    /// chart anywhere when no values file has to be loaded from beside it.)
    fn check_chart_dir(&self, name: &str, dir: &Path) -> Result<(), Error> {
        if self.loader.restrictor() != crate::LoadRestrictor::RootOnly {
            return Ok(());
        }
        // helm reads the disk: the chart's real path there must lie below the root's
        // (the root as the build's file system resolved it, or its real path on disk).
        let real = std::fs::canonicalize(dir).unwrap_or_else(|_| crate::fs::clean(dir));
        let root = self.loader.root();
        let disk_root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        if real.starts_with(root) || real.starts_with(&disk_root) {
            return Ok(());
        }
        Err(err(
            name,
            format!(
                "security; chart '{}' is not in or below '{}'",
                dir.display(),
                self.loader.root().display()
            ),
        ))
    }

    fn abs_chart_home(&self, chart: &HelmChart) -> PathBuf {
        let home = if self.globals.chart_home.is_empty() {
            "charts"
        } else {
            &self.globals.chart_home
        };
        let home = if Path::new(home).is_absolute() {
            PathBuf::from(home)
        } else {
            self.loader.root().join(home)
        };
        if !chart.version.is_empty() && !chart.repo.is_empty() {
            chart_dir(&home, &format!("{}-{}", chart.name, chart.version))
        } else {
            home
        }
    }
}

/// The chart's directory: the name joined below the chart home as Go's `filepath.Join`
/// joins it (an absolute name does not replace the home).
fn chart_dir(home: &Path, name: &str) -> PathBuf {
    crate::fs::clean(&home.join(name.trim_start_matches('/')))
}

/// Upstream's `AsHelmArgs`, in a form helm cannot read a value of as an option: every
/// valued flag is written `--flag=value`, and the release name and chart follow `--`.
/// (Upstream passes them bare, so `releaseName: --post-renderer=sh` runs a command.)
fn template_args(
    c: &HelmChart,
    chart: &Path,
    values: &Path,
    additional: &[PathBuf],
) -> Vec<String> {
    let mut args = vec!["template".to_owned()];
    if c.release_name.is_empty() {
        args.push("--generate-name".into());
    }
    if !c.namespace.is_empty() {
        args.push(format!("--namespace={}", c.namespace));
    }
    if !c.name_template.is_empty() {
        args.push(format!("--name-template={}", c.name_template));
    }
    args.push(format!("--values={}", values.display()));
    for f in additional {
        args.push(format!("--values={}", f.display()));
    }
    for v in &c.api_versions {
        args.push(format!("--api-versions={v}"));
    }
    if !c.kube_version.is_empty() {
        args.push(format!("--kube-version={}", c.kube_version));
    }
    for (on, flag) in [
        (c.include_crds, "--include-crds"),
        (c.skip_tests, "--skip-tests"),
        (c.skip_hooks, "--no-hooks"),
        (c.debug, "--debug"),
        (c.devel, "--devel"),
    ] {
        if on {
            args.push(flag.into());
        }
    }
    args.push("--".into());
    if !c.release_name.is_empty() {
        args.push(c.release_name.clone());
    }
    args.push(chart.to_string_lossy().into_owned());
    args
}

/// Values merged without a schema (upstream's `merge2` on plain maps): maps merge
/// recursively, anything else in `patch` replaces, a `null` in `patch` deletes.
fn merge_values(mut base: Mapping, patch: &Mapping) -> Value {
    for (k, v) in patch {
        match (base.get_mut(k), v) {
            (_, Value::Null | Value::Blank) => {
                base.shift_remove(k);
            }
            (Some(Value::Map(b)), Value::Map(p)) => {
                let merged = kustomize_yaml::stack::deeper(|| merge_values(std::mem::take(b), p));
                base.insert(k.clone(), merged);
            }
            _ => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Map(base)
}
