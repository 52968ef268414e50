//! The page pool: segments, their free slots, and purge / decay.
//!
//! All state here is guarded by one lock. Heaps come here only to get a new
//! arena or give an empty one back, about once per 64 KiB of allocation, so
//! the lock is cold; purging runs under it too.

use core::cell::Cell;
use core::ptr::null_mut;
use core::sync::atomic::Ordering::Relaxed;

use crate::config::{self, Decay};
use crate::lock::SpinLock;
use crate::size_class::{arena_slots, class_size};
use crate::stats::COUNTERS;
use crate::types::*;
use crate::{os, registry};

/// Guards everything below and the pool fields of every segment.
pub(crate) static LOCK: SpinLock = SpinLock::new();

struct PoolState {
    segments: *mut Segment,
    releases: u64,
    last_check_ms: u64,
    last_check_rel: u64,
}

static STATE: Static<Cell<PoolState>> = Static(Cell::new(PoolState {
    segments: null_mut(),
    releases: 0,
    last_check_ms: 0,
    last_check_rel: 0,
}));

fn state() -> *mut PoolState {
    STATE.0.as_ptr()
}

/// Bytes of the segment header that are ever touched.
fn header_bytes() -> usize {
    let p = os::page_size();
    core::mem::size_of::<Segment>().div_ceil(p) * p
}

fn run_mask(first: usize, slots: usize) -> u64 {
    let m = if slots == 64 {
        u64::MAX
    } else {
        (1u64 << slots) - 1
    };
    m << first
}

/// Iterates the segments of the pool. Pool lock held.
unsafe fn for_each_segment(mut f: impl FnMut(&Segment)) {
    // SAFETY: segments in the list are mapped; the lock is held.
    unsafe {
        let mut s = (*state()).segments;
        while !s.is_null() {
            let next = (*s).next.get();
            f(&*s);
            s = next;
        }
    }
}

/// Maps and initialises a new segment. Pool lock held.
unsafe fn new_segment() -> *mut Segment {
    let p = os::map_aligned(SEGMENT_SIZE, SEGMENT_SIZE) as *mut Segment;
    if p.is_null() {
        return p;
    }
    // SAFETY: p is a fresh, zeroed, exclusively owned mapping large enough
    // for the header; zero is a valid value of every field except `kind`,
    // and all-ones free slots.
    unsafe {
        core::ptr::addr_of_mut!((*p).kind).write(KIND_ARENAS);
        (*p).free_slots.set(!1);
        (*p).next.set((*state()).segments);
        (*state()).segments = p;
    }
    registry::insert(p as usize, registry::ARENAS);
    COUNTERS.pool_mapped.fetch_add(SEGMENT_SIZE, Relaxed);
    p
}

/// Finds `slots` free, naturally aligned slots; prefers runs whose pages
/// are still resident. Pool lock held.
unsafe fn find_run(slots: usize) -> Option<(*mut Segment, usize)> {
    let mut fallback = None;
    let mut found = None;
    // SAFETY: pool lock held by the caller.
    unsafe {
        for_each_segment(|s| {
            if found.is_some() {
                return;
            }
            let free = s.free_slots.get();
            let dirty = s.dirty_slots.get();
            let mut i = 0;
            while i < SLOTS_PER_SEGMENT {
                let m = run_mask(i, slots);
                if free & m == m {
                    let seg = s as *const Segment as *mut Segment;
                    if dirty & m == m {
                        found = Some((seg, i));
                        return;
                    }
                    if fallback.is_none() {
                        fallback = Some((seg, i));
                    }
                }
                i += slots;
            }
        });
    }
    found.or(fallback)
}

/// Hands out a fresh arena of class `class` owned by `heap`, or null when
/// the OS refuses memory.
pub(crate) fn acquire(class: usize, heap: *mut Heap) -> *mut Arena {
    let slots = arena_slots(class);
    LOCK.lock();
    // SAFETY: the lock is held for the whole block; the run found is free,
    // so no block of it is in use and its metadata is ours to rewrite.
    let arena = unsafe {
        decay_locked();
        let run = match find_run(slots) {
            Some(r) => Some(r),
            None => {
                let s = new_segment();
                if s.is_null() {
                    None
                } else {
                    find_run(slots)
                }
            }
        };
        match run {
            None => null_mut(),
            Some((seg, first)) => init_arena_locked(seg, first, class, heap),
        }
    };
    LOCK.unlock();
    arena
}

