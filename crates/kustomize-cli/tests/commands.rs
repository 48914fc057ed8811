//! The data cases of `testdata/commands/` (upstream's own tests of `edit`, `create` and
//! `localize`, as data; the schema is in that folder's README): each case runs the binary
//! in a fresh directory holding the case's files and checks what upstream's test checks.
//!
//! A case listed in `tests/commands-known-failures.txt` may fail; any other failure fails
//! the run, and a listed case that passes is reported so the list only shrinks.
//! `COMMANDS_FILTER=text` runs only the cases whose name contains the text.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use kustomize::yaml::{parse_documents, Schema, Value};

fn main() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = manifest.join("../../testdata/commands");
    let filter = std::env::var("COMMANDS_FILTER").unwrap_or_default();
    let known: BTreeSet<String> =
        std::fs::read_to_string(manifest.join("tests/commands-known-failures.txt"))
            .unwrap_or_default()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(String::from)
            .collect();
    let scratch =
        std::env::temp_dir().join(format!("kustomize-rs-commands-{}", std::process::id()));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("testdata/commands")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();

    let mut per_file: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    let (mut unexpected, mut now_passing) = (Vec::new(), Vec::new());
    let mut n = 0;
    for file in &files {
        let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(file).unwrap();
        let doc = parse_documents(&text, Schema::Kyaml)
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()))
            .into_iter()
            .next()
            .unwrap_or_default();
        let slot = per_file.entry(stem.clone()).or_default();
        slot.2 = doc
            .get("skipped")
            .and_then(Value::as_seq)
            .map_or(0, |s| s.len());
        for case in doc
            .get("cases")
            .and_then(Value::as_seq)
            .into_iter()
            .flatten()
        {
            let name = format!("{stem}::{}", text_of(case.get("name")));
            if !name.contains(&filter) {
                continue;
            }
            n += 1;
            let work = scratch.join(n.to_string());
            let result = run_case(case, &work);
            let _ = std::fs::remove_dir_all(&work);
            match result {
                Ok(()) => {
                    slot.0 += 1;
                    if known.contains(&name) {
                        now_passing.push(name);
                    }
                }
                Err(why) => {
                    slot.1 += 1;
                    if !known.contains(&name) {
                        unexpected.push(format!("{name}: {why}"));
                    }
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);

    println!("command cases (testdata/commands):");
    let mut totals = (0, 0, 0);
    for (file, (p, f, s)) in &per_file {
        println!("  {file:<36} {p:>4} pass {f:>4} fail {s:>4} skipped upstream tests");
        totals = (totals.0 + p, totals.1 + f, totals.2 + s);
    }
    println!(
        "command totals: {} pass, {} fail ({} unexpectedly), {} upstream tests skipped",
        totals.0,
        totals.1,
        unexpected.len(),
        totals.2
    );
    for name in &now_passing {
        println!("now passes, remove from tests/commands-known-failures.txt: {name}");
    }
    for u in &unexpected {
        println!("FAIL {u}");
    }
    if !unexpected.is_empty() {
        std::process::exit(1);
    }
}

/// `{WORK}` in a case's texts is the absolute path of its working directory (for
/// upstream's tests that write absolute paths into files).
fn work_text(text: &str, work: &Path) -> String {
    text.replace("{WORK}", &work.to_string_lossy())
}

fn text_of(v: Option<&Value>) -> String {
    v.map(|v| v.text().into_owned()).unwrap_or_default()
}

fn map_of(v: Option<&Value>) -> Vec<(String, &Value)> {
    v.and_then(Value::as_map)
        .map(|m| m.iter().map(|(k, v)| (k.to_string(), v)).collect())
        .unwrap_or_default()
}

fn strings_of(v: &Value) -> Vec<String> {
    match v {
        Value::Seq(items) => items.iter().map(|i| i.text().into_owned()).collect(),
        Value::Null => Vec::new(),
        other => vec![other.text().into_owned()],
    }
}

/// Every file under `dir`, by path relative to it.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap_or_default());
            }
        }
    }
    out
}

