//! The Hardware Object Table: per core, direct-mapped by size class, each
//! entry caching the header of one arena (normally its class's current
//! arena) with a dirty bit.
//!
//! Indexed by class, not by address: obj-alloc knows only the size, so the
//! class is the one key it has before the lookup. The price is that classes
//! `c` and `c + entries` share an entry and thrash when both are in use.

/// One HOT entry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HotEntry {
    /// Base of the cached arena (the tag); 0 for an empty entry (no arena
    /// lies at 0, the region starts above it).
    pub arena: u64,
    /// The cached header differs from memory.
    pub dirty: bool,
}

/// A core's HOT (functional: tags and dirty bits, no header contents; the
/// allocator keeps the headers).
#[derive(Debug, Clone)]
pub struct HardwareObjectTable {
    entries: Vec<HotEntry>,
    /// `entries - 1` when the count is a power of two, to index by a mask.
    mask: Option<usize>,
}

impl HardwareObjectTable {
    /// A HOT of `entries` entries (at least one).
    pub fn new(entries: usize) -> HardwareObjectTable {
        let n = entries.max(1);
        HardwareObjectTable {
            entries: vec![HotEntry::default(); n],
            mask: n.is_power_of_two().then_some(n - 1),
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Always false (a HOT has at least one entry).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entry index of `class`: `class % entries`.
    #[inline]
    pub fn index(&self, class: usize) -> usize {
        match self.mask {
            Some(m) => class & m,
            None => class % self.entries.len(),
        }
    }

    /// The entry at `index`, if in range.
    pub fn entry(&self, index: usize) -> Option<HotEntry> {
        self.entries.get(index).copied()
    }

    /// Whether the entry of `class` caches the arena at `arena`.
    #[inline]
    pub fn holds(&self, class: usize, arena: u64) -> bool {
        self.entries[self.index(class)].arena == arena
    }

    /// Caches `arena` in the entry of `class`; returns the base of the
    /// arena pushed out if its header was dirty (to be written back).
    #[inline]
    pub fn install(&mut self, class: usize, arena: u64, dirty: bool) -> Option<u64> {
        let i = self.index(class);
        let old = std::mem::replace(&mut self.entries[i], HotEntry { arena, dirty });
        (old.dirty && old.arena != 0 && old.arena != arena).then_some(old.arena)
    }

    /// Marks the entry of `class` dirty if it caches `arena`; returns
    /// whether it did.
    #[inline]
    pub fn mark_dirty(&mut self, class: usize, arena: u64) -> bool {
        let i = self.index(class);
        let e = &mut self.entries[i];
        let hit = e.arena == arena;
        e.dirty |= hit;
        hit
    }

    /// Empties the entry of `class` if it caches `arena`, without a
    /// write-back (the arena is gone).
    pub fn invalidate(&mut self, class: usize, arena: u64) {
        let i = self.index(class);
        if self.entries[i].arena == arena {
            self.entries[i] = HotEntry::default();
        }
    }

    /// Empties every entry, calling `write_back` with each dirty arena in
    /// entry order.
    pub fn flush(&mut self, mut write_back: impl FnMut(u64)) {
        for e in &mut self.entries {
            if e.dirty && e.arena != 0 {
                write_back(e.arena);
            }
            *e = HotEntry::default();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_that_share_an_index_evict_each_other() {
        let mut h = HardwareObjectTable::new(4);
        assert_eq!(h.install(1, 0x1000, true), None);
        assert!(h.holds(1, 0x1000));
        assert_eq!(h.install(5, 0x2000, false), Some(0x1000));
        assert!(!h.holds(1, 0x1000));
        assert_eq!(
            h.install(1, 0x1000, false),
            None,
            "a clean victim needs no write-back"
        );
    }

    #[test]
    fn a_count_that_is_no_power_of_two_indexes_by_modulo() {
        let h = HardwareObjectTable::new(6);
        assert_eq!(h.index(13), 1);
    }

    #[test]
    fn flush_reports_dirty_entries_only_and_empties_all() {
        let mut h = HardwareObjectTable::new(4);
        h.install(0, 0x1000, true);
        h.install(1, 0x2000, false);
        h.install(2, 0x3000, false);
        assert!(h.mark_dirty(2, 0x3000));
        assert!(!h.mark_dirty(1, 0x9000));
        let mut out = vec![];
        h.flush(|a| out.push(a));
        assert_eq!(out, vec![0x1000, 0x3000]);
        assert!((0..4).all(|i| h.entry(i) == Some(HotEntry::default())));
    }
}
