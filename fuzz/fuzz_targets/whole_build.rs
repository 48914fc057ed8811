//! Whole builds of a tree of files read from the fuzzer's bytes (see `common::Tree`), in
//! memory: any input ends in output or an error, never a panic, a crash, a hang or
//! unbounded memory; and a build gives the same on one thread as on two.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod common;

#[derive(Debug, arbitrary::Arbitrary)]
struct Input {
    options: common::FuzzOptions,
    tree: common::Tree,
}

fuzz_target!(|input: Input| {
    if input.tree.is_remote() {
        return;
    }
    let first = common::build(&input.tree, &input.options);
    if first.is_ok() {
        let other = common::FuzzOptions {
            threads: !input.options.threads,
            ..input.options
        };
        assert_eq!(first, common::build(&input.tree, &other));
    }
});
