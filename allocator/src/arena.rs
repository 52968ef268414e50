//! Operations on one arena by its owner: refill, block boundaries.

use core::ptr::null_mut;
use core::sync::atomic::Ordering::Relaxed;

use crate::types::{Arena, Block};

/// Carve at most this many bytes of new blocks at once, so a fresh arena
/// touches its pages one at a time.
const EXTEND_BYTES: usize = 4096;

/// Free blocks at least this large give back the pages inside them when
/// the slow paths pay back fresh pages ([`crate::reclaim`]): a heap that
/// coalesces would reuse that space for any size, a size class only for
/// its own. Measured on chameleon: the free blocks of the 8-64 KiB classes
/// held 870 KB of the 930 KB by which its RSS exceeded glibc's.
pub(crate) const PURGEABLE_BLOCK: usize = 8192;

/// Second word of a free block whose inner pages are not resident
/// ("memento!" xor its address). Written only into free blocks; a block
/// whose owner left the word unchanged is merely skipped by later purges.
const PURGED_TAG: usize = 0x6d65_6d65_6e74_6f21;

/// The whole pages of block `b` past its free-list link: what a purge may
/// drop while the block sits on a free list.
fn inner_pages(b: *mut Block, bs: usize) -> (usize, usize) {
    let p = crate::os::page_size();
    let lo = (b as usize + 2 * core::mem::size_of::<usize>()).next_multiple_of(p);
    let hi = (b as usize + bs) / p * p;
    (lo, hi.max(lo))
}

/// The second word of free block `b`, where [`PURGED_TAG`] goes.
fn tag_word(b: *mut Block) -> *mut usize {
    (b as *mut usize).wrapping_add(1)
}

/// Marks free block `b` as holding no resident inner pages.
///
/// # Safety
/// `b` must be a free block of at least [`PURGEABLE_BLOCK`] bytes.
unsafe fn mark_purged(b: *mut Block) {
    // SAFETY: the block is free and spans more than two words.
    unsafe { tag_word(b).write(b as usize ^ PURGED_TAG) }
}

/// Whether free block `b` was marked by [`mark_purged`] since it was freed.
///
/// # Safety
/// As [`mark_purged`].
unsafe fn is_purged(b: *mut Block) -> bool {
    // SAFETY: as mark_purged.
    unsafe { tag_word(b).read() == b as usize ^ PURGED_TAG }
}

/// Purges the inner pages of the free blocks of `a` not purged since they
/// were freed, until at least `want` bytes went; returns the bytes
/// released (counted as purged). Arenas of classes below
/// [`PURGEABLE_BLOCK`] are left alone. Owner only.
///
/// # Safety
/// As [`refill`].
pub(crate) unsafe fn purge_free_blocks(a: &Arena, want: usize) -> usize {
    let bs = a.block_size.get() as usize;
    if bs < PURGEABLE_BLOCK {
        return 0;
    }
    let mut released = 0;
    let mut b = a.free.get();
    // SAFETY: the local free list holds free blocks of `a` linked through
    // their first words; purging leaves those words (first page) intact.
    unsafe {
        while !b.is_null() && released < want {
            if !is_purged(b) {
                let (lo, hi) = inner_pages(b, bs);
                if hi > lo && crate::stats::purge_counted(lo as *mut u8, hi - lo, hi - lo) {
                    released += hi - lo;
                }
                mark_purged(b);
            }
            b = (*b).next;
        }
    }
    released
}

/// Pops a free block from `a`, collecting remote frees and carving new
/// blocks as needed. Null when the arena is full. Owner only.
///
/// # Safety
/// `a` must be an arena in use owned by the calling thread's heap.
#[inline]
pub(crate) unsafe fn refill(a: &Arena) -> *mut Block {
    if a.free.get().is_null() {
        // SAFETY: forwarded from the caller.
        unsafe {
            if !a.thread_free.is_empty(Relaxed) {
                collect(a);
            }
            if a.free.get().is_null() && !extend(a) {
                return null_mut();
            }
        }
    }
    let b = a.free.get();
    // SAFETY: b is a free block of this arena; its first word is its link.
    unsafe { a.free.set((*b).next) };
    a.used.store(a.used.load(Relaxed) + 1, Relaxed);
    b
}

