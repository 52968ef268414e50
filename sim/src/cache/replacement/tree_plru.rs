//! Tree pseudo-LRU: a binary tree of `ways - 1` bits per set, each pointing
//! away from the half touched last; the victim is found by following them.

use super::{Access, ReplacementPolicy};

/// Tree-PLRU state: one bit tree per set, node `n` at bit `n` (root 1).
#[derive(Clone, Debug)]
pub struct TreePlru {
    levels: u32,
    trees: Vec<u64>,
}

impl TreePlru {
    /// Points every node on the path of the line in `slot` away from it.
    #[inline(always)]
    fn touch(&mut self, slot: usize) {
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
}

impl ReplacementPolicy for TreePlru {
    /// State for `sets` sets of `ways` lines (a power of two, at most 64).
    fn new(sets: usize, ways: usize, _seed: u64) -> TreePlru {
        TreePlru {
            levels: ways.trailing_zeros(),
            trees: vec![0; sets],
        }
    }

    fn supports(ways: u32) -> Result<(), String> {
        if ways.is_power_of_two() {
            Ok(())
        } else {
            Err(format!(
                "tree-plru needs a power-of-two number of ways, not {ways}"
            ))
        }
    }

    #[inline(always)]
    fn on_hit(&mut self, slot: usize, _access: &Access) {
        self.touch(slot);
    }

    /// The way the bits point to.
    fn victim(&mut self, set: usize) -> usize {
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
