//! What each trace event does to a core: instruction fetch and dispatch,
//! loads and stores, allocator accounting, kernel calls, markers.

use memento_trace::Event;

use super::{Machine, SMALL_OBJECT};
use crate::cause::Cause;
use crate::hierarchy::L1;
use crate::stats::InvocationStats;

impl Machine {
    /// Replays one event on `core`.
    #[inline(always)]
    pub(super) fn step(&mut self, core: usize, event: Event) {
        match event {
            Event::Block { addr, len, count } => self.block(core, addr, len, count),
            Event::Load { addr, size } => self.data::<false>(core, addr, size),
            Event::Store { addr, size } => self.data::<true>(core, addr, size),
            other => self.step_other(core, other),
        }
    }

    /// Fetches the lines of a block at `addr..addr + len` through the L1I;
    /// dispatch waits for the last one if it misses.
    #[inline(never)]
    pub(super) fn fetch(&mut self, core: usize, addr: u64, len: u32) {
        let end = addr.wrapping_add(u64::from(len.max(1)) - 1);
        let c = &mut self.cores[core];
        let first = self.geometry.line_of(c.space, addr);
        let last = self.geometry.line_of(c.space, end);
        let now = c.timing.now();
        let hit = now + self.mem.private[core].l1i.latency();
        let mut ready = now;
        for line in first..=last.max(first) {
            ready =
                ready.max(
                    self.mem
                        .access(core, L1::Instruction, line, false, now, Cause::Demand),
                );
        }
        if ready > hit {
            self.cores[core].timing.fetch_stall(ready);
        }
    }

