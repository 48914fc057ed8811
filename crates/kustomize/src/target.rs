//! The build pipeline of one kustomization ([`KustTarget`]), readable top to bottom:
//!
//! 1. accumulate `resources` (files, then bases and overlays, depth first);
//! 2. `configurations` and `crds` field specs;
//! 3. generators (ConfigMap, Secret, Helm, then `generators:`);
//! 4. `components`, each working on everything accumulated so far;
//! 5. transformers (the builtins in upstream's order, then `transformers:`), validators,
//!    and vars bound to their objects;
//!
//! and, for the top-level kustomization only ([`build`]): name hash suffixes, name-reference
//! fixing, vars resolved, local configuration dropped, annotations rewritten, sorting, the
//! managed-by label, build-metadata annotations.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::accumulator::Accumulator;
use crate::cache::ParseCache;
use crate::fieldspecs::{crds, TransformerConfig};
use crate::generators::configmap::ConfigMapGenerator;
use crate::generators::helm_chart::HelmChartGenerator;
use crate::generators::secret::SecretGenerator;
use crate::generators::{merge_options, Generator};
use crate::kustomization::{Kustomization, KUSTOMIZATION_FILE_NAMES};
use crate::limits::Stop;
use crate::loader::{is_remote_file, Loader};
use crate::origin::Origin;
use crate::patch::schema::{Combine, Schema};
use crate::remote::RepoSpec;
use crate::resmap::ResMap;
use crate::resource::resources_from_bytes_in;
use crate::resource::Resource;
use crate::transformers::annotations::AnnotationsTransformer;
use crate::transformers::hash::HashTransformer;
use crate::transformers::image_tag::ImageTagTransformer;
use crate::transformers::labels::LabelTransformer;
use crate::transformers::name_reference::NameReferenceTransformer;
use crate::transformers::namespace::{NamespaceTransformer, SubjectMode};
use crate::transformers::patch::PatchTransformer;
use crate::transformers::patch_json6902::PatchJson6902Transformer;
use crate::transformers::patch_strategic_merge::PatchStrategicMergeTransformer;
use crate::transformers::prefix_suffix::{Affix, PrefixSuffixTransformer};
use crate::transformers::replacement::ReplacementTransformer;
use crate::transformers::replica_count::ReplicaCountTransformer;
use crate::transformers::{builtin_plugins, sort_order, Transformer};
use crate::{BuildOutput, Error, Options, Reorder};
use kustomize_yaml::KeyCache;
use kustomize_yaml::Value;

/// Bytes of a kustomization's resource files read on the calling thread before the rest are
/// parsed on [`Options::parse_threads`] threads (see [`Builder::accumulate_target`]): below this a
/// kustomization parses in less time than starting threads takes.
const PARALLEL_PARSE_BYTES: usize = 64 * 1024;

/// A `resources` entry read as a file: `Err` when it could not be read; else its length
/// and resources, or the error parsing them.
type Loaded = Result<Result<(usize, Vec<Resource>), Error>, Error>;

/// One loaded kustomization directory.
#[derive(Debug)]
pub struct KustTarget {
    loader: Loader,
    kustomization: Kustomization,
    /// The kustomization file read.
    file: PathBuf,
    /// With build metadata: where this kustomization sits relative to the top one.
    origin: Option<Origin>,
}

impl KustTarget {
    /// Finds and parses the kustomization file of the loader's root. Deprecation warnings
    /// go to `warnings`.
    pub fn load(loader: Loader, warnings: &mut Vec<String>) -> Result<KustTarget, Error> {
        let mut found = None;
        for name in KUSTOMIZATION_FILE_NAMES {
            let path = loader.root().join(name);
            if loader.fs().is_file(&path) {
                if found.is_some() {
                    return Err(Error::MultipleKustomizations {
                        dir: loader.root().to_path_buf(),
                    });
                }
                found = Some((name, path));
            }
        }
        let Some((name, file)) = found else {
            return Err(Error::MissingKustomization {
                dir: loader.root().to_path_buf(),
            });
        };
        let (content, _) = loader.load(name)?;
        let loaded = Kustomization::parse(&content, &file, Some(loader.allowance().budget()))?;
        warnings.extend(loaded.warnings);
        Ok(KustTarget {
            loader,
            kustomization: loaded.kustomization,
            file,
            origin: None,
        })
    }

