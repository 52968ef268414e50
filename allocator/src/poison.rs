//! AddressSanitizer's view of free blocks (feature `asan`, used by
//! `scripts/sanitize.sh`): a free block is poisoned past its first two
//! words (the free-list link and the purge tag, which the allocator itself
//! reads), a block handed out is unpoisoned whole, and every mapping is
//! unpoisoned when made and when unmapped, so stale poison never outlives
//! a layout. ASan then reports a use after free or an overflow into a free
//! neighbour, by the program or by our own code. Without the feature these
//! are empty and vanish.
//!
//! Granularity is the block: a request rounded up to its class may use the
//! slack, as `malloc_usable_size` allows. Large objects and freed large
//! mappings are not poisoned.

#[cfg(feature = "asan")]
extern "C" {
    fn __asan_poison_memory_region(addr: *const u8, size: usize);
    fn __asan_unpoison_memory_region(addr: *const u8, size: usize);
}

/// Bytes at the start of a free block that stay addressable.
#[cfg(feature = "asan")]
const KEPT: usize = 2 * core::mem::size_of::<usize>();

/// Marks free block `b` of `size` bytes as unaddressable past its link
/// and purge tag.
#[inline(always)]
pub(crate) fn free_block(b: *mut u8, size: usize) {
    #[cfg(feature = "asan")]
    if size > KEPT {
        // SAFETY: ASan's runtime only updates its shadow for the range.
        unsafe { __asan_poison_memory_region(b.wrapping_add(KEPT), size - KEPT) };
    }
    #[cfg(not(feature = "asan"))]
    let _ = (b, size);
}

/// Marks `[p, p + size)` addressable: a block handed out, a fresh or
/// unmapped range.
#[inline(always)]
pub(crate) fn addressable(p: *mut u8, size: usize) {
    #[cfg(feature = "asan")]
    if !p.is_null() {
        // SAFETY: as in free_block.
        unsafe { __asan_unpoison_memory_region(p, size) };
    }
    #[cfg(not(feature = "asan"))]
    let _ = (p, size);
}
