//! Builtin transformer plugin configs given through `transformers:` (`apiVersion: builtin`,
//! `kind: LabelTransformer`, ...). Each config is decoded as upstream decodes it (fields
//! matched case-insensitively, unknown fields ignored) into the same transformer the
//! kustomization fields use; only the config's own `fieldSpecs` apply.

use std::collections::BTreeMap;

use kustomize_yaml::de::from_value_lenient;
use serde::Deserialize;

use super::annotations::AnnotationsTransformer;
use super::exec_function::{ExecFunction, PluginOptions};
use super::hash::HashTransformer;
use super::image_tag::ImageTagTransformer;
use super::labels::LabelTransformer;
use super::namespace::{NamespaceTransformer, SubjectMode};
use super::patch::PatchTransformer;
use super::patch_json6902::PatchJson6902Transformer;
use super::patch_strategic_merge::PatchStrategicMergeTransformer;
use super::prefix_suffix::{Affix, PrefixSuffixTransformer};
use super::replacement::ReplacementTransformer;
use super::replica_count::ReplicaCountTransformer;
use super::value_add::{ValueAddConfig, ValueAddTransformer};
use super::Transformer;
use crate::fieldspec::FieldSpec;
use crate::generators::configmap::ConfigMapGenerator;
use crate::generators::helm_chart::{HelmChartGenerator, HelmOptions};
use crate::generators::iam_policy::IamPolicyGenerator;
use crate::generators::secret::SecretGenerator;
use crate::generators::Generator;
use crate::kustomization::{
    FieldSpec as RawFieldSpec, GeneratorArgs, HelmChart, HelmGlobals, Image, Patch,
    ReplacementField, Replica, Selector,
};
use crate::loader::Loader;
use crate::patch::schema::Schema;
use crate::resource::Resource;
use crate::Error;
use std::sync::Arc;

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Config {
    path: String,
    patch: String,
    target: Option<Selector>,
    options: BTreeMap<String, bool>,
    paths: Vec<String>,
    patches: String,
    json_op: String,
    replacements: Vec<ReplacementField>,
    prefix: String,
    suffix: String,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
    metadata: Metadata,
    unset_only: bool,
    set_role_binding_subjects: String,
    image_tag: Image,
    replica: Replica,
    field_specs: Vec<RawFieldSpec>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Metadata {
    name: String,
    namespace: String,
}

/// The config's `metadata`, for a generator plugin's default name and namespace.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WithMetadata {
    metadata: Metadata,
}

/// The resources a builtin generator plugin config generates.
pub fn generate(
    res: &Resource,
    loader: &Loader,
    helm: &HelmOptions,
    plugins: PluginOptions,
) -> Result<Vec<Resource>, Error> {
    let gvk = res.gvk();
    let id = res.org_id();
    if !(gvk.group.is_empty() && gvk.version == "builtin") {
        return ExecFunction::from_config(res, loader, plugins)?.generate();
    }
    let bad = |e: kustomize_yaml::de::DeError| Error::Generator {
        generator: id.to_string(),
        message: format!("plugin fails configuration: {e}"),
    };
    // The generator fields sit inline beside apiVersion/kind/metadata, which the
    // lenient decoding skips.
    let mut args: GeneratorArgs = from_value_lenient(res.value()).map_err(bad)?;
    let meta: WithMetadata = from_value_lenient(res.value()).map_err(bad)?;
    if args.name.is_empty() {
        args.name = meta.metadata.name;
    }
    if args.namespace.is_empty() {
        args.namespace = meta.metadata.namespace;
    }
    let options = args.options.clone();
    if gvk.kind == "HelmChartInflationGenerator" {
        let globals: HelmGlobals = from_value_lenient(res.value()).map_err(bad)?;
        let chart: HelmChart = from_value_lenient(res.value()).map_err(bad)?;
        return HelmChartGenerator {
            loader,
            globals,
            chart,
            options: helm,
        }
        .generate();
    }
    match gvk.kind.as_str() {
        "ConfigMapGenerator" => ConfigMapGenerator {
            loader,
            args,
            options,
        }
        .generate(),
        "IAMPolicyGenerator" => from_value_lenient::<IamPolicyGenerator>(res.value())
            .map_err(bad)?
            .generate(),
        "SecretGenerator" => SecretGenerator {
            loader,
            args,
            options,
        }
        .generate(),
        // Upstream has no other builtin generators (SortOrderTransformer and the like
        // exist but cannot be loaded from a kustomization either).
        _ => Err(Error::Other(format!("unable to load builtin {gvk}"))),
    }
}