    /// The kustomization.
    pub fn kustomization(&self) -> &Kustomization {
        &self.kustomization
    }

    /// The kustomization root.
    pub fn root(&self) -> &Path {
        self.loader.root()
    }

    /// The kustomization file's name.
    fn file_name(&self) -> String {
        self.file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// The origin of what a builtin generator or transformer of this kustomization makes.
    fn builtin_origin(&self, kind: &str) -> Option<Origin> {
        self.origin
            .as_ref()
            .map(|o| o.builtin(&self.file_name(), kind))
    }
}

/// What every build starts from, parsed once and shared (read-only) by all builds of a
/// [`crate::Kustomizer`]: the default field specs and the builtin schema.
#[derive(Debug)]
pub struct Builtins {
    defaults: TransformerConfig,
    /// What an empty accumulator becomes when it merges the defaults (they dedupe).
    merged_defaults: TransformerConfig,
    /// Parsed on first use: builds without strategic merges never need it.
    schema: std::sync::OnceLock<Arc<Schema>>,
}

impl Default for Builtins {
    fn default() -> Self {
        Builtins::new()
    }
}

impl Builtins {
    /// Parses the builtin tables (they ship with the crate; their tests guard them).
    pub fn new() -> Builtins {
        let defaults = TransformerConfig::defaults();
        let merged_defaults = TransformerConfig::merged_defaults(&defaults);
        Builtins {
            defaults,
            merged_defaults,
            schema: std::sync::OnceLock::new(),
        }
    }

    /// The builtin Kubernetes schema.
    fn builtin_schema(&self) -> Arc<Schema> {
        Arc::clone(self.schema.get_or_init(|| Arc::new(Schema::builtin())))
    }
}

/// The schema strategic merges use, decided as upstream's global OpenAPI state decides it
/// (checked with the reference on trees with custom schemas in tops, bases and components):
///
/// * the first `openapi:` field in build order sets it (the top kustomization's first,
///   then each base or component as it is entered, before its resources); later ones are
///   ignored, unchecked, though a `path` must still be readable;
/// * `version: v1.21.2` is the builtin schema;
/// * a `path` combines with the builtin schema by definition name, as what upstream had
///   parsed when it was set: the custom schema alone when nothing needed the builtin one
///   yet; the custom definitions over the builtin ones when a strategic merge had already
///   used the builtin schema; the builtin ones over the custom ones when a resource of a
///   type missing from upstream's precomputed scope table had been read (upstream then
///   parses the builtin schema right after the custom one).
struct SchemaChoice<'a> {
    builtins: &'a Builtins,
    /// Whether an `openapi:` field has decided the schema.
    set: bool,
    /// The custom schema it chose, if any.
    custom: Option<Arc<Schema>>,
    /// Whether a strategic merge has used the builtin schema.
    builtin_used: bool,
}

impl SchemaChoice<'_> {
    fn get(&self) -> Arc<Schema> {
        match &self.custom {
            Some(s) => Arc::clone(s),
            None => self.builtins.builtin_schema(),
        }
    }

    /// A transformer ran: if it merged with the builtin schema before any `openapi:`, it
    /// was parsed then.
    fn note_use(&mut self, transformer: &dyn Transformer) {
        if !self.set && transformer.used_schema() {
            self.builtin_used = true;
        }
    }
}

