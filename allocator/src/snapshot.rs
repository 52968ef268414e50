//! The snapshot hook: capture the calling thread's allocation state and
//! later roll back to it, for hot starts.
//!
//! # What is captured
//!
//! For the calling thread's heap only:
//! - every arena it owns (which slots, which size class), how many blocks
//!   of it were ever carved, and which of those were free (a bitmap, as in
//!   Memento's arena headers);
//! - every large object it allocated that is still live: its header and
//!   the extent of its mapping.
//!
//! Not captured: the *contents* of any block, other threads' heaps, the
//! page pool's purge state, statistics.
//!
//! # What restore does
//!
//! Arenas acquired since the snapshot, and large objects allocated since,
//! are released. Arenas of the snapshot get back exactly its free set
//! (rebuilt from the bitmap), so every block allocated after the snapshot
//! is free again and every block live at the snapshot is live again. It
//! runs in time proportional to the heap's metadata, not to the number of
//! allocations since: the software analogue of dropping a function's
//! ephemeral memory at once.

use alloc::vec::Vec;
use core::ptr::null_mut;
use core::sync::atomic::Ordering::Relaxed;

use crate::types::{Arena, Block, Heap, LargeHeader, AVAILABLE};
use crate::{arena, heap, large, pool, thread};

/// One arena's state in a snapshot.
#[derive(Clone, Copy, Debug)]
struct ArenaImage {
    arena: *const Arena,
    class: u8,
    capacity: u32,
    /// Index of its first word in `Snapshot::free_bits`.
    bits: usize,
}

/// The calling thread's allocation state at one moment (see the module
/// documentation for exactly what is captured).
///
/// A snapshot is tied to the thread that took it and cannot be sent.
#[derive(Debug)]
pub struct Snapshot {
    heap: *mut Heap,
    arenas: Vec<ArenaImage>,
    free_bits: Vec<u64>,
    large: Vec<LargeImage>,
}

/// A large object as captured: header, then mapping start and length. A
/// live object at the same header counts as the same one only if its
/// mapping starts there too and is no shorter (a realloc since may have
/// moved it and another object taken its place, or shrunk it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct LargeImage {
    header: usize,
    map_base: usize,
    map_len: usize,
}

impl LargeImage {
    /// The image of a live large object.
    ///
    /// # Safety
    /// `l` is a listed (live) header, read under the large lock.
    unsafe fn of(l: *mut LargeHeader) -> Self {
        // SAFETY: see above.
        unsafe {
            LargeImage {
                header: l as usize,
                map_base: (*l).map_base as usize,
                // The object's extent: slack kept by a shrink is not its.
                map_len: (*l).extent(),
            }
        }
    }
}

/// Why a snapshot could not be restored. Nothing was changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SnapshotError {
    /// Restore was called on another thread than the snapshot.
    WrongThread,
    /// An arena of the snapshot was given back to the pool and then taken
    /// by another heap (or its segment unmapped); its blocks cannot be
    /// brought back.
    ArenaReused,
    /// A large object live at the snapshot was freed since, or shrunk or
    /// moved by `realloc`; its memory as captured is gone.
    LargeObjectFreed,
}

impl core::fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            SnapshotError::WrongThread => {
                "snapshot restored on another thread than the one that took it"
            }
            SnapshotError::ArenaReused => "an arena of the snapshot now belongs to another heap",
            SnapshotError::LargeObjectFreed => "a large object live at the snapshot has been freed",
        })
    }
}

impl core::error::Error for SnapshotError {}

/// Marks the free blocks of `a` in `bits`. Owner only.
unsafe fn mark_free(a: &Arena, bits: &mut [u64]) {
    let start = a.start.get() as usize;
    let bs = a.block_size.get() as usize;
    let mut b = a.free.get();
    while !b.is_null() {
        let i = (b as usize - start) / bs;
        bits[i / 64] |= 1 << (i % 64);
        // SAFETY: free blocks link through their first word.
        b = unsafe { (*b).next };
    }
}

