//! `kustomize edit add ...`.

use std::path::Path;

use clap::{Args, Subcommand};
use kustomize::unstable::kustomization::{Kustomization, Label, Patch, Selector, StringMap};

use super::configmap_secret::{AddConfigMap, AddSecret};
use super::{build_metadata_options, key_value_map, log, update};
use crate::glob::glob_visible;

/// `edit add` subcommands.
#[derive(Debug, Subcommand)]
pub enum Add {
    /// Add the name of a file containing a resource to the kustomization file
    Resource {
        /// Skip validation for resources.
        #[arg(long = "no-verify", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value_t = false, action = clap::ArgAction::Set)]
        no_verify: bool,
        /// Files, directories or remote bases (globs are expanded).
        paths: Vec<String>,
    },
    /// Add an item to patches field
    Patch(PatchArgs),
    /// Add the name of a file containing a component to the kustomization file
    Component {
        /// Component directories (globs are expanded).
        paths: Vec<String>,
    },
    /// Adds a secret to the kustomization file.
    Secret(AddSecret),
    /// Adds a configmap to the kustomization file
    Configmap(AddConfigMap),
    /// Adds one or more bases to the kustomization.yaml in current directory
    Base {
        /// Comma-separated base directories.
        paths: Vec<String>,
    },
    /// Adds one or more buildMetadata options to the kustomization.yaml in the current directory
    Buildmetadata {
        /// Comma-separated options: originAnnotations, transformerAnnotations, managedByLabel.
        options: Vec<String>,
    },
    /// Adds one or more commonLabels to kustomization.yaml
    Label {
        /// Overwrite commonLabel if it already exists.
        #[arg(short = 'f', long = "force", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value_t = false, action = clap::ArgAction::Set)]
        force: bool,
        /// Using add labels without selector option.
        #[arg(long = "without-selector", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value_t = false, action = clap::ArgAction::Set)]
        without_selector: bool,
        /// Include labels in templates (requires --without-selector).
        #[arg(long = "include-templates", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value_t = false, action = clap::ArgAction::Set)]
        include_templates: bool,
        /// `key:value` pairs.
        pairs: Vec<String>,
    },
    /// Adds one or more commonAnnotations to kustomization.yaml
    Annotation {
        /// Overwrite commonAnnotation if it already exists.
        #[arg(short = 'f', long = "force", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value_t = false, action = clap::ArgAction::Set)]
        force: bool,
        /// `key:value` pairs.
        pairs: Vec<String>,
    },
    /// Add the name of a file containing a transformer configuration to the kustomization file
    Transformer {
        /// Files (globs are expanded).
        paths: Vec<String>,
    },
    /// Add the name of a file containing a generator configuration to the kustomization file
    Generator {
        /// Files (globs are expanded).
        paths: Vec<String>,
    },
}

/// The flags of `edit add patch` and `edit remove patch`: a patch and its target.
#[derive(Debug, Args)]
pub struct PatchArgs {
    /// Path to the patch file. Cannot be used with --patch at the same time.
    #[arg(long = "path", default_value = "")]
    pub path: String,
    /// Literal string of patch content. Cannot be used with --path at the same time.
    #[arg(long = "patch", default_value = "", allow_hyphen_values = true)]
    pub patch: String,
    /// API group in patch target
    #[arg(long = "group", default_value = "")]
    pub group: String,
    /// API version in patch target
    #[arg(long = "version", default_value = "")]
    pub version: String,
    /// Resource kind in patch target
    #[arg(long = "kind", default_value = "")]
    pub kind: String,
    /// Resource name in patch target
    #[arg(long = "name", default_value = "")]
    pub name: String,
    /// Resource namespace in patch target
    #[arg(long = "namespace", default_value = "")]
    pub namespace: String,
    /// annotationSelector in patch target
    #[arg(long = "annotation-selector", default_value = "")]
    pub annotation_selector: String,
    /// labelSelector in patch target
    #[arg(long = "label-selector", default_value = "")]
    pub label_selector: String,
    /// Ignored.
    #[arg(hide = true)]
    pub rest: Vec<String>,
}

impl PatchArgs {
    /// The patch the flags describe (no target when every target flag is empty).
    pub fn patch(&self) -> Patch {
        let target = Selector {
            group: self.group.clone(),
            version: self.version.clone(),
            kind: self.kind.clone(),
            name: self.name.clone(),
            namespace: self.namespace.clone(),
            annotation_selector: self.annotation_selector.clone(),
            label_selector: self.label_selector.clone(),
        };
        Patch {
            path: self.path.clone(),
            patch: self.patch.clone(),
            target: (target != Selector::default()).then_some(target),
            options: Default::default(),
        }
    }

