//! Costs measured on the machine model from real traces.

use std::path::Path;

use memento_analysis::compare::Mode;
use memento_platform::measure::{measure, FunctionTraces};
use memento_sim::Config;

fn sample(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../traces/samples")
        .join(name)
}

#[test]
fn a_warm_invocation_is_measured_after_the_cold_trace_with_the_state_it_left() {
    // The same warm sample as both traces: replayed after itself it finds
    // its caches, TLBs and heap warm, so it costs less than alone.
    let f = FunctionTraces {
        name: "rsjson".into(),
        cold: sample("rsjson-warm.mtrace"),
        warm: sample("rsjson-warm.mtrace"),
        user_bytes: 256 << 20,
    };
    let config = Config::preset("micro23").unwrap();
    for mode in [Mode::BASELINE, Mode::MEMENTO] {
        let c = measure(&config, mode, &f, &[], 1, 4096).unwrap();
        assert!(
            c.warm_us < c.cold_us,
            "{mode:?}: warm {} us, alone {} us",
            c.warm_us,
            c.cold_us
        );
        assert!(c.warm_traffic.total() < c.cold_traffic.total(), "{mode:?}");
        assert!(c.pages_touched > 0 && c.pages_written > 0 && c.pages_written <= c.pages_touched);
        // What a harvest cannot take: below the peak by at least the heap
        // pages the warm invocation's freed objects leave idle.
        assert!(
            c.live_bytes > 0 && c.live_bytes < c.peak_bytes,
            "{mode:?}: live {} of peak {}",
            c.live_bytes,
            c.peak_bytes
        );
    }
}

#[test]
fn a_missing_trace_is_an_error_naming_it() {
    let f = FunctionTraces {
        name: "x".into(),
        cold: sample("rsjson-warm.mtrace"),
        warm: sample("no-such.mtrace"),
        user_bytes: 1 << 20,
    };
    let e = measure(
        &Config::preset("micro23").unwrap(),
        Mode::BASELINE,
        &f,
        &[],
        1,
        4096,
    )
    .unwrap_err();
    assert!(e.to_string().contains("no-such.mtrace"), "{e}");
}

#[test]
fn the_shared_cost_is_the_warm_invocation_beside_busy_cores() {
    // rsjson's warm invocation beside three copies of CPython's json: it
    // finds its own lines in the caches, so the co-runners barely slow it
    // (the first, cold-cache invocation beside them takes 25% longer:
    // picking that one would fail here).
    let f = FunctionTraces {
        name: "rsjson".into(),
        cold: sample("rsjson-warm.mtrace"),
        warm: sample("rsjson-warm.mtrace"),
        user_bytes: 256 << 20,
    };
    let other = FunctionTraces {
        name: "json".into(),
        cold: sample("json-warm.mtrace"),
        warm: sample("json-warm.mtrace"),
        user_bytes: 256 << 20,
    };
    let config = Config::preset("micro23").unwrap();
    let c = measure(&config, Mode::BASELINE, &f, &[&other], 4, 4096).unwrap();
    let ratio = c.warm_us_shared as f64 / c.warm_us as f64;
    assert!(
        (0.95..=1.05).contains(&ratio),
        "shared {} us, alone {} us",
        c.warm_us_shared,
        c.warm_us
    );
}
