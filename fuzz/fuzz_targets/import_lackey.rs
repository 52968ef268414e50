//! Arbitrary bytes as Valgrind Lackey text (`memento trace convert --from
//! lackey`), imported into a trace that must read back whole.

#![no_main]

use std::io::Cursor;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use memento_trace::import::lackey;

fuzz_target!(|data: &[u8]| {
    memento_fuzz::import_and_read_back(|sink| {
        lackey::import(Cursor::new(data), Path::new("fuzz.lackey"), sink)
    });
});
