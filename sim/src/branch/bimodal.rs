//! The bimodal predictor: one 2-bit counter per branch address (hashed),
//! so a branch is predicted to go the way it mostly went. It learns a
//! biased branch and mispredicts a loop's exit once; a pattern (taken, not
//! taken, ...) defeats it.

use super::counters::Counters;

/// 2-bit counters indexed by a hash of the branch's address.
#[derive(Clone, Debug)]
pub struct Bimodal {
    counters: Counters,
}

impl Bimodal {
    /// A predictor of `entries` counters (a power of two), all weakly
    /// taken.
    pub fn new(entries: usize) -> Bimodal {
        Bimodal {
            counters: Counters::new(entries),
        }
    }

    /// The direction predicted for the branch at `pc`.
    #[inline]
    pub fn predict(&self, pc: u64) -> bool {
        self.counters.predict(self.counters.index(pc))
    }

    /// The direction predicted for the branch at `pc`, which then learns
    /// that it went `taken`.
    #[inline]
    pub fn predict_and_train(&mut self, pc: u64, taken: bool) -> bool {
        let index = self.counters.index(pc);
        self.counters.predict_and_train(index, taken)
    }
}
