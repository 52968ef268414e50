//! Arbitrary bytes as (decompressed) ChampSim records (`memento trace
//! convert --from champsim`), imported into a trace that must read back
//! whole.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use memento_trace::import::{champsim, ImportOptions};

fuzz_target!(|data: &[u8]| {
    memento_fuzz::import_and_read_back(|sink| {
        champsim::import(
            data,
            Path::new("fuzz.champsim"),
            ImportOptions::default(),
            sink,
        )
        .map(|(summary, _branches)| summary)
    });
});
