//! The hardware page allocator: a pool of physical pages the OS keeps
//! filled, the region pages backed from it, and the Memento page table the
//! walker fills on a TLB miss inside the region, with no kernel entry.
//!
//! The table is radix, `table_levels` levels of 8-byte entries (level 0 is
//! the root). Its pages lie at `table_base + k * page_bytes` in the order
//! they are allocated; the root is set up by the OS with the region, the
//! others are taken from the pool and zeroed by the walker when a fill
//! needs them. Table pages stay until the region is torn down.

use crate::effects::Effects;
use crate::params::{ParamError, Params, ENTRY_BYTES};
use crate::stats::HpaStats;
use std::collections::{HashMap, HashSet};
use thiserror::Error;

/// Result of backing a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Touch {
    /// The page was already backed (the walk finds a valid entry).
    Backed,
    /// The page was backed from the pool now (and any missing table pages).
    Filled,
    /// The pool lacked the pages needed: nothing changed, the caller takes
    /// the page-fault path and refills the pool.
    PoolEmpty,
}

/// An address the page allocator does not manage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("address {0:#x} is outside the Memento region")]
pub struct OutsideRegion(pub u64);

/// The page pool and the Memento page table of one address space.
#[derive(Debug, Clone)]
pub struct HardwarePageAllocator {
    region: (u64, u64),
    page_shift: u32,
    level_bits: u32,
    levels: u32,
    table_base: u64,
    pool: u64,
    /// Page numbers (address >> page_shift) of backed region pages.
    backed: HashSet<u64>,
    /// Table page address by (level, address bits above that level).
    tables: HashMap<(u32, u64), u64>,
    tables_per_level: Vec<u64>,
    table_count: u64,
    stats: HpaStats,
}

impl HardwarePageAllocator {
    /// The page allocator of `params` (if they pass [`Params::validate`]),
    /// with `pool_pages` pages and the root table page in place.
    pub fn new(params: &Params) -> Result<HardwarePageAllocator, ParamError> {
        params.validate()?;
        let mut hpa = HardwarePageAllocator {
            region: (params.region_base, params.region_end()),
            page_shift: params.page_bytes.trailing_zeros(),
            level_bits: params.bits_per_level(),
            levels: params.table_levels,
            table_base: params.table_base,
            pool: params.pool_pages,
            backed: HashSet::new(),
            tables: HashMap::new(),
            tables_per_level: vec![0; params.table_levels as usize],
            table_count: 0,
            stats: HpaStats::default(),
        };
        hpa.new_table(0, 0);
        Ok(hpa)
    }

    fn page_bytes(&self) -> u64 {
        1 << self.page_shift
    }

    /// Checks `addr` and returns its page number.
    fn page_of(&self, addr: u64) -> Result<u64, OutsideRegion> {
        if addr < self.region.0 || addr >= self.region.1 {
            return Err(OutsideRegion(addr));
        }
        Ok(addr >> self.page_shift)
    }

    /// Shift of the address bits the table at `level` indexes.
    fn index_shift(&self, level: u32) -> u32 {
        self.page_shift + self.level_bits * (self.levels - 1 - level)
    }

    /// Key of the table at `level` that maps `vaddr`: the bits above it.
    fn key(&self, level: u32, vaddr: u64) -> (u32, u64) {
        let above = self.index_shift(level) + self.level_bits;
        (level, vaddr.checked_shr(above).unwrap_or(0))
    }

    fn new_table(&mut self, level: u32, vaddr: u64) -> u64 {
        let addr = self.table_base + self.table_count * self.page_bytes();
        self.table_count += 1;
        self.tables_per_level[level as usize] += 1;
        let key = self.key(level, vaddr);
        self.tables.insert(key, addr);
        addr
    }

    /// On a TLB miss at `addr` (any address in the page): backs its page
    /// from the pool if needed, allocating and zeroing missing table pages.
    /// All or nothing: with too few pages in the pool nothing changes.
    pub fn touch(&mut self, addr: u64, fx: &mut Effects) -> Result<Touch, OutsideRegion> {
        let page = self.page_of(addr)?;
        if self.backed.contains(&page) {
            return Ok(Touch::Backed);
        }
        let vaddr = page << self.page_shift;
        let missing = (1..self.levels).filter(|&l| !self.tables.contains_key(&self.key(l, vaddr)));
        let need = missing.count() as u64 + 1;
        if self.pool < need {
            self.stats.empty_pool_events += 1;
            return Ok(Touch::PoolEmpty);
        }
        for level in 1..self.levels {
            if !self.tables.contains_key(&self.key(level, vaddr)) {
                let t = self.new_table(level, vaddr);
                fx.table_pages_zeroed.push(t);
                self.stats.table_pages_zeroed += 1;
            }
        }
        self.pool -= need;
        self.backed.insert(page);
        fx.pages_taken.push(vaddr);
        self.stats.pages_taken += 1;
        Ok(Touch::Filled)
    }

    /// Backs the header page of a new arena at `addr` (what [`Self::touch`]
    /// does, asked for by the object allocator instead of the walker).
    pub fn back(&mut self, addr: u64, fx: &mut Effects) -> Result<Touch, OutsideRegion> {
        self.touch(addr, fx)
    }

    /// Returns the page holding `addr` to the pool if it is backed (its
    /// table entry becomes invalid); returns whether it was.
    pub fn release(&mut self, addr: u64, fx: &mut Effects) -> Result<bool, OutsideRegion> {
        let page = self.page_of(addr)?;
        if !self.backed.remove(&page) {
            return Ok(false);
        }
        self.pool += 1;
        fx.pages_released.push(page << self.page_shift);
        self.stats.pages_released += 1;
        Ok(true)
    }

    /// The OS adds `pages` pages to the pool (saturating).
    pub fn refill(&mut self, pages: u64) {
        self.pool = self.pool.saturating_add(pages);
        self.stats.refills += 1;
        self.stats.pages_refilled = self.stats.pages_refilled.saturating_add(pages);
    }

    /// Physical address of the entry at `level` (0 = root) that maps
    /// `vaddr`; `None` if that table page does not exist yet, or for a level
    /// the table does not have.
    pub fn table_entry_address(&self, level: u32, vaddr: u64) -> Option<u64> {
        if level >= self.levels {
            return None;
        }
        let table = *self.tables.get(&self.key(level, vaddr))?;
        let index = (vaddr >> self.index_shift(level)) & ((1 << self.level_bits) - 1);
        Some(table + index * ENTRY_BYTES)
    }

    /// Whether the page holding `addr` is backed.
    pub fn is_backed(&self, addr: u64) -> bool {
        self.page_of(addr).is_ok_and(|p| self.backed.contains(&p))
    }

    /// Pages in the pool.
    pub fn pool_len(&self) -> u64 {
        self.pool
    }

    /// Backed region pages.
    pub fn data_pages(&self) -> u64 {
        self.backed.len() as u64
    }

    /// Table pages, the root included.
    pub fn table_pages(&self) -> u64 {
        self.table_count
    }

    /// Table pages at each level, root first.
    pub fn table_pages_per_level(&self) -> &[u64] {
        &self.tables_per_level
    }

    /// Resident pages: backed data pages plus table pages.
    pub fn resident_pages(&self) -> u64 {
        self.data_pages() + self.table_pages()
    }

    /// Counters.
    pub fn stats(&self) -> &HpaStats {
        &self.stats
    }

    /// Starts the counters again (a warm-up's end); the state stays.
    pub fn reset_stats(&mut self) {
        self.stats = HpaStats::default();
    }
}
