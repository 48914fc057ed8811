//! The transformer configuration: which fields each builtin transformer touches
//! (upstream's `TransformerConfig`), from upstream's default tables, extended by a
//! kustomization's `configurations:` files (same format) and its `crds:`.
//!
//! The default tables are the `.yaml` files beside this module, one per table, as upstream
//! keeps them in `api/internal/konfig/builtinpluginconsts/`: read them to answer "which
//! fields does namePrefix touch?". As upstream does, the `commonLabels` and
//! `templateLabels` tables end with the `metadataLabels` list.

pub mod crds;

use std::collections::HashMap;

use kustomize_yaml::{de::from_value, parse_documents_in, Budget, Schema};
use serde::Deserialize;

use crate::fieldspec::FieldSpec;
use crate::kustomization::FieldSpec as RawFieldSpec;
use crate::resid::Gvk;

/// The tables as `build.rs` compiles them in.
mod generated {
    /// `(group, version, kind, index in PATHS, create)`.
    pub(super) type Spec = (&'static str, &'static str, &'static str, usize, bool);
    /// `(group, version, kind)`.
    pub(super) type Gvk = (&'static str, &'static str, &'static str);
    include!(concat!(env!("OUT_DIR"), "/default_fieldspecs.rs"));
}

/// Upstream's default tables, concatenated in upstream's order (`GetDefaultFieldSpecs`).
const DEFAULT_TABLES: &[&str] = &[
    include_str!("nameprefix.yaml"),
    include_str!("namesuffix.yaml"),
    concat!(
        include_str!("commonlabels.yaml"),
        include_str!("metadatalabels.yaml")
    ),
    concat!(
        include_str!("templatelabels.yaml"),
        include_str!("metadatalabels.yaml")
    ),
    include_str!("commonannotations.yaml"),
    include_str!("namespace.yaml"),
    include_str!("varreference.yaml"),
    include_str!("namereference.yaml"),
    include_str!("images.yaml"),
    include_str!("replicas.yaml"),
];

/// The kinds a name reference can point at, with the fields (in other resources) that
/// hold such names.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NameBackReferences {
    /// The kind referred to.
    pub gvk: Gvk,
    /// The referring fields.
    pub referrers: Vec<FieldSpec>,
}

/// Field specs per builtin transformer.
#[derive(Debug, Clone, PartialEq, Default)]
#[allow(missing_docs)]
pub struct TransformerConfig {
    pub name_prefix: Vec<FieldSpec>,
    pub name_suffix: Vec<FieldSpec>,
    pub namespace: Vec<FieldSpec>,
    pub common_labels: Vec<FieldSpec>,
    pub labels: Vec<FieldSpec>,
    pub template_labels: Vec<FieldSpec>,
    pub common_annotations: Vec<FieldSpec>,
    pub name_reference: Vec<NameBackReferences>,
    pub var_reference: Vec<FieldSpec>,
    pub images: Vec<FieldSpec>,
    pub replicas: Vec<FieldSpec>,
}

/// The file format of a configuration table (a `configurations:` file).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct ConfigFile {
    name_prefix: Vec<RawFieldSpec>,
    name_suffix: Vec<RawFieldSpec>,
    namespace: Vec<RawFieldSpec>,
    common_labels: Vec<RawFieldSpec>,
    labels: Vec<RawFieldSpec>,
    template_labels: Vec<RawFieldSpec>,
    common_annotations: Vec<RawFieldSpec>,
    name_reference: Vec<RawBackRefs>,
    var_reference: Vec<RawFieldSpec>,
    images: Vec<RawFieldSpec>,
    replicas: Vec<RawFieldSpec>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawBackRefs {
    group: String,
    version: String,
    kind: String,
    field_specs: Vec<RawFieldSpec>,
}

/// Why two configurations cannot be merged.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("conflicting fieldspecs: {0}")]
pub struct ConflictingFieldSpecs(pub String);

impl TransformerConfig {
    /// Upstream's default configuration, each table sorted (from the tables as compiled
    /// in, and sorted, by `build.rs`).
    pub fn defaults() -> TransformerConfig {
        // The tables' ~600 specs share ~100 paths: one allocation per path.
        let paths: Vec<std::sync::Arc<str>> = generated::PATHS.iter().map(|&p| p.into()).collect();
        let spec = |&(group, version, kind, path, create): &generated::Spec| FieldSpec {
            gvk: Gvk::from_static(group, version, kind),
            path: paths[path].clone(),
            create,
        };
        let mut config = TransformerConfig::default();
        for (key, specs) in generated::TABLES {
            if let Some(table) = config.table_mut(key) {
                table.extend(specs.iter().map(spec));
            }
        }
        for ((group, version, kind), referrers) in generated::NAME_REFERENCES {
            config.name_reference.push(NameBackReferences {
                gvk: Gvk::from_static(group, version, kind),
                referrers: referrers.iter().map(spec).collect(),
            });
        }
        // build.rs sorted the tables; the tests hold them to sorting at run time.
        config
    }

