//! The fast path against saphyr-parser on every YAML file under `../shared` (inputs and
//! expected outputs): `parse_documents` (the fast path for the documents it takes, saphyr
//! for the rest) must give exactly the documents saphyr alone gives (in order, `Blank`
//! apart from `Null`), and fail where saphyr fails.

use std::fs;
use std::path::{Path, PathBuf};

use kustomize_yaml::parse::{parse_fast, parse_full};
use kustomize_yaml::{parse_documents, Schema};

fn shared_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    dir.is_dir().then_some(dir)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

#[test]
fn fast_path_agrees_with_saphyr() {
    let Some(shared) = shared_dir() else {
        eprintln!("fast_path: ../shared not found; SKIPPED");
        return;
    };
    let mut files = Vec::new();
    for sub in ["conformance", "realworld", "bench"] {
        walk(&shared.join(sub), &mut files);
    }
    files.sort();
    let (mut fast_docs, mut all_docs) = (0usize, 0usize);
    let mut failures = Vec::new();
    for path in &files {
        let Ok(text) = fs::read_to_string(path) else {
            continue;
        };
        for schema in [Schema::Kyaml, Schema::Yaml11] {
            let hybrid = parse_documents(&text, schema);
            let full = parse_full(&text, schema);
            match (&hybrid, &full) {
                (Ok(h), Ok(f)) if format!("{h:?}") == format!("{f:?}") => {
                    fast_docs += parse_fast(&text, schema).map_or(0, |(_, n)| n);
                    all_docs += f.len();
                }
                (Err(h), Err(f)) if h.to_string() == f.to_string() => {}
                _ => failures.push(format!("{}: {schema:?} differs", path.display())),
            }
        }
    }
    eprintln!("fast_path: {fast_docs} of {all_docs} documents took the fast path");
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        fast_docs * 10 > all_docs * 8,
        "the fast path took only {fast_docs} of {all_docs}"
    );
}
