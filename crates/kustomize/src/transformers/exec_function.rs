//! KRM function plugins run as executables (`--enable-alpha-plugins --enable-exec`): a
//! plugin config whose `config.kubernetes.io/function` annotation names `exec: {path}`.
//!
//! The function reads a `ResourceList` (`items` and its `functionConfig`, marked as local
//! configuration) on stdin and writes one on stdout. As a transformer, output items
//! replace the resources of the same current id, new ones are added, missing ones
//! removed; as a generator, its items are the generated resources (no name hash unless
//! annotated `kustomize.config.k8s.io/needs-hash: "true"`, behavior from
//! `kustomize.config.k8s.io/behavior`). Without `--enable-exec` exec functions are skipped,
//! as upstream skips them. Containerized functions are not supported here.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;

use kustomize_yaml::{Mapping, Value};

use super::Transformer;
use crate::generators::Behavior;
use crate::limits::Allowance;
use crate::loader::Loader;
use crate::resmap::ResMap;
use crate::resource::{resources_from_bytes_in, Resource};
use crate::Error;

/// Which plugin kinds a build may run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PluginOptions {
    /// `--enable-alpha-plugins`.
    pub alpha: bool,
    /// `--enable-exec`.
    pub exec: bool,
}

/// An exec KRM function.
#[derive(Debug, Clone)]
pub struct ExecFunction {
    path: PathBuf,
    dir: PathBuf,
    config: Value,
    name: String,
    /// `--enable-exec`: without it upstream skips exec functions (kubectl's kustomize has
    /// no such flag, so there they never run).
    enabled: bool,
    /// What the build has left of its limits: the function's output is read and parsed
    /// within them.
    allowance: Arc<Allowance>,
}

fn err(name: &str, message: impl Into<String>) -> Error {
    Error::Transform {
        transformer: "KRM function",
        message: format!("{name}: {}", message.into()),
    }
}

impl ExecFunction {
    /// The function a non-builtin plugin config asks for; an error when plugins or exec
    /// functions are not enabled, or for a containerized function.
    pub fn from_config(
        config: &Resource,
        loader: &Loader,
        options: PluginOptions,
    ) -> Result<Self, Error> {
        let name = format!(
            "api: {}, kind: {}, name: {}",
            config.api_version(),
            config.kind(),
            config.name()
        );
        if !options.alpha {
            return Err(Error::Denied {
                what: format!("external plugin '{}' ({name})", config.kind()),
                capability: crate::Capability::Plugins,
            });
        }
        let spec = config
            .annotation("config.kubernetes.io/function")
            .or_else(|| config.annotation("config.k8s.io/function"));
        let container = config.annotation("config.kubernetes.io/container");
        let Some(spec) = spec else {
            return Err(match container {
                Some(_) => err(&name, "containerized KRM functions are not supported"),
                None => err(
                    &name,
                    "exec and Go plugins without a function spec are not supported",
                ),
            });
        };
        let parsed = kustomize_yaml::parse_documents(&spec, kustomize_yaml::Schema::Yaml11)
            .map_err(|e| {
                err(
                    &name,
                    format!("config.kubernetes.io/function unmarshal error: {e}"),
                )
            })?
            .into_iter()
            .next()
            .unwrap_or_default();
        if parsed.get("container").is_some() {
            return Err(err(&name, "containerized KRM functions are not supported"));
        }
        let Some(path) = parsed.str_at(&["exec", "path"]) else {
            return Err(err(&name, "the function spec has no exec.path"));
        };
        Ok(ExecFunction {
            path: if PathBuf::from(path).is_absolute() {
                PathBuf::from(path)
            } else {
                loader.root().join(path)
            },
            dir: loader.root().to_path_buf(),
            config: config.value().clone(),
            name,
            enabled: options.exec,
            allowance: Arc::clone(loader.allowance()),
        })
    }
}

