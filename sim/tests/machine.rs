//! The whole machine on event streams made in code: allocator accounting,
//! multi-core determinism and contention, shared address spaces, fallible
//! streams, per-invocation statistics and the printers.

mod common;

use common::*;
use memento_sim::config::{PageTableLayout, StoreWrite};
use memento_sim::{report, Config, Machine, Stats};
use memento_trace::{Alloc, AllocFn, AllocLevel, Event, Free};

#[test]
fn allocator_bracket_work_is_counted_apart() {
    let alloc = Alloc {
        func: AllocFn::Malloc,
        level: AllocLevel::Libc,
        size: 48,
        align: 0,
        addr: 0x1234_0000,
        site: 0,
    };
    let events = vec![
        Event::Gap { count: 100 },
        Event::AllocEnter {
            func: AllocFn::Malloc,
        },
        Event::Gap { count: 10 },
        Event::AllocEnter {
            func: AllocFn::Malloc,
        },
        Event::Load {
            addr: 0x2000_0000,
            size: 8,
        },
        Event::AllocExit,
        Event::Store {
            addr: 0x2000_0040,
            size: 8,
        },
        Event::AllocExit,
        Event::Alloc(alloc),
        Event::Load {
            addr: 0x3000_0000,
            size: 8,
        },
        Event::AllocExit,
    ];
    let s = run(&small(), events);
    let a = &s.cores[0].alloc;
    assert_eq!(
        (a.calls, a.max_depth, a.instructions, a.loads, a.stores),
        (1, 2, 10, 1, 1)
    );
    assert_eq!(
        (
            a.allocs,
            a.small_allocs,
            a.bytes_requested,
            a.unmatched_exits
        ),
        (1, 1, 48, 1)
    );
    assert_eq!(a.l1d_misses, 2);
    assert_eq!((s.dram.reads.alloc_metadata, s.dram.reads.demand), (2, 1));
    assert!(a.cycles > 0);
}

#[test]
fn nested_allocator_calls_count_each_object_once() {
    // `operator new` calls `malloc`; `operator delete` calls `free`. The
    // capture records both events, each before the exit of its bracket.
    let new = |func, level| Alloc {
        func,
        level,
        size: 24,
        align: 0,
        addr: 0x1234_0000,
        site: 0,
    };
    let delete = |func| {
        Event::Free(Free {
            func,
            level: AllocLevel::Libc,
            addr: 0x1234_0000,
            site: 0,
        })
    };
    let enter = |func| Event::AllocEnter { func };
    let events = vec![
        enter(AllocFn::New),
        enter(AllocFn::Malloc),
        Event::Alloc(new(AllocFn::Malloc, AllocLevel::Libc)),
        Event::AllocExit,
        Event::Alloc(new(AllocFn::New, AllocLevel::Libc)),
        Event::AllocExit,
        enter(AllocFn::Delete),
        enter(AllocFn::Free),
        delete(AllocFn::Free),
        Event::AllocExit,
        delete(AllocFn::Delete),
        Event::AllocExit,
    ];
    let s = run(&small(), events);
    let a = &s.cores[0].alloc;
    assert_eq!(
        (
            a.allocs,
            a.frees,
            a.nested_events,
            a.calls,
            a.bytes_requested
        ),
        (1, 1, 2, 2, 24)
    );
}

fn mixed_stream(seed: u64, n: usize) -> Vec<Event> {
    let addrs = scattered(n, 8 << 20);
    addrs
        .iter()
        .enumerate()
        .flat_map(|(i, &a)| {
            let a = a ^ (seed << 12);
            [
                Event::Block {
                    addr: 0x40_0000 + (i as u64 % 64) * 32,
                    len: 32,
                    count: 8,
                },
                if i % 3 == 0 {
                    Event::Store { addr: a, size: 8 }
                } else {
                    Event::Load { addr: a, size: 8 }
                },
                Event::Gap { count: 5 },
            ]
        })
        .collect()
}

#[test]
fn two_runs_give_identical_stats() {
    let c = small();
    let go = || {
        Machine::new(&c)
            .unwrap()
            .run(vec![
                mixed_stream(1, 3000).into_iter(),
                mixed_stream(2, 3000).into_iter(),
            ])
            .unwrap()
    };
    let a = go();
    assert_eq!(a, go());
    assert_eq!(report::json(&a), report::json(&go()));
}

