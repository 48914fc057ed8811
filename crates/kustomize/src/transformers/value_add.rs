//! `ValueAddTransformer` (builtin plugin config): puts a value (default: the
//! kustomization directory's name) into a field of selected resources; `metadata/namespace`
//! means the namespace filter, and `filePathPosition` inserts the value as a path part
//! into the field's current value instead of replacing it.

use kustomize_yaml::{Mapping, Value};
use serde::Deserialize;

use super::namespace::{NamespaceTransformer, SubjectMode};
use super::Transformer;
use crate::fieldspec::split_path;
use crate::kustomization::Selector;
use crate::loader::Loader;
use crate::resmap::ResMap;
use crate::resource::scalar_text;
use crate::Error;

/// One target: which resources (all when no selector), which field.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ValueAddTarget {
    /// Which resources.
    pub selector: Option<Selector>,
    /// `/`-separated field path.
    pub field_path: String,
    /// 1-based path position to insert the value at (0: replace the value).
    pub file_path_position: i64,
}

/// The plugin config.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ValueAddConfig {
    /// The value.
    pub value: String,
    /// The targets.
    pub targets: Vec<ValueAddTarget>,
    /// A file holding more `targets`.
    pub target_file_path: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TargetsFile {
    targets: Vec<ValueAddTarget>,
}

/// Adds a value to fields.
#[derive(Debug, Clone)]
pub struct ValueAddTransformer {
    value: String,
    targets: Vec<ValueAddTarget>,
}

fn err(message: impl Into<String>) -> Error {
    Error::Transform {
        transformer: "ValueAddTransformer",
        message: message.into(),
    }
}

impl ValueAddTransformer {
    /// Checks the config as upstream does.
    pub fn new(config: ValueAddConfig, loader: &Loader) -> Result<Self, Error> {
        let mut value = config.value.trim().to_owned();
        if value.is_empty() {
            value = loader
                .root()
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
        }
        let mut targets = config.targets;
        if !config.target_file_path.is_empty() {
            let (doc, file) =
                loader.load_document(&config.target_file_path, kustomize_yaml::Schema::Yaml11)?;
            let more: TargetsFile = kustomize_yaml::de::from_value_lenient(&doc)
                .map_err(|e| err(format!("{}: {e}", file.display())))?;
            targets.extend(more.targets);
        }
        if targets.is_empty() {
            return Err(err("must specify at least one target"));
        }
        for t in &targets {
            if t.field_path.is_empty() {
                return Err(err("fieldPath cannot be empty"));
            }
            if t.file_path_position < 0 {
                return Err(err(format!(
                    "value of FilePathPosition ({}) cannot be negative",
                    t.file_path_position
                )));
            }
        }
        Ok(ValueAddTransformer { value, targets })
    }
}

impl Transformer for ValueAddTransformer {
    fn transform(&self, resources: &mut ResMap) -> Result<(), Error> {
        for t in &self.targets {
            let selected: Vec<usize> = match &t.selector {
                Some(s) => resources.select(s)?,
                None => (0..resources.len()).collect(),
            };
            for i in selected {
                let Some(r) = resources.get_mut(i) else {
                    continue;
                };
                if t.field_path == "metadata/namespace" {
                    NamespaceTransformer {
                        namespace: self.value.clone(),
                        field_specs: Vec::new(),
                        subjects: SubjectMode::DefaultOnly,
                        unset_only: false,
                    }
                    .apply(r)?;
                    continue;
                }
                let fields = split_path(&t.field_path, '/');
                let node = lookup_create(r.value_mut(), &fields)?;
                let new = if t.file_path_position > 0 {
                    insert_path_part(
                        &scalar_text(Some(node)),
                        t.file_path_position as usize - 1,
                        &self.value,
                    )
                } else {
                    self.value.clone()
                };
                *node = Value::from(new);
            }
        }
        Ok(())
    }
}

/// The scalar at `fields`, creating maps on the way and an empty scalar at the end.
fn lookup_create<'a>(mut node: &'a mut Value, fields: &[String]) -> Result<&'a mut Value, Error> {
    for (i, f) in fields.iter().enumerate() {
        let last = i + 1 == fields.len();
        if node.is_null() {
            *node = Value::Map(Mapping::default());
        }
        let Value::Map(m) = node else {
            return Err(err(format!("wrong node kind at '{f}': expected a map")));
        };
        node = m.entry(f.clone()).or_insert_with(|| {
            if last {
                Value::from(String::new())
            } else {
                Value::Map(Mapping::default())
            }
        });
    }
    if matches!(node, Value::Map(_) | Value::Seq(_)) {
        return Err(err("wrong node kind: expected ScalarNode"));
    }
    Ok(node)
}

/// Upstream's `filesys.InsertPathPart`: `part` inserted as the `pos`-th path element
/// (absolute paths keep their leading `/`).
pub fn insert_path_part(path: &str, pos: usize, part: &str) -> String {
    if part.is_empty() {
        return path.to_owned();
    }
    let absolute = path.starts_with('/');
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let pos = pos.min(parts.len());
    let mut out: Vec<&str> = parts[..pos].to_vec();
    out.push(part);
    out.extend_from_slice(&parts[pos..]);
    let joined = out.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::insert_path_part;

    #[test]
    fn inserts_path_parts() {
        assert_eq!(insert_path_part("a/b/c", 0, "x"), "x/a/b/c");
        assert_eq!(insert_path_part("/a/b", 1, "x"), "/a/x/b");
        assert_eq!(insert_path_part("a", 9, "x"), "a/x");
        assert_eq!(insert_path_part("", 0, "x"), "x");
    }
}
