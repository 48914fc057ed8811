//! The `Kustomization` file: every field of upstream's `types.Kustomization` (v5.7.1),
//! decoded strictly as upstream decodes it.
//!
//! Upstream turns the file into JSON with go-yaml v2 (YAML 1.1 scalars: `yes` is a bool)
//! and decodes it with `encoding/json` and `DisallowUnknownFields`: field names match
//! case-insensitively, unknown fields and wrongly typed values are errors, `null` leaves a
//! field unset.

use std::collections::BTreeMap;

use kustomize_yaml::{de::from_value, Schema, Value};
use serde::Deserialize;

use crate::Error;

/// The file names a kustomization directory may use, in upstream's order.
pub const KUSTOMIZATION_FILE_NAMES: [&str; 3] =
    ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// `apiVersion` of a Kustomization.
pub const KUSTOMIZATION_VERSION: &str = "kustomize.config.k8s.io/v1beta1";
/// `apiVersion` of a Component.
pub const COMPONENT_VERSION: &str = "kustomize.config.k8s.io/v1alpha1";
/// `kind` of a Kustomization.
pub const KUSTOMIZATION_KIND: &str = "Kustomization";
/// `kind` of a Component.
pub const COMPONENT_KIND: &str = "Component";

/// A label-value map as upstream types it (`map[string]string`).
pub type StringMap = BTreeMap<String, String>;

/// A kustomization file.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct Kustomization {
    pub kind: String,
    pub api_version: String,
    pub metadata: Option<ObjectMeta>,
    pub openapi: BTreeMap<String, String>,
    pub name_prefix: String,
    pub name_suffix: String,
    pub namespace: String,
    pub common_labels: Option<StringMap>,
    pub labels: Vec<Label>,
    pub common_annotations: Option<StringMap>,
    pub patches_strategic_merge: Vec<String>,
    pub patches_json6902: Vec<Patch>,
    pub patches: Vec<Patch>,
    pub images: Vec<Image>,
    pub image_tags: Vec<Image>,
    pub replacements: Vec<ReplacementField>,
    pub replicas: Vec<Replica>,
    pub vars: Vec<Var>,
    pub sort_options: Option<SortOptions>,
    pub resources: Vec<String>,
    pub components: Vec<String>,
    pub crds: Vec<String>,
    pub bases: Vec<String>,
    #[serde(deserialize_with = "config_map_args")]
    pub config_map_generator: Vec<GeneratorArgs>,
    pub secret_generator: Vec<GeneratorArgs>,
    pub helm_globals: Option<HelmGlobals>,
    pub helm_charts: Vec<HelmChart>,
    pub helm_chart_inflation_generator: Vec<HelmChartArgs>,
    pub generator_options: Option<GeneratorOptions>,
    pub configurations: Vec<String>,
    pub generators: Vec<String>,
    pub transformers: Vec<String>,
    pub validators: Vec<String>,
    pub build_metadata: Vec<String>,
}

/// `metadata` of a kustomization file.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ObjectMeta {
    pub name: String,
    pub namespace: String,
    pub labels: StringMap,
    pub annotations: StringMap,
}

/// An entry of `labels:`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct Label {
    pub pairs: StringMap,
    pub include_selectors: bool,
    pub include_templates: bool,
    pub fields: Vec<FieldSpec>,
}

/// Where in which kinds a transformer acts: a Gvk selector and a `/`-separated path.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
#[allow(missing_docs)]
pub struct FieldSpec {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub path: String,
    pub create: bool,
}

/// An entry of `patches:` / `patchesJson6902:`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Patch {
    pub path: String,
    pub patch: String,
    pub target: Option<Selector>,
    pub options: BTreeMap<String, bool>,
}

/// A resource selector: id fields (regular expressions) plus label and annotation selectors.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct Selector {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub name: String,
    pub namespace: String,
    pub annotation_selector: String,
    pub label_selector: String,
}

/// An entry of `images:`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct Image {
    pub name: String,
    pub new_name: String,
    pub tag_suffix: String,
    pub new_tag: String,
    pub digest: String,
}

/// An entry of `replacements:`: inline, or `path` to a file of replacements.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct ReplacementField {
    pub source: Option<SourceSelector>,
    pub targets: Vec<TargetSelector>,
    pub source_value: Option<String>,
    pub path: String,
}

/// Where a replacement reads its value.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct SourceSelector {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub name: String,
    pub namespace: String,
    pub field_path: String,
    pub options: Option<FieldOptions>,
}

