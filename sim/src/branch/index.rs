//! The hash that maps a branch address to a table index: one multiply by
//! an odd constant and a shift, whose result (the product's top bits)
//! depends on every bit of the address. Indexing by the address's own low
//! bits would crowd branches that are a power of two apart (aligned
//! functions, unrolled code) into a few entries.

/// 2^64 divided by the golden ratio, made odd.
const MULTIPLIER: u64 = 0x9e37_79b9_7f4a_7c15;

/// An index into a table of a power-of-two number of entries.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HashIndex {
    /// `entries - 1`.
    mask: u64,
    /// `64 - log2(entries)`, at most 63 (with one entry the mask is 0).
    shift: u32,
}

impl HashIndex {
    /// Indices into `entries` entries, a power of two.
    pub(crate) fn new(entries: usize) -> HashIndex {
        assert!(
            entries.is_power_of_two(),
            "{entries} entries: not a power of two"
        );
        HashIndex {
            mask: entries as u64 - 1,
            shift: (64 - entries.trailing_zeros()).min(63),
        }
    }

    /// Bits of an index (log2 of the entries).
    pub(crate) fn bits(&self) -> u32 {
        self.mask.count_ones()
    }

    /// The index of `pc`, below the number of entries.
    #[inline(always)]
    pub(crate) fn of(&self, pc: u64) -> usize {
        ((pc.wrapping_mul(MULTIPLIER) >> self.shift) & self.mask) as usize
    }
}
