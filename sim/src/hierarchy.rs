//! How the cache levels connect: private L1I, L1D and L2 per core, a shared
//! LLC in one slice per core, and DRAM below. Write-back, write-allocate;
//! the LLC is inclusive (evictions back-invalidate the private caches) or
//! not. Also the two operations the Memento extension needs: install a line
//! without fetching it, and drop a line without writing it back.

use crate::cache::prefetch::MAX_DEGREE;
use crate::cache::{Cache, Evicted};
use crate::cause::Cause;
use crate::config::Config;
use crate::dram::{Dram, ReadTicket};
use crate::pending::{is_token, TOKEN};

/// A private first-level cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum L1 {
    /// Instruction cache.
    Instruction,
    /// Data cache.
    Data,
}

/// The private caches of one core.
#[derive(Clone, Debug)]
pub struct Private {
    /// L1 instruction cache.
    pub l1i: Cache,
    /// L1 data cache.
    pub l1d: Cache,
    /// L2.
    pub l2: Cache,
}

/// All caches of the machine and its DRAM.
#[derive(Clone, Debug)]
pub struct MemorySystem {
    /// Private caches, by core.
    pub private: Vec<Private>,
    /// LLC slices.
    pub llc: Vec<Cache>,
    /// Main memory.
    pub dram: Dram,
    inclusive: bool,
    line_shift: u32,
    /// Set-index bits of one LLC slice: the slice is chosen from the bits
    /// above them, so that every slice uses all its sets.
    llc_set_bits: u32,
    /// Set by the machine around a core's data access: its demand reads
    /// that miss the LLC are queued at the controller and answered with a
    /// token, so that the misses of one ROB window are scheduled together.
    pub(crate) defer: bool,
    /// The tickets of the deferred reads not yet settled, for the tokens
    /// from `TOKEN + settled` on.
    deferred: Vec<ReadTicket>,
    /// Deferred reads settled so far.
    settled: u64,
    /// The cycles of the settled tokens from `TOKEN + resolved_from` on,
    /// kept until the cores have taken theirs.
    resolved: Vec<u64>,
    resolved_from: u64,
    /// Writebacks whose cycle is a token: posted once it is known.
    deferred_writes: Vec<(u64, Cause, u64)>,
}

/// The cause under which dirty data made by an access is later written.
#[inline]
pub(crate) fn dirty_cause(access: Cause) -> Cause {
    match access {
        Cause::AllocMetadata | Cause::PageZeroing => access,
        _ => Cause::Writeback,
    }
}

impl MemorySystem {
    /// Empty caches and idle DRAM for `config` (already validated).
    pub fn new(config: &Config, dram: Dram) -> MemorySystem {
        let n = config.cores as usize;
        let seed = |core: usize, level: u64| config.seed ^ ((core as u64) << 8) ^ level;
        MemorySystem {
            private: (0..n)
                .map(|c| Private {
                    l1i: Cache::new(&config.l1i, seed(c, 1)),
                    l1d: Cache::new(&config.l1d, seed(c, 2)),
                    l2: Cache::new(&config.l2, seed(c, 3)),
                })
                .collect(),
            llc: (0..n)
                .map(|c| Cache::new(&config.llc, seed(c, 4)))
                .collect(),
            dram,
            inclusive: config.llc.inclusive,
            line_shift: config.line_size.trailing_zeros(),
            llc_set_bits: config.llc.sets.trailing_zeros(),
            defer: false,
            deferred: Vec::new(),
            settled: 0,
            resolved: Vec::new(),
            resolved_from: 0,
            deferred_writes: Vec::new(),
        }
    }

    /// Line size as a shift.
    pub fn line_shift(&self) -> u32 {
        self.line_shift
    }

    #[inline]
    fn slice(&self, line: u64) -> usize {
        ((line >> self.llc_set_bits) % self.llc.len() as u64) as usize
    }

