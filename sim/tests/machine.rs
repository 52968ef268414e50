//! The whole machine on event streams made in code: core timing and MLP,
//! DRAM traffic, TLB and kernel model, allocator accounting, multi-core
//! determinism, and the printers.

use memento_sim::config::LoadDependence;
use memento_sim::{report, Config, Machine, Stats};
use memento_trace::{Alloc, AllocFn, AllocLevel, Event};

fn small() -> Config {
    Config::preset("small").unwrap()
}

fn run(config: &Config, events: Vec<Event>) -> Stats {
    Machine::new(config)
        .unwrap()
        .run(vec![events.into_iter()])
        .unwrap()
}

/// A deterministic scatter of `n` line-aligned addresses over `span` bytes.
fn scattered(n: usize, span: u64) -> Vec<u64> {
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            0x4000_0000 + (x % (span / 64)) * 64
        })
        .collect()
}

fn loads(addrs: &[u64], size: u32, gap: u64) -> Vec<Event> {
    addrs
        .iter()
        .flat_map(|&addr| [Event::Load { addr, size }, Event::Gap { count: gap }])
        .collect()
}

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

/// Lines spread over 192 KiB: three times the small LLC, within the STLB's
/// reach, so that after the first touch of each page only the caches and
/// DRAM matter.
const SPAN: u64 = 192 << 10;

fn dram_floor(c: &Config) -> u64 {
    let t = c.dram_standard().unwrap().timing;
    u64::from(t.rcd + t.cl + t.burst) * 3000 / 1600
}

#[test]
fn a_pointer_chase_sees_the_full_dram_latency_while_independent_misses_overlap() {
    let c = small();
    let addrs = scattered(400, SPAN);
    let chase = run(&c, loads(&addrs, 8, 3));
    let independent = run(&c, loads(&addrs, 4, 3));
    // The same addresses reach DRAM either way.
    let misses = chase.dram.reads.demand;
    assert_eq!(misses, independent.dram.reads.demand);
    assert!(misses > 200, "{misses} misses");
    assert!(
        chase.cycles >= misses * dram_floor(&c),
        "chase: {} cycles for {misses} misses",
        chase.cycles
    );
    assert!(
        independent.cycles * 3 < chase.cycles,
        "independent {} vs chase {}",
        independent.cycles,
        chase.cycles
    );
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

const ANON: u32 = 0x22; // MAP_PRIVATE | MAP_ANONYMOUS

fn mmap(addr: u64, len: u64) -> Event {
    Event::Mmap {
        addr,
        len,
        prot: 3,
        flags: ANON,
    }
}

fn touch_pages(base: u64, pages: u64) -> Vec<Event> {
    (0..pages)
        .map(|p| Event::Store {
            addr: base + p * 4096,
            size: 8,
        })
        .collect()
}

#[test]
fn first_touch_of_an_anonymous_page_faults_once() {
    let base = 0x5000_0000;
    let mut events = vec![mmap(base, 4 * 4096)];
    events.extend(touch_pages(base, 4));
    events.extend(touch_pages(base, 4));
    let s = run(&small(), events);
    let k = &s.cores[0].kernel;
    assert_eq!((k.page_faults, k.zeroed_pages, k.mmaps), (4, 4, 1));
    let cfg = small().kernel;
    let expected = u64::from(cfg.mmap_cycles)
        + 4 * u64::from(cfg.page_fault_cycles + 64 * cfg.zero_line_cycles);
    assert_eq!(k.cycles, expected);
}

#[test]
fn munmapped_pages_fault_again() {
    let base = 0x5000_0000;
    let mut events = vec![mmap(base, 4 * 4096)];
    events.extend(touch_pages(base, 4));
    events.push(Event::Munmap {
        addr: base,
        len: 4 * 4096,
    });
    events.push(mmap(base, 4 * 4096));
    events.extend(touch_pages(base, 4));
    let s = run(&small(), events);
    assert_eq!(s.cores[0].kernel.page_faults, 8);
    assert_eq!(s.cores[0].kernel.dropped_pages, 4);
}

#[test]
fn madvise_dontneed_drops_pages_so_they_fault_again() {
    let base = 0x5000_0000;
    let mut events = vec![mmap(base, 4 * 4096)];
    events.extend(touch_pages(base, 4));
    events.push(Event::Madvise {
        addr: base,
        len: 2 * 4096,
        advice: 4,
    });
    events.extend(touch_pages(base, 4));
    let s = run(&small(), events);
    assert_eq!(s.cores[0].kernel.page_faults, 6);
}

#[test]
fn brk_growth_is_anonymous_memory() {
    let mut events = vec![Event::Brk {
        old: 0x60_0000,
        new: 0x60_3000,
    }];
    events.extend(touch_pages(0x60_0000, 3));
    events.push(Event::Brk {
        old: 0x60_3000,
        new: 0x60_1000,
    });
    events.push(Event::Brk {
        old: 0x60_1000,
        new: 0x60_3000,
    });
    events.extend(touch_pages(0x60_0000, 3));
    let s = run(&small(), events);
    assert_eq!(s.cores[0].kernel.page_faults, 5);
}

#[test]
fn zeroed_pages_reach_dram_as_zeroing_writes_when_evicted() {
    let c = small();
    let base = 0x5000_0000;
    let mut events = vec![mmap(base, 64 * 4096)];
    events.extend((0..64).map(|p| Event::Load {
        addr: base + p * 4096,
        size: 8,
    }));
    // Sweep memory outside any mapping (no faults) to evict everything.
    let llc_bytes = u64::from(c.llc.sets * c.llc.ways * c.line_size * c.cores);
    events.extend((0..4 * llc_bytes / 64).map(|i| Event::Load {
        addr: 0x9000_0000 + i * 64,
        size: 8,
    }));
    let s = run(&c, events);
    assert_eq!(s.dram.writes.page_zeroing, 64 * 64);
    assert_eq!(s.dram.writes.writeback, 0);
}

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