/// Takes the free run at `first` of `seg` for a new arena of `class` owned
/// by `heap`. Pool lock held.
unsafe fn init_arena_locked(
    seg: *mut Segment,
    first: usize,
    class: usize,
    heap: *mut Heap,
) -> *mut Arena {
    let slots = arena_slots(class);
    // SAFETY: the caller holds the pool lock and the run is free, so no
    // block of it is in use and its metadata is ours to rewrite.
    unsafe {
        let s = &*seg;
        let m = run_mask(first, slots);
        // The resident prefix left by earlier arenas (slots are carved from
        // their start, so each dirty slot's touched bytes are a prefix).
        let mut warm = 0usize;
        let mut taken = 0usize;
        let mut prefix = true;
        for i in first..first + slots {
            let t = if s.dirty_slots.get() & (1u64 << i) != 0 {
                s.touched[i].get() as usize
            } else {
                0
            };
            taken += t;
            if prefix {
                warm += t;
                prefix = t == SLOT_SIZE;
            }
        }
        COUNTERS.dirty.fetch_sub(taken, Relaxed);
        s.free_slots.set(s.free_slots.get() & !m);
        s.dirty_slots.set(s.dirty_slots.get() & !m);
        for i in first..first + slots {
            s.slot_map[i].set(first as u8);
            s.arena_of[i].set(&s.arenas[first]);
            s.touched[i].set(0);
        }
        let a = &s.arenas[first];
        a.warm.store(warm as u32, Relaxed);
        let bs = class_size(class);
        a.free.set(null_mut());
        a.used.store(0, Relaxed);
        a.capacity.store(0, Relaxed);
        a.reserved.set((slots * SLOT_SIZE / bs) as u32);
        a.block_size.set(bs as u32);
        a.class.set(class as u8);
        a.slots.set(slots as u8);
        a.state.store(AVAILABLE, Relaxed);
        a.start.set((seg as *mut u8).add(first * SLOT_SIZE));
        a.heap.store(heap, Relaxed);
        a.thread_free.clear();
        a.next.set(null_mut());
        a.prev.set(null_mut());
        a.notify_next.store(null_mut(), Relaxed);
        a as *const Arena as *mut Arena
    }
}

/// The live segment holding metadata `arena`, or null if it was unmapped
/// (or its address reused by a large object). Pool lock held.
pub(crate) fn segment_of_locked(arena: *const Arena) -> *mut Segment {
    let seg = (arena as usize & !(SEGMENT_SIZE - 1)) as *mut Segment;
    let h = registry::header_of((seg as *mut u8).wrapping_add(1));
    // SAFETY: a registered header is mapped; its kind word is readable.
    if core::ptr::eq(h as *const u8, seg as *const u8) && unsafe { (*seg).kind } == KIND_ARENAS {
        seg
    } else {
        null_mut()
    }
}

/// Whether every slot the arena `arena` of `class` would span is free or
/// held by an arena `releasable` accepts. Pool lock held.
///
/// # Safety
/// Pool lock held.
pub(crate) unsafe fn claimable_locked(
    arena: *const Arena,
    class: usize,
    releasable: impl Fn(&Arena) -> bool,
) -> bool {
    let seg = segment_of_locked(arena);
    if seg.is_null() {
        return false;
    }
    // SAFETY: seg is live and the pool lock is held.
    unsafe {
        let s = &*seg;
        let first = arena.offset_from(s.arenas.as_ptr()) as usize;
        let slots = arena_slots(class);
        (first..first + slots).all(|i| {
            i < SLOTS_PER_SEGMENT
                && (s.free_slots.get() & (1u64 << i) != 0
                    || releasable(&s.arenas[s.slot_map[i].get() as usize]))
        })
    }
}

