//! What each trace event does to a core: instruction fetch and dispatch,
//! loads and stores, allocator accounting, kernel calls, markers.

use memento_trace::Event;

use super::{Machine, SMALL_OBJECT};
use crate::allocator::AllocatorModel;
use crate::cause::Cause;
use crate::hierarchy::L1;
use crate::stats::{AllocStats, InvocationStats};

impl<M: AllocatorModel> Machine<M> {
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
        if M::ACTIVE && self.offer(core, &event) {
            return;
        }
        self.cores[core].stats.events += 1;
        let in_alloc = self.cores[core].brackets.inside();
        match event {
            Event::Block { .. } | Event::Load { .. } | Event::Store { .. } => {
                unreachable!("handled by step")
            }
            Event::Gap { count } => self.retire(core, count, in_alloc),
            _ if self.cores[core].brackets.is_nested(&event) => {
                self.cores[core].stats.alloc.nested_events += 1;
            }
            Event::Alloc(a) => {
                count_allocation(&mut self.cores[core].stats.alloc, &event);
                if M::ACTIVE && !self.cores[core].replaying {
                    M::on_alloc(self, core, &a);
                }
            }
            Event::Free(f) => {
                count_allocation(&mut self.cores[core].stats.alloc, &event);
                if M::ACTIVE && !self.cores[core].replaying {
                    M::on_free(self, core, &f);
                }
            }
            Event::Realloc(r) => {
                count_allocation(&mut self.cores[core].stats.alloc, &event);
                if M::ACTIVE && !self.cores[core].replaying {
                    M::on_realloc(self, core, &r);
                }
            }
            Event::AllocEnter { .. } => {
                let c = &mut self.cores[core];
                c.brackets.enter(c.timing.now(), &mut c.stats.alloc);
            }
            Event::AllocExit => {
                let c = &mut self.cores[core];
                c.brackets.exit(c.timing.now(), &mut c.stats.alloc);
            }
            Event::Mmap {
                addr, len, flags, ..
            } => {
                let space = self.cores[core].space;
                self.kernels[space].mmap(addr, len, flags, &mut self.dropped);
                self.cores[core].stats.kernel.mmaps += 1;
                self.kernel_work(core, u64::from(self.config.kernel.mmap_cycles));
                self.unmap(core);
            }
            Event::Munmap { addr, len } => {
                let space = self.cores[core].space;
                self.kernels[space].munmap(addr, len, &mut self.dropped);
                self.cores[core].stats.kernel.munmaps += 1;
                self.kernel_work(core, u64::from(self.config.kernel.munmap_cycles));
                self.unmap(core);
            }
            Event::Brk { old, new } => {
                let space = self.cores[core].space;
                self.kernels[space].brk(old, new, &mut self.dropped);
                self.cores[core].stats.kernel.brks += 1;
                self.kernel_work(core, u64::from(self.config.kernel.brk_cycles));
                self.unmap(core);
            }
            Event::Madvise { addr, len, advice } => {
                let space = self.cores[core].space;
                self.kernels[space].madvise(addr, len, advice, &mut self.dropped);
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
                self.kernels[space].mremap(old_addr, old_len, new_addr, new_len, &mut self.dropped);
                self.cores[core].stats.kernel.mremaps += 1;
                self.kernel_work(core, u64::from(self.config.kernel.mremap_cycles));
                // Moved pages keep their frames but change address: the old
                // translations go.
                self.unmap(core);
            }
            Event::Thread { .. } => {
                self.cores[core].stats.thread_switches += 1;
                self.cores[core].front.forget_last();
                if M::ACTIVE {
                    M::on_thread_switch(self, core);
                }
            }
            Event::RoiBegin | Event::RoiEnd => self.cores[core].stats.roi_markers += 1,
            Event::Dep { distance } => self.cores[core].timing.set_dep(distance),
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

    /// Offers `event` to the allocator model: true when the model took it
    /// (an event of a bracket it holds, or the bracket's opening).
    #[inline(never)]
    fn offer(&mut self, core: usize, event: &Event) -> bool {
        let c = &mut self.cores[core];
        if c.replaying {
            return false;
        }
        if c.held == 0 {
            let Event::AllocEnter { func } = *event else {
                return false;
            };
            if c.brackets.inside() || !M::on_enter(self, core, func) {
                return false;
            }
        }
        self.hold(core, *event);
        true
    }

    /// An event of the bracket the model holds on `core`.
    pub(super) fn hold(&mut self, core: usize, event: Event) {
        let c = &mut self.cores[core];
        let depth = match event {
            Event::AllocEnter { .. } => {
                c.held += 1;
                c.held
            }
            Event::AllocExit => {
                c.held -= 1;
                c.held + 1
            }
            _ => c.held,
        };
        let closed = c.held == 0;
        M::on_held(self, core, event, depth);
        if closed {
            M::on_exit(self, core);
        }
    }

    /// Replays `events` on `core` as the baseline would: for a model that
    /// held them and keeps the software's work. Their brackets are not
    /// offered to the model again, nor their allocation events.
    pub fn replay_events(&mut self, core: usize, events: impl IntoIterator<Item = Event>) {
        let was = std::mem::replace(&mut self.cores[core].replaying, true);
        for e in events {
            self.step(core, e);
        }
        self.cores[core].replaying = was;
    }

    /// Ends the hold of the bracket open on `core` without closing it: its
    /// remaining events replay as they come (the model replays those it
    /// held with [`Self::replay_events`]). For a bracket too long to hold.
    pub fn release_held(&mut self, core: usize) {
        self.cores[core].held = 0;
    }

    /// Counts allocation events of a bracket the model dropped (`depth` as
    /// given to [`AllocatorModel::on_held`]), as if it had been replayed.
    pub fn count_dropped(&mut self, core: usize, event: &Event, depth: u32) {
        if let Event::Load { .. } = event {
            self.cores[core].timing.skip_load();
        }
        let s = &mut self.cores[core].stats.alloc;
        match event {
            Event::AllocEnter { .. } if depth == 1 => s.calls += 1,
            _ if event.is_nested_allocation(u64::from(depth)) => s.nested_events += 1,
            Event::Alloc(_) | Event::Free(_) | Event::Realloc(_) => count_allocation(s, event),
            _ => {}
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
        self.check_warm(core);
        self.settle_before_dispatch(core, count);
        let c = &mut self.cores[core];
        c.timing.dispatch(count);
        if in_alloc {
            c.stats.alloc.instructions += count;
        }
    }
}

/// Counts an allocation, free or resize event made at the outermost level.
fn count_allocation(s: &mut AllocStats, event: &Event) {
    match *event {
        Event::Alloc(a) => {
            s.allocs += 1;
            s.bytes_requested += a.size;
            s.small_allocs += u64::from(a.size <= SMALL_OBJECT);
            s.failed_allocs += u64::from(a.addr == 0);
        }
        Event::Free(_) => s.frees += 1,
        Event::Realloc(r) => {
            s.reallocs += 1;
            s.bytes_requested += r.size;
        }
        _ => {}
    }
}
