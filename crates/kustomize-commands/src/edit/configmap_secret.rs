//! `edit add configmap|secret` and `edit set configmap|secret`: a generator entry found by
//! name and namespace (or made), changed from the flags, and checked by generating it as a
//! build would before the file is written.

use std::path::Path;
use std::sync::Arc;

use clap::Args;
use kustomize::fs::DiskFs;
use kustomize::unstable::generators::configmap::ConfigMapGenerator;
use kustomize::unstable::generators::secret::SecretGenerator;
use kustomize::unstable::generators::{merge_options, Generator};
use kustomize::unstable::kustomization::{GeneratorArgs, GeneratorOptions, Kustomization};
use kustomize::unstable::loader::Loader;
use kustomize::{Limits, LoadRestrictor};

use super::{go_list, log, namespace_equal};
use crate::glob::glob_visible;
use crate::kustfile::KustFile;

/// `edit add configmap` flags.
#[derive(Debug, Args)]
pub struct AddConfigMap {
    #[command(flatten)]
    common: AddFlags,
    /// Specify the behavior for config map generation, i.e whether to create a new configmap
    /// (the default), to merge with a previously defined one, or to replace an existing one.
    #[arg(long = "behavior", default_value = "")]
    behavior: String,
}

/// `edit add secret` flags.
#[derive(Debug, Args)]
pub struct AddSecret {
    #[command(flatten)]
    common: AddFlags,
    /// Specify the secret type this can be 'Opaque' (default), or 'kubernetes.io/tls'
    #[arg(long = "type", default_value = "Opaque")]
    type_: String,
}

/// The flags `add configmap` and `add secret` share.
#[derive(Debug, Args)]
struct AddFlags {
    /// Key file can be specified using its file path, in which case file basename will be
    /// used as the key, or optionally with a key and file path, in which case the given key
    /// will be used. Specifying a directory will iterate each named file in the directory
    /// whose basename is a valid key.
    #[arg(long = "from-file", value_delimiter = ',')]
    from_file: Vec<String>,
    /// Specify a key and literal value to insert (i.e. mykey=somevalue)
    #[arg(long = "from-literal", allow_hyphen_values = true)]
    from_literal: Vec<String>,
    /// Specify the path to a file to read lines of key=val pairs (i.e. a Docker .env file).
    #[arg(long = "from-env-file", default_value = "")]
    from_env_file: String,
    /// Specify the namespace
    #[arg(long = "namespace", default_value = "")]
    namespace: String,
    /// Disable the name suffix
    #[arg(long = "disableNameSuffixHash", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value_t = false, action = clap::ArgAction::Set)]
    disable_name_suffix_hash: bool,
    /// The name.
    names: Vec<String>,
}

/// `edit set configmap` flags.
#[derive(Debug, Args)]
pub struct SetConfigMap {
    #[command(flatten)]
    common: SetFlags,
}

/// `edit set secret` flags.
#[derive(Debug, Args)]
pub struct SetSecret {
    #[command(flatten)]
    common: SetFlags,
}

/// The flags `set configmap` and `set secret` share.
#[derive(Debug, Args)]
struct SetFlags {
    /// Specify an existing key and a new value to update (i.e. mykey=newvalue)
    #[arg(long = "from-literal", allow_hyphen_values = true)]
    from_literal: Vec<String>,
    /// Current namespace of the target
    #[arg(long = "namespace", default_value = "")]
    namespace: String,
    /// New namespace value for the target
    #[arg(long = "new-namespace", default_value = "")]
    new_namespace: String,
    /// The name.
    names: Vec<String>,
}

/// Which generator list.
#[derive(Clone, Copy)]
enum Kind {
    ConfigMap,
    Secret,
}

impl Kind {
    fn word(self) -> &'static str {
        match self {
            Kind::ConfigMap => "configmap",
            Kind::Secret => "secret",
        }
    }
    fn title(self) -> &'static str {
        match self {
            Kind::ConfigMap => "ConfigMap",
            Kind::Secret => "Secret",
        }
    }
    fn list(self, k: &mut Kustomization) -> &mut Vec<GeneratorArgs> {
        match self {
            Kind::ConfigMap => &mut k.config_map_generator,
            Kind::Secret => &mut k.secret_generator,
        }
    }
}

