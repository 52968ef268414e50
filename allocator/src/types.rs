//! The allocator's data structures and layout constants.
//!
//! # Glossary
//!
//! - **block**: one object's slot inside an arena. A free block holds the
//!   link to the next free block in its first word.
//! - **size class**: a block size; every request is rounded up to one
//!   (see [`crate::size_class`]). Classes up to 512 B mirror Memento's
//!   hardware object allocator; larger ones exist only in software.
//! - **slot**: a 64 KiB, 64 KiB-aligned unit of a segment. Arenas are made
//!   of whole slots; the page pool hands out and purges slots.
//! - **segment**: a 4 MiB, 4 MiB-aligned mapping of 64 slots. Slot 0 holds
//!   the segment header with the metadata of every arena in the segment,
//!   so `ptr & !(4 MiB - 1)` finds the metadata of any small block.
//! - **arena**: a run of 1..=32 slots serving one size class for one heap
//!   (Memento's "arena"). Its metadata holds a free list instead of the
//!   hardware's bitmap: pop and push are a load and a store.
//! - **heap**: the per-thread owner of arenas, with one current arena and
//!   one list of non-full arenas per size class. A thread reaches its heap
//!   through one thread-local pointer that starts at a static empty heap.
//! - **local free**: a free by the owning thread; a plain list push.
//! - **remote free**: a free by any other thread; a lock-free push onto the
//!   arena's `thread_free` list, collected by the owner when it runs out.
//! - **full arena**: one the owner found without a free block; it leaves the
//!   heap's lists until a free (local, or remote via the heap's `notified`
//!   stack) brings it back.
//! - **abandoned heap**: the heap of an exited thread, kept whole and handed
//!   to the next new thread.
//! - **page pool**: the process-wide set of segments and their free slots.
//! - **purge**: `madvise(MADV_DONTNEED)` of free slots, returning their
//!   physical pages to the OS; **decay** is the delay (time or count of
//!   releases) a free slot waits before it is purged.
//! - **large object**: a request above [`crate::size_class::MAX_CLASS_SIZE`]; it gets its own
//!   4 MiB-aligned mapping with a one-page header.
//! - **harvest**: purge everything idle now, on the platform's demand.

use core::cell::{Cell, UnsafeCell};
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU8, AtomicUsize, Ordering};

pub(crate) use crate::size_class::NCLASSES;

/// log2 of [`SEGMENT_SIZE`].
pub const SEGMENT_SHIFT: usize = 22;
/// Size and alignment of a segment: 4 MiB.
pub const SEGMENT_SIZE: usize = 1 << SEGMENT_SHIFT;
/// log2 of [`SLOT_SIZE`].
pub const SLOT_SHIFT: usize = 16;
/// Size and alignment of a slot: 64 KiB.
pub const SLOT_SIZE: usize = 1 << SLOT_SHIFT;
/// Slots in one segment (slot 0 is the header).
pub const SLOTS_PER_SEGMENT: usize = SEGMENT_SIZE / SLOT_SIZE;
/// Alignment of every block larger than 8 bytes (the x86-64 `max_align_t`).
pub const MIN_ALIGN: usize = 16;

/// Tag at offset 0 of a segment that holds arenas.
pub(crate) const KIND_ARENAS: usize = 0x4d45_4d45_4e54_4f41; // "MEMENTOA"
/// Tag at offset 0 of the header of a large object.
pub(crate) const KIND_LARGE: usize = 0x4d45_4d45_4e54_4f4c; // "MEMENTOL"

/// Arena state: linked in its heap's list for its class.
pub(crate) const AVAILABLE: u8 = 0;
/// Arena state: found without a free block, unlinked.
pub(crate) const FULL: u8 = 1;
/// Arena state: full, then remotely freed into; on its heap's `notified`.
pub(crate) const NOTIFIED: u8 = 2;
/// Arena state: slots returned to the pool.
pub(crate) const RETIRED: u8 = 3;

/// A free block: its first word links to the next free block.
#[repr(C)]
pub(crate) struct Block {
    pub next: *mut Block,
}

