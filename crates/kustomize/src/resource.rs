//! A [`Resource`]: one Kubernetes object of a build, as a node tree, with the identity
//! accessors every transformer uses.

use kustomize_yaml::{Mapping, Value};

use crate::generators::Behavior;
use crate::origin::Origin;

use crate::history::History;
use crate::links::Links;
use crate::resid::{Gvk, ResId};

/// The annotation that marks a resource as local configuration, dropped from the output
/// (unless its value is `"false"`).
pub const LOCAL_CONFIG_ANNOTATION: &str = "config.kubernetes.io/local-config";

/// One object of a build, with what the build remembers about it: the ids it had before
/// renames and the prefixes and suffixes added to its name (upstream keeps these in
/// internal annotations; here they are fields and never reach the output).
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    obj: Value,
    /// Earlier ids and the name prefixes and suffixes added.
    history: History,
    /// Generated, and its name takes the content hash at the end of the build.
    needs_hash: bool,
    /// For a generated resource: how it meets an existing one of the same id.
    behavior: Behavior,
    /// What few resources have (vars that read it, build metadata): boxed, as every
    /// resource of a build is held at once.
    tracked: Option<Box<Tracked>>,
    /// Fields that share one node upstream (labels and annotations a transformer added).
    links: Links,
}

/// What a build records about some resources only.
#[derive(Debug, Clone, Default, PartialEq)]
struct Tracked {
    /// Names of the `vars:` whose `objref` is this resource.
    ref_var_names: Vec<String>,
    /// Where it came from (tracked only with `buildMetadata`).
    origin: Option<Origin>,
    /// The transformers that ran on it (tracked only with `buildMetadata`).
    transformations: Vec<Origin>,
    /// The error upstream raises when it prints the resource: a repeated key or a
    /// non-string key of a nested mapping in its file, which upstream reads without
    /// complaint (a resource deleted by a patch never fails).
    unprintable: Option<Unprintable>,
    /// Repeated `metadata.annotations` keys of its file, each with its last value: reads
    /// and writes see the first, and upstream's rebuild of the annotations from a map
    /// (before it prints, on recording a transformation) keeps the last.
    annotation_shadows: Vec<(String, Value)>,
}

/// A resource serialises as its object (`serde_json::to_value` gives what kube-rs's
/// `DynamicObject` reads).
impl serde::Serialize for Resource {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value().serialize(serializer)
    }
}

impl Resource {
    /// Wraps an object without checking it.
    pub fn new(obj: Value) -> Self {
        Resource {
            obj,
            history: History::default(),
            needs_hash: false,
            behavior: Behavior::Unspecified,
            tracked: None,
            links: Links::default(),
        }
    }

    /// The object and its links, to change together.
    pub(crate) fn linked_mut(&mut self) -> (&mut Value, &mut Links) {
        (&mut self.obj, &mut self.links)
    }

    /// Runs `op` on the object as an in-place write that linked fields share: a linked
    /// place it changes passes its new value to the others ([`Links::sync`]).
    pub(crate) fn write_linked<T>(&mut self, op: impl FnOnce(&mut Value) -> T) -> T {
        if self.links.is_empty() {
            return op(&mut self.obj);
        }
        let before = self.links.snapshot(&mut self.obj);
        let out = op(&mut self.obj);
        self.links.sync(&mut self.obj, before);
        out
    }

    /// Forgets every link: the object was rebuilt (a JSON patch).
    pub(crate) fn unlink_all(&mut self) {
        self.links.clear();
    }

    /// Forgets the links through `metadata.annotations`, which upstream has just rebuilt
    /// as a whole (`SetAnnotations`).
    pub(crate) fn unlink_metadata_annotations(&mut self) {
        self.links.unlink_path("metadata/annotations");
    }

    /// Where the resource came from, when tracked.
    pub fn origin(&self) -> Option<&Origin> {
        self.tracked.as_ref()?.origin.as_ref()
    }

    fn tracked_mut(&mut self) -> &mut Tracked {
        self.tracked.get_or_insert_with(Box::default)
    }

