//! The conformance harness: builds every case of upstream's conformance corpus
//! (`../shared/conformance`), of the real-world corpus (`../shared/realworld`) and of our
//! own `testdata/cases`, and compares byte for byte with upstream's output.
//!
//! A case listed in `tests/known-failures.txt` may fail; any other failure fails the run.
//! A listed case that passes is reported so it can be removed from the list.
//! When `../shared` is absent, its suites are skipped (said loudly) and `testdata` still runs.
//!
//! `CONFORMANCE_FILTER=substring` runs only the cases whose name contains it, and
//! `CONFORMANCE_VERBOSE=1` prints each failure's reason.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kustomize::fs::{DiskFs, FileSystem, MemoryFs};
use kustomize::{Kustomizer, LoadRestrictor, Options};
use kustomize_yaml::{parse_documents, Schema, Value};

/// One case to build.
struct Case {
    /// `suite/name`.
    name: String,
    suite: &'static str,
    fs: CaseFs,
    /// The directory to build.
    build: PathBuf,
    args: Vec<String>,
    features: Vec<String>,
    expected: Expected,
    /// Deprecation warnings upstream printed (conformance only).
    expected_stderr: Option<String>,
}

enum CaseFs {
    Disk,
    /// Load the tree under this folder into memory, plus these empty directories.
    Memory(PathBuf, Vec<PathBuf>),
}

enum Expected {
    Output(PathBuf),
    Error,
}

fn main() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let repo = manifest.join("../..");
    let shared = repo.join("../shared");
    let filter = std::env::var("CONFORMANCE_FILTER").unwrap_or_default();
    let verbose = std::env::var_os("CONFORMANCE_VERBOSE").is_some();

    let mut cases = Vec::new();
    cases.extend(case_dirs(&repo.join("testdata/cases"), "testdata"));
    if shared.is_dir() {
        for suite in ["krusty", "builtin", "examples"] {
            cases.extend(case_dirs(&shared.join("conformance").join(suite), suite));
        }
        cases.extend(realworld_cases(&shared.join("realworld")));
    } else {
        println!(
            "SKIPPED: {} not found: the conformance and real-world suites did not run",
            shared.display()
        );
    }
    cases.retain(|c| c.name.contains(&filter));

    let known = known_failures(&manifest.join("tests/known-failures.txt"));
    let mut by_suite: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut by_feature: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut unexpected = Vec::new();
    let mut now_passing = Vec::new();
    let (mut passed, mut failed) = (0, 0);
    let watchdog = Watchdog::start(Duration::from_secs(60));
    let started = Instant::now();

    for case in &cases {
        watchdog.enter(&case.name);
        let result = std::panic::catch_unwind(|| run(case))
            .unwrap_or_else(|_| Err("PANIC (a panic is a bug to fix, not to list)".into()));
        let ok = result.is_ok();
        let slot = by_suite.entry(case.suite).or_default();
        if ok {
            slot.0 += 1;
            passed += 1;
        } else {
            slot.1 += 1;
            failed += 1;
        }
        for f in &case.features {
            let slot = by_feature.entry(format!("{}:{f}", case.suite)).or_default();
            if ok {
                slot.0 += 1;
            } else {
                slot.1 += 1;
            }
        }
        match result {
            Ok(()) if known.contains(&case.name) => now_passing.push(case.name.clone()),
            Ok(()) => {}
            Err(why) if why == SKIPPED_NO_HELM => {
                println!("SKIPPED {}: {why}", case.name);
            }
            Err(why) => {
                if verbose {
                    println!("FAIL {}: {}", case.name, why.lines().next().unwrap_or(""));
                }
                if !known.contains(&case.name) {
                    unexpected.push(format!("{}: {}", case.name, first_line(&why)));
                }
            }
        }
    }
    watchdog.stop();

    println!(
        "conformance harness: {} cases in {:.2?}",
        cases.len(),
        started.elapsed()
    );
    for (suite, (p, f)) in &by_suite {
        println!("  suite {suite:<10} {p:>4} passed {f:>4} failed");
    }
    if verbose {
        for (feature, (p, f)) in &by_feature {
            println!("  feature {feature:<40} {p:>4} passed {f:>4} failed");
        }
    }
    if !now_passing.is_empty() {
        println!(
            "{} listed known failures now pass; remove them from tests/known-failures.txt:",
            now_passing.len()
        );
        for n in &now_passing {
            println!("  {n}");
        }
    }
    if !unexpected.is_empty() {
        println!(
            "{} cases failed that are not known failures:",
            unexpected.len()
        );
        for u in &unexpected {
            println!("  {u}");
        }
    }
    println!(
        "conformance totals: {passed} cases pass, {} fail as listed known failures, {} fail unexpectedly",
        failed - unexpected.len(),
        unexpected.len()
    );
    if !unexpected.is_empty() {
        std::process::exit(1);
    }
}

