//! `kustomize edit fix [--vars]`: rewrites deprecated fields into their successors
//! (`patchesJson6902` and `patchesStrategicMerge` into `patches`, `commonLabels` into
//! `labels`, and with `--vars` the `vars` into `replacements`, rewriting the resource files
//! the vars appear in), as upstream's `kustomize/commands/edit/fix`.
//!
//! Like upstream it builds the directory before and after, and says on standard output
//! when the fixed kustomization no longer builds or builds to something else.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use clap::Args;
use kustomize::fs::DiskFs;
use kustomize::unstable::kustomization::{
    FieldOptions, Kustomization, Label, Patch, ReplacementField, Selector, SourceSelector,
    TargetSelector, Var, KUSTOMIZATION_FILE_NAMES,
};
use kustomize::yaml::{parse_documents, Schema, Value};
use kustomize::{Kustomizer, Options};

use super::load;

/// `edit fix` flags.
#[derive(Debug, Args)]
pub struct Fix {
    /// If specified, kustomize will attempt to convert vars to replacements.
    /// We recommend doing this in a clean git repository where the change is easy to undo.
    #[arg(long = "vars", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value_t = false, action = clap::ArgAction::Set)]
    vars: bool,
    /// Ignored.
    #[arg(hide = true)]
    rest: Vec<String>,
}

const FIXED: &str = "
Fixed fields:
  patchesJson6902 -> patches
  patchesStrategicMerge -> patches
  commonLabels -> labels";

impl Fix {
    /// Runs `edit fix` in `dir`.
    pub fn run(&self, dir: &Path) -> Result<(), String> {
        let before = build(dir).unwrap_or_default();
        let (file, mut k) = load(dir)?;
        fix_deprecated(dir, &mut k)?;
        if self.vars {
            convert_vars(dir, &mut k)?;
            println!("{FIXED}\n  vars -> replacements");
        } else {
            println!(
                "{FIXED}\n\nTo convert vars -> replacements, run the command `kustomize edit fix --vars`\n\n\
                 WARNING: Converting vars to replacements will potentially overwrite many resource files \n\
                 and the resulting files may not produce the same output when `kustomize build` is run. \n\
                 We recommend doing this in a clean git repository where the change is easy to undo."
            );
        }
        let written = file.write(&k);
        match build(dir) {
            Err(e) => println!(
                "Warning: 'Fixed' kustomization now produces the error when running `kustomize build`: {e}"
            ),
            Ok(after) if after != before => println!(
                "Warning: 'Fixed' kustomization now produces different output when running `kustomize build`:\n...{after}...\n"
            ),
            Ok(_) => {}
        }
        written
    }
}

/// `kustomize build DIR`'s output, its deprecation warnings printed on standard error.
fn build(dir: &Path) -> Result<String, String> {
    let out = Kustomizer::new(Options::cli())
        .build(Arc::new(DiskFs), dir)
        .map_err(|e| e.chain())?;
    for w in &out.warnings {
        eprintln!("{w}");
    }
    out.resources.to_yaml().map_err(|e| e.chain())
}

/// Upstream's `FixKustomizationPreMarshalling`.
fn fix_deprecated(dir: &Path, k: &mut Kustomization) -> Result<(), String> {
    let json = std::mem::take(&mut k.patches_json6902);
    k.patches.extend(json);
    for s in std::mem::take(&mut k.patches_strategic_merge) {
        let patch = if std::fs::read(dir.join(&s)).is_ok() {
            Patch {
                path: s,
                ..Patch::default()
            }
        } else {
            Patch {
                patch: s,
                ..Patch::default()
            }
        };
        k.patches.push(patch);
    }
    if let Some(common) = k.common_labels.take() {
        if common.is_empty() {
            k.common_labels = Some(common);
            return Ok(());
        }
        for l in &k.labels {
            if let Some(key) = l.pairs.keys().find(|key| common.contains_key(*key)) {
                return Err(format!(
                    "label name '{key}' exists in both commonLabels and labels"
                ));
            }
        }
        k.labels.push(Label {
            pairs: common,
            include_selectors: true,
            ..Label::default()
        });
    }
    Ok(())
}