    /// Upstream's rebuild of the annotations from a map: a key its file repeated takes
    /// the last value written there (transformers wrote only the first).
    fn apply_annotation_shadows(&mut self) {
        let Some(tracked) = self.tracked.as_mut() else {
            return;
        };
        if tracked.annotation_shadows.is_empty() {
            return;
        }
        let shadows = std::mem::take(&mut tracked.annotation_shadows);
        if let Some(Value::Map(annotations)) = self
            .obj
            .get_mut("metadata")
            .and_then(|m| m.get_mut("annotations"))
        {
            for (k, v) in shadows {
                annotations.insert(k.as_str(), v);
            }
        }
        if self.tracked.as_deref() == Some(&Tracked::default()) {
            self.tracked = None;
        }
    }

    /// Why upstream cannot print this resource (see `Tracked::unprintable`), if it cannot.
    pub fn unprintable(&self) -> Option<&Unprintable> {
        self.tracked.as_ref()?.unprintable.as_ref()
    }

    /// The error printing this resource must raise.
    pub fn check_printable(&self) -> Result<(), crate::Error> {
        match self.unprintable() {
            Some(u) => Err(crate::Error::Emit(kustomize_yaml::Error::Emit(
                u.printing(),
            ))),
            None => Ok(()),
        }
    }

    /// Sets where the resource came from.
    pub fn set_origin(&mut self, origin: Origin) {
        self.tracked_mut().origin = Some(origin);
    }

    /// Records that a transformer ran: the origin of a resource without one, else one
    /// more transformation (upstream's `AddTransformerAnnotation`).
    /// Upstream rewrites the whole `metadata.annotations` map as it records it, which
    /// ends the links through that map.
    /// Rewriting the map makes every annotation value a string (`.nan` stays the text
    /// `.nan`, which a later JSON patch then reads as a string).
    pub fn add_transformation(&mut self, by: &Origin) {
        self.apply_annotation_shadows();
        self.unlink_metadata_annotations();
        if let Some(Value::Map(meta)) = self.obj.get_mut("metadata") {
            if let Some(Value::Map(annotations)) = meta.get_mut("annotations") {
                annotation_values_to_strings(annotations);
            }
        }
        let tracked = self.tracked_mut();
        match tracked.origin {
            None => tracked.origin = Some(by.clone()),
            Some(_) => tracked.transformations.push(by.clone()),
        }
    }

    /// Upstream's `RemoveBuildAnnotations` (and the removal of origin and transformation
    /// annotations not asked for): at the end of a build these annotations go, whoever wrote
    /// them, and an annotations map left empty goes too.
    pub fn strip_build_annotations(&mut self, origins: bool, transformations: bool) {
        let Some(Value::Map(a)) = self.value().get_path(&["metadata", "annotations"]) else {
            return;
        };
        let strip = |k: &str| {
            BUILD_ANNOTATIONS.contains(&k)
                || (!origins && k == crate::origin::ORIGIN_ANNOTATION)
                || (!transformations && k == crate::origin::TRANSFORMATIONS_ANNOTATION)
        };
        if !a.keys().any(|k| strip(k)) {
            return;
        }
        let meta = self.metadata_mut();
        if let Some(Value::Map(a)) = meta.get_mut("annotations") {
            a.retain(|k, _| !strip(k));
            if a.is_empty() {
                meta.shift_remove("annotations");
            }
        }
    }

    /// Writes the build-metadata annotations that are asked for.
    pub fn annotate_build_metadata(&mut self, origins: bool, transformations: bool) {
        let origin = self.origin().filter(|_| origins).map(Origin::to_annotation);
        let list = (self.tracked.as_deref())
            .filter(|t| transformations && !t.transformations.is_empty())
            .map(|t| crate::origin::transformations_annotation(&t.transformations));
        for (key, value) in [
            (crate::origin::ORIGIN_ANNOTATION, origin),
            (crate::origin::TRANSFORMATIONS_ANNOTATION, list),
        ] {
            let Some(value) = value else { continue };
            self.set_annotation(key, value);
        }
    }

