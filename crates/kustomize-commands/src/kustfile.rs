//! The kustomization file as the `edit` commands read and write it (upstream's
//! `kustomize/commands/internal/kustfile`).
//!
//! Upstream's rules, reproduced here:
//! * The file is `kustomization.yaml`, `kustomization.yml` or `Kustomization` in the working
//!   directory; none or several is an error.
//! * It is decoded strictly into the typed `Kustomization` and fixed up (`FixKustomization`:
//!   `kind`/`apiVersion` defaulted, `bases` into `resources`, `imageTags` into `images`, ...).
//!   Everything but the typed fields is lost: inline comments, quoting, key order inside a
//!   field.
//! * Writing prints the fields the file had, in the file's order, each preceded by the
//!   comment and blank lines that stood above it; then every other non-empty field, in
//!   upstream's `fieldMarshallingOrder`. A top-level line counts as a field when it starts
//!   with a field name (any case) and `:`. Comment lines that follow a line which is neither
//!   a comment nor a field (a list item, say) join the comment of the *previous* field, so
//!   they move above it; comments after the last field's content, and the last line when
//!   the file does not end in a newline, are not seen (their comments are dropped).
//! * Each field prints as sigs.k8s.io/yaml prints a `Kustomization` holding only it: Go's
//!   JSON encoding (`omitempty` drops empty values; some fields have no `omitempty`), then
//!   go-yaml v2 (keys sorted, block style) — the emitter `build` uses.

use std::path::{Path, PathBuf};

use kustomize::unstable::kustomization::{
    FieldOptions, FieldSpec, GeneratorArgs, GeneratorOptions, Image, Kustomization, Label,
    ObjectMeta, Patch, ReplacementField, Replica, Selector, StringMap, Var,
    KUSTOMIZATION_FILE_NAMES,
};
use kustomize::yaml::{emit_document, Mapping, Value};

/// The top-level fields in the order upstream writes the ones a file did not have
/// (`fieldMarshallingOrder`), by their JSON names.
const FIELD_ORDER: [&str; 33] = [
    "apiVersion",
    "kind",
    "metadata",
    "sortOptions",
    "resources",
    "bases",
    "namePrefix",
    "nameSuffix",
    "namespace",
    "crds",
    "commonLabels",
    "labels",
    "commonAnnotations",
    "patchesStrategicMerge",
    "patchesJson6902",
    "patches",
    "configMapGenerator",
    "secretGenerator",
    "helmCharts",
    "helmChartInflationGenerator",
    "helmGlobals",
    "generatorOptions",
    "vars",
    "images",
    "replacements",
    "replicas",
    "configurations",
    "generators",
    "transformers",
    "validators",
    "components",
    "openapi",
    "buildMetadata",
];

/// A field the file had, with the comment lines (verbatim, each with its line break)
/// that precede it.
#[derive(Debug, Clone)]
struct CommentedField {
    field: &'static str,
    comment: String,
}

/// The kustomization file of a directory, with what writing it back needs to know of its
/// original text.
#[derive(Debug, Clone)]
pub struct KustFile {
    path: PathBuf,
    original: Vec<CommentedField>,
}