/// Upstream's `ConvertVarsToReplacements`: every var becomes a replacement whose targets
/// are the places `$(NAME)` appears in the resource and patch files, and those places get
/// `NAME_PLACEHOLDER`. Existing replacements are dropped (as upstream does).
fn convert_vars(dir: &Path, k: &mut Kustomization) -> Result<(), String> {
    if k.vars.is_empty() {
        return Ok(());
    }
    k.replacements.clear();
    let mut patch_targets: HashMap<String, Patch> = HashMap::new();
    let files = files_touched(dir, k, "", &mut patch_targets)?;
    for v in std::mem::take(&mut k.vars) {
        let mut targets = Vec::new();
        for f in &files {
            add_targets(dir, &mut targets, &v.name, f, &patch_targets)?;
        }
        let source = source_of(&v);
        let placeholder = format!("{}_PLACEHOLDER", v.name);
        let var = format!("$({})", v.name);
        for f in &files {
            let path = dir.join(f);
            let Ok(text) = std::fs::read(&path) else {
                continue;
            };
            let text = String::from_utf8_lossy(&text).replace(&var, &placeholder);
            std::fs::write(&path, text).map_err(|e| format!("writing {f}: {e}"))?;
        }
        k.replacements.push(ReplacementField {
            source: Some(source),
            targets,
            ..ReplacementField::default()
        });
    }
    Ok(())
}

/// Go's `path.Join` of two paths, cleaned.
fn join(dir: &str, p: &str) -> String {
    if dir.is_empty() {
        super::clean_path(p)
    } else {
        super::clean_path(&format!("{dir}/{p}"))
    }
}

/// Upstream's `filesTouchedByKustomize`: the resource files (and those of kustomizations
/// in resource directories) and the patch files. Nested directories are read at the
/// resource's own path, not joined with the outer one, as upstream does.
fn files_touched(
    root: &Path,
    k: &Kustomization,
    dir: &str,
    patch_targets: &mut HashMap<String, Patch>,
) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for r in &k.resources {
        if let Ok(entries) = std::fs::read_dir(root.join(r)) {
            let mut names: Vec<String> = entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            for name in names
                .iter()
                .filter(|n| KUSTOMIZATION_FILE_NAMES.contains(&n.as_str()))
            {
                let Ok(content) = std::fs::read(root.join(r).join(name)) else {
                    continue;
                };
                let sub = nested_kustomization(&content).map_err(|e| format!("{r}/{name}: {e}"))?;
                out.extend(files_touched(root, &sub, r, patch_targets)?);
            }
        }
        out.push(join(dir, r));
    }
    for p in k.patches.iter().filter(|p| !p.path.is_empty()) {
        let pp = join(dir, &p.path);
        patch_targets.insert(pp.clone(), p.clone());
        out.push(pp);
    }
    Ok(out)
}

/// A nested kustomization's `resources` and `patches`, read leniently.
fn nested_kustomization(content: &[u8]) -> Result<Kustomization, String> {
    let text = String::from_utf8_lossy(content);
    let doc = parse_documents(&text, Schema::Yaml11)
        .map_err(|e| e.to_string())?
        .into_iter()
        .next()
        .unwrap_or_default();
    if doc.is_null() {
        return Ok(Kustomization::default());
    }
    kustomize::yaml::de::from_value_lenient(&doc).map_err(|e| e.to_string())
}

/// The documents of a file as kustomize reads them (`List` items unwrapped).
fn documents(text: &str) -> Option<Vec<Value>> {
    let docs = parse_documents(&text.replace("\r\n", "\n"), Schema::Kyaml).ok()?;
    let docs: Vec<Value> = docs.into_iter().filter(|d| !d.is_null()).collect();
    if let [one] = docs.as_slice() {
        let kind = one.str_at(&["kind"]);
        if matches!(kind, Some("List" | "ResourceList")) {
            if let Some(items) = one.get("items").and_then(Value::as_seq) {
                return Some(items.iter().cloned().collect());
            }
        }
    }
    Some(docs)
}

/// Upstream's `addTargets` for one file.
fn add_targets(
    root: &Path,
    targets: &mut Vec<TargetSelector>,
    name: &str,
    file: &str,
    patch_targets: &HashMap<String, Patch>,
) -> Result<(), String> {
    let Ok(content) = std::fs::read(root.join(file)) else {
        return Ok(());
    };
    let Some(docs) = documents(&String::from_utf8_lossy(&content)) else {
        return Ok(());
    };
    let var = format!("$({name})");
    for node in &docs {
        let mut found = Vec::new();
        find_var(node, &var, &mut found).map_err(|e| format!("error with {file}: {e}"))?;
        for (field_path, options) in found {
            targets.push(TargetSelector {
                select: Some(select_for(node, file, patch_targets)),
                field_paths: vec![field_path],
                options,
                ..TargetSelector::default()
            });
        }
    }
    Ok(())
}