    /// The origin and transformation annotations upstream's resource holds during a build
    /// that tracks them (`buildMetadata`), with their values.
    pub fn build_metadata_annotations(&self) -> Vec<(&'static str, String)> {
        let Some(tracked) = self.tracked.as_deref() else {
            return Vec::new();
        };
        let mut held = Vec::new();
        if let Some(origin) = &tracked.origin {
            held.push((crate::origin::ORIGIN_ANNOTATION, origin.to_annotation()));
        }
        if !tracked.transformations.is_empty() {
            held.push((
                crate::origin::TRANSFORMATIONS_ANNOTATION,
                crate::origin::transformations_annotation(&tracked.transformations),
            ));
        }
        held
    }

    /// Sets an annotation to a string, making the annotations map (over anything else).
    fn set_annotation(&mut self, key: &str, value: String) {
        let meta = self.metadata_mut();
        let annotations = meta
            .entry("annotations".to_owned())
            .or_insert_with(|| Value::Map(Mapping::default()));
        if !matches!(annotations, Value::Map(_)) {
            *annotations = Value::Map(Mapping::default());
        }
        if let Value::Map(a) = annotations {
            a.insert(key.to_owned(), Value::from(value));
        }
    }

    /// Names of the vars that read this resource.
    pub fn ref_var_names(&self) -> &[String] {
        self.tracked.as_ref().map_or(&[], |t| &t.ref_var_names)
    }

    /// Records that a var reads this resource.
    pub fn add_ref_var_name(&mut self, name: &str) {
        self.tracked_mut().ref_var_names.push(name.to_owned());
    }

    /// Whether the name takes a content hash suffix at the end of the build.
    pub fn needs_hash(&self) -> bool {
        self.needs_hash
    }

    /// Sets whether the name takes a content hash suffix.
    pub fn set_needs_hash(&mut self, on: bool) {
        self.needs_hash = on;
    }

    /// How a generated resource meets an existing one.
    pub fn behavior(&self) -> Behavior {
        self.behavior
    }

    /// Sets the generator behavior.
    pub fn set_behavior(&mut self, b: Behavior) {
        self.behavior = b;
    }

    /// Takes over what the build knows of `old` (previous ids, affixes) and its name and
    /// namespace, merging labels and annotations (this one's win), and the hash flag only
    /// when both have it: upstream's `CopyMergeMetaDataFieldsFrom` for generator
    /// `merge`/`replace`.
    pub fn copy_merge_metadata_from(&mut self, old: &Resource) {
        for field in ["labels", "annotations"] {
            let mut merged = old.string_map(field);
            if field == "annotations" {
                // Read from a map, a repeated key's last value.
                let shadows = old.tracked.as_ref().map(|t| &t.annotation_shadows);
                for (k, v) in shadows.into_iter().flatten() {
                    merged.push((k.clone(), v.text().into_owned()));
                }
            }
            merged.extend(self.string_map(field));
            self.set_string_map(field, merged);
        }
        let meta = self.metadata_mut();
        meta.insert("name", Value::from(old.name()));
        let ns = old.namespace();
        if ns.is_empty() {
            meta.shift_remove("namespace");
        } else {
            meta.insert("namespace", Value::from(ns));
        }
        self.history = old.history.clone();
        self.needs_hash = old.needs_hash && self.needs_hash;
        let takes_old_origin = self.behavior == Behavior::Merge || self.origin().is_none();
        let own_origin = self.tracked.take().and_then(|t| t.origin);
        let tracked = Tracked {
            ref_var_names: old.ref_var_names().to_vec(),
            transformations: old
                .tracked
                .as_ref()
                .map_or_else(Vec::new, |t| t.transformations.clone()),
            origin: if takes_old_origin {
                old.origin().cloned().or(own_origin)
            } else {
                own_origin
            },
            // Upstream rebuilds a merged ConfigMap's or Secret's data from maps: a repeated
            // key's first value wins, but a non-string key stays and still cannot be
            // printed. A replacement drops the old fields.
            unprintable: (self.behavior == Behavior::Merge)
                .then(|| old.unprintable())
                .flatten()
                .filter(|u| matches!(u, Unprintable::NonStringKey(_)))
                .cloned(),
            annotation_shadows: Vec::new(),
        };
        self.tracked = (tracked != Tracked::default()).then(|| Box::new(tracked));
    }

