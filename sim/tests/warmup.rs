//! Warm-up (`warmup_instructions`, `memento replay --warmup N`): the first
//! N instructions of each core train the caches, TLBs and predictors, then
//! every statistic starts again.

mod common;

use common::*;
use memento_sim::{Machine, RunError};
use memento_trace::Event;

/// Two passes over `lines` lines, each load behind 3 instructions.
fn two_passes(lines: u64) -> Vec<Event> {
    let pass = |_| {
        (0..lines).flat_map(|i| {
            [
                Event::Gap { count: 3 },
                Event::Load {
                    addr: 0x4000_0000 + i * 64,
                    size: 8,
                },
            ]
        })
    };
    (0..2).flat_map(pass).collect()
}

#[test]
fn warm_up_resets_the_statistics_but_not_the_cache_contents() {
    let lines = 256; // 16 KiB: fits the small machine's LLC slice (32 KiB)
    let cold = run(&small(), two_passes(lines));
    let mut c = small();
    c.warmup_instructions = lines * 3;
    let warm = run(&c, two_passes(lines));
    // Cold, the first pass reads every line from DRAM.
    assert!(
        cold.dram.reads.demand >= lines,
        "{}",
        cold.dram.reads.demand
    );
    // Warm, only the second pass counts, and the lines are still cached.
    assert_eq!(warm.cores[0].loads, lines);
    assert_eq!(warm.instructions, lines * 3);
    assert_eq!(warm.dram.reads.demand, 0);
    assert!(
        warm.cycles < cold.cycles / 2,
        "{} vs {}",
        warm.cycles,
        cold.cycles
    );
}

#[test]
fn a_warm_up_longer_than_the_trace_is_an_error() {
    let mut c = small();
    c.warmup_instructions = 1_000_000;
    let e = Machine::new(&c)
        .unwrap()
        .run(vec![two_passes(10).into_iter()])
        .unwrap_err();
    assert!(
        matches!(
            e,
            RunError::WarmupLongerThanTrace {
                core: 0,
                instructions: 60,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("--warmup"), "{e}");
}
