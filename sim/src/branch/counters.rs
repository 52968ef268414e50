//! A table of 2-bit saturating counters, the state that the bimodal and
//! gshare predictors share: 0 and 1 predict not taken, 2 and 3 taken; an
//! outcome moves the counter one step toward itself.

use super::index::HashIndex;

/// The counter after an outcome: `NEXT[counter][taken]`, a lookup
/// instead of a data-dependent branch.
const NEXT: [[u8; 2]; 4] = [[0, 1], [0, 2], [1, 3], [2, 3]];

/// Weakly taken: most conditional branches (loop back edges above all)
/// are taken more often than not, so a cold entry guesses taken.
const INITIAL: u8 = 2;

/// `entries` 2-bit counters, one byte each.
#[derive(Clone, Debug)]
pub(crate) struct Counters {
    table: Vec<u8>,
    index: HashIndex,
}

impl Counters {
    /// A table of `entries` counters (a power of two), all weakly taken.
    pub(crate) fn new(entries: usize) -> Counters {
        Counters {
            index: HashIndex::new(entries),
            table: vec![INITIAL; entries],
        }
    }

    /// Bits of an index (log2 of the entries).
    pub(crate) fn index_bits(&self) -> u32 {
        self.index.bits()
    }

    /// The entry of `pc`: a multiply-shift hash, below the table's length.
    #[inline(always)]
    pub(crate) fn index(&self, pc: u64) -> usize {
        self.index.of(pc)
    }

    /// Whether the counter at `index` predicts taken.
    #[inline(always)]
    pub(crate) fn predict(&self, index: usize) -> bool {
        self.table[index] >= 2
    }

    /// The prediction of the counter at `index`, which then learns `taken`.
    #[inline(always)]
    pub(crate) fn predict_and_train(&mut self, index: usize, taken: bool) -> bool {
        let counter = &mut self.table[index];
        let predicted = *counter >= 2;
        *counter = NEXT[usize::from(*counter & 3)][usize::from(taken)];
        predicted
    }
}