/// Builds the kustomization at the loader's root: upstream's `Kustomizer.Run`.
pub fn build(
    loader: Loader,
    options: &Options,
    builtins: &Builtins,
    cache: Option<&ParseCache>,
) -> Result<BuildOutput, Error> {
    let mut warnings = Vec::new();
    let mut kt = KustTarget::load(loader, &mut warnings)?;
    let metadata = kt.kustomization.build_metadata.clone();
    if !metadata.is_empty() {
        kt.origin = Some(Origin::default());
    }
    let keys = KeyCache::new();
    let mut builder = Builder {
        options,
        cache,
        keys: &keys,
        warnings: &mut warnings,
        schema: SchemaChoice {
            builtins,
            set: false,
            custom: None,
            builtin_used: false,
        },
        defaults: &builtins.defaults,
        merged_defaults: &builtins.merged_defaults,
        merged_into_empty: Vec::new(),
    };
    builder.set_schema(&kt)?;
    let mut ra = builder.accumulate_target(&kt, Accumulator::new())?;
    kt.loader.checkpoint()?;
    HashTransformer.transform(&mut ra.resources)?;
    NameReferenceTransformer {
        back_references: ra.config.name_reference.clone(),
    }
    .transform(&mut ra.resources)?;
    kt.loader.checkpoint()?;
    ra.resolve_vars(kt.loader.allowance())?;
    let mut resources = ra.resources;

    resources.retain(|r| !r.is_local_config());
    let stop = resources.stop();
    for (i, r) in resources.iter_mut().enumerate() {
        stop.poll(i)?;
        r.stringify_annotations();
        if let Some((key, tag)) = r.non_string_annotation_key() {
            return Err(Error::Other(format!(
                "{}: annotation key {key:?} reads as !!{tag}: json: unsupported type: map[interface {{}}]interface {{}}",
                r.cur_id()
            )));
        }
    }

    match (&kt.kustomization.sort_options, options.reorder) {
        (Some(sort), _) => sort_order::apply(sort, &mut resources)?,
        (None, Reorder::Legacy) => sort_order::legacy_sort(&mut resources),
        (None, Reorder::None) => {}
    }
    let has = |option: &str| metadata.iter().any(|m| m == option);
    if options.add_managed_by_label || has("managedByLabel") {
        let mut labels = std::collections::BTreeMap::new();
        labels.insert(
            "app.kubernetes.io/managed-by".to_owned(),
            "kustomize-v5.7.1".to_owned(),
        );
        LabelTransformer {
            labels,
            field_specs: vec![crate::fieldspec::FieldSpec::any_kind(
                "metadata/labels",
                true,
            )],
        }
        .transform(&mut resources)?;
    }
    let (origins, transformations) = (has("originAnnotations"), has("transformerAnnotations"));
    for (i, r) in resources.iter_mut().enumerate() {
        stop.poll(i)?;
        r.strip_build_annotations(origins, transformations);
        if origins || transformations {
            r.annotate_build_metadata(origins, transformations);
        }
    }
    // The output outlives the build: its steps no longer stop it.
    resources.set_stop(Stop::default());
    Ok(BuildOutput {
        resources,
        warnings,
    })
}

/// State shared by every kustomization of one build.
struct Builder<'a> {
    options: &'a Options,
    /// Parsed files shared with other builds, if any.
    cache: Option<&'a ParseCache>,
    /// Mapping keys shared between the files this build parses itself.
    keys: &'a KeyCache,
    warnings: &'a mut Vec<String>,
    /// The schema strategic merges use.
    schema: SchemaChoice<'a>,
    defaults: &'a TransformerConfig,
    merged_defaults: &'a TransformerConfig,
    /// Configs merged into an empty one, and the results: every kustomization that reads
    /// a base does this with the same few configs.
    merged_into_empty: Vec<(TransformerConfig, TransformerConfig)>,
}

