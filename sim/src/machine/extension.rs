//! What the units of an allocator model do on a core: an instruction of
//! its own that reads and writes memory (obj-alloc, obj-free), whole-page
//! zeroing, lines installed or dropped by virtual address, page-table
//! reads of its own walker, and TLB shootdowns. The models decide; these
//! turn the decisions into cycles and traffic.

use std::ops::Range;

use super::Machine;
use crate::allocator::AllocatorModel;
use crate::cause::Cause;
use crate::geometry::Geometry;
use crate::hierarchy::L1;
use crate::pending::is_token;

impl<M: AllocatorModel> Machine<M> {
    /// The address space `core` replays.
    #[inline]
    pub(crate) fn space_of(&self, core: usize) -> usize {
        self.cores[core].space
    }

    /// The geometry of addresses.
    #[inline]
    pub(crate) fn geometry(&self) -> Geometry {
        self.geometry
    }

    /// The dispatch cycle of `core`.
    #[inline]
    pub(crate) fn now(&self, core: usize) -> u64 {
        self.cores[core].timing.now()
    }

    /// One instruction of the model on `core` (obj-alloc, obj-free): it
    /// dispatches, looks up for `lookup` cycles,
    /// then reads the lines at `reads` (virtual) in parallel; it is done
    /// when the lookup and the reads are, and holds a load-queue entry and
    /// the ROB like a load until then. The lines at `writes` are written in
    /// the background. Returns the cycles from issue to done.
    pub(crate) fn unit_instruction(
        &mut self,
        core: usize,
        lookup: u64,
        reads: &[u64],
        writes: &[u64],
    ) -> u64 {
        self.settle_before_dispatch(core, 1);
        if self.cores[core].timing.has_deferred() && self.cores[core].timing.unit_needs_settle() {
            self.settle_batch();
        }
        let c = &mut self.cores[core];
        c.timing.dispatch(1);
        let t = c.timing.unit_issue();
        let mut done = t + lookup;
        for &r in reads {
            let ready = self.data_access_as(core, r, 1, false, t + lookup, Cause::AllocMetadata);
            done = self.later(done, ready);
        }
        for &w in writes {
            self.data_access_as(core, w, 1, true, t, Cause::AllocMetadata);
        }
        let mut done = self.mem.resolve(done);
        if is_token(done) {
            // A header read missed the LLC: its batch is scheduled now, so
            // that the instruction's latency is known.
            self.settle_batch();
            done = self.mem.resolve(done);
        }
        self.cores[core].timing.unit_done(done);
        done - t
    }

    /// `count` plain instructions of the model (a copy loop's) on `core`.
    pub(crate) fn unit_dispatch(&mut self, core: usize, count: u64) {
        self.settle_before_dispatch(core, count);
        self.cores[core].timing.dispatch(count);
    }

    /// Installs in `core`'s caches, without a DRAM read, the whole lines
    /// inside `len` bytes at `vaddr` (rounded inward: a line partly outside
    /// may hold another object) that it does not already hold.
    pub(crate) fn install_bytes(&mut self, core: usize, vaddr: u64, len: u64) -> u64 {
        let space = self.cores[core].space;
        let lines = self
            .geometry
            .lines_within(Geometry::physical(space, vaddr), len);
        let now = self.cores[core].timing.now();
        self.mem.install_lines(core, lines, now)
    }

    /// Drops from every cache, without writing them back, the whole lines
    /// inside `len` bytes at `vaddr` of address space `space` (rounded
    /// inward).
    pub(crate) fn drop_bytes(&mut self, space: usize, vaddr: u64, len: u64) -> u64 {
        let lines = self
            .geometry
            .lines_within(Geometry::physical(space, vaddr), len);
        self.mem.drop_lines(lines)
    }

    /// Zeroes the page whose first physical line is `first`, line by line
    /// from cycle `at` (full-line stores: installed dirty, no read); returns
    /// the cycles it took.
    pub(crate) fn zero_page(&mut self, core: usize, first: u64, at: u64) -> u64 {
        let per_line = u64::from(self.config.kernel.zero_line_cycles);
        let mut cost = 0;
        for i in 0..self.geometry.lines_per_page() {
            self.mem
                .install(core, first + i, Cause::PageZeroing, at + cost);
            cost += per_line;
        }
        cost
    }

    /// Reads the page-table entries at the physical addresses `entries`,
    /// each after the one before, from cycle `start` (a walk of the
    /// model's own table); returns when the last is known.
    pub(crate) fn walk_entries(&mut self, core: usize, entries: &[u64], start: u64) -> u64 {
        let mut t = start;
        for &e in entries {
            let line = self.geometry.line(e);
            t = self
                .mem
                .access(core, L1::Data, line, false, t, Cause::PageWalk);
        }
        let tlb = &mut self.cores[core].tlb.stats;
        tlb.walk_accesses += entries.len() as u64;
        tlb.walk_cycles += t - start;
        t
    }

    /// Posts writes of the physical lines `lines` straight to DRAM at
    /// `now` (non-temporal stores: the OS zeroing pool pages).
    pub(crate) fn write_lines_to_dram(&mut self, lines: Range<u64>, cause: Cause, now: u64) {
        for line in lines {
            self.mem.post_write(line, cause, now);
        }
    }

    /// The page at `vaddr` of address space `space` is given back by the
    /// model: its translation leaves every core of the space, and it no
    /// longer counts as resident.
    pub(crate) fn shoot_down(&mut self, space: usize, vaddr: u64) {
        let vpn = self.geometry.page(vaddr);
        self.kernels[space].forget(vpn);
        for c in self.cores.iter_mut().filter(|c| c.space == space) {
            c.tlb.invalidate(vpn);
        }
    }
}

impl<M: AllocatorModel> Machine<M> {
    /// A load or store of the model's (a copy or a clear) on `core`, at
    /// an address no redirect applies to.
    pub(crate) fn unit_access(&mut self, core: usize, addr: u64, size: u32, write: bool) {
        if write {
            self.data::<true>(core, addr, size);
        } else {
            self.data::<false>(core, addr, size);
        }
    }

    /// Writes of the lines at `lines` (virtual) made by the model's units
    /// in the background, as allocator metadata.
    pub(crate) fn background_writes(&mut self, core: usize, lines: &[u64]) {
        let now = self.cores[core].timing.now();
        for &w in lines {
            self.data_access_as(core, w, 1, true, now, Cause::AllocMetadata);
        }
    }

    /// Makes `len` bytes at `addr` of address space `space` an anonymous
    /// mapping of the kernel model (no cost: set up with the process).
    pub(crate) fn map_anonymous(&mut self, space: usize, addr: u64, len: u64) {
        self.kernels[space].mmap(addr, len, crate::kernel::MAP_ANONYMOUS, &mut self.dropped);
        self.dropped.clear();
    }

    /// The OS gives `len` bytes at `addr` back with `madvise(MADV_DONTNEED)`
    /// on behalf of `core`: the call's cost, the pages dropped.
    pub(crate) fn madvise_free(&mut self, core: usize, addr: u64, len: u64) {
        let space = self.cores[core].space;
        self.kernels[space].madvise(addr, len, crate::kernel::MADV_DONTNEED, &mut self.dropped);
        self.cores[core].stats.kernel.madvises += 1;
        self.kernel_work(core, u64::from(self.config.kernel.madvise_cycles));
        self.unmap(core);
    }
}