    /// What merging [`TransformerConfig::defaults`] (given as `defaults`) into an empty
    /// config gives, as `build.rs` worked it out: the specs it keeps, cloned.
    pub(crate) fn merged_defaults(defaults: &TransformerConfig) -> TransformerConfig {
        let mut config = TransformerConfig::default();
        for ((key, _), picks) in generated::TABLES.iter().zip(generated::MERGED_TABLES) {
            let from = defaults.table(key).unwrap_or_default();
            if let Some(table) = config.table_mut(key) {
                table.extend(picks.iter().filter_map(|&i| from.get(i).cloned()));
            }
        }
        for &(b, picks) in generated::MERGED_NAME_REFERENCES {
            let Some(first) = defaults.name_reference.get(b) else {
                continue;
            };
            let referrers = picks.iter().filter_map(|&(b, r)| {
                let backref = defaults.name_reference.get(b)?;
                backref.referrers.get(r).cloned()
            });
            config.name_reference.push(NameBackReferences {
                gvk: first.gvk.clone(),
                referrers: referrers.collect(),
            });
        }
        config
    }

    /// The table of a `configurations:` key (all but `nameReference`).
    fn table(&self, key: &str) -> Option<&[FieldSpec]> {
        Some(match key {
            "namePrefix" => &self.name_prefix,
            "nameSuffix" => &self.name_suffix,
            "namespace" => &self.namespace,
            "commonLabels" => &self.common_labels,
            "labels" => &self.labels,
            "templateLabels" => &self.template_labels,
            "commonAnnotations" => &self.common_annotations,
            "varReference" => &self.var_reference,
            "images" => &self.images,
            "replicas" => &self.replicas,
            _ => return None,
        })
    }

    fn table_mut(&mut self, key: &str) -> Option<&mut Vec<FieldSpec>> {
        Some(match key {
            "namePrefix" => &mut self.name_prefix,
            "nameSuffix" => &mut self.name_suffix,
            "namespace" => &mut self.namespace,
            "commonLabels" => &mut self.common_labels,
            "labels" => &mut self.labels,
            "templateLabels" => &mut self.template_labels,
            "commonAnnotations" => &mut self.common_annotations,
            "varReference" => &mut self.var_reference,
            "images" => &mut self.images,
            "replicas" => &mut self.replicas,
            _ => return None,
        })
    }

    /// Upstream's default configuration parsed from the tables at run time (what
    /// [`TransformerConfig::defaults`] must equal).
    pub fn defaults_parsed() -> TransformerConfig {
        let mut config = TransformerConfig::default();
        for table in DEFAULT_TABLES {
            // The tables are ours and tested below: a failure here is a bug in them.
            if let Ok(t) = TransformerConfig::parse(table) {
                config.name_prefix.extend(t.name_prefix);
                config.name_suffix.extend(t.name_suffix);
                config.namespace.extend(t.namespace);
                config.common_labels.extend(t.common_labels);
                config.labels.extend(t.labels);
                config.template_labels.extend(t.template_labels);
                config.common_annotations.extend(t.common_annotations);
                config.name_reference.extend(t.name_reference);
                config.var_reference.extend(t.var_reference);
                config.images.extend(t.images);
                config.replicas.extend(t.replicas);
            }
        }
        config.sort_fields();
        config
    }

    /// Whether no table has any spec.
    pub fn is_empty(&self) -> bool {
        *self == TransformerConfig::default()
    }

    /// Parses a configuration file (the format of `configurations:` files); each table
    /// sorted as upstream sorts it.
    pub fn parse(text: &str) -> Result<TransformerConfig, String> {
        Self::parse_in(text, None)
    }

