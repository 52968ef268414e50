//! A cache level: tags in flat arrays, per-line state (dirty, prefetched,
//! the cause of the dirty data, the cycle the data arrives), MSHRs and an
//! optional prefetcher. How levels connect is in `hierarchy.rs`.

pub mod mshr;
pub mod prefetch;
pub mod replacement;
pub(crate) mod scan;
pub mod tags;

use crate::cause::Cause;
use crate::config::CacheConfig;
use crate::pending::is_token;
use crate::stats::CacheStats;
use mshr::Mshrs;
use prefetch::Prefetcher;
use replacement::{Access, Origin};
use tags::{Slot, TagStore};

const DIRTY: u8 = 1;
const PREFETCHED: u8 = 2;
const CAUSE_SHIFT: u32 = 4;
/// Bits of a line's state that hold the cause of its dirty data (above
/// the dirty and prefetched flags, below the ready cycle).
pub(crate) const CAUSE_BITS: u32 = META_BITS - CAUSE_SHIFT;
const META_BITS: u32 = 8;

/// A line leaving a cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Evicted {
    /// Line number (byte address / line size).
    pub line: u64,
    /// Whether its data must be written back.
    pub dirty: bool,
    /// Who made the data dirty (the DRAM write is counted under it).
    pub cause: Cause,
    /// Brought by a prefetcher and never used.
    pub unused_prefetch: bool,
}

/// One cache level.
#[derive(Clone, Debug)]
pub struct Cache {
    tags: TagStore,
    latency: u64,
    /// Outstanding-miss registers.
    pub mshrs: Mshrs,
    /// The prefetcher trained by this level's demand misses.
    pub prefetcher: Prefetcher,
    /// Counters.
    pub stats: CacheStats,
    /// Lines filled with a token as their ready cycle, and where, until
    /// settled.
    pending: Vec<(Slot, u64)>,
}

impl Cache {
    /// An empty cache as `config` describes; `seed` drives random
    /// replacement.
    pub fn new(config: &CacheConfig, seed: u64) -> Cache {
        Cache {
            tags: TagStore::new(
                config.sets as usize,
                config.ways as usize,
                config.replacement,
                seed,
            ),
            latency: u64::from(config.latency),
            mshrs: Mshrs::new(config.mshrs as usize),
            prefetcher: Prefetcher::new(config.prefetcher, config.prefetch_degree),
            stats: CacheStats::default(),
            pending: Vec::new(),
        }
    }

    /// Cycles an access spends at this level.
    #[inline(always)]
    pub fn latency(&self) -> u64 {
        self.latency
    }

    /// The slot holding `line`, without any side effect.
    #[inline(always)]
    pub fn probe(&self, line: u64) -> Option<Slot> {
        self.tags.find(line)
    }

    /// Whether `line` is present.
    pub fn contains(&self, line: u64) -> bool {
        self.tags.find(line).is_some()
    }

    /// Whether `line` is present and dirty.
    pub fn is_dirty(&self, line: u64) -> bool {
        self.tags
            .find(line)
            .is_some_and(|s| self.tags.payload(s) as u8 & DIRTY != 0)
    }

    /// Whether the line in `slot` waits for a deferred read (its ready
    /// cycle is a token): the batch must be settled before it is used.
    #[inline(always)]
    pub(crate) fn is_pending(&self, slot: Slot) -> bool {
        is_token(self.tags.payload(slot) >> META_BITS)
    }

    /// Replaces the tokens of deferred reads by their cycles, in the lines
    /// still present and in the MSHRs.
    pub(crate) fn resolve_tokens(&mut self, resolve: impl Fn(u64) -> u64) {
        // A register takes a token only for a miss whose line is filled
        // with it, so a cache without such lines has nothing to settle.
        if self.pending.is_empty() {
            return;
        }
        // By index, so that the vector keeps its capacity.
        for i in 0..self.pending.len() {
            let (slot, line) = self.pending[i];
            // Still there unless evicted or invalidated since.
            if self.tags.key(slot) == Some(line) {
                let state = self.tags.payload(slot);
                let ready = state >> META_BITS;
                if is_token(ready) {
                    self.tags
                        .set_payload(slot, (resolve(ready) << META_BITS) | (state & 0xff));
                }
            }
        }
        self.pending.clear();
        self.mshrs.resolve_tokens(resolve);
    }

