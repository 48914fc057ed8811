//! Whole-build benchmarks: plain trees of 1,000 and 10,000 resources generated in memory
//! (a base of many files; an overlay on top with a name prefix, a namespace, labels with
//! selectors and annotations), so every change sees its cost.

use std::path::Path;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kustomize::fs::{FileSystem, MemoryFs};
use kustomize::{Kustomizer, Options};

/// A base of `n` resources (Deployments, Services and ConfigMaps in turn, 50 per file)
/// and an overlay that includes it.
pub fn plain_tree(n: usize) -> MemoryFs {
    let mut fs = MemoryFs::new();
    let mut files = Vec::new();
    for chunk in 0..n.div_ceil(50) {
        let mut doc = String::new();
        for i in chunk * 50..((chunk + 1) * 50).min(n) {
            if !doc.is_empty() {
                doc.push_str("---\n");
            }
            doc.push_str(&match i % 3 {
                0 => format!(
                    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i}\n  labels:\n    app: app-{i}\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: app-{i}\n  template:\n    metadata:\n      labels:\n        app: app-{i}\n    spec:\n      containers:\n      - name: main\n        image: registry.example.com/app:{i}\n        ports:\n        - containerPort: 8080\n        env:\n        - name: MODE\n          value: \"production\"\n"
                ),
                1 => format!(
                    "apiVersion: v1\nkind: Service\nmetadata:\n  name: app-{i}\nspec:\n  selector:\n    app: app-{i}\n  ports:\n  - port: 80\n    targetPort: 8080\n"
                ),
                _ => format!(
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-{i}\ndata:\n  config.yaml: |\n    level: info\n    port: 8080\n  greeting: hello world {i}\n"
                ),
            });
        }
        let name = format!("r{chunk:04}.yaml");
        fs.add_file(format!("/tree/base/{name}"), doc);
        files.push(name);
    }
    let mut k = String::from("resources:\n");
    for f in &files {
        k.push_str(&format!("- {f}\n"));
    }
    fs.add_file("/tree/base/kustomization.yaml", k);
    fs.add_file(
        "/tree/overlay/kustomization.yaml",
        "resources:\n- ../base\nnamePrefix: prod-\nnamespace: prod\nlabels:\n- pairs: {env: prod}\n  includeSelectors: true\ncommonAnnotations: {team: platform}\n",
    );
    fs
}

/// The plain tree of `n` resources with an overlay applying `patches` targeted patches
/// (strategic merges selecting one Deployment each by name, alternating with JSON 6902).
pub fn patched_tree(n: usize, patches: usize) -> MemoryFs {
    let mut fs = plain_tree(n);
    let mut k = String::from("resources:\n- ../base\npatches:\n");
    for p in 0..patches {
        let i = (p * 3 * (n / 3 / patches.max(1)).max(1)) % n / 3 * 3;
        if p % 2 == 0 {
            k.push_str(&format!(
                "- target: {{kind: Deployment, name: app-{i}}}\n  patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: any\n    spec:\n      replicas: 3\n      template:\n        spec:\n          containers:\n          - name: main\n            env:\n            - name: PATCHED\n              value: \"yes\"\n"
            ));
        } else {
            k.push_str(&format!(
                "- target: {{kind: Deployment, name: app-{i}}}\n  patch: |-\n    - op: add\n      path: /metadata/labels/patched\n      value: \"true\"\n"
            ));
        }
    }
    fs.add_file("/tree/patched/kustomization.yaml", k);
    fs
}

fn bench_patches(c: &mut Criterion) {
    let mut group = c.benchmark_group("patches-1000");
    group.sample_size(20);
    let fs: Arc<dyn FileSystem> = Arc::new(patched_tree(1_000, 100));
    let k = Kustomizer::new(Options::default());
    for (name, dir) in [("without", "/tree/overlay"), ("with-100", "/tree/patched")] {
        group.bench_function(name, |b| {
            b.iter(|| {
                k.build(Arc::clone(&fs), Path::new(dir))
                    .unwrap()
                    .resources
                    .len()
            })
        });
    }
    group.finish();
}

/// `../shared/bench/scale-1000` (the standard benchmark tree), when present.
fn bench_scale_1000(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bench/scale-1000");
    if !root.is_dir() {
        println!("skipped scale-1000: {} not found", root.display());
        return;
    }
    let mut group = c.benchmark_group("scale-1000");
    group.sample_size(10);
    let k = Kustomizer::new(Options::default());
    for entry in ["base", "overlays/prod", "all"] {
        let dir = root.join(entry);
        group.bench_function(entry, |b| {
            b.iter(|| {
                let out = k.build(Arc::new(kustomize::fs::DiskFs), &dir).unwrap();
                out.resources.to_yaml().unwrap().len()
            })
        });
    }
    group.finish();
}

fn bench_build(c: &mut Criterion) {
    let mut group = c.benchmark_group("build-plain");
    group.sample_size(10);
    for n in [1_000, 10_000] {
        let fs: Arc<dyn FileSystem> = Arc::new(plain_tree(n));
        let k = Kustomizer::new(Options::default());
        group.throughput(Throughput::Elements(n as u64));
        // Dropping the output tree is left out, as the CLI leaves it to the OS.
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter_with_large_drop(|| {
                let out = k
                    .build(Arc::clone(&fs), Path::new("/tree/overlay"))
                    .unwrap();
                let yaml = out.resources.to_yaml().unwrap();
                (out, yaml)
            })
        });
    }
    group.finish();
}

