//! Operations on one arena by its owner: refill, block boundaries.

use core::ptr::null_mut;
use core::sync::atomic::Ordering::{Acquire, Relaxed};

use crate::types::{Arena, Block};

/// Carve at most this many bytes of new blocks at once, so a fresh arena
/// touches its pages one at a time.
const EXTEND_BYTES: usize = 4096;

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
            if !a.thread_free.load(Relaxed).is_null() {
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
    let list = a.thread_free.swap(null_mut(), Acquire);
    if list.is_null() {
        return;
    }
    let mut n = 1u32;
    let mut tail = list;
    // SAFETY: every block on the list was freed into this arena and is
    // linked through its first word; the Acquire swap made the links visible.
    unsafe {
        while !(*tail).next.is_null() {
            tail = (*tail).next;
            n += 1;
        }
        (*tail).next = a.free.get();
    }
    a.free.set(list);
    a.used.store(a.used.load(Relaxed) - n, Relaxed);
}

/// Carves fresh blocks onto the free list; false when none are left.
unsafe fn extend(a: &Arena) -> bool {
    let cap = a.capacity.get() as usize;
    let left = a.reserved.get() as usize - cap;
    if left == 0 {
        return false;
    }
    let bs = a.block_size.get() as usize;
    let n = left.min((EXTEND_BYTES / bs).max(1));
    let first = a.start.get().wrapping_add(cap * bs);
    // SAFETY: blocks cap..cap+n lie inside the arena's slots and were never
    // handed out; linking them writes only their first words.
    unsafe {
        for i in 0..n {
            let b = first.add(i * bs) as *mut Block;
            (*b).next = if i + 1 < n {
                first.add((i + 1) * bs) as *mut Block
            } else {
                a.free.get()
            };
        }
    }
    a.free.set(first as *mut Block);
    // Pages first touched now, beyond what was resident at acquisition.
    let before = crate::pool::touched_bytes(a);
    a.capacity.set((cap + n) as u32);
    let after = crate::pool::touched_bytes(a);
    if after > before {
        crate::pool::carved_fresh(after - before);
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
