//! Kustomization files: any bytes decode to a kustomization or a typed error, never a
//! panic (strict field matching, deprecated fields folded into their successors, every
//! field's type checked).
#![no_main]

use kustomize::unstable::kustomization::Kustomization;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let budget = kustomize_yaml::Budget::new(1_000_000);
    let _ = Kustomization::parse(data, "/k/kustomization.yaml".as_ref(), Some(&budget));
});
