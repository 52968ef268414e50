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

use super::replacement::{Access, Policy, Replacement};
use super::scan;

/// A slot: `set * ways + way`.
pub type Slot = usize;

/// Stores of at most this many entries get a way predictor: larger ones
/// would spend more host cache on the table than the scans cost (they get
/// a table of one entry, which never misleads, since hints are checked).
const PREDICTED_MAX: usize = 4096;

/// Tags and replacement state of `sets` x `ways` entries.
#[derive(Clone, Debug)]
pub struct TagStore {
    ways: usize,
    set_mask: u64,
    /// `[key + 1, payload]` per entry.
    entries: Vec<[u64; 2]>,
    /// Way predictor: key bits to slot. Never empty, its length a power of
    /// two, and every hint a slot number, so that indexing needs no check.
    hints: Vec<u32>,
    hint_mask: u64,
    /// Invalid ways per set: a full set (the usual case once warm) needs no
    /// search for one.
    free: Vec<u8>,
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
            vec![0]
        };
        TagStore {
            ways,
            set_mask: sets as u64 - 1,
            entries: vec![[0, 0]; slots],
            hint_mask: hints.len() as u64 - 1,
            hints,
            free: vec![ways as u8; sets],
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
        let h = self.hint(key);
        // SAFETY: a hint is always a slot number, below `entries.len()`.
        if unsafe { self.entries.get_unchecked(h) }[0] == want {
            return Some(h);
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
    fn hint(&self, key: u64) -> Slot {
        let i = (key & self.hint_mask) as usize;
        debug_assert!(i < self.hints.len());
        // SAFETY: `hint_mask` is `hints.len() - 1`, a power of two minus one.
        (unsafe { *self.hints.get_unchecked(i) }) as Slot
    }

    #[inline(always)]
    fn predict(&mut self, key: u64, slot: Slot) {
        let i = (key & self.hint_mask) as usize;
        debug_assert!(slot < self.entries.len());
        // SAFETY: as in `hint`.
        unsafe { *self.hints.get_unchecked_mut(i) = slot as u32 };
    }

    /// Tells the policy that `slot` was hit by `access`.
    #[inline(always)]
    pub fn touch(&mut self, slot: Slot, access: &Access) {
        self.policy.on_hit(slot, access);
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
        if self.free[set] > 0 {
            let free = scan::first(&self.entries[base..base + self.ways], |e| e[0] == 0);
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

    /// Puts `key` in `slot` (from [`Self::choose`]) for `access`, its
    /// payload zero.
    #[inline(always)]
    pub fn install(&mut self, slot: Slot, key: u64, access: &Access) {
        if self.entries[slot][0] == 0 {
            let set = self.set_of(key);
            self.free[set] -= 1;
        }
        self.entries[slot] = [key + 1, 0];
        self.policy.on_fill(slot, access);
        self.predict(key, slot);
    }

    /// Marks `slot` invalid.
    #[inline]
    pub fn clear(&mut self, slot: Slot) {
        if let Some(key) = self.key(slot) {
            let set = self.set_of(key);
            self.free[set] += 1;
        }
        self.entries[slot] = [0, 0];
    }

    /// Invalidates every entry.
    pub fn clear_all(&mut self) {
        self.entries.iter_mut().for_each(|e| *e = [0, 0]);
        self.free.iter_mut().for_each(|f| *f = self.ways as u8);
    }
}
