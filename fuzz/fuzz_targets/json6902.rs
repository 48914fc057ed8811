//! JSON 6902 patches: a document, then a line `=== ops` and the operations (JSON or YAML).
//! Any operations apply or fail cleanly within the budget and the depth bound; copies of
//! copies stop there.
#![no_main]

use kustomize::unstable::patch::json6902::{apply, parse};
use kustomize_yaml::{emit_document, parse_documents, Budget, Schema};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (doc, ops) = text.split_once("\n=== ops\n").unwrap_or((&text, ""));
    let Ok(docs) = parse_documents(doc, Schema::Kyaml) else {
        return;
    };
    let mut doc = docs.into_iter().next().unwrap_or_default();
    let budget = Budget::new(1_000_000);
    let Ok(ops) = parse(ops, Some(&budget)) else {
        return;
    };
    if apply(&mut doc, &ops, Some(&budget)).is_ok() {
        let _ = emit_document(&doc, &mut String::new());
    }
});