impl Snapshot {
    /// Captures the calling thread's allocation state.
    ///
    /// Blocks freed by other threads and not yet collected are collected
    /// first, so they count as free. The snapshot's own buffers are
    /// allocated before the capture and so are live in it.
    pub fn take() -> Snapshot {
        // Give the thread a heap first, so the capture has something to hold.
        // SAFETY: frees the block just allocated.
        unsafe { crate::api::free(crate::api::malloc(1)) };
        let h = thread::current_heap();
        let (mut n_arenas, mut n_words, mut n_large) = (0usize, 0usize, 0usize);
        loop {
            let mut snap = Snapshot {
                heap: h,
                arenas: Vec::with_capacity(n_arenas + 16),
                free_bits: Vec::with_capacity(n_words + 1024),
                large: Vec::with_capacity(n_large + 16),
            };
            let (need_a, need_w) = (snap.arenas.capacity(), snap.free_bits.capacity());
            let (mut a_count, mut w_count) = (0, 0);
            pool::LOCK.lock();
            // SAFETY: pool lock held; arenas of h belong to this thread, so
            // collecting and reading their free lists is the owner's right.
            // Nothing here allocates: pushes stay within the capacities.
            unsafe {
                pool::for_each_arena_locked(|a| {
                    if a.heap.load(Relaxed) != h {
                        return;
                    }
                    let words = (a.capacity.load(Relaxed) as usize).div_ceil(64);
                    a_count += 1;
                    w_count += words;
                    if a_count > need_a || w_count > need_w {
                        return;
                    }
                    arena::collect(a);
                    let at = snap.free_bits.len();
                    snap.free_bits.resize(at + words, 0);
                    mark_free(a, &mut snap.free_bits[at..]);
                    snap.arenas.push(ArenaImage {
                        arena: a,
                        class: a.class.get(),
                        capacity: a.capacity.load(Relaxed),
                        bits: at,
                    });
                });
            }
            pool::LOCK.unlock();
            let need_l = snap.large.capacity();
            let mut l_count = 0;
            large::for_each(|l| {
                // SAFETY: listed headers are live.
                if unsafe { (*l).heap } == h {
                    l_count += 1;
                    if l_count <= need_l {
                        // SAFETY: listed under the large lock.
                        snap.large.push(unsafe { LargeImage::of(l) });
                    }
                }
            });
            if a_count <= need_a && w_count <= need_w && l_count <= need_l {
                snap.arenas.sort_by_key(|i| i.arena as usize);
                snap.large.sort_unstable();
                return snap;
            }
            (n_arenas, n_words, n_large) = (a_count * 2, w_count * 2, l_count * 2);
        }
    }

    /// Arenas captured.
    pub fn arenas(&self) -> usize {
        self.arenas.len()
    }

    /// Blocks live at the capture, over all captured arenas.
    pub fn live_blocks(&self) -> usize {
        self.arenas
            .iter()
            .map(|i| {
                let words = &self.free_bits[i.bits..i.bits + (i.capacity as usize).div_ceil(64)];
                i.capacity as usize - words.iter().map(|w| w.count_ones() as usize).sum::<usize>()
            })
            .sum()
    }

    /// Whether `p` lies in one of the arenas captured. Blocks there are
    /// handed out again, after each restore, in the same order.
    pub fn covers(&self, p: *const u8) -> bool {
        let seg = p as usize & !(crate::types::SEGMENT_SIZE - 1);
        let slot = (p as usize - seg) >> crate::types::SLOT_SHIFT;
        self.arenas.iter().any(|i| {
            let a = i.arena as usize;
            if a & !(crate::types::SEGMENT_SIZE - 1) != seg {
                return false;
            }
            let first = (a - seg - core::mem::offset_of!(crate::types::Segment, arenas))
                / core::mem::size_of::<Arena>();
            slot >= first && slot < first + crate::size_class::arena_slots(i.class as usize)
        })
    }

    /// Large objects captured.
    pub fn large_objects(&self) -> usize {
        self.large.len()
    }

    fn image_of(&self, a: &Arena) -> Option<&ArenaImage> {
        self.arenas
            .binary_search_by_key(&(a as *const Arena as usize), |i| i.arena as usize)
            .ok()
            .map(|k| &self.arenas[k])
            .filter(|i| i.class == a.class.get())
    }

    /// Whether the live large object `now` is one this snapshot captured,
    /// still with at least its captured mapping.
    fn captures(&self, now: LargeImage) -> bool {
        let at = self.large.partition_point(|i| i.header < now.header);
        self.large.get(at).is_some_and(|i| {
            i.header == now.header && i.map_base == now.map_base && i.map_len <= now.map_len
        })
    }