    /// Merges `old`'s `data` and `binaryData` under this one's (this one's keys win).
    pub fn merge_data_from(&mut self, old: &Resource) {
        for field in ["data", "binaryData"] {
            let mut merged = old.top_string_map(field);
            merged.extend(self.top_string_map(field));
            let Value::Map(obj) = &mut self.obj else {
                return;
            };
            if merged.is_empty() {
                obj.shift_remove(field);
            } else {
                obj.insert(field, string_map_value(merged));
            }
        }
    }

    fn metadata_mut(&mut self) -> &mut Mapping {
        if !matches!(self.obj, Value::Map(_)) {
            self.obj = Value::Map(Mapping::default());
        }
        let Value::Map(obj) = &mut self.obj else {
            unreachable!("just made a map")
        };
        let meta = obj
            .entry("metadata".to_owned())
            .or_insert_with(|| Value::Map(Mapping::default()));
        if !matches!(meta, Value::Map(_)) {
            *meta = Value::Map(Mapping::default());
        }
        match meta {
            Value::Map(m) => m,
            _ => unreachable!("just made a map"),
        }
    }

    /// `metadata.<field>` as strings (upstream's `GetLabels` / `GetAnnotations`): each
    /// value's text as its node holds it (`~` stays `~`).
    fn string_map(&self, field: &str) -> Vec<(String, String)> {
        to_string_pairs(self.obj.get_path(&["metadata", field]), |v| {
            v.text().into_owned()
        })
    }

    /// A top-level map as strings (upstream's `GetDataMap`): a null value becomes `""`.
    fn top_string_map(&self, field: &str) -> Vec<(String, String)> {
        to_string_pairs(self.obj.get(field), |v| scalar_text(Some(v)))
    }

    fn set_string_map(&mut self, field: &str, pairs: Vec<(String, String)>) {
        let map: indexmap::IndexMap<String, String> = pairs.into_iter().collect();
        let meta = self.metadata_mut();
        if map.is_empty() {
            meta.shift_remove(field);
        } else {
            meta.insert(field, string_map_value(map));
        }
    }

    /// Whether the current id equals `id` under upstream's equality (same Gvk and name,
    /// same effective namespace), without building the id.
    pub fn cur_id_equals(&self, id: &ResId) -> bool {
        let obj = &self.obj;
        let text_is = |v: Option<&Value>, want: &str| match v {
            Some(Value::String(s)) => s == want,
            None | Some(Value::Null | Value::Blank) => want.is_empty(),
            other => scalar_text(other) == want,
        };
        if !text_is(obj.get_path(&["metadata", "name"]), &id.name)
            || !text_is(obj.get("kind"), &id.gvk.kind)
        {
            return false;
        }
        let api_version = id.gvk.api_version();
        if !text_is(obj.get("apiVersion"), &api_version) {
            return false;
        }
        if id.gvk.is_cluster_scoped() {
            return true;
        }
        let ns = scalar_text(obj.get_path(&["metadata", "namespace"]));
        let effective = if ns.is_empty() {
            crate::resid::DEFAULT_NAMESPACE
        } else {
            ns.as_str()
        };
        effective == id.effective_namespace()
    }

    /// Whether the current or any previous id equals `id` (upstream's
    /// `GetMatchingResourcesByAnyId(id.Equals)` test for one resource).
    pub fn any_id_equals(&self, id: &ResId) -> bool {
        self.cur_id_equals(id) || self.history.prev_ids().any(|p| p.equals(id))
    }

    /// Remembers the current id as a previous one (before a rename or namespace change).
    pub fn store_previous_id(&mut self) {
        let id = self.cur_id();
        let namespace = id.effective_namespace().to_owned();
        self.history
            .push_prev_id(&ResId::new(id.gvk, id.name, namespace));
    }

    /// Moves the previous ids and name affixes out, so that a pass can read them while it
    /// changes this resource's object (name references read a referrer's own history as
    /// they rewrite it); [`Resource::restore_history`] puts them back.
    pub(crate) fn take_history(&mut self) -> History {
        std::mem::take(&mut self.history)
    }

    /// The previous ids and name affixes.
    pub(crate) fn history(&self) -> &History {
        &self.history
    }