    #[inline]
    fn l1(&mut self, core: usize, which: L1) -> &mut Cache {
        match which {
            L1::Instruction => &mut self.private[core].l1i,
            L1::Data => &mut self.private[core].l1d,
        }
    }

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
            let (done, prefetch_hit) = c.hit(slot, write, now, dirty_cause(cause));
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
        self.settle();
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
        let (reg, start) = match c.mshrs.reserve(now) {
            (_, start) if is_token(start) => {
                // Every register waits for a deferred read.
                self.settle();
                self.l1(core, which).mshrs.reserve(now)
            }
            r => r,
        };
        let c = self.l1(core, which);
        c.stats.mshr_stall_cycles += start - now;
        let t = start + c.latency();
        // A settle below may have resolved the token: a cache only keeps
        // tokens of the batch still pending.
        let ready = self.access_l2(core, line, t, cause);
        let ready = self.resolve(ready);
        let c = self.l1(core, which);
        c.mshrs.hold(reg, ready);
        let victim = c.fill(line, write.then_some(dirty_cause(cause)), false, ready);
        let train = c.prefetcher.is_active() && cause != Cause::Prefetch;
        if let Some(v) = victim {
            self.l1_evicted(core, v, ready);
        }
        if train {
            self.prefetch_l1(core, which, line, now);
        }
        self.resolve(ready)
    }

    fn l1_evicted(&mut self, core: usize, v: Evicted, now: u64) {
        if v.dirty {
            self.writeback_l2(core, v.line, v.cause, now);
        }
    }

    #[inline(never)]
    fn access_l2(&mut self, core: usize, line: u64, now: u64, cause: Cause) -> u64 {
        let c = &mut self.private[core].l2;
        if c.probe(line).is_some_and(|slot| c.is_pending(slot)) {
            self.settle();
        }
        let c = &mut self.private[core].l2;
        c.stats.accesses += 1;
        if let Some(slot) = c.probe(line) {
            let (done, prefetch_hit) = c.hit(slot, false, now, Cause::Writeback);
            if prefetch_hit && c.prefetcher.is_active() {
                self.prefetch_l2(core, line, now);
            }
            return done;
        }
        c.stats.misses += 1;
        c.stats.misses_by_cause.add(cause, 1);
        let (reg, start) = match c.mshrs.reserve(now) {
            (_, start) if is_token(start) => {
                self.settle();
                self.private[core].l2.mshrs.reserve(now)
            }
            r => r,
        };
        let c = &mut self.private[core].l2;
        c.stats.mshr_stall_cycles += start - now;
        let t = start + c.latency();
        let ready = self.access_llc(line, t, cause);
        let ready = self.resolve(ready);
        let c = &mut self.private[core].l2;
        c.mshrs.hold(reg, ready);
        let victim = c.fill(line, None, false, ready);
        let train = c.prefetcher.is_active() && cause != Cause::Prefetch;
        if let Some(v) = victim {
            if v.dirty {
                self.writeback_llc(v.line, v.cause, ready);
            }
        }
        if train {
            self.prefetch_l2(core, line, now);
        }
        self.resolve(ready)
    }

    fn access_llc(&mut self, line: u64, now: u64, cause: Cause) -> u64 {
        let s = self.slice(line);
        let c = &mut self.llc[s];
        if c.probe(line).is_some_and(|slot| c.is_pending(slot)) {
            self.settle();
        }
        let c = &mut self.llc[s];
        c.stats.accesses += 1;
        if let Some(slot) = c.probe(line) {
            let (done, prefetch_hit) = c.hit(slot, false, now, Cause::Writeback);
            if prefetch_hit && c.prefetcher.is_active() {
                self.prefetch_llc(line, now);
            }
            return done;
        }
        c.stats.misses += 1;
        c.stats.misses_by_cause.add(cause, 1);
        let (reg, start) = match c.mshrs.reserve(now) {
            (_, start) if is_token(start) => {
                self.settle();
                self.llc[s].mshrs.reserve(now)
            }
            r => r,
        };
        let c = &mut self.llc[s];
        c.stats.mshr_stall_cycles += start - now;
        let t = start + c.latency();
        let addr = line << self.line_shift;
        let ready = if self.defer && matches!(cause, Cause::Demand | Cause::AllocMetadata) {
            let ticket = self.dram.queue_read(addr, cause, t);
            self.deferred.push(ticket);
            TOKEN + self.settled + self.deferred.len() as u64 - 1
        } else {
            self.dram.read(addr, cause, t)
        };
        let c = &mut self.llc[s];
        c.mshrs.hold(reg, ready);
        let victim = c.fill(line, None, false, ready);
        let train = c.prefetcher.is_active() && cause != Cause::Prefetch;
        if let Some(v) = victim {
            self.llc_evicted(v, ready);
        }
        if train {
            self.prefetch_llc(line, now);
        }
        self.resolve(ready)
    }

    /// A line leaves the LLC: with inclusion, every private copy goes too
    /// (a dirty one makes the victim dirty); dirty data goes to DRAM.
    fn llc_evicted(&mut self, v: Evicted, now: u64) {
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
            let addr = v.line << self.line_shift;
            if is_token(now) || !self.deferred.is_empty() {
                // Posted once the batch is scheduled: the victim of a
                // deferred read's fill leaves when that data arrives, and a
                // write (or the drain it starts) never takes the channel
                // ahead of reads queued before it.
                self.deferred_writes.push((addr, cause, now));
            } else {
                self.dram.write(addr, cause, now);
            }
        }
    }

    /// Schedules the deferred reads, all queued at the controller, in
    /// FR-FCFS order, then replaces their tokens in the caches and posts the
    /// writebacks that waited for them. The cycles stay available to
    /// [`Self::resolve`] until [`Self::forget_resolved`].
    pub(crate) fn settle(&mut self) {
        if self.deferred.is_empty() && self.deferred_writes.is_empty() {
            return;
        }
        // By index, so that the vectors keep their capacity.
        for i in 0..self.deferred.len() {
            let ready = self.dram.finish_read(self.deferred[i]);
            self.resolved.push(ready);
        }
        self.settled += self.deferred.len() as u64;
        self.deferred.clear();
        let (resolved, from) = (&self.resolved, self.resolved_from);
        let resolve = |t: u64| resolved[(t - TOKEN - from) as usize];
        for p in &mut self.private {
            // The L1I never holds a token: fetches are not deferred.
            p.l1d.settle(resolve);
            p.l2.settle(resolve);
        }
        for c in &mut self.llc {
            c.settle(resolve);
        }
        for i in 0..self.deferred_writes.len() {
            let (addr, cause, at) = self.deferred_writes[i];
            let at = self.resolve(at);
            self.dram.write(addr, cause, at);
        }
        self.deferred_writes.clear();
    }

    /// The cycle `t` stands for: itself, or the cycle of a settled token
    /// (a token not settled yet stays as it is).
    #[inline(always)]
    pub(crate) fn resolve(&self, t: u64) -> u64 {
        if is_token(t) && t - TOKEN < self.settled {
            self.resolved[(t - TOKEN - self.resolved_from) as usize]
        } else {
            t
        }
    }

    /// Drops the cycles of settled tokens, once nothing holds them.
    pub(crate) fn forget_resolved(&mut self) {
        self.resolved.clear();
        self.resolved_from = self.settled;
    }

    fn writeback_l2(&mut self, core: usize, line: u64, cause: Cause, now: u64) {
        let c = &mut self.private[core].l2;
        if c.absorb_writeback(line, cause) {
            return;
        }
        if let Some(v) = c.fill(line, Some(cause), false, now) {
            if v.dirty {
                self.writeback_llc(v.line, v.cause, now);
            }
        }
    }

    fn writeback_llc(&mut self, line: u64, cause: Cause, now: u64) {
        let s = self.slice(line);
        let c = &mut self.llc[s];
        if c.absorb_writeback(line, cause) {
            return;
        }
        if let Some(v) = c.fill(line, Some(cause), false, now) {
            self.llc_evicted(v, now);
        }
    }

    /// Trains the L1 prefetcher of `core` on `line` and issues what it
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
            let reg = match c.mshrs.try_reserve(now) {
                Some(r) => r,
                // A register waiting for a deferred read may be free.
                None if c.mshrs.holds_token() => {
                    self.settle();
                    match self.l1(core, which).mshrs.try_reserve(now) {
                        Some(r) => r,
                        None => break,
                    }
                }
                None => break,
            };
            let c = self.l1(core, which);
            c.stats.prefetches += 1;
            let t = now + c.latency();
            let ready = self.access_l2(core, p, t, Cause::Prefetch);
            let ready = self.resolve(ready);
            let c = self.l1(core, which);
            c.mshrs.hold(reg, ready);
            if let Some(v) = c.fill(p, None, true, ready) {
                self.l1_evicted(core, v, ready);
            }
        }
    }

    fn prefetch_l2(&mut self, core: usize, line: u64, now: u64) {
        let mut lines = [0u64; MAX_DEGREE];
        let n = self.private[core].l2.prefetcher.train(line, &mut lines);
        for &p in &lines[..n] {
            let c = &mut self.private[core].l2;
            if c.contains(p) {
                continue;
            }
            let reg = match c.mshrs.try_reserve(now) {
                Some(r) => r,
                None if c.mshrs.holds_token() => {
                    self.settle();
                    match self.private[core].l2.mshrs.try_reserve(now) {
                        Some(r) => r,
                        None => break,
                    }
                }
                None => break,
            };
            let c = &mut self.private[core].l2;
            c.stats.prefetches += 1;
            let t = now + c.latency();
            let ready = self.access_llc(p, t, Cause::Prefetch);
            let ready = self.resolve(ready);
            let c = &mut self.private[core].l2;
            c.mshrs.hold(reg, ready);
            if let Some(v) = c.fill(p, None, true, ready) {
                if v.dirty {
                    self.writeback_llc(v.line, v.cause, ready);
                }
            }
        }
    }

    fn prefetch_llc(&mut self, line: u64, now: u64) {
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
            let reg = match c.mshrs.try_reserve(now) {
                Some(r) => r,
                None if c.mshrs.holds_token() => {
                    self.settle();
                    match self.llc[s].mshrs.try_reserve(now) {
                        Some(r) => r,
                        None => break,
                    }
                }
                None => break,
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
                    .queue_read(p << self.line_shift, Cause::Prefetch, t),
            ));
        }
        for &(p, reg, ticket) in issued.iter().flatten() {
            let ready = self.dram.finish_read(ticket);
            let s = self.slice(p);
            let c = &mut self.llc[s];
            c.mshrs.hold(reg, ready);
            if let Some(v) = c.fill(p, None, true, ready) {
                self.llc_evicted(v, ready);
            }
        }
    }

    /// Puts `line` in `core`'s L1D, dirty under `cause`, without reading it
    /// from below (a full-line write: page zeroing, or Memento's bypass for
    /// a new object). With an inclusive LLC the line is placed there too.
    pub fn install(&mut self, core: usize, line: u64, cause: Cause, now: u64) {
        if self.inclusive {
            let s = self.slice(line);
            if !self.llc[s].contains(line) {
                if let Some(v) = self.llc[s].fill(line, None, false, now) {
                    self.llc_evicted(v, now);
                }
            }
        }
        let c = &mut self.private[core].l1d;
        if c.absorb_writeback(line, cause) {
            return;
        }
        if let Some(v) = c.fill(line, Some(cause), false, now) {
            self.l1_evicted(core, v, now);
        }
    }

    /// Removes `line` from every cache without writing it back (Memento's
    /// drop of a freed object's lines); returns whether dirty data was
    /// dropped, which is counted as a bypassed DRAM write.
    pub fn drop_line(&mut self, line: u64) -> bool {
        let mut dirty = false;
        for p in &mut self.private {
            for c in [&mut p.l1i, &mut p.l1d, &mut p.l2] {
                dirty |= c.invalidate(line).is_some_and(|e| e.dirty);
            }
        }
        let s = self.slice(line);
        dirty |= self.llc[s].invalidate(line).is_some_and(|e| e.dirty);
        if dirty {
            self.dram.count_bypassed(true);
        }
        dirty
    }
}