impl Builder<'_> {
    /// A kustomization's `openapi:` field: `path` (a schema file) or `version` (the
    /// builtin; only v1.21.2), not both; only the first in build order counts (see
    /// [`SchemaChoice`]).
    fn set_schema(&mut self, kt: &KustTarget) -> Result<(), Error> {
        let openapi = &kt.kustomization.openapi;
        let bad = |message: String| Error::InvalidKustomization {
            path: kt.file.clone(),
            message,
        };
        let (path, version) = (openapi.get("path"), openapi.get("version"));
        if path.is_none() && version.is_none() {
            return Ok(());
        }
        if self.schema.set {
            if let Some(path) = path {
                kt.loader.load(path)?;
            }
            return Ok(());
        }
        match (path, version) {
            (Some(_), Some(_)) => Err(bad(
                "builtin version and custom schema provided, cannot use both".into(),
            )),
            (Some(path), None) => {
                let (doc, _) = kt
                    .loader
                    .load_document(path, kustomize_yaml::Schema::Kyaml)?;
                let how = if self.schema.builtin_used {
                    Combine::CustomOverBuiltin
                } else if kt.loader.unlisted_type_read() {
                    Combine::BuiltinOverCustom
                } else {
                    Combine::CustomOnly
                };
                let builtin = self.schema.builtins.builtin_schema();
                let schema = Schema::combine(&builtin, &doc, how).map_err(bad)?;
                self.schema.custom = Some(Arc::new(schema));
                self.schema.set = true;
                Ok(())
            }
            (None, Some(version)) if version == "v1.21.2" => {
                self.schema.set = true;
                Ok(())
            }
            (None, Some(version)) => Err(bad(format!(
                "the specified OpenAPI version is not built in: {version}"
            ))),
            (None, None) => Ok(()),
        }
    }

    /// Runs one kustomization's pipeline on top of `ra` (empty, except for components).
    fn accumulate_target(
        &mut self,
        kt: &KustTarget,
        mut ra: Accumulator,
    ) -> Result<Accumulator, Error> {
        ra.resources.set_stop(Stop::of(kt.loader.allowance()));
        let k = &kt.kustomization;
        let entries = &k.resources;
        // Entries are read in turn on this thread until PARALLEL_PARSE_BYTES of files have
        // been; the local files among the rest (if four or more are left) are then parsed
        // ahead on `parse_threads` threads, because starting threads costs more than
        // parsing a small kustomization.
        let mut threads = self.options.parse_threads;
        let (mut ahead, mut ahead_from) = (Vec::new(), entries.len());
        let mut bytes = 0;
        for (i, entry) in entries.iter().enumerate() {
            if threads >= 2 && bytes >= PARALLEL_PARSE_BYTES && entries.len() - i >= 4 {
                threads = crate::cap_to_cores(threads.min(entries.len() - i));
                if threads >= 2 {
                    ahead = self.parse_in_parallel(kt, &entries[i..], threads);
                    (ahead_from, threads) = (i, 1);
                }
            }
            let ready = (i.checked_sub(ahead_from))
                .and_then(|j| ahead.get_mut(j))
                .and_then(Option::take);
            bytes += self.accumulate_resource(kt, entry, ready, &mut ra)?;
        }
        self.merge_configurations(kt, &mut ra)?;
        self.merge_crds(kt, &mut ra)?;
        for generated in self.run_generators(kt)? {
            ra.resources.absorb_generated(generated)?;
        }
        for component in &k.components {
            let loader = match RepoSpec::parse(component) {
                Ok(spec) => kt.loader.remote_child(&spec)?,
                Err(_) => kt.loader.child(component)?,
            };
            let origin = kt.origin.as_ref().map(|o| o.append(component));
            ra = self.accumulate_directory(loader, true, ra, origin)?;
        }
        let mut transformers: Vec<(Box<dyn Transformer>, Option<Origin>)> =
            builtin_transformers(kt, &ra.config, &self.schema)?
                .into_iter()
                .map(|(t, kind)| (t, kt.builtin_origin(kind)))
                .collect();
        for config in self.plugin_configs(kt, &k.transformers)?.iter() {
            let origin = plugin_origin(config);
            let t = builtin_plugins::from_config(
                config,
                &kt.loader,
                &self.schema.get(),
                self.options.plugins,
            )?;
            transformers.push((t, origin));
        }
        kt.loader.allowance().resources(ra.resources.len())?;
        for (transformer, origin) in transformers {
            kt.loader.checkpoint()?;
            transformer.transform(&mut ra.resources)?;
            self.schema.note_use(transformer.as_ref());
            if let Some(origin) = origin {
                for r in ra.resources.iter_mut() {
                    r.add_transformation(&origin);
                }
            }
        }
        self.run_validators(kt, &ra.resources)?;
        ra.merge_vars(&k.vars)?;
        Ok(ra)
    }

    /// The resources of a file, through the shared cache when there is one.
    fn parse_resources(
        &self,
        kt: &KustTarget,
        bytes: &[u8],
        path: &Path,
    ) -> Result<Vec<Resource>, Error> {
        let allowance = kt.loader.allowance();
        let resources = match self.cache {
            Some(cache) => cache.resources(bytes, path, allowance),
            None => resources_from_bytes_in(
                bytes,
                path,
                kustomize_yaml::Context {
                    keys: Some(self.keys),
                    budget: Some(allowance.budget()),
                    first_key_wins: false,
                    defer_key_errors: false,
                },
            ),
        }?;
        kt.loader.note_types(&resources);
        Ok(resources)
    }

    /// Upstream's `runValidators`: each validator runs on a copy of the resources and
    /// must leave them as they were (apart from a `validated-by` label it may add). An
    /// exec function never does on a non-empty map (see
    /// [`Transformer::rereads_resources`]), skipped or not.
    fn run_validators(&mut self, kt: &KustTarget, resources: &ResMap) -> Result<(), Error> {
        for config in self
            .plugin_configs(kt, &kt.kustomization.validators)?
            .iter()
        {
            let validator = builtin_plugins::from_config(
                config,
                &kt.loader,
                &self.schema.get(),
                self.options.plugins,
            )?;
            let mut copy = resources.clone();
            validator.transform(&mut copy)?;
            for r in copy.iter_mut() {
                if let Some(Value::Map(meta)) = r.value_mut().get_mut("metadata") {
                    if let Some(Value::Map(labels)) = meta.get_mut("labels") {
                        labels.shift_remove("validated-by");
                    }
                }
            }
            let same = (resources.is_empty() || !validator.rereads_resources())
                && copy.len() == resources.len()
                && copy
                    .iter()
                    .zip(resources.iter())
                    .all(|(a, b)| a.value() == b.value());
            if !same {
                return Err(Error::Other(format!(
                    "validator shouldn't modify the resource map: {}",
                    config.cur_id()
                )));
            }
        }
        Ok(())
    }

    /// Upstream's `runGenerators`: `configMapGenerator`, `secretGenerator`, then the
    /// builtin generator configs of `generators:`, each entry's output in order.
    fn run_generators(&mut self, kt: &KustTarget) -> Result<Vec<Resource>, Error> {
        let k = &kt.kustomization;
        let global = k.generator_options.as_ref();
        let mut out = Vec::new();
        let with_origin = |resources: Vec<Resource>, origin: Option<Origin>| {
            resources.into_iter().map(move |mut r| {
                if let (None, Some(o)) = (r.origin(), &origin) {
                    r.set_origin(o.clone());
                }
                r
            })
        };
        for args in &k.config_map_generator {
            let generator = ConfigMapGenerator {
                loader: &kt.loader,
                args: args.clone(),
                options: merge_options(args.options.as_ref(), global),
            };
            out.extend(with_origin(
                generator.generate()?,
                kt.builtin_origin("ConfigMapGenerator"),
            ));
        }
        for args in &k.secret_generator {
            let generator = SecretGenerator {
                loader: &kt.loader,
                args: args.clone(),
                options: merge_options(args.options.as_ref(), global),
            };
            out.extend(with_origin(
                generator.generate()?,
                kt.builtin_origin("SecretGenerator"),
            ));
        }
        let globals = k.helm_globals.clone().unwrap_or_default();
        for chart in &k.helm_charts {
            let generator = HelmChartGenerator {
                loader: &kt.loader,
                globals: globals.clone(),
                chart: chart.clone(),
                options: &self.options.helm,
            };
            out.extend(with_origin(
                generator.generate()?,
                kt.builtin_origin("HelmChartInflationGenerator"),
            ));
        }
        for config in self.plugin_configs(kt, &k.generators)?.iter() {
            let generated = builtin_plugins::generate(
                config,
                &kt.loader,
                &self.options.helm,
                self.options.plugins,
            )?;
            out.extend(with_origin(generated, plugin_origin(config)));
        }
        Ok(out)
    }

    /// The plugin config resources of a `transformers:` (or `generators:`, `validators:`)
    /// list: each entry is inline YAML when it parses as resources, else a file or a
    /// kustomization directory of configs.
    ///
    /// As upstream (`configureExternalTransformers`), every inline entry comes first, in
    /// order, then the files and directories, in order: `[a.yaml, <inline b>]` runs `b`
    /// before `a`.
    fn plugin_configs(&mut self, kt: &KustTarget, entries: &[String]) -> Result<ResMap, Error> {
        let mut configs = Accumulator::new();
        let mut paths = Vec::new();
        for entry in entries {
            match kt.loader.resources(entry.as_bytes(), &kt.file) {
                Ok(inline) => {
                    for mut r in inline {
                        if let Some(o) = &kt.origin {
                            r.set_origin(o.append(&kt.file_name()));
                        }
                        configs.resources.append(r)?;
                    }
                }
                Err(e) if e.ends_build() => return Err(e),
                Err(_) => paths.push(entry),
            }
        }
        for entry in paths {
            self.accumulate_resource(kt, entry, None, &mut configs)?;
        }
        // Upstream prints each config to decode it: a key it cannot print fails here.
        for r in configs.resources.iter() {
            if let Some(u) = r.unprintable() {
                return Err(Error::Other(format!(
                    "marshalling yaml from res {}: {}",
                    r.cur_id(),
                    u.decoding()
                )));
            }
        }
        Ok(configs.resources)
    }

    /// Upstream's `MakeTransformerConfig` and `MergeConfig`: the defaults merged with the
    /// `configurations:` files (merged among themselves first), merged into the
    /// accumulator.
    fn merge_configurations(&mut self, kt: &KustTarget, ra: &mut Accumulator) -> Result<(), Error> {
        let merge_error = |e: crate::fieldspecs::ConflictingFieldSpecs| {
            Error::Other(format!("merging config: {e}"))
        };
        if kt.kustomization.configurations.is_empty() {
            if ra.config.is_empty() || ra.config == *self.merged_defaults {
                ra.config = self.merged_defaults.clone();
                return Ok(());
            }
            return ra.merge_config(self.defaults);
        }
        let mut user = TransformerConfig::default();
        for path in &kt.kustomization.configurations {
            let (bytes, file) = kt.loader.load(path)?;
            let text = String::from_utf8_lossy(&bytes);
            let config = TransformerConfig::parse_in(&text, Some(kt.loader.allowance().budget()))
                .map_err(|message| Error::InvalidKustomization {
                path: file,
                message,
            })?;
            user = user.merged(&config).map_err(merge_error)?;
        }
        let config = self.defaults.merged(&user).map_err(merge_error)?;
        ra.merge_config(&config)
    }

    /// An empty config merged with `config` (what absorbing a base into a kustomization
    /// that has no config yet does), remembered for the rest of the build.
    fn merge_into_empty(&mut self, config: TransformerConfig) -> Result<TransformerConfig, Error> {
        if let Some((_, merged)) = self.merged_into_empty.iter().find(|(c, _)| *c == config) {
            return Ok(merged.clone());
        }
        let merged = TransformerConfig::default()
            .merged(&config)
            .map_err(|e| Error::Other(format!("merging config: {e}")))?;
        self.merged_into_empty.push((config, merged.clone()));
        Ok(merged)
    }

    /// Field specs from the `crds:` files' OpenAPI definitions.
    fn merge_crds(&mut self, kt: &KustTarget, ra: &mut Accumulator) -> Result<(), Error> {
        let mut config = TransformerConfig::default();
        for crd in &kt.kustomization.crds {
            let (doc, file) = kt
                .loader
                .load_document(crd, kustomize_yaml::Schema::Kyaml)?;
            let bad = |message: String| Error::InvalidKustomization {
                path: file.clone(),
                message: format!("unable to parse open API definition: {message}"),
            };
            let from_crd = crds::config_from_definitions(&doc).map_err(bad)?;
            config = config.merged(&from_crd).map_err(|e| bad(e.to_string()))?;
        }
        if config.is_empty() {
            return Ok(());
        }
        ra.merge_config(&config)
    }

    /// [`Builder::load_file`] of each entry that is not remote, on `threads` threads, by
    /// position (`None` for the remote ones, which are loaded in turn).
    fn parse_in_parallel(
        &self,
        kt: &KustTarget,
        entries: &[String],
        threads: usize,
    ) -> Vec<Option<Loaded>> {
        let next = std::sync::atomic::AtomicUsize::new(0);
        let slots: Vec<std::sync::Mutex<Option<Loaded>>> =
            entries.iter().map(|_| Default::default()).collect();
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(entry) = entries.get(i) else { break };
                    if is_remote_file(entry) || RepoSpec::parse(entry).is_ok() {
                        continue;
                    }
                    let loaded = self.load_file(kt, entry);
                    *slots[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(loaded);
                });
            }
        });
        slots
            .into_iter()
            .map(|m| m.into_inner().unwrap_or_else(|e| e.into_inner()))
            .collect()
    }

    /// `entry` read as a file of resources: the read's error, or the parse's.
    fn load_file(&self, kt: &KustTarget, entry: &str) -> Loaded {
        kt.loader.load(entry).map(|(bytes, path)| {
            self.parse_resources(kt, &bytes, &path)
                .map(|r| (bytes.len(), r))
        })
    }

    /// One `resources` entry: a file of resources, else a kustomization directory.
    /// `ready` holds the entry loaded as a file when [`Builder::parse_in_parallel`] tried
    /// it already. Returns the bytes of the file it read itself (0 for anything else).
    fn accumulate_resource(
        &mut self,
        kt: &KustTarget,
        entry: &str,
        ready: Option<Loaded>,
        ra: &mut Accumulator,
    ) -> Result<usize, Error> {
        let repo = RepoSpec::parse(entry).ok();
        let remote_repo = repo.is_some();
        let (loaded, read) = match ready {
            Some(loaded) => (loaded, 0),
            None => {
                let loaded = self.load_file(kt, entry);
                let read = loaded
                    .as_ref()
                    .map_or(0, |p| p.as_ref().map_or(0, |(n, _)| *n));
                (loaded, read)
            }
        };
        // Running out of the build's limits ends it; it is no reason to try a directory.
        if let Err(e) | Ok(Err(e)) = &loaded {
            if e.ends_build() {
                return loaded.and_then(|l| l).map(|_| 0);
            }
        }
        let file_error = match loaded {
            Ok(parsed) => match parsed {
                Ok((_, resources)) => {
                    for mut r in resources {
                        if let Some(o) = &kt.origin {
                            r.set_origin(o.append(entry));
                        }
                        ra.resources.append(r)?;
                    }
                    return Ok(read);
                }
                // A URL that serves something else (a git host's web page) may still be
                // a repository to clone.
                Err(e) if remote_repo => e,
                Err(e) => return Err(e),
            },
            // An HTTP error status ends the build, unless the URL is a repository.
            Err(e @ Error::Http { .. }) if !remote_repo => return Err(e),
            Err(e) => e,
        };
        let child = match &repo {
            Some(spec) => kt.loader.remote_child(spec),
            None => kt.loader.child(entry),
        };
        match child {
            Ok(loader) => {
                let origin = kt.origin.as_ref().map(|o| o.append(entry));
                let mut sub =
                    self.accumulate_directory(loader, false, Accumulator::new(), origin)?;
                if ra.config.is_empty() {
                    ra.config = self.merge_into_empty(std::mem::take(&mut sub.config))?;
                }
                ra.absorb(sub).map(|()| 0)
            }
            // Neither a file nor a directory: say so plainly when it does not exist.
            Err(Error::Io { source, .. })
                if matches!(&file_error, Error::Io { source: f, .. } if f.kind() == std::io::ErrorKind::NotFound)
                    && source.kind() == std::io::ErrorKind::NotFound =>
            {
                Err(Error::MissingResource {
                    entry: entry.to_owned(),
                    path: kt.loader.resolve(entry),
                })
            }
            Err(dir_error) if dir_error.ends_build() => Err(dir_error),
            Err(dir_error) => Err(Error::Accumulation {
                entry: entry.to_owned(),
                root: kt.root().to_path_buf(),
                file_error: Box::new(file_error),
                dir_error: Box::new(dir_error),
            }),
        }
    }

    /// A base (`is_component == false`, built on its own and returned) or a component
    /// (built on top of `ra`).
    fn accumulate_directory(
        &mut self,
        loader: Loader,
        is_component: bool,
        ra: Accumulator,
        origin: Option<Origin>,
    ) -> Result<Accumulator, Error> {
        let root = loader.root().to_path_buf();
        let mut sub = KustTarget::load(loader, self.warnings).map_err(|e| e.within(&root))?;
        sub.origin = origin;
        self.set_schema(&sub).map_err(|e| e.within(&root))?;
        if is_component && !sub.kustomization.is_component() {
            return Err(Error::WrongKind {
                path: root,
                message: format!(
                    "expected kind 'Component' but got '{}'",
                    sub.kustomization.kind
                ),
            });
        }
        if !is_component && sub.kustomization.is_component() {
            return Err(Error::WrongKind {
                path: root,
                message: "expected kind != 'Component' (a component belongs under 'components')"
                    .into(),
            });
        }
        self.accumulate_target(&sub, ra)
            .map_err(|e| e.within(&root))
    }
}