    /// `--patch` and `--path` exclude each other.
    pub fn check_exclusive(&self) -> Result<(), String> {
        if !self.patch.is_empty() && !self.path.is_empty() {
            return Err("patch and path can't be set at the same time".into());
        }
        Ok(())
    }
}

impl Add {
    /// Runs the subcommand in `dir`.
    pub fn run(&self, dir: &Path) -> Result<(), String> {
        match self {
            Add::Resource { no_verify, paths } => {
                if paths.is_empty() {
                    return Err("must specify a resource file".into());
                }
                let found = glob_or_root(dir, paths, *no_verify)?;
                if found.is_empty() {
                    return Ok(());
                }
                add_paths(dir, &found, "resource", true, |k| &mut k.resources)
            }
            Add::Component { paths } => {
                if paths.is_empty() {
                    return Err("must specify a component file".into());
                }
                let found = glob_or_root(dir, paths, false)?;
                if found.is_empty() {
                    return Ok(());
                }
                add_paths(dir, &found, "component", true, |k| &mut k.components)
            }
            Add::Transformer { paths } => {
                add_plugins(dir, paths, "transformer", |k| &mut k.transformers)
            }
            Add::Generator { paths } => add_plugins(dir, paths, "generator", |k| &mut k.generators),
            Add::Base { paths } => {
                let [arg] = paths.as_slice() else {
                    return Err("must specify a base directory".into());
                };
                update(dir, |k| {
                    for p in arg.split(',') {
                        if p.is_empty() || std::fs::metadata(dir.join(p)).is_err() {
                            return Err(format!("{p} does not exist"));
                        }
                        if k.resources.iter().any(|r| r == p) {
                            return Err(format!("base {p} already in kustomization file"));
                        }
                        k.resources.push(p.to_string());
                    }
                    Ok(())
                })
            }
            Add::Buildmetadata { options } => {
                let opts = build_metadata_options(options)?;
                update(dir, |k| {
                    for o in opts {
                        if k.build_metadata.contains(&o) {
                            return Err(format!(
                                "buildMetadata option {o} already in kustomization file"
                            ));
                        }
                        k.build_metadata.push(o);
                    }
                    Ok(())
                })
            }
            Add::Patch(p) => {
                p.check_exclusive()?;
                if p.patch.is_empty() && p.path.is_empty() {
                    return Err("must provide either patch or path".into());
                }
                let (file, mut k) = super::load(dir)?;
                let new = p.patch();
                if k.patches.contains(&new) {
                    log(&format!("patch {new:?} already in kustomization file"));
                    return Ok(());
                }
                k.patches.push(new);
                file.write(&k)
            }
            Add::Annotation { force, pairs } => {
                if pairs.is_empty() {
                    return Err("must specify annotation".into());
                }
                let pairs = parse_pairs(pairs, "annotation")?;
                update(dir, |k| {
                    let map = k.common_annotations.get_or_insert_with(StringMap::new);
                    add_to_map(map, pairs, *force, "annotation")
                })
            }
            Add::Label {
                force,
                without_selector,
                include_templates,
                pairs,
            } => {
                if pairs.is_empty() {
                    return Err("must specify label".into());
                }
                if *include_templates && !*without_selector {
                    return Err(
                        "--without-selector flag must be specified for --include-templates to work"
                            .into(),
                    );
                }
                let pairs = parse_pairs(pairs, "label")?;
                update(dir, |k| {
                    if !*without_selector {
                        let map = k.common_labels.get_or_insert_with(StringMap::new);
                        return add_to_map(map, pairs, *force, "label");
                    }
                    add_labels_without_selector(&mut k.labels, &pairs, *force, *include_templates)
                })
            }
            Add::Secret(s) => s.run(dir),
            Add::Configmap(c) => c.run(dir),
        }
    }
}

/// `add transformer` / `add generator`: the files the patterns match, appended.
fn add_plugins(
    dir: &Path,
    paths: &[String],
    what: &str,
    field: fn(&mut Kustomization) -> &mut Vec<String>,
) -> Result<(), String> {
    if paths.is_empty() {
        return Err(format!(
            "must specify a yaml file which contains a {what} plugin resource"
        ));
    }
    let found = glob_patterns(dir, paths)?;
    if found.is_empty() {
        return Ok(());
    }
    add_paths(dir, &found, what, false, field)
}