    /// Every event but blocks, loads and stores.
    #[inline(never)]
    fn step_other(&mut self, core: usize, event: Event) {
        self.cores[core].stats.events += 1;
        let in_alloc = self.cores[core].alloc_depth > 0;
        match event {
            Event::Block { .. } | Event::Load { .. } | Event::Store { .. } => {
                unreachable!("handled by step")
            }
            Event::Gap { count } => self.retire(core, count, in_alloc),
            _ if event.is_nested_allocation(u64::from(self.cores[core].alloc_depth)) => {
                self.cores[core].stats.alloc.nested_events += 1;
            }
            Event::Alloc(a) => {
                let s = &mut self.cores[core].stats.alloc;
                s.allocs += 1;
                s.bytes_requested += a.size;
                s.small_allocs += u64::from(a.size <= SMALL_OBJECT);
                s.failed_allocs += u64::from(a.addr == 0);
            }
            Event::Free(_) => self.cores[core].stats.alloc.frees += 1,
            Event::Realloc(r) => {
                let s = &mut self.cores[core].stats.alloc;
                s.reallocs += 1;
                s.bytes_requested += r.size;
            }
            Event::AllocEnter { .. } => {
                let c = &mut self.cores[core];
                if c.alloc_depth == 0 {
                    c.stats.alloc.calls += 1;
                    c.alloc_entered_at = c.timing.now();
                }
                c.alloc_depth += 1;
                c.stats.alloc.max_depth = c.stats.alloc.max_depth.max(c.alloc_depth);
            }
            Event::AllocExit => {
                let c = &mut self.cores[core];
                match c.alloc_depth {
                    0 => c.stats.alloc.unmatched_exits += 1,
                    1 => {
                        c.alloc_depth = 0;
                        c.stats.alloc.cycles += c.timing.now() - c.alloc_entered_at;
                    }
                    _ => c.alloc_depth -= 1,
                }
            }
            Event::Mmap {
                addr, len, flags, ..
            } => {
                let space = self.cores[core].space;
                self.spaces[space].mmap(addr, len, flags, &mut self.dropped);
                self.cores[core].stats.kernel.mmaps += 1;
                self.kernel_work(core, u64::from(self.config.kernel.mmap_cycles));
                self.unmap(core);
            }
            Event::Munmap { addr, len } => {
                let space = self.cores[core].space;
                self.spaces[space].munmap(addr, len, &mut self.dropped);
                self.cores[core].stats.kernel.munmaps += 1;
                self.kernel_work(core, u64::from(self.config.kernel.munmap_cycles));
                self.unmap(core);
            }
            Event::Brk { old, new } => {
                let space = self.cores[core].space;
                self.spaces[space].brk(old, new, &mut self.dropped);
                self.cores[core].stats.kernel.brks += 1;
                self.kernel_work(core, u64::from(self.config.kernel.brk_cycles));
                self.unmap(core);
            }
            Event::Madvise { addr, len, advice } => {
                let space = self.cores[core].space;
                self.spaces[space].madvise(addr, len, advice, &mut self.dropped);
                self.cores[core].stats.kernel.madvises += 1;
                self.kernel_work(core, u64::from(self.config.kernel.madvise_cycles));
                self.unmap(core);
            }
            Event::Mremap {
                old_addr,
                old_len,
                new_addr,
                new_len,
            } => {
                let space = self.cores[core].space;
                self.spaces[space].mremap(old_addr, old_len, new_addr, new_len, &mut self.dropped);
                self.cores[core].stats.kernel.mremaps += 1;
                self.kernel_work(core, u64::from(self.config.kernel.mremap_cycles));
                // Moved pages keep their frames but change address: the old
                // translations go.
                self.unmap(core);
            }
            Event::Thread { .. } => self.cores[core].stats.thread_switches += 1,
            Event::RoiBegin | Event::RoiEnd => self.cores[core].stats.roi_markers += 1,
            Event::InvocationBegin { id } => {
                self.cores[core].stats.invocations += 1;
                let at = self.snapshot(core, id);
                self.cores[core].invocation = Some(at);
            }
            Event::InvocationEnd { id } => {
                if let Some(begin) = self.cores[core].invocation.take_if(|b| b.id == id) {
                    let end = self.snapshot(core, id);
                    self.invocations.push(InvocationStats {
                        core: end.core,
                        id,
                        cycles: end.cycles - begin.cycles,
                        instructions: end.instructions - begin.instructions,
                        loads: end.loads - begin.loads,
                        stores: end.stores - begin.stores,
                        l1d_misses: end.l1d_misses - begin.l1d_misses,
                        l2_misses: end.l2_misses - begin.l2_misses,
                        page_faults: end.page_faults - begin.page_faults,
                        kernel_cycles: end.kernel_cycles - begin.kernel_cycles,
                        allocs: end.allocs - begin.allocs,
                        alloc_instructions: end.alloc_instructions - begin.alloc_instructions,
                        dram_reads: end.dram_reads - begin.dram_reads,
                        dram_writes: end.dram_writes - begin.dram_writes,
                    });
                }
            }
        }
    }

    /// The counters of `core` now, as an invocation's begin or end.
    pub(super) fn snapshot(&self, core: usize, id: u64) -> InvocationStats {
        let c = &self.cores[core];
        let p = &self.mem.private[core];
        let d = self.mem.dram.counters();
        InvocationStats {
            core: core as u32,
            id,
            cycles: c.timing.now(),
            instructions: c.timing.instructions(),
            loads: c.stats.loads,
            stores: c.stats.stores,
            l1d_misses: p.l1d.stats.misses,
            l2_misses: p.l2.stats.misses,
            page_faults: c.stats.kernel.page_faults,
            kernel_cycles: c.stats.kernel.cycles,
            allocs: c.stats.alloc.allocs,
            alloc_instructions: c.stats.alloc.instructions,
            dram_reads: d.reads.transfers(),
            dram_writes: d.writes.transfers(),
        }
    }

    /// Dispatches `count` instructions, counted as allocator work inside a
    /// bracket.
    #[inline]
    pub(super) fn retire(&mut self, core: usize, count: u64, in_alloc: bool) {
        self.settle_before_dispatch(core, count);
        let c = &mut self.cores[core];
        c.timing.dispatch(count);
        if in_alloc {
            c.stats.alloc.instructions += count;
        }
    }
}
