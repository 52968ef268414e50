//! Arbitrary text as a synthetic-trace profile (`memento workloads synth
//! --profile FILE`): parsed and validated; a valid one must print as TOML
//! that reads back to the same profile.

#![no_main]

use libfuzzer_sys::fuzz_target;
use memento_workloads::synth::Profile;

fuzz_target!(|data: &[u8]| {
    if let Some(text) = memento_fuzz::text(data) {
        memento_fuzz::parse_and_print(text, Profile::from_toml, Profile::to_toml);
    }
});