/// Every scalar holding `var`, depth first: its field path (`.`-joined; keys with a `.`
/// in brackets; list indices as numbers) and the delimiter options that isolate the var.
fn find_var(
    node: &Value,
    var: &str,
    found: &mut Vec<(String, Option<FieldOptions>)>,
) -> Result<(), String> {
    // An explicit stack (document order) instead of recursion: input controls the depth.
    let mut stack: Vec<(&Value, Vec<String>)> = vec![(node, Vec::new())];
    while let Some((v, path)) = stack.pop() {
        match v {
            Value::Seq(items) => {
                for (i, item) in items.iter().enumerate().rev() {
                    let mut p = path.clone();
                    p.push(i.to_string());
                    stack.push((item, p));
                }
            }
            Value::Map(m) => {
                let entries: Vec<_> = m.iter().collect();
                for (key, value) in entries.into_iter().rev() {
                    let key = key.trim().to_string();
                    let mut p = path.clone();
                    p.push(if key.contains('.') {
                        format!("[{key}]")
                    } else {
                        key
                    });
                    stack.push((value, p));
                }
            }
            Value::Null | Value::Blank => {}
            scalar => {
                let text = scalar.text();
                if text.contains(var) {
                    found.push((path.join("."), field_options(&text, var)?));
                }
            }
        }
    }
    Ok(())
}

/// Upstream's `constructFieldOptions`.
fn field_options(value: &str, var: &str) -> Result<Option<FieldOptions>, String> {
    if value == var {
        return Ok(None);
    }
    let bytes = value.as_bytes();
    let i = value.find(var).unwrap_or(0);
    let end = i + var.len();
    let byte = |at: usize| (bytes[at] as char).to_string();
    let (delimiter, index) = if i == 0 {
        (byte(end), 0)
    } else if end >= value.len() {
        let d = byte(i - 1);
        let n = value.split(d.as_str()).count() as i64 - 1;
        (d, n)
    } else {
        let (pre, post) = (byte(i - 1), byte(end));
        if pre != post {
            return Err(format!(
                "cannot convert all vars to replacements; {var} is not delimited"
            ));
        }
        let n = value
            .split(pre.as_str())
            .position(|piece| piece == var)
            .ok_or_else(|| format!("internal error: could not get index of var {var}"))?;
        (pre, n as i64)
    };
    Ok(Some(FieldOptions {
        delimiter,
        index,
        ..FieldOptions::default()
    }))
}

/// The target selector of a document: its patch's target for a patch file (unless the patch
/// may change name and kind), else the document's own id.
fn select_for(node: &Value, file: &str, patch_targets: &HashMap<String, Patch>) -> Selector {
    let name = node.str_at(&["metadata", "name"]).unwrap_or_default();
    let namespace = node.str_at(&["metadata", "namespace"]).unwrap_or_default();
    let kind = node.str_at(&["kind"]).unwrap_or_default();
    if let Some(p) = patch_targets.get(file) {
        let opt = |o: &str| p.options.get(o).copied().unwrap_or(false);
        if !(opt("allowNameChange") && opt("allowKindChange")) {
            let mut s = p.target.clone().unwrap_or_default();
            if opt("allowNameChange") {
                s.name = name.into();
            }
            if opt("allowKindChange") {
                s.kind = kind.into();
            }
            if !namespace.is_empty() {
                s.namespace = namespace.into();
            }
            return s;
        }
    }
    let (group, version) = split_api_version(node.str_at(&["apiVersion"]).unwrap_or_default());
    Selector {
        group,
        version,
        kind: kind.into(),
        name: name.into(),
        namespace: namespace.into(),
        ..Selector::default()
    }
}

fn split_api_version(api_version: &str) -> (String, String) {
    match api_version.split_once('/') {
        Some((g, v)) => (g.into(), v.into()),
        None => (String::new(), api_version.into()),
    }
}

/// The replacement source of a var: its object (group and version from `apiVersion` only,
/// as upstream) and field.
fn source_of(v: &Var) -> SourceSelector {
    let (group, version) = split_api_version(&v.objref.api_version);
    SourceSelector {
        group,
        version,
        kind: v.objref.kind.clone(),
        name: v.objref.name.clone(),
        namespace: v.objref.namespace.clone(),
        field_path: v.fieldref.field_path.clone(),
        options: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_isolate_the_var() {
        let v = "$(V)";
        assert_eq!(field_options("$(V)", v).unwrap(), None);
        let o = field_options("$(V)/path", v).unwrap().unwrap();
        assert_eq!((o.delimiter.as_str(), o.index), ("/", 0));
        let o = field_options("path/$(V)", v).unwrap().unwrap();
        assert_eq!((o.delimiter.as_str(), o.index), ("/", 1));
        let o = field_options("my/path/$(V)/secret/path", v)
            .unwrap()
            .unwrap();
        assert_eq!((o.delimiter.as_str(), o.index), ("/", 2));
        assert!(field_options("var$(V)/path", v).is_err());
    }

    #[test]
    fn go_path_join() {
        assert_eq!(join("", "./a.yaml"), "a.yaml");
        assert_eq!(join("base", "../x"), "x");
        assert_eq!(join("base", "p.yaml"), "base/p.yaml");
    }
}
