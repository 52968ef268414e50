//! McFarling's gshare: 2-bit counters indexed by the outcomes of the last
//! conditional branches (the global history) XOR a hash of the branch's
//! address, so that one branch gets a counter per path that led to it. It
//! learns patterns and correlated branches that bimodal cannot.

use super::counters::Counters;

/// 2-bit counters indexed by global history XOR a hash of the address.
#[derive(Clone, Debug)]
pub struct Gshare {
    counters: Counters,
    /// The last outcomes, the newest in bit 0 (1: taken), `history_bits`
    /// of them.
    history: u64,
    /// `2^history_bits - 1`.
    history_mask: u64,
}

impl Gshare {
    /// A predictor of `entries` counters (a power of two) and
    /// `history_bits` bits of history, at most log2(`entries`).
    pub fn new(entries: usize, history_bits: u32) -> Gshare {
        let counters = Counters::new(entries);
        assert!(
            history_bits <= counters.index_bits(),
            "{history_bits} bits of history for {entries} counters"
        );
        Gshare {
            counters,
            history: 0,
            history_mask: (1u64 << history_bits) - 1,
        }
    }

    /// The counter of `pc` under the current history (the history is
    /// below the table's length, and so is the XOR).
    #[inline(always)]
    fn index(&self, pc: u64) -> usize {
        self.counters.index(pc) ^ self.history as usize
    }

    /// The direction predicted for the branch at `pc` after the current
    /// history.
    #[inline]
    pub fn predict(&self, pc: u64) -> bool {
        self.counters.predict(self.index(pc))
    }

    /// The direction predicted for the branch at `pc`; its counter then
    /// learns `taken` and the outcome enters the history.
    #[inline]
    pub fn predict_and_train(&mut self, pc: u64, taken: bool) -> bool {
        let predicted = self.counters.predict_and_train(self.index(pc), taken);
        self.history = ((self.history << 1) | u64::from(taken)) & self.history_mask;
        predicted
    }
}
