//! Arbitrary text as the function suite's manifest
//! (`workloads/manifest.toml`), parsed and checked.

#![no_main]

use libfuzzer_sys::fuzz_target;
use memento_workloads::suite::Manifest;

fuzz_target!(|data: &[u8]| {
    let Some(text) = memento_fuzz::text(data) else {
        return;
    };
    if let Ok(manifest) = Manifest::from_toml(text, "fuzz.toml") {
        for name in manifest.names() {
            assert!(manifest.get(name).is_some(), "{name} listed but not found");
        }
    }
});
