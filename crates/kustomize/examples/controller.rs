//! A controller's render loop: tenants' trees held in memory, rendered on a pool of
//! threads with one shared `Kustomizer`, each build bounded in time and granted nothing
//! beyond its tree (a tenant naming a remote base is refused), errors sorted by kind.
//!
//! ```sh
//! cargo run --release -p kustomize --example controller
//! ```

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kustomize::fs::{FileSystem, MemoryFs};
use kustomize::{ErrorKind, Kustomizer, Limits, Options};

/// What a controller would have fetched from each tenant's repository.
fn tenant_tree(tenant: usize) -> MemoryFs {
    let mut fs = MemoryFs::new();
    fs.add_file(
        "/repo/base/kustomization.yaml",
        "resources: [deployment.yaml]\n",
    );
    fs.add_file(
        "/repo/base/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: app:1\n",
    );
    let overlay = match tenant % 4 {
        // A tenant that names a remote base: refused, nothing is fetched.
        0 => "resources:\n- github.com/example/app//base?ref=v1\n".to_owned(),
        // A tenant whose YAML is broken.
        1 => "resources: [../base\n".to_owned(),
        _ => format!(
            "resources: [../base]\nnamespace: tenant-{tenant}\nimages:\n- name: app\n  newTag: \"{tenant}\"\n"
        ),
    };
    fs.add_file("/repo/overlay/kustomization.yaml", overlay);
    fs
}

fn main() {
    let options = Options {
        limits: Limits {
            max_duration: Some(Duration::from_secs(5)),
            ..Limits::default()
        },
        ..Options::default()
    };
    // One kustomizer for every build: its builtin tables are parsed once.
    let kustomizer = Kustomizer::new(options);
    let tenants: Vec<usize> = (0..64).collect();
    let next = Mutex::new(tenants.into_iter());
    let outcomes: Mutex<BTreeMap<String, usize>> = Mutex::default();
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| loop {
                let Some(tenant) = next.lock().unwrap().next() else {
                    break;
                };
                let fs: Arc<dyn FileSystem> = Arc::new(tenant_tree(tenant));
                let outcome = match kustomizer.build(fs, Path::new("/repo/overlay")) {
                    Ok(out) => format!("rendered ({} resources)", out.resources.len()),
                    Err(e) => match e.kind() {
                        ErrorKind::Denied => "refused: needs a capability".to_owned(),
                        ErrorKind::Yaml | ErrorKind::Kustomization => {
                            format!("tenant error in {:?}", e.path())
                        }
                        ErrorKind::Stopped | ErrorKind::Limit => "over its budget".to_owned(),
                        _ => format!("failed: {}", e.chain()),
                    },
                };
                *outcomes.lock().unwrap().entry(outcome).or_default() += 1;
            });
        }
    });
    for (outcome, count) in outcomes.into_inner().unwrap() {
        println!("{count:3}  {outcome}");
    }
}
