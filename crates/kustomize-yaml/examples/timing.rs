//! Times parsing and emitting a file: `cargo run --release --example timing FILE`.
use std::time::Instant;

fn main() {
    let path = std::env::args().nth(1).expect("usage: timing FILE");
    let src = std::fs::read_to_string(path).expect("readable file");
    let t = Instant::now();
    let events = events_only(&src);
    println!("granit-parser alone: {events} events in {:?}", t.elapsed());
    let t = Instant::now();
    let docs =
        kustomize_yaml::parse_documents(&src, kustomize_yaml::Schema::Kyaml).expect("parses");
    let parsed = t.elapsed();
    let t = Instant::now();
    let out = kustomize_yaml::emit_documents(&docs).expect("emits");
    let emitted = t.elapsed();
    let mb = src.len() as f64 / 1e6;
    println!(
        "{} documents, {mb:.1} MB: parse {parsed:?} ({:.0} MB/s), emit {emitted:?} ({:.0} MB/s), identical: {}",
        docs.len(),
        mb / parsed.as_secs_f64(),
        mb / emitted.as_secs_f64(),
        out == src
    );
}

fn events_only(src: &str) -> usize {
    let mut n = 0;
    for e in granit_parser::Parser::new_from_str(src) {
        e.expect("parses");
        n += 1;
    }
    n
}