impl ExecFunction {
    /// Runs the function on `items`; its output items.
    fn run(&self, items: Vec<Value>) -> Result<Vec<Resource>, Error> {
        let mut function_config = self.config.clone();
        if let Value::Map(m) = &mut function_config {
            let meta = m
                .entry("metadata".to_owned())
                .or_insert_with(|| Value::Map(Mapping::default()));
            if let Value::Map(meta) = meta {
                let annotations = meta
                    .entry("annotations".to_owned())
                    .or_insert_with(|| Value::Map(Mapping::default()));
                if let Value::Map(a) = annotations {
                    a.insert("config.kubernetes.io/local-config", Value::from("true"));
                }
            }
        }
        let mut list = Mapping::default();
        list.insert("apiVersion", Value::from("config.kubernetes.io/v1"));
        list.insert("kind", Value::from("ResourceList"));
        list.insert("items", Value::from(items));
        list.insert("functionConfig", function_config);
        let mut input = String::new();
        kustomize_yaml::emit_document(&Value::Map(list), &mut input)
            .map_err(|e| err(&self.name, e.to_string()))?;

        let mut child = Command::new(&self.path)
            .current_dir(&self.dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                err(
                    &self.name,
                    format!("couldn't execute function {}: {e}", self.path.display()),
                )
            })?;
        // The input is written, and stderr read, on threads of their own while this one
        // reads the output: a function that writes before it has read everything must not
        // block on a full pipe while we block on its full stdin. The output may be no
        // larger than the build may still read.
        let (stdin, stdout, stderr) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take());
        let left = self.allowance.read_left();
        let (status, out, errors) = std::thread::scope(|scope| {
            if let Some(mut stdin) = stdin {
                // A function may exit without reading everything; that is its business.
                scope.spawn(move || {
                    let _ = stdin.write_all(input.as_bytes());
                });
            }
            let errors = stderr.map(|e| scope.spawn(move || read_some(e, 1 << 20)));
            let out = stdout.map(|o| read_some(o, left.saturating_add(1)));
            if out.as_ref().is_some_and(|o| o.len() as u64 > left) {
                let _ = child.kill();
            }
            let errors = errors.and_then(|t| t.join().ok()).unwrap_or_default();
            (child.wait(), out.unwrap_or_default(), errors)
        });
        let status = status.map_err(|e| err(&self.name, e.to_string()))?;
        self.allowance.read(out.len())?;
        if !status.success() {
            return Err(err(
                &self.name,
                format!(
                    "couldn't execute function: {}: {}",
                    status,
                    String::from_utf8_lossy(&errors).trim()
                ),
            ));
        }
        let text = String::from_utf8_lossy(&out);
        let docs = self
            .allowance
            .parse(&text, kustomize_yaml::Schema::Kyaml)
            .map_err(|e| match e {
                kustomize_yaml::Error::Budget(e) => e.into(),
                e => err(&self.name, format!("function output: {e}")),
            })?;
        let items: Vec<Value> = match docs.as_slice() {
            [doc] if doc.str_at(&["kind"]) == Some("ResourceList") => match doc.get("items") {
                Some(Value::Seq(items)) => items.to_vec(),
                _ => Vec::new(),
            },
            _ => docs,
        };
        let mut bytes = String::new();
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                bytes.push_str("---\n");
            }
            kustomize_yaml::emit_document(item, &mut bytes)
                .map_err(|e| err(&self.name, e.to_string()))?;
        }
        let cx = kustomize_yaml::Context {
            keys: None,
            budget: Some(self.allowance.budget()),
            first_key_wins: false,
            defer_key_errors: false,
        };
        resources_from_bytes_in(bytes.as_bytes(), &self.path, cx)
    }

    /// Runs the function as a generator.
    pub fn generate(&self) -> Result<Vec<Resource>, Error> {
        if !self.enabled {
            return Ok(Vec::new());
        }
        let mut out = self.run(Vec::new())?;
        for r in &mut out {
            let needs_hash = r
                .annotation("kustomize.config.k8s.io/needs-hash")
                .as_deref()
                == Some("true");
            let behavior = r
                .annotation("kustomize.config.k8s.io/behavior")
                .unwrap_or_default();
            remove_annotations(
                r,
                &[
                    "kustomize.config.k8s.io/needs-hash",
                    "kustomize.config.k8s.io/behavior",
                ],
            );
            r.set_needs_hash(needs_hash);
            r.set_behavior(Behavior::parse(&behavior));
        }
        Ok(out)
    }
}

/// Up to `limit` bytes of `from` (the rest is left unread).
fn read_some(from: impl Read, limit: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = from.take(limit).read_to_end(&mut out);
    out
}

fn remove_annotations(r: &mut Resource, keys: &[&str]) {
    if let Some(Value::Map(meta)) = r.value_mut().get_mut("metadata") {
        if let Some(Value::Map(a)) = meta.get_mut("annotations") {
            for k in keys {
                a.shift_remove(k);
            }
            if a.is_empty() {
                meta.shift_remove("annotations");
            }
        }
    }
}

impl Transformer for ExecFunction {
    fn rereads_resources(&self) -> bool {
        true
    }

    fn transform(&self, resources: &mut ResMap) -> Result<(), Error> {
        if !self.enabled {
            return Ok(());
        }
        let items: Vec<Value> = resources.iter().map(|r| r.value().clone()).collect();
        let output = self.run(items)?;
        // Upstream's `UpdateResMapValues`: resources the output keeps are updated in
        // place, new ones appended, the rest removed.
        let mut seen = std::collections::HashSet::new();
        let mut old: Vec<Option<Resource>> = std::mem::take(resources)
            .into_resources()
            .into_iter()
            .map(Some)
            .collect();
        let by_id: std::collections::HashMap<crate::resid::IdKey, usize> = old
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.as_ref().map(|r| (r.cur_id().key(), i)))
            .collect();
        let mut kept = vec![false; old.len()];
        let mut added = Vec::new();
        for r in output {
            let key = r.cur_id().key();
            if !seen.insert(key.clone()) {
                return Err(err(
                    &self.name,
                    format!("plugin generated duplicate resource: {}", r.cur_id()),
                ));
            }
            match by_id.get(&key) {
                Some(&i) => {
                    if let Some(existing) = old[i].as_mut() {
                        *existing.value_mut() = r.into_value();
                    }
                    kept[i] = true;
                }
                None => added.push(r),
            }
        }
        let mut next = ResMap::new();
        for (i, r) in old.iter_mut().enumerate() {
            if let (true, Some(r)) = (kept[i], r.take()) {
                next.append(r)?;
            }
        }
        for r in added {
            next.append(r)?;
        }
        *resources = next;
        Ok(())
    }
}
