//! Core timing on event streams made in code: dispatch width, memory-level
//! parallelism inside the ROB window, dependent chains, instruction fetch,
//! accesses spanning lines, TLB walks.

mod common;

use common::*;
use memento_sim::config::LoadDependence;
use memento_trace::Event;

#[test]
fn gaps_retire_at_the_configured_width() {
    let s = run(&small(), vec![Event::Gap { count: 4000 }]);
    assert_eq!((s.instructions, s.cycles), (4000, 1000));
    let mut slow = small();
    slow.core.base_cpi = 0.5;
    assert_eq!(run(&slow, vec![Event::Gap { count: 4000 }]).cycles, 2000);
}

#[test]
fn a_stream_over_four_times_the_llc_reads_each_line_once() {
    let c = small();
    let llc_bytes = u64::from(c.llc.sets * c.llc.ways * c.line_size * c.cores);
    let size = 4 * llc_bytes;
    let events: Vec<Event> = (0..size / 8)
        .map(|i| Event::Load {
            addr: 0x1000_0000 + i * 8,
            size: 8,
        })
        .collect();
    let s = run(&c, events);
    assert_eq!(s.dram.reads.demand, size / 64);
    assert_eq!(s.dram.reads.prefetch, 0);
    assert_eq!(s.cores[0].l1d.misses_by_cause.demand, size / 64);
}

/// The same addresses reach DRAM in both runs (over 200 misses); the
/// chase pays the DRAM latency for each, the independent loads overlap.
fn assert_chase_pays_each_miss(
    c: &memento_sim::Config,
    chase: &memento_sim::Stats,
    independent: &memento_sim::Stats,
) {
    let misses = chase.dram.reads.demand;
    assert_eq!(misses, independent.dram.reads.demand);
    assert!(misses > 200, "{misses} misses");
    assert!(
        chase.cycles >= misses * dram_floor(c),
        "chase: {} cycles for {misses} misses",
        chase.cycles
    );
    assert!(
        independent.cycles * 3 < chase.cycles,
        "independent {} vs chase {}",
        independent.cycles,
        chase.cycles
    );
}

#[test]
fn a_pointer_chase_sees_the_full_dram_latency_while_independent_misses_overlap() {
    let c = small();
    let addrs = scattered(400, SPAN);
    let chase = run(&c, loads(&addrs, 8, 3));
    let independent = run(&c, loads(&addrs, 4, 3));
    assert_chase_pays_each_miss(&c, &chase, &independent);
    // With dependence switched off the chase overlaps too.
    let mut off = c.clone();
    off.core.load_dependence = LoadDependence::Independent;
    assert_eq!(run(&off, loads(&addrs, 8, 3)).cycles, independent.cycles);
}

#[test]
fn misses_further_apart_than_the_rob_do_not_overlap() {
    let c = small();
    let addrs = scattered(400, SPAN);
    let gap = u64::from(c.core.rob) + 8;
    let close = run(&c, loads(&addrs, 4, 3));
    let far = run(&c, loads(&addrs, 4, gap));
    let misses = far.dram.reads.demand;
    let work = 400 * gap / 4;
    assert!(
        far.cycles >= work + misses * dram_floor(&c),
        "far {} for {misses} misses",
        far.cycles
    );
    assert!(
        close.cycles * 2 < far.cycles - work,
        "close {} far {}",
        close.cycles,
        far.cycles
    );
}

#[test]
fn an_access_spanning_two_lines_touches_both() {
    let s = run(
        &small(),
        vec![Event::Load {
            addr: 0x1000_003c,
            size: 8,
        }],
    );
    assert_eq!(s.cores[0].l1d.accesses - s.cores[0].tlb.walk_accesses, 2);
    assert_eq!(s.dram.reads.demand, 2);
}

#[test]
fn a_block_fetches_the_lines_it_covers() {
    let s = run(
        &small(),
        vec![Event::Block {
            addr: 0x40_0030,
            len: 40,
            count: 10,
        }],
    );
    assert_eq!(s.cores[0].l1i.accesses, 2);
    assert_eq!(s.instructions, 10);
    assert!(s.cycles > 100, "a cold fetch waits for DRAM: {}", s.cycles);
}

#[test]
fn a_page_walk_reads_one_entry_per_level_through_the_caches() {
    let s = run(
        &small(),
        vec![Event::Load {
            addr: 0x7000_0000,
            size: 8,
        }],
    );
    let tlb = &s.cores[0].tlb;
    assert_eq!((tlb.walks, tlb.walk_accesses), (1, 4));
    assert_eq!(s.dram.reads.page_walk, 4);
    // The next access to the page hits the DTLB.
    let s = run(
        &small(),
        vec![
            Event::Load {
                addr: 0x7000_0000,
                size: 8,
            },
            Event::Load {
                addr: 0x7000_0100,
                size: 8,
            },
        ],
    );
    assert_eq!((s.cores[0].tlb.dtlb_accesses, s.cores[0].tlb.walks), (2, 1));
}

