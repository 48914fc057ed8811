//! The floor: parsing and emitting YAML alone, on upstream's own output for the heaviest
//! real-world tree (kube-prometheus, 5.76 MB) and for scale-1000/overlays/prod. A build can
//! not be cheaper than parsing its input and emitting its output; `benches/README.md`
//! reports each build as a multiple of this floor.

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kustomize_yaml::{emit_document, parse_documents, Schema};

fn bench_floor(c: &mut Criterion) {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    let files = [
        (
            "kube-prometheus",
            shared.join("realworld/expected/kube-prometheus.yaml"),
        ),
        (
            "scale-1000-prod",
            shared.join("bench/scale-1000/expected/overlays__prod.yaml"),
        ),
    ];
    let mut group = c.benchmark_group("yaml-floor");
    group.sample_size(10);
    for (name, path) in files {
        let Ok(text) = std::fs::read_to_string(&path) else {
            println!("skipped {name}: {} not found", path.display());
            continue;
        };
        group.throughput(Throughput::Bytes(text.len() as u64));
        let docs = parse_documents(&text, Schema::Kyaml).unwrap();
        group.bench_function(format!("{name}/parse"), |b| {
            b.iter(|| parse_documents(&text, Schema::Kyaml).unwrap().len())
        });
        group.bench_function(format!("{name}/emit"), |b| {
            b.iter(|| {
                let mut out = String::with_capacity(text.len());
                for d in &docs {
                    emit_document(d, &mut out).unwrap();
                }
                out.len()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_floor);
criterion_main!(benches);
