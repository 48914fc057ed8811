//! `ConfigMapGenerator`: `configMapGenerator:` entries and the builtin plugin config.
//!
//! Text values go to `data`, values that are not UTF-8 to `binaryData` (base64); `data`
//! appears only when there is a text value. Options add labels, annotations and
//! `immutable`; the name takes a hash suffix unless `disableNameSuffixHash`.

use kustomize_yaml::{Mapping, Value};

use super::kv::{load_pairs, KvValue};
use super::{base_object, encode_base64, finish, Generator};
use crate::kustomization::{GeneratorArgs, GeneratorOptions};
use crate::loader::Loader;
use crate::resource::Resource;
use crate::Error;

/// One ConfigMap to generate.
#[derive(Debug, Clone)]
pub struct ConfigMapGenerator<'a> {
    /// Where files are read.
    pub loader: &'a Loader,
    /// The entry.
    pub args: GeneratorArgs,
    /// Its options merged with the kustomization's `generatorOptions`.
    pub options: Option<GeneratorOptions>,
}

impl Generator for ConfigMapGenerator<'_> {
    fn generate(&self) -> Result<Vec<Resource>, Error> {
        let a = &self.args;
        let mut obj = base_object("ConfigMap", &a.name, &a.namespace, self.options.as_ref())?;
        let label = format!("ConfigMapGenerator '{}'", a.name);
        let pairs = load_pairs(self.loader, &label, &a.envs, &a.literals, &a.files)?;
        let mut data = Mapping::default();
        let mut binary = Mapping::default();
        for (k, v) in pairs {
            match v {
                KvValue::Text(s) => data.insert(k, Value::from(s)),
                KvValue::Binary(b) => binary.insert(k, Value::from(encode_base64(&b))),
            };
        }
        if !data.is_empty() {
            obj.insert("data", Value::Map(data));
        }
        if !binary.is_empty() {
            obj.insert("binaryData", Value::Map(binary));
        }
        Ok(vec![finish(obj, self.options.as_ref(), &a.behavior)])
    }
}