/// Takes back, for `heap`, the arena of `class` whose metadata is `arena`
/// (snapshot restore). Null if any of its slots is taken.
///
/// # Safety
/// Pool lock held.
pub(crate) unsafe fn reclaim_locked(
    arena: *const Arena,
    class: usize,
    heap: *mut Heap,
) -> *mut Arena {
    // SAFETY: the pool lock is held; claimable_locked checked the run.
    unsafe {
        if !claimable_locked(arena, class, |_| false) {
            return null_mut();
        }
        let seg = segment_of_locked(arena);
        let first = arena.offset_from((*seg).arenas.as_ptr()) as usize;
        init_arena_locked(seg, first, class, heap)
    }
}

/// Bytes of an arena that were ever touched, page-rounded, or resident
/// when it was acquired, whichever is more.
pub(crate) fn touched_bytes(a: &Arena) -> usize {
    let p = os::page_size();
    ((a.capacity.load(Relaxed) as usize * a.block_size.get() as usize).div_ceil(p) * p)
        .max(a.warm.load(Relaxed) as usize)
}

/// Gives the slots of an arena with no block in use back to the pool.
///
/// # Safety
/// No block of `a` may be in use or referenced, and `a` must be unlinked
/// from its heap.
pub(crate) unsafe fn release(a: &Arena) {
    LOCK.lock();
    // SAFETY: the lock is held; `a` lives in a mapped segment.
    unsafe { release_locked(a) };
    LOCK.unlock();
}

/// [`release`] with the pool lock already held.
///
/// # Safety
/// As [`release`], plus the pool lock is held.
pub(crate) unsafe fn release_locked(a: &Arena) {
    let seg = (a.start.get() as usize & !(SEGMENT_SIZE - 1)) as *mut Segment;
    let first = (a.start.get() as usize - seg as usize) >> SLOT_SHIFT;
    let slots = a.slots.get() as usize;
    let mut touched = touched_bytes(a);
    a.heap.store(null_mut(), Relaxed);
    a.state.store(RETIRED, Relaxed);
    // SAFETY: the pool lock is held by the caller.
    unsafe {
        let st = &mut *state();
        st.releases += 1;
        let now = os::now_ms();
        let s = &*seg;
        COUNTERS
            .dirty
            .fetch_add(touched.min(slots * SLOT_SIZE), Relaxed);
        for i in first..first + slots {
            let t = touched.min(SLOT_SIZE);
            touched -= t;
            s.touched[i].set(t as u32);
            s.stamps_ms[i].set(now);
            s.stamps_rel[i].set(st.releases);
        }
        let m = run_mask(first, slots);
        s.free_slots.set(s.free_slots.get() | m);
        s.dirty_slots.set(s.dirty_slots.get() | m);
        decay_locked();
    }
}

/// Purges free slots whose decay has expired. Pool lock held.
unsafe fn decay_locked() {
    // SAFETY: the pool lock is held by the caller.
    unsafe {
        let st = &mut *state();
        let (now, threshold, last, by_count) = match config::decay() {
            Decay::Never => return,
            Decay::Immediate => (0, 0, &mut st.last_check_ms, false),
            Decay::AfterMillis(ms) => (os::now_ms(), ms, &mut st.last_check_ms, false),
            Decay::AfterReleases(n) => (st.releases, n, &mut st.last_check_rel, true),
        };
        // Scanning every segment costs; do it at most four times per delay.
        if threshold > 0 && now.saturating_sub(*last) < threshold.div_ceil(4) {
            return;
        }
        *last = now;
        purge_locked(usize::MAX, |ms, rel| {
            now.saturating_sub(if by_count { rel } else { ms }) >= threshold
        });
    }
}