/// Metadata of one arena. Lives in its segment's header.
///
/// Fields in `Cell`s are touched only by the owning thread (or under the
/// pool lock while no block of the arena is out); the atomics are shared.
/// Three cache lines: what the owner writes on every `malloc` and `free`;
/// what `free` reads on any thread (written rarely); and the remote free
/// list. A thread freeing blocks of another's arena then never pulls in
/// the owner's hot line (on a producer/consumer pair that sharing cost a
/// third of the run).
#[repr(C, align(64))]
pub(crate) struct Arena {
    /// Free blocks the owner can pop.
    pub free: Cell<*mut Block>,
    /// Blocks handed out and not yet freed locally or collected. Written by
    /// the owner only (relaxed load + store), read by statistics.
    pub used: AtomicU32,
    /// Blocks carved so far; blocks past it were never touched. Written by
    /// the owner (relaxed), read by statistics under the pool lock.
    pub capacity: AtomicU32,
    /// Blocks the arena can hold.
    pub reserved: Cell<u32>,
    /// Bytes from `start` that were resident when the arena was acquired
    /// (left by an earlier arena on the same slots, not yet purged):
    /// carving there touches no fresh page. Written by the owner or under
    /// the pool lock (relaxed), read by statistics.
    pub warm: AtomicU32,
    /// Links in the owner's list for this class.
    pub next: Cell<*mut Arena>,
    pub prev: Cell<*mut Arena>,
    /// Link in the owner's `notified` stack.
    pub notify_next: AtomicPtr<Arena>,
    /// Starts the line `free` reads from any thread.
    pub _shared_line: LineBreak,
    /// Owning heap; null when retired.
    pub heap: AtomicPtr<Heap>,
    /// `AVAILABLE`, `FULL`, `NOTIFIED` or `RETIRED`.
    pub state: AtomicU8,
    /// Size class index.
    pub class: Cell<u8>,
    /// Slots the arena spans.
    pub slots: Cell<u8>,
    /// Bytes per block.
    pub block_size: Cell<u32>,
    /// Address of block 0.
    pub start: Cell<*mut u8>,
    /// Blocks freed by other threads, not yet collected.
    pub thread_free: RemoteFrees,
}

/// A zero-sized field that starts a new cache line.
#[repr(C, align(64))]
#[derive(Clone, Copy)]
pub(crate) struct LineBreak;

/// Blocks freed by other threads into one arena: a lock-free stack whose
/// word packs the head (low 48 bits) and how many blocks it holds (high 16
/// bits), so the owner takes the list and its length in one swap. Walking
/// the list to count it cost a cache miss per block, each block last
/// written by the freeing core (half the run of a producer/consumer pair).
/// Alone on its cache line: other threads write it while the owner works
/// on the arena's first line.
#[repr(C, align(64))]
pub(crate) struct RemoteFrees(AtomicPtr<Block>);

const REMOTE_COUNT_SHIFT: u32 = 48;
const REMOTE_HEAD_MASK: usize = (1 << REMOTE_COUNT_SHIFT) - 1;

impl RemoteFrees {
    /// An empty list.
    pub const fn new() -> RemoteFrees {
        RemoteFrees(AtomicPtr::new(core::ptr::null_mut()))
    }

    /// Whether the list is empty.
    #[inline]
    pub fn is_empty(&self, order: Ordering) -> bool {
        self.0.load(order).is_null()
    }

    /// Empties the list, forgetting its blocks (the arena is being reset).
    pub fn clear(&self) {
        self.0.store(core::ptr::null_mut(), Ordering::Relaxed);
    }

