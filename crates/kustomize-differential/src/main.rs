//! The differential fuzzer: random kustomization trees (from seeds, deterministically)
//! built by the reference kustomize and by kustomize-rs, compared; each mismatch shrunk to
//! a small tree and written out; a table of mismatches per feature and per class.
//!
//! ```sh
//! cargo build --release
//! cargo run --release -p kustomize-differential -- --start 1000000 --count 1000
//! ```

mod gen;
mod rng;
mod run;
mod shrink;
mod tree;
mod yaml;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use clap::Parser;

use run::{Runner, Verdict};

/// Random trees built by the reference kustomize and kustomize-rs, compared.
#[derive(Parser, Debug)]
#[command(name = "kustomize-differential")]
struct Args {
    /// The first seed.
    #[arg(long, default_value_t = 0)]
    start: u64,
    /// How many seeds (trees).
    #[arg(long, default_value_t = 100)]
    count: u64,
    /// Trees built at once (default: the number of cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// The reference (`reference-kustomize`, run as `build DIR`).
    #[arg(long, default_value = "../shared/tools/reference-kustomize")]
    reference: PathBuf,
    /// kustomize-rs.
    #[arg(long, default_value = "target/release/kustomize-rs")]
    ours: PathBuf,
    /// Where mismatches are written (each shrunk, with both outputs).
    #[arg(long, default_value = "target/differential")]
    out: PathBuf,
    /// Do not shrink mismatches.
    #[arg(long)]
    no_shrink: bool,
    /// Candidate removals tried per mismatch while shrinking.
    #[arg(long, default_value_t = 300)]
    shrink_budget: usize,
    /// Print the tree of one seed and exit.
    #[arg(long)]
    show: Option<u64>,
}

/// What the run found.
#[derive(Default)]
struct Tally {
    trees: u64,
    mismatches: u64,
    crashes: u64,
    /// feature -> (trees using it, mismatches among them).
    features: BTreeMap<String, (u64, u64)>,
    /// signature -> seeds.
    classes: BTreeMap<String, Vec<u64>>,
    /// Trees upstream built without an error.
    built: u64,
    /// Upstream's errors (first line, masked) -> how many trees.
    errors: BTreeMap<String, u64>,
}

fn main() {
    let args = Args::parse();
    if let Some(seed) = args.show {
        for f in gen::generate(seed).files {
            println!("=== {}\n{}", f.path, String::from_utf8_lossy(&f.render()));
        }
        return;
    }
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let runner = Runner {
        reference: args.reference.clone(),
        ours: args.ours.clone(),
        work: args.out.join("work"),
        timeout: Duration::from_secs(60),
    };
    let next = AtomicU64::new(args.start);
    let end = args.start + args.count;
    let tally = Mutex::new(Tally::default());
    let started = Instant::now();
    std::thread::scope(|scope| {
        for job in 0..jobs {
            let (runner, next, tally, args) = (&runner, &next, &tally, &args);
            scope.spawn(move || {
                let dir = runner.work.join(format!("job{job}"));
                loop {
                    let seed = next.fetch_add(1, Ordering::Relaxed);
                    if seed >= end {
                        break;
                    }
                    check(seed, runner, &dir, args, tally);
                }
            });
        }
    });
    let t = tally.into_inner().unwrap_or_else(|e| e.into_inner());
    report(&t, started.elapsed(), &args);
}

/// Builds one seed's tree, records it, and writes out (shrunk) a mismatch.
fn check(seed: u64, runner: &Runner, dir: &std::path::Path, args: &Args, tally: &Mutex<Tally>) {
    let tree = gen::generate(seed);
    let Ok((reference, ours, verdict)) = runner.compare(&tree, dir) else {
        eprintln!("seed {seed}: cannot write the tree");
        return;
    };
    let features = tree.features();
    let signature = run::signature(&reference, &ours, verdict);
    {
        let mut t = tally.lock().unwrap_or_else(|e| e.into_inner());
        t.trees += 1;
        if reference.code == Some(0) {
            t.built += 1;
        } else {
            let e = run::signature(&reference, &ours, Verdict::OursSucceeds);
            *t.errors.entry(e).or_default() += 1;
        }
        for f in &features {
            let slot = t.features.entry(f.clone()).or_default();
            slot.0 += 1;
            slot.1 += u64::from(verdict.is_mismatch());
        }
        if verdict == Verdict::UpstreamCrash {
            t.crashes += 1;
        }
        if verdict.is_mismatch() {
            t.mismatches += 1;
            t.classes.entry(signature.clone()).or_default().push(seed);
        }
    }
    if !verdict.is_mismatch() {
        return;
    }
    eprintln!("seed {seed}: {signature}");
    let small = if args.no_shrink {
        tree
    } else {
        shrink::shrink(
            &tree,
            &mut |candidate| {
                runner
                    .compare(candidate, dir)
                    .is_ok_and(|(r, o, v)| v == verdict && run::signature(&r, &o, v) == signature)
            },
            args.shrink_budget,
        )
    };
    let out = args.out.join(format!("seed-{seed}"));
    if let Ok((r, o, v)) = runner.compare(&small, dir) {
        let _ = runner.write(&small, &out.join("tree"));
        let _ = std::fs::write(out.join("reference.out"), &r.stdout);
        let _ = std::fs::write(out.join("reference.err"), &r.stderr);
        let _ = std::fs::write(out.join("ours.out"), &o.stdout);
        let _ = std::fs::write(out.join("ours.err"), &o.stderr);
        let _ = std::fs::write(
            out.join("summary.txt"),
            format!(
                "seed {seed}\nverdict {v:?}\n{}\nbuild tree/{}\n",
                run::signature(&r, &o, v),
                small.build
            ),
        );
    }
}

fn report(t: &Tally, elapsed: Duration, args: &Args) {
    let rate = |n: u64, d: u64| {
        if d == 0 {
            0.0
        } else {
            100.0 * n as f64 / d as f64
        }
    };
    println!(
        "{} trees (seeds {}..{}) in {:.0?}: {} match ({:.2}%), {} mismatches, {} upstream crashes",
        t.trees,
        args.start,
        args.start + args.count,
        elapsed,
        t.trees - t.mismatches - t.crashes,
        rate(t.trees - t.mismatches, t.trees),
        t.mismatches,
        t.crashes
    );
    println!(
        "upstream built {} of them ({:.1}%); its most common errors:",
        t.built,
        rate(t.built, t.trees)
    );
    let mut errors: Vec<_> = t.errors.iter().collect();
    errors.sort_by_key(|(_, n)| std::cmp::Reverse(**n));
    for (e, n) in errors.iter().take(12) {
        println!("  {n:>4}  {}", e.trim_start_matches("upstream fails: "));
    }
    println!("\n| feature | trees | mismatches | rate |\n| --- | ---: | ---: | ---: |");
    for (f, (n, m)) in &t.features {
        println!("| {f} | {n} | {m} | {:.1}% |", rate(*m, *n));
    }
    println!("\nclasses (first line of the difference, names and numbers masked):");
    let mut classes: Vec<_> = t.classes.iter().collect();
    classes.sort_by_key(|(_, seeds)| std::cmp::Reverse(seeds.len()));
    for (sig, seeds) in classes {
        let shown: Vec<String> = seeds.iter().take(5).map(u64::to_string).collect();
        println!("  {:>4}  {sig}  (seeds {})", seeds.len(), shown.join(", "));
    }
    println!("\nshrunk trees: {}", args.out.display());
}
