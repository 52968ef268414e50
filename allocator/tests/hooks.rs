//! Statistics, decay and harvest. These read process-wide counters, so the
//! tests take turns, and each works in a size class nothing else uses.

mod common;

use memento_alloc::{
    free, harvest, malloc, realloc, set_decay, stats, usable_size, Decay, Memento, SEGMENT_SIZE,
    SLOT_SIZE,
};
use std::sync::Mutex;

#[global_allocator]
static GLOBAL: Memento = Memento;

static TURN: Mutex<()> = Mutex::new(());

fn turn() -> std::sync::MutexGuard<'static, ()> {
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

/// A test's turn with the process quiet: the decay set to `decay` and
/// everything idle harvested first. The default decay comes back when the
/// test ends, even by a panic.
struct Quiet {
    _turn: std::sync::MutexGuard<'static, ()>,
}

fn quiet(decay: Decay) -> Quiet {
    let t = turn();
    set_decay(decay);
    harvest(usize::MAX);
    Quiet { _turn: t }
}

impl Drop for Quiet {
    fn drop(&mut self) {
        set_decay(memento_alloc::DEFAULT_DECAY);
    }
}

/// Allocates and frees `n` blocks of `size` on a fresh thread, whose exit
/// returns its empty arenas to the pool.
fn churn_on_a_thread(size: usize, n: usize) {
    std::thread::spawn(move || {
        let v: Vec<usize> = (0..n)
            .map(|_| {
                let p = malloc(size);
                // SAFETY: a live block of ours, large enough for the bytes touched.
                unsafe { std::ptr::write_bytes(p, 1, size) };
                p as usize
            })
            .collect();
        for p in v {
            // SAFETY: the block came from this allocator and is freed once.
            unsafe { free(p as *mut u8) };
        }
    })
    .join()
    .unwrap();
}

/// Frees `blocks` on a fresh thread: remote frees.
fn free_on_a_thread(blocks: Vec<usize>) {
    std::thread::spawn(move || {
        for p in blocks {
            // SAFETY: the block came from this allocator and is freed once.
            unsafe { free(p as *mut u8) };
        }
    })
    .join()
    .unwrap();
}

/// Bytes purged by decay or harvest: pay-backs for fresh pages (which
/// other threads of the harness may cause at any time) left out.
fn decayed() -> usize {
    // The two counters move one after the other: read until two readings
    // agree.
    loop {
        let (a, b) = (stats(), stats());
        if (a.purged, a.paid_back) == (b.purged, b.paid_back) {
            return a.purged.saturating_sub(a.paid_back);
        }
    }
}

