//! Random replacement from a seeded xorshift generator, so that runs repeat.

use super::{Access, ReplacementPolicy};

/// Random-victim state: the generator.
#[derive(Clone, Debug)]
pub struct RandomPolicy {
    ways: u64,
    state: u64,
}

impl ReplacementPolicy for RandomPolicy {
    /// A generator for sets of `ways` lines, seeded with `seed`.
    fn new(_sets: usize, ways: usize, seed: u64) -> RandomPolicy {
        // splitmix64 of the seed: never zero, well mixed.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        RandomPolicy {
            ways: ways as u64,
            state: (z ^ (z >> 31)) | 1,
        }
    }

    fn on_hit(&mut self, _slot: usize, _access: &Access) {}

    fn on_fill(&mut self, _slot: usize, _access: &Access) {}

    /// A way drawn uniformly enough (xorshift64*).
    fn victim(&mut self, _set: usize) -> usize {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as usize % self.ways as usize
    }
}
