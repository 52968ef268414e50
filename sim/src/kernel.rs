//! The baseline's kernel, as costs: which pages of which mappings have been
//! touched (so a first touch faults and zeroes the page, and a page dropped
//! by `munmap`, `madvise(MADV_DONTNEED)` or a shrinking `brk` faults again),
//! per address space. Costs themselves are in the config.

use std::collections::{BTreeMap, BTreeSet};

/// `MAP_ANONYMOUS` on Linux.
pub const MAP_ANONYMOUS: u32 = 0x20;
/// `MADV_DONTNEED` on Linux.
pub const MADV_DONTNEED: u32 = 4;
/// `MADV_REMOVE` on Linux (also frees the pages).
pub const MADV_REMOVE: u32 = 9;

/// What a first touch costs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// A page of an anonymous mapping: fault, then zero the page.
    Anonymous,
    /// A page of a file mapping: fault only (the page cache is assumed warm).
    File,
}

/// Memory-management state of one address space (a traced process).
#[derive(Clone, Debug)]
pub struct Kernel {
    page_shift: u32,
    /// start page -> (end page, anonymous)
    mappings: BTreeMap<u64, (u64, bool)>,
    touched: BTreeSet<u64>,
    /// Every page accessed during the run (known mapping or not) and not
    /// dropped since: the memory the run used.
    seen: BTreeSet<u64>,
}

impl Kernel {
    /// Nothing mapped yet. Pages outside every known mapping never fault:
    /// they were mapped before the trace began.
    pub fn new(page_size: u32) -> Kernel {
        Kernel {
            page_shift: page_size.trailing_zeros(),
            mappings: BTreeMap::new(),
            touched: BTreeSet::new(),
            seen: BTreeSet::new(),
        }
    }

    fn pages(&self, addr: u64, len: u64) -> (u64, u64) {
        let mask = (1u64 << self.page_shift) - 1;
        (
            addr >> self.page_shift,
            addr.saturating_add(len).saturating_add(mask) >> self.page_shift,
        )
    }

    /// Pages accessed during the run and not dropped since (pages made
    /// resident before the trace began and not accessed are not known).
    pub fn resident_pages(&self) -> u64 {
        self.seen.len() as u64
    }

    /// A page walk for `vpn`: the page is in use; true the first time.
    pub fn note(&mut self, vpn: u64) -> bool {
        self.seen.insert(vpn)
    }

    /// Page `vpn` was given back (by an allocator model, without the
    /// kernel).
    pub fn forget(&mut self, vpn: u64) {
        self.seen.remove(&vpn);
    }

    /// A page walk found no translation for `vpn`: is it a first touch?
    pub fn touch(&mut self, vpn: u64) -> Option<Fault> {
        let (&start, &(end, anon)) = self.mappings.range(..=vpn).next_back()?;
        if vpn < start || vpn >= end || !self.touched.insert(vpn) {
            return None;
        }
        Some(if anon { Fault::Anonymous } else { Fault::File })
    }

    /// A new mapping; anything it overlaps is replaced.
    pub fn mmap(&mut self, addr: u64, len: u64, flags: u32, dropped: &mut Vec<u64>) {
        let (start, end) = self.pages(addr, len);
        self.unmap_pages(start, end, dropped);
        self.mappings
            .insert(start, (end, flags & MAP_ANONYMOUS != 0));
    }

    /// Removes a range; touched pages in it are returned in `dropped`.
    pub fn munmap(&mut self, addr: u64, len: u64, dropped: &mut Vec<u64>) {
        let (start, end) = self.pages(addr, len);
        self.unmap_pages(start, end, dropped);
    }

    /// `madvise`: the freeing advices drop touched pages (they fault again).
    pub fn madvise(&mut self, addr: u64, len: u64, advice: u32, dropped: &mut Vec<u64>) {
        if advice == MADV_DONTNEED || advice == MADV_REMOVE {
            let (start, end) = self.pages(addr, len);
            self.drop_touched(start, end, dropped);
        }
    }

    /// `brk` moved from `old` to `new`: growth extends the heap's anonymous
    /// mapping, shrinking unmaps.
    pub fn brk(&mut self, old: u64, new: u64, dropped: &mut Vec<u64>) {
        if new > old {
            let (start, end) = self.pages(old, new - old);
            if let Some((&s, &(e, true))) = self.mappings.range(..=start).next_back() {
                if e >= start {
                    self.mappings.insert(s, (end.max(e), true));
                    return;
                }
            }
            self.mappings.insert(start, (end, true));
        } else if new < old {
            // Only whole pages above the new break are released.
            let mask = (1u64 << self.page_shift) - 1;
            let from = (new + mask) & !mask;
            if old > from {
                self.munmap(from, old - from, dropped);
            }
        }
    }

    /// `mremap`: touched pages move with the mapping (no new faults for
    /// them); the old range is gone.
    pub fn mremap(
        &mut self,
        old_addr: u64,
        old_len: u64,
        new_addr: u64,
        new_len: u64,
        dropped: &mut Vec<u64>,
    ) {
        let (old_start, old_end) = self.pages(old_addr, old_len);
        let (new_start, new_end) = self.pages(new_addr, new_len);
        let anon = match self.mappings.range(..=old_start).next_back() {
            Some((_, &(e, a))) if e > old_start => a,
            _ => true,
        };
        let mut moved = Vec::new();
        self.unmap_pages(old_start, old_end, &mut moved);
        dropped.extend_from_slice(&moved);
        if new_start != old_start {
            self.unmap_pages(new_start, new_end, dropped);
        }
        self.mappings.insert(new_start, (new_end, anon));
        for page in moved {
            let to = page - old_start + new_start;
            if to < new_end {
                self.touched.insert(to);
                self.seen.insert(to);
            }
        }
    }

    fn drop_touched(&mut self, start: u64, end: u64, dropped: &mut Vec<u64>) {
        let pages: Vec<u64> = self.touched.range(start..end).copied().collect();
        for p in &pages {
            self.touched.remove(p);
        }
        let seen: Vec<u64> = self.seen.range(start..end).copied().collect();
        for p in &seen {
            self.seen.remove(p);
        }
        dropped.extend_from_slice(&pages);
    }

    fn unmap_pages(&mut self, start: u64, end: u64, dropped: &mut Vec<u64>) {
        if start >= end {
            return;
        }
        self.drop_touched(start, end, dropped);
        let overlapping: Vec<(u64, u64, bool)> = self
            .mappings
            .range(..end)
            .rev()
            .take_while(|(_, &(e, _))| e > start)
            .map(|(&s, &(e, a))| (s, e, a))
            .collect();
        for (s, e, anon) in overlapping {
            self.mappings.remove(&s);
            if s < start {
                self.mappings.insert(s, (start, anon));
            }
            if e > end {
                self.mappings.insert(end, (e, anon));
            }
        }
    }
}
