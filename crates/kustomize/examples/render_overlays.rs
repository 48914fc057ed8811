//! Renders every kustomization of a repository, as a CI job that validates a monorepo on
//! each commit: finds each directory under ROOT holding a kustomization file, builds them
//! all at once (sharing the files they have in common, each parsed once), writes each
//! result to OUT/<path with _ for />.yaml, and fails if any build failed.
//!
//! ```sh
//! cargo run --release -p kustomize --example render_overlays -- testdata/examples /tmp/rendered
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;

use kustomize::fs::DiskFs;
use kustomize::{Kustomizer, Options};

const NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Directories under `root` holding a kustomization file.
fn kustomization_dirs(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        if NAMES.iter().any(|n| dir.join(n).is_file()) {
            found.push(dir.clone());
        }
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                todo.push(entry.path());
            }
        }
    }
    found.sort();
    found
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [root, out] = args.as_slice() else {
        eprintln!("usage: render_overlays ROOT OUT");
        return std::process::ExitCode::from(2);
    };
    let (root, out) = (Path::new(root), Path::new(out));
    let dirs = kustomization_dirs(root);
    let refs: Vec<&Path> = dirs.iter().map(PathBuf::as_path).collect();
    let results = Kustomizer::new(Options::cli()).build_many(Arc::new(DiskFs), &refs);
    let mut failed = 0;
    for (dir, result) in dirs.iter().zip(results) {
        let rel = dir.strip_prefix(root).unwrap_or(dir);
        match result.and_then(|o| o.resources.to_yaml()) {
            Ok(yaml) => {
                let name = format!("{}.yaml", rel.display()).replace('/', "_");
                let path = out.join(if name == ".yaml" {
                    "root.yaml".into()
                } else {
                    name
                });
                if let Err(e) =
                    std::fs::create_dir_all(out).and_then(|()| std::fs::write(&path, yaml))
                {
                    eprintln!("{}: {e}", path.display());
                    failed += 1;
                }
            }
            Err(e) => {
                eprintln!("{}: {}", rel.display(), e.chain());
                failed += 1;
            }
        }
    }
    println!("{} kustomizations, {} failed", dirs.len(), failed);
    if failed == 0 {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}
