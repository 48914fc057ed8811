//! What an embedder relies on: limits and cancellation end a build with a typed error,
//! errors say what kind they are and which file they are about, each link of an error's
//! chain says its part once, and a relative directory means the same to every file system.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kustomize::fs::MemoryFs;
use kustomize::{Cancel, Error, ErrorKind, Kustomizer, Limits, Options};

const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n";

fn build(fs: MemoryFs, dir: &str, options: Options) -> Result<String, Error> {
    let out = Kustomizer::new(options).build(Arc::new(fs), Path::new(dir))?;
    out.resources.to_yaml()
}

fn with_limits(limits: Limits) -> Options {
    Options {
        limits,
        ..Options::default()
    }
}

#[test]
fn resources_depth_and_file_size_are_bounded() {
    let mut fs = MemoryFs::new();
    let many: String = (0..50)
        .map(|i| format!("---\n{}", CM.replace("name: c", &format!("name: c{i}"))))
        .collect();
    fs.add_file("/app/kustomization.yaml", "resources: [cms.yaml]\n");
    fs.add_file("/app/cms.yaml", many.clone());
    let err = build(
        fs.clone(),
        "/app",
        with_limits(Limits {
            max_resources: 49,
            ..Limits::default()
        }),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Limit);
    assert!(err.to_string().contains("max_resources"), "{err}");
    assert!(build(fs.clone(), "/app", Options::default()).is_ok());

    let err = build(
        fs.clone(),
        "/app",
        with_limits(Limits {
            max_file_bytes: many.len() as u64 - 1,
            ..Limits::default()
        }),
    )
    .unwrap_err();
    assert!(err.to_string().contains("max_file_bytes"), "{err}");

    // A chain of bases five deep.
    let mut fs = MemoryFs::new();
    for level in 0..5 {
        fs.add_file(
            format!("/app/l{level}/kustomization.yaml"),
            format!("resources: [../l{}]\n", level + 1),
        );
    }
    fs.add_file("/app/l5/kustomization.yaml", "resources: [cm.yaml]\n");
    fs.add_file("/app/l5/cm.yaml", CM);
    let deep = |max_depth| {
        build(
            fs.clone(),
            "/app/l0",
            with_limits(Limits {
                max_depth,
                ..Limits::default()
            }),
        )
    };
    assert!(deep(5).is_ok());
    let err = deep(4).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Limit, "{err:?}");
    assert!(err.chain().contains("max_depth"), "{}", err.chain());
}

/// A tree large enough to take a while, cancelled from another thread: the build stops
/// with `Cancelled` long before it would have finished.
#[test]
fn a_build_cancelled_from_another_thread_stops() {
    let mut fs = MemoryFs::new();
    let mut bases = String::from("resources:\n");
    for b in 0..200 {
        bases.push_str(&format!("- b{b}\n"));
        fs.add_file(
            format!("/app/b{b}/kustomization.yaml"),
            format!("resources: [cm.yaml]\nnamePrefix: p{b}-\n"),
        );
        let docs: String = (0..50)
            .map(|i| format!("---\n{}", CM.replace("name: c", &format!("name: c{i}"))))
            .collect();
        fs.add_file(format!("/app/b{b}/cm.yaml"), docs);
    }
    fs.add_file("/app/kustomization.yaml", bases);

    let cancel = Cancel::new();
    cancel.cancel();
    let options = Options {
        cancel: Some(cancel),
        ..Options::default()
    };
    let err = build(fs.clone(), "/app", options).unwrap_err();
    assert!(matches!(err.root(), Error::Cancelled), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Stopped);

    let cancel = Cancel::new();
    let options = Options {
        cancel: Some(cancel.clone()),
        ..Options::default()
    };
    let started = Instant::now();
    let builder = std::thread::spawn(move || {
        // Many builds in a row: the cancel must land in one of them.
        (0..1000).find_map(|_| build(fs.clone(), "/app", options.clone()).err())
    });
    std::thread::sleep(Duration::from_millis(20));
    cancel.cancel();
    let err = builder.join().unwrap().expect("a build was cancelled");
    assert!(matches!(err.root(), Error::Cancelled), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn a_build_past_its_time_stops() {
    let mut fs = MemoryFs::new();
    fs.add_file("/app/kustomization.yaml", "resources: [cm.yaml]\n");
    fs.add_file("/app/cm.yaml", CM);
    let err = build(
        fs,
        "/app",
        with_limits(Limits {
            max_duration: Some(Duration::ZERO),
            ..Limits::default()
        }),
    )
    .unwrap_err();
    assert!(matches!(err, Error::TimedOut { .. }), "{err:?}");
    assert!(err.to_string().contains("max_duration"), "{err}");
}

#[test]
fn errors_have_a_kind_a_path_and_say_each_thing_once() {
    let mut fs = MemoryFs::new();
    fs.add_file("/app/kustomization.yaml", "resources: [base]\n");
    fs.add_file("/app/base/kustomization.yaml", "resources: [bad.yaml]\n");
    fs.add_file("/app/base/bad.yaml", "a: [b\n");
    let err = build(fs, "/app", Options::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Yaml, "{err:?}");
    assert_eq!(err.path(), Some(Path::new("/app/base/bad.yaml")));
    // Each link says its own part; the chain says all of them once.
    let mut links = vec![err.to_string()];
    let mut next = std::error::Error::source(&err);
    while let Some(e) = next {
        links.push(e.to_string());
        next = e.source();
    }
    for pair in links.windows(2) {
        assert!(!pair[0].contains(&pair[1]), "{links:?}");
    }
    assert_eq!(err.chain(), links.join(": "));
    assert!(err.chain().contains("bad.yaml"), "{}", err.chain());
}

/// A relative directory starts from the file system's working directory: `/` in memory.
#[test]
fn a_relative_directory_in_memory_starts_at_the_root() {
    let mut fs = MemoryFs::new();
    fs.add_file("/app/kustomization.yaml", "resources: [cm.yaml]\n");
    fs.add_file("/app/cm.yaml", CM);
    assert_eq!(build(fs.clone(), "app", Options::default()).unwrap(), CM);
    assert_eq!(build(fs, "/app", Options::default()).unwrap(), CM);
}

/// Resources serialise with serde as their objects, so `serde_json::to_value` (and kube-rs's
/// `DynamicObject`) take them without printing YAML; scalars come out resolved.
#[test]
fn resources_serialise_as_their_objects() {
    let mut fs = MemoryFs::new();
    fs.add_file(
        "/app/kustomization.yaml",
        "resources: [cm.yaml]\nnamePrefix: p-\n",
    );
    fs.add_file(
        "/app/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: \"1\"\nspec:\n  n: 0x1F\n  f: 1.5\n  b: true\n  z: ~\n",
    );
    let out = Kustomizer::new(Options::default())
        .build(Arc::new(fs), Path::new("/app"))
        .unwrap();
    let json = serde_json::to_value(&out.resources).unwrap();
    assert_eq!(
        json,
        serde_json::json!([{
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "p-c"},
            "data": {"a": "1"},
            "spec": {"n": 31, "f": 1.5, "b": true, "z": null},
        }])
    );
    let one = serde_json::to_value(out.resources.iter().next().unwrap()).unwrap();
    assert_eq!(one, json[0]);
}
