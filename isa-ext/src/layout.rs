//! The layout of one arena: header fields, where the body starts, how many
//! slots it holds.
//!
//! ```text
//! arena base (aligned to arena_bytes)
//! +0x00 u16 class   +0x02 u16 lane   +0x04 u32 live count
//! +0x08 u64 next    (arena base of the next arena on its list, 0 = none)
//! +0x10 u64 prev    (arena base of the previous arena, 0 = none)
//! +0x18 u32 slots   +0x1c u32 state (0 current, 1 available, 2 full)
//! +0x20 bitmap, one bit per slot, 64-bit words, bit i of word w = slot 64w+i
//! body = header rounded up to a line; slot i at body + i * size
//! ```
//! The list links sit in the first line, so a list operation on a
//! neighbour touches one line of its header.

/// Byte offset of the class field.
pub const HEADER_CLASS: u64 = 0x00;
/// Byte offset of the lane field.
pub const HEADER_LANE: u64 = 0x02;
/// Byte offset of the live-object count.
pub const HEADER_LIVE: u64 = 0x04;
/// Byte offset of the next link.
pub const HEADER_NEXT: u64 = 0x08;
/// Byte offset of the previous link.
pub const HEADER_PREV: u64 = 0x10;
/// Byte offset of the slot count.
pub const HEADER_SLOTS: u64 = 0x18;
/// Byte offset of the list state.
pub const HEADER_STATE: u64 = 0x1c;
/// Byte offset of the allocation bitmap.
pub const HEADER_BITMAP: u64 = 0x20;

/// Where things are in an arena of one class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArenaLayout {
    /// Arena length in bytes (a power of two; arenas are aligned to it).
    pub arena_bytes: u64,
    /// Object size of the class.
    pub object_bytes: u64,
    /// Header length in bytes (fixed fields plus bitmap).
    pub header_bytes: u64,
    /// Lines the header spans.
    pub header_lines: u64,
    /// Offset of slot 0: the header rounded up to a line.
    pub body_offset: u64,
    /// Objects the arena holds.
    pub slots: u64,
    /// `u64::MAX / object_bytes + 1`: divides an offset below 2^32 by the
    /// object size with a multiply (exact for 32-bit operands; Lemire et
    /// al., "Faster remainder by direct computation", 2019).
    magic: u64,
}

/// Largest arena the one-multiply slot division is exact for.
pub const MAX_ARENA_BYTES: u64 = 1 << 32;

impl ArenaLayout {
    /// The layout of an arena of `arena_bytes` holding `object_bytes`
    /// objects, with `line_bytes` lines. The bitmap is sized for the slots
    /// the whole arena could hold, so a few of its last bits may be unused;
    /// this keeps the computation one pass. All arguments non-zero.
    pub fn new(arena_bytes: u64, object_bytes: u64, line_bytes: u64) -> ArenaLayout {
        let upper = arena_bytes / object_bytes.max(1);
        let header_bytes = HEADER_BITMAP + upper.div_ceil(64) * 8;
        let body_offset = header_bytes.next_multiple_of(line_bytes.max(1));
        ArenaLayout {
            arena_bytes,
            object_bytes,
            header_bytes,
            header_lines: body_offset / line_bytes.max(1),
            body_offset,
            slots: arena_bytes.saturating_sub(body_offset) / object_bytes.max(1),
            magic: u64::MAX / object_bytes.max(1) + 1,
        }
    }

    /// Address of slot `slot` in the arena at `base`.
    #[inline]
    pub fn slot_address(&self, base: u64, slot: u64) -> u64 {
        base + self.body_offset + slot * self.object_bytes
    }

    /// Index of the arena at `base` in a span starting at `span`.
    #[inline]
    pub fn arena_index(&self, span: u64, base: u64) -> u64 {
        (base - span) >> self.arena_bytes.trailing_zeros()
    }

    /// The slot starting exactly at `offset` from the arena base, if any.
    #[inline]
    pub fn slot_at(&self, offset: u64) -> Option<u64> {
        let rel = offset.checked_sub(self.body_offset)?;
        if rel >= MAX_ARENA_BYTES {
            return None;
        }
        let slot = ((u128::from(self.magic) * u128::from(rel)) >> 64) as u64;
        (slot * self.object_bytes == rel && slot < self.slots).then_some(slot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_starts_on_a_line_after_the_header() {
        let l = ArenaLayout::new(16384, 8, 64);
        // 2048 bits of bitmap = 256 B, +32 B of fields = 288 B -> 320 B.
        assert_eq!(l.header_bytes, 288);
        assert_eq!(l.body_offset, 320);
        assert_eq!(l.header_lines, 5);
        assert_eq!(l.slots, (16384 - 320) / 8);
        let big = ArenaLayout::new(65536, 512, 64);
        assert_eq!((big.body_offset, big.slots), (64, 127));
    }

    #[test]
    fn only_slot_starts_inside_the_body_are_slots() {
        let l = ArenaLayout::new(16384, 48, 64);
        assert_eq!(l.slot_at(l.body_offset), Some(0));
        assert_eq!(l.slot_at(l.body_offset + 96), Some(2));
        assert_eq!(l.slot_at(l.body_offset + 97), None);
        assert_eq!(l.slot_at(0), None);
        assert_eq!(l.slot_at(l.body_offset + l.slots * 48), None);
    }

    #[test]
    fn the_multiply_divides_exactly_for_every_class_and_offset() {
        for size in (4..=512).step_by(4) {
            let l = ArenaLayout::new(1 << 20, size, 64);
            for rel in 0..(1 << 20) - l.body_offset {
                let want = (rel % size == 0 && rel / size < l.slots).then_some(rel / size);
                assert_eq!(
                    l.slot_at(l.body_offset + rel),
                    want,
                    "size {size} rel {rel}"
                );
            }
        }
    }
}