/// The base of [`plain_tree`] with one overlay per builtin transformer (and `none`, the
/// base alone): each overlay's time less `none`'s is that transformer's cost on 1,000
/// resources.
pub fn transformer_trees(n: usize) -> MemoryFs {
    let mut fs = plain_tree(n);
    let smp = "apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: any\n    spec:\n      template:\n        spec:\n          containers:\n          - name: main\n            env:\n            - name: PATCHED\n              value: \"yes\"";
    let overlays: [(&str, String); 11] = [
        ("none", String::new()),
        ("namePrefix", "namePrefix: prod-\n".into()),
        ("namespace", "namespace: prod\n".into()),
        ("labels", "labels:\n- pairs: {env: prod}\n  includeSelectors: true\n  includeTemplates: true\n".into()),
        ("commonAnnotations", "commonAnnotations: {team: platform}\n".into()),
        ("images", "images:\n- name: registry.example.com/app\n  newName: mirror.example.com/app\n  newTag: v2\n".into()),
        ("replicas", "replicas:\n- name: app-0\n  count: 5\n".into()),
        ("patch-smp", format!("patches:\n- target: {{kind: Deployment}}\n  patch: |-\n    {smp}\n")),
        ("patch-json6902", "patches:\n- target: {kind: Deployment}\n  patch: |-\n    - op: add\n      path: /metadata/labels/patched\n      value: \"true\"\n".into()),
        ("replacements", "replacements:\n- source: {kind: ConfigMap, name: app-2, fieldPath: data.greeting}\n  targets:\n  - select: {kind: Deployment}\n    fieldPaths: [metadata.annotations.greeting]\n    options: {create: true}\n".into()),
        ("configMapGenerator", "configMapGenerator:\n- name: settings\n  literals: [LEVEL=info, PORT=8080]\n".into()),
    ];
    for (name, body) in overlays {
        fs.add_file(
            format!("/tree/t-{name}/kustomization.yaml"),
            format!("resources:\n- ../base\n{body}"),
        );
    }
    fs
}

fn bench_transformers(c: &mut Criterion) {
    let mut group = c.benchmark_group("transformer-1000");
    group.sample_size(20);
    let fs: Arc<dyn FileSystem> = Arc::new(transformer_trees(1_000));
    let k = Kustomizer::new(Options::default());
    for name in [
        "none",
        "namePrefix",
        "namespace",
        "labels",
        "commonAnnotations",
        "images",
        "replicas",
        "patch-smp",
        "patch-json6902",
        "replacements",
        "configMapGenerator",
    ] {
        let dir = format!("/tree/t-{name}");
        group.bench_function(name, |b| {
            b.iter_with_large_drop(|| k.build(Arc::clone(&fs), Path::new(&dir)).unwrap())
        });
    }
    group.finish();
}

/// `../shared`, when present.
fn shared() -> Option<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    dir.is_dir().then_some(dir)
}

/// The five heaviest real-world entry points without flags (by the reference's time in
/// `../shared/realworld/cases.tsv`), built and printed.
fn bench_realworld(c: &mut Criterion) {
    let Some(shared) = shared() else {
        println!("skipped realworld: ../shared not found");
        return;
    };
    let cases = std::fs::read_to_string(shared.join("realworld/cases.tsv")).unwrap_or_default();
    let mut entries: Vec<(f64, String)> = cases
        .lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            let (entry, args, ms) = (f.get(1)?, f.get(2)?, f.get(6)?);
            args.is_empty()
                .then(|| Some((ms.parse().ok()?, entry.to_string())))?
        })
        .collect();
    entries.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut group = c.benchmark_group("realworld");
    group.sample_size(10);
    let k = Kustomizer::new(Options::default());
    for (_, entry) in entries.iter().take(5) {
        let dir = shared.join("realworld").join(entry);
        group.bench_function(entry.as_str(), |b| {
            b.iter_with_large_drop(|| {
                let out = k.build(Arc::new(kustomize::fs::DiskFs), &dir).unwrap();
                let yaml = out.resources.to_yaml().unwrap();
                (out, yaml)
            })
        });
    }
    group.finish();
}

/// Trees of 10,000 and 100,000 resources from `../shared/tools/gen-scale-tree` (written
/// once into `target/bench-trees`), their `overlays/dev` built and printed. The 100,000
/// takes about a minute.
fn bench_generated(c: &mut Criterion) {
    let Some(shared) = shared() else {
        println!("skipped generated: ../shared not found");
        return;
    };
    let trees = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-trees");
    let mut group = c.benchmark_group("generated");
    group.sample_size(10);
    let k = Kustomizer::new(Options::default());
    for n in [10_000, 100_000] {
        let root = trees.join(format!("gs{n}"));
        if !root.join("overlays/dev").is_dir() {
            let made = std::process::Command::new(shared.join("tools/gen-scale-tree"))
                .arg(n.to_string())
                .arg(&root)
                .args(["--overlays", "1", "--seed", "1"])
                .status();
            if !made.is_ok_and(|s| s.success()) {
                println!("skipped generated/{n}: gen-scale-tree failed");
                continue;
            }
        }
        let dir = root.join("overlays/dev");
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter_with_large_drop(|| {
                let out = k.build(Arc::new(kustomize::fs::DiskFs), &dir).unwrap();
                let yaml = out.resources.to_yaml().unwrap();
                (out, yaml)
            })
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    bench_build,
    bench_patches,
    bench_transformers,
    bench_scale_1000,
    bench_realworld,
    bench_generated
);
criterion_main!(benches);