    /// [`TransformerConfig::parse`], charging `budget` for what it parses.
    pub fn parse_in(text: &str, budget: Option<&Budget>) -> Result<TransformerConfig, String> {
        let cx = kustomize_yaml::Context {
            keys: None,
            budget,
            first_key_wins: false,
            defer_key_errors: false,
        };
        let docs = parse_documents_in(text, Schema::Yaml11, cx).map_err(|e| e.to_string())?;
        let doc = docs.into_iter().next().unwrap_or_default();
        if doc.is_null() {
            return Ok(TransformerConfig::default());
        }
        let file: ConfigFile = from_value(&doc).map_err(|e| e.to_string())?;
        let specs = |v: Vec<RawFieldSpec>| v.iter().map(FieldSpec::from).collect::<Vec<_>>();
        let mut config = TransformerConfig {
            name_prefix: specs(file.name_prefix),
            name_suffix: specs(file.name_suffix),
            namespace: specs(file.namespace),
            common_labels: specs(file.common_labels),
            labels: specs(file.labels),
            template_labels: specs(file.template_labels),
            common_annotations: specs(file.common_annotations),
            name_reference: file
                .name_reference
                .into_iter()
                .map(|b| NameBackReferences {
                    gvk: Gvk::new(b.group, b.version, b.kind),
                    referrers: specs(b.field_specs),
                })
                .collect(),
            var_reference: specs(file.var_reference),
            images: specs(file.images),
            replicas: specs(file.replicas),
        };
        config.sort_fields();
        Ok(config)
    }

    /// Upstream's `Merge`: each table is this one's specs with `input`'s merged in (a spec
    /// whose path is equal and whose Gvk is selected by one already present is dropped;
    /// the same one with another `create` is a conflict), then sorted by Gvk. The order
    /// matters: merging `[any kind]` into `[Deployment]` keeps only the Deployment spec,
    /// which is how a `configurations:` entry for one kind replaces a default for all.
    pub fn merged(
        &self,
        input: &TransformerConfig,
    ) -> Result<TransformerConfig, ConflictingFieldSpecs> {
        let table = |a: &Vec<FieldSpec>, b: &Vec<FieldSpec>| {
            let mut out = a.clone();
            merge_all(&mut out, b).map(|()| out)
        };
        let mut name_reference = self.name_reference.clone();
        // (A list with one Gvk twice merges both into the first: no shortcut for equal
        // lists here; merge_all has one for equal referrer lists.)
        for backrefs in &input.name_reference {
            match name_reference.iter_mut().find(|b| b.gvk == backrefs.gvk) {
                Some(mine) => merge_all(&mut mine.referrers, &backrefs.referrers)?,
                None => name_reference.push(backrefs.clone()),
            }
        }
        let mut merged = TransformerConfig {
            name_prefix: table(&self.name_prefix, &input.name_prefix)?,
            name_suffix: table(&self.name_suffix, &input.name_suffix)?,
            namespace: table(&self.namespace, &input.namespace)?,
            common_labels: table(&self.common_labels, &input.common_labels)?,
            labels: table(&self.labels, &input.labels)?,
            template_labels: table(&self.template_labels, &input.template_labels)?,
            common_annotations: table(&self.common_annotations, &input.common_annotations)?,
            name_reference,
            var_reference: table(&self.var_reference, &input.var_reference)?,
            images: table(&self.images, &input.images)?,
            replicas: table(&self.replicas, &input.replicas)?,
        };
        merged.sort_fields();
        Ok(merged)
    }

