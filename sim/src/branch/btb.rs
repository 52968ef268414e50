//! The branch target buffer: the target each taken branch went to last,
//! by branch address, `sets` x `ways`, LRU, the set chosen by a hash of the
//! address and the tag the whole address.
//!
//! Each set keeps its ways in recency order, the most recently used
//! first: a hit moves its entry to the front, a miss shifts the set by one
//! (dropping the last, least recently used entry) and puts the new entry
//! first. That is exact LRU without stamps, and the usual hit (a loop's
//! branch, found in the first way) moves nothing. It is not the caches'
//! tag store: its stamps, way predictor and policy dispatch cost several
//! times more host instructions per lookup than this scan of one set (a
//! 4-way set is one host cache line).

use super::index::HashIndex;

/// The tag of an empty way. It is not a canonical x86-64 address, so no
/// branch has it (one that did would find an empty way's target, 0, and
/// be mispredicted: never a wrong count).
const EMPTY: u64 = u64::MAX;

/// One way: the branch's address and its target.
#[derive(Clone, Copy, Debug)]
struct Entry {
    pc: u64,
    target: u64,
}

/// Targets of taken branches, `sets` x `ways`, LRU.
#[derive(Clone, Debug)]
pub struct Btb {
    /// `sets * ways` entries, set by set, each set most recent first.
    entries: Vec<Entry>,
    ways: usize,
    set: HashIndex,
}

impl Btb {
    /// An empty BTB of `sets` (a power of two) x `ways` (at least 1)
    /// entries.
    pub fn new(sets: usize, ways: usize) -> Btb {
        assert!(ways >= 1, "a BTB needs at least one way");
        Btb {
            entries: vec![
                Entry {
                    pc: EMPTY,
                    target: 0
                };
                sets * ways
            ],
            ways,
            set: HashIndex::new(sets),
        }
    }

    /// The ways of `pc`'s set.
    #[inline(always)]
    fn set_of(&mut self, pc: u64) -> &mut [Entry] {
        let base = self.set.of(pc) * self.ways;
        &mut self.entries[base..base + self.ways]
    }

    /// The target held for the branch at `pc`, without changing the
    /// recency order.
    pub fn target(&self, pc: u64) -> Option<u64> {
        let base = self.set.of(pc) * self.ways;
        let set = &self.entries[base..base + self.ways];
        set.iter().find(|e| e.pc == pc).map(|e| e.target)
    }

    /// The target held for the branch at `pc` (`None`: a miss), after
    /// which the BTB holds `target` for it as the most recently used entry
    /// of its set; a miss replaces the set's least recently used entry.
    #[inline]
    pub fn predict_and_train(&mut self, pc: u64, target: u64) -> Option<u64> {
        let set = self.set_of(pc);
        // The most recent way first: most hits end the scan there.
        let (held, way) = match set.iter().position(|e| e.pc == pc) {
            Some(way) => (Some(set[way].target), way),
            None => (None, set.len() - 1),
        };
        // Ways before `way` move one down; `way` (the hit, or the least
        // recently used one) is overwritten at the front. A loop, not
        // `copy_within`: a call of `memmove` costs more than moving the
        // few entries of a set.
        for w in (1..=way).rev() {
            set[w] = set[w - 1];
        }
        set[0] = Entry { pc, target };
        held
    }
}
