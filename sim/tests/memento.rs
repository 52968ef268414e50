//! The Memento extension and the ideal Mallacc on the machine: what each
//! rule changes, on event streams made in code and on the sample traces.

mod common;

use common::*;
use memento_sim::config::{AllocatorKind, MementoConfig, Placement};
use memento_sim::extension::{IdealMallacc, Memento};
use memento_sim::stats::MementoStats;
use memento_sim::{AllocatorModel, Config, Machine, Stats};
use memento_trace::{Alloc, AllocFn, AllocLevel, Event, Free, Realloc, TraceFile};

/// Where the traced software allocator keeps its metadata.
const META: u64 = 0x5000_0000;
/// Where it put the objects.
const HEAP: u64 = 0x1000_0000;

/// `small` with the extension, changed by `f`.
fn memento(f: impl FnOnce(&mut MementoConfig)) -> Config {
    let mut c = Config::preset("small-memento").unwrap();
    f(c.memento.as_mut().unwrap());
    c.validate().unwrap();
    c
}

fn run_with<M: AllocatorModel>(config: &Config, events: &[Event]) -> Stats {
    Machine::<M>::with_model(config)
        .unwrap()
        .run(vec![events.iter().copied()])
        .unwrap()
}

/// Runs `events` with the allocator model `config` names.
fn run_as(config: &Config, events: &[Event]) -> Stats {
    match config.allocator() {
        AllocatorKind::Baseline => run_with::<memento_sim::Baseline>(config, events),
        AllocatorKind::Memento => run_with::<Memento>(config, events),
        AllocatorKind::IdealMallacc => run_with::<IdealMallacc>(config, events),
    }
}

fn ext(s: &Stats) -> &MementoStats {
    s.extension.as_ref().unwrap().memento.as_ref().unwrap()
}

/// A traced call of the software allocator: some instructions and
/// metadata accesses, then its allocation event.
fn call(func: AllocFn, event: Event) -> Vec<Event> {
    vec![
        Event::AllocEnter { func },
        Event::Gap { count: 30 },
        Event::Load {
            addr: META,
            size: 8,
        },
        Event::Store {
            addr: META + 8,
            size: 8,
        },
        event,
        Event::AllocExit,
    ]
}

fn malloc(addr: u64, size: u64) -> Vec<Event> {
    alloc_with(AllocFn::Malloc, addr, size)
}

fn alloc_with(func: AllocFn, addr: u64, size: u64) -> Vec<Event> {
    call(
        func,
        Event::Alloc(Alloc {
            func,
            level: AllocLevel::Libc,
            size,
            align: 0,
            addr,
            site: 0,
        }),
    )
}

fn free(addr: u64) -> Vec<Event> {
    call(
        AllocFn::Free,
        Event::Free(Free {
            func: AllocFn::Free,
            level: AllocLevel::Libc,
            addr,
            site: 0,
        }),
    )
}

fn realloc(old_addr: u64, new_addr: u64, size: u64) -> Vec<Event> {
    call(
        AllocFn::Realloc,
        Event::Realloc(Realloc {
            func: AllocFn::Realloc,
            level: AllocLevel::Libc,
            old_addr,
            new_addr,
            size,
            site: 0,
        }),
    )
}

/// The program writes every byte of an object, 8 at a time.
fn fill(addr: u64, size: u64) -> Vec<Event> {
    (0..size.div_ceil(8))
        .map(|i| Event::Store {
            addr: addr + 8 * i,
            size: 8,
        })
        .collect()
}

/// Loads through `bytes` of memory elsewhere: enough to evict the small
/// machine's caches.
fn evict(bytes: u64) -> Vec<Event> {
    (0..bytes / 64)
        .map(|i| Event::Load {
            addr: 0x7000_0000 + 64 * i,
            size: 8,
        })
        .collect()
}