/// A builtin transformer and its kind (for build metadata).
type Builtin = (Box<dyn Transformer>, &'static str);

/// The builtin transformers a kustomization asks for, in upstream's fixed order.
/// Each comes with its builtin kind, for build metadata.
fn builtin_transformers(
    kt: &KustTarget,
    config: &TransformerConfig,
    schema: &SchemaChoice<'_>,
) -> Result<Vec<Builtin>, Error> {
    let k = &kt.kustomization;
    let loader = &kt.loader;
    let mut out: Vec<Builtin> = Vec::new();
    if !k.patches_strategic_merge.is_empty() {
        out.push((
            Box::new(PatchStrategicMergeTransformer::new(
                &k.patches_strategic_merge,
                "",
                loader,
                schema.get(),
            )?),
            "PatchStrategicMergeTransformer",
        ));
    }
    for patch in &k.patches {
        out.push((
            Box::new(PatchTransformer::new(patch, loader, schema.get())?),
            "PatchTransformer",
        ));
    }
    if !k.namespace.is_empty() {
        out.push((
            Box::new(NamespaceTransformer {
                namespace: k.namespace.clone(),
                field_specs: config.namespace.clone(),
                subjects: SubjectMode::DefaultOnly,
                unset_only: false,
            }),
            "NamespaceTransformer",
        ));
    }
    if !k.name_prefix.is_empty() {
        out.push((
            Box::new(PrefixSuffixTransformer {
                affix: Affix::Prefix(k.name_prefix.clone()),
                field_specs: config.name_prefix.clone(),
            }),
            "PrefixTransformer",
        ));
    }
    if !k.name_suffix.is_empty() {
        out.push((
            Box::new(PrefixSuffixTransformer {
                affix: Affix::Suffix(k.name_suffix.clone()),
                field_specs: config.name_suffix.clone(),
            }),
            "SuffixTransformer",
        ));
    }
    for label in &k.labels {
        out.push((
            Box::new(LabelTransformer::from_label(label, config)?),
            "LabelTransformer",
        ));
    }
    // Upstream always adds the commonLabels transformer when there are labels of either
    // kind (a no-op without commonLabels, yet visible in build metadata).
    if k.common_labels.is_some() || !k.labels.is_empty() {
        let labels = k.common_labels.clone().unwrap_or_default();
        out.push((
            Box::new(LabelTransformer::common(&labels, config)),
            "LabelTransformer",
        ));
    }
    if let Some(annotations) = &k.common_annotations {
        out.push((
            Box::new(AnnotationsTransformer {
                annotations: annotations.clone(),
                field_specs: config.common_annotations.clone(),
            }),
            "AnnotationsTransformer",
        ));
    }
    for patch in &k.patches_json6902 {
        out.push((
            Box::new(PatchJson6902Transformer::new(
                patch.target.as_ref(),
                &patch.path,
                &patch.patch,
                loader,
            )?),
            "PatchJson6902Transformer",
        ));
    }
    for replica in &k.replicas {
        out.push((
            Box::new(ReplicaCountTransformer {
                replica: replica.clone(),
                field_specs: config.replicas.clone(),
            }),
            "ReplicaCountTransformer",
        ));
    }
    // One transformer for all entries, unless build metadata records each one.
    if kt.origin.is_some() {
        for image in &k.images {
            out.push((
                Box::new(ImageTagTransformer {
                    images: vec![image.clone()],
                    field_specs: config.images.clone(),
                }),
                "ImageTagTransformer",
            ));
        }
    } else if !k.images.is_empty() {
        out.push((
            Box::new(ImageTagTransformer {
                images: k.images.clone(),
                field_specs: config.images.clone(),
            }),
            "ImageTagTransformer",
        ));
    }
    if !k.replacements.is_empty() {
        out.push((
            Box::new(ReplacementTransformer::new(&k.replacements, loader)?),
            "ReplacementTransformer",
        ));
    }
    Ok(out)
}

/// The origin of what a plugin configured by `config` makes: the config's own file, and
/// the config's id (upstream's `OriginFromCustomPlugin`).
fn plugin_origin(config: &Resource) -> Option<Origin> {
    let o = config.origin()?;
    Some(Origin {
        path: String::new(),
        repo: o.repo.clone(),
        git_ref: o.git_ref.clone(),
        configured_in: o.path.clone(),
        configured_by: Some(crate::origin::ConfiguredBy {
            api_version: config.api_version(),
            kind: config.kind(),
            name: config.name(),
            namespace: config.namespace(),
        }),
    })
}
