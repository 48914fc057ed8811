//! The whole-build fuzz target's committed inputs (`fuzz/kept/whole_build`), driven
//! through the library as the target drives it: every input ends in output or an error,
//! never a panic, and builds the same on one thread as on two. Runs without the nightly
//! toolchain, so CI replays what the fuzzer found.

use std::path::Path;

use arbitrary::{Arbitrary, Unstructured};

#[path = "../../../fuzz/fuzz_targets/common.rs"]
mod common;

#[derive(Debug, Arbitrary)]
struct Input {
    options: common::FuzzOptions,
    tree: common::Tree,
}

#[test]
fn whole_build_corpus_builds_or_fails_cleanly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/kept/whole_build");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        println!("skipped: no corpus at {}", dir.display());
        return;
    };
    let mut inputs: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    inputs.sort();
    let mut built = 0;
    for path in &inputs {
        let bytes = std::fs::read(path).unwrap();
        let Ok(input) = Input::arbitrary_take_rest(Unstructured::new(&bytes)) else {
            continue;
        };
        if input.tree.is_remote() {
            continue;
        }
        let first = common::build(&input.tree, &input.options);
        if first.is_ok() {
            built += 1;
            let other = common::FuzzOptions {
                threads: !input.options.threads,
                ..input.options
            };
            assert_eq!(
                first,
                common::build(&input.tree, &other),
                "{}",
                path.display()
            );
        }
    }
    println!("{} corpus inputs, {built} built", inputs.len());
    assert!(inputs.is_empty() || built > 0);
}
