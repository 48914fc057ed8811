//! Turns upstream's default field-spec tables (`src/fieldspecs/*.yaml`) into static Rust
//! data, each table already in upstream's field-spec order, so that a build neither parses
//! ~25 KB of YAML nor sorts ~600 specs before it starts. A unit test checks that the
//! generated data equals what parsing and sorting the tables gives.

use std::fmt::Write;

use kustomize_yaml::{parse_documents, Schema, Value};

#[allow(dead_code)]
#[path = "src/kind_order.rs"]
mod kind_order;

/// A table entry's sort key, as the crate sorts field specs.
fn order_key(v: &Value) -> (i64, String) {
    kind_order::fieldspec_order_key(&text(v, "group"), &text(v, "version"), &text(v, "kind"))
}

/// The tables in upstream's order; the label tables end with the metadata-labels list.
const TABLES: &[&[&str]] = &[
    &["nameprefix.yaml"],
    &["namesuffix.yaml"],
    &["commonlabels.yaml", "metadatalabels.yaml"],
    &["templatelabels.yaml", "metadatalabels.yaml"],
    &["commonannotations.yaml"],
    &["namespace.yaml"],
    &["varreference.yaml"],
    &["namereference.yaml"],
    &["images.yaml"],
    &["replicas.yaml"],
];

fn text(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.to_string(),
        _ => String::new(),
    }
}

/// A spec as `(group, version, kind, path index, create)`; its path is added to `paths`.
fn spec(v: &Value, paths: &mut Vec<String>) -> String {
    let path = text(v, "path");
    let index = paths.iter().position(|p| *p == path).unwrap_or_else(|| {
        paths.push(path);
        paths.len() - 1
    });
    format!(
        "({:?}, {:?}, {:?}, {index}, {})",
        text(v, "group"),
        text(v, "version"),
        text(v, "kind"),
        matches!(v.get("create"), Some(Value::Bool(true)))
    )
}

/// What upstream's `MergeAll` compares of a spec: its Gvk, path and `create`.
type Fields = ([String; 3], String, bool);

fn fields(v: &Value) -> Fields {
    (
        ["group", "version", "kind"].map(|k| text(v, k)),
        text(v, "path"),
        matches!(v.get("create"), Some(Value::Bool(true))),
    )
}

/// Upstream's `MergeAll` of `from` into `into`, on specs tagged with where they come from:
/// a spec is dropped when one already in `into` has its path and is selected by its Gvk.
/// The crate's merge of the defaults into an empty config must give the same tables (its
/// test `compiled_merged_defaults_equal_the_merge` checks this).
fn merge_all<T>(into: &mut Vec<(T, Fields)>, from: impl IntoIterator<Item = (T, Fields)>) {
    for (tag, f) in from {
        match into
            .iter()
            .find(|(_, x)| x.1 == f.1 && kind_order::selects(f.0.each_ref(), x.0.each_ref()))
        {
            Some((_, x)) => assert_eq!(x.2, f.2, "conflicting default field specs: {}", f.1),
            None => into.push((tag, f)),
        }
    }
}