#[test]
fn runs_on_several_host_threads_match_a_sequential_run() {
    let c = small();
    let go = |c: Config| {
        Machine::new(&c)
            .unwrap()
            .run(vec![
                mixed_stream(1, 2000).into_iter(),
                mixed_stream(2, 2000).into_iter(),
            ])
            .unwrap()
    };
    let sequential = go(c.clone());
    let threads: Vec<_> = (0..2)
        .map(|_| {
            std::thread::spawn({
                let c = c.clone();
                move || go(c)
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), sequential);
    }
}

#[test]
fn co_located_cores_contend_for_dram() {
    let c = small();
    let alone = Machine::new(&c)
        .unwrap()
        .run(vec![mixed_stream(1, 3000).into_iter()])
        .unwrap();
    let shared = Machine::new(&c)
        .unwrap()
        .run(vec![
            mixed_stream(1, 3000).into_iter(),
            mixed_stream(2, 3000).into_iter(),
        ])
        .unwrap();
    assert_eq!(shared.cores[0].instructions, alone.cores[0].instructions);
    assert!(
        shared.cores[0].cycles > alone.cores[0].cycles,
        "{} vs {}",
        shared.cores[0].cycles,
        alone.cores[0].cycles
    );
}

#[test]
fn threads_of_one_process_share_lines_and_pages() {
    let c = small();
    let base = 0x5000_0000;
    let mut t0 = vec![mmap(base, 8 * 4096)];
    t0.extend(touch_pages(base, 8));
    let t1: Vec<Event> = vec![Event::Gap { count: 400_000 }]
        .into_iter()
        .chain(touch_pages(base, 8))
        .collect();
    let shared = Machine::new(&c)
        .unwrap()
        .run_shared(vec![t0.clone().into_iter(), t1.clone().into_iter()])
        .unwrap();
    let faults: u64 = shared.cores.iter().map(|c| c.kernel.page_faults).sum();
    assert_eq!(faults, 8);
    let separate = Machine::new(&c)
        .unwrap()
        .run(vec![t0.into_iter(), t1.into_iter()])
        .unwrap();
    // In separate processes the second has no mapping: no faults, other lines.
    assert_eq!(separate.cores[1].kernel.page_faults, 0);
}

#[test]
fn more_streams_than_cores_is_an_error() {
    let c = small();
    let e = Machine::new(&c)
        .unwrap()
        .run(vec![Vec::<Event>::new().into_iter(); 3])
        .unwrap_err();
    assert!(e.to_string().contains("3 event streams"), "{e}");
}

#[test]
fn printers_show_the_same_numbers() {
    let s = run(&small(), mixed_stream(3, 500));
    let json = report::json(&s);
    let mut back: Stats = serde_json::from_str(&json).unwrap();
    // JSON floats may come back one ulp off; the rest must be exact.
    for (a, b) in [
        (
            &mut back.dram.avg_read_latency_ns,
            s.dram.avg_read_latency_ns,
        ),
        (
            &mut back.dram.p99_read_latency_ns,
            s.dram.p99_read_latency_ns,
        ),
        (
            &mut back.dram.p50_read_latency_ns,
            s.dram.p50_read_latency_ns,
        ),
        (&mut back.dram.bandwidth_gb_s, s.dram.bandwidth_gb_s),
    ] {
        assert!((*a - b).abs() <= 1e-9 * b.abs());
        *a = b;
    }
    assert_eq!(back, s);
    let csv = report::csv(&s);
    assert!(csv.starts_with("scope,metric,value\n"));
    assert!(
        csv.contains(&format!(
            "machine,dram.reads.demand,{}\n",
            s.dram.reads.demand
        )),
        "{csv}"
    );
    assert!(csv.contains(&format!("core0,l1d.misses,{}\n", s.cores[0].l1d.misses)));
    let text = report::text(&s);
    assert!(text.contains(&format!("cycles {}", s.cycles)));
    assert!(text.contains("DRAM DDR4-3200"));
}

#[test]
fn dram_stats_report_latency_and_bandwidth() {
    let s = run(&small(), loads(&scattered(500, 64 << 20), 4, 3));
    let d = &s.dram;
    assert!(
        d.avg_read_latency_ns >= 27.5,
        "avg {}",
        d.avg_read_latency_ns
    ); // tRCD + tCL
    assert!(d.p99_read_latency_ns >= d.avg_read_latency_ns);
    assert!(d.bandwidth_gb_s > 0.0);
    assert_eq!(d.bytes, (d.reads.transfers() + d.writes.transfers()) * 64);
    assert_eq!(
        d.row_hits + d.row_misses + d.row_conflicts,
        d.reads.transfers() + d.writes.transfers() - d.forwarded_reads
    );
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad chunk at byte {0}")]
struct Damaged(u64);

#[test]
fn a_failing_stream_stops_the_run_with_its_error() {
    let good: Vec<Result<Event, Damaged>> = vec![Ok(Event::Gap { count: 10 }); 3];
    let bad = vec![
        Ok(Event::Gap { count: 10 }),
        Err(Damaged(4096)),
        Ok(Event::Gap { count: 10 }),
    ];
    let m = Machine::new(&small()).unwrap();
    let e = m
        .run_fallible(vec![good.clone().into_iter(), bad.into_iter()], false)
        .unwrap_err();
    assert_eq!(e.to_string(), "event stream 1: bad chunk at byte 4096");
    let s = Machine::new(&small())
        .unwrap()
        .run_fallible(vec![good.into_iter()], true)
        .unwrap();
    assert_eq!(s.instructions, 30);
}

#[test]
fn the_walk_cache_skips_known_upper_levels() {
    // Two pages under one leaf table: the second walk reads only the leaf.
    let s = run(
        &small(),
        vec![
            Event::Load {
                addr: 0x7000_0000,
                size: 8,
            },
            Event::Load {
                addr: 0x7000_1000,
                size: 8,
            },
        ],
    );
    let tlb = &s.cores[0].tlb;
    assert_eq!(
        (tlb.walks, tlb.walk_accesses, tlb.walk_cache_hits),
        (2, 5, 1)
    );
    let mut none = small();
    none.tlb.walk_cache = 0;
    let s = run(
        &none,
        vec![
            Event::Load {
                addr: 0x7000_0000,
                size: 8,
            },
            Event::Load {
                addr: 0x7000_1000,
                size: 8,
            },
        ],
    );
    assert_eq!(
        (s.cores[0].tlb.walk_accesses, s.cores[0].tlb.walk_cache_hits),
        (8, 0)
    );
}

#[test]
fn the_first_touch_of_a_page_adds_its_cycles_to_that_translation_alone() {
    // Two dependent loads in one page, then one in a page already touched
    // by the first: only the first translation of the first page pays.
    let load = |addr| Event::Load { addr, size: 8 };
    let events = vec![
        load(0x7000_0000),
        Event::Dep { distance: 1 },
        load(0x7000_0040),
        Event::Dep { distance: 1 },
        load(0x7000_0080),
    ];
    let mut config = small();
    config.core.load_dependence = memento_sim::config::LoadDependence::Trace;
    let base = run(&config, events.clone());
    config.tlb.first_touch_cycles = 1000;
    let slow = run(&config, events);
    // Later by the 1000 cycles, less what the shift in the DRAM clock's
    // phase takes off the misses behind it.
    let later = slow.cycles - base.cycles;
    assert!((995..=1000).contains(&later), "{later} cycles later");
    assert_eq!(slow.cores[0].tlb.walks, base.cores[0].tlb.walks);
}

#[test]
fn a_page_table_with_a_line_per_entry_gives_each_pages_walk_a_line_of_its_own() {
    // Eight consecutive pages, far apart in time: packed, their leaf
    // entries share one line, so one walk misses the L1D and seven hit;
    // a line per entry (ChampSim's layout), all eight miss.
    let mut events = Vec::new();
    for i in 0..8 {
        events.push(Event::Load {
            addr: 0x9000_0000 + i * 4096,
            size: 8,
        });
        events.push(Event::Gap { count: 2000 });
    }
    let walk_misses = |layout| {
        let mut config = small();
        config.tlb.page_table_layout = layout;
        let s = run(&config, events.clone());
        assert_eq!(s.cores[0].tlb.walks, 8);
        s.cores[0].l1d.misses_by_cause.page_walk
    };
    // Upper levels: the first walk misses them too; the walk cache keeps
    // them for the rest.
    let packed = walk_misses(PageTableLayout::Packed);
    let own = walk_misses(PageTableLayout::LinePerEntry);
    assert_eq!(own - packed, 7, "packed {packed}, line per entry {own}");
}

#[test]
fn a_hit_on_a_page_whose_walk_is_in_flight_waits_for_the_walk() {
    // Two independent loads to one new page, one after the other: the
    // second finds the translation the first's walk installs, but not
    // before that walk ends.
    let events = vec![
        Event::Load {
            addr: 0xA000_0000,
            size: 8,
        },
        Event::Load {
            addr: 0xA000_0800,
            size: 8,
        },
    ];
    let mut config = small();
    config.core.load_dependence = memento_sim::config::LoadDependence::Independent;
    let s = run(&config, events);
    let tlb = &s.cores[0].tlb;
    assert_eq!((tlb.walks, tlb.in_flight_hits), (1, 1));
}

#[test]
fn a_store_that_writes_at_retirement_starts_its_miss_after_the_loads_before_it() {
    // A load miss, then a store miss to another line: issued at once,
    // their misses overlap; written at retirement, the store's starts when
    // the load's data is back.
    let events = vec![
        Event::Load {
            addr: 0xB000_0000,
            size: 8,
        },
        Event::Store {
            addr: 0xB000_0040,
            size: 8,
        },
    ];
    let mut config = small();
    config.core.load_dependence = memento_sim::config::LoadDependence::Independent;
    let at_issue = run(&config, events.clone());
    config.core.store_write = StoreWrite::AtRetire;
    let at_retire = run(&config, events);
    assert_eq!(at_issue.dram.reads.demand, 2);
    assert_eq!(at_retire.dram.reads.demand, 2);
    // Later by about a second DRAM access (a row hit: tens of cycles).
    let extra = at_retire.cycles - at_issue.cycles;
    assert!(extra > 40, "only {extra} cycles later");
}

#[test]
fn a_register_file_smaller_than_the_rob_narrows_the_window() {
    // Independent misses 20 instructions apart: a 256-entry window
    // overlaps about 12 of them, a 32-register one about 2.
    let mut events = Vec::new();
    for i in 0..64 {
        events.push(Event::Load {
            addr: 0xC000_0000 + i * 64,
            size: 8,
        });
        events.push(Event::Gap { count: 19 });
    }
    let mut config = small();
    config.core.load_dependence = memento_sim::config::LoadDependence::Independent;
    config.core.rob = 256;
    let wide = run(&config, events.clone());
    config.core.register_file = 32;
    let narrow = run(&config, events);
    assert!(
        narrow.cycles > wide.cycles * 3 / 2,
        "32 registers: {} cycles, 256-entry ROB alone: {}",
        narrow.cycles,
        wide.cycles
    );
}

/// A config whose TLBs hold one translation, so every change of page walks.
fn one_entry_tlbs() -> Config {
    let mut config = small();
    config.core.load_dependence = memento_sim::config::LoadDependence::Independent;
    for level in [&mut config.tlb.dtlb, &mut config.tlb.stlb] {
        level.sets = 1;
        level.ways = 1;
    }
    config
}

#[test]
fn a_champsim_walk_reads_its_leaf_entry_in_the_page_of_its_regions_last_walk() {
    // Pages A, B, A of one 2 MiB region, far apart in it. Each entry in a
    // line of its own: the third walk reads A's entry again (an L1D hit).
    // ChampSim's walker: it reads A's index in the page of B's entry, the
    // region's last walk, a line not read before (a miss).
    let (a, b) = (0xD000_0000u64, 0xD000_0000u64 + 100 * 4096);
    let events: Vec<Event> = [a, b, a]
        .iter()
        .flat_map(|&addr| [Event::Load { addr, size: 8 }, Event::Gap { count: 2000 }])
        .collect();
    let walk_misses = |layout| {
        let mut config = one_entry_tlbs();
        config.tlb.page_table_layout = layout;
        let s = run(&config, events.clone());
        assert_eq!(s.cores[0].tlb.walks, 3);
        s.cores[0].l1d.misses_by_cause.page_walk
    };
    let own_line = walk_misses(PageTableLayout::LinePerEntry);
    let champsim = walk_misses(PageTableLayout::Champsim);
    assert_eq!(
        champsim,
        own_line + 1,
        "line per entry {own_line}, ChampSim {champsim}"
    );
}

#[test]
fn walks_past_the_page_walkers_wait_for_the_first_to_end() {
    // Eight independent loads to eight new pages: one walker takes them one
    // after another.
    let events: Vec<Event> = (0..8)
        .map(|i| Event::Load {
            addr: 0xE000_0000 + i * (1 << 21),
            size: 8,
        })
        .collect();
    let mut config = one_entry_tlbs();
    config.core.rob = 256;
    let unlimited = run(&config, events.clone());
    config.tlb.page_walkers = 1;
    let one = run(&config, events);
    assert_eq!(one.cores[0].tlb.walks, 8);
    assert!(
        one.cycles > unlimited.cycles * 3 / 2,
        "one walker: {} cycles, unlimited: {}",
        one.cycles,
        unlimited.cycles
    );
}

#[test]
fn each_invocation_gets_its_own_counters() {
    let mut events = vec![
        Event::Gap { count: 400 },
        Event::InvocationBegin { id: 7 },
        Event::Gap { count: 800 },
    ];
    events.extend((0..10).map(|i| Event::Load {
        addr: 0x8000_0000 + i * 4096,
        size: 8,
    }));
    events.push(Event::InvocationEnd { id: 7 });
    events.push(Event::InvocationBegin { id: 8 });
    events.push(Event::Gap { count: 40 });
    events.push(Event::InvocationEnd { id: 8 });
    let s = run(&small(), events);
    assert_eq!(s.invocations.len(), 2);
    let (a, b) = (&s.invocations[0], &s.invocations[1]);
    // Every miss of the run (data and page walks) fell inside invocation 7.
    assert_eq!(
        (a.id, a.instructions, a.loads, a.l1d_misses),
        (7, 800, 10, s.cores[0].l1d.misses)
    );
    assert!(a.dram_reads >= 10);
    assert_eq!((b.id, b.instructions, b.loads, b.cycles), (8, 40, 0, 10));
    assert_eq!(s.cores[0].invocations, 2);
}

#[test]
fn every_replacement_policy_row_policy_and_standard_runs_deterministically() {
    use memento_sim::config::{PrefetcherKind, Replacement, RowPolicy};
    for policy in [
        Replacement::Lru,
        Replacement::TreePlru,
        Replacement::Srrip,
        Replacement::Random,
    ] {
        for (standard, row) in [
            ("ddr4-3200", RowPolicy::Open),
            ("ddr5-4800", RowPolicy::Closed),
        ] {
            let mut c = small();
            for level in [&mut c.l1i, &mut c.l1d, &mut c.l2, &mut c.llc] {
                level.replacement = policy;
            }
            c.l2.prefetcher = PrefetcherKind::NextLine;
            c.l1d.prefetcher = PrefetcherKind::Stride;
            c.dram.standard = Some(standard.into());
            c.dram.row_policy = row;
            let go = || {
                Machine::new(&c)
                    .unwrap()
                    .run(vec![
                        mixed_stream(5, 1500).into_iter(),
                        mixed_stream(6, 1500).into_iter(),
                    ])
                    .unwrap()
            };
            let a = go();
            assert_eq!(a, go(), "{policy:?} {standard}");
            assert!(a.dram.reads.prefetch > 0);
            assert_eq!(a.dram.standard, c.dram.load_standard(None).unwrap().name);
        }
    }
}

#[test]
fn llc_writebacks_match_dram_writes_by_cause() {
    let c = small();
    let mut events = mixed_stream(9, 4000);
    let llc_bytes = u64::from(c.llc.sets * c.llc.ways * c.line_size * c.cores);
    events.extend((0..4 * llc_bytes / 64).map(|i| Event::Load {
        addr: 0x9000_0000 + i * 64,
        size: 8,
    }));
    let s = run(&c, events);
    let w = &s.llc.writebacks_by_cause;
    assert!(w.writeback > 0);
    assert_eq!(s.llc.writebacks, w.transfers());
    // Every LLC writeback reached DRAM, minus writes merged in its queue.
    assert_eq!(
        s.dram.writes.transfers() + s.dram.merged_writes,
        s.llc.writebacks
    );
}

#[test]
fn llc_prefetches_queued_together_are_reordered_for_row_hits() {
    let reordered = |prefetch: bool| {
        let mut c = small();
        if prefetch {
            c.llc.prefetcher = memento_sim::config::PrefetcherKind::NextLine;
            c.llc.prefetch_degree = 8;
        }
        let addrs = scattered(4000, 64 << 20);
        run(&c, loads(&addrs, 8, 20)).dram.reordered_reads
    };
    // Every load here is a step of a pointer chase (8-byte, scattered), so
    // its demand read reaches the controller alone: nothing to reorder.
    assert_eq!(reordered(false), 0);
    // A prefetch batch is queued at once, and its row hits go first.
    assert!(reordered(true) > 0);
}