    /// Puts back what [`Resource::take_history`] moved out.
    pub(crate) fn restore_history(&mut self, history: History) {
        self.history = history;
    }

    /// Earlier ids, oldest first (unpacked as they are read).
    pub fn prev_ids(&self) -> impl Iterator<Item = ResId> + '_ {
        self.history.prev_ids()
    }

    /// The names of the earlier ids, oldest first.
    pub fn prev_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.history.prev_names()
    }

    /// How many earlier ids there are.
    pub fn prev_id_count(&self) -> usize {
        self.history.prev_id_count()
    }

    /// The id the resource had when it entered the build.
    pub fn org_id(&self) -> ResId {
        match self.history.prev_ids().next() {
            Some(id) => id,
            None => self.cur_id(),
        }
    }

    /// Records a name prefix added by the prefix transformer.
    pub fn add_name_prefix(&mut self, prefix: &str) {
        if !prefix.is_empty() {
            self.history.push_prefix(prefix);
        }
    }

    /// Records a name suffix added by the suffix transformer.
    pub fn add_name_suffix(&mut self, suffix: &str) {
        if !suffix.is_empty() {
            self.history.push_suffix(suffix);
        }
    }

    /// Name prefixes added, innermost first.
    pub fn name_prefixes(&self) -> impl Iterator<Item = &str> + '_ {
        self.history.prefixes()
    }

    /// Name suffixes added, innermost first.
    pub fn name_suffixes(&self) -> impl Iterator<Item = &str> + '_ {
        self.history.suffixes()
    }

    /// The object.
    pub fn value(&self) -> &Value {
        &self.obj
    }

    /// The object, mutably.
    pub fn value_mut(&mut self) -> &mut Value {
        &mut self.obj
    }

    /// The object, consumed.
    pub fn into_value(self) -> Value {
        self.obj
    }

    /// A top-level or `metadata` scalar as text, borrowed when it is a string.
    pub fn text_at(&self, path: &[&str]) -> std::borrow::Cow<'_, str> {
        scalar_str(self.obj.get_path(path))
    }

    /// `kind`, or empty.
    pub fn kind(&self) -> String {
        scalar_text(self.obj.get("kind"))
    }

    /// `apiVersion`, or empty.
    pub fn api_version(&self) -> String {
        scalar_text(self.obj.get("apiVersion"))
    }

    /// `metadata.name`, or empty.
    pub fn name(&self) -> String {
        scalar_text(self.obj.get_path(&["metadata", "name"]))
    }

    /// `metadata.namespace`, or empty.
    pub fn namespace(&self) -> String {
        scalar_text(self.obj.get_path(&["metadata", "namespace"]))
    }

    /// Group, version and kind.
    pub fn gvk(&self) -> Gvk {
        Gvk::from_api_version(
            &scalar_str(self.obj.get("apiVersion")),
            &scalar_str(self.obj.get("kind")),
        )
    }

    /// The id under the resource's current name and namespace.
    pub fn cur_id(&self) -> ResId {
        ResId::new(
            self.gvk(),
            &*scalar_str(self.obj.get_path(&["metadata", "name"])),
            &*scalar_str(self.obj.get_path(&["metadata", "namespace"])),
        )
    }

    /// A `metadata.annotations` entry, if it is set to a scalar.
    pub fn annotation(&self, key: &str) -> Option<String> {
        let v = self.obj.get_path(&["metadata", "annotations", key])?;
        (!matches!(v, Value::Map(_) | Value::Seq(_))).then(|| scalar_text(Some(v)))
    }

    /// The resource as upstream prints it.
    pub fn to_yaml(&self) -> Result<String, crate::Error> {
        self.check_printable()?;
        let mut out = String::new();
        kustomize_yaml::emit_document(&self.obj, &mut out).map_err(crate::Error::Emit)?;
        Ok(out)
    }

    /// Makes every annotation value a string, as upstream's final rewrite of annotations
    /// does: each becomes its node's text (`8080` -> `"8080"`, `0x1F` -> `"0x1F"`, `~` ->
    /// `"~"`, `null` -> `"null"`, an empty null, a list or a map -> `""`). Only when there
    /// are annotations.
    /// Annotations that are not a non-empty map (`{}`, `null`, a list) are removed, as
    /// upstream always rewrites them.
    pub fn stringify_annotations(&mut self) {
        self.apply_annotation_shadows();
        let Some(Value::Map(meta)) = self.obj.get_mut("metadata") else {
            return;
        };
        match meta.get("annotations") {
            None => return,
            Some(Value::Map(m)) if !m.is_empty() => {}
            Some(_) => {
                meta.shift_remove("annotations");
                return;
            }
        }
        if let Some(Value::Map(annotations)) = meta.get_mut("annotations") {
            annotation_values_to_strings(annotations);
        }
    }

    /// The first annotation key that go-yaml v3 reads as something other than a string
    /// (`1`, `true`, `null`, a date), with what it reads as. Upstream rebuilds every
    /// resource's annotations before it prints, keys as untagged scalars, so such a key
    /// (quoted in the file or not, or a YAML 1.1 `y` or `n` from a kustomization) makes
    /// its JSON encoding fail: `json: unsupported type: map[interface {}]interface {}`.
    pub fn non_string_annotation_key(&self) -> Option<(&str, &'static str)> {
        let annotations = self.obj.get("metadata")?.get("annotations")?.as_map()?;
        annotations.keys().find_map(|k| {
            let resolved = kustomize_yaml::resolve::resolve_v3(k, true);
            (k.as_str() != "<<" && resolved != kustomize_yaml::resolve::Resolved::Str)
                .then(|| (k.as_str(), resolved.tag_name()))
        })
    }

    /// Upstream's `SetAnnotations(GetAnnotations())` after a JSON patch: `metadata` exists,
    /// annotation values are strings, and an empty annotations map is removed.
    pub fn normalize_annotations(&mut self) {
        self.stringify_annotations();
        let meta = self.metadata_mut();
        if meta
            .get("annotations")
            .is_some_and(|a| !matches!(a, Value::Map(m) if !m.is_empty()))
        {
            meta.shift_remove("annotations");
        }
    }

    /// Whether upstream drops this resource from the output as local configuration.
    pub fn is_local_config(&self) -> bool {
        self.annotation(LOCAL_CONFIG_ANNOTATION)
            .is_some_and(|v| v != "false")
    }
}

