//! Which 4 MiB chunks of the address space hold our headers, and of what
//! kind.
//!
//! One byte per 4 MiB of the 47-bit user address space: a 32 MiB table in
//! `.bss`, of which only the pages covering our own mappings ever become
//! resident (one page covers 16 GiB of addresses). It lets `free` recognise
//! pointers we did not allocate without touching their memory, and tells
//! arenas from large objects without reading the header (a byte rather
//! than a bit: `free` is one load and compare shorter).

use core::sync::atomic::{AtomicU8, Ordering::Relaxed};

use crate::types::{SEGMENT_SHIFT, SEGMENT_SIZE};

const ADDRESS_BITS: usize = 47;
const CHUNKS: usize = 1 << (ADDRESS_BITS - SEGMENT_SHIFT);
static MAP: [AtomicU8; CHUNKS] = [const { AtomicU8::new(NOT_OURS) }; CHUNKS];

/// The chunk holds no header of ours.
pub(crate) const NOT_OURS: u8 = 0;
/// The chunk starts a segment of arenas.
pub(crate) const ARENAS: u8 = 1;
/// The chunk starts a large object's mapping.
pub(crate) const LARGE: u8 = 2;

/// Records that the 4 MiB-aligned `header` starts one of our mappings, of
/// kind [`ARENAS`] or [`LARGE`].
pub(crate) fn insert(header: usize, kind: u8) {
    let i = header >> SEGMENT_SHIFT;
    if i < CHUNKS {
        MAP[i].store(kind, Relaxed);
    }
}

/// Forgets `header` (before its mapping is unmapped).
pub(crate) fn remove(header: usize) {
    let i = header >> SEGMENT_SHIFT;
    if i < CHUNKS {
        MAP[i].store(NOT_OURS, Relaxed);
    }
}

/// The header governing pointer `p` and its kind ([`NOT_OURS`] if `p` is
/// not ours).
///
/// Blocks never start at a segment's first byte (slot 0 is the header),
/// and large objects start at most 4 MiB after their header, so the header
/// of `p` is the 4 MiB boundary at or below `p - 1`.
#[inline(always)]
pub(crate) fn lookup(p: *mut u8) -> (usize, u8) {
    let h = (p as usize).wrapping_sub(1) & !(SEGMENT_SIZE - 1);
    let i = h >> SEGMENT_SHIFT;
    let kind = if i < CHUNKS {
        MAP[i].load(Relaxed)
    } else {
        NOT_OURS
    };
    (h, kind)
}

/// The header governing pointer `p`, or null if `p` is not ours.
#[inline]
pub(crate) fn header_of(p: *mut u8) -> *mut usize {
    match lookup(p) {
        (_, NOT_OURS) => core::ptr::null_mut(),
        (h, _) => h as *mut usize,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_inserted_chunks_are_recognised() {
        let h = 0x7000_0000_0000usize - 41 * SEGMENT_SIZE;
        assert!(header_of((h + 100) as *mut u8).is_null());
        insert(h, ARENAS);
        assert_eq!(header_of((h + 100) as *mut u8) as usize, h);
        assert_eq!(header_of((h + SEGMENT_SIZE) as *mut u8) as usize, h);
        assert!(header_of((h + SEGMENT_SIZE + 1) as *mut u8).is_null());
        assert!(header_of(h as *mut u8).is_null());
        assert_eq!(lookup((h + 100) as *mut u8), (h, ARENAS));
        insert(h, LARGE);
        assert_eq!(lookup((h + 100) as *mut u8), (h, LARGE));
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
