//! FR-FCFS over demand reads: the misses that overlap (independent loads of
//! one ROB window, the reads of several cores) are queued together at the
//! controller, while a dependent chain reaches it one read at a time.

mod common;

use common::*;
use memento_sim::dram::Location;
use memento_sim::{Config, Machine, Stats};
use memento_trace::Event;

/// Byte address of a line of bank 0 in bank group `bank_group`.
fn line(c: &Config, bank_group: u32, row: u32, column: u32) -> u64 {
    let m = Machine::new(c).unwrap();
    m.memory().dram.mapping().address(Location {
        channel: 0,
        rank: 0,
        bank_group,
        bank: 0,
        row,
        column,
    })
}

/// X opens row 1 of bank (0, 0); A is older than the two row hits H1 and H2
/// but needs row 2 of the same bank, which it must wait tRAS to precharge.
fn window(c: &Config) -> [u64; 4] {
    [
        line(c, 0, 1, 0),
        line(c, 0, 2, 0),
        line(c, 0, 1, 1),
        line(c, 0, 1, 2),
    ]
}

/// The pages of the window in the TLB, through lines of another bank, then
/// time for everything to settle.
fn warm_up(c: &Config) -> Vec<Event> {
    let mut events: Vec<Event> = window(c)
        .iter()
        .map(|&a| Event::Load {
            addr: a ^ line(c, 1, 0, 0),
            size: 4,
        })
        .collect();
    events.push(Event::Gap { count: 4000 });
    events
}

/// The DRAM counters of `events` after the warm-up, minus the warm-up's.
fn after_warm_up(c: &Config, events: Vec<Event>) -> (u64, u64, u64, u64) {
    let base = run(c, warm_up(c)).dram;
    let mut all = warm_up(c);
    all.extend(events);
    let s = run(c, all).dram;
    (
        s.reordered_reads - base.reordered_reads,
        s.row_hits - base.row_hits,
        s.row_misses - base.row_misses,
        s.row_conflicts - base.row_conflicts,
    )
}

#[test]
fn independent_misses_in_one_window_to_an_open_row_are_served_before_an_older_row_miss() {
    let c = small();
    // 4-byte loads are never judged a pointer chase: one window.
    let events = window(&c)
        .iter()
        .map(|&addr| Event::Load { addr, size: 4 })
        .collect();
    let (reordered, hits, misses, conflicts) = after_warm_up(&c, events);
    // Served X, H1, H2, A: the two hits passed A, which then closes row 1
    // (X closes the row the page walks left open). In arrival order it
    // would be X, A, H1 (a conflict again), H2: one hit, three conflicts.
    assert_eq!(
        (reordered, hits, misses, conflicts),
        (2, 2, 0, 2),
        "reordered, row hits, misses, conflicts"
    );
}

#[test]
fn a_pointer_chase_is_not_reordered() {
    let c = small();
    // 8-byte loads at aligned addresses breaking the stride: each waits for
    // the one before, so each read is alone at the controller.
    let events = window(&c)
        .iter()
        .map(|&addr| Event::Load { addr, size: 8 })
        .collect();
    let (reordered, hits, misses, conflicts) = after_warm_up(&c, events);
    assert_eq!(
        (reordered, hits, misses, conflicts),
        (0, 1, 0, 3),
        "reordered, row hits, misses, conflicts"
    );
}

fn chase_on_cores(streams: Vec<Vec<Event>>) -> Stats {
    let mut c = small();
    c.cores = streams.len() as u32;
    Machine::new(&c)
        .unwrap()
        .run(streams.into_iter().map(Vec::into_iter).collect())
        .unwrap()
}

#[test]
fn the_reads_of_two_cores_are_scheduled_together() {
    // Each core chases pointers: alone, its reads reach the controller one
    // at a time and nothing can be reordered; side by side, the reads of
    // the two cores wait in one queue.
    let a = loads(&scattered(3000, 1 << 20), 8, 20);
    let b: Vec<Event> = loads(&scattered(3100, 1 << 20)[100..], 8, 20);
    assert_eq!(chase_on_cores(vec![a.clone()]).dram.reordered_reads, 0);
    assert_eq!(chase_on_cores(vec![b.clone()]).dram.reordered_reads, 0);
    let both = chase_on_cores(vec![a, b]);
    assert!(
        both.dram.reordered_reads > 0,
        "{} reads reordered",
        both.dram.reordered_reads
    );
}

#[test]
fn the_sample_trace_has_demand_reads_reordered_on_micro23() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../traces/samples/wordfreq-lackey.mtrace"
    );
    let trace = memento_trace::TraceFile::open(path).unwrap();
    let c = Config::preset("micro23").unwrap();
    let s = Machine::new(&c)
        .unwrap()
        .run_fallible(vec![trace.events()], false)
        .unwrap();
    assert_eq!(s.dram.reads.prefetch, 0, "micro23 has no prefetchers");
    assert!(
        s.dram.reordered_reads > 0,
        "{} reads reordered",
        s.dram.reordered_reads
    );
}