/// Purges free dirty slots accepted by `expired` (given their release time
/// in milliseconds and in pool releases) until
/// `max_bytes` were released, then unmaps segments left entirely free and
/// clean except one. Returns the bytes released. Pool lock held.
pub(crate) unsafe fn purge_locked(max_bytes: usize, expired: impl Fn(u64, u64) -> bool) -> usize {
    let mut released = 0usize;
    let mut spare_kept = false;
    // SAFETY: the pool lock is held; free slots hold no live block.
    unsafe {
        let st = &mut *state();
        let mut link: *mut *mut Segment = &mut st.segments;
        while !(*link).is_null() {
            let seg = *link;
            let s = &*seg;
            let free = s.free_slots.get();
            let mut dirty = s.dirty_slots.get();
            let mut i = 1;
            while i < SLOTS_PER_SEGMENT && released < max_bytes {
                let bit = 1u64 << i;
                if free & dirty & bit == 0 || !expired(s.stamps_ms[i].get(), s.stamps_rel[i].get())
                {
                    i += 1;
                    continue;
                }
                // Coalesce a run of expired free dirty slots into one call.
                let start = i;
                let mut bytes = 0usize;
                while i < SLOTS_PER_SEGMENT
                    && free & dirty & (1u64 << i) != 0
                    && expired(s.stamps_ms[i].get(), s.stamps_rel[i].get())
                    && released + bytes < max_bytes
                {
                    bytes += s.touched[i].get() as usize;
                    s.touched[i].set(0);
                    dirty &= !(1u64 << i);
                    i += 1;
                }
                os::purge(
                    (seg as *mut u8).add(start * SLOT_SIZE),
                    (i - start) * SLOT_SIZE,
                );
                COUNTERS.purges.fetch_add(1, Relaxed);
                COUNTERS.dirty.fetch_sub(bytes, Relaxed);
                released += bytes;
            }
            s.dirty_slots.set(dirty);
            let all_free = free == !1 && dirty == 0;
            if all_free && spare_kept && released < max_bytes {
                *link = s.next.get();
                registry::remove(seg as usize);
                os::unmap(seg as *mut u8, SEGMENT_SIZE);
                COUNTERS.pool_mapped.fetch_sub(SEGMENT_SIZE, Relaxed);
                COUNTERS.purges.fetch_add(1, Relaxed);
                released += header_bytes();
                continue;
            }
            spare_kept |= all_free;
            link = s.next.as_ptr();
        }
    }
    COUNTERS.purged.fetch_add(released, Relaxed);
    released
}

/// Purges every free slot that may be resident, ignoring the decay delay,
/// until about `max_bytes` were released, and unmaps segments left wholly
/// free but one (see [`crate::reclaim`]). Returns the bytes released.
pub(crate) fn purge_free_slots(max_bytes: usize) -> usize {
    LOCK.lock();
    // SAFETY: the lock is held.
    let released = unsafe { purge_locked(max_bytes, |_, _| true) };
    LOCK.unlock();
    released
}

/// Totals gathered by [`census`].
pub(crate) struct Census {
    /// Bytes of segments mapped.
    pub mapped: usize,
    /// Bytes possibly resident: headers, touched parts of arenas in use and
    /// of free slots not yet purged.
    pub resident: usize,
}

/// Visits every arena in use, under the pool lock, and totals the pool.
pub(crate) fn census(mut visit: impl FnMut(&Arena)) -> Census {
    let mut c = Census {
        mapped: 0,
        resident: 0,
    };
    LOCK.lock();
    // SAFETY: the lock is held; arenas in use have their metadata set.
    unsafe {
        for_each_segment(|s| {
            c.mapped += SEGMENT_SIZE;
            c.resident += header_bytes();
            let free = s.free_slots.get();
            let dirty = s.dirty_slots.get();
            for i in 1..SLOTS_PER_SEGMENT {
                let bit = 1u64 << i;
                if free & bit != 0 {
                    if dirty & bit != 0 {
                        c.resident += s.touched[i].get() as usize;
                    }
                } else if s.slot_map[i].get() as usize == i {
                    let a = &s.arenas[i];
                    c.resident += touched_bytes(a);
                    visit(a);
                }
            }
        });
    }
    LOCK.unlock();
    c
}

/// Runs `f` on every arena in use, pool lock held (for snapshots).
///
/// # Safety
/// `f` runs under the pool lock and must not call back into the pool.
pub(crate) unsafe fn for_each_arena_locked(mut f: impl FnMut(&Arena)) {
    // SAFETY: the caller holds the pool lock.
    unsafe {
        for_each_segment(|s| {
            let free = s.free_slots.get();
            for i in 1..SLOTS_PER_SEGMENT {
                if free & (1u64 << i) == 0 && s.slot_map[i].get() as usize == i {
                    f(&s.arenas[i]);
                }
            }
        });
    }
}