/// Short-lived temporaries beside long-lived objects: each iteration a
/// temporary is allocated, used and freed right after, and a long-lived
/// object takes a fresh line.
fn temporaries(n: u64) -> Vec<Event> {
    let mut events = Vec::new();
    for i in 0..n {
        let temp = HEAP + 0x10_0000 + 64 * i;
        let kept = HEAP + 64 * i;
        events.extend(malloc(temp, 64));
        events.extend(fill(temp, 64));
        events.extend(malloc(kept, 64));
        events.extend(fill(kept, 64));
        events.extend(free(temp));
    }
    events
}

#[test]
fn new_objects_need_no_dram_reads_for_their_lines_under_bypass_alloc() {
    let n = 40;
    let events = temporaries(n);
    let on = run_as(&memento(|_| {}), &events);
    let off = run_as(&memento(|m| m.bypass_alloc = false), &events);
    assert_eq!(ext(&on).obj_allocs, 2 * n);
    assert_eq!(on.dram.reads.demand, 0, "every new line was installed");
    // Without the rule every new object's line is read: the long-lived
    // ones' lines are fresh, and each temporary reuses the slot of the one
    // before, whose dead line bypass_free dropped.
    assert_eq!(off.dram.reads.demand, 2 * n);
    assert_eq!(ext(&on).bypass.reads_avoided, 2 * n);
    assert_eq!(ext(&off).bypass.reads_avoided, 0);
}

#[test]
fn a_live_neighbour_in_the_line_forces_the_read() {
    // Two 32-byte objects share a line of the 32-byte class's arena.
    let mut first_live = malloc(HEAP, 32);
    first_live.extend(fill(HEAP, 32));
    first_live.extend(evict(64 << 10));
    let mut first_freed = first_live.clone();
    first_freed.extend(free(HEAP));
    for events in [&mut first_live, &mut first_freed] {
        events.extend(malloc(HEAP + 32, 32));
        events.extend(fill(HEAP + 32, 32));
    }
    let live = run_as(&memento(|_| {}), &first_live);
    let freed = run_as(&memento(|_| {}), &first_freed);
    // The second object's line holds the live first one: not installed,
    // so the store reads it.
    assert_eq!(ext(&live).bypass.lines_installed, 1);
    assert_eq!(ext(&freed).bypass.lines_installed, 2);
    assert_eq!(live.dram.reads.demand, freed.dram.reads.demand + 1);
}

/// Fills one arena of the 512-byte class (31 objects in 16 KiB) and the
/// first object of the next, writes them, frees the first arena's objects,
/// then evicts everything.
fn whole_arena() -> Vec<Event> {
    let mut events = Vec::new();
    for i in 0..32 {
        events.extend(malloc(HEAP + 512 * i, 512));
        events.extend(fill(HEAP + 512 * i, 512));
    }
    for i in 0..31 {
        events.extend(free(HEAP + 512 * i));
    }
    events.extend(evict(256 << 10));
    events
}

fn small_arenas(m: &mut MementoConfig) {
    let last = m.arena_bytes.len() - 1;
    m.arena_bytes[last] = 16384;
}

#[test]
fn freeing_a_whole_arena_drops_its_dirty_lines() {
    let on = run_as(&memento(small_arenas), &whole_arena());
    let off = run_as(
        &memento(|m| {
            small_arenas(m);
            m.bypass_free = false;
        }),
        &whole_arena(),
    );
    let (a, b) = (ext(&on), ext(&off));
    assert_eq!((a.arenas_created, a.arenas_released), (2, 1));
    assert_eq!(a.pages.pages_released, 4, "the arena's pages went back");
    // 31 objects of 8 dirty lines: none is written back with the rule,
    // every one without it.
    assert!(a.bypass.writes_avoided >= 31 * 8, "{:?}", a.bypass);
    assert_eq!(b.bypass.writes_avoided, 0);
    assert!(
        off.dram.writes.writeback >= on.dram.writes.writeback + 31 * 8,
        "{} vs {}",
        off.dram.writes.writeback,
        on.dram.writes.writeback
    );
}

