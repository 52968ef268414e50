//! Arbitrary text as a machine configuration (`memento replay --config`):
//! parsed and validated; a valid one must print as TOML (`memento config
//! show`) that reads back to the same machine. The same text also goes to
//! the DRAM standard reader (`dram.standard_file`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use memento_sim::dram::DramStandard;
use memento_sim::Config;

fuzz_target!(|data: &[u8]| {
    let Some(text) = memento_fuzz::text(data) else {
        return;
    };
    memento_fuzz::parse_and_print(text, Config::from_toml_str, Config::to_toml);
    let _ = DramStandard::from_toml_str(text, "fuzz.toml");
});
