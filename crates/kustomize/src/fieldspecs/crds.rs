//! Field specs contributed by `crds:` files (upstream's `LoadConfigFromCRDs`).
//!
//! A `crds:` file is a map of OpenAPI definitions (JSON or YAML). For every definition that
//! looks like a Kubernetes type (its properties include `kind`, `apiVersion` and
//! `metadata`), the properties are walked (following `$ref`s into other definitions):
//! `x-kubernetes-annotation` adds a `commonAnnotations` spec, `x-kubernetes-label-selector`
//! a `commonLabels` spec, `x-kubernetes-identity` a `namePrefix` spec, and
//! `x-kubernetes-object-ref-api-version` with `x-kubernetes-object-ref-kind` a name
//! reference (to the field named by `x-kubernetes-object-ref-name-key`, default `name`).

use kustomize_yaml::{Mapping, Value};

use super::{ConflictingFieldSpecs, NameBackReferences, TransformerConfig};
use crate::fieldspec::FieldSpec;
use crate::resid::Gvk;

/// The configuration a `crds:` file's definitions contribute.
pub fn config_from_definitions(doc: &Value) -> Result<TransformerConfig, String> {
    let Some(defs) = doc.as_map() else {
        return Err("expected a map of OpenAPI definitions".into());
    };
    let mut result = TransformerConfig::default();
    let mut names: Vec<&str> = defs.keys().map(|k| k.as_str()).collect();
    names.sort();
    for name in names {
        let props = properties(defs, name);
        let looks_like_type = props.is_some_and(|p| {
            p.contains_key("kind") && p.contains_key("apiVersion") && p.contains_key("metadata")
        });
        if !looks_like_type {
            continue;
        }
        let kind = name.rsplit('.').next().unwrap_or(name);
        let gvk = Gvk::new("", "", kind);
        let mut config = TransformerConfig::default();
        load(&mut config, &gvk, defs, name, &mut Vec::new(), 0).map_err(|e| e.to_string())?;
        result = result.merged(&config).map_err(|e| e.to_string())?;
    }
    Ok(result)
}

fn properties<'a>(defs: &'a Mapping, name: &str) -> Option<&'a Mapping> {
    defs.get(name)?
        .get("Schema")
        .or_else(|| defs.get(name)?.get("schema"))?
        .get("properties")?
        .as_map()
}

fn load(
    config: &mut TransformerConfig,
    gvk: &Gvk,
    defs: &Mapping,
    type_name: &str,
    path: &mut Vec<String>,
    depth: usize,
) -> Result<(), ConflictingFieldSpecs> {
    let Some(props) = properties(defs, type_name) else {
        return Ok(());
    };
    if depth > 64 {
        return Ok(());
    }
    let mut names: Vec<&str> = props.keys().map(|k| k.as_str()).collect();
    names.sort();
    for prop_name in names {
        let prop = &props[prop_name];
        let ext = |key: &str| prop.get(key).and_then(Value::as_str);
        path.push(prop_name.to_owned());
        let spec = |p: &[String]| FieldSpec {
            gvk: gvk.clone(),
            path: p.join("/").into(),
            create: false,
        };
        if ext("x-kubernetes-annotation").is_some() {
            super::merge_one(&mut config.common_annotations, spec(path))?;
        }
        if ext("x-kubernetes-label-selector").is_some() {
            super::merge_one(&mut config.common_labels, spec(path))?;
        }
        if ext("x-kubernetes-identity").is_some() {
            super::merge_one(&mut config.name_prefix, spec(path))?;
        }
        if let (Some(version), Some(kind)) = (
            ext("x-kubernetes-object-ref-api-version"),
            ext("x-kubernetes-object-ref-kind"),
        ) {
            let name_key = ext("x-kubernetes-object-ref-name-key").unwrap_or("name");
            let mut field = path.clone();
            field.push(name_key.to_owned());
            let backref = NameBackReferences {
                gvk: Gvk::new("", version, kind),
                referrers: vec![spec(&field)],
            };
            let single = TransformerConfig {
                name_reference: vec![backref],
                ..TransformerConfig::default()
            };
            *config = config.merged(&single)?;
        }
        if let Some(reference) = prop.get("$ref").and_then(Value::as_str) {
            let target = reference.trim_start_matches("#/definitions/");
            load(config, gvk, defs, target, path, depth + 1)?;
        }
        path.pop();
    }
    Ok(())
}
