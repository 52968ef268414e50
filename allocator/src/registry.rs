//! Which 4 MiB chunks of the address space hold our headers.
//!
//! One bit per 4 MiB of the 47-bit user address space: a 4 MiB table in
//! `.bss`, of which only the pages covering our own mappings ever become
//! resident. It lets `free` recognise pointers we did not allocate without
//! touching their memory.

use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::types::{SEGMENT_SHIFT, SEGMENT_SIZE};

const ADDRESS_BITS: usize = 47;
const CHUNKS: usize = 1 << (ADDRESS_BITS - SEGMENT_SHIFT);
static MAP: [AtomicU64; CHUNKS / 64] = [const { AtomicU64::new(0) }; CHUNKS / 64];

/// Records that the 4 MiB-aligned `header` starts one of our mappings.
pub(crate) fn insert(header: usize) {
    let i = header >> SEGMENT_SHIFT;
    if i < CHUNKS {
        MAP[i / 64].fetch_or(1 << (i % 64), Relaxed);
    }
}

/// Forgets `header` (before its mapping is unmapped).
pub(crate) fn remove(header: usize) {
    let i = header >> SEGMENT_SHIFT;
    if i < CHUNKS {
        MAP[i / 64].fetch_and(!(1 << (i % 64)), Relaxed);
    }
}

/// The header governing pointer `p`, or null if `p` is not ours.
///
/// Blocks never start at a segment's first byte (slot 0 is the header),
/// and large objects start at most 4 MiB after their header, so the header
/// of `p` is the 4 MiB boundary at or below `p - 1`.
#[inline]
pub(crate) fn header_of(p: *mut u8) -> *mut usize {
    let h = (p as usize).wrapping_sub(1) & !(SEGMENT_SIZE - 1);
    let i = h >> SEGMENT_SHIFT;
    if i < CHUNKS && MAP[i / 64].load(Relaxed) & (1 << (i % 64)) != 0 {
        h as *mut usize
    } else {
        core::ptr::null_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_inserted_chunks_are_recognised() {
        let h = 0x7000_0000_0000usize - 41 * SEGMENT_SIZE;
        assert!(header_of((h + 100) as *mut u8).is_null());
        insert(h);
        assert_eq!(header_of((h + 100) as *mut u8) as usize, h);
        assert_eq!(header_of((h + SEGMENT_SIZE) as *mut u8) as usize, h);
        assert!(header_of((h + SEGMENT_SIZE + 1) as *mut u8).is_null());
        assert!(header_of(h as *mut u8).is_null());
        remove(h);
        assert!(header_of((h + 100) as *mut u8).is_null());
    }

    #[test]
    fn null_and_kernel_addresses_are_never_ours() {
        assert!(header_of(core::ptr::null_mut()).is_null());
        assert!(header_of(usize::MAX as *mut u8).is_null());
        assert!(header_of((1usize << 63) as *mut u8).is_null());
    }
}
