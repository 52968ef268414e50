//! Static RRIP (Jaleel et al., ISCA 2010) with 2-bit re-reference
//! predictions: fills are predicted "long" (2), hits "near" (0), and the
//! victim is the first line predicted "distant" (3), ageing the set until
//! one is.

use super::{Access, ReplacementPolicy};
use crate::cache::scan;

const DISTANT: u8 = 3;
const LONG: u8 = 2;

/// SRRIP state: one prediction per line.
#[derive(Clone, Debug)]
pub struct Srrip {
    ways: usize,
    rrpv: Vec<u8>,
}

impl ReplacementPolicy for Srrip {
    /// State for `sets` x `ways` lines, all predicted distant.
    fn new(sets: usize, ways: usize, _seed: u64) -> Srrip {
        Srrip {
            ways,
            rrpv: vec![DISTANT; sets * ways],
        }
    }

    /// A hit predicts a near re-reference.
    #[inline(always)]
    fn on_hit(&mut self, slot: usize, _access: &Access) {
        self.rrpv[slot] = 0;
    }

    /// A fill predicts a long re-reference interval.
    #[inline(always)]
    fn on_fill(&mut self, slot: usize, _access: &Access) {
        self.rrpv[slot] = LONG;
    }

    /// The first distant way, after ageing the set as often as needed.
    fn victim(&mut self, set: usize) -> usize {
        let s = &mut self.rrpv[set * self.ways..(set + 1) * self.ways];
        let oldest = s.iter().fold(0, |m, &v| m.max(v));
        let age = DISTANT - oldest;
        for v in s.iter_mut() {
            *v += age;
        }
        // A way is distant after ageing: the search always finds one.
        scan::first(s, |v| v == DISTANT)
    }
}