fn first_line(s: &str) -> &str {
    let line = s.lines().next().unwrap_or("");
    &line[..line.len().min(300)]
}

/// The reason given for helm cases when no helm v3 can be had.
const SKIPPED_NO_HELM: &str = "skipped: no helm v3 (set KUSTOMIZE_RS_HELM)";

/// A helm v3 binary: `$KUSTOMIZE_RS_HELM`, else the one `../shared/tools/reference-kustomize
/// helm-path` provides (fetched once, cached).
fn helm_command() -> Option<String> {
    static HELM: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    HELM.get_or_init(|| {
        if let Ok(h) = std::env::var("KUSTOMIZE_RS_HELM") {
            return Some(h);
        }
        let tool =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/tools/reference-kustomize");
        let out = std::process::Command::new(tool)
            .arg("helm-path")
            .output()
            .ok()?;
        let path = String::from_utf8(out.stdout).ok()?.trim().to_owned();
        (out.status.success() && Path::new(&path).exists()).then_some(path)
    })
    .clone()
}

/// Builds one case and compares; `Err` says why it failed.
///
/// Every other case (by a hash of its name) builds as the CLI does, parsing and printing on
/// two threads; the rest one file and one resource at a time, as the library's default.
fn run(case: &Case) -> Result<(), String> {
    let threaded = case
        .name
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31) ^ u32::from(b))
        % 2
        == 0;
    let threads = if threaded { 2 } else { 1 };
    let mut options = Options {
        parse_threads: threads,
        ..Options::default()
    };
    for arg in &case.args {
        match arg.as_str() {
            "--load-restrictor=LoadRestrictionsNone" | "--load-restrictor LoadRestrictionsNone" => {
                options.load_restrictor = LoadRestrictor::None
            }
            "--enable-alpha-plugins" => options.plugins.alpha = true,
            "--enable-helm" => {
                let Some(helm) = helm_command() else {
                    return Err(SKIPPED_NO_HELM.into());
                };
                options.helm.enabled = true;
                options.helm.command = helm;
            }
            other => return Err(format!("flag not supported yet: {other}")),
        }
    }
    let fs: Arc<dyn FileSystem> = match &case.fs {
        CaseFs::Disk => Arc::new(DiskFs),
        CaseFs::Memory(root, empty_dirs) => {
            let mut fs = MemoryFs::new();
            if root.exists() {
                load_tree(&mut fs, root).map_err(|e| format!("loading case: {e}"))?;
            }
            for d in empty_dirs {
                fs.add_dir(d);
            }
            Arc::new(fs)
        }
    };
    let result = Kustomizer::new(options)
        .build(fs, &case.build)
        .and_then(|out| {
            let mut yaml = Vec::new();
            out.resources.write_yaml_threads(&mut yaml, threads)?;
            Ok((String::from_utf8_lossy(&yaml).into_owned(), out.warnings))
        });
    match (&case.expected, result) {
        (Expected::Error, Err(_)) => Ok(()),
        (Expected::Error, Ok(_)) => Err("built, but upstream fails".into()),
        (Expected::Output(_), Err(e)) => Err(format!("error: {e}")),
        (Expected::Output(path), Ok((yaml, warnings))) => {
            let expected = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
            if yaml != expected {
                return Err(format!(
                    "output differs: {}",
                    first_difference(&expected, &yaml)
                ));
            }
            if let Some(stderr) = &case.expected_stderr {
                let got: String = warnings.iter().map(|w| format!("{w}\n")).collect();
                if &got != stderr {
                    return Err(format!("warnings differ: expected {stderr:?}, got {got:?}"));
                }
            }
            Ok(())
        }
    }
}

fn first_difference(expected: &str, got: &str) -> String {
    for (i, (e, g)) in expected.lines().zip(got.lines()).enumerate() {
        if e != g {
            return format!("line {}: expected {e:?}, got {g:?}", i + 1);
        }
    }
    format!(
        "lengths: expected {} lines, got {}",
        expected.lines().count(),
        got.lines().count()
    )
}