/// Where a replacement writes its value.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct TargetSelector {
    pub select: Option<Selector>,
    pub reject: Vec<Selector>,
    pub field_paths: Vec<String>,
    pub options: Option<FieldOptions>,
}

/// Options of a replacement source or target.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
#[allow(missing_docs)]
pub struct FieldOptions {
    pub delimiter: String,
    pub index: i64,
    pub encoding: String,
    pub create: bool,
}

/// An entry of `replicas:`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Replica {
    pub name: String,
    pub count: i64,
}

/// An entry of `vars:`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Var {
    pub name: String,
    pub objref: VarTarget,
    pub fieldref: FieldSelector,
}

/// The object a var reads.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct VarTarget {
    pub api_version: String,
    pub group: String,
    pub version: String,
    pub kind: String,
    pub name: String,
    pub namespace: String,
}

/// The field a var reads.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct FieldSelector {
    pub field_path: String,
}

/// `sortOptions:`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct SortOptions {
    pub order: String,
    pub legacy_sort_options: Option<LegacySortOptions>,
}

/// `sortOptions.legacySortOptions`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct LegacySortOptions {
    pub order_first: Vec<String>,
    pub order_last: Vec<String>,
}

/// An entry of `configMapGenerator:` or `secretGenerator:` (`type` only for secrets).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct GeneratorArgs {
    pub namespace: String,
    pub name: String,
    pub behavior: String,
    pub literals: Vec<String>,
    pub files: Vec<String>,
    pub envs: Vec<String>,
    pub env: String,
    pub options: Option<GeneratorOptions>,
    #[serde(rename = "type")]
    pub type_: String,
}

/// An entry of `configMapGenerator:`: upstream's `ConfigMapArgs`, which has no `type` (an
/// unknown field there).
#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
struct ConfigMapArgs {
    namespace: String,
    name: String,
    behavior: String,
    literals: Vec<String>,
    files: Vec<String>,
    envs: Vec<String>,
    env: String,
    options: Option<GeneratorOptions>,
}

/// `configMapGenerator:` decoded as [`ConfigMapArgs`], kept as [`GeneratorArgs`].
fn config_map_args<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<GeneratorArgs>, D::Error> {
    let args: Vec<ConfigMapArgs> = Deserialize::deserialize(d)?;
    Ok(args
        .into_iter()
        .map(|a| GeneratorArgs {
            namespace: a.namespace,
            name: a.name,
            behavior: a.behavior,
            literals: a.literals,
            files: a.files,
            envs: a.envs,
            env: a.env,
            options: a.options,
            type_: String::new(),
        })
        .collect())
}

/// `generatorOptions:` and a generator's `options:`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct GeneratorOptions {
    pub labels: StringMap,
    pub annotations: StringMap,
    pub disable_name_suffix_hash: bool,
    pub immutable: bool,
}

/// `helmGlobals:`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct HelmGlobals {
    pub chart_home: String,
    pub config_home: String,
}

/// An entry of `helmCharts:`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct HelmChart {
    pub name: String,
    pub version: String,
    pub repo: String,
    pub release_name: String,
    pub namespace: String,
    pub additional_values_files: Vec<String>,
    pub values_file: String,
    pub values_inline: Option<Value>,
    pub values_merge: String,
    #[serde(rename = "includeCRDs")]
    pub include_crds: bool,
    pub skip_hooks: bool,
    pub api_versions: Vec<String>,
    pub kube_version: String,
    pub name_template: String,
    pub skip_tests: bool,
    pub debug: bool,
    pub devel: bool,
}

/// An entry of the deprecated `helmChartInflationGenerator:`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct HelmChartArgs {
    pub chart_name: String,
    pub chart_version: String,
    #[serde(rename = "chartRepoUrl")]
    pub chart_repo_url: String,
    pub chart_home: String,
    pub chart_repo_name: String,
    pub helm_bin: String,
    pub helm_home: String,
    pub values: String,
    pub values_local: Option<Value>,
    pub values_merge: String,
    pub release_name: String,
    pub release_namespace: String,
    pub extra_args: Vec<String>,
}