fn rss_bytes() -> usize {
    let s = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: usize = s.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

#[test]
fn stats_count_live_blocks_and_bytes_per_class() {
    let _t = turn();
    const SIZE: usize = 60_000; // class 65536 (8 blocks an arena), unused elsewhere
    const N: usize = 12;
    let class = memento_alloc::size_class::class_of(SIZE);
    let before = stats();
    let blocks: Vec<usize> = (0..N).map(|_| malloc(SIZE) as usize).collect();
    let during = stats();
    let c = during.classes[class];
    assert_eq!(c.block_size, 65_536);
    assert_eq!(c.live_blocks, before.classes[class].live_blocks + N);
    assert!(c.arenas >= 2 && c.capacity_blocks >= N);
    assert!(
        c.touched_bytes >= N * c.block_size,
        "every block was carved"
    );
    // The harness's own threads allocate and free meanwhile, so the total
    // is checked to include this class's live blocks, not by difference.
    assert!(during.allocated >= c.live_blocks * c.block_size);
    assert!(during.resident >= N * SIZE, "touched blocks are resident");
    for p in blocks {
        // SAFETY: the block came from this allocator and is freed once.
        unsafe { free(p as *mut u8) };
    }
    assert_eq!(
        stats().classes[class].live_blocks,
        before.classes[class].live_blocks
    );
}

#[test]
fn large_objects_are_counted_until_freed() {
    let _t = turn();
    let before = stats();
    let p = malloc(3 << 20);
    let s = stats();
    assert_eq!(s.large_objects, before.large_objects + 1);
    assert!(s.large_bytes >= before.large_bytes + (3 << 20));
    // SAFETY: the block came from this allocator and is freed once.
    unsafe { free(p) };
    assert_eq!(stats().large_objects, before.large_objects);
}

#[test]
fn harvest_returns_freed_pages_to_the_os() {
    let _q = quiet(Decay::Never);
    let rss0 = rss_bytes();
    churn_on_a_thread(4000, 8000); // ~32 MiB touched, then freed
    let s = stats();
    let rss1 = rss_bytes();
    assert!(
        rss1 >= rss0 + (16 << 20),
        "freed but unpurged pages stay resident: {rss0} -> {rss1}"
    );
    let released = harvest(usize::MAX);
    let after = stats();
    assert!(released >= 30 << 20, "released {released}");
    assert!(
        after.resident + released <= s.resident + SLOT_SIZE,
        "resident {} -> {}",
        s.resident,
        after.resident
    );
    assert!(after.purged >= s.purged + released);
    assert!(rss_bytes() + (16 << 20) <= rss1, "RSS did not drop");
}

#[test]
fn harvest_stops_near_its_budget() {
    let _q = quiet(Decay::Never);
    churn_on_a_thread(4000, 4000);
    let released = harvest(1 << 20);
    assert!(released >= 1 << 20, "released {released}");
    assert!(released <= (1 << 20) + SLOT_SIZE, "released {released}");
    assert!(
        harvest(usize::MAX) > 8 << 20,
        "the rest is still there to harvest"
    );
}

#[test]
fn immediate_decay_purges_arenas_as_they_are_released() {
    let _q = quiet(Decay::Never);
    set_decay(Decay::Immediate);
    let before = stats().purged;
    churn_on_a_thread(20_000, 200); // ~4 MiB of class 24576
    assert!(
        stats().purged >= before + (2 << 20),
        "purged {} -> {}",
        before,
        stats().purged
    );
}

#[test]
fn never_decay_keeps_pages_until_harvest() {
    let _q = quiet(Decay::Never);
    let before = stats().purged;
    churn_on_a_thread(20_000, 200);
    churn_on_a_thread(20_000, 200);
    assert_eq!(stats().purged, before);
    assert!(harvest(usize::MAX) >= 2 << 20);
}

#[test]
fn count_decay_purges_after_enough_later_releases() {
    let _q = quiet(Decay::Never);
    set_decay(Decay::AfterReleases(1_000_000));
    let before = decayed();
    churn_on_a_thread(20_000, 200);
    assert_eq!(decayed(), before, "not enough releases yet");
    set_decay(Decay::AfterReleases(2));
    churn_on_a_thread(20_000, 200);
    churn_on_a_thread(20_000, 200);
    assert!(
        decayed() >= before + (2 << 20),
        "purged {} -> {}",
        before,
        decayed()
    );
}

#[test]
fn time_decay_purges_only_after_the_delay() {
    let _q = quiet(Decay::Never);
    set_decay(Decay::AfterMillis(600_000));
    let before = decayed();
    churn_on_a_thread(20_000, 200);
    assert_eq!(decayed(), before, "ten minutes have not passed");
    set_decay(Decay::AfterMillis(20));
    std::thread::sleep(std::time::Duration::from_millis(40));
    churn_on_a_thread(20_000, 8); // a pool operation evaluates decay
    assert!(
        decayed() >= before + (2 << 20),
        "purged {} -> {}",
        before,
        decayed()
    );
}

#[test]
fn freed_large_mappings_are_reused_until_harvested() {
    let _q = quiet(Decay::Never);
    let p = freed_filled(3 << 20);
    let q = malloc((3 << 20) - 5000);
    // Large mappings are 4 MiB-aligned; the object's colour (its offset
    // into the first page) changes from one allocation to the next.
    assert_eq!(
        mapping(q),
        mapping(p),
        "a similar request takes the cached mapping"
    );
    // SAFETY: the block came from this allocator and is freed once.
    unsafe { free(q) };
    let z = memento_alloc::calloc(1, 3 << 20);
    // SAFETY: a live block of ours, large enough for the bytes touched.
    assert!(unsafe { std::slice::from_raw_parts(z, 3 << 20) }
        .iter()
        .all(|&b| b == 0));
    // SAFETY: the block came from this allocator and is freed once.
    unsafe { free(z) };
    assert!(
        harvest(usize::MAX) >= 3 << 20,
        "harvest unmaps cached mappings"
    );
}

#[test]
fn fresh_pages_are_paid_back_from_resident_free_slots() {
    let _q = quiet(Decay::Never);
    // Ten minutes: no purge on the decay's account during the test.
    set_decay(Decay::AfterMillis(600_000));
    churn_on_a_thread(20_000, 200); // ~4 MiB of free slots left resident
    let (before, before_paid) = (stats().purged, stats().paid_back);
    // A large object is fresh memory the free slots could not serve: as
    // much of them is purged first.
    let p = malloc(3 << 20);
    let paid = stats().purged - before;
    assert!(
        stats().paid_back - before_paid >= paid,
        "counted as paid back"
    );
    assert!(paid >= 2 << 20, "paid back {paid}");
    assert!(paid <= (3 << 20) + 2 * SLOT_SIZE, "paid back {paid}");
    // SAFETY: the block came from this allocator and is freed once.
    unsafe { free(p) };

    // Under `Never`, nothing is purged but by harvest.
    harvest(usize::MAX);
    set_decay(Decay::Never);
    churn_on_a_thread(20_000, 200);
    let before = stats().purged;
    let p = malloc(3 << 20);
    assert_eq!(stats().purged, before);
    // SAFETY: the block came from this allocator and is freed once.
    unsafe { free(p) };
    harvest(usize::MAX);
}

/// Mallocs and fills `len` bytes, frees them (into the cache of freed
/// mappings) and returns where they were.
fn freed_filled(len: usize) -> *mut u8 {
    let p = malloc(len);
    // SAFETY: a live block of ours, `len` bytes long; freed once.
    unsafe {
        std::ptr::write_bytes(p, 7, len);
        free(p);
    }
    p
}

/// The 4 MiB-aligned mapping holding large object `p`.
fn mapping(p: *mut u8) -> usize {
    p as usize & !(SEGMENT_SIZE - 1)
}

/// The end of the pages of an object of `len` bytes at `p`.
fn pages_end(p: *mut u8, len: usize) -> usize {
    (p as usize + len).next_multiple_of(4096)
}

#[test]
fn a_new_object_reusing_a_larger_freed_mapping_leaves_the_rest_purged_as_slack() {
    // Ten minutes: nothing decays during the test.
    let _q = quiet(Decay::AfterMillis(600_000));
    let (big, small) = (1 << 20, 200 << 10);
    let p = freed_filled(big);
    let purged = stats().purged;
    let q = malloc(small);
    assert_eq!(mapping(q), mapping(p), "the cached mapping is reused");
    let end = pages_end(q, small) as *mut u8;
    let tail = mapping(p) + big - end as usize;
    assert!(
        stats().purged - purged >= tail,
        "purged {} of a {tail}-byte tail",
        stats().purged - purged
    );
    assert!(resident_pages(end, tail).iter().all(|&r| !r));
    // The object ends before the tail, which counts as slack, not resident.
    // SAFETY: q is live.
    assert_eq!(unsafe { usable_size(q) }, end as usize - q as usize);
    assert_eq!(stats().large_slack, 0);
    // Freed and reused again, the mapping is known to be purged already.
    // SAFETY: q is live; it is freed once.
    unsafe { free(q) };
    let (purged, purges) = (stats().purged, stats().purges);
    let q = malloc(small);
    assert_eq!(mapping(q), mapping(p), "the cached mapping is reused");
    assert_eq!((stats().purged, stats().purges), (purged, purges));
    // The object may still grow into its slack: in place, reading zeroes.
    let end = pages_end(q, small) as *mut u8;
    // SAFETY: q is live; it is freed once.
    unsafe {
        assert_eq!(realloc(q, big - 8192), q, "grown in place");
        assert!(all_bytes(end, q as usize + big - 8192 - end as usize, 0));
        free(q);
    }
    harvest(usize::MAX);
    // calloc likewise, and its object reads as zeroes though the freed
    // object's bytes were resident there.
    let p = freed_filled(big);
    let purged = stats().purged;
    let z = memento_alloc::calloc(1, small);
    assert_eq!(mapping(z), mapping(p), "the cached mapping is reused");
    assert!(all_bytes(z, small, 0));
    let end = pages_end(z, small);
    let tail = mapping(p) + big - end;
    assert!(stats().purged - purged >= tail);
    assert!(resident_pages(end as *mut u8, tail).iter().all(|&r| !r));
    // SAFETY: z is live; it is freed once.
    unsafe { free(z) };
    harvest(usize::MAX);
}

#[test]
fn a_growing_block_and_never_decay_keep_a_reused_mappings_rest_resident() {
    let _q = quiet(Decay::Never);
    let big = 1 << 20;
    // A block that realloc grows past the classes is likely to grow on
    // into the rest.
    let p = freed_filled(big);
    let purged = stats().purged;
    let b = malloc(16 << 10);
    // SAFETY: b is live; the grown block is freed once.
    unsafe {
        let g = realloc(b, 40 << 10);
        assert_eq!(mapping(g), mapping(p), "the cached mapping is reused");
        let end = pages_end(g, 40 << 10);
        assert!(
            resident_pages(end as *mut u8, (mapping(p) + big - end).min(1000 * 4096))
                .iter()
                .all(|&r| r)
        );
        free(g);
    }
    // Under `Never`, a new object leaves it resident too: only a harvest
    // purges.
    let q = malloc(200 << 10);
    assert_eq!(mapping(q), mapping(p), "the cached mapping is reused");
    assert_eq!(stats().purged, purged, "nothing purged");
    // SAFETY: q is live; it is freed once.
    unsafe { free(q) };
    harvest(usize::MAX);
}

#[test]
fn a_failing_large_request_keeps_cached_mappings() {
    let _q = quiet(Decay::AfterMillis(600_000));
    let p = malloc(3 << 20);
    // SAFETY: the block came from this allocator and is freed once.
    unsafe { free(p) };
    let before = stats().mapped;
    assert!(malloc(usize::MAX / 4).is_null());
    assert!(
        stats().mapped + (1 << 20) > before,
        "the cached mapping survived: {} -> {}",
        before,
        stats().mapped
    );
    harvest(usize::MAX);
}

#[test]
fn harvested_large_mappings_count_as_purged() {
    let _q = quiet(Decay::AfterMillis(600_000));
    let p = malloc(3 << 20);
    // SAFETY: a live block of 3 MiB, freed once.
    unsafe {
        std::ptr::write_bytes(p, 1, 3 << 20);
        free(p);
    }
    let before = stats();
    let released = harvest(usize::MAX);
    let after = stats();
    assert!(
        released >= 3 << 20,
        "the cached mapping was released: {released}"
    );
    assert_eq!(after.purged - before.purged, released);
    assert!(after.purges > before.purges);
}

/// Which of the pages of `[p, p + len)` are resident (at most 1,024).
/// Read before anything is allocated: an allocation may carve fresh
/// pages, and pay them back by purging free memory.
fn resident_pages(p: *mut u8, len: usize) -> Vec<bool> {
    let page = 4096;
    let start = p as usize / page * page;
    let n = (p as usize + len).div_ceil(page) - start / page;
    let mut v = [0u8; 1024];
    assert!(n <= v.len(), "{n} pages");
    // SAFETY: the range is mapped (blocks of ours) and v has a byte per page.
    let rc = unsafe { libc::mincore(start as *mut libc::c_void, n * page, v.as_mut_ptr()) };
    assert_eq!(rc, 0, "mincore");
    v[..n].iter().map(|b| b & 1 == 1).collect()
}

#[test]
fn free_blocks_of_large_classes_give_their_inner_pages_back_for_fresh_ones() {
    let _q = quiet(Decay::AfterMillis(600_000));
    // A class nothing else uses: 49,152 B blocks, twelve pages each.
    let size = 40_000;
    let blocks: Vec<*mut u8> = (0..8).map(|_| malloc(size)).collect();
    for &b in &blocks {
        // SAFETY: a live block of `size` bytes.
        unsafe { std::ptr::write_bytes(b, 7, size) };
    }
    // Before the frees: a pay-back may purge the blocks as soon as they are
    // free (when a test's own allocation carves fresh pages), and counts
    // what it purged.
    let before = stats();
    for &b in &blocks {
        // SAFETY: the block came from this allocator and is freed once.
        unsafe { free(b) };
    }
    assert!(resident_pages(blocks[0], size).iter().all(|&r| r));
    // Fresh memory that no free slot or cached mapping can cover.
    let big = malloc(3 << 20);
    let after = stats();
    for &b in &blocks {
        let pages = resident_pages(b, size);
        // The page holding the free-list link stays; whole pages past it go.
        assert!(pages[0], "first page kept");
        let inner = &pages[1..pages.len() - 1];
        assert!(inner.iter().all(|&r| !r), "inner pages purged: {pages:?}");
    }
    let inner_bytes = 8 * 8 * 4096;
    assert!(after.paid_back - before.paid_back >= inner_bytes);
    assert!(after.purged - before.purged >= inner_bytes);
    // The blocks serve again, whole.
    let again: Vec<*mut u8> = (0..8).map(|_| malloc(size)).collect();
    for &b in &again[..7] {
        // SAFETY: a live block of `size` bytes, freed once.
        unsafe {
            std::ptr::write_bytes(b, 9, size);
            assert!(std::slice::from_raw_parts(b, size).iter().all(|&x| x == 9));
            free(b);
        }
    }
    // A harvest takes them too, though their arena still holds a live
    // block and so stays with the heap.
    let released = harvest(usize::MAX);
    assert!(released >= 7 * 8 * 4096, "harvest released {released}");
    for &b in &again[..7] {
        assert!(resident_pages(b, size)[1..9].iter().all(|&r| !r));
    }
    // SAFETY: the blocks came from this allocator and are freed once.
    unsafe {
        free(again[7]);
        free(big);
    }
    harvest(usize::MAX);
}

/// Whether all `len` bytes at `p` equal `byte`.
fn all_bytes(p: *mut u8, len: usize, byte: u8) -> bool {
    // SAFETY: the callers pass mapped bytes of a live object of ours.
    unsafe { std::slice::from_raw_parts(p, len) }
        .iter()
        .all(|&b| b == byte)
}

#[test]
fn a_shrunk_large_object_keeps_its_tail_resident_for_regrowth_until_a_harvest() {
    // No pay-back (it would purge the slack between two steps); harvests
    // still purge.
    let _q = quiet(Decay::Never);
    let big = 800 << 10;
    let small = 28 << 10;
    let p = malloc(big);
    // SAFETY: p is a live object of `big` bytes throughout, except where
    // shrunk, when only its usable size is touched.
    unsafe {
        std::ptr::write_bytes(p, 0xab, big);
        assert_eq!(realloc(p, small), p, "shrunk in place");
        // The object ends before the kept tail.
        let usable = usable_size(p);
        assert!((small..small + 8192).contains(&usable), "usable {usable}");
        let slack = stats().large_slack;
        assert!(slack >= big - small - 8192, "slack kept: {slack}");
        assert!(resident_pages(p.add(usable), big - usable)
            .iter()
            .all(|&r| r));
        // Regrown into the same pages: what was written before the shrink
        // is still there (a fresh mapping would read zero).
        assert_eq!(realloc(p, big), p);
        assert!(all_bytes(p, big, 0xab));
        assert_eq!(stats().large_slack, 0);
        // Shrunk again, a harvest purges the tail, and only the tail.
        assert_eq!(realloc(p, small), p);
        let slack = stats().large_slack;
        let released = harvest(usize::MAX);
        assert!(released >= slack, "harvest released {released} of {slack}");
        assert_eq!(stats().large_slack, 0);
        assert!(resident_pages(p.add(usable), big - usable)
            .iter()
            .all(|&r| !r));
        assert!(all_bytes(p, small, 0xab), "the object kept its bytes");
        // Shrunk further, only the bytes it gave up now count as resident.
        assert_eq!(realloc(p, small - 8192), p);
        let given_up = usable - usable_size(p);
        assert_eq!(stats().large_slack, given_up);
        assert_eq!(realloc(p, small), p);
        assert_eq!(stats().large_slack, 0);
        // It still regrows in place, into zero pages.
        assert_eq!(realloc(p, big), p);
        assert!(all_bytes(p.add(usable), big - usable, 0));
        free(p);
    }
}

#[test]
fn shrinks_keep_at_most_four_mib_of_slack_and_unmap_the_rest() {
    let _q = quiet(Decay::Never);
    let big = 2 << 20;
    let objects: Vec<*mut u8> = (0..3).map(|_| malloc(big)).collect();
    let mut slack = Vec::new();
    let mut mapped = Vec::new();
    for &p in &objects {
        // SAFETY: p is a live object of `big` bytes, shrunk in place.
        unsafe {
            std::ptr::write_bytes(p, 1, big);
            assert_eq!(realloc(p, 64 << 10), p);
        }
        let s = stats();
        slack.push(s.large_slack);
        mapped.push(s.large_bytes);
    }
    // Two tails of nearly 2 MiB fit the budget; the third is unmapped.
    assert!(slack[1] > slack[0] && slack[1] <= 4 << 20, "{slack:?}");
    assert_eq!(slack[2], slack[1], "{slack:?}");
    assert_eq!(mapped[0], mapped[1], "kept tails stay mapped");
    assert!(mapped[1] - mapped[2] >= big - (128 << 10), "{mapped:?}");
    // With immediate decay nothing is kept.
    set_decay(Decay::Immediate);
    harvest(usize::MAX);
    let p = malloc(big);
    // SAFETY: as above.
    unsafe { assert_eq!(realloc(p, 64 << 10), p) };
    assert_eq!(stats().large_slack, 0);
    for p in objects.into_iter().chain([p]) {
        // SAFETY: live objects of ours, freed once.
        unsafe { free(p) };
    }
    harvest(usize::MAX);
}

#[test]
fn blocks_freed_by_other_threads_count_as_free_and_empty_their_arena_uncollected() {
    let _t = turn();
    const SIZE: usize = 3_000; // class 3072, unused elsewhere
    const N: usize = 16;
    let class = memento_alloc::size_class::class_of(SIZE);
    let before = stats().classes[class];
    let blocks: Vec<usize> = (0..N).map(|_| malloc(SIZE) as usize).collect();
    assert_eq!(stats().classes[class].live_blocks, before.live_blocks + N);
    // Another thread frees half: counted free at once, though this thread
    // has not collected them.
    let (first, second) = blocks.split_at(N / 2);
    free_on_a_thread(first.to_vec());
    assert_eq!(
        stats().classes[class].live_blocks,
        before.live_blocks + N / 2
    );
    free_on_a_thread(second.to_vec());
    // Every block came back remotely: a harvest hands the arena back.
    harvest(usize::MAX);
    let after = stats().classes[class];
    assert_eq!(after.live_blocks, before.live_blocks);
    assert_eq!(
        after.arenas, before.arenas,
        "the arena went back to the pool"
    );
}

#[test]
fn an_arena_whose_blocks_all_came_back_remotely_is_carved_again_in_address_order() {
    let _t = turn();
    const SIZE: usize = 1_700; // class 1792, unused elsewhere
    let first: Vec<usize> = (0..16).map(|_| malloc(SIZE) as usize).collect();
    assert!(
        first.windows(2).all(|w| w[0] < w[1]),
        "carved in address order"
    );
    free_on_a_thread(first.clone());
    // Not popped in the order the other thread freed them (last first):
    // the arena starts over from its first block.
    let again: Vec<usize> = (0..16).map(|_| malloc(SIZE) as usize).collect();
    assert_eq!(again, first);
    for p in again {
        // SAFETY: the block came from this allocator and is freed once.
        unsafe { free(p as *mut u8) };
    }
}
