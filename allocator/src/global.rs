//! Face one: the Rust global allocator.

use core::alloc::{GlobalAlloc, Layout};

use crate::api;
use crate::types::MIN_ALIGN;

/// The Memento allocator as a Rust global allocator.
///
/// ```
/// use memento_alloc::Memento;
///
/// #[global_allocator]
/// static GLOBAL: Memento = Memento;
///
/// fn main() {
///     // A serverless-style function: parse, transform, answer.
///     let records: Vec<String> = (0..1000).map(|i| format!("{{\"id\":{i}}}")).collect();
///     let total: usize = records.iter().map(|r| r.len()).sum();
///     assert!(total > 0);
/// }
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Memento;

/// Size to ask `malloc` for so that the block honours `layout.align()`
/// when it is at most 16 (the 8-byte class is only 8-aligned).
#[inline(always)]
fn small_size(layout: Layout) -> usize {
    if layout.align() > 8 {
        layout.size().max(16)
    } else {
        layout.size()
    }
}

// SAFETY: every method returns blocks of at least `layout.size()` bytes
// aligned to `layout.align()` or null, and frees only what it was given.
unsafe impl GlobalAlloc for Memento {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= MIN_ALIGN {
            api::malloc(small_size(layout))
        } else {
            api::aligned_alloc(layout.align(), layout.size())
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: ptr came from this allocator (GlobalAlloc contract).
        unsafe { api::free(ptr) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= MIN_ALIGN {
            api::calloc(1, small_size(layout))
        } else {
            let p = api::aligned_alloc(layout.align(), layout.size());
            if !p.is_null() {
                // SAFETY: p holds layout.size() bytes.
                unsafe { core::ptr::write_bytes(p, 0, layout.size()) };
            }
            p
        }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= MIN_ALIGN {
            let size = if layout.align() > 8 {
                new_size.max(16)
            } else {
                new_size
            };
            // SAFETY: ptr came from this allocator; new_size > 0 by contract.
            return unsafe { api::realloc(ptr, size) };
        }
        // SAFETY: ptr is live and came from this allocator.
        let old = unsafe { api::usable_size(ptr) };
        if new_size <= old && new_size > old / 2 {
            return ptr;
        }
        let q = api::aligned_alloc(layout.align(), new_size);
        if !q.is_null() {
            // SAFETY: distinct blocks of at least min(size, new_size) bytes.
            unsafe {
                core::ptr::copy_nonoverlapping(ptr, q, layout.size().min(new_size));
                api::free(ptr);
            }
        }
        q
    }
}
