//! The trace summary: counts, sizes, live bytes, footprint, warnings.

use memento_trace::summary::SMALL_OBJECT_LIMIT;
use memento_trace::{AllocFn, AllocLevel, Event, Realloc, Summarizer};

fn malloc(addr: u64, size: u64) -> Event {
    Event::malloc(addr, size, 0)
}

fn free(addr: u64) -> Event {
    Event::free(addr, 0)
}

fn summarize(events: &[Event]) -> memento_trace::TraceSummary {
    let mut s = Summarizer::new(4096);
    events.iter().for_each(|e| s.push(e));
    s.finish()
}

#[test]
fn peak_live_bytes_follow_allocs_frees_and_reallocs() {
    let s = summarize(&[
        malloc(0x1000, 100),
        malloc(0x2000, 600),
        free(0x1000),
        Event::Realloc(Realloc {
            func: AllocFn::Realloc,
            level: AllocLevel::Libc,
            old_addr: 0x2000,
            new_addr: 0x3000,
            size: 1000,
            site: 0,
        }),
        malloc(0x4000, 8),
    ]);
    assert_eq!(s.allocations, 4);
    assert_eq!(s.small_allocations, 2);
    assert_eq!(s.peak_live_bytes, 1008);
    assert_eq!(s.live_bytes_at_end, 1008);
    assert_eq!(s.allocated_bytes, 1708);
    assert_eq!(s.warnings.total(), 0);
}

#[test]
fn size_histogram_puts_512_bytes_in_the_small_class() {
    let s = summarize(&[
        malloc(0x10, SMALL_OBJECT_LIMIT),
        malloc(0x20, SMALL_OBJECT_LIMIT + 1),
        malloc(0x30, 0),
    ]);
    assert_eq!(s.small_allocations, 2);
    let bucket = |up_to| {
        s.size_histogram
            .iter()
            .find(|b| b.up_to == up_to)
            .unwrap()
            .count
    };
    assert_eq!((bucket(8), bucket(512), bucket(1024)), (1, 1, 1));
}

#[test]
fn free_of_unknown_address_is_a_warning_not_an_error() {
    let s = summarize(&[free(0xdead), malloc(0x10, 8), malloc(0x10, 8), free(0)]);
    assert_eq!(s.warnings.free_of_unknown_address, 1);
    assert_eq!(s.warnings.alloc_of_live_address, 1);
    assert_eq!(s.live_bytes_at_end, 8);
}

#[test]
fn allocator_brackets_attribute_instructions_and_accesses() {
    let s = summarize(&[
        Event::Block {
            addr: 0x1000,
            len: 8,
            count: 3,
        },
        Event::AllocEnter {
            func: AllocFn::PyObjectMalloc,
        },
        Event::AllocEnter {
            func: AllocFn::Malloc,
        },
        Event::Block {
            addr: 0x2000,
            len: 8,
            count: 5,
        },
        Event::Load {
            addr: 0x9000,
            size: 8,
        },
        Event::AllocExit,
        Event::Store {
            addr: 0x9008,
            size: 8,
        },
        Event::AllocExit,
        Event::Load {
            addr: 0xa000,
            size: 8,
        },
        Event::AllocExit,
        Event::AllocEnter {
            func: AllocFn::Free,
        },
    ]);
    assert_eq!((s.instructions, s.allocator_instructions), (8, 5));
    assert_eq!((s.accesses, s.allocator_accesses), (3, 2));
    assert_eq!(s.warnings.unmatched_alloc_exit, 1);
    assert_eq!(s.warnings.unclosed_alloc_enter, 1);
}

#[test]
fn footprint_counts_each_page_once_including_straddling_accesses() {
    let s = summarize(&[
        Event::Load {
            addr: 0x1000,
            size: 8,
        },
        Event::Load {
            addr: 0x1ff8,
            size: 8,
        },
        Event::Store {
            addr: 0x2ffc,
            size: 8,
        },
        Event::Block {
            addr: 0x40_0000,
            len: 16,
            count: 4,
        },
    ]);
    assert_eq!(s.data_pages, 3);
    assert_eq!(s.code_pages, 1);
}

#[test]
fn unbalanced_markers_are_counted() {
    let s = summarize(&[
        Event::RoiEnd,
        Event::RoiBegin,
        Event::InvocationBegin { id: 1 },
        Event::InvocationEnd { id: 2 },
        Event::InvocationBegin { id: 3 },
        Event::InvocationEnd { id: 3 },
    ]);
    assert_eq!(s.warnings.unbalanced_roi, 1);
    assert_eq!(s.warnings.unbalanced_invocation, 1);
    assert_eq!(s.invocations, 2);
}