/// The transformers a builtin plugin config resource asks for.
pub fn from_config(
    res: &Resource,
    loader: &Loader,
    schema: &Arc<Schema>,
    plugins: PluginOptions,
) -> Result<Box<dyn Transformer>, Error> {
    let gvk = res.gvk();
    let id = res.org_id();
    if !(gvk.group.is_empty() && gvk.version == "builtin") {
        return Ok(Box::new(ExecFunction::from_config(res, loader, plugins)?));
    }
    let config: Config = from_value_lenient(res.value()).map_err(|e| Error::Transform {
        transformer: "builtin plugin",
        message: format!("plugin {id} fails configuration: {e}"),
    })?;
    let field_specs: Vec<FieldSpec> = config.field_specs.iter().map(FieldSpec::from).collect();
    let prefix = || PrefixSuffixTransformer {
        affix: Affix::Prefix(config.prefix.clone()),
        field_specs: field_specs.clone(),
    };
    let suffix = || PrefixSuffixTransformer {
        affix: Affix::Suffix(config.suffix.clone()),
        field_specs: field_specs.clone(),
    };
    let out: Box<dyn Transformer> = match gvk.kind.as_str() {
        "PrefixTransformer" => Box::new(prefix()),
        "SuffixTransformer" => Box::new(suffix()),
        "PrefixSuffixTransformer" => Box::new(MultiTransformer(vec![
            Box::new(prefix()),
            Box::new(suffix()),
        ])),
        "LabelTransformer" => Box::new(LabelTransformer {
            labels: config.labels,
            field_specs,
        }),
        "AnnotationsTransformer" => Box::new(AnnotationsTransformer {
            annotations: config.annotations,
            field_specs,
        }),
        "NamespaceTransformer" => Box::new(NamespaceTransformer {
            namespace: config.metadata.namespace,
            field_specs,
            subjects: SubjectMode::parse(&config.set_role_binding_subjects)?,
            unset_only: config.unset_only,
        }),
        "ImageTagTransformer" => Box::new(ImageTagTransformer {
            images: vec![config.image_tag],
            field_specs,
        }),
        "PatchTransformer" => Box::new(PatchTransformer::new(
            &Patch {
                path: config.path,
                patch: config.patch,
                target: config.target,
                options: config.options,
            },
            loader,
            Arc::clone(schema),
        )?),
        "PatchStrategicMergeTransformer" => Box::new(PatchStrategicMergeTransformer::new(
            &config.paths,
            &config.patches,
            loader,
            Arc::clone(schema),
        )?),
        "PatchJson6902Transformer" => Box::new(PatchJson6902Transformer::new(
            config.target.as_ref(),
            &config.path,
            &config.json_op,
            loader,
        )?),
        "HashTransformer" => Box::new(HashTransformer),
        "ValueAddTransformer" => {
            let config: ValueAddConfig =
                from_value_lenient(res.value()).map_err(|e| Error::Transform {
                    transformer: "builtin plugin",
                    message: format!("plugin {id} fails configuration: {e}"),
                })?;
            Box::new(ValueAddTransformer::new(config, loader)?)
        }
        "ReplacementTransformer" => {
            Box::new(ReplacementTransformer::new(&config.replacements, loader)?)
        }
        "ReplicaCountTransformer" => Box::new(ReplicaCountTransformer {
            replica: config.replica,
            field_specs,
        }),
        _ => return Err(Error::Other(format!("unable to load builtin {gvk}"))),
    };
    Ok(out)
}

/// Upstream's `MultiTransformer`: transformers run in turn as one (the legacy
/// `PrefixSuffixTransformer` is a prefix and a suffix transformer), so build metadata
/// records one transformation for it.
struct MultiTransformer(Vec<Box<dyn Transformer>>);

impl Transformer for MultiTransformer {
    fn transform(&self, resources: &mut crate::ResMap) -> Result<(), Error> {
        self.0.iter().try_for_each(|t| t.transform(resources))
    }
}
