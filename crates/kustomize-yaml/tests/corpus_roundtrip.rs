//! Round trip of upstream's own output: every document upstream kustomize printed (the
//! conformance, real-world and benchmark expectations under `../shared`) must parse and
//! re-emit byte for byte.

use std::fs;
use std::path::{Path, PathBuf};

use kustomize_yaml::{emit_document, parse_documents, Schema};

fn shared_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    dir.is_dir().then_some(dir)
}

fn yaml_files_in(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort();
    out.extend(
        files
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "yaml")),
    );
}

fn corpus_files(shared: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    // conformance/<group>/<case>/expected.yaml
    let mut groups: Vec<PathBuf> = fs::read_dir(shared.join("conformance"))
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    groups.sort();
    for group in groups.iter().filter(|g| g.is_dir()) {
        let mut cases: Vec<PathBuf> = fs::read_dir(group)
            .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        cases.sort();
        files.extend(
            cases
                .into_iter()
                .map(|c| c.join("expected.yaml"))
                .filter(|f| f.is_file()),
        );
    }
    yaml_files_in(&shared.join("realworld/expected"), &mut files);
    yaml_files_in(&shared.join("bench/scale-1000/expected"), &mut files);
    files
}

/// Splits upstream output into its documents (each resource is joined with `---\n`; a line
/// `---` cannot occur inside a resource since nested text is always indented).
fn split_documents(text: &str) -> Vec<&str> {
    let mut docs = Vec::new();
    let mut start = 0;
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        if line == "---\n" {
            docs.push(&text[start..pos]);
            start = pos + line.len();
        }
        pos += line.len();
    }
    docs.push(&text[start..]);
    docs.retain(|d| !d.is_empty());
    docs
}

fn first_difference(a: &str, b: &str) -> String {
    let line = a.lines().zip(b.lines()).position(|(x, y)| x != y);
    match line {
        Some(i) => format!(
            "line {}:\n  want: {:?}\n  got:  {:?}",
            i + 1,
            a.lines().nth(i).unwrap_or(""),
            b.lines().nth(i).unwrap_or("")
        ),
        None => format!("length differs: want {} bytes, got {}", a.len(), b.len()),
    }
}

#[test]
fn upstream_output_round_trips() {
    let Some(shared) = shared_dir() else {
        println!("skipped: ../shared not found");
        return;
    };
    let files = corpus_files(&shared);
    let (mut docs_total, mut docs_ok, mut files_ok) = (0usize, 0usize, 0usize);
    let mut failures = Vec::new();
    for file in &files {
        let text = fs::read_to_string(file).expect("readable corpus file");
        let mut file_ok = true;
        for doc in split_documents(&text) {
            docs_total += 1;
            let result = parse_documents(doc, Schema::Kyaml).and_then(|vals| {
                let mut out = String::new();
                for v in &vals {
                    emit_document(v, &mut out)?;
                }
                Ok(out)
            });
            match result {
                Ok(out) if out == doc => docs_ok += 1,
                Ok(out) => {
                    file_ok = false;
                    failures.push(format!(
                        "{}: {}",
                        file.display(),
                        first_difference(doc, &out)
                    ));
                }
                Err(e) => {
                    file_ok = false;
                    failures.push(format!("{}: error {e}", file.display()));
                }
            }
        }
        files_ok += usize::from(file_ok);
    }
    println!(
        "corpus round trip: {docs_ok}/{docs_total} documents, {files_ok}/{} files",
        files.len()
    );
    for f in failures.iter().take(20) {
        println!("FAIL {f}");
    }
    assert!(
        !files.is_empty(),
        "no corpus files found under {}",
        shared.display()
    );
    assert!(
        failures.is_empty(),
        "{} documents did not round-trip",
        failures.len()
    );
}
