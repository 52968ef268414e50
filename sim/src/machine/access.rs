//! How a core's data accesses reach memory: address spaces, translation
//! through the TLBs, page walks through the caches, first-touch faults and
//! page zeroing, and the kernel's unmapping work.

use super::Machine;
use crate::allocator::AllocatorModel;
use crate::cause::Cause;
use crate::config::PageTableLayout;
use crate::geometry::{Geometry, VA_BITS};
use crate::hierarchy::L1;
use crate::kernel::Fault;
use crate::pending::is_token;
use crate::tlb::Lookup;

/// ChampSim's layout gives each entry a 4 KiB page: the pages of one level
/// wrap after 2^27 of them (512 GiB, the level's share of the page-table
/// addresses, `1 << (VA_BITS - 8)`).
const CHAMPSIM_PAGES: u64 = (1 << (VA_BITS - 8 - 12)) - 1;

impl<M: AllocatorModel> Machine<M> {
    /// Translates the page of `vaddr` at cycle `now`; returns the cycle the
    /// translation is known (after a walk and a fault if needed).
    #[inline(always)]
    pub(super) fn translate(&mut self, core: usize, vaddr: u64, now: u64, l1_latency: u64) -> u64 {
        let vpn = self.geometry.page(vaddr);
        let c = &mut self.cores[core];
        match c.tlb.lookup(vpn) {
            // A DTLB lookup overlaps the L1D tag check (VIPT).
            Lookup::Dtlb => {
                let t = now + c.tlb.dtlb_latency.saturating_sub(l1_latency);
                c.tlb.ready(vpn, t)
            }
            Lookup::Stlb => {
                let t = now + c.tlb.dtlb_latency + c.tlb.stlb_latency;
                c.tlb.ready(vpn, t)
            }
            Lookup::Miss => {
                let start = c
                    .tlb
                    .walker_free(now + c.tlb.dtlb_latency + c.tlb.stlb_latency);
                let space = c.space;
                let first = self.kernels[space].note(vpn);
                if first {
                    self.note_resident();
                }
                let start = if first {
                    start + u64::from(self.config.tlb.first_touch_cycles)
                } else {
                    start
                };
                if M::ACTIVE {
                    if let Some(t) = M::on_walk(self, core, vaddr, start) {
                        let tlb = &mut self.cores[core].tlb;
                        tlb.walker_busy(t);
                        tlb.fill(vpn, t);
                        return t;
                    }
                }
                let t = self.walk(core, vpn, start);
                let c = &mut self.cores[core];
                c.tlb.stats.walk_cycles += t - start;
                c.tlb.walker_busy(t);
                c.tlb.fill(vpn, t);
                self.fault_if_first_touch(core, vpn, t)
            }
        }
    }

    /// Reads one entry per level, each depending on the one before,
    /// starting below the deepest upper-level entry the walk cache holds.
    #[inline(never)]
    pub(super) fn walk(&mut self, core: usize, vpn: u64, start: u64) -> u64 {
        let levels = self.config.tlb.walk_levels;
        let layout = self.config.tlb.page_table_layout;
        let prefix = |level: u32| vpn >> (9 * (levels - 1 - level));
        let wc = &mut self.cores[core].tlb.walk_cache;
        let first = (0..levels - 1)
            .rev()
            .find(|&l| wc.lookup(l, prefix(l)))
            .map_or(0, |l| l + 1);
        // ChampSim: the region's last walked page, whose leaf-table page
        // this walk reads in.
        let region_last = match layout {
            PageTableLayout::Champsim if levels > 1 && first == levels - 1 => {
                wc.value(levels - 2, prefix(levels - 2))
            }
            _ => None,
        };
        let base = Geometry::page_table_base(self.cores[core].space);
        let line = u64::from(self.config.line_size);
        let mut t = start;
        for level in first..levels {
            let at = base + (u64::from(level) << (VA_BITS - 8));
            let p = prefix(level);
            let entry = match layout {
                PageTableLayout::Packed => at + p * 8,
                PageTableLayout::LinePerEntry => at + p * line,
                PageTableLayout::Champsim => {
                    let page = match region_last {
                        Some(last) if level == levels - 1 => last,
                        _ => p,
                    };
                    at + (page & CHAMPSIM_PAGES) * 4096 + (p & 511) * 8
                }
            };
            t = self.mem.access(
                core,
                L1::Data,
                self.geometry.line(entry),
                false,
                t,
                Cause::PageWalk,
            );
        }
        let tlb = &mut self.cores[core].tlb;
        for level in first..levels - 1 {
            tlb.walk_cache.insert(level, prefix(level), vpn);
        }
        if layout == PageTableLayout::Champsim && first == levels - 1 && levels > 1 {
            // Every walk refills ChampSim's PSCL2 with its own leaf entry.
            tlb.walk_cache.insert(levels - 2, prefix(levels - 2), vpn);
        }
        tlb.stats.walk_accesses += u64::from(levels - first);
        tlb.stats.walk_cache_hits += u64::from(first > 0);
        t
    }

