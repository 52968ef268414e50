//! The Arena Allocation Cache: per core, fully associative with LRU
//! replacement, caching headers of arenas that are not in the HOT: those
//! frees go to, and available arenas about to become current.
//!
//! Our choice (the paper gives only its size and a 1-cycle latency): an
//! obj-free that misses the HOT looks here and, on a miss, reads the header
//! and inserts it; obj-alloc, when its class needs a header the HOT lacks,
//! takes it from here (moving it to the HOT) before reading memory. A header
//! is thus in at most one of a core's HOT and AAC.

/// One AAC entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    arena: u64,
    dirty: bool,
    /// Time of last use; the smallest is the LRU victim.
    used: u64,
}

/// A core's AAC (tags, dirty bits and LRU order).
#[derive(Debug, Clone)]
pub struct ArenaAllocationCache {
    entries: Vec<Entry>,
    capacity: usize,
    clock: u64,
}

impl ArenaAllocationCache {
    /// An empty AAC of `capacity` entries (0 disables it).
    pub fn new(capacity: usize) -> ArenaAllocationCache {
        ArenaAllocationCache {
            entries: Vec::with_capacity(capacity),
            capacity,
            clock: 0,
        }
    }

    /// Number of entries it can hold.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Number of entries held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    #[inline]
    fn find(&self, arena: u64) -> Option<usize> {
        self.entries.iter().position(|e| e.arena == arena)
    }

    /// Looks `arena` up; a hit makes it most recently used and, with
    /// `dirty`, marks it dirty.
    #[inline]
    pub fn lookup(&mut self, arena: u64, dirty: bool) -> bool {
        let Some(i) = self.find(arena) else {
            return false;
        };
        self.clock += 1;
        let e = &mut self.entries[i];
        e.used = self.clock;
        e.dirty |= dirty;
        true
    }

    /// Marks `arena` dirty without changing the LRU order (a link update
    /// by a list operation); returns whether it was held.
    pub fn mark_dirty(&mut self, arena: u64) -> bool {
        self.find(arena)
            .map(|i| self.entries[i].dirty = true)
            .is_some()
    }

    /// Removes `arena`, returning its dirty bit if it was held.
    pub fn take(&mut self, arena: u64) -> Option<bool> {
        self.find(arena).map(|i| self.entries.swap_remove(i).dirty)
    }

    /// Inserts `arena` as most recently used (it must not be held); returns
    /// the LRU victim's base if one was pushed out dirty.
    pub fn insert(&mut self, arena: u64, dirty: bool) -> Option<u64> {
        if self.capacity == 0 {
            return None;
        }
        self.clock += 1;
        let new = Entry {
            arena,
            dirty,
            used: self.clock,
        };
        if self.entries.len() < self.capacity {
            self.entries.push(new);
            return None;
        }
        let (i, _) = self
            .entries
            .iter()
            .enumerate()
            .min_by_key(|(_, e)| e.used)?;
        let old = std::mem::replace(&mut self.entries[i], new);
        old.dirty.then_some(old.arena)
    }

    /// Drops `arena` without a write-back (the arena is gone).
    pub fn invalidate(&mut self, arena: u64) {
        self.take(arena);
    }

    /// Empties the cache, calling `write_back` with each dirty arena, least
    /// recently used first.
    pub fn flush(&mut self, mut write_back: impl FnMut(u64)) {
        self.entries.sort_by_key(|e| e.used);
        for e in self.entries.drain(..) {
            if e.dirty {
                write_back(e.arena);
            }
        }
    }

    /// Arenas held, most recently used first.
    pub fn lru_order(&self) -> Vec<u64> {
        let mut v: Vec<_> = self.entries.iter().map(|e| (e.used, e.arena)).collect();
        v.sort_unstable_by(|a, b| b.cmp(a));
        v.into_iter().map(|(_, a)| a).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_entry_is_the_victim() {
        let mut c = ArenaAllocationCache::new(3);
        for a in [0x1000, 0x2000, 0x3000] {
            assert_eq!(c.insert(a, true), None);
        }
        assert!(c.lookup(0x1000, false));
        assert_eq!(c.lru_order(), vec![0x1000, 0x3000, 0x2000]);
        assert_eq!(c.insert(0x4000, false), Some(0x2000));
        assert_eq!(c.lru_order(), vec![0x4000, 0x1000, 0x3000]);
        assert!(!c.lookup(0x2000, false));
    }

    #[test]
    fn a_clean_victim_needs_no_write_back_and_link_updates_keep_the_order() {
        let mut c = ArenaAllocationCache::new(2);
        c.insert(0x1000, false);
        c.insert(0x2000, false);
        assert!(c.mark_dirty(0x1000));
        assert_eq!(c.lru_order(), vec![0x2000, 0x1000]);
        assert_eq!(c.insert(0x3000, false), Some(0x1000));
        assert_eq!(c.insert(0x4000, false), None);
    }

    #[test]
    fn a_disabled_cache_holds_nothing() {
        let mut c = ArenaAllocationCache::new(0);
        assert_eq!(c.insert(0x1000, true), None);
        assert!(!c.lookup(0x1000, false));
        assert!(c.is_empty());
    }

    #[test]
    fn take_moves_an_entry_out_with_its_dirty_bit() {
        let mut c = ArenaAllocationCache::new(2);
        c.insert(0x1000, true);
        assert_eq!(c.take(0x1000), Some(true));
        assert_eq!(c.take(0x1000), None);
        let mut out = vec![];
        c.insert(0x2000, true);
        c.insert(0x3000, false);
        c.lookup(0x2000, false);
        c.flush(|a| out.push(a));
        assert_eq!(out, vec![0x2000]);
        assert!(c.is_empty());
    }
}