/// `rounds` allocations of each of `classes` sizes in turn (4-byte steps).
fn rotation(classes: u64, rounds: u64) -> Vec<Event> {
    let mut events = Vec::new();
    for r in 0..rounds {
        for c in 1..=classes {
            events.extend(malloc(HEAP + (r * classes + c) * 1024, 4 * c));
        }
    }
    events
}

fn fine_classes(m: &mut MementoConfig) {
    let sizes: Vec<u32> = (1..=128).map(|c| 4 * c).collect();
    m.arena_bytes = sizes
        .iter()
        .map(|&s| memento_isa::params::default_arena_bytes(u64::from(s), 4096, 64))
        .collect();
    m.size_classes = sizes;
}

#[test]
fn more_than_64_size_classes_in_rotation_thrash_the_hot() {
    let config = memento(fine_classes);
    let fits = run_as(&config, &rotation(64, 5));
    let thrashes = run_as(&config, &rotation(65, 5));
    // 64 classes fit the 64 entries: only the first round misses.
    assert_eq!(ext(&fits).hot_alloc.misses, 64);
    assert_eq!(ext(&fits).hot_alloc.hits, 64 * 4);
    // The 65th class shares an entry with the 1st: those two miss every
    // time, the other 63 only in the first round.
    assert_eq!(ext(&thrashes).hot_alloc.misses, 63 + 2 * 5);
}

/// Requests over 512 bytes only, with their metadata work and uses.
fn large_objects() -> Vec<Event> {
    let mut events = Vec::new();
    for i in 0..20 {
        let addr = HEAP + 4096 * i;
        events.extend(malloc(addr, 600 + 100 * i));
        events.extend(fill(addr, 256));
        if i % 3 == 0 {
            events.extend(realloc(addr, addr + 0x10_0000, 2000));
        }
        events.push(Event::Thread { tid: 2 });
    }
    for i in 0..20 {
        events.extend(free(HEAP + 4096 * i));
    }
    events
}

#[test]
fn a_trace_of_objects_over_512_bytes_gives_identical_statistics_in_every_mode() {
    let mut base = small();
    base.memento = None;
    let baseline = run_as(&base, &large_objects());
    let modes: [fn(&mut MementoConfig); 6] = [
        |_| {},
        |m| m.placement = Placement::Trace,
        |m| m.object_alloc = false,
        |m| m.object_free = false,
        |m| m.page_alloc = false,
        |m| {
            m.bypass_alloc = false;
            m.bypass_free = false;
        },
    ];
    for mode in modes {
        let mut s = run_as(&memento(mode), &large_objects());
        let e = s.extension.take().unwrap();
        // 20 allocations over 512 B; the resizes and frees of their blocks
        // are the software's without asking.
        assert_eq!(e.memento.unwrap().fallbacks.too_large, 20);
        assert_eq!(e.replayed_brackets, 47);
        s.config = base.name.clone();
        assert_eq!(s, baseline);
    }
}

#[test]
fn ideal_mallacc_removes_exactly_the_bracketed_instructions() {
    let trace = TraceFile::open("../traces/samples/json-warm.mtrace").unwrap();
    let events: Vec<Event> = trace.events().map(Result::unwrap).collect();
    let c = Config::preset("micro23").unwrap();
    let baseline = run_as(&c, &events);
    let mut ideal = c.clone();
    ideal.memento = Some(Config::default_memento());
    ideal.memento.as_mut().unwrap().allocator = AllocatorKind::IdealMallacc;
    let ideal = run_as(&ideal, &events);
    let removed = &ideal.extension.as_ref().unwrap().removed;
    let a = &baseline.cores[0].alloc;
    assert_eq!(removed.instructions, a.instructions);
    assert_eq!(
        baseline.instructions - ideal.instructions,
        a.instructions,
        "the bracketed instructions and no others"
    );
    assert_eq!((removed.loads, removed.stores), (a.loads, a.stores));
    assert_eq!(ideal.cores[0].alloc.instructions, 0);
    assert_eq!(ideal.cores[0].alloc.allocs, a.allocs, "the objects remain");
    assert!(ideal.cycles < baseline.cycles);
}

