//! `memento-alloc` as the functions' `#[global_allocator]` (cargo feature
//! `memento-alloc`), visible to the capture tool.
//!
//! The capture tool wraps libc's, libstdc++'s, CPython's and jemalloc's
//! entry points, not a Rust global allocator. [`Bracketed`] therefore
//! makes each call itself tell the tool what it does, with the same
//! Valgrind client requests the tool's wrappers make
//! (`traces/capture/c/memento_requests.h`): *enter* (entry point, call site
//! unknown, level `memento`) before the allocator runs and *leave* (size,
//! alignment, address) after, so a trace holds the allocator's own
//! instructions and accesses inside allocator brackets and one
//! alloc / free / realloc event per call. Outside Valgrind each request is
//! a few no-op instructions.
//!
//! The leave request's arguments are stored before the enter request, so
//! at most one store of the wrapper (the returned address) and a few of its
//! instructions fall inside a bracket.

use core::alloc::{GlobalAlloc, Layout};

use memento_client_request::{request, ENTER, LEAVE_ALLOC, LEAVE_FREE, LEAVE_REALLOC};

/// Entry-point numbers of the trace format (`traces/FORMAT.md`).
const FN_MALLOC: u64 = 1;
const FN_CALLOC: u64 = 2;
const FN_REALLOC: u64 = 3;
const FN_FREE: u64 = 4;
const FN_ALIGNED_ALLOC: u64 = 6;
/// Allocator level `memento` of the trace format.
const LEVEL_MEMENTO: u64 = 5;

/// Alignment every block has without asking (recorded as 0, "none").
const PLAIN_ALIGN: usize = 16;

/// Wraps a global allocator so that the capture tool records its calls.
#[derive(Clone, Copy, Debug, Default)]
pub struct Bracketed<A>(pub A);

fn enter(function: u64) {
    request(&[ENTER, function, 0, LEVEL_MEMENTO, 0, 0]);
}

/// The alignment to record: 0 when the caller asked for no more than
/// every block has.
fn recorded_align(layout: Layout) -> u64 {
    if layout.align() <= PLAIN_ALIGN {
        0
    } else {
        layout.align() as u64
    }
}

/// The entry point an allocation of `layout` stands for.
fn alloc_function(layout: Layout, zeroed: bool) -> u64 {
    match (recorded_align(layout), zeroed) {
        (0, false) => FN_MALLOC,
        (0, true) => FN_CALLOC,
        _ => FN_ALIGNED_ALLOC,
    }
}

impl<A: GlobalAlloc> Bracketed<A> {
    fn bracketed_alloc(&self, layout: Layout, zeroed: bool) -> *mut u8 {
        let mut leave = [
            LEAVE_ALLOC,
            layout.size() as u64,
            recorded_align(layout),
            0,
            0,
            0,
        ];
        enter(alloc_function(layout, zeroed));
        // SAFETY: forwarded from the caller's GlobalAlloc contract.
        let p = unsafe {
            if zeroed {
                self.0.alloc_zeroed(layout)
            } else {
                self.0.alloc(layout)
            }
        };
        leave[3] = p as u64;
        request(&leave);
        p
    }
}

// SAFETY: every call is forwarded to the wrapped allocator unchanged; the
// requests around it touch no memory of the caller.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Bracketed<A> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.bracketed_alloc(layout, false)
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        self.bracketed_alloc(layout, true)
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let leave = [LEAVE_FREE, ptr as u64, 0, 0, 0, 0];
        enter(FN_FREE);
        // SAFETY: forwarded from the caller's GlobalAlloc contract.
        unsafe { self.0.dealloc(ptr, layout) };
        request(&leave);
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let mut leave = [LEAVE_REALLOC, ptr as u64, 0, new_size as u64, 0, 0];
        enter(FN_REALLOC);
        // SAFETY: forwarded from the caller's GlobalAlloc contract.
        let q = unsafe { self.0.realloc(ptr, layout, new_size) };
        leave[2] = q as u64;
        request(&leave);
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::alloc::System;

    #[test]
    fn calls_reach_the_wrapped_allocator_and_requests_are_no_ops_natively() {
        let a = Bracketed(System);
        let layout = Layout::from_size_align(100, 8).unwrap();
        // SAFETY: a valid layout; the block is freed with it.
        unsafe {
            let p = a.alloc_zeroed(layout);
            assert!(!p.is_null());
            assert!(std::slice::from_raw_parts(p, 100).iter().all(|&b| b == 0));
            let q = a.realloc(p, layout, 4000);
            assert!(!q.is_null());
            a.dealloc(q, Layout::from_size_align(4000, 8).unwrap());
        }
    }

    #[test]
    fn entry_points_follow_alignment_and_zeroing() {
        let plain = Layout::from_size_align(24, 8).unwrap();
        let wide = Layout::from_size_align(24, 64).unwrap();
        assert_eq!(alloc_function(plain, false), FN_MALLOC);
        assert_eq!(alloc_function(plain, true), FN_CALLOC);
        assert_eq!(alloc_function(wide, false), FN_ALIGNED_ALLOC);
        assert_eq!(recorded_align(wide), 64);
    }
}
