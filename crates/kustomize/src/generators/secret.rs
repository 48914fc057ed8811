//! `SecretGenerator`: `secretGenerator:` entries and the builtin plugin config.
//!
//! Every value is base64-encoded into `data` (always present, maybe empty); `type`
//! defaults to `Opaque`. Options as for ConfigMaps.

use kustomize_yaml::{Mapping, Value};

use super::kv::load_pairs;
use super::{base_object, encode_base64, finish, Generator};
use crate::kustomization::{GeneratorArgs, GeneratorOptions};
use crate::loader::Loader;
use crate::resource::Resource;
use crate::Error;

/// One Secret to generate.
#[derive(Debug, Clone)]
pub struct SecretGenerator<'a> {
    /// Where files are read.
    pub loader: &'a Loader,
    /// The entry.
    pub args: GeneratorArgs,
    /// Its options merged with the kustomization's `generatorOptions`.
    pub options: Option<GeneratorOptions>,
}

impl Generator for SecretGenerator<'_> {
    fn generate(&self) -> Result<Vec<Resource>, Error> {
        let a = &self.args;
        let mut obj = base_object("Secret", &a.name, &a.namespace, self.options.as_ref())?;
        let kind = if a.type_.is_empty() {
            "Opaque"
        } else {
            a.type_.as_str()
        };
        obj.insert("type", Value::from(kind));
        let label = format!("SecretGenerator '{}'", a.name);
        let pairs = load_pairs(self.loader, &label, &a.envs, &a.literals, &a.files)?;
        let data: Mapping = pairs
            .into_iter()
            .map(|(k, v)| (k, Value::from(encode_base64(v.bytes()))))
            .collect();
        obj.insert("data", Value::Map(data));
        Ok(vec![finish(obj, self.options.as_ref(), &a.behavior)])
    }
}