/// A deprecation warning upstream prints on stderr for a field.
const DEPRECATIONS: &[(&str, &str)] = &[
    ("bases", "# Warning: 'bases' is deprecated. Please use 'resources' instead. Run 'kustomize edit fix' to update your Kustomization automatically."),
    ("commonLabels", "# Warning: 'commonLabels' is deprecated. Please use 'labels' instead. Run 'kustomize edit fix' to update your Kustomization automatically."),
    ("imageTags", "# Warning: 'imageTags' is deprecated. Please use 'images' instead. Run 'kustomize edit fix' to update your Kustomization automatically."),
    ("patchesJson6902", "# Warning: 'patchesJson6902' is deprecated. Please use 'patches' instead. Run 'kustomize edit fix' to update your Kustomization automatically."),
    ("patchesStrategicMerge", "# Warning: 'patchesStrategicMerge' is deprecated. Please use 'patches' instead. Run 'kustomize edit fix' to update your Kustomization automatically."),
    ("vars", "# Warning: 'vars' is deprecated. Please use 'replacements' instead. [EXPERIMENTAL] Run 'kustomize edit fix' to update your Kustomization automatically."),
];

/// A parsed kustomization with what upstream derives while loading it.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The typed, fixed-up kustomization (`bases` folded into `resources`, defaults set).
    pub kustomization: Kustomization,
    /// Deprecation warnings, in upstream's order.
    pub warnings: Vec<String>,
}

impl Kustomization {
    /// Whether this is a `kind: Component`.
    pub fn is_component(&self) -> bool {
        self.kind == COMPONENT_KIND
    }

    /// Parses and checks a kustomization file's content, as upstream's `KustTarget.Load`:
    /// decode strictly, collect deprecation warnings, fold deprecated fields into their
    /// successors, reject an empty file and a wrong `kind`/`apiVersion`.
    pub fn parse(
        content: &[u8],
        file: &std::path::Path,
        budget: Option<&kustomize_yaml::Budget>,
    ) -> Result<Loaded, Error> {
        let bad = |message: String| Error::InvalidKustomization {
            path: file.to_path_buf(),
            message,
        };
        let (doc, mut k) = Self::decode(content, file, budget)?;

        let present = |field: &str| {
            doc.as_map().is_some_and(|m| {
                m.iter()
                    .any(|(key, v)| !v.is_null() && key.eq_ignore_ascii_case(field))
            })
        };
        let warnings = DEPRECATIONS
            .iter()
            .filter(|(field, _)| present(field))
            .map(|(_, msg)| msg.to_string())
            .collect();

        k.fix();
        let is_empty = doc.as_map().is_none_or(|m| {
            m.iter().all(|(key, v)| {
                v.is_null()
                    || key.eq_ignore_ascii_case("kind")
                    || key.eq_ignore_ascii_case("apiVersion")
            })
        });
        if is_empty {
            return Err(bad("kustomization.yaml is empty".into()));
        }
        k.enforce_kind(file)?;
        Ok(Loaded {
            kustomization: k,
            warnings,
        })
    }

    /// Reads a kustomization file as upstream's `edit` and `create` commands do
    /// (`kustfile.Read`): decoded strictly, then `FixKustomization` (`kind` and
    /// `apiVersion` defaulted, `bases`, `imageTags`, `env` and `helmChartInflationGenerator`
    /// folded into their successors). Unlike a build, an empty file or a wrong `kind` is
    /// no error here.
    pub fn read_for_edit(content: &[u8], file: &std::path::Path) -> Result<Kustomization, Error> {
        let (_, mut k) = Self::decode(content, file, None)?;
        k.fix();
        if k.api_version.is_empty() {
            k.api_version = if k.is_component() {
                COMPONENT_VERSION
            } else {
                KUSTOMIZATION_VERSION
            }
            .into();
        }
        Ok(k)
    }

    /// Decodes a kustomization file strictly and nothing more (upstream's
    /// `Kustomization.Unmarshal`, as `localize` reads files): deprecated fields stay as
    /// written, `kind` and `apiVersion` are not defaulted.
    pub fn read_strict(content: &[u8], file: &std::path::Path) -> Result<Kustomization, Error> {
        Self::decode(content, file, None).map(|(_, k)| k)
    }