    /// A walk found no translation: if the page is a first touch of a known
    /// mapping, the fault (and the zeroing of an anonymous page) happens now.
    #[inline(never)]
    pub(super) fn fault_if_first_touch(&mut self, core: usize, vpn: u64, t: u64) -> u64 {
        let space = self.cores[core].space;
        let Some(fault) = self.kernels[space].touch(vpn) else {
            return t;
        };
        let k = &self.config.kernel;
        let mut cost = u64::from(k.page_fault_cycles);
        let stats = &mut self.cores[core].stats.kernel;
        stats.page_faults += 1;
        if fault == Fault::Anonymous && k.zero_pages {
            stats.zeroed_pages += 1;
            let space = self.cores[core].space;
            let first = self
                .geometry
                .line_of(space, vpn << self.geometry.page_shift());
            cost += self.zero_page(core, first, t + cost);
        }
        self.kernel_work(core, cost);
        self.cores[core].timing.now().max(t)
    }

    /// Kernel work on `core`: counted, and the pipeline drains first.
    pub(crate) fn kernel_work(&mut self, core: usize, cycles: u64) {
        if self.cores[core].timing.has_deferred() {
            // A fault may come in the middle of an access.
            self.settle_batch_keeping();
        }
        let c = &mut self.cores[core];
        c.stats.kernel.cycles += cycles;
        c.timing.serialise(cycles);
    }

    /// Any data access of `size` bytes at `vaddr`, issued at `now`: line by
    /// line, each translated, through the caches; returns when the last
    /// line's data is ready. (`fast.rs` handles the common case before
    /// coming here.)
    #[inline(never)]
    pub(super) fn data_access(
        &mut self,
        core: usize,
        vaddr: u64,
        size: u32,
        write: bool,
        now: u64,
    ) -> u64 {
        let cause = self.cores[core].brackets.cause();
        self.data_access_as(core, vaddr, size, write, now, cause)
    }

    /// [`Self::data_access`] under a given cause.
    pub(super) fn data_access_as(
        &mut self,
        core: usize,
        vaddr: u64,
        size: u32,
        write: bool,
        now: u64,
        cause: Cause,
    ) -> u64 {
        let l1_latency = self.mem.private[core].l1d.latency();
        let last = vaddr.wrapping_add(u64::from(size.max(1)) - 1);
        let mut done = None;
        let mut addr = vaddr;
        loop {
            let t = self.translate(core, addr, now, l1_latency);
            let line = self.geometry.line_of(self.cores[core].space, addr);
            // A demand read missing the LLC joins the batch of its window.
            self.mem.defer = true;
            let ready = self.mem.access(core, L1::Data, line, write, t, cause);
            self.mem.defer = false;
            done = Some(match done {
                None => ready,
                Some(d) => self.later(d, ready),
            });
            let shift = self.geometry.line_shift();
            let next = ((addr >> shift) + 1) << shift;
            if next == 0 || next > last {
                break;
            }
            addr = next;
        }
        // A read's data never arrives before its issue, so a token stands
        // for a cycle at or after `now`.
        done.unwrap_or(now)
    }

    /// The later of two ready cycles, settling the batch if a token is
    /// among them.
    pub(super) fn later(&mut self, a: u64, b: u64) -> u64 {
        let (mut a, mut b) = (self.mem.resolve(a), self.mem.resolve(b));
        if is_token(a) || is_token(b) {
            self.mem.schedule_batch();
            (a, b) = (self.mem.resolve(a), self.mem.resolve(b));
        }
        a.max(b)
    }

    /// Schedules the deferred DRAM reads of every core and retires the
    /// operations that waited for them. Only between events: an access in
    /// progress may hold a token, which [`Self::settle_batch_keeping`] keeps
    /// resolvable.
    #[inline(never)]
    pub(super) fn settle_batch(&mut self) {
        self.settle_batch_keeping();
        self.mem.forget_resolved();
    }

    /// [`Self::settle_batch`] inside an access.
    #[inline(always)]
    fn settle_batch_keeping(&mut self) {
        self.mem.schedule_batch();
        let mem = &self.mem;
        for c in self.cores.iter_mut().filter(|c| c.timing.has_deferred()) {
            c.timing.retire_deferred(|t| mem.resolve(t));
        }
    }

    /// Shoots down the translations of the pages the kernel model just
    /// dropped (on every core of the address space) and charges their cost.
    pub(super) fn unmap(&mut self, core: usize) {
        let space = self.cores[core].space;
        let pages = self.dropped.len() as u64;
        for &vpn in &self.dropped {
            for c in self.cores.iter_mut().filter(|c| c.space == space) {
                c.tlb.invalidate(vpn);
            }
        }
        self.dropped.clear();
        self.note_resident();
        self.cores[core].stats.kernel.dropped_pages += pages;
        let cycles = pages * u64::from(self.config.kernel.unmap_page_cycles);
        self.kernel_work(core, cycles);
    }
}
