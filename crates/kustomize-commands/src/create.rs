//! `kustomize create` (alias `init`): a new `kustomization.yaml` in the current directory,
//! as upstream's `kustomize/commands/create`.

use std::path::Path;

use clap::Args;
use kustomize::unstable::kustomization::{Kustomization, StringMap, KUSTOMIZATION_FILE_NAMES};

use crate::edit::{glob_or_root, key_value_map};
use crate::kustfile::KustFile;

/// `create` flags.
#[derive(Debug, Args)]
pub struct Create {
    /// Name of a file containing a file to add to the kustomization file.
    #[arg(long = "resources", default_value = "")]
    resources: String,
    /// Set the value of the namespace field in the kustomization file.
    #[arg(long = "namespace", default_value = "")]
    namespace: String,
    /// Add one or more common annotations.
    #[arg(long = "annotations", default_value = "")]
    annotations: String,
    /// Add one or more common labels.
    #[arg(long = "labels", default_value = "")]
    labels: String,
    /// Sets the value of the namePrefix field in the kustomization file.
    #[arg(long = "nameprefix", default_value = "", allow_hyphen_values = true)]
    nameprefix: String,
    /// Sets the value of the nameSuffix field in the kustomization file.
    #[arg(long = "namesuffix", default_value = "", allow_hyphen_values = true)]
    namesuffix: String,
    /// Search for kubernetes resources in the current directory to be added to the
    /// kustomization file.
    #[arg(long = "autodetect", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value_t = false, action = clap::ArgAction::Set)]
    autodetect: bool,
    /// Enable recursive directory searching for resource auto-detection.
    #[arg(long = "recursive", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value_t = false, action = clap::ArgAction::Set)]
    recursive: bool,
    /// Ignored.
    #[arg(hide = true)]
    rest: Vec<String>,
}

impl Create {
    /// Runs `create` in `dir`.
    pub fn run(&self, dir: &Path) -> Result<(), String> {
        let mut resources = if self.resources.is_empty() {
            Vec::new()
        } else {
            let patterns: Vec<String> = self.resources.split(',').map(String::from).collect();
            glob_or_root(dir, &patterns, false)?
        };
        if KustFile::find(dir).is_ok() {
            return Err("kustomization file already exists".into());
        }
        if self.autodetect {
            for found in detect(dir, self.recursive)? {
                if !resources.contains(&found) {
                    resources.push(found);
                }
            }
        }
        // Upstream creates the file first; a bad label or annotation leaves it empty.
        std::fs::write(dir.join(KUSTOMIZATION_FILE_NAMES[0]), b"")
            .map_err(|e| format!("creating {}: {e}", KUSTOMIZATION_FILE_NAMES[0]))?;
        let mut file = KustFile::find(dir)?;
        let mut k: Kustomization = file.read()?;
        k.resources = resources;
        k.namespace = self.namespace.clone();
        k.name_prefix = self.nameprefix.clone();
        k.name_suffix = self.namesuffix.clone();
        k.common_annotations = Some(to_map(&self.annotations, "annotation")?);
        k.common_labels = Some(to_map(&self.labels, "label")?);
        file.write(&k)
    }
}

/// Upstream's `ConvertToMap`: comma-separated `key:value` items.
fn to_map(input: &str, kind: &str) -> Result<StringMap, String> {
    if input.is_empty() {
        return Ok(StringMap::new());
    }
    let items: Vec<&str> = input.split(',').collect();
    Ok(key_value_map(&items, kind)?.into_iter().collect())
}

/// `--autodetect`: the files under `dir` that read as Kubernetes resources, and with
/// `recursive` the subdirectories holding a kustomization (not descended into), in Go's
/// `filepath.Walk` order.
fn detect(dir: &Path, recursive: bool) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    // (relative path, is the top) in reverse order of visiting.
    let mut stack: Vec<String> = vec![String::new()];
    while let Some(rel) = stack.pop() {
        let full = if rel.is_empty() {
            dir.to_path_buf()
        } else {
            dir.join(&rel)
        };
        let meta = std::fs::symlink_metadata(&full).map_err(|e| format!("{rel}: {e}"))?;
        if meta.is_dir() {
            if !rel.is_empty() {
                if !recursive {
                    continue;
                }
                if KUSTOMIZATION_FILE_NAMES
                    .iter()
                    .any(|n| full.join(n).symlink_metadata().is_ok())
                {
                    out.push(rel);
                    continue;
                }
            }
            let mut names: Vec<String> = std::fs::read_dir(&full)
                .map_err(|e| format!("{rel}: {e}"))?
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            for n in names.into_iter().rev() {
                stack.push(if rel.is_empty() {
                    n
                } else {
                    format!("{rel}/{n}")
                });
            }
        } else {
            let content = std::fs::read(&full).map_err(|e| format!("{rel}: {e}"))?;
            if reads_as_resources(&content) {
                out.push(rel);
            }
        }
    }
    Ok(out)
}

/// Whether a file reads as Kubernetes objects, as upstream's resource factory reads a
/// resource file (an empty file does).
fn reads_as_resources(content: &[u8]) -> bool {
    kustomize::unstable::resource::resources_from_bytes(content, Path::new("")).is_ok()
}