/// Moves the remote frees of `a` onto its local free list. Owner only.
///
/// # Safety
/// As [`refill`].
pub(crate) unsafe fn collect(a: &Arena) {
    let (list, n) = a.thread_free.take();
    if list.is_null() {
        return;
    }
    if a.used.load(Relaxed) == n {
        // Every block out came back: start carving again from block 0
        // rather than pop the list. Popping follows a chain of loads from
        // lines last written by the freeing cores, one stall per block;
        // carving writes links in address order, which the core streams.
        // The pages stay counted as touched (`warm`), not fresh.
        a.warm.store(crate::pool::touched_bytes(a) as u32, Relaxed);
        a.free.set(null_mut());
        a.capacity.store(0, Relaxed);
        a.used.store(0, Relaxed);
        return;
    }
    // Refill collects only once the local list ran dry: then the remote
    // list simply becomes it, unwalked.
    if !a.free.get().is_null() {
        let mut tail = list;
        // SAFETY: every block on the list was freed into this arena and is
        // linked through its first word; `take` made the links visible.
        unsafe {
            while !(*tail).next.is_null() {
                tail = (*tail).next;
            }
            (*tail).next = a.free.get();
        }
    }
    a.free.set(list);
    a.used.store(a.used.load(Relaxed) - n, Relaxed);
}

/// Carves fresh blocks onto the free list; false when none are left.
unsafe fn extend(a: &Arena) -> bool {
    let cap = a.capacity.load(Relaxed) as usize;
    let left = a.reserved.get() as usize - cap;
    if left == 0 {
        return false;
    }
    let bs = a.block_size.get() as usize;
    let n = left.min((EXTEND_BYTES / bs).max(1));
    let first = a.start.get().wrapping_add(cap * bs);
    // A slot run may have held another class's blocks: clear their poison.
    crate::poison::addressable(first, n * bs);
    // SAFETY: blocks cap..cap+n lie inside the arena's slots and were never
    // handed out; linking them writes only their first words.
    unsafe {
        for i in 0..n {
            let b = first.add(i * bs) as *mut Block;
            crate::poison::free_block(b.cast(), bs);
            (*b).next = if i + 1 < n {
                first.add((i + 1) * bs) as *mut Block
            } else {
                a.free.get()
            };
        }
    }
    a.free.set(first as *mut Block);
    if bs >= PURGEABLE_BLOCK {
        // Inner pages past the arena's resident prefix were never touched.
        let warm = a.start.get() as usize + a.warm.load(Relaxed) as usize;
        for i in 0..n {
            let b = first.wrapping_add(i * bs) as *mut Block;
            if inner_pages(b, bs).0 >= warm {
                // SAFETY: b was just carved and is free.
                unsafe { mark_purged(b) };
            }
        }
    }
    // Pages first touched now, beyond what was resident at acquisition.
    let before = crate::pool::touched_bytes(a);
    a.capacity.store((cap + n) as u32, Relaxed);
    let after = crate::pool::touched_bytes(a);
    if after > before {
        crate::stats::COUNTERS.owe(after - before);
    }
    true
}

/// The start of the block holding `p` (for interior pointers handed out
/// by aligned allocation).
#[inline]
pub(crate) fn block_start(a: &Arena, p: *mut u8) -> *mut u8 {
    let start = a.start.get() as usize;
    let bs = a.block_size.get() as usize;
    (start + (p as usize - start) / bs * bs) as *mut u8
}

/// Bytes usable from `p` to the end of its block.
#[inline]
pub(crate) fn usable_from(a: &Arena, p: *mut u8) -> usize {
    let start = block_start(a, p);
    a.block_size.get() as usize - (p as usize - start as usize)
}
