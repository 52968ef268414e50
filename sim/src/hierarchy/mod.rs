//! How the cache levels connect: private L1I, L1D and L2 per core, a shared
//! LLC in one slice per core, and DRAM below. Write-back, write-allocate;
//! the LLC is inclusive (evictions back-invalidate the private caches) or
//! not.
//!
//! This file holds the topology; `access.rs` the per-level access path,
//! `deferred.rs` the demand reads deferred to the controller, `prefetch.rs`
//! prefetch issue, and `bypass.rs` the extension's install and drop.

mod access;
mod bypass;
mod deferred;
mod prefetch;

use crate::cache::Cache;
use crate::cause::Cause;
use crate::config::Config;
use crate::dram::{Dram, ReadTicket};
use crate::pending::is_token;
use crate::stats::BypassStats;

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
    /// First-level instruction cache: blocks are fetched through it.
    pub l1i: Cache,
    /// First-level data cache: loads, stores, page walks and installs
    /// enter here.
    pub l1d: Cache,
    /// Second level, unified, private to the core: the L1s' misses and
    /// writebacks.
    pub l2: Cache,
}

/// One cache of the hierarchy, named for the helpers shared by every level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Level {
    /// A core's L1I or L1D.
    L1(usize, L1),
    /// A core's L2.
    L2(usize),
    /// An LLC slice.
    Llc(usize),
}

/// All caches of the machine and its DRAM.
#[derive(Clone, Debug)]
pub struct MemorySystem {
    /// Private caches, by core.
    pub private: Vec<Private>,
    /// The shared LLC, one slice per core; a line's slice comes from the
    /// bits above its set index.
    pub llc: Vec<Cache>,
    /// The memory controllers and DRAM below the LLC.
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
    /// DRAM transfers the extension's install and drop avoided.
    pub bypass: BypassStats,
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
            bypass: BypassStats::default(),
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

    #[inline(always)]
    fn cache(&mut self, level: Level) -> &mut Cache {
        match level {
            Level::L1(core, which) => self.l1(core, which),
            Level::L2(core) => &mut self.private[core].l2,
            Level::Llc(slice) => &mut self.llc[slice],
        }
    }

    /// Takes an MSHR of `level` for a miss at `now`: the register and the
    /// cycle the miss can start. When every register waits for a deferred
    /// read, the batch is settled first.
    #[inline(always)]
    fn reserve_mshr(&mut self, level: Level, now: u64) -> (usize, u64) {
        match self.cache(level).mshrs.reserve(now) {
            (_, start) if is_token(start) => {
                self.schedule_batch();
                self.cache(level).mshrs.reserve(now)
            }
            r => r,
        }
    }

    /// An MSHR of `level` free at `now` for a prefetch, which never waits:
    /// a register that waits for a deferred read may be free once the batch
    /// is settled.
    #[inline]
    fn try_reserve_mshr(&mut self, level: Level, now: u64) -> Option<usize> {
        let c = self.cache(level);
        match c.mshrs.try_reserve(now) {
            Some(r) => Some(r),
            None if c.mshrs.holds_token() => {
                self.schedule_batch();
                self.cache(level).mshrs.try_reserve(now)
            }
            None => None,
        }
    }
}