impl KustFile {
    /// Finds the kustomization file in `dir` (upstream's `NewKustomizationFile`).
    pub fn find(dir: &Path) -> Result<KustFile, String> {
        let found: Vec<&str> = KUSTOMIZATION_FILE_NAMES
            .iter()
            .copied()
            .filter(|name| dir.join(name).symlink_metadata().is_ok())
            .collect();
        let name = match found.as_slice() {
            [] => {
                return Err(format!(
                    "Missing kustomization file '{}'.\n",
                    KUSTOMIZATION_FILE_NAMES[0]
                ))
            }
            [one] => *one,
            several => {
                return Err(format!(
                    "Found multiple kustomization file: [{}]\n",
                    several.join(" ")
                ))
            }
        };
        let path = dir.join(name);
        if path.is_dir() {
            return Err(format!("{name} should be a file"));
        }
        Ok(KustFile {
            path,
            original: Vec::new(),
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads and decodes the file, remembering its fields and comments for [`KustFile::write`].
    pub fn read(&mut self) -> Result<Kustomization, String> {
        let content = std::fs::read(&self.path)
            .map_err(|e| format!("reading {}: {e}", self.path.display()))?;
        let k = Kustomization::read_for_edit(&content, &self.path).map_err(|e| match e {
            kustomize::Error::InvalidKustomization { message, .. } => {
                format!("invalid Kustomization: {}", go_json_message(&message))
            }
            other => other.chain(),
        })?;
        self.original = commented_fields(&String::from_utf8_lossy(&content));
        Ok(k)
    }

    /// The text upstream writes for `k`.
    /// An error for a value Go's JSON encoding refuses (an infinite or NaN number in
    /// `valuesInline`): upstream cannot read such a file either.
    pub fn render(&self, k: &Kustomization) -> Result<String, String> {
        let mut out = String::new();
        for f in &self.original {
            out.push_str(&f.comment);
            marshal_field(f.field, k, &mut out)?;
        }
        for field in FIELD_ORDER {
            if !self.original.iter().any(|f| f.field == field) {
                marshal_field(field, k, &mut out)?;
            }
        }
        Ok(out)
    }

    /// Writes `k` back, atomically: the text goes to a temporary file in the same
    /// directory, which is then renamed over the kustomization file; on any failure the
    /// file is untouched.
    pub fn write(&self, k: &Kustomization) -> Result<(), String> {
        crate::write::write_file(&self.path, self.render(k)?.as_bytes())
    }
}

/// The whole kustomization as sigs.k8s.io/yaml prints the struct: every non-empty field,
/// keys sorted at every level (how `localize` writes the kustomizations it copies).
pub fn render_whole(k: &Kustomization) -> Result<String, String> {
    let mut doc = Mapping::new();
    for field in FIELD_ORDER.into_iter().chain(["imageTags"]) {
        if let Some(v) = field_value(field, k) {
            doc.insert(field, v);
        }
    }
    let mut out = String::new();
    if doc.is_empty() {
        out.push_str("{}\n");
    } else {
        emit_document(&Value::from(doc), &mut out).map_err(unsupported)?;
    }
    Ok(out)
}

/// Upstream's error for a value JSON cannot hold.
fn unsupported(e: kustomize::yaml::Error) -> String {
    format!("invalid Kustomization: {e}")
}

/// Upstream words an unknown field as Go's JSON decoder does (`json: unknown field "x"`);
/// other decoding errors keep kustomize-rs's wording.
pub(crate) fn go_json_message(message: &str) -> String {
    if let Some((_, rest)) = message.split_once("unknown field `") {
        if let Some((field, _)) = rest.split_once('`') {
            return format!("json: unknown field \"{field}\"");
        }
    }
    message.to_string()
}

/// Upstream's `parseCommentedFields`: which fields the file has, in order, with their
/// comments.
fn commented_fields(content: &str) -> Vec<CommentedField> {
    let mut fields: Vec<CommentedField> = Vec::new();
    let mut comments = String::new();
    // Only complete lines count: upstream stops at a last line without a line break.
    for line in content.split_inclusive('\n').filter(|l| l.ends_with('\n')) {
        let trimmed = line.trim_start_matches(' ').trim_end_matches('\n');
        if trimmed.is_empty() || trimmed.starts_with('#') {
            comments.push_str(line);
        } else if let Some(field) = matched_field(line) {
            fields.push(CommentedField {
                field,
                comment: std::mem::take(&mut comments),
            });
        } else if !comments.is_empty() {
            if let Some(last) = fields.last_mut() {
                last.comment.push_str(&std::mem::take(&mut comments));
            }
        }
    }
    fields
}

/// The field a line starts (`^(?i)name:`), first in upstream's order.
fn matched_field(line: &str) -> Option<&'static str> {
    FIELD_ORDER.into_iter().find(|f| {
        line.len() > f.len()
            && line.as_bytes()[f.len()] == b':'
            && line.as_bytes()[..f.len()].eq_ignore_ascii_case(f.as_bytes())
    })
}

/// Appends `field: ...` as upstream prints it, or nothing when the field is empty.
fn marshal_field(field: &str, k: &Kustomization, out: &mut String) -> Result<(), String> {
    if let Some(value) = field_value(field, k) {
        let mut doc = Mapping::new();
        doc.insert(field, value);
        let mut text = String::new();
        emit_document(&Value::from(doc), &mut text).map_err(unsupported)?;
        out.push_str(&text);
    }
    Ok(())
}

/// A top-level field's value in Go's JSON encoding, `None` when empty (upstream's
/// `isEmpty`: a nil pointer, an empty string, list or map).
fn field_value(field: &str, k: &Kustomization) -> Option<Value> {
    let v = match field {
        "apiVersion" => string(&k.api_version),
        "kind" => string(&k.kind),
        "metadata" => k.metadata.as_ref().map(object_meta),
        "sortOptions" => k.sort_options.as_ref().map(|s| {
            let mut o = Obj::default();
            o.str("order", &s.order);
            if let Some(l) = &s.legacy_sort_options {
                let mut lo = Obj::default();
                lo.always("orderFirst", nil_or_strings(&l.order_first));
                lo.always("orderLast", nil_or_strings(&l.order_last));
                o.always("legacySortOptions", lo.done());
            }
            o.done()
        }),
        "resources" => strings(&k.resources),
        "bases" => strings(&k.bases),
        "namePrefix" => string(&k.name_prefix),
        "nameSuffix" => string(&k.name_suffix),
        "namespace" => string(&k.namespace),
        "crds" => strings(&k.crds),
        "commonLabels" => k.common_labels.as_ref().and_then(string_map),
        "labels" => list(&k.labels, label),
        "commonAnnotations" => k.common_annotations.as_ref().and_then(string_map),
        "patchesStrategicMerge" => strings(&k.patches_strategic_merge),
        "patchesJson6902" => list(&k.patches_json6902, patch),
        "patches" => list(&k.patches, patch),
        "configMapGenerator" => list(&k.config_map_generator, generator),
        "secretGenerator" => list(&k.secret_generator, generator),
        "helmCharts" => list(&k.helm_charts, |h| {
            let mut o = Obj::default();
            o.str("name", &h.name);
            o.str("version", &h.version);
            o.str("repo", &h.repo);
            o.str("releaseName", &h.release_name);
            o.str("namespace", &h.namespace);
            o.strs("additionalValuesFiles", &h.additional_values_files);
            o.str("valuesFile", &h.values_file);
            if let Some(v) = h.values_inline.as_ref().filter(|v| !is_empty_map(v)) {
                o.always("valuesInline", v.clone());
            }
            o.str("valuesMerge", &h.values_merge);
            o.flag("includeCRDs", h.include_crds);
            o.flag("skipHooks", h.skip_hooks);
            o.strs("apiVersions", &h.api_versions);
            o.str("kubeVersion", &h.kube_version);
            o.str("nameTemplate", &h.name_template);
            o.flag("skipTests", h.skip_tests);
            o.flag("debug", h.debug);
            o.flag("devel", h.devel);
            o.done()
        }),
        "helmChartInflationGenerator" => list(&k.helm_chart_inflation_generator, |h| {
            let mut o = Obj::default();
            o.str("chartName", &h.chart_name);
            o.str("chartVersion", &h.chart_version);
            o.str("chartRepoUrl", &h.chart_repo_url);
            o.str("chartHome", &h.chart_home);
            o.str("chartRepoName", &h.chart_repo_name);
            o.str("helmBin", &h.helm_bin);
            o.str("helmHome", &h.helm_home);
            o.str("values", &h.values);
            if let Some(v) = h.values_local.as_ref().filter(|v| !is_empty_map(v)) {
                o.always("valuesLocal", v.clone());
            }
            o.str("valuesMerge", &h.values_merge);
            o.str("releaseName", &h.release_name);
            o.str("releaseNamespace", &h.release_namespace);
            o.strs("extraArgs", &h.extra_args);
            o.done()
        }),
        "helmGlobals" => k.helm_globals.as_ref().map(|g| {
            let mut o = Obj::default();
            o.str("chartHome", &g.chart_home);
            o.str("configHome", &g.config_home);
            o.done()
        }),
        "generatorOptions" => k.generator_options.as_ref().map(generator_options),
        "vars" => list(&k.vars, var),
        "images" => list(&k.images, image),
        "replacements" => list(&k.replacements, replacement),
        "replicas" => list(&k.replicas, replica),
        "configurations" => strings(&k.configurations),
        "generators" => strings(&k.generators),
        "transformers" => strings(&k.transformers),
        "validators" => strings(&k.validators),
        "components" => strings(&k.components),
        "openapi" => string_map(&k.openapi),
        "buildMetadata" => strings(&k.build_metadata),
        "imageTags" => list(&k.image_tags, image),
        _ => None,
    };
    v
}

/// A JSON object under construction: `omitempty` fields are added only when non-empty.
#[derive(Default)]
struct Obj(Mapping);

impl Obj {
    fn str(&mut self, key: &str, v: &str) {
        if let Some(v) = string(v) {
            self.0.insert(key, v);
        }
    }
    fn strs(&mut self, key: &str, v: &[String]) {
        if let Some(v) = strings(v) {
            self.0.insert(key, v);
        }
    }
    fn map(&mut self, key: &str, v: &StringMap) {
        if let Some(v) = string_map(v) {
            self.0.insert(key, v);
        }
    }
    fn flag(&mut self, key: &str, v: bool) {
        if v {
            self.0.insert(key, Value::Bool(true));
        }
    }
    fn int(&mut self, key: &str, v: i64) {
        if v != 0 {
            self.0.insert(key, Value::Int(v));
        }
    }
    fn opt(&mut self, key: &str, v: Option<Value>) {
        if let Some(v) = v {
            self.0.insert(key, v);
        }
    }
    fn always(&mut self, key: &str, v: Value) {
        self.0.insert(key, v);
    }
    fn done(self) -> Value {
        Value::from(self.0)
    }
}

fn string(s: &str) -> Option<Value> {
    (!s.is_empty()).then(|| Value::from(s))
}

fn strings(v: &[String]) -> Option<Value> {
    (!v.is_empty()).then(|| {
        Value::from(
            v.iter()
                .map(|s| Value::from(s.as_str()))
                .collect::<Vec<_>>(),
        )
    })
}

/// A list without `omitempty`: Go prints a nil slice as `null` (the typed model does not
/// tell a nil slice from an empty one; an absent list is the common case).
fn nil_or_strings(v: &[String]) -> Value {
    strings(v).unwrap_or(Value::Null)
}

fn string_map(m: &StringMap) -> Option<Value> {
    (!m.is_empty()).then(|| {
        let mut out = Mapping::new();
        for (k, v) in m {
            out.insert(k.as_str(), Value::from(v.as_str()));
        }
        Value::from(out)
    })
}

fn is_empty_map(v: &Value) -> bool {
    v.as_map().is_some_and(|m| m.is_empty()) || v.is_null()
}

fn list<T>(items: &[T], each: impl Fn(&T) -> Value) -> Option<Value> {
    (!items.is_empty()).then(|| Value::from(items.iter().map(each).collect::<Vec<_>>()))
}

fn object_meta(m: &ObjectMeta) -> Value {
    let mut o = Obj::default();
    o.str("name", &m.name);
    o.str("namespace", &m.namespace);
    o.map("labels", &m.labels);
    o.map("annotations", &m.annotations);
    o.done()
}

fn label(l: &Label) -> Value {
    let mut o = Obj::default();
    o.map("pairs", &l.pairs);
    o.flag("includeSelectors", l.include_selectors);
    o.flag("includeTemplates", l.include_templates);
    o.opt("fields", list(&l.fields, field_spec));
    o.done()
}

fn field_spec(f: &FieldSpec) -> Value {
    let mut o = Obj::default();
    o.str("group", &f.group);
    o.str("version", &f.version);
    o.str("kind", &f.kind);
    o.str("path", &f.path);
    o.flag("create", f.create);
    o.done()
}

fn patch(p: &Patch) -> Value {
    let mut o = Obj::default();
    o.str("path", &p.path);
    o.str("patch", &p.patch);
    o.opt("target", p.target.as_ref().map(selector));
    if !p.options.is_empty() {
        let mut m = Mapping::new();
        for (k, v) in &p.options {
            m.insert(k.as_str(), Value::Bool(*v));
        }
        o.always("options", Value::from(m));
    }
    o.done()
}

fn selector(s: &Selector) -> Value {
    let mut o = Obj::default();
    o.str("group", &s.group);
    o.str("version", &s.version);
    o.str("kind", &s.kind);
    o.str("name", &s.name);
    o.str("namespace", &s.namespace);
    o.str("annotationSelector", &s.annotation_selector);
    o.str("labelSelector", &s.label_selector);
    o.done()
}

fn generator(g: &GeneratorArgs) -> Value {
    let mut o = Obj::default();
    o.str("namespace", &g.namespace);
    o.str("name", &g.name);
    o.str("behavior", &g.behavior);
    o.strs("literals", &g.literals);
    o.strs("files", &g.files);
    o.strs("envs", &g.envs);
    o.str("env", &g.env);
    o.opt("options", g.options.as_ref().map(generator_options));
    o.str("type", &g.type_);
    o.done()
}

fn generator_options(g: &GeneratorOptions) -> Value {
    let mut o = Obj::default();
    o.map("labels", &g.labels);
    o.map("annotations", &g.annotations);
    o.flag("disableNameSuffixHash", g.disable_name_suffix_hash);
    o.flag("immutable", g.immutable);
    o.done()
}

fn var(v: &Var) -> Value {
    let mut o = Obj::default();
    o.always("name", Value::from(v.name.as_str()));
    let t = &v.objref;
    let mut r = Obj::default();
    r.str("apiVersion", &t.api_version);
    r.str("group", &t.group);
    r.str("version", &t.version);
    r.str("kind", &t.kind);
    r.always("name", Value::from(t.name.as_str()));
    r.str("namespace", &t.namespace);
    o.always("objref", r.done());
    // A struct: Go's `omitempty` never drops it.
    let mut f = Obj::default();
    f.str("fieldPath", &v.fieldref.field_path);
    o.always("fieldref", f.done());
    o.done()
}

fn image(i: &Image) -> Value {
    let mut o = Obj::default();
    o.str("name", &i.name);
    o.str("newName", &i.new_name);
    o.str("tagSuffix", &i.tag_suffix);
    o.str("newTag", &i.new_tag);
    o.str("digest", &i.digest);
    o.done()
}

fn replacement(r: &ReplacementField) -> Value {
    let mut o = Obj::default();
    o.opt(
        "source",
        r.source.as_ref().map(|s| {
            let mut so = Obj::default();
            so.str("group", &s.group);
            so.str("version", &s.version);
            so.str("kind", &s.kind);
            so.str("name", &s.name);
            so.str("namespace", &s.namespace);
            so.str("fieldPath", &s.field_path);
            so.opt("options", s.options.as_ref().map(field_options));
            so.done()
        }),
    );
    o.opt(
        "targets",
        list(&r.targets, |t| {
            let mut to = Obj::default();
            to.always("select", t.select.as_ref().map_or(Value::Null, selector));
            to.opt("reject", list(&t.reject, selector));
            to.strs("fieldPaths", &t.field_paths);
            to.opt("options", t.options.as_ref().map(field_options));
            to.done()
        }),
    );
    if let Some(v) = &r.source_value {
        o.always("sourceValue", Value::from(v.as_str()));
    }
    o.str("path", &r.path);
    o.done()
}

fn field_options(f: &FieldOptions) -> Value {
    let mut o = Obj::default();
    o.str("delimiter", &f.delimiter);
    o.int("index", f.index);
    o.str("encoding", &f.encoding);
    o.flag("create", f.create);
    o.done()
}

fn replica(r: &Replica) -> Value {
    let mut o = Obj::default();
    o.str("name", &r.name);
    o.always("count", Value::Int(r.count));
    o.done()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(text: &str) -> String {
        let k = Kustomization::read_for_edit(text.as_bytes(), Path::new("k")).unwrap();
        let f = KustFile {
            path: PathBuf::from("k"),
            original: commented_fields(text),
        };
        f.render(&k).unwrap()
    }

    #[test]
    fn comments_stay_above_their_field() {
        let text = "# top\nresources:\n- a.yaml\n# moved up\nnamePrefix: p-\n";
        assert_eq!(
            rewrite(text),
            "# top\nresources:\n- a.yaml\n# moved up\nnamePrefix: p-\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        );
    }

    #[test]
    fn comments_after_a_list_item_join_the_previous_field() {
        let text = "resources:\n- a.yaml\n# between\n- b.yaml\nnamespace: x\n";
        assert_eq!(
            rewrite(text),
            "# between\nresources:\n- a.yaml\n- b.yaml\nnamespace: x\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        );
    }

    #[test]
    fn a_last_line_without_newline_is_not_a_field() {
        let text = "resources:\n- a.yaml\nnamespace: x";
        assert_eq!(
            rewrite(text),
            "resources:\n- a.yaml\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: x\n"
        );
    }

    use proptest::prelude::*;

    /// Lines a kustomization file is made of: fields (some spelled in other cases),
    /// list items, nested keys, comments (indented or not), blank lines.
    fn line() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("resources:".to_string()),
            Just("Resources:".to_string()),
            Just("namePrefix: p-".to_string()),
            Just("namespace: ns".to_string()),
            Just("commonLabels:".to_string()),
            Just("  app: x".to_string()),
            Just("images:".to_string()),
            Just("- name: a".to_string()),
            "- [a-z]{1,8}\\.yaml",
            "#[ a-z]{0,10}",
            "  # [a-z]{0,6}",
            Just(String::new()),
            Just("---".to_string()),
        ]
    }

    proptest! {
        /// The comment scan takes any text; rewriting a file is a fixed point after one
        /// rewrite (what `edit` writes, a second `edit` writes again unchanged).
        #[test]
        fn rewriting_is_idempotent(lines in proptest::collection::vec(line(), 0..24), newline in any::<bool>()) {
            let mut text = lines.join("\n");
            if newline {
                text.push('\n');
            }
            let _ = commented_fields(&text);
            if let Ok(k) = Kustomization::read_for_edit(text.as_bytes(), Path::new("k")) {
                let f = KustFile { path: PathBuf::from("k"), original: commented_fields(&text) };
                let once = f.render(&k).unwrap();
                let k2 = Kustomization::read_for_edit(once.as_bytes(), Path::new("k")).unwrap();
                let f2 = KustFile { path: PathBuf::from("k"), original: commented_fields(&once) };
                let twice = f2.render(&k2).unwrap();
                prop_assert_eq!(&k, &k2);
                prop_assert_eq!(once, twice);
            }
        }

        #[test]
        fn comment_scan_takes_any_text(text in "\\PC{0,200}") {
            let _ = commented_fields(&text);
        }
    }
}
