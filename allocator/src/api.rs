//! The malloc family, with C semantics, over heaps, arenas and large
//! objects. Both faces (the global allocator and the preload library) call
//! these.

use core::ptr::null_mut;

use crate::large::Request;
use crate::size_class::{class_of, class_size, MAX_CLASS_SIZE};
use crate::types::{
    Arena, Block, LargeHeader, Segment, MIN_ALIGN, SLOTS_PER_SEGMENT, SLOT_SHIFT, SLOT_SIZE,
};
use crate::{arena, heap, large, registry, slow_path, thread};

/// Requests above this size that grow a block by `realloc` are served as
/// large objects (see [`realloc`]).
pub const REALLOC_LARGE: usize = 16 * 1024;

/// Where a pointer came from.
enum Owner {
    Arena(*const Arena),
    Large(*mut LargeHeader),
    Foreign,
}

#[inline(always)]
fn owner_of(p: *mut u8) -> Owner {
    let (h, kind) = registry::lookup(p);
    if kind == registry::ARENAS {
        let slot = (p as usize - h) >> SLOT_SHIFT;
        // `p` exactly at the segment's end is the start of the next chunk.
        if slot >= SLOTS_PER_SEGMENT {
            return Owner::Foreign;
        }
        // SAFETY: the registry only lists live headers of ours, and slot is
        // in range.
        return Owner::Arena(unsafe {
            (*(h as *const Segment)).arena_of.get_unchecked(slot).get()
        });
    }
    if kind == registry::LARGE {
        let l = h as *mut LargeHeader;
        // The rest of the header's 4 MiB chunk may hold others' mappings.
        // SAFETY: a registered large header is mapped.
        if p as usize >= unsafe { (*l).map_base as usize + (*l).map_len } {
            return Owner::Foreign;
        }
        return Owner::Large(l);
    }
    Owner::Foreign
}

/// Allocates `size` bytes aligned to 16 (8 for sizes up to 8). Null when
/// out of memory.
#[inline]
pub fn malloc(size: usize) -> *mut u8 {
    if size <= MAX_CLASS_SIZE {
        // SAFETY: the heap is the calling thread's.
        unsafe {
            let h = thread::current_heap();
            let class = class_of(size);
            let mut b = heap::pop(h, class);
            if b.is_null() {
                b = slow_path::alloc_small(h, class);
            }
            crate::poison::addressable(b, class_size(class));
            b
        }
    } else {
        slow_path::alloc_large(size, MIN_ALIGN, Request::Fresh)
    }
}

/// Frees a block from this allocator. Null and pointers this allocator did
/// not hand out are ignored.
///
/// # Safety
/// `p` must be null, foreign, or a live pointer returned by this allocator
/// and not freed since.
#[inline(always)]
pub unsafe fn free(p: *mut u8) {
    match owner_of(p) {
        Owner::Arena(a) => {
            // SAFETY: p is a live block of arena a (caller's contract).
            unsafe {
                let a = &*a;
                // Blocks are only ever handed out at their start (see
                // `aligned_alloc`).
                let b = p as *mut Block;
                crate::poison::free_block(p, a.block_size.get() as usize);
                let h = thread::current_heap();
                if a.heap.load(core::sync::atomic::Ordering::Relaxed) == h {
                    heap::free_local(h, a, b);
                } else {
                    heap::free_remote(a, b);
                }
            }
        }
        // SAFETY: p is a live large object (caller's contract).
        Owner::Large(h) => unsafe { large::free(h) },
        Owner::Foreign => {}
    }
}

/// Bytes usable at `p` (at least the size requested); 0 for null and
/// foreign pointers.
///
/// # Safety
/// As [`free`].
pub unsafe fn usable_size(p: *mut u8) -> usize {
    match owner_of(p) {
        // SAFETY: p is a live block of a (caller's contract).
        Owner::Arena(a) => arena::usable_from(unsafe { &*a }, p),
        // SAFETY: p is a live large object (caller's contract).
        Owner::Large(h) => unsafe { large::usable_from(h, p) },
        Owner::Foreign => 0,
    }
}

/// Allocates `n * size` zeroed bytes; null on overflow or out of memory.
pub fn calloc(n: usize, size: usize) -> *mut u8 {
    let Some(total) = n.checked_mul(size) else {
        return null_mut();
    };
    if total > MAX_CLASS_SIZE {
        return slow_path::alloc_large(total, MIN_ALIGN, Request::Zeroed);
    }
    let p = malloc(total);
    if !p.is_null() {
        // SAFETY: p holds at least `total` bytes.
        unsafe { core::ptr::write_bytes(p, 0, total) };
    }
    p
}

/// Allocates `size` bytes aligned to `align` (a power of two). Null when
/// out of memory or `align` is not a power of two.
pub fn aligned_alloc(align: usize, size: usize) -> *mut u8 {
    if !align.is_power_of_two() {
        return null_mut();
    }
    if align <= MIN_ALIGN {
        return malloc(if align > 8 { size.max(16) } else { size });
    }
    if size <= MAX_CLASS_SIZE && align < SLOT_SIZE {
        // A request rounded up to a multiple of `align` gets a class that is
        // a multiple of `align` (`size_class` pins this), and arenas start
        // on 64 KiB boundaries: its blocks are aligned. So no block is ever
        // handed out inside, and `free` never looks for a block's start.
        let s = size.max(1).next_multiple_of(align);
        if s <= MAX_CLASS_SIZE {
            debug_assert!(class_size(class_of(s)) % align == 0);
            return malloc(s);
        }
    }
    slow_path::alloc_large(size, align, Request::Fresh)
}

/// Resizes the block at `p` to `size` bytes, keeping its contents, in place
/// when it fits. `realloc(null, n)` is `malloc(n)`; `realloc(p, 0)` frees
/// `p` and returns null (as glibc). A foreign `p` cannot be resized: null is
/// returned and `p` is left alone.
///
/// # Safety
/// As [`free`].
pub unsafe fn realloc(p: *mut u8, size: usize) -> *mut u8 {
    if p.is_null() {
        return malloc(size);
    }
    if size == 0 {
        // SAFETY: caller's contract.
        unsafe { free(p) };
        return null_mut();
    }
    if size > REALLOC_LARGE {
        if let Owner::Large(h) = owner_of(p) {
            // SAFETY: p is a live large object (caller's contract).
            let q = unsafe { large::realloc(h, p, size) };
            if !q.is_null() {
                return q;
            }
        }
    }
    // SAFETY: caller's contract.
    let old = unsafe { usable_size(p) };
    if old == 0 {
        return null_mut();
    }
    if size <= old && (size > old / 2 || old <= 16) {
        return p;
    }
    // A block growing past REALLOC_LARGE becomes a large object: later
    // growth is then an `mremap` that neither copies nor leaves a block of
    // every class on the way resident.
    let q = if size > old && size > REALLOC_LARGE {
        slow_path::alloc_large(size, MIN_ALIGN, Request::Growing)
    } else {
        malloc(size)
    };
    if !q.is_null() {
        // SAFETY: both blocks hold at least min(old, size) bytes and are
        // distinct.
        unsafe {
            core::ptr::copy_nonoverlapping(p, q, old.min(size));
            free(p);
        }
    }
    q
}
