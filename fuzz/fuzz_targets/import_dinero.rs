//! Arbitrary bytes as Dinero `din` text (`memento trace convert --from
//! din`), imported into a trace that must read back whole.

#![no_main]

use std::io::Cursor;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use memento_trace::import::{din, ImportOptions};

fuzz_target!(|data: &[u8]| {
    memento_fuzz::import_and_read_back(|sink| {
        din::import(
            Cursor::new(data),
            Path::new("fuzz.din"),
            ImportOptions::default(),
            sink,
        )
    });
});