    /// Pushes free block `b` (SeqCst, see `heap::mark_full`).
    ///
    /// # Safety
    /// `b` must be a block of the arena, in use until this call, below
    /// 2^48 (user addresses are 47 bits), and pushed at most once.
    #[inline]
    pub unsafe fn push(&self, b: *mut Block) {
        debug_assert!(b.addr() & !REMOTE_HEAD_MASK == 0);
        let mut old = self.0.load(Ordering::Relaxed);
        loop {
            // SAFETY: b is ours to write until published.
            unsafe { (*b).next = old.map_addr(|w| w & REMOTE_HEAD_MASK) };
            let count = (old.addr() >> REMOTE_COUNT_SHIFT) + 1;
            let new = b.map_addr(|a| a | count << REMOTE_COUNT_SHIFT);
            match self
                .0
                .compare_exchange_weak(old, new, Ordering::SeqCst, Ordering::Relaxed)
            {
                Ok(_) => return,
                Err(x) => old = x,
            }
        }
    }

    /// How many blocks the list holds now (more may arrive at any time).
    #[inline]
    pub fn pending(&self) -> u32 {
        (self.0.load(Ordering::Acquire).addr() >> REMOTE_COUNT_SHIFT) as u32
    }

    /// Takes the whole list: its head (linked through first words) and its
    /// length. The Acquire swap makes the pushers' links visible.
    #[inline]
    pub fn take(&self) -> (*mut Block, u32) {
        let w = self.0.swap(core::ptr::null_mut(), Ordering::Acquire);
        (
            w.map_addr(|a| a & REMOTE_HEAD_MASK),
            (w.addr() >> REMOTE_COUNT_SHIFT) as u32,
        )
    }
}

impl Arena {
    /// An arena with no blocks at all: every allocation from it fails over
    /// to the slow path. Used by the static empty heap.
    pub const fn empty() -> Arena {
        Arena {
            free: Cell::new(core::ptr::null_mut()),
            used: AtomicU32::new(0),
            capacity: AtomicU32::new(0),
            reserved: Cell::new(0),
            warm: AtomicU32::new(0),
            block_size: Cell::new(0),
            class: Cell::new(0),
            slots: Cell::new(0),
            state: AtomicU8::new(RETIRED),
            start: Cell::new(core::ptr::null_mut()),
            heap: AtomicPtr::new(core::ptr::null_mut()),
            thread_free: RemoteFrees::new(),
            next: Cell::new(core::ptr::null_mut()),
            prev: Cell::new(core::ptr::null_mut()),
            notify_next: AtomicPtr::new(core::ptr::null_mut()),
            _shared_line: LineBreak,
        }
    }
}

/// Header of a segment of arenas, at the segment's first byte.
#[repr(C)]
pub(crate) struct Segment {
    /// [`KIND_ARENAS`].
    pub kind: usize,
    /// Next segment in the pool (pool lock).
    pub next: Cell<*mut Segment>,
    /// Bit i: slot i is free (pool lock).
    pub free_slots: Cell<u64>,
    /// Bit i: free slot i may hold resident pages (pool lock).
    pub dirty_slots: Cell<u64>,
    /// When each free slot was released, in milliseconds (pool lock).
    pub stamps_ms: [Cell<u64>; SLOTS_PER_SEGMENT],
    /// When each free slot was released, in pool releases (pool lock).
    pub stamps_rel: [Cell<u64>; SLOTS_PER_SEGMENT],
    /// Bytes of each free dirty slot that were ever touched (pool lock).
    pub touched: [Cell<u32>; SLOTS_PER_SEGMENT],
    /// For each slot in use, the first slot of its arena.
    pub slot_map: [Cell<u8>; SLOTS_PER_SEGMENT],
    /// For each slot in use, its arena's metadata: what `free` looks up,
    /// one load instead of finding the arena's first slot.
    pub arena_of: [Cell<*const Arena>; SLOTS_PER_SEGMENT],
    /// Arena metadata, indexed by first slot.
    pub arenas: [Arena; SLOTS_PER_SEGMENT],
}