    /// Rolls the calling thread's allocation state back to this snapshot.
    /// On error nothing is changed.
    ///
    /// # Safety
    ///
    /// - Every block and large object allocated by this thread after the
    ///   snapshot is freed: no pointer to one may be used afterwards, by
    ///   any thread.
    /// - Blocks live at the snapshot and freed since become live again,
    ///   with whatever contents they now hold: restore is meant to go with
    ///   restoring the program's own state to the same moment (e.g. a
    ///   function's globals after initialisation).
    /// - No other thread may free a block of this thread's heap while
    ///   restore runs.
    pub unsafe fn restore(&self) -> Result<(), SnapshotError> {
        let h = thread::current_heap();
        if h != self.heap {
            return Err(SnapshotError::WrongThread);
        }
        // Large objects of the snapshot must all still be live.
        let mut live = 0;
        large::for_each(|l| {
            // SAFETY: listed under the large lock.
            if self.captures(unsafe { LargeImage::of(l) }) {
                live += 1;
            }
        });
        if live != self.large.len() {
            return Err(SnapshotError::LargeObjectFreed);
        }
        pool::LOCK.lock();
        // SAFETY: pool lock held; the arenas of h are this thread's; the
        // caller guarantees no block allocated since the snapshot is used.
        let result = unsafe { self.restore_arenas_locked(h) };
        pool::LOCK.unlock();
        result?;
        // Free large objects allocated since, one at a time (freeing takes
        // the large lock that `for_each` holds).
        loop {
            let mut victim: *mut LargeHeader = null_mut();
            large::for_each(|l| {
                // SAFETY: listed headers are live.
                let owner = unsafe { (*l).heap };
                // SAFETY: listed under the large lock.
                if victim.is_null() && owner == h && !self.captures(unsafe { LargeImage::of(l) }) {
                    victim = l;
                }
            });
            if victim.is_null() {
                return Ok(());
            }
            // SAFETY: a live large object of this thread allocated after
            // the snapshot; the caller gave up every pointer to it.
            unsafe { large::free(victim) };
        }
    }

    unsafe fn restore_arenas_locked(&self, h: *mut Heap) -> Result<(), SnapshotError> {
        // Arenas of ours that the snapshot does not know were acquired since.
        let stray = |a: &Arena| a.heap.load(Relaxed) == h && self.image_of(a).is_none();
        // SAFETY: see `restore`; the caller holds the pool lock.
        unsafe {
            // Check first, so that an error changes nothing: each arena of
            // the snapshot is still ours, or its slots are free or stray.
            for img in &self.arenas {
                let still_ours = !pool::segment_of_locked(img.arena).is_null()
                    && (*img.arena).heap.load(Relaxed) == h
                    && (*img.arena).class.get() == img.class;
                if !still_ours && !pool::claimable_locked(img.arena, img.class as usize, stray) {
                    return Err(SnapshotError::ArenaReused);
                }
            }
            pool::for_each_arena_locked(|a| {
                if stray(a) {
                    pool::release_locked(a);
                }
            });
            heap::reset_lists(h);
            for img in &self.arenas {
                let a = if (*img.arena).heap.load(Relaxed) == h {
                    img.arena as *mut Arena
                } else {
                    pool::reclaim_locked(img.arena, img.class as usize, h)
                };
                debug_assert!(!a.is_null(), "checked claimable above");
                let a = &*a;
                let start = a.start.get();
                let bs = a.block_size.get() as usize;
                let bits =
                    &self.free_bits[img.bits..img.bits + (img.capacity as usize).div_ceil(64)];
                let mut free: *mut Block = null_mut();
                let mut n_free = 0u32;
                for i in (0..img.capacity as usize).rev() {
                    let b = start.add(i * bs) as *mut Block;
                    if bits[i / 64] & (1 << (i % 64)) != 0 {
                        crate::poison::free_block(b.cast(), bs);
                        (*b).next = free;
                        free = b;
                        n_free += 1;
                    } else {
                        crate::poison::addressable(b.cast(), bs);
                    }
                }
                a.free.set(free);
                a.capacity.store(img.capacity, Relaxed);
                a.used.store(img.capacity - n_free, Relaxed);
                a.thread_free.clear();
                a.state.store(AVAILABLE, Relaxed);
                heap::link_restored(h, a as *const Arena as *mut Arena);
            }
            Ok(())
        }
    }
}
