//! `kustomize edit remove ...`.

use std::path::Path;

use clap::Subcommand;

use super::add::PatchArgs;
use super::{build_metadata_options, go_list, log, namespace_equal, update};
use crate::glob::matches;

/// `edit remove` subcommands.
#[derive(Debug, Subcommand)]
pub enum Remove {
    /// Removes the specified configmap(s) from kustomization.yaml
    Configmap {
        /// Namespace to remove ConfigMap(s) from
        #[arg(long = "namespace", default_value = "")]
        namespace: String,
        /// Comma-separated names.
        names: Vec<String>,
    },
    /// Removes the specified secret(s) from kustomization.yaml
    Secret {
        /// Namespace to remove Secret(s) from
        #[arg(long = "namespace", default_value = "")]
        namespace: String,
        /// Comma-separated names.
        names: Vec<String>,
    },
    /// Removes one or more resource file paths from kustomization.yaml
    Resource {
        /// Paths or patterns.
        patterns: Vec<String>,
    },
    /// Removes one or more commonLabels from kustomization.yaml
    Label {
        /// ignore error if the given label doesn't exist
        #[arg(short = 'i', long = "ignore-non-existence", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value_t = false, action = clap::ArgAction::Set)]
        ignore: bool,
        /// Comma-separated keys.
        keys: Vec<String>,
    },
    /// Removes one or more commonAnnotations from kustomization.yaml
    Annotation {
        /// ignore error if the given label doesn't exist
        #[arg(short = 'i', long = "ignore-non-existence", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value_t = false, action = clap::ArgAction::Set)]
        ignore: bool,
        /// Comma-separated keys.
        keys: Vec<String>,
    },
    /// Removes a patch from kustomization.yaml
    Patch(PatchArgs),
    /// Removes one or more transformers from kustomization.yaml
    Transformer {
        /// Paths or patterns.
        patterns: Vec<String>,
    },
    /// Removes one or more buildMetadata options to the kustomization.yaml in the current directory
    Buildmetadata {
        /// Comma-separated options.
        options: Vec<String>,
    },
}

impl Remove {
    /// Runs the subcommand in `dir`.
    pub fn run(&self, dir: &Path) -> Result<(), String> {
        match self {
            Remove::Configmap { namespace, names } => {
                remove_generators(dir, names, namespace, "configmap", false)
            }
            Remove::Secret { namespace, names } => {
                remove_generators(dir, names, namespace, "secret", true)
            }
            Remove::Resource { patterns } => {
                if patterns.is_empty() {
                    return Err("must specify a resource file".into());
                }
                remove_matching(dir, patterns, |k| &mut k.resources)
            }
            Remove::Transformer { patterns } => {
                if patterns.is_empty() {
                    return Err("must specify a transformer file".into());
                }
                remove_matching(dir, patterns, |k| &mut k.transformers)
            }
            Remove::Label { ignore, keys } => remove_metadata(dir, keys, *ignore, true),
            Remove::Annotation { ignore, keys } => remove_metadata(dir, keys, *ignore, false),
            Remove::Patch(p) => {
                p.check_exclusive()?;
                let (file, mut k) = super::load(dir)?;
                let probe = p.patch();
                let before = k.patches.len();
                k.patches.retain(|q| *q != probe);
                if k.patches.len() == before {
                    log(&format!(
                        "patch {} doesn't exist in kustomization file",
                        probe.patch
                    ));
                    return Ok(());
                }
                file.write(&k)
            }
            Remove::Buildmetadata { options } => {
                let opts = build_metadata_options(options)?;
                update(dir, |k| {
                    k.build_metadata.retain(|o| !opts.contains(o));
                    Ok(())
                })
            }
        }
    }
}

/// `remove configmap` / `remove secret`: every generator of a listed name in the namespace.
fn remove_generators(
    dir: &Path,
    args: &[String],
    namespace: &str,
    kind: &str,
    secret: bool,
) -> Result<(), String> {
    let names: Vec<&str> = match args {
        [] => return Err(format!("at least one {kind} name must be specified")),
        [one] => one.split(',').collect(),
        _ => {
            return Err(format!(
                "too many arguments: {}; to provide multiple {kind}s to remove, please separate {kind} names by commas",
                go_list(args)
            ))
        }
    };
    let mut file = crate::kustfile::KustFile::find(dir)
        .map_err(|e| format!("could not read kustomization file: {e}"))?;
    let mut k = file
        .read()
        .map_err(|e| format!("could not read kustomization file contents: {e}"))?;
    let list = if secret {
        &mut k.secret_generator
    } else {
        &mut k.config_map_generator
    };
    let mut found: Vec<String> = Vec::new();
    list.retain(|g| {
        let remove = names.contains(&g.name.as_str()) && namespace_equal(&g.namespace, namespace);
        if remove {
            found.push(g.name.clone());
        }
        !remove
    });
    if found.is_empty() {
        return Err(format!(
            "no specified {kind}(s) were found in the kustomization.yaml file"
        ));
    }
    for name in names {
        if !found.iter().any(|f| f == name) {
            log(&format!(
                "{kind} {name} doesn't exist in kustomization file"
            ));
        }
    }
    file.write(&k)
        .map_err(|e| format!("failed to write kustomization file: {e}"))
}

/// `remove resource` / `remove transformer`: entries matching any pattern (Go's
/// `filepath.Match` on the text); nothing matched writes nothing.
fn remove_matching(
    dir: &Path,
    patterns: &[String],
    field: fn(&mut kustomize::unstable::kustomization::Kustomization) -> &mut Vec<String>,
) -> Result<(), String> {
    let (file, mut k) = super::load(dir)?;
    let list = field(&mut k);
    let mut matched: Vec<String> = Vec::new();
    for p in patterns {
        for entry in list.iter() {
            if matches(p, entry)? {
                matched.push(entry.clone());
            }
        }
    }
    if matched.is_empty() {
        return Ok(());
    }
    list.retain(|e| !matched.contains(e));
    file.write(&k)
}

/// `remove label` / `remove annotation` (upstream's messages say "label" for both, but for
/// a key that is not there).
fn remove_metadata(dir: &Path, args: &[String], ignore: bool, labels: bool) -> Result<(), String> {
    let keys: Vec<&str> = match args {
        [] => return Err("must specify label".into()),
        [one] => one.split(',').collect(),
        _ => return Err("labels must be comma-separated, with no spaces".into()),
    };
    if keys.iter().any(|k| k.is_empty()) {
        return Err("invalid label: '' (name is empty)".into());
    }
    let (field, kind) = if labels {
        ("commonLabels", "label")
    } else {
        ("commonAnnotations", "annotation")
    };
    update(dir, |k| {
        let map = if labels {
            &mut k.common_labels
        } else {
            &mut k.common_annotations
        };
        let Some(map) = map else {
            if ignore {
                return Ok(());
            }
            return Err(format!("{field} is not defined in kustomization file"));
        };
        for key in keys {
            if map.remove(key).is_none() && !ignore {
                return Err(format!("{kind} {key} is not defined in kustomization file"));
            }
        }
        Ok(())
    })
}
