//! The slow paths of allocation, above every layer: they give a thread its
//! heap, find or make an arena or a large mapping, and then settle the
//! debt of fresh pages that the layers below recorded
//! ([`crate::reclaim::settle_debt`]).

use crate::large::{self, Request};
use crate::types::Heap;
use crate::{heap, reclaim, thread};

/// Allocates a block of class `class` when the current arena of `h` has
/// none free. Null when out of memory.
///
/// # Safety
/// `h` must be the calling thread's heap (possibly the empty heap).
#[cold]
#[inline(never)]
pub(crate) unsafe fn alloc_small(h: *mut Heap, class: usize) -> *mut u8 {
    // SAFETY: h is the calling thread's heap (caller's contract).
    let h = if unsafe { (*h).is_empty } {
        let h = thread::init_heap();
        if h.is_null() {
            return h.cast();
        }
        h
    } else {
        h
    };
    // SAFETY: h is now the calling thread's real heap.
    let b = unsafe { heap::alloc_from_arenas(h, class) };
    reclaim::settle_debt(reclaim::DEBT_BATCH);
    b
}

/// Allocates a large object of `size` bytes aligned to `align` (see
/// [`large::alloc`]). A fresh mapping's pages are about to be touched in
/// bulk, so whatever debt there is gets paid at once.
pub(crate) fn alloc_large(size: usize, align: usize, request: Request) -> *mut u8 {
    let p = large::alloc(size, align, thread::owning_heap(), request);
    reclaim::settle_debt(1);
    p
}