fn to_string_pairs(v: Option<&Value>, text: impl Fn(&Value) -> String) -> Vec<(String, String)> {
    match v {
        Some(Value::Map(m)) => m.iter().map(|(k, v)| (k.to_string(), text(v))).collect(),
        _ => Vec::new(),
    }
}

fn string_map_value<I: IntoIterator<Item = (String, String)>>(pairs: I) -> Value {
    Value::Map(
        pairs
            .into_iter()
            .map(|(k, v)| (k, Value::from(v)))
            .collect(),
    )
}

/// [`scalar_text`], borrowed when the value is a string (ids are read all the time).
pub(crate) fn scalar_str(v: Option<&Value>) -> std::borrow::Cow<'_, str> {
    match v {
        Some(Value::String(s)) => std::borrow::Cow::Borrowed(s.as_str()),
        other => std::borrow::Cow::Owned(scalar_text(other)),
    }
}

/// The text of a scalar as kyaml's `GetValue` reads it; empty for null, maps and sequences.
pub fn scalar_text(v: Option<&Value>) -> String {
    match v {
        Some(v) if v.is_null() => String::new(),
        Some(v) => v.text().into_owned(),
        None => String::new(),
    }
}

/// Reads the resources in a file's bytes as upstream's resource factory does: documents
/// that are null or empty maps are skipped; each needs a `kind` and, unless its kind ends in
/// `List`, a `metadata.name`; a `*List` with `items` is replaced by its items, which go to
/// the end of the queue (so `[List(a, b), c]` reads as `[c, a, b]`).
pub fn resources_from_bytes(
    bytes: &[u8],
    path: &std::path::Path,
) -> Result<Vec<Resource>, crate::Error> {
    resources_from_bytes_in(bytes, path, kustomize_yaml::Context::default())
}

