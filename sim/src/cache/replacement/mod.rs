//! Replacement policies, one small module each, chosen by a config value.
//! Each keeps its own per-line state; the cache tells it about hits and
//! fills and asks it for a victim when a set has no invalid way.

mod lru;
mod random;
mod srrip;
mod tree_plru;

use crate::config::Replacement;

pub use lru::Lru;
pub use random::RandomPolicy;
pub use srrip::Srrip;
pub use tree_plru::TreePlru;

/// One of the policies, dispatched by `match` (no virtual calls on the hot
/// path). An explicit tag: a niche-encoded discriminant costs a few
/// instructions to decode at every hit.
#[derive(Clone, Debug)]
#[repr(u8)]
pub enum Policy {
    /// Least recently used.
    Lru(Lru),
    /// Tree pseudo-LRU.
    TreePlru(TreePlru),
    /// Static RRIP.
    Srrip(Srrip),
    /// Seeded random.
    Random(RandomPolicy),
}

impl Policy {
    /// A policy of `kind` for `sets` x `ways` lines.
    pub fn new(kind: Replacement, sets: usize, ways: usize, seed: u64) -> Policy {
        match kind {
            Replacement::Lru => Policy::Lru(Lru::new(sets, ways)),
            Replacement::TreePlru => Policy::TreePlru(TreePlru::new(sets, ways)),
            Replacement::Srrip => Policy::Srrip(Srrip::new(sets, ways)),
            Replacement::Random => Policy::Random(RandomPolicy::new(ways, seed)),
        }
    }

    /// The line in `slot` (`set * ways + way`) was hit.
    #[inline(always)]
    pub fn on_hit(&mut self, slot: usize) {
        match self {
            Policy::Lru(p) => p.touch(slot),
            Policy::TreePlru(p) => p.touch(slot),
            Policy::Srrip(p) => p.on_hit(slot),
            Policy::Random(_) => {}
        }
    }

    /// A line was installed in `slot`.
    #[inline(always)]
    pub fn on_fill(&mut self, slot: usize) {
        match self {
            Policy::Lru(p) => p.touch(slot),
            Policy::TreePlru(p) => p.touch(slot),
            Policy::Srrip(p) => p.on_fill(slot),
            Policy::Random(_) => {}
        }
    }

    /// The way of a full `set` to evict.
    #[inline]
    pub fn victim(&mut self, set: usize) -> usize {
        match self {
            Policy::Lru(p) => p.victim(set),
            Policy::TreePlru(p) => p.victim(set),
            Policy::Srrip(p) => p.victim(set),
            Policy::Random(p) => p.victim(),
        }
    }
}
