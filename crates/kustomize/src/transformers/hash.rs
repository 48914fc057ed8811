//! `HashTransformer`: the content hash suffix of generated names, at the top level only.
//!
//! The hash is upstream's: sha256 of the Go JSON of `{"data", "kind", "name": ""}` (plus
//! `binaryData` when it is a map) for a ConfigMap, `{"data", "kind", "name": "", "type"}`
//! (plus `stringData`) for a Secret; the first 10 hex digits with `0 1 3 a e` mapped to
//! `g h k m t`. The name is always empty, so prefixes and suffixes never change the hash.

use kustomize_yaml::json::to_go_json;
use kustomize_yaml::{Mapping, Value};
use sha2::{Digest, Sha256};

use super::Transformer;
use crate::resmap::ResMap;
use crate::resource::Resource;
use crate::Error;

/// Adds `-<hash>` to the name of every resource that asks for it.
#[derive(Debug, Clone, Copy, Default)]
pub struct HashTransformer;

impl Transformer for HashTransformer {
    fn transform(&self, resources: &mut ResMap) -> Result<(), Error> {
        let stop = resources.stop();
        for (i, r) in resources.iter_mut().enumerate() {
            stop.poll(i)?;
            if !r.needs_hash() {
                continue;
            }
            let hash = content_hash(r)?;
            r.store_previous_id();
            let name = format!("{}-{hash}", r.name());
            if let Some(Value::Map(meta)) = r.value_mut().get_mut("metadata") {
                meta.insert("name", Value::from(name));
            }
        }
        Ok(())
    }
}

/// Upstream's hash of a resource's content.
pub fn content_hash(r: &Resource) -> Result<String, Error> {
    let obj = r.value();
    // A field as upstream's hasher reads it (`yaml.Lookup`, then a scalar's node text):
    // missing is "", a scalar its node's text (a null is "null"), a map through JSON
    // (numbers as float64).
    let field = |name: &str| -> Value {
        match obj.get(name) {
            None => Value::from(String::new()),
            Some(Value::Map(_)) => map_through_json(obj, name),
            Some(Value::Seq(_)) => Value::Null,
            Some(v) => Value::from(v.text().into_owned()),
        }
    };
    let mut m = Mapping::default();
    match &*r.text_at(&["kind"]) {
        "ConfigMap" => {
            m.insert("kind", Value::from("ConfigMap"));
            m.insert("name", Value::from(""));
            m.insert("data", field("data"));
            if let Some(Value::Map(_)) = obj.get("binaryData") {
                m.insert("binaryData", map_through_json(obj, "binaryData"));
            }
        }
        "Secret" => {
            m.insert("kind", Value::from("Secret"));
            m.insert("type", field("type"));
            m.insert("name", Value::from(""));
            m.insert("data", field("data"));
            if let Some(Value::Map(_)) = obj.get("stringData") {
                m.insert("stringData", map_through_json(obj, "stringData"));
            }
        }
        _ => return encode(&to_go_json(obj).map_err(hash_error)?),
    }
    encode(&to_go_json(&Value::Map(m)).map_err(hash_error)?)
}

/// The map at `obj[name]` as upstream's hasher reads it: marshalled to JSON and decoded
/// into `map[string]interface{}`, so every number is a float64 (`12345678901234567890`
/// hashes as `12345678901234567000`).
fn map_through_json(obj: &Value, name: &str) -> Value {
    let mut map = obj.get(name).cloned().unwrap_or_default();
    map.numbers_through_float64(Value::Float);
    map
}

fn hash_error(message: String) -> Error {
    Error::Transform {
        transformer: "HashTransformer",
        message,
    }
}

fn encode(json: &str) -> Result<String, Error> {
    let digest = Sha256::digest(json.as_bytes());
    Ok(digest
        .iter()
        .flat_map(|b| [b >> 4, b & 15])
        .take(10)
        .map(|n| match n {
            0 => 'g',
            1 => 'h',
            3 => 'k',
            10 => 'm',
            14 => 't',
            n => char::from_digit(u32::from(n), 16).unwrap_or('?'),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generators::kv::parse_literal;

    #[test]
    fn literal_a_b_hashes_as_upstream() {
        let (k, v) = parse_literal("a=b").unwrap();
        let mut data = Mapping::default();
        data.insert(k, Value::from(v));
        let mut obj = Mapping::default();
        obj.insert("apiVersion", "v1".into());
        obj.insert("kind", "ConfigMap".into());
        obj.insert("data", Value::Map(data));
        assert_eq!(
            content_hash(&Resource::new(Value::Map(obj))).unwrap(),
            "4h2mbtbbt6"
        );
    }
}