#[test]
fn lifetimes_count_same_class_allocations_made_while_alive() {
    // Class of 24 B objects: A, then B, C, D; A dies after 3 more of its class.
    // A 600 B object in between belongs to another class and does not count.
    let s = summarize(&[
        malloc(0xa0, 24),
        malloc(0xb0, 24),
        malloc(0x1000, 600),
        malloc(0xc0, 20),
        malloc(0xd0, 17),
        free(0xa0),
        free(0xd0),
        free(0x1000),
    ]);
    let bucket = |up_to| {
        s.lifetime_histogram
            .iter()
            .find(|b| b.up_to == up_to)
            .unwrap()
            .count
    };
    assert_eq!(bucket(4), 1, "A lived through 3 allocations of its class");
    assert_eq!(
        bucket(0),
        2,
        "D and the 600 B object died before any other of their class"
    );
    assert_eq!(s.short_lived, 3);
    assert_eq!(s.live_objects_at_end, 2);
}

#[test]
fn lifetime_classes_are_sixteen_bytes_wide_up_to_512() {
    use memento_trace::summary::lifetime_class;
    assert_eq!(lifetime_class(1), lifetime_class(16));
    assert_ne!(lifetime_class(16), lifetime_class(17));
    assert_eq!(lifetime_class(512), 32);
    assert_eq!(lifetime_class(513), lifetime_class(1024));
    assert_ne!(lifetime_class(1024), lifetime_class(1025));
}

#[test]
fn a_call_nested_in_another_allocator_call_is_not_a_second_object() {
    // PyObject_Malloc(1000) falls through to malloc(1000); PyObject_Free
    // of it to free: each object is counted once, by the outer call.
    let enter = |func| Event::AllocEnter { func };
    let s = summarize(&[
        enter(AllocFn::PyObjectMalloc),
        enter(AllocFn::Malloc),
        malloc(0x1000, 1000),
        Event::AllocExit,
        malloc(0x1000, 1000),
        Event::AllocExit,
        enter(AllocFn::PyObjectFree),
        enter(AllocFn::Free),
        free(0x1000),
        Event::AllocExit,
        free(0x1000),
        Event::AllocExit,
    ]);
    assert_eq!(s.allocations, 1);
    assert_eq!(s.nested_allocator_events, 2);
    assert_eq!(s.allocated_bytes, 1000);
    assert_eq!(s.live_objects_at_end, 0);
    assert_eq!(s.warnings.total(), 0);
}

#[test]
fn pooling_two_summaries_sums_their_counts_and_keeps_the_larger_peak() {
    let a = summarize(&[malloc(0x10, 8), malloc(0x20, 1000), free(0x10)]);
    let b = summarize(&[malloc(0x10, 100), free(0x10), free(0xbad)]);
    let mut pooled = a.clone();
    pooled.pool(&b);
    assert_eq!(pooled.allocations, 3);
    assert_eq!(pooled.small_allocations, 2);
    assert_eq!(pooled.short_lived, 2);
    assert_eq!(pooled.live_objects_at_end, 1);
    assert_eq!(pooled.peak_live_bytes, 1008);
    assert_eq!(pooled.allocated_bytes, 1108);
    assert_eq!(pooled.warnings.free_of_unknown_address, 1);
    let count = |s: &memento_trace::TraceSummary, up_to| {
        s.size_histogram
            .iter()
            .find(|b| b.up_to == up_to)
            .unwrap()
            .count
    };
    assert_eq!(count(&pooled, 8), 1);
    assert_eq!(count(&pooled, 128), 1);
    assert_eq!(count(&pooled, 1024), 1);
    assert_eq!(
        pooled
            .events_by_kind
            .iter()
            .find(|(k, _)| *k == "free")
            .unwrap()
            .1,
        3
    );
}

#[test]
fn pooling_summaries_whose_counts_would_overflow_saturates() {
    let mut big = summarize(&[malloc(0x10, 8)]);
    big.instructions = u64::MAX - 1;
    big.allocated_bytes = u64::MAX;
    let mut pooled = big.clone();
    pooled.pool(&big);
    assert_eq!(pooled.instructions, u64::MAX);
    assert_eq!(pooled.allocated_bytes, u64::MAX);
    assert_eq!(pooled.allocations, 2);
}

#[test]
fn pages_of_long_and_short_accesses_are_counted_once() {
    let load = |addr: u64, size: u32| Event::Load { addr, size };
    let s = summarize(&[
        load(0x10_0000, 8),             // page 0x100, alone
        load(0x20_0000, 100 * 4096),    // pages 0x200..=0x263, a run
        load(0x20_1000, 8),             // inside the run
        load(0x26_3ff8, 16),            // the run's last page and the next
        load(0x26_4000 + 70 * 4096, 8), // page 0x2aa, past a gap of 70
        load(0x26_4000, 70 * 4096),     // fills the gap: a run that joins the first
        load(0x30_0000, 65 * 4096),     // pages 0x300..=0x340, a run
        load(0x2f_f000, 70 * 4096),     // pages 0x2ff..=0x344, over it
    ]);
    assert_eq!(s.data_pages, 1 + (0x2aa - 0x200 + 1) + (0x344 - 0x2ff + 1));
}
