//! Per-level access: a lookup at each level, misses going down through the
//! MSHRs, fills, evictions, write-backs and back-invalidation.

use super::{Level, MemorySystem, L1};
use crate::cache::replacement::Access;
use crate::cache::Evicted;
use crate::cause::Cause;
use crate::pending::{is_token, TOKEN};

impl MemorySystem {
    /// An access of `core` to `line` through an L1 at cycle `now`; returns
    /// the cycle its data is ready. A hit is handled inline, a miss apart.
    #[inline(always)]
    pub fn access(
        &mut self,
        core: usize,
        which: L1,
        line: u64,
        write: bool,
        now: u64,
        cause: Cause,
    ) -> u64 {
        let c = self.l1(core, which);
        if let Some(slot) = c.probe(line) {
            if c.is_pending(slot) {
                return self.settle_then_access(core, which, line, write, now, cause);
            }
            let c = self.l1(core, which);
            c.stats.accesses += 1;
            let (done, prefetch_hit) = c.hit(slot, write, now, Access::demand(core, cause));
            if prefetch_hit && c.prefetcher.is_active() {
                self.prefetch_l1(core, which, line, now);
            }
            return done;
        }
        self.l1(core, which).stats.accesses += 1;
        self.l1_miss(core, which, line, write, now, cause)
    }

    /// The access hit a line waiting for a deferred read: its batch is
    /// scheduled first.
    #[cold]
    #[inline(never)]
    fn settle_then_access(
        &mut self,
        core: usize,
        which: L1,
        line: u64,
        write: bool,
        now: u64,
        cause: Cause,
    ) -> u64 {
        self.schedule_batch();
        self.access(core, which, line, write, now, cause)
    }

    #[inline(never)]
    fn l1_miss(
        &mut self,
        core: usize,
        which: L1,
        line: u64,
        write: bool,
        now: u64,
        cause: Cause,
    ) -> u64 {
        let c = self.l1(core, which);
        c.stats.misses += 1;
        c.stats.misses_by_cause.add(cause, 1);
        let (reg, start) = self.reserve_mshr(Level::L1(core, which), now);
        let c = self.l1(core, which);
        c.stats.mshr_stall_cycles += start - now;
        let t = start + c.latency();
        // A settle below may have resolved the token: a cache only keeps
        // tokens of the batch still pending.
        let ready = self.access_l2(core, line, t, cause);
        let ready = self.resolve(ready);
        let c = self.l1(core, which);
        c.mshrs.hold(reg, ready);
        let victim = c.fill(
            line,
            write.then_some(cause.dirty_cause()),
            ready,
            Access::demand(core, cause),
        );
        let train = c.prefetcher.is_active() && cause != Cause::Prefetch;
        if let Some(v) = victim {
            self.l1_evicted(core, v, ready);
        }
        if train {
            self.prefetch_l1(core, which, line, now);
        }
        self.resolve(ready)
    }

    pub(super) fn l1_evicted(&mut self, core: usize, v: Evicted, now: u64) {
        if v.dirty {
            self.writeback_l2(core, v.line, v.cause, now);
        }
    }

    #[inline(never)]
    pub(super) fn access_l2(&mut self, core: usize, line: u64, now: u64, cause: Cause) -> u64 {
        let c = &mut self.private[core].l2;
        if c.probe(line).is_some_and(|slot| c.is_pending(slot)) {
            self.schedule_batch();
        }
        let c = &mut self.private[core].l2;
        c.stats.accesses += 1;
        if let Some(slot) = c.probe(line) {
            let (done, prefetch_hit) = c.hit(slot, false, now, Access::demand(core, cause));
            if prefetch_hit && c.prefetcher.is_active() {
                self.prefetch_l2(core, line, now);
            }
            return done;
        }
        c.stats.misses += 1;
        c.stats.misses_by_cause.add(cause, 1);
        let (reg, start) = self.reserve_mshr(Level::L2(core), now);
        let c = &mut self.private[core].l2;
        c.stats.mshr_stall_cycles += start - now;
        let t = start + c.latency();
        let ready = self.access_llc(core, line, t, cause);
        let ready = self.resolve(ready);
        let c = &mut self.private[core].l2;
        c.mshrs.hold(reg, ready);
        let victim = c.fill(line, None, ready, Access::demand(core, cause));
        let train = c.prefetcher.is_active() && cause != Cause::Prefetch;
        if let Some(v) = victim {
            if v.dirty {
                self.writeback_llc(core, v.line, v.cause, ready);
            }
        }
        if train {
            self.prefetch_l2(core, line, now);
        }
        self.resolve(ready)
    }

