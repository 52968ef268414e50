//! Arbitrary bytes as a DRAM request trace (`memento dram TRACE`): read as
//! DRAMsim3 or Ramulator text, the format detected and each one forced;
//! the requests read before the first error must write back (as `memento
//! replay --dram-trace` and the exporter write them) to text that reads
//! back to the same requests, and run through the DRAM model alone (the
//! `dramsim3-ddr4` preset's `[dram]` section), in FR-FCFS order and in
//! order.

#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use memento_sim::dram_only::{run_dram, Schedule};
use memento_sim::Config;
use memento_trace::dram_trace::{write_request, DramRequest, DramStyle, DramTraceReader};

fn config() -> &'static Config {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    CONFIG.get_or_init(|| Config::preset("dramsim3-ddr4").expect("the preset is valid"))
}

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.trace");
    for forced in [None, Some(DramStyle::Dramsim3), Some(DramStyle::Ramulator)] {
        let mut reader = DramTraceReader::new(data, path, forced);
        let requests: Vec<DramRequest> = reader.by_ref().map_while(Result::ok).collect();
        let Some(style) = reader.style() else {
            assert!(requests.is_empty());
            continue;
        };
        let mut text = Vec::new();
        for r in &requests {
            write_request(&mut text, style, r.addr, r.write, r.cycle.unwrap_or(0))
                .expect("writing to memory");
        }
        let back: Vec<DramRequest> = DramTraceReader::new(&text[..], path, Some(style))
            .collect::<Result<_, _>>()
            .expect("written requests read back");
        assert_eq!(back, requests);
        for schedule in [Schedule::FrFcfs, Schedule::InOrder] {
            run_dram(config(), schedule, requests.iter().copied().map(Ok)).expect("a valid preset");
        }
    }
});