impl AddConfigMap {
    /// Runs `edit add configmap`.
    pub fn run(&self, dir: &Path) -> Result<(), String> {
        self.common.run(dir, Kind::ConfigMap, &self.behavior, None)
    }
}

impl AddSecret {
    /// Runs `edit add secret`.
    pub fn run(&self, dir: &Path) -> Result<(), String> {
        self.common.run(dir, Kind::Secret, "", Some(&self.type_))
    }
}

impl AddFlags {
    /// Upstream's `ValidateAdd` (after the file sources are expanded).
    fn validate(&self, files: &[String], behavior: &str) -> Result<(), String> {
        let fail = |m: &str| Err(format!("failed to validate flags: {m}"));
        if self.names.len() != 1 {
            return fail("name must be specified once");
        }
        let sources = !files.is_empty() || !self.from_literal.is_empty();
        if self.from_env_file.is_empty() && !sources {
            return fail("at least from-env-file, or from-file or from-literal must be set");
        }
        if !self.from_env_file.is_empty() && sources {
            return fail("from-env-file cannot be combined with from-file or from-literal");
        }
        if !behavior.is_empty() && !["create", "merge", "replace"].contains(&behavior) {
            return fail(r#"invalid behavior: must be one of "create", "merge", or "replace""#);
        }
        Ok(())
    }

    fn run(
        &self,
        dir: &Path,
        kind: Kind,
        behavior: &str,
        secret_type: Option<&str>,
    ) -> Result<(), String> {
        let files = expand_file_sources(dir, &self.from_file)
            .map_err(|e| format!("failed to expand file source: {e}"))?;
        self.validate(&files, behavior)?;
        let name = &self.names[0];
        let (file, mut k) = open(dir)?;
        let global = k.generator_options.clone();
        let list = kind.list(&mut k);
        let i = match list
            .iter()
            .position(|g| g.name == *name && namespace_equal(&g.namespace, &self.namespace))
        {
            Some(i) => i,
            None => {
                list.push(GeneratorArgs {
                    name: name.clone(),
                    namespace: self.namespace.clone(),
                    type_: secret_type.unwrap_or_default().to_string(),
                    ..GeneratorArgs::default()
                });
                list.len() - 1
            }
        };
        let entry = &mut list[i];
        entry.literals.extend(self.from_literal.iter().cloned());
        entry.files.extend(files);
        if !self.from_env_file.is_empty() {
            entry.envs.push(self.from_env_file.clone());
        }
        if self.disable_name_suffix_hash {
            entry.options = Some(GeneratorOptions {
                disable_name_suffix_hash: true,
                ..GeneratorOptions::default()
            });
        }
        if !behavior.is_empty() {
            entry.behavior = behavior.to_string();
        }
        entry.options = merge_options(entry.options.as_ref(), global.as_ref());
        check_generates(dir, kind, entry)
            .map_err(|e| format!("failed to create {}: {e}", kind.word()))?;
        file.write(&k)
            .map_err(|e| format!("failed to write kustomization file: {e}"))
    }
}

impl SetConfigMap {
    /// Runs `edit set configmap`.
    pub fn run(&self, dir: &Path) -> Result<(), String> {
        self.common.run(dir, Kind::ConfigMap)
    }
}

impl SetSecret {
    /// Runs `edit set secret`.
    pub fn run(&self, dir: &Path) -> Result<(), String> {
        self.common.run(dir, Kind::Secret)
    }
}

impl SetFlags {
    fn run(&self, dir: &Path, kind: Kind) -> Result<(), String> {
        let fail = |m: &str| Err(format!("failed to validate flags: {m}"));
        if self.names.len() != 1 {
            return fail("name must be specified once");
        }
        if self.from_literal.is_empty() && self.new_namespace.is_empty() {
            return fail("at least one of [--from-literal, --new-namespace] must be specified");
        }
        let name = &self.names[0];
        let (file, mut k) = open(dir)?;
        let global = k.generator_options.clone();
        let wrap = |e: String| format!("failed to create {}: {e}", kind.word());
        let entry = kind
            .list(&mut k)
            .iter_mut()
            .find(|g| g.name == *name && namespace_equal(&self.namespace, &g.namespace))
            .ok_or_else(|| {
                wrap(format!(
                    "could not set new {0} value: unable to find {0} with name \"{name}\"",
                    kind.title()
                ))
            })?;
        if !self.from_literal.is_empty() {
            update_literals(entry, &self.from_literal)
                .map_err(|e| wrap(format!("failed to update literal sources: {e}")))?;
        }
        if !self.new_namespace.is_empty() {
            entry.namespace = self.new_namespace.clone();
        }
        entry.options = merge_options(entry.options.as_ref(), global.as_ref());
        check_generates(dir, kind, entry).map_err(|e| {
            wrap(format!(
                "failed to validate {} structure: {e}",
                kind.title()
            ))
        })?;
        file.write(&k)
            .map_err(|e| format!("failed to write kustomization file: {e}"))
    }
}

/// Finds and reads the kustomization file, with the configmap/secret commands' messages.
fn open(dir: &Path) -> Result<(KustFile, Kustomization), String> {
    let mut file =
        KustFile::find(dir).map_err(|e| format!("failed to load kustomization file: {e}"))?;
    let k = file
        .read()
        .map_err(|e| format!("failed to read kustomization file: {e}"))?;
    Ok((file, k))
}

/// Upstream's `UpdateLiteralSources`: replaces the values of existing keys.
fn update_literals(entry: &mut GeneratorArgs, new: &[String]) -> Result<(), String> {
    fn split(lit: &str) -> Result<(String, String), String> {
        match lit.split_once('=') {
            Some((k, v)) if !v.contains('=') => Ok((k.to_string(), v.to_string())),
            _ => Err("failed to update resource: invalid format: literal values must be specified in the key=value format".into()),
        }
    }
    let mut pairs: Vec<(String, String)> = Vec::new();
    for lit in &entry.literals {
        let (k, v) = split(lit)?;
        match pairs.iter_mut().find(|(key, _)| *key == k) {
            Some(slot) => slot.1 = v,
            None => pairs.push((k, v)),
        }
    }
    for lit in new {
        let (k, v) = split(lit)?;
        let slot = pairs
            .iter_mut()
            .find(|(key, _)| *key == k)
            .ok_or_else(|| format!("key '{k}' not found in resource"))?;
        slot.1 = v;
    }
    entry.literals = pairs.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    Ok(())
}

/// Upstream's `ExpandFileSource`: `[key=]pattern` sources with the pattern globbed; a keyed
/// pattern must match exactly one file.
fn expand_file_sources(dir: &Path, sources: &[String]) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for source in sources {
        let parts: Vec<&str> = source.split('=').collect();
        let (key, pattern) = match parts.as_slice() {
            [k, p] => (*k, *p),
            _ => ("", parts[0]),
        };
        let found = glob_visible(dir, pattern)?;
        if found.is_empty() {
            log(&format!("{pattern} has no match"));
        }
        if key.is_empty() {
            out.extend(found);
        } else if let [one] = found.as_slice() {
            out.push(format!("{key}={one}"));
        } else {
            return Err(format!(
                "'pattern '{source}' catches files {}, should catch only one",
                go_list(&found)
            ));
        }
    }
    Ok(out)
}

/// Generates the entry as a build would, for its errors.
fn check_generates(dir: &Path, kind: Kind, entry: &GeneratorArgs) -> Result<(), String> {
    if entry.name.is_empty() {
        return Err("a configmap must have a name".into());
    }
    let loader = Loader::new(
        Arc::new(DiskFs),
        dir,
        LoadRestrictor::RootOnly,
        Limits::default(),
    )
    .map_err(|e| e.chain())?;
    let result = match kind {
        Kind::ConfigMap => ConfigMapGenerator {
            loader: &loader,
            args: entry.clone(),
            options: entry.options.clone(),
        }
        .generate(),
        Kind::Secret => SecretGenerator {
            loader: &loader,
            args: entry.clone(),
            options: entry.options.clone(),
        }
        .generate(),
    };
    result.map(drop).map_err(|e| match e {
        kustomize::Error::Generator { message, .. } => {
            let repeats = message.starts_with("illegally repeats the key");
            if repeats {
                format!("configmap {} {message}", entry.name)
            } else {
                format!("loading KV pairs: {message}")
            }
        }
        other => other.chain(),
    })
}