/// `key:value` arguments, sorted by key (upstream visits them in Go's random map order).
fn parse_pairs(args: &[String], kind: &str) -> Result<Vec<(String, String)>, String> {
    let items: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut pairs = key_value_map(&items, kind)?;
    pairs.sort();
    Ok(pairs)
}

fn add_to_map(
    map: &mut StringMap,
    pairs: Vec<(String, String)>,
    force: bool,
    kind: &str,
) -> Result<(), String> {
    for (key, value) in pairs {
        if map.contains_key(&key) && !force {
            return Err(format!(
                "{kind} {key} already in kustomization file. Use --force to override."
            ));
        }
        map.insert(key, value);
    }
    Ok(())
}

/// `add label --without-selector`: into the first `labels` entry without selectors and
/// with the same `includeTemplates`, or a new entry. Upstream's new entry takes every pair
/// at once, so with several pairs and no `--force` the second pair then finds itself
/// already there and fails (kubernetes-sigs/kustomize#5978); that is reproduced.
fn add_labels_without_selector(
    labels: &mut Vec<Label>,
    pairs: &[(String, String)],
    force: bool,
    include_templates: bool,
) -> Result<(), String> {
    for (key, value) in pairs {
        let found = labels
            .iter_mut()
            .find(|l| !l.include_selectors && l.include_templates == include_templates);
        if let Some(l) = found {
            if l.pairs.contains_key(key) && !force {
                return Err(format!(
                    "label {key} already in kustomization file. Use --force to override."
                ));
            }
            l.pairs.insert(key.clone(), value.clone());
            continue;
        }
        labels.push(Label {
            pairs: pairs.iter().cloned().collect(),
            include_selectors: false,
            include_templates,
            fields: Vec::new(),
        });
    }
    Ok(())
}

/// Appends `paths` to a list field, skipping (with upstream's log line) those already
/// there and, for resources and components, the kustomization file itself.
fn add_paths(
    dir: &Path,
    paths: &[String],
    what: &str,
    skip_self: bool,
    field: impl Fn(&mut Kustomization) -> &mut Vec<String>,
) -> Result<(), String> {
    let (file, mut k) = super::load(dir)?;
    let own = file
        .path()
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let list = field(&mut k);
    for p in paths {
        if skip_self && *p == own {
            continue;
        }
        if list.contains(p) {
            log(&format!("{what} {p} already in kustomization file"));
            continue;
        }
        list.push(p.clone());
    }
    file.write(&k)
}

/// Upstream's `GlobPatterns`: every pattern's matches; a pattern without any is logged
/// and skipped.
fn glob_patterns(dir: &Path, patterns: &[String]) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for p in patterns {
        let found = glob_visible(dir, p)?;
        if found.is_empty() {
            log(&format!("{p} has no match"));
        }
        out.extend(found);
    }
    Ok(out)
}

/// Upstream's `GlobPatternsWithLoader`: every pattern's matches; a pattern without any must
/// be a remote base (kept as written); `skip` keeps every pattern as written.
pub(crate) fn glob_or_root(
    dir: &Path,
    patterns: &[String],
    skip: bool,
) -> Result<Vec<String>, String> {
    if skip {
        return Ok(patterns.to_vec());
    }
    let mut out = Vec::new();
    for p in patterns {
        let found =
            glob_visible(dir, p).map_err(|e| format!("error checking the filesystem: {e}"))?;
        if !found.is_empty() {
            out.extend(found);
            continue;
        }
        let why = if p.is_empty() {
            "new root cannot be empty".to_string()
        } else if p.starts_with('/') {
            format!("new root '{p}' cannot be absolute")
        } else if let Ok(spec) = kustomize::remote::RepoSpec::parse(p) {
            // Upstream opens a loader at it, which clones the repository.
            match crate::remote(None, false).fetch_repo(&spec, spec.timeout) {
                Ok(repo) if repo.dir.join(&spec.kust_root_path).is_dir() => {
                    out.push(p.clone());
                    continue;
                }
                Ok(_) => format!(
                    "must build at directory: not a valid directory: '{}' doesn't exist",
                    spec.kust_root_path
                ),
                Err(e) => e.to_string(),
            }
        } else {
            format!("must build at directory: not a valid directory: '{p}' doesn't exist")
        };
        return Err(format!("{p} has no match: {why}"));
    }
    Ok(out)
}