fn main() {
    println!("cargo:rerun-if-changed=src/kind_order.rs");
    let dir = std::path::Path::new("src/fieldspecs");
    let mut tables: Vec<(String, Vec<Value>)> = Vec::new();
    let mut name_refs: Vec<Value> = Vec::new();
    for files in TABLES {
        let mut text_all = String::new();
        for f in *files {
            let path = dir.join(f);
            println!("cargo:rerun-if-changed={}", path.display());
            text_all.push_str(&std::fs::read_to_string(&path).expect("read a field-spec table"));
        }
        let doc = parse_documents(&text_all, Schema::Yaml11)
            .expect("parse a field-spec table")
            .into_iter()
            .next()
            .unwrap_or_default();
        let Value::Map(map) = doc else { continue };
        for (key, list) in map {
            let Value::Seq(items) = list else { continue };
            if key == "nameReference" {
                name_refs.extend(items);
            } else if let Some((_, table)) = tables.iter_mut().find(|(k, _)| *k == *key) {
                table.extend(items);
            } else {
                tables.push((key.to_string(), items.into_iter().collect()));
            }
        }
    }
    // Stable sorts, as the crate's.
    for (_, table) in &mut tables {
        table.sort_by_cached_key(order_key);
    }
    name_refs.sort_by_cached_key(order_key);
    // The defaults merged into an empty config, as positions in the sorted tables: each
    // table deduplicated; name references of one Gvk merged into its first (whose own
    // referrers are taken as they are).
    let merged_tables: Vec<Vec<usize>> = tables
        .iter()
        .map(|(_, table)| {
            let mut into = Vec::new();
            merge_all(&mut into, table.iter().map(fields).enumerate());
            into.into_iter().map(|(i, _)| i).collect()
        })
        .collect();
    let referrers = |backref: &Value| match backref.get("fieldSpecs") {
        Some(Value::Seq(fs)) => fs.to_vec(),
        _ => Vec::new(),
    };
    // (first backref of a Gvk, the Gvk, its referrers as (backref, referrer) positions).
    type Merged = (usize, [String; 3], Vec<((usize, usize), Fields)>);
    let mut merged_refs: Vec<Merged> = Vec::new();
    for (b, backref) in name_refs.iter().enumerate() {
        let gvk = fields(backref).0;
        let specs: Vec<_> = (referrers(backref).iter().map(fields).enumerate())
            .map(|(r, f)| ((b, r), f))
            .collect();
        match merged_refs.iter_mut().find(|(_, g, _)| *g == gvk) {
            Some((_, _, into)) => merge_all(into, specs),
            None => merged_refs.push((b, gvk, specs)),
        }
    }
    let mut paths = Vec::new();
    let tables: Vec<(String, Vec<String>)> = tables
        .into_iter()
        .map(|(key, table)| (key, table.iter().map(|v| spec(v, &mut paths)).collect()))
        .collect();
    let name_refs: Vec<String> = name_refs
        .iter()
        .map(|backref| {
            let referrers: Vec<String> = match backref.get("fieldSpecs") {
                Some(Value::Seq(fs)) => fs.iter().map(|v| spec(v, &mut paths)).collect(),
                _ => Vec::new(),
            };
            format!(
                "(({:?}, {:?}, {:?}), &[{}])",
                text(backref, "group"),
                text(backref, "version"),
                text(backref, "kind"),
                referrers.join(", ")
            )
        })
        .collect();
    let mut out = String::from(
        "// Generated by build.rs from src/fieldspecs/*.yaml: specs are (group, version, kind,\n// index in PATHS, create), each table in the crate's field-spec order.\n",
    );
    let _ = writeln!(out, "pub(crate) static PATHS: &[&str] = &{paths:?};");
    out.push_str("pub(crate) static TABLES: &[(&str, &[Spec])] = &[\n");
    for (key, specs) in &tables {
        let _ = writeln!(out, "    ({key:?}, &[{}]),", specs.join(", "));
    }
    out.push_str("];\n");
    out.push_str("pub(crate) static NAME_REFERENCES: &[(Gvk, &[Spec])] = &[\n");
    for r in &name_refs {
        let _ = writeln!(out, "    {r},");
    }
    out.push_str("];\n");
    out.push_str("// The defaults merged into an empty config: positions in TABLES' tables.\n");
    out.push_str("pub(crate) static MERGED_TABLES: &[&[usize]] = &[\n");
    for picks in &merged_tables {
        let _ = writeln!(out, "    &{picks:?},");
    }
    out.push_str("];\n");
    out.push_str("// (position in NAME_REFERENCES, [(backref, referrer)]).\n");
    out.push_str("pub(crate) static MERGED_NAME_REFERENCES: &[(usize, &[(usize, usize)])] = &[\n");
    for (b, _, specs) in &merged_refs {
        let at: Vec<(usize, usize)> = specs.iter().map(|(at, _)| *at).collect();
        let _ = writeln!(out, "    ({b}, &{at:?}),");
    }
    out.push_str("];\n");
    let out_dir = std::env::var("OUT_DIR").expect("OUT_DIR");
    let target = std::path::Path::new(&out_dir).join("default_fieldspecs.rs");
    std::fs::write(target, out).expect("write generated field specs");
    builtin_schema(std::path::Path::new(&out_dir));
}

