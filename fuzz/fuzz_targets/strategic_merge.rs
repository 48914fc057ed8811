//! Strategic-merge patches with the builtin Kubernetes schema: a target document, then a
//! line `=== patch` and the patch. Any pair merges or fails cleanly, and what a merge
//! makes can be printed.
#![no_main]

use std::sync::OnceLock;

use kustomize::unstable::patch::schema::Schema;
use kustomize::unstable::patch::strategic_merge::merge;
use kustomize_yaml::{emit_document, parse_documents, Schema as Yaml};
use libfuzzer_sys::fuzz_target;

fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(Schema::builtin)
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (target, patch) = text.split_once("\n=== patch\n").unwrap_or((&text, ""));
    let (Ok(target), Ok(patch)) = (
        parse_documents(target, Yaml::Kyaml),
        parse_documents(patch, Yaml::Kyaml),
    ) else {
        return;
    };
    let (Some(mut target), Some(patch)) = (target.into_iter().next(), patch.into_iter().next())
    else {
        return;
    };
    if merge(&mut target, &patch, schema()).is_ok() {
        let _ = emit_document(&target, &mut String::new());
    }
});
