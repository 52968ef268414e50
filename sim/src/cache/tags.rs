//! A set-associative tag store in flat arrays: the part that caches and
//! TLBs share. Keys are full line (or page) numbers, stored plus one so that
//! zero marks an invalid way. Each entry carries one word of payload beside
//! its key, so that a hit finds both in one host cache line.
//!
//! Small stores (L1s, TLBs) put a way predictor in front of the set scan: a
//! direct-mapped table from the key's low bits to the slot that last held
//! it. A prediction is only a hint, checked against the tag, so a stale one
//! costs a scan and never a wrong answer; it changes no simulated state.
//! Searches avoid data-dependent branches: on random streams they would
//! mispredict, which costs the host more than a few extra instructions.

use super::replacement::Policy;
use super::scan;
use crate::config::Replacement;

/// A slot: `set * ways + way`.
pub type Slot = usize;

/// Stores of at most this many entries get a way predictor: larger ones
/// would spend more host cache on the table than the scans cost.
const PREDICTED_MAX: usize = 2048;

/// Tags and replacement state of `sets` x `ways` entries.
#[derive(Clone, Debug)]
pub struct TagStore {
    ways: usize,
    set_mask: u64,
    /// `[key + 1, payload]` per entry.
    entries: Vec<[u64; 2]>,
    /// Way predictor: key bits to slot (empty when not used).
    hints: Vec<u32>,
    hint_mask: u64,
    policy: Policy,
}

impl TagStore {
    /// An empty store; `sets` must be a power of two.
    pub fn new(sets: usize, ways: usize, replacement: Replacement, seed: u64) -> TagStore {
        debug_assert!(sets.is_power_of_two());
        let slots = sets * ways;
        // Twice the entries, so that a contiguous working set never collides.
        let hints = if slots <= PREDICTED_MAX {
            vec![0; (2 * slots).next_power_of_two()]
        } else {
            Vec::new()
        };
        TagStore {
            ways,
            set_mask: sets as u64 - 1,
            entries: vec![[0, 0]; slots],
            hint_mask: (hints.len() as u64).wrapping_sub(1),
            hints,
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
        if !self.hints.is_empty() {
            // Every hint is a slot number below `entries.len()`.
            let h = self.hints[(key & self.hint_mask) as usize] as usize;
            if self.entries.get(h).is_some_and(|e| e[0] == want) {
                return Some(h);
            }
        }
        self.scan(key)
    }

    #[inline(always)]
    fn scan(&self, key: u64) -> Option<Slot> {
        let want = key + 1;
        let base = self.set_of(key) * self.ways;
        let found = scan::first(&self.entries[base..base + self.ways], |e| e[0] == want);
        (found != usize::MAX).then(|| base + found)
    }

    #[inline(always)]
    fn predict(&mut self, key: u64, slot: Slot) {
        if !self.hints.is_empty() {
            let i = (key & self.hint_mask) as usize;
            self.hints[i] = slot as u32;
        }
    }

    /// Tells the policy that `slot` was hit.
    #[inline(always)]
    pub fn touch(&mut self, slot: Slot) {
        self.policy.on_hit(slot);
        let key = self.entries[slot][0].wrapping_sub(1);
        self.predict(key, slot);
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
        let free = scan::first(&self.entries[base..base + self.ways], |e| e[0] == 0);
        if free != usize::MAX {
            return (base + free, None);
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
        self.predict(key, slot);
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
