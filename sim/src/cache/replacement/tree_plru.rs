//! Tree pseudo-LRU: a binary tree of `ways - 1` bits per set, each pointing
//! away from the half touched last; the victim is found by following them.

/// Tree-PLRU state: one bit tree per set, node `n` at bit `n` (root 1).
#[derive(Clone, Debug)]
pub struct TreePlru {
    levels: u32,
    trees: Vec<u64>,
}

impl TreePlru {
    /// State for `sets` sets of `ways` lines (a power of two, at most 64).
    pub fn new(sets: usize, ways: usize) -> TreePlru {
        TreePlru {
            levels: ways.trailing_zeros(),
            trees: vec![0; sets],
        }
    }

    /// Points every node on the path of the line in `slot` away from it.
    #[inline(always)]
    pub fn touch(&mut self, slot: usize) {
        let set = slot >> self.levels;
        let way = slot & ((1usize << self.levels) - 1);
        let tree = &mut self.trees[set];
        let mut node = 1usize;
        for level in (0..self.levels).rev() {
            let bit = (way >> level) & 1;
            if bit == 1 {
                *tree &= !(1u64 << node);
            } else {
                *tree |= 1u64 << node;
            }
            node = node * 2 + bit;
        }
    }

    /// The way the bits point to.
    pub fn victim(&self, set: usize) -> usize {
        let tree = self.trees[set];
        let (mut node, mut way) = (1usize, 0usize);
        for _ in 0..self.levels {
            let bit = ((tree >> node) & 1) as usize;
            way = way * 2 + bit;
            node = node * 2 + bit;
        }
        way
    }
}
