//! What the branch unit counted, as plain data; the printers are elsewhere.

use memento_trace::BranchClass;
use serde::{Deserialize, Serialize};

/// Classes of [`BranchClass`].
const CLASSES: usize = BranchClass::ALL.len();

/// Branches and mispredictions of one core (or of several, pooled).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BranchStats {
    /// Blocks resolved, per class in [`BranchClass::ALL`] order (the first,
    /// `none`, counts blocks that end without a branch).
    pub branches: [u64; CLASSES],
    /// Of those, the ones the front end mispredicted, per class in the same
    /// order.
    pub mispredictions: [u64; CLASSES],
    /// Lookups of the BTB that found no entry for the branch: taken
    /// conditional branches, jumps and calls (returns use the
    /// return-address stack). A miss of a direct jump or call costs no
    /// misprediction, since the decoder computes its target.
    pub btb_misses: u64,
}

impl BranchStats {
    /// Branches of `class` resolved.
    pub fn branches_of(&self, class: BranchClass) -> u64 {
        self.branches[class.index()]
    }

    /// Branches of `class` mispredicted.
    pub fn mispredictions_of(&self, class: BranchClass) -> u64 {
        self.mispredictions[class.index()]
    }

    /// Branches resolved, all classes but `none`.
    pub fn total_branches(&self) -> u64 {
        self.branches[1..]
            .iter()
            .fold(0, |a, b| a.saturating_add(*b))
    }

    /// Mispredictions of every class.
    pub fn total_mispredictions(&self) -> u64 {
        self.mispredictions
            .iter()
            .fold(0, |a, b| a.saturating_add(*b))
    }

    /// Mispredictions per thousand instructions (0 without instructions).
    pub fn mpki(&self, instructions: u64) -> f64 {
        if instructions == 0 {
            return 0.0;
        }
        self.total_mispredictions() as f64 * 1000.0 / instructions as f64
    }

    /// Adds every count of `other` (to pool cores), saturating.
    pub fn add(&mut self, other: &BranchStats) {
        let pairs = self
            .branches
            .iter_mut()
            .zip(&other.branches)
            .chain(self.mispredictions.iter_mut().zip(&other.mispredictions));
        for (mine, theirs) in pairs {
            *mine = mine.saturating_add(*theirs);
        }
        self.btb_misses = self.btb_misses.saturating_add(other.btb_misses);
    }
}
