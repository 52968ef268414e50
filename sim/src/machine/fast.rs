//! The common events on their own: instruction blocks, loads and stores,
//! when the access stays in one line, hits the DTLB and hits the L1. Each
//! borrows its core and private caches once and changes nothing until it
//! knows it can finish; otherwise the general path (`access.rs`,
//! `replay.rs`) does the whole work. Results are the same either way.

use super::{Core, Machine};
use crate::allocator::AllocatorModel;
use crate::cache::Cache;
use memento_trace::Event;

use crate::cache::replacement::Access;
use crate::cause::Cause;
use crate::geometry::Geometry;
use crate::hierarchy::L1;

impl<M: AllocatorModel> Machine<M> {
    /// A block of `count` instructions at `addr..addr + len`.
    #[inline(always)]
    pub(super) fn block(&mut self, core: usize, addr: u64, len: u32, count: u32) {
        if M::ACTIVE && self.holding(core) {
            return self.hold(core, Event::Block { addr, len, count });
        }
        // A block's accesses belong with it: the warm-up ends between blocks.
        self.check_warm(core);
        let c = &mut self.cores[core];
        if c.front.next_block(addr, len) {
            c.timing.branch_stall(c.front.penalty);
        }
        self.settle_before_dispatch(core, u64::from(count));
        let g = self.geometry;
        let (Some(c), Some(p)) = (self.cores.get_mut(core), self.mem.private.get_mut(core)) else {
            return;
        };
        c.stats.events += 1;
        c.stats.blocks += 1;
        let line = g.line_of(c.space, addr);
        if line == g.line_of(c.space, addr.wrapping_add(u64::from(len.max(1)) - 1)) {
            let l1i = &mut p.l1i;
            if let Some(slot) = l1i.probe(line) {
                debug_assert!(!l1i.is_pending(slot), "fetches are not deferred");
                let now = c.timing.now();
                l1i.stats.accesses += 1;
                let access = Access::demand(core, Cause::Demand);
                let (ready, prefetch_hit) = l1i.hit(slot, false, now, access);
                if ready > now + l1i.latency() {
                    c.timing.fetch_stall(ready);
                }
                retire(c, u64::from(count));
                if prefetch_hit && l1i.prefetcher.is_active() {
                    self.mem.prefetch_l1(core, L1::Instruction, line, now);
                }
                return;
            }
        }
        self.fetch(core, addr, len);
        retire(&mut self.cores[core], u64::from(count));
    }

    /// A load (`WRITE` false) or store of `size` bytes at `addr`.
    #[inline(always)]
    pub(super) fn data<const WRITE: bool>(&mut self, core: usize, addr: u64, size: u32) {
        let addr = if M::ACTIVE {
            if self.holding(core) {
                return self.hold(core, Event::access(WRITE, addr, size));
            }
            self.model.redirect(self.cores[core].space, addr)
        } else {
            addr
        };
        if self.cores.get(core).is_some_and(|c| {
            let t = &c.timing;
            t.has_deferred()
                && if WRITE {
                    t.store_needs_settle()
                } else {
                    t.load_needs_settle(addr)
                }
        }) {
            self.settle_batch();
        }
        let g = self.geometry;
        let (Some(c), Some(p)) = (self.cores.get_mut(core), self.mem.private.get_mut(core)) else {
            return;
        };
        c.stats.events += 1;
        let t = if WRITE {
            c.timing.store_issue()
        } else {
            c.timing.load_issue(addr)
        };
        let done = match data_hit::<WRITE>(core, c, &mut p.l1d, addr, size, t, g) {
            Some((done, false)) => done,
            Some((done, true)) => {
                self.data_prefetch(core, addr, t);
                done
            }
            None => {
                let done = self.data_access(core, addr, size, WRITE, t);
                // The batch may have been settled during the access.
                self.mem.resolve(done)
            }
        };
        let c = &mut self.cores[core];
        let in_alloc = u64::from(c.brackets.inside());
        if WRITE {
            c.timing.store_done(done);
            c.stats.stores += 1;
            c.stats.alloc.stores += in_alloc;
        } else {
            c.timing.load_done(addr, size, done);
            c.stats.loads += 1;
            c.stats.alloc.loads += in_alloc;
        }
    }

    /// Settles the deferred reads if dispatching `count` instructions on
    /// `core` would fill the ROB behind a deferred load.
    #[inline(always)]
    pub(super) fn settle_before_dispatch(&mut self, core: usize, count: u64) {
        if self
            .cores
            .get(core)
            .is_some_and(|c| c.timing.has_deferred() && c.timing.dispatch_needs_settle(count))
        {
            self.settle_batch();
        }
    }

    /// A hit on a prefetched line trains the L1D prefetcher, issued at the
    /// cycle the access reached the L1D.
    #[inline(never)]
    fn data_prefetch(&mut self, core: usize, addr: u64, now: u64) {
        let c = &self.cores[core];
        let t = now
            + c.tlb
                .dtlb_latency
                .saturating_sub(self.mem.private[core].l1d.latency());
        let line = self.geometry.line_of(c.space, addr);
        self.mem.prefetch_l1(core, L1::Data, line, t);
    }
}

/// Dispatches `count` instructions, counted as allocator work inside a
/// bracket.
#[inline(always)]
pub(super) fn retire(c: &mut Core, count: u64) {
    c.timing.dispatch(count);
    if c.brackets.inside() {
        c.stats.alloc.instructions += count;
    }
}

/// A data access in one line that hits the DTLB and the L1D, issued at
/// `now`: the cycle its data is ready and whether it hit a prefetched line
/// (the caller then trains the prefetcher). `None`, with nothing changed,
/// when it does not qualify.
#[inline(always)]
fn data_hit<const WRITE: bool>(
    core: usize,
    c: &mut Core,
    l1: &mut Cache,
    vaddr: u64,
    size: u32,
    now: u64,
    g: Geometry,
) -> Option<(u64, bool)> {
    if g.crosses_line(vaddr, size) {
        return None;
    }
    let entry = c.tlb.dtlb_probe(g.page(vaddr))?;
    if c.tlb.walks_in_flight(now) {
        // The translation may still be walking: the general path waits.
        return None;
    }
    let line = g.line_of(c.space, vaddr);
    let slot = l1.probe(line)?;
    if l1.is_pending(slot) {
        // The line waits for a deferred read: the general path settles.
        return None;
    }
    c.tlb.dtlb_hit(entry);
    // A DTLB lookup overlaps the L1D tag check (VIPT).
    let t = now + c.tlb.dtlb_latency.saturating_sub(l1.latency());
    let cause = c.brackets.cause();
    l1.stats.accesses += 1;
    let (done, prefetch_hit) = l1.hit(slot, WRITE, t, Access::demand(core, cause));
    Some((done, prefetch_hit && l1.prefetcher.is_active()))
}
