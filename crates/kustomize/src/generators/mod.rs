//! The builtin generators, one per module, and the key-value sources they share.
//!
//! Generated resources carry their `behavior` and whether they take a name hash suffix;
//! the accumulator merges or replaces by behavior ([`crate::target`]) and the top-level
//! build adds the hash ([`crate::transformers::hash`]).

pub mod configmap;
pub mod helm_chart;
pub mod iam_policy;
pub mod kv;
pub mod secret;

use std::collections::BTreeMap;

use kustomize_yaml::{Mapping, Value};

use crate::kustomization::GeneratorOptions;
use crate::resource::Resource;
use crate::Error;

/// How a generated resource meets one of the same id already accumulated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Behavior {
    /// Unset: like `create`.
    #[default]
    Unspecified,
    /// `create`: an existing one is an error.
    Create,
    /// `replace`: takes the place of the existing one, keeping its name and metadata.
    Replace,
    /// `merge`: data and metadata merged into the existing one.
    Merge,
}

impl Behavior {
    /// Parses a `behavior:` value as upstream does (anything unknown is unspecified).
    pub fn parse(s: &str) -> Behavior {
        match s {
            "create" => Behavior::Create,
            "replace" => Behavior::Replace,
            "merge" => Behavior::Merge,
            _ => Behavior::Unspecified,
        }
    }
}

/// Produces resources.
pub trait Generator {
    /// The generated resources.
    fn generate(&self) -> Result<Vec<Resource>, Error>;
}

/// Upstream's `MergeGlobalOptionsIntoLocal`: the kustomization's `generatorOptions` fill in
/// what a generator's own `options` leave unset; the booleans are or-ed.
pub fn merge_options(
    local: Option<&GeneratorOptions>,
    global: Option<&GeneratorOptions>,
) -> Option<GeneratorOptions> {
    let Some(global) = global else {
        return local.cloned();
    };
    let mut out = local.cloned().unwrap_or_default();
    for (k, v) in &global.labels {
        out.labels.entry(k.clone()).or_insert_with(|| v.clone());
    }
    for (k, v) in &global.annotations {
        out.annotations
            .entry(k.clone())
            .or_insert_with(|| v.clone());
    }
    out.disable_name_suffix_hash |= global.disable_name_suffix_hash;
    out.immutable |= global.immutable;
    Some(out)
}

/// `apiVersion: v1`, the kind, and `metadata` with name, namespace, and the options'
/// labels and annotations.
fn base_object(
    kind: &str,
    name: &str,
    namespace: &str,
    options: Option<&GeneratorOptions>,
) -> Result<Mapping, Error> {
    if name.is_empty() {
        return Err(Error::Generator {
            generator: kind.to_owned(),
            message: format!("a {} must have a name", kind.to_lowercase()),
        });
    }
    let mut metadata = Mapping::default();
    metadata.insert("name", Value::from(name));
    if !namespace.is_empty() {
        metadata.insert("namespace", Value::from(namespace));
    }
    if let Some(o) = options {
        if !o.labels.is_empty() {
            metadata.insert("labels", string_map(&o.labels));
        }
        if !o.annotations.is_empty() {
            metadata.insert("annotations", string_map(&o.annotations));
        }
    }
    let mut obj = Mapping::default();
    obj.insert("apiVersion", Value::from("v1"));
    obj.insert("kind", Value::from(kind));
    obj.insert("metadata", Value::Map(metadata));
    Ok(obj)
}

fn string_map(m: &BTreeMap<String, String>) -> Value {
    Value::Map(
        m.iter()
            .map(|(k, v)| (k.clone(), Value::from(v.clone())))
            .collect(),
    )
}

/// Marks a generated resource as upstream's resource factory does.
fn finish(obj: Mapping, options: Option<&GeneratorOptions>, behavior: &str) -> Resource {
    let mut obj = obj;
    if options.is_some_and(|o| o.immutable) {
        obj.insert("immutable", Value::Bool(true));
    }
    let mut r = Resource::new(Value::Map(obj));
    r.set_needs_hash(!options.is_some_and(|o| o.disable_name_suffix_hash));
    r.set_behavior(Behavior::parse(behavior));
    r
}

/// Base64 as upstream's `encodeBase64` writes it: standard alphabet with padding, and
/// when the encoding is 70 characters or longer, a newline after every 70 characters and
/// at the end.
pub fn encode_base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut enc = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                enc.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                enc.push('=');
            }
        }
    }
    const LINE: usize = 70;
    if enc.len() < LINE {
        return enc;
    }
    let mut out = String::with_capacity(enc.len() + enc.len() / LINE + 1);
    for line in enc.as_bytes().chunks(LINE) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::encode_base64;

    #[test]
    fn base64_wraps_at_seventy() {
        assert_eq!(encode_base64(b"hello"), "aGVsbG8=");
        assert_eq!(encode_base64(b""), "");
        let long = encode_base64(&[b'a'; 60]);
        assert_eq!(long.lines().next().unwrap().len(), 70);
        assert!(long.ends_with('\n'));
    }
}
