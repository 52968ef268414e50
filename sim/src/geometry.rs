//! Addresses: how a core's virtual byte address becomes the physical byte,
//! line and page numbers that the caches, TLBs and DRAM see. Virtual
//! addresses are used as physical ones, with the address space above bit
//! [`VA_BITS`], so two processes never share a line.

use std::ops::Range;

/// Virtual addresses keep this many bits; above them sits the address
/// space.
pub const VA_BITS: u32 = 47;
const VA_MASK: u64 = (1u64 << VA_BITS) - 1;

/// Line and page sizes, as shifts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    line_shift: u32,
    page_shift: u32,
}

impl Geometry {
    /// Sizes in bytes, both powers of two (a validated config's).
    pub fn new(line_size: u32, page_size: u32) -> Geometry {
        Geometry {
            line_shift: line_size.trailing_zeros(),
            page_shift: page_size.trailing_zeros(),
        }
    }

    /// log2 of the line size.
    #[inline(always)]
    pub fn line_shift(self) -> u32 {
        self.line_shift
    }

    /// log2 of the page size.
    #[inline(always)]
    pub fn page_shift(self) -> u32 {
        self.page_shift
    }

    /// Lines in one page.
    #[inline]
    pub fn lines_per_page(self) -> u64 {
        1 << (self.page_shift - self.line_shift)
    }

    /// The physical byte address that `vaddr` of address space `space`
    /// stands for.
    #[inline(always)]
    pub fn physical(space: usize, vaddr: u64) -> u64 {
        ((space as u64) << (VA_BITS + 1)) | (vaddr & VA_MASK)
    }

    /// Base of the page tables of address space `space`: above user space.
    #[inline]
    pub fn page_table_base(space: usize) -> u64 {
        ((space as u64) << (VA_BITS + 1)) | (1u64 << VA_BITS)
    }

    /// The line number of a (physical) byte address.
    #[inline(always)]
    pub fn line(self, addr: u64) -> u64 {
        addr >> self.line_shift
    }

    /// The line number `vaddr` of address space `space` falls in.
    #[inline(always)]
    pub fn line_of(self, space: usize, vaddr: u64) -> u64 {
        Geometry::physical(space, vaddr) >> self.line_shift
    }

    /// The virtual page number of `vaddr`.
    #[inline(always)]
    pub fn page(self, vaddr: u64) -> u64 {
        (vaddr & VA_MASK) >> self.page_shift
    }

    /// Whether `size` bytes at `addr` spill into the next line.
    #[inline(always)]
    pub fn crosses_line(self, addr: u64, size: u32) -> bool {
        let mask = (1u64 << self.line_shift) - 1;
        (addr & mask) + u64::from(size.max(1)) - 1 > mask
    }

    /// The lines wholly inside `len` bytes at `addr`: the range rounded
    /// inward, so that a line partly outside it (which another object may
    /// share) is left out. Empty when no whole line fits.
    #[inline]
    pub fn lines_within(self, addr: u64, len: u64) -> Range<u64> {
        let mask = (1u64 << self.line_shift) - 1;
        let first = addr.saturating_add(mask) >> self.line_shift;
        let end = addr.saturating_add(len) >> self.line_shift;
        first..end.max(first)
    }

    /// Every line that `len` bytes at `addr` touch (none when `len` is 0).
    #[inline]
    pub fn lines_touched(self, addr: u64, len: u64) -> Range<u64> {
        if len == 0 {
            let l = addr >> self.line_shift;
            return l..l;
        }
        (addr >> self.line_shift)..(addr.saturating_add(len - 1) >> self.line_shift) + 1
    }
}

#[cfg(test)]
mod tests {
    use super::Geometry;

    #[test]
    fn byte_ranges_round_inward_to_whole_lines() {
        let g = Geometry::new(64, 4096);
        assert_eq!(g.lines_within(0, 64), 0..1);
        assert_eq!(g.lines_within(0, 63), 0..0);
        assert_eq!(g.lines_within(8, 128), 1..2);
        assert_eq!(g.lines_within(64, 192), 1..4);
        assert_eq!(g.lines_within(100, 10), 2..2);
        assert_eq!(g.lines_touched(8, 128), 0..3);
        assert_eq!(g.lines_touched(64, 64), 1..2);
        assert_eq!(g.lines_touched(64, 0), 1..1);
    }

    #[test]
    fn address_spaces_never_share_a_line() {
        let g = Geometry::new(64, 4096);
        assert_ne!(g.line_of(0, 0x1000), g.line_of(1, 0x1000));
        assert_eq!(g.line_of(0, 0x1040), 0x41);
        assert!(g.crosses_line(60, 8));
        assert!(!g.crosses_line(56, 8));
        assert_eq!(g.page(0x3fff), 3);
    }
}