#[test]
fn a_redirected_access_hits_the_objects_new_line() {
    // The traced object straddles two lines, so no whole traced line is
    // inside it; its new place is a line of its own.
    let addr = HEAP + 8;
    let mut events = malloc(addr, 64);
    events.push(Event::Load {
        addr: addr + 16,
        size: 8,
    });
    let placed = run_as(&memento(|_| {}), &events);
    let traced = run_as(&memento(|m| m.placement = Placement::Trace), &events);
    assert_eq!(placed.cores[0].l1d.misses_by_cause.demand, 0);
    assert_eq!(traced.cores[0].l1d.misses_by_cause.demand, 1);
    assert_eq!(ext(&placed).bypass.lines_installed, 1);
    assert_eq!(ext(&traced).bypass.lines_installed, 0);
}

#[test]
fn the_pool_running_dry_falls_back_to_a_page_fault_and_counts_it() {
    // 512-byte objects in 16 KiB arenas: 4 pages each, 3 of them backed
    // by the walker on first touch.
    let mut events = Vec::new();
    for i in 0..31 * 3 {
        events.extend(malloc(HEAP + 512 * i, 512));
        events.extend(fill(HEAP + 512 * i, 512));
    }
    let dry = |m: &mut MementoConfig| {
        small_arenas(m);
        m.pool_pages = 4;
        m.refill_threshold = 0;
    };
    let s = run_as(&memento(dry), &events);
    let fed = run_as(&memento(small_arenas), &events);
    let (p, q) = (&ext(&s).pages, &ext(&fed).pages);
    assert!(p.empty_pool_faults >= 2, "{p:?}");
    assert_eq!(p.refills, p.empty_pool_faults);
    assert_eq!(q.empty_pool_faults, 0);
    assert_eq!(p.pages_taken, q.pages_taken, "the same pages in the end");
    let fault = u64::from(small().kernel.page_fault_cycles);
    assert!(s.cores[0].kernel.cycles >= p.empty_pool_faults * fault);
    assert_eq!(fed.cores[0].kernel.cycles, 0, "no kernel entry at all");
}

#[test]
fn an_extension_object_is_counted_once_through_nested_calls() {
    // operator new -> malloc, one object.
    let object = Alloc {
        func: AllocFn::New,
        level: AllocLevel::Libc,
        size: 40,
        align: 0,
        addr: HEAP,
        site: 0,
    };
    let events = vec![
        Event::AllocEnter { func: AllocFn::New },
        Event::Gap { count: 5 },
        Event::AllocEnter {
            func: AllocFn::Malloc,
        },
        Event::Gap { count: 40 },
        Event::Alloc(Alloc {
            func: AllocFn::Malloc,
            ..object
        }),
        Event::AllocExit,
        Event::Alloc(object),
        Event::AllocExit,
    ];
    let s = run_as(&memento(|_| {}), &events);
    assert_eq!(ext(&s).obj_allocs, 1);
    let a = &s.cores[0].alloc;
    assert_eq!((a.allocs, a.nested_events, a.calls), (1, 1, 1));
    assert_eq!(s.extension.as_ref().unwrap().removed.instructions, 45);
}