/// Copies a directory tree from disk into memory at the same absolute paths.
fn load_tree(fs: &mut MemoryFs, dir: &Path) -> std::io::Result<()> {
    fs.add_dir(dir);
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            load_tree(fs, &path)?;
        } else {
            fs.add_file(&path, std::fs::read(&path)?);
        }
    }
    Ok(())
}

/// The cases of a conformance-style suite: one folder per case with `case.yaml`.
fn case_dirs(suite_dir: &Path, suite: &'static str) -> Vec<Case> {
    let Ok(entries) = std::fs::read_dir(suite_dir) else {
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = entries.filter_map(|e| Some(e.ok()?.path())).collect();
    dirs.sort();
    let mut cases = Vec::new();
    for dir in dirs {
        let Ok(text) = std::fs::read_to_string(dir.join("case.yaml")) else {
            continue;
        };
        let meta = parse_documents(&text, Schema::Kyaml)
            .ok()
            .and_then(|d| d.into_iter().next())
            .unwrap_or_default();
        let strings = |key: &str| -> Vec<String> {
            meta.get(key)
                .and_then(Value::as_seq)
                .map(|s| {
                    s.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        let build = dir.join(meta.get("build").and_then(Value::as_str).unwrap_or("in"));
        let in_dir = dir.join("in");
        let empty_dirs = strings("empty_dirs")
            .iter()
            .map(|d| kustomize::fs::clean(&in_dir.join(d)))
            .collect();
        let expected = if dir.join("expected-error.txt").exists() {
            Expected::Error
        } else {
            Expected::Output(dir.join("expected.yaml"))
        };
        let expected_stderr =
            Some(std::fs::read_to_string(dir.join("expected-stderr.txt")).unwrap_or_default());
        let name = format!(
            "{suite}/{}",
            dir.file_name().unwrap_or_default().to_string_lossy()
        );
        // Our own cases may point at shared examples: read them from disk.
        let fs = if suite == "testdata" {
            CaseFs::Disk
        } else {
            CaseFs::Memory(in_dir, empty_dirs)
        };
        cases.push(Case {
            name,
            suite,
            fs,
            build,
            args: strings("args"),
            features: strings("features"),
            expected,
            expected_stderr,
        });
    }
    cases
}

/// The real-world cases listed in `cases.tsv`.
fn realworld_cases(dir: &Path) -> Vec<Case> {
    let Ok(tsv) = std::fs::read_to_string(dir.join("cases.tsv")) else {
        return Vec::new();
    };
    let mut lines = tsv.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name);
    let (Some(entry), Some(args), Some(expected), Some(fields)) = (
        col("entry_dir"),
        col("args"),
        col("expected_file"),
        col("fields_used"),
    ) else {
        return Vec::new();
    };
    lines
        .map(|line| line.split('\t').collect::<Vec<_>>())
        .filter(|row| row.len() == header.len())
        .map(|row| Case {
            name: format!("realworld/{}", row[entry]),
            suite: "realworld",
            fs: CaseFs::Disk,
            build: dir.join(row[entry]),
            args: split_args(row[args]),
            features: row[fields].split(',').map(str::to_owned).collect(),
            expected: Expected::Output(dir.join(row[expected])),
            expected_stderr: None,
        })
        .collect()
}

/// `--flag value` pairs from cases.tsv's `args` column, joined as `--flag=value`.
fn split_args(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in s.split_whitespace() {
        match out.last_mut() {
            Some(last) if !word.starts_with("--") && !last.contains('=') => {
                last.push('=');
                last.push_str(word);
            }
            _ => out.push(word.to_owned()),
        }
    }
    out
}

fn known_failures(path: &Path) -> BTreeSet<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Ends the process if one case runs longer than the limit: a hang is a failure.
struct Watchdog {
    state: Arc<std::sync::Mutex<Option<(String, Instant)>>>,
}

impl Watchdog {
    fn start(limit: Duration) -> Watchdog {
        let state: Arc<std::sync::Mutex<Option<(String, Instant)>>> = Arc::default();
        let watched = Arc::clone(&state);
        std::thread::spawn(move || loop {
            std::thread::sleep(Duration::from_secs(1));
            let guard = watched.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((name, since)) = guard.as_ref() {
                if since.elapsed() > limit {
                    println!("HANG: {name} ran over {limit:?}");
                    std::process::exit(2);
                }
            }
        });
        Watchdog { state }
    }

    fn enter(&self, name: &str) {
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((name.to_owned(), Instant::now()));
    }

    fn stop(&self) {
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}
