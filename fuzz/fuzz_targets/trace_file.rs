//! Arbitrary bytes as a whole trace file, its checksums fixed up so that
//! mutations reach event and metadata decoding, read through the public
//! reader every way it offers (see `memento_fuzz::read_trace`).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut bytes = data.to_vec();
    memento_fuzz::fix_crcs(&mut bytes);
    memento_fuzz::read_trace(&bytes);
});