#[test]
fn a_realloc_within_512_bytes_moves_the_object_and_one_across_gives_it_up() {
    let mut events = malloc(HEAP, 40);
    events.extend(fill(HEAP, 40));
    events.extend(realloc(HEAP, HEAP + 0x1000, 200));
    events.extend(fill(HEAP + 0x1000, 200));
    events.extend(realloc(HEAP + 0x1000, HEAP + 0x8000, 4000));
    events.extend(free(HEAP + 0x8000));
    let s = run_as(&memento(|_| {}), &events);
    let m = ext(&s);
    assert_eq!((m.obj_allocs, m.obj_frees), (2, 1));
    assert_eq!(m.realloc_bytes, 40);
    assert_eq!(m.rejected_frees, 0);
    assert_eq!(m.fallbacks.too_large, 0, "the large side is a resize");
    // The large block and its free stay the software's.
    assert_eq!(s.extension.as_ref().unwrap().replayed_brackets, 2);
}

#[test]
fn calloc_served_by_the_extension_clears_the_object() {
    let s = run_as(&memento(|_| {}), &alloc_with(AllocFn::Calloc, HEAP, 100));
    assert_eq!(ext(&s).calloc_bytes, 100);
    assert_eq!(s.cores[0].stores, 4, "four 32-byte stores");
}

#[test]
fn a_thread_switch_flushes_the_hot() {
    let mut events = malloc(HEAP, 16);
    events.push(Event::Thread { tid: 7 });
    events.extend(malloc(HEAP + 16, 16));
    let s = run_as(&memento(|_| {}), &events);
    assert_eq!(ext(&s).hot_alloc.misses, 2);
    let params = memento_isa::Params::default();
    let class = params.size_classes.class_of(16).unwrap();
    assert_eq!(
        ext(&s).header_writes,
        params.layout(class).unwrap().header_lines,
        "the dirty header written back"
    );
}

#[test]
fn the_page_allocator_backs_region_pages_without_page_faults() {
    let mut events = Vec::new();
    for i in 0..200 {
        events.extend(malloc(HEAP + 256 * i, 256));
        events.extend(fill(HEAP + 256 * i, 256));
    }
    let hw = run_as(&memento(|_| {}), &events);
    let kernel = run_as(&memento(|m| m.page_alloc = false), &events);
    assert_eq!(hw.cores[0].kernel.page_faults, 0);
    assert!(ext(&hw).pages.walker_fills > 0);
    assert!(ext(&hw).pages.table_pages_zeroed > 0);
    assert_eq!(
        kernel.cores[0].kernel.page_faults,
        ext(&hw).pages.pages_taken,
        "each page the pool backed faults instead"
    );
    assert!(kernel.cycles > hw.cycles);
    assert!(hw.memory.peak_resident_pages >= ext(&hw).pages.pages_taken);
}

#[test]
fn a_memento_run_repeats_exactly() {
    let trace = TraceFile::open("../traces/samples/jsonpipe-warm.mtrace").unwrap();
    let events: Vec<Event> = trace.events().map(Result::unwrap).collect();
    let c = Config::preset("micro23-memento").unwrap();
    let a = run_as(&c, &events);
    let b = run_as(&c, &events);
    assert_eq!(a, b);
    assert!(ext(&a).obj_allocs > 1000);
    assert_eq!(ext(&a).rejected_frees, 0);
}

#[test]
fn a_bad_memento_field_is_named() {
    let base = Config::preset("small-memento").unwrap().to_toml();
    for (from, to, field) in [
        ("lane_bytes = ", "lane_bytes = 3000 #", "memento.lane_bytes"),
        (
            "size_classes = [8,",
            "size_classes = [7,",
            "memento.size_classes",
        ),
        (
            "refill_threshold = ",
            "refill_threshold = 99999 #",
            "memento.refill_threshold",
        ),
        (
            "placement = \"memento\"",
            "placement = \"nowhere\"",
            "memento.placement",
        ),
    ] {
        let text = base.replacen(from, to, 1);
        let e = Config::from_toml_str(&text, "bad.toml").unwrap_err();
        assert_eq!(e.field, field, "{e}");
    }
    let mut many = Config::preset("small-memento").unwrap();
    many.cores = 65;
    assert_eq!(many.validate().unwrap_err().0, "cores");
}