/// [`resources_from_bytes`], parsing in `cx` (sharing its keys, charging its budget).
pub fn resources_from_bytes_in(
    bytes: &[u8],
    path: &std::path::Path,
    cx: kustomize_yaml::Context<'_>,
) -> Result<Vec<Resource>, crate::Error> {
    use std::collections::VecDeque;

    let text = std::str::from_utf8(bytes).map_err(|e| crate::Error::InvalidResource {
        path: path.to_path_buf(),
        message: format!("not UTF-8: {e}"),
    })?;
    // A patch keeps a repeated key's first value; a resource's key errors wait until it
    // is printed, as upstream's do.
    let docs: Vec<(Value, Notes)> = if cx.first_key_wins {
        kustomize_yaml::parse_documents_in(text, kustomize_yaml::Schema::Kyaml, cx)
            .map_err(|source| crate::Error::yaml(path, source))?
            .into_iter()
            .map(|d| (d, Notes::default()))
            .collect()
    } else {
        kustomize_yaml::parse_documents_deferring(text, kustomize_yaml::Schema::Kyaml, cx)
            .map_err(|source| crate::Error::yaml(path, source))?
            .into_iter()
            .map(|d| {
                let notes = Notes {
                    unprintable: d.unprintable.map(Unprintable::from),
                    annotation_shadows: d
                        .annotation_shadows
                        .into_iter()
                        .map(|(k, v)| (k.to_string(), v))
                        .collect(),
                };
                (d.value, notes)
            })
            .collect()
    };
    let invalid = |message: String| crate::Error::InvalidResource {
        path: path.to_path_buf(),
        message,
    };
    let mut queue: VecDeque<(Value, Notes)> = docs.into_iter().collect();
    let mut out = Vec::new();
    while let Some((doc, notes)) = queue.pop_front() {
        if is_nil_or_empty(&doc) {
            continue;
        }
        let kind = scalar_text(doc.get("kind"));
        if kind.is_empty() {
            return Err(invalid(format!("missing kind in object {}", short(&doc))));
        }
        if kind.ends_with("List") {
            match doc.get("items") {
                None => {}
                Some(Value::Null | Value::Blank) => continue,
                Some(Value::Seq(_)) => {
                    let Value::Map(mut m) = doc else { continue };
                    if let Some(Value::Seq(items)) = m.shift_remove("items") {
                        queue.extend(items.into_iter().filter(|i| !is_nil_or_empty(i)).map(|i| {
                            let notes = Notes {
                                unprintable: notes.unprintable.clone(),
                                annotation_shadows: Vec::new(),
                            };
                            (i, notes)
                        }));
                    }
                    continue;
                }
                Some(other) => {
                    return Err(invalid(format!(
                        "expected array in {kind}/items, but found {}",
                        other.type_name()
                    )))
                }
            }
        } else if scalar_text(doc.get_path(&["metadata", "name"])).is_empty() {
            return Err(invalid(format!(
                "missing metadata.name in object {}",
                short(&doc)
            )));
        }
        let mut resource = Resource::new(annotations_made(doc));
        if notes.unprintable.is_some() || !notes.annotation_shadows.is_empty() {
            let tracked = resource.tracked_mut();
            tracked.unprintable = notes.unprintable;
            tracked.annotation_shadows = notes.annotation_shadows;
        }
        out.push(resource);
    }
    Ok(out)
}

/// What a resource's file said of it beyond its value (see `Tracked`).
#[derive(Default)]
struct Notes {
    unprintable: Option<Unprintable>,
    annotation_shadows: Vec<(String, Value)>,
}

/// A key upstream cannot print (its file repeated it, or a nested mapping has a
/// non-string key): upstream fails only when it prints the resource or decodes it as a
/// plugin config.
#[derive(Debug, Clone, PartialEq)]
pub enum Unprintable {
    /// go-yaml v3's unmarshal error for a repeated key.
    RepeatedKey(String),
    /// `json.Marshal`'s error for a non-string key.
    NonStringKey(String),
}

impl Unprintable {
    /// The decoding error itself (`yaml: unmarshal errors: ...`).
    pub fn decoding(&self) -> &str {
        match self {
            Unprintable::RepeatedKey(m) | Unprintable::NonStringKey(m) => m,
        }
    }

