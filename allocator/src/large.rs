//! Large objects: requests above the largest class get their own mapping.
//!
//! Layout: a 4 MiB-aligned mapping whose first page is a [`LargeHeader`];
//! the object starts at `max(page, align)` bytes in, so it lies at most
//! 4 MiB past its header and [`crate::registry`] finds the header the same
//! way as a segment's. For alignments above 4 MiB the mapping is aligned to
//! the request and the header sits 4 MiB below the object.

use core::ptr::null_mut;
use core::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use crate::lock::SpinLock;
use crate::types::{Heap, LargeHeader, KIND_LARGE, MIN_ALIGN, SEGMENT_SIZE};
use crate::{os, registry};

/// Guards the list of large objects.
pub(crate) static LOCK: SpinLock = SpinLock::new();
static LIST: crate::types::Static<core::cell::Cell<*mut LargeHeader>> =
    crate::types::Static(core::cell::Cell::new(null_mut()));
/// Bytes of large mappings live.
pub(crate) static MAPPED: AtomicUsize = AtomicUsize::new(0);
/// Large objects live.
pub(crate) static COUNT: AtomicUsize = AtomicUsize::new(0);

/// Maps a zeroed large object of `size` bytes aligned to `align` (a power
/// of two). Null when the OS refuses or the sizes overflow.
pub(crate) fn alloc(size: usize, align: usize, heap: *mut Heap) -> *mut u8 {
    let page = os::page_size();
    let align = align.max(MIN_ALIGN);
    let (offset, map_align, header_off) = if align <= SEGMENT_SIZE {
        (align.max(page), SEGMENT_SIZE, 0)
    } else {
        (align, align, align - SEGMENT_SIZE)
    };
    let Some(len) = size
        .checked_add(page - 1)
        .map(|s| s & !(page - 1))
        .and_then(|s| s.checked_add(offset))
    else {
        return null_mut();
    };
    let base = os::map_aligned(len, map_align);
    if base.is_null() {
        return base;
    }
    // SAFETY: base..base+len is a fresh mapping; the header page is ours.
    unsafe {
        let h = base.add(header_off) as *mut LargeHeader;
        h.write(LargeHeader {
            kind: KIND_LARGE,
            map_base: base,
            map_len: len,
            heap,
            next: null_mut(),
            prev: null_mut(),
        });
        LOCK.lock();
        let top = LIST.0.get();
        (*h).next = top;
        if !top.is_null() {
            (*top).prev = h;
        }
        LIST.0.set(h);
        LOCK.unlock();
        registry::insert(h as usize);
        MAPPED.fetch_add(len, Relaxed);
        COUNT.fetch_add(1, Relaxed);
        base.add(offset)
    }
}

/// Unmaps the large object governed by `h`.
///
/// # Safety
/// `h` must be the header of a live large object, freed once.
pub(crate) unsafe fn free(h: *mut LargeHeader) {
    // SAFETY: guaranteed by the caller.
    unsafe {
        LOCK.lock();
        let (prev, next) = ((*h).prev, (*h).next);
        if prev.is_null() {
            LIST.0.set(next);
        } else {
            (*prev).next = next;
        }
        if !next.is_null() {
            (*next).prev = prev;
        }
        LOCK.unlock();
        registry::remove(h as usize);
        let (base, len) = ((*h).map_base, (*h).map_len);
        MAPPED.fetch_sub(len, Relaxed);
        COUNT.fetch_sub(1, Relaxed);
        os::unmap(base, len);
    }
}

/// Bytes usable from `p` to the end of its large object.
///
/// # Safety
/// `h` must be the header of the live large object holding `p`.
pub(crate) unsafe fn usable_from(h: *mut LargeHeader, p: *mut u8) -> usize {
    // SAFETY: guaranteed by the caller.
    unsafe { (*h).map_base as usize + (*h).map_len - p as usize }
}

/// Calls `f` on every live large object, large lock held.
pub(crate) fn for_each(mut f: impl FnMut(*mut LargeHeader)) {
    LOCK.lock();
    let mut h = LIST.0.get();
    while !h.is_null() {
        // SAFETY: listed headers are live; the lock is held.
        let next = unsafe { (*h).next };
        f(h);
        h = next;
    }
    LOCK.unlock();
}
