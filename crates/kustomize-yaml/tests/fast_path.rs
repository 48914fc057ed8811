//! The fast path against saphyr-parser on every YAML file under `../shared` (inputs and
//! expected outputs): wherever the fast path takes a text, the documents must be exactly
//! those saphyr gives (in order, `Blank` apart from `Null`), and where saphyr fails the
//! fast path must not succeed.

use std::fs;
use std::path::{Path, PathBuf};

use kustomize_yaml::parse::{parse_fast, parse_full};
use kustomize_yaml::Schema;

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
    let (mut taken, mut total) = (0usize, 0usize);
    let mut failures = Vec::new();
    for path in &files {
        let Ok(text) = fs::read_to_string(path) else {
            continue;
        };
        for schema in [Schema::Kyaml, Schema::Yaml11] {
            total += 1;
            let Some(fast) = parse_fast(&text, schema) else {
                continue;
            };
            taken += 1;
            match parse_full(&text, schema) {
                Ok(full) if format!("{full:?}") == format!("{fast:?}") => {}
                Ok(_) => {
                    failures.push(format!("{}: documents differ ({schema:?})", path.display()))
                }
                Err(e) => failures.push(format!(
                    "{}: saphyr fails ({e}) ({schema:?})",
                    path.display()
                )),
            }
        }
    }
    eprintln!("fast_path: {taken} of {total} parses took the fast path");
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        taken * 2 > total,
        "the fast path took only {taken} of {total}"
    );
}
