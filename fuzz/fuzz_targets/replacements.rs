//! Replacements: resources, then a line `=== replacements` and a `replacements:` list,
//! built in memory (`resources: [r.yaml]` plus the list). Any list applies or fails
//! cleanly, within the build's budget and the depth bound.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (resources, replacements) = text
        .split_once("\n=== replacements\n")
        .unwrap_or((&text, ""));
    let replacements: String = replacements.lines().map(|l| format!("  {l}\n")).collect();
    let tree = common::Tree {
        build: String::new(),
        files: vec![
            (
                "kustomization.yaml".into(),
                format!("resources: [r.yaml]\nreplacements:\n{replacements}"),
            ),
            ("r.yaml".into(), resources.to_owned()),
        ],
    };
    if tree.is_remote() {
        return;
    }
    let options = common::FuzzOptions {
        no_restrictor: false,
        input_order: true,
        threads: false,
    };
    let _ = common::build(&tree, &options);
});