    /// Upstream's `sortFields`: every table by Gvk in the legacy kind order (stable here;
    /// upstream's sort is not, which only matters between specs of the same Gvk). A table
    /// already in order (most are: merges usually add nothing) is checked, not re-sorted.
    fn sort_fields(&mut self) {
        for table in [
            &mut self.name_prefix,
            &mut self.name_suffix,
            &mut self.namespace,
            &mut self.common_labels,
            &mut self.labels,
            &mut self.template_labels,
            &mut self.common_annotations,
            &mut self.var_reference,
            &mut self.images,
            &mut self.replicas,
        ] {
            if !table.is_sorted_by(|x, y| gvk_order(&x.gvk, &y.gvk).is_le()) {
                table.sort_by(|x, y| gvk_order(&x.gvk, &y.gvk));
            }
        }
        if !self
            .name_reference
            .is_sorted_by(|x, y| gvk_order(&x.gvk, &y.gvk).is_le())
        {
            self.name_reference
                .sort_by(|x, y| gvk_order(&x.gvk, &y.gvk));
        }
    }
}

/// Upstream's `Gvk.IsLessThan`: legacy kind rank, then the Gvks' sort texts (the order of
/// [`crate::kind_order::fieldspec_order_key`], which the build script sorts the default
/// tables by; sorts with it are stable, as upstream's).
fn gvk_order(a: &Gvk, b: &Gvk) -> std::cmp::Ordering {
    if a == b {
        return std::cmp::Ordering::Equal;
    }
    let rank = crate::kind_order::default_rank;
    rank(&a.kind)
        .cmp(&rank(&b.kind))
        .then_with(|| a.cmp_sort_text(b))
}

/// Upstream's `FsSlice.MergeAll`.
///
/// Only specs of the same path can be equal, so `into` is indexed by path first (the
/// builtin tables hold hundreds of specs, and every kustomization merges them). Merging a
/// table into an equal one (a base's defaults into its overlay's) adds nothing: each spec
/// finds at least itself. It only checks for conflicts then.
pub fn merge_all(
    into: &mut Vec<FieldSpec>,
    from: &[FieldSpec],
) -> Result<(), ConflictingFieldSpecs> {
    if *into == from {
        return check_merge_into_itself(from);
    }
    let mut by_path: HashMap<std::sync::Arc<str>, Vec<usize>, foldhash::fast::RandomState> =
        HashMap::default();
    for (i, x) in into.iter().enumerate() {
        by_path.entry(x.path.clone()).or_default().push(i);
    }
    for spec in from {
        let same_path = by_path.entry(spec.path.clone()).or_default();
        match same_path
            .iter()
            .map(|&i| &into[i])
            .find(|x| x.effectively_equals(spec))
        {
            Some(x) if x.create != spec.create => {
                return Err(ConflictingFieldSpecs(spec.path.to_string()))
            }
            Some(_) => {}
            None => {
                same_path.push(into.len());
                into.push(spec.clone());
            }
        }
    }
    Ok(())
}

/// What [`merge_all`] of `table` into a copy of itself reports: each spec is matched by the
/// first spec of its path that it selects, at its own position or before; a match with
/// another `create` is a conflict (possible where a spec for one kind precedes one for any
/// kind). Nothing is added.
fn check_merge_into_itself(table: &[FieldSpec]) -> Result<(), ConflictingFieldSpecs> {
    for (j, spec) in table.iter().enumerate() {
        let first = table[..j].iter().find(|x| x.effectively_equals(spec));
        if first.is_some_and(|x| x.create != spec.create) {
            return Err(ConflictingFieldSpecs(spec.path.to_string()));
        }
    }
    Ok(())
}

/// Upstream's `FsSlice.MergeOne`.
pub fn merge_one(into: &mut Vec<FieldSpec>, spec: FieldSpec) -> Result<(), ConflictingFieldSpecs> {
    match into.iter().find(|x| x.effectively_equals(&spec)) {
        Some(x) if x.create != spec.create => Err(ConflictingFieldSpecs(spec.path.to_string())),
        Some(_) => Ok(()),
        None => {
            into.push(spec);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiled_tables_equal_the_parsed_ones() {
        assert_eq!(
            TransformerConfig::defaults(),
            TransformerConfig::defaults_parsed()
        );
    }

    #[test]
    fn compiled_merged_defaults_equal_the_merge() {
        let defaults = TransformerConfig::defaults();
        assert_eq!(
            TransformerConfig::merged_defaults(&defaults),
            TransformerConfig::default().merged(&defaults).unwrap()
        );
    }

    #[test]
    fn every_default_table_parses() {
        for table in DEFAULT_TABLES {
            TransformerConfig::parse(table).unwrap();
        }
        let c = TransformerConfig::defaults();
        assert_eq!(c.name_prefix, [FieldSpec::any_kind("metadata/name", false)]);
        assert!(c
            .common_labels
            .iter()
            .any(|f| &*f.path == "metadata/labels" && f.create));
        assert!(c.template_labels.len() > 5);
        assert!(c.name_reference.iter().any(|b| b.gvk.kind == "ConfigMap"));
        assert!(c
            .images
            .iter()
            .any(|f| &*f.path == "spec/containers[]/image"));
    }

    #[test]
    fn merge_keeps_one_copy_and_refuses_conflicts() {
        let c = TransformerConfig::defaults();
        let again = TransformerConfig::parse("namePrefix:\n- path: metadata/name\n").unwrap();
        assert_eq!(c.merged(&again).unwrap().name_prefix, c.name_prefix);
        let conflict =
            TransformerConfig::parse("namePrefix:\n- path: metadata/name\n  create: true\n")
                .unwrap();
        assert!(c.merged(&conflict).is_err());
    }

    #[test]
    fn a_kind_specific_spec_replaces_the_default_after_two_merges() {
        let user =
            TransformerConfig::parse("namePrefix:\n- path: metadata/name\n  kind: Deployment\n")
                .unwrap();
        let kustomization = TransformerConfig::defaults().merged(&user).unwrap();
        assert_eq!(kustomization.name_prefix.len(), 2);
        let accumulated = TransformerConfig::default().merged(&kustomization).unwrap();
        assert_eq!(accumulated.name_prefix.len(), 1);
        assert_eq!(accumulated.name_prefix[0].gvk.kind, "Deployment");
    }

    /// Upstream's `MergeAll` as written: `MergeOne` of each spec in turn.
    fn merge_all_as_upstream(
        into: &mut Vec<FieldSpec>,
        from: &[FieldSpec],
    ) -> Result<(), ConflictingFieldSpecs> {
        from.iter().try_for_each(|f| merge_one(into, f.clone()))
    }

    fn spec((kind, path, create): (&str, &str, bool)) -> FieldSpec {
        FieldSpec {
            gvk: Gvk::new("", "", kind),
            path: path.into(),
            create,
        }
    }

    /// A name-reference list holding one Gvk twice merges both entries into the first, even
    /// into an equal list.
    #[test]
    fn a_gvk_twice_in_name_references_merges_into_the_first() {
        let backref = |path: &str| NameBackReferences {
            gvk: Gvk::new("", "v1", "ConfigMap"),
            referrers: vec![spec(("Pod", path, false))],
        };
        let twice = TransformerConfig {
            name_reference: vec![backref("a"), backref("b")],
            ..TransformerConfig::default()
        };
        let merged = twice.merged(&twice).unwrap();
        let paths: Vec<Vec<&str>> = merged
            .name_reference
            .iter()
            .map(|b| b.referrers.iter().map(|f| &*f.path).collect())
            .collect();
        assert_eq!(paths, [vec!["a", "b"], vec!["b"]]);
    }

    #[test]
    fn merging_a_table_into_itself_finds_its_conflicts() {
        // The spec for any kind selects the Deployment's before it, which differs.
        let table: Vec<_> = [("Deployment", "a", false), ("", "a", true)]
            .map(spec)
            .into();
        assert!(merge_all(&mut table.clone(), &table).is_err());
        let table: Vec<_> = [("", "a", true), ("Deployment", "a", false)]
            .map(spec)
            .into();
        let mut merged = table.clone();
        merge_all(&mut merged, &table).unwrap();
        assert_eq!(merged, table);
    }

    proptest::proptest! {
        /// The indexed merge (and its shortcut for equal tables) adds what upstream's spec by
        /// spec merge adds, and fails where it fails.
        #[test]
        fn merge_all_equals_upstream_merge(
            into in proptest::collection::vec(
                (proptest::sample::select(vec!["", "Deployment", "Pod"]),
                 proptest::sample::select(vec!["a", "b"]), proptest::bool::ANY), 0..6),
            from in proptest::collection::vec(
                (proptest::sample::select(vec!["", "Deployment", "Pod"]),
                 proptest::sample::select(vec!["a", "b"]), proptest::bool::ANY), 0..6),
            same in proptest::bool::ANY,
        ) {
            let into: Vec<FieldSpec> = into.into_iter().map(spec).collect();
            let from: Vec<FieldSpec> = if same {
                into.clone()
            } else {
                from.into_iter().map(spec).collect()
            };
            let (mut ours, mut theirs) = (into.clone(), into);
            let result = merge_all(&mut ours, &from);
            let expected = merge_all_as_upstream(&mut theirs, &from);
            proptest::prop_assert_eq!(result.is_ok(), expected.is_ok());
            if result.is_ok() {
                proptest::prop_assert_eq!(ours, theirs);
            }
        }
    }
}
