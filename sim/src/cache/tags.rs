//! A set-associative tag store in flat arrays: the part that caches and
//! TLBs share. Keys are full line (or page) numbers, stored plus one so that
//! zero marks an invalid way. Each entry carries one word of payload beside
//! its key, so that a hit finds both in one host cache line.

use super::replacement::Policy;
use crate::config::Replacement;

/// A slot: `set * ways + way`.
pub type Slot = usize;

/// Tags and replacement state of `sets` x `ways` entries.
#[derive(Clone, Debug)]
pub struct TagStore {
    ways: usize,
    set_mask: u64,
    /// `[key + 1, payload]` per entry.
    entries: Vec<[u64; 2]>,
    policy: Policy,
}

impl TagStore {
    /// An empty store; `sets` must be a power of two.
    pub fn new(sets: usize, ways: usize, replacement: Replacement, seed: u64) -> TagStore {
        debug_assert!(sets.is_power_of_two());
        TagStore {
            ways,
            set_mask: sets as u64 - 1,
            entries: vec![[0, 0]; sets * ways],
            policy: Policy::new(replacement, sets, ways, seed),
        }
    }

    /// Number of ways.
    pub fn ways(&self) -> usize {
        self.ways
    }

    #[inline]
    fn set_of(&self, key: u64) -> usize {
        (key & self.set_mask) as usize
    }

    /// The slot holding `key`, if any (no replacement update).
    #[inline(always)]
    pub fn find(&self, key: u64) -> Option<Slot> {
        let want = key + 1;
        let base = self.set_of(key) * self.ways;
        // A scan without early exit compiles to conditional moves: random
        // streams would mispredict the exit branch of a search.
        let mut found = usize::MAX;
        for (w, e) in self.entries[base..base + self.ways].iter().enumerate() {
            found = if e[0] == want { w } else { found };
        }
        (found != usize::MAX).then(|| base + found)
    }

    /// Tells the policy that `slot` was hit.
    #[inline(always)]
    pub fn touch(&mut self, slot: Slot) {
        self.policy.on_hit(slot);
    }

    /// The key in `slot`, if valid.
    #[inline(always)]
    pub fn key(&self, slot: Slot) -> Option<u64> {
        self.entries[slot][0].checked_sub(1)
    }

    /// The slot a fill of `key` would use: an invalid way, or the policy's
    /// victim. The old key (if any) is returned with the slot.
    #[inline]
    pub fn choose(&mut self, key: u64) -> (Slot, Option<u64>) {
        let set = self.set_of(key);
        let base = set * self.ways;
        if let Some(w) = self.entries[base..base + self.ways]
            .iter()
            .position(|e| e[0] == 0)
        {
            return (base + w, None);
        }
        let slot = base + self.policy.victim(set);
        (slot, self.key(slot))
    }

    /// The payload of `slot`.
    #[inline(always)]
    pub fn payload(&self, slot: Slot) -> u64 {
        self.entries[slot][1]
    }

    /// Sets the payload of `slot`.
    #[inline(always)]
    pub fn set_payload(&mut self, slot: Slot, value: u64) {
        self.entries[slot][1] = value;
    }

    /// Puts `key` in `slot` (from [`Self::choose`]), its payload zero.
    #[inline(always)]
    pub fn install(&mut self, slot: Slot, key: u64) {
        self.entries[slot] = [key + 1, 0];
        self.policy.on_fill(slot);
    }

    /// Marks `slot` invalid.
    #[inline]
    pub fn clear(&mut self, slot: Slot) {
        self.entries[slot] = [0, 0];
    }

    /// Invalidates every entry.
    pub fn clear_all(&mut self) {
        self.entries.iter_mut().for_each(|e| *e = [0, 0]);
    }
}