    /// The file's first document and its strict decoding (upstream's
    /// `Kustomization.Unmarshal`).
    fn decode(
        content: &[u8],
        file: &std::path::Path,
        budget: Option<&kustomize_yaml::Budget>,
    ) -> Result<(Value, Kustomization), Error> {
        let bad = |message: String| Error::InvalidKustomization {
            path: file.to_path_buf(),
            message,
        };
        let text = std::str::from_utf8(content).map_err(|e| bad(e.to_string()))?;
        let cx = kustomize_yaml::Context {
            keys: None,
            budget,
            first_key_wins: false,
            defer_key_errors: false,
        };
        let docs =
            kustomize_yaml::parse_documents_in(text, Schema::Yaml11, cx).map_err(|e| match e {
                kustomize_yaml::Error::Budget(e) => e.into(),
                e => bad(e.to_string()),
            })?;
        let doc = docs.into_iter().next().unwrap_or(Value::Null);
        if !matches!(doc, Value::Map(_) | Value::Null | Value::Blank) {
            return Err(bad(format!(
                "expected a mapping, found a {}",
                doc.type_name()
            )));
        }
        let k: Kustomization = match &doc {
            Value::Null | Value::Blank => Kustomization::default(),
            v => from_value(v).map_err(|e| bad(e.to_string()))?,
        };
        Ok((doc, k))
    }

    /// Upstream's `FixKustomization`: default `kind`/`apiVersion`, fold `bases` into
    /// `resources`, `imageTags` into `images`, `env` into `envs`.
    fn fix(&mut self) {
        if self.kind.is_empty() {
            self.kind = KUSTOMIZATION_KIND.into();
        }
        let bases = std::mem::take(&mut self.bases);
        self.resources.extend(bases);
        let tags = std::mem::take(&mut self.image_tags);
        self.images.extend(tags);
        for g in self
            .config_map_generator
            .iter_mut()
            .chain(self.secret_generator.iter_mut())
        {
            if !g.env.is_empty() {
                let env = std::mem::take(&mut g.env);
                g.envs.push(env);
            }
        }
        // The deprecated `helmChartInflationGenerator` becomes `helmCharts` (and the
        // globals, unless `helmGlobals` is set), as upstream's `SplitHelmParameters`.
        let old = std::mem::take(&mut self.helm_chart_inflation_generator);
        let mut globals = HelmGlobals::default();
        for a in &old {
            self.helm_charts.push(HelmChart {
                name: a.chart_name.clone(),
                version: a.chart_version.clone(),
                repo: a.chart_repo_url.clone(),
                values_file: a.values.clone(),
                values_inline: a.values_local.clone(),
                values_merge: a.values_merge.clone(),
                release_name: a.release_name.clone(),
                ..HelmChart::default()
            });
            if !a.helm_home.is_empty() {
                globals.config_home = a.helm_home.clone();
            }
            if !a.chart_home.is_empty() {
                globals.chart_home = a.chart_home.clone();
            }
        }
        if self.helm_globals.is_none()
            && (!globals.chart_home.is_empty() || !globals.config_home.is_empty())
        {
            self.helm_globals = Some(globals);
        }
    }

    fn enforce_kind(&self, file: &std::path::Path) -> Result<(), Error> {
        let mut errs = Vec::new();
        if self.kind != KUSTOMIZATION_KIND && self.kind != COMPONENT_KIND {
            errs.push(format!(
                "kind should be {KUSTOMIZATION_KIND} or {COMPONENT_KIND}"
            ));
        }
        let required = if self.is_component() {
            COMPONENT_VERSION
        } else {
            KUSTOMIZATION_VERSION
        };
        if !self.api_version.is_empty() && self.api_version != required {
            errs.push(format!("apiVersion for {} should be {required}", self.kind));
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(Error::InvalidKustomization {
                path: file.to_path_buf(),
                message: errs.join("\n"),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn parse(s: &str) -> Result<Loaded, Error> {
        Kustomization::parse(s.as_bytes(), Path::new("/k/kustomization.yaml"), None)
    }

    #[test]
    fn bases_fold_into_resources_with_a_warning() {
        let l = parse("resources: [a.yaml]\nbases: [../base]\n").unwrap();
        assert_eq!(l.kustomization.resources, ["a.yaml", "../base"]);
        assert_eq!(l.warnings.len(), 1);
        assert_eq!(l.kustomization.kind, "Kustomization");
    }

    #[test]
    fn empty_file_is_an_error() {
        assert!(parse("").is_err());
        assert!(parse("kind: Kustomization\n").is_err());
    }

    #[test]
    fn component_needs_its_api_version() {
        assert!(parse("kind: Component\nresources: [a]\n").is_ok());
        let e =
            parse("kind: Component\napiVersion: kustomize.config.k8s.io/v1beta1\nresources: [a]\n")
                .unwrap_err();
        assert!(e
            .to_string()
            .contains("should be kustomize.config.k8s.io/v1alpha1"));
        assert!(parse("kind: Foo\nresources: [a]\n").is_err());
    }
}