#[test]
fn a_full_load_queue_stalls_dispatch() {
    let addrs = scattered(300, SPAN);
    let small_lq = run(&small(), loads(&addrs, 4, 1));
    let mut big = small();
    big.core.load_queue = 64;
    big.l1d.mshrs = 64;
    big.l2.mshrs = 64;
    let big_lq = run(&big, loads(&addrs, 4, 1));
    assert!(small_lq.cores[0].stalls.load_queue_full > 0);
    assert!(
        big_lq.cycles < small_lq.cycles,
        "{} vs {}",
        big_lq.cycles,
        small_lq.cycles
    );
}

#[test]
fn store_misses_fill_the_store_buffer_and_stall() {
    let events: Vec<Event> = scattered(300, SPAN)
        .into_iter()
        .flat_map(|addr| [Event::Store { addr, size: 8 }, Event::Gap { count: 1 }])
        .collect();
    let s = run(&small(), events);
    let stalls = &s.cores[0].stalls;
    assert!(
        stalls.store_buffer_full > 0 || stalls.store_queue_full > 0,
        "{stalls:?}"
    );
    // Each store miss still reads its line once (write-allocate).
    assert_eq!(
        s.cores[0].l1d.misses,
        s.cores[0].l1d.misses_by_cause.demand + s.cores[0].l1d.misses_by_cause.page_walk
    );
}

#[test]
fn every_llc_slice_uses_all_its_sets() {
    // Two slices of 32 KiB: 48 KiB read twice fits, so the second pass
    // reads nothing from DRAM.
    let c = small();
    assert_eq!(c.cores, 2);
    let bytes = 48 << 10;
    let pass = (0..bytes / 64).map(|i| Event::Load {
        addr: 0x2000_0000 + i * 64,
        size: 8,
    });
    let events: Vec<Event> = pass.clone().chain(pass).collect();
    let s = run(&c, events);
    assert_eq!(s.dram.reads.demand, bytes / 64);
}

/// `loads` with an `Event::Dep` of `distance` before every load.
fn chained(addrs: &[u64], distance: u8, gap: u64) -> Vec<Event> {
    addrs
        .iter()
        .flat_map(|&addr| {
            [
                Event::Dep { distance },
                Event::Load { addr, size: 4 },
                Event::Gap { count: gap },
            ]
        })
        .collect()
}

fn trace_mode() -> memento_sim::Config {
    let mut c = small();
    c.core.load_dependence = LoadDependence::Trace;
    c
}

#[test]
fn a_chase_the_trace_names_pays_the_full_latency_per_step() {
    let c = trace_mode();
    let addrs = scattered(400, SPAN);
    // 4-byte loads: the pointer-chase guess would call them independent.
    let chase = run(&c, chained(&addrs, 1, 3));
    let independent = run(&c, loads(&addrs, 4, 3));
    assert_chase_pays_each_miss(&c, &chase, &independent);
}

#[test]
fn independent_loads_of_one_window_overlap_in_trace_mode() {
    let c = trace_mode();
    let addrs = scattered(400, SPAN);
    // 8-byte scattered loads, which pointer-chase would serialise: with
    // trace dependences and none named, they overlap.
    let trace = run(&c, loads(&addrs, 8, 3));
    let mut guess = small();
    guess.core.load_dependence = LoadDependence::PointerChase;
    let guessed = run(&guess, loads(&addrs, 8, 3));
    assert!(
        trace.cycles * 3 < guessed.cycles,
        "trace {} vs pointer-chase {}",
        trace.cycles,
        guessed.cycles
    );
}

#[test]
fn a_dependence_waits_for_the_load_its_distance_names() {
    let c = trace_mode();
    let addrs = scattered(300, SPAN);
    // Each miss is followed by a hit on one hot line. Distance 2 names the
    // previous miss (a chain of misses); distance 1 names the hit, whose
    // data is there at once (the misses overlap).
    let events = |distance: u8| -> Vec<Event> {
        addrs
            .iter()
            .flat_map(|&addr| {
                [
                    Event::Dep { distance },
                    Event::Load { addr, size: 4 },
                    Event::Load {
                        addr: 0x1000,
                        size: 4,
                    },
                    Event::Gap { count: 3 },
                ]
            })
            .collect()
    };
    let on_misses = run(&c, events(2));
    let on_hits = run(&c, events(1));
    let misses = on_misses.dram.reads.demand;
    assert!(
        on_misses.cycles >= (misses - 2) * dram_floor(&c),
        "{} cycles for {misses} chained misses",
        on_misses.cycles
    );
    assert!(
        on_hits.cycles * 3 < on_misses.cycles,
        "on hits {} vs on misses {}",
        on_hits.cycles,
        on_misses.cycles
    );
}

#[test]
fn auto_becomes_trace_only_when_every_trace_records_dependences() {
    let mut c = small();
    c.core.load_dependence = LoadDependence::Auto;
    let mut with = c.clone();
    with.resolve_load_dependence(true).unwrap();
    assert_eq!(with.core.load_dependence, LoadDependence::Trace);
    let mut without = c.clone();
    without.resolve_load_dependence(false).unwrap();
    assert_eq!(without.core.load_dependence, LoadDependence::PointerChase);
    let mut forced = c;
    forced.core.load_dependence = LoadDependence::Trace;
    let e = forced.resolve_load_dependence(false).unwrap_err();
    assert!(e.contains("core.load_dependence"), "{e}");
}
