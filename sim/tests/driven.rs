//! `Machine::run_driven`, where trace readers hand events to the machine
//! themselves, against `run_fallible` over the same readers as iterators:
//! the same stats to the byte, and the same first error.

mod common;

use common::small;
use memento_sim::{report, Config, Machine};
use memento_trace::TraceFile;

fn sample(name: &str) -> TraceFile {
    let path = format!(
        "{}/../traces/samples/{name}.mtrace",
        env!("CARGO_MANIFEST_DIR")
    );
    TraceFile::open(path).unwrap()
}

fn both(config: &Config, traces: &[TraceFile], shared: bool) -> (String, String) {
    let iterated = Machine::new(config)
        .unwrap()
        .run_fallible(traces.iter().map(TraceFile::events).collect(), shared)
        .unwrap();
    let driven = Machine::new(config)
        .unwrap()
        .run_driven(traces.iter().map(TraceFile::events).collect(), shared)
        .unwrap();
    (report::json(&iterated), report::json(&driven))
}

#[test]
fn a_driven_run_of_one_trace_gives_the_stats_of_an_iterated_one() {
    let (iterated, driven) = both(&small(), &[sample("wordfreq-lackey")], false);
    assert_eq!(iterated, driven);
}

#[test]
fn driven_cores_interleave_as_iterated_ones() {
    // Co-located functions and threads of one process: turns end whenever
    // one core passes another, so each drive stops and resumes many times.
    let traces = [
        sample("json-warm"),
        sample("rsjson-warm"),
        sample("jsonpipe-warm"),
    ];
    let mut c = small();
    c.cores = 3;
    for shared in [false, true] {
        let (iterated, driven) = both(&c, &traces, shared);
        assert_eq!(iterated, driven, "shared = {shared}");
    }
}

#[test]
fn a_damaged_trace_stops_a_driven_run_with_the_readers_error() {
    let good = std::fs::read(format!(
        "{}/../traces/samples/rsjson-warm.mtrace",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let clean = TraceFile::from_bytes("clean.mtrace", good.clone()).unwrap();
    let second = clean.chunks().nth(1).unwrap().unwrap();
    let mut bytes = good;
    bytes[second.payload_offset() as usize + 5] ^= 0x40;
    let damaged = [TraceFile::from_bytes("damaged.mtrace", bytes).unwrap()];
    let mut c = small();
    c.cores = 1;
    let iterated = Machine::new(&c)
        .unwrap()
        .run_fallible(damaged.iter().map(TraceFile::events).collect(), false)
        .unwrap_err();
    let driven = Machine::new(&c)
        .unwrap()
        .run_driven(damaged.iter().map(TraceFile::events).collect(), false)
        .unwrap_err();
    assert_eq!(iterated.to_string(), driven.to_string());
    assert!(
        driven.to_string().contains("damaged.mtrace: byte "),
        "{driven}"
    );
}