/// Header of a large object's mapping, at a 4 MiB boundary just below the
/// object (see [`crate::large`]).
#[repr(C)]
pub(crate) struct LargeHeader {
    /// [`KIND_LARGE`].
    pub kind: usize,
    /// Start and length of the whole mapping.
    pub map_base: *mut u8,
    pub map_len: usize,
    /// Bytes at the end of the mapping that a shrinking realloc kept
    /// mapped outside the object (its usable size ends before them).
    /// Written by the owner, under the large lock.
    pub slack: usize,
    /// Of the slack, the bytes no harvest has purged since (counted in
    /// `Counters::slack_resident`). Large lock.
    pub slack_resident: usize,
    /// Heap that allocated it (for snapshots); may be the empty heap.
    pub heap: *mut Heap,
    /// Links in the global list of large objects (large lock).
    pub next: *mut LargeHeader,
    pub prev: *mut LargeHeader,
}

impl LargeHeader {
    /// Bytes from the mapping's start that the object may use: all but
    /// the slack at the end.
    pub fn extent(&self) -> usize {
        self.map_len - self.slack
    }
}

/// A thread's heap.
#[repr(C)]
pub(crate) struct Heap {
    /// Per class, the arena the fast path pops from.
    pub current: UnsafeCell<[*mut Arena; NCLASSES]>,
    /// Per class, the head of the list of non-full arenas.
    pub queues: UnsafeCell<[*mut Arena; NCLASSES]>,
    /// Full arenas that received remote frees (lock-free stack).
    pub notified: AtomicPtr<Arena>,
    /// Owned by a live thread.
    pub attached: AtomicBool,
    /// `pthread_self` of the owner while attached.
    pub owner: AtomicUsize,
    /// Next heap in the list of all heaps ever made (never removed).
    pub all_next: AtomicPtr<Heap>,
    /// Next heap in the abandoned stack (abandoned lock).
    pub abandoned_next: Cell<*mut Heap>,
    /// This is the static empty heap.
    pub is_empty: bool,
}

/// `Sync` wrapper for statics holding metadata reached through raw
/// pointers only.
#[repr(transparent)]
pub(crate) struct Static<T>(pub T);
// SAFETY: the wrapped metadata is only accessed through raw pointers by the
// protocols documented on each type (owner-only cells, atomics elsewhere).
unsafe impl<T> Sync for Static<T> {}

const _: () = assert!(core::mem::size_of::<Segment>() <= SLOT_SIZE);
const _: () = assert!(core::mem::size_of::<Arena>() == 192);
const _: () = assert!(core::mem::size_of::<LargeHeader>() <= 4096);

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy)]
    struct SendPtr(*mut Block);
    // SAFETY: the test's threads write disjoint blocks.
    unsafe impl Send for SendPtr {}

    #[test]
    fn remote_frees_hand_over_every_block_with_its_count() {
        const THREADS: usize = 4;
        // At most 2^16 - 1 blocks, as in an arena.
        const PER: usize = if cfg!(miri) { 50 } else { 16_000 };
        let mut blocks: Vec<Block> = (0..THREADS * PER)
            .map(|_| Block {
                next: core::ptr::null_mut(),
            })
            .collect();
        let base = blocks.as_mut_ptr();
        let list = RemoteFrees::new();
        let (mut taken, mut seen) = (0usize, std::collections::HashSet::new());
        let mut take = |list: &RemoteFrees| {
            let (mut b, n) = list.take();
            let mut walked = 0;
            while !b.is_null() {
                assert!(seen.insert(b as usize), "block handed over twice");
                walked += 1;
                // SAFETY: b is one of `blocks`, linked by push.
                b = unsafe { (*b).next };
            }
            assert_eq!(walked, n, "count and list length agree");
            taken += walked as usize;
        };
        std::thread::scope(|s| {
            for t in 0..THREADS {
                let (list, base) = (&list, SendPtr(base));
                s.spawn(move || {
                    let base = base;
                    for i in 0..PER {
                        let b = base.0.wrapping_add(t * PER + i);
                        // SAFETY: each block is pushed once, by one thread.
                        unsafe { list.push(b) };
                    }
                });
            }
            for _ in 0..if cfg!(miri) { 10 } else { 1000 } {
                take(&list);
            }
        });
        take(&list);
        assert_eq!(taken, THREADS * PER);
        assert!(list.is_empty(Ordering::Relaxed));
    }
}