fn run_case(case: &Value, work: &Path) -> Result<(), String> {
    std::fs::create_dir_all(work).map_err(|e| e.to_string())?;
    for (path, content) in map_of(case.get("given")) {
        let p = work.join(&path);
        std::fs::create_dir_all(p.parent().unwrap()).map_err(|e| e.to_string())?;
        std::fs::write(&p, work_text(&content.text(), work).as_bytes())
            .map_err(|e| e.to_string())?;
    }
    for (link, target) in map_of(case.get("symlinks")) {
        let p = work.join(&link);
        std::fs::create_dir_all(p.parent().unwrap()).map_err(|e| e.to_string())?;
        #[cfg(unix)]
        std::os::unix::fs::symlink(target.text().as_ref(), &p).map_err(|e| e.to_string())?;
        #[cfg(not(unix))]
        return Err(format!("symbolic link {link}: only on unix"));
    }
    if let Some(dirs) = case.get("dirs") {
        for d in strings_of(dirs) {
            std::fs::create_dir_all(work.join(d)).map_err(|e| e.to_string())?;
        }
    }
    let commands: Vec<Vec<String>> = case
        .get("commands")
        .and_then(Value::as_seq)
        .map(|s| {
            s.iter()
                .map(|c| strings_of(c).iter().map(|a| work_text(a, work)).collect())
                .collect()
        })
        .unwrap_or_default();
    let expected_error = case.get("error").map(|e| work_text(&e.text(), work));
    let (mut stdout, mut stderr) = (String::new(), String::new());
    for (i, args) in commands.iter().enumerate() {
        let before = snapshot(work);
        let out = Command::new(env!("CARGO_BIN_EXE_kustomize-rs"))
            .args(args)
            .current_dir(work.join(text_of(case.get("cwd"))))
            .env_remove("KUSTOMIZE_RS_TEST_ABORT_WRITE")
            .output()
            .map_err(|e| e.to_string())?;
        stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let last = i + 1 == commands.len();
        match (&expected_error, last, out.status.success()) {
            (Some(_), true, true) => {
                return Err(format!("{args:?} succeeded; an error was expected"));
            }
            (Some(want), true, false) => {
                if !stderr.contains(want.as_str()) {
                    return Err(format!("error {stderr:?} does not contain {want:?}"));
                }
                let after = snapshot(work);
                let changed = if case.get("leavesFiles").is_some_and(|v| v.text() == "true") {
                    before.iter().any(|(p, c)| after.get(p) != Some(c))
                } else {
                    after != before
                };
                if changed {
                    return Err("a failed command changed the files".into());
                }
            }
            (_, _, false) => {
                return Err(format!("{args:?} failed: {}", stderr.trim_end()));
            }
            _ => {}
        }
    }
    for (path, want) in map_of(case.get("expect")) {
        let got = std::fs::read_to_string(work.join(&path)).map_err(|e| format!("{path}: {e}"))?;
        if got != want.text() {
            return Err(format!(
                "{path} differs:\n--- got\n{got}--- want\n{}",
                want.text()
            ));
        }
    }
    for (key, must) in [("expectContains", true), ("expectNotContains", false)] {
        for (path, parts) in map_of(case.get(key)) {
            let got =
                std::fs::read_to_string(work.join(&path)).map_err(|e| format!("{path}: {e}"))?;
            for part in strings_of(parts) {
                if got.contains(&part) != must {
                    return Err(format!("{path}: {key} {part:?} fails; file:\n{got}"));
                }
            }
        }
    }
    for (path, fields) in map_of(case.get("expectFields")) {
        let got = std::fs::read_to_string(work.join(&path)).map_err(|e| format!("{path}: {e}"))?;
        let doc = parse_documents(&got, Schema::Kyaml)
            .map_err(|e| format!("{path}: {e}"))?
            .into_iter()
            .next()
            .unwrap_or_default();
        for (field, want) in map_of(Some(fields)) {
            let have = doc.get(&field).cloned().unwrap_or(Value::Null);
            if !same(&have, want) {
                return Err(format!(
                    "{path}: field {field} is {have:?}, want {want:?}; file:\n{got}"
                ));
            }
        }
    }
    if let Some(missing) = case.get("expectMissing") {
        for p in strings_of(missing) {
            if work.join(&p).exists() {
                return Err(format!("{p} exists"));
            }
        }
    }
    for (key, text) in [("stdoutContains", &stdout), ("stderrContains", &stderr)] {
        if let Some(parts) = case.get(key) {
            for part in strings_of(parts) {
                let part = work_text(&part, work);
                if !text.contains(&part) {
                    return Err(format!("{key} {part:?} not in {text:?}"));
                }
            }
        }
    }
    Ok(())
}

/// Equality of parsed YAML where scalars compare by their text (the cases write what Go
/// compared as strings, numbers and booleans alike).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Seq(x), Value::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(a, b)| same(a, b))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        (Value::Seq(x), Value::Null) | (Value::Null, Value::Seq(x)) => x.is_empty(),
        (Value::Map(x), Value::Null) | (Value::Null, Value::Map(x)) => x.is_empty(),
        (Value::Seq(_) | Value::Map(_), _) | (_, Value::Seq(_) | Value::Map(_)) => false,
        _ => a.text() == b.text(),
    }
}
