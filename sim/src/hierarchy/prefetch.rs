//! Prefetches: each level's prefetcher is trained on its misses (and hits on
//! prefetched lines) and its proposals are issued into that level.

use super::{Level, MemorySystem, L1};
use crate::cache::prefetch::MAX_DEGREE;
use crate::cache::replacement::Access;
use crate::cause::Cause;
use crate::dram::ReadTicket;

impl MemorySystem {
    /// proposes.
    #[inline(never)]
    pub(crate) fn prefetch_l1(&mut self, core: usize, which: L1, line: u64, now: u64) {
        let mut lines = [0u64; MAX_DEGREE];
        let n = self.l1(core, which).prefetcher.train(line, &mut lines);
        for &p in &lines[..n] {
            let c = self.l1(core, which);
            if c.contains(p) {
                continue;
            }
            let Some(reg) = self.try_reserve_mshr(Level::L1(core, which), now) else {
                break;
            };
            let c = self.l1(core, which);
            c.stats.prefetches += 1;
            let t = now + c.latency();
            let ready = self.access_l2(core, p, t, Cause::Prefetch);
            let ready = self.resolve(ready);
            let c = self.l1(core, which);
            c.mshrs.hold(reg, ready);
            if let Some(v) = c.fill(p, None, ready, Access::prefetch(core)) {
                self.l1_evicted(core, v, ready);
            }
        }
    }

    pub(super) fn prefetch_l2(&mut self, core: usize, line: u64, now: u64) {
        let mut lines = [0u64; MAX_DEGREE];
        let n = self.private[core].l2.prefetcher.train(line, &mut lines);
        for &p in &lines[..n] {
            let c = &mut self.private[core].l2;
            if c.contains(p) {
                continue;
            }
            let Some(reg) = self.try_reserve_mshr(Level::L2(core), now) else {
                break;
            };
            let c = &mut self.private[core].l2;
            c.stats.prefetches += 1;
            let t = now + c.latency();
            let ready = self.access_llc(core, p, t, Cause::Prefetch);
            let ready = self.resolve(ready);
            let c = &mut self.private[core].l2;
            c.mshrs.hold(reg, ready);
            if let Some(v) = c.fill(p, None, ready, Access::prefetch(core)) {
                if v.dirty {
                    self.writeback_llc(core, v.line, v.cause, ready);
                }
            }
        }
    }

    pub(super) fn prefetch_llc(&mut self, core: usize, line: u64, now: u64) {
        let mut lines = [0u64; MAX_DEGREE];
        let s = self.slice(line);
        let n = self.llc[s].prefetcher.train(line, &mut lines);
        // The reads are queued together, so that the controller serves them
        // in FR-FCFS order, then each line is filled when its data is known.
        let mut issued: [Option<(u64, usize, ReadTicket)>; MAX_DEGREE] = [None; MAX_DEGREE];
        for (slot, &p) in issued.iter_mut().zip(&lines[..n]) {
            let s = self.slice(p);
            let c = &mut self.llc[s];
            if c.contains(p) {
                continue;
            }
            let Some(reg) = self.try_reserve_mshr(Level::Llc(s), now) else {
                break;
            };
            let c = &mut self.llc[s];
            // Busy until its data's cycle is known, so that the next line
            // takes another register.
            c.mshrs.hold(reg, u64::MAX);
            c.stats.prefetches += 1;
            let t = now + c.latency();
            *slot = Some((
                p,
                reg,
                self.dram
                    .queue_read_core(p << self.line_shift, Cause::Prefetch, t),
            ));
        }
        for &(p, reg, ticket) in issued.iter().flatten() {
            let ready = self.dram.finish_read_core(ticket);
            let s = self.slice(p);
            let c = &mut self.llc[s];
            c.mshrs.hold(reg, ready);
            if let Some(v) = c.fill(p, None, ready, Access::prefetch(core)) {
                self.llc_evicted(v, ready);
            }
        }
    }
}