    /// Upstream's error when it prints the resource.
    pub fn printing(&self) -> String {
        match self {
            Unprintable::RepeatedKey(m) => format!("map[string]interface {{}}(nil): {m}"),
            Unprintable::NonStringKey(m) => m.clone(),
        }
    }
}

impl From<kustomize_yaml::KeyError> for Unprintable {
    fn from(e: kustomize_yaml::KeyError) -> Self {
        match e {
            kustomize_yaml::KeyError::Repeated { line, message } => Unprintable::RepeatedKey(
                format!("yaml: unmarshal errors:\n  line {line}: {message}"),
            ),
            kustomize_yaml::KeyError::NonString(kustomize_yaml::Error::Syntax {
                message, ..
            }) => Unprintable::NonStringKey(message),
            kustomize_yaml::KeyError::NonString(e) => Unprintable::NonStringKey(e.to_string()),
        }
    }
}

/// A null `metadata.annotations` made an empty map, as upstream's reader leaves it (it
/// writes its own annotations there while it reads): so a replacement can create fields
/// in it, where under any other null it creates nothing.
fn annotations_made(mut doc: Value) -> Value {
    if let Some(Value::Map(meta)) = doc.as_map_mut().and_then(|d| d.get_mut("metadata")) {
        if let Some(a) = meta.get_mut("annotations").filter(|a| a.is_null()) {
            *a = Value::Map(Mapping::default());
        }
    }
    doc
}

fn is_nil_or_empty(v: &Value) -> bool {
    match v {
        Value::Null | Value::Blank => true,
        Value::Map(m) => m.is_empty(),
        _ => false,
    }
}

/// Upstream's check of an object's id fields (kyaml's `GetValidatedMetadata`): a `kind`,
/// and a `metadata.name` unless the kind ends in `List`.
pub(crate) fn check_id_fields(doc: &Value) -> Result<(), String> {
    let kind = scalar_text(doc.get("kind"));
    if kind.is_empty() {
        return Err(format!("missing kind in object {}", short(doc)));
    }
    if !kind.ends_with("List") && scalar_text(doc.get_path(&["metadata", "name"])).is_empty() {
        return Err(format!("missing metadata.name in object {}", short(doc)));
    }
    Ok(())
}

/// Upstream's `BuildAnnotations`: kustomize's and kio's internal annotations, removed from
/// every resource at the end of a build.
const BUILD_ANNOTATIONS: [&str; 18] = [
    "internal.config.kubernetes.io/previousKinds",
    "internal.config.kubernetes.io/previousNames",
    "internal.config.kubernetes.io/prefixes",
    "internal.config.kubernetes.io/suffixes",
    "internal.config.kubernetes.io/previousNamespaces",
    "internal.config.kubernetes.io/allowNameChange",
    "internal.config.kubernetes.io/allowKindChange",
    "internal.config.kubernetes.io/refBy",
    "internal.config.kubernetes.io/generatorBehavior",
    "internal.config.kubernetes.io/needsHashSuffix",
    "internal.config.kubernetes.io/path",
    "internal.config.kubernetes.io/index",
    "internal.config.kubernetes.io/seqindent",
    "internal.config.kubernetes.io/id",
    "internal.config.kubernetes.io/annotations-migration-resource-id",
    "config.kubernetes.io/path",
    "config.kubernetes.io/index",
    "config.k8s.io/id",
];

/// A one-line description of an object for error messages: its kind and name.
fn short(v: &Value) -> String {
    format!(
        "{{apiVersion: {}, kind: {}, name: {}}}",
        scalar_text(v.get("apiVersion")),
        scalar_text(v.get("kind")),
        scalar_text(v.get_path(&["metadata", "name"]))
    )
}

/// Upstream's `SetAnnotations(GetAnnotations())`: every value becomes a string of its text.
fn annotation_values_to_strings(annotations: &mut Mapping) {
    for value in annotations.values_mut() {
        if !matches!(value, Value::String(_)) {
            *value = Value::from(value.text().into_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A build holds every resource at once: rare parts stay boxed.
    #[test]
    fn resource_stays_small() {
        let size = std::mem::size_of::<Resource>();
        assert!(size <= 56, "Resource is {size} bytes");
    }
}