    /// `access` found its line in `slot` at cycle `now`: updates
    /// replacement, dirtiness and counters; returns the cycle the data is
    /// ready (later than the hit latency when the line is still in flight:
    /// an MSHR merge), and whether it was an unused prefetch (now useful). A
    /// write marks the line dirty under the access cause's dirty cause.
    #[inline(always)]
    pub fn hit(&mut self, slot: Slot, write: bool, now: u64, access: Access) -> (u64, bool) {
        self.tags.touch(slot, &access);
        let mut prefetch_hit = false;
        let state = self.tags.payload(slot);
        let mut m = state as u8;
        if m & PREFETCHED != 0 {
            m &= !PREFETCHED;
            self.stats.prefetch_useful += 1;
            prefetch_hit = true;
        }
        let dirty = DIRTY | ((access.cause.dirty_cause() as u8) << CAUSE_SHIFT);
        m = if write { dirty } else { m };
        let ready = state >> META_BITS;
        self.tags.set_payload(slot, (state & !0xff) | u64::from(m));
        // Counted without a branch: whether the line is still in flight
        // depends on the data. A line that has arrived is ready before
        // `now + latency`, so the max covers both cases.
        let in_flight = ready > now;
        self.stats.mshr_merges += u64::from(in_flight);
        self.stats.hits += u64::from(!in_flight);
        ((now + self.latency).max(ready), prefetch_hit)
    }

    /// Installs `line` for `access`, ready at cycle `ready`; `dirty` gives
    /// the cause of dirty data. A prefetch's line is marked prefetched.
    /// Returns the line it displaced.
    #[inline]
    pub fn fill(
        &mut self,
        line: u64,
        dirty: Option<Cause>,
        ready: u64,
        access: Access,
    ) -> Option<Evicted> {
        let (slot, old) = self.tags.choose(line);
        let evicted = old.map(|old_line| self.evict_slot(slot, old_line));
        self.tags.install(slot, line, &access);
        let mut m = if access.origin == Origin::Prefetch {
            PREFETCHED
        } else {
            0
        };
        if let Some(cause) = dirty {
            m |= DIRTY | ((cause as u8) << CAUSE_SHIFT);
        }
        self.tags
            .set_payload(slot, (ready << META_BITS) | u64::from(m));
        if is_token(ready) {
            self.pending.push((slot, line));
        }
        self.stats.fills += 1;
        evicted
    }

    /// Marks a present line dirty because of `cause` (a writeback from the
    /// level above); returns false when the line is absent.
    #[inline]
    pub fn absorb_writeback(&mut self, line: u64, cause: Cause) -> bool {
        match self.tags.find(line) {
            Some(slot) => {
                let state = self.tags.payload(slot);
                let m = (state as u8 & PREFETCHED) | DIRTY | ((cause as u8) << CAUSE_SHIFT);
                self.tags.set_payload(slot, (state & !0xff) | u64::from(m));
                true
            }
            None => false,
        }
    }

    /// Removes `line` if present and says what left (the caller decides
    /// whether dirty data is written back or dropped).
    pub fn invalidate(&mut self, line: u64) -> Option<Evicted> {
        let slot = self.tags.find(line)?;
        let e = self.describe(slot, line);
        if e.unused_prefetch {
            self.stats.prefetch_useless += 1;
        }
        self.tags.clear(slot);
        Some(e)
    }

    fn describe(&self, slot: Slot, line: u64) -> Evicted {
        let m = self.tags.payload(slot) as u8;
        Evicted {
            line,
            dirty: m & DIRTY != 0,
            cause: Cause::from_bits(m >> CAUSE_SHIFT),
            unused_prefetch: m & PREFETCHED != 0,
        }
    }

    fn evict_slot(&mut self, slot: Slot, line: u64) -> Evicted {
        let e = self.describe(slot, line);
        self.stats.evictions += 1;
        if e.dirty {
            self.stats.writebacks += 1;
            self.stats.writebacks_by_cause.add(e.cause, 1);
        }
        if e.unused_prefetch {
            self.stats.prefetch_useless += 1;
        }
        e
    }
}