    pub(super) fn access_llc(&mut self, core: usize, line: u64, now: u64, cause: Cause) -> u64 {
        let s = self.slice(line);
        let c = &mut self.llc[s];
        if c.probe(line).is_some_and(|slot| c.is_pending(slot)) {
            self.schedule_batch();
        }
        let c = &mut self.llc[s];
        c.stats.accesses += 1;
        if let Some(slot) = c.probe(line) {
            let (done, prefetch_hit) = c.hit(slot, false, now, Access::demand(core, cause));
            if prefetch_hit && c.prefetcher.is_active() {
                self.prefetch_llc(core, line, now);
            }
            return done;
        }
        c.stats.misses += 1;
        c.stats.misses_by_cause.add(cause, 1);
        let (reg, start) = self.reserve_mshr(Level::Llc(s), now);
        let c = &mut self.llc[s];
        c.stats.mshr_stall_cycles += start - now;
        let t = start + c.latency();
        let addr = line << self.line_shift;
        let ready = if self.defer && matches!(cause, Cause::Demand | Cause::AllocMetadata) {
            let ticket = self.dram.queue_read_core(addr, cause, t);
            self.deferred.push(ticket);
            TOKEN + self.settled + self.deferred.len() as u64 - 1
        } else {
            self.dram.read_core(addr, cause, t)
        };
        let c = &mut self.llc[s];
        c.mshrs.hold(reg, ready);
        let victim = c.fill(line, None, ready, Access::demand(core, cause));
        let train = c.prefetcher.is_active() && cause != Cause::Prefetch;
        if let Some(v) = victim {
            self.llc_evicted(v, ready);
        }
        if train {
            self.prefetch_llc(core, line, now);
        }
        self.resolve(ready)
    }

    /// A line leaves the LLC: with inclusion, every private copy goes too
    /// (a dirty one makes the victim dirty); dirty data goes to DRAM.
    pub(super) fn llc_evicted(&mut self, v: Evicted, now: u64) {
        let (mut dirty, mut cause) = (v.dirty, v.cause);
        if self.inclusive {
            for p in &mut self.private {
                for c in [&mut p.l1i, &mut p.l1d, &mut p.l2] {
                    if let Some(x) = c.invalidate(v.line) {
                        c.stats.back_invalidations += 1;
                        if x.dirty {
                            dirty = true;
                            cause = x.cause;
                        }
                    }
                }
            }
        }
        if dirty {
            if !v.dirty {
                // The dirty data came from a private copy: the LLC sends it.
                let s = self.slice(v.line);
                self.llc[s].stats.writebacks += 1;
                self.llc[s].stats.writebacks_by_cause.add(cause, 1);
            }
            self.post_write(v.line, cause, now);
        }
    }

    /// Sends dirty `line` to DRAM at cycle `now` (a token: when that data
    /// arrives).
    pub(crate) fn post_write(&mut self, line: u64, cause: Cause, now: u64) {
        let addr = line << self.line_shift;
        if is_token(now) || !self.deferred.is_empty() {
            // Posted once the batch is scheduled: the victim of a
            // deferred read's fill leaves when that data arrives, and a
            // write (or the drain it starts) never takes the channel
            // ahead of reads queued before it.
            self.deferred_writes.push((addr, cause, now));
        } else {
            self.dram.write_core(addr, cause, now);
        }
    }

    fn writeback_l2(&mut self, core: usize, line: u64, cause: Cause, now: u64) {
        let c = &mut self.private[core].l2;
        if c.absorb_writeback(line, cause) {
            return;
        }
        if let Some(v) = c.fill(line, Some(cause), now, Access::writeback(core, cause)) {
            if v.dirty {
                self.writeback_llc(core, v.line, v.cause, now);
            }
        }
    }

    pub(super) fn writeback_llc(&mut self, core: usize, line: u64, cause: Cause, now: u64) {
        let s = self.slice(line);
        let c = &mut self.llc[s];
        if c.absorb_writeback(line, cause) {
            return;
        }
        if let Some(v) = c.fill(line, Some(cause), now, Access::writeback(core, cause)) {
            self.llc_evicted(v, now);
        }
    }
}