/// The builtin merge schema (`src/patch/k8s-v1.21.2.schema`, one `N` line per node and one
/// `G` line per type) as static nodes, properties and types, so that the first strategic
/// merge of a build does not parse 48 KB first. A unit test checks the data against the
/// table parsed at run time.
fn builtin_schema(out_dir: &std::path::Path) {
    let path = "src/patch/k8s-v1.21.2.schema";
    println!("cargo:rerun-if-changed={path}");
    let text = std::fs::read_to_string(path).expect("read the schema table");
    let (mut nodes, mut props, mut types) = (String::new(), String::new(), String::new());
    let mut defs = String::new();
    let mut prop_count = 0usize;
    for line in text.lines() {
        let mut toks = line.split_ascii_whitespace();
        match toks.next() {
            Some("N") => {
                let (mut array, mut items, mut additional) = (false, None, None);
                let (mut strategy, mut keys) = (None, Vec::new());
                let start = prop_count;
                for t in toks {
                    if let Some(flag) = t.strip_prefix('@') {
                        let (c, rest) = flag.split_at(flag.len().min(1));
                        match c {
                            "a" => array = true,
                            "i" => items = Some(rest.to_owned()),
                            "x" => additional = Some(rest.to_owned()),
                            "s" => strategy = Some(rest.to_owned()),
                            "k" => keys = rest.split(',').map(str::to_owned).collect(),
                            _ => panic!("schema table: bad flag {t}"),
                        }
                    } else if let Some((name, target)) = t.rsplit_once('=') {
                        let _ = writeln!(props, "    (Cow::Borrowed({name:?}), {target}),");
                        prop_count += 1;
                    }
                }
                let opt = |o: Option<String>| o.map_or("None".to_owned(), |v| format!("Some({v})"));
                let keys: Vec<String> = keys
                    .iter()
                    .map(|k| format!("Cow::Borrowed({k:?})"))
                    .collect();
                let _ = writeln!(
                    nodes,
                    "    Node {{ array: {array}, items: {}, additional: {}, strategy: {}, keys: Cow::Borrowed(&[{}]), props_start: {start}, props_end: {prop_count} }},",
                    opt(items),
                    opt(additional),
                    strategy.map_or("None".to_owned(), |s| format!("Some(Cow::Borrowed({s:?}))")),
                    keys.join(", "),
                );
            }
            Some("G") => {
                let parts: Vec<&str> = toks.collect();
                let _ = writeln!(types, "    ({:?}, {:?}, {}),", parts[0], parts[1], parts[2]);
            }
            Some("D") => {
                let parts: Vec<&str> = toks.collect();
                let _ = writeln!(defs, "    ({:?}, {}),", parts[0], parts[1]);
            }
            _ => {}
        }
    }
    let out = format!(
        "// Generated by build.rs from src/patch/k8s-v1.21.2.schema.\n\
         static BUILTIN_NODES: &[Node] = &[\n{nodes}];\n\
         static BUILTIN_PROPS: &[(Cow<'static, str>, u32)] = &[\n{props}];\n\
         /// (apiVersion, kind, node).\n\
         static BUILTIN_TYPES: &[(&str, &str, u32)] = &[\n{types}];\n\
         /// (definition name, node), sorted by name.\n\
         static BUILTIN_DEFS: &[(&str, u32)] = &[\n{defs}];\n"
    );
    std::fs::write(out_dir.join("builtin_schema.rs"), out).expect("write the builtin schema");
}
