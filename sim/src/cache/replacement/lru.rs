//! True LRU through per-line timestamps: the victim is the oldest stamp.

use super::{Access, ReplacementPolicy};
use crate::cache::scan;

/// LRU state: one stamp per line.
#[derive(Clone, Debug)]
pub struct Lru {
    ways: usize,
    stamps: Vec<u64>,
    clock: u64,
}

impl Lru {
    /// Makes the line in `slot` the most recently used of its set.
    #[inline(always)]
    fn touch(&mut self, slot: usize) {
        self.clock += 1;
        self.stamps[slot] = self.clock;
    }
}

impl ReplacementPolicy for Lru {
    fn new(sets: usize, ways: usize, _seed: u64) -> Lru {
        Lru {
            ways,
            stamps: vec![0; sets * ways],
            clock: 0,
        }
    }

    #[inline(always)]
    fn on_hit(&mut self, slot: usize, _access: &Access) {
        self.touch(slot);
    }

    /// The least recently used way (the lowest way on ties).
    fn victim(&mut self, set: usize) -> usize {
        let s = &self.stamps[set * self.ways..(set + 1) * self.ways];
        if self.clock < 1 << 56 {
            return scan::min_index(s);
        }
        let mut best = 0;
        for (w, &stamp) in s.iter().enumerate() {
            if stamp < s[best] {
                best = w;
            }
        }
        best
    }
}
