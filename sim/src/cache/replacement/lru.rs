//! True LRU through per-line timestamps: the victim is the oldest stamp.

use crate::cache::scan;

/// LRU state: one stamp per line.
#[derive(Clone, Debug)]
pub struct Lru {
    ways: usize,
    stamps: Vec<u64>,
    clock: u64,
}

impl Lru {
    /// State for `sets` x `ways` lines.
    pub fn new(sets: usize, ways: usize) -> Lru {
        Lru {
            ways,
            stamps: vec![0; sets * ways],
            clock: 0,
        }
    }

    /// Makes the line in `slot` the most recently used of its set.
    #[inline(always)]
    pub fn touch(&mut self, slot: usize) {
        self.clock += 1;
        self.stamps[slot] = self.clock;
    }

    /// The least recently used way (the lowest way on ties).
    pub fn victim(&self, set: usize) -> usize {
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
