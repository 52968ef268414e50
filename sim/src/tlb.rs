//! Data TLBs: a first-level DTLB backed by a second-level STLB, both LRU.
//! A miss in both is a page walk, done by the machine through the caches.

use crate::cache::replacement::{Access, Origin};
use crate::cache::scan;
use crate::cache::tags::TagStore;
use crate::cause::Cause;
use crate::config::{Replacement, TlbConfig};

/// What the TLBs' replacement is told of a translation.
const TRANSLATION: Access = Access {
    core: 0,
    cause: Cause::PageWalk,
    origin: Origin::Demand,
};
use crate::stats::TlbStats;

/// Where a translation was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// In the DTLB.
    Dtlb,
    /// In the STLB (now also in the DTLB).
    Stlb,
    /// Nowhere: walk the page table, then call [`Tlb::fill`].
    Miss,
}

/// Page-structure cache: upper-level page-table entries read by recent
/// walks, so that a walk can skip the levels it already knows (as x86 cores
/// do with their PML4/PDPT/PDE caches). Fully associative, LRU.
#[derive(Clone, Debug)]
pub struct WalkCache {
    keys: Vec<u64>,
    /// What each entry holds beyond its key (ChampSim's layout: the page
    /// whose walk filled it).
    values: Vec<u64>,
    used: Vec<u64>,
    clock: u64,
}

impl WalkCache {
    /// A cache of `entries` entries (0 disables it).
    pub fn new(entries: u32) -> WalkCache {
        WalkCache {
            keys: vec![u64::MAX; entries as usize],
            values: vec![0; entries as usize],
            used: vec![0; entries as usize],
            clock: 0,
        }
    }

    fn key(level: u32, prefix: u64) -> u64 {
        (u64::from(level) << 58) | prefix
    }

    /// Whether the entry of `level` for `prefix` is cached (marks it used).
    pub fn lookup(&mut self, level: u32, prefix: u64) -> bool {
        self.find(level, prefix).is_some()
    }

    /// The value cached with the entry of `level` for `prefix`, if cached
    /// (marks it used).
    pub fn value(&mut self, level: u32, prefix: u64) -> Option<u64> {
        self.find(level, prefix).map(|i| self.values[i])
    }

    fn find(&mut self, level: u32, prefix: u64) -> Option<usize> {
        let key = Self::key(level, prefix);
        match scan::first(&self.keys, |k| k == key) {
            usize::MAX => None,
            i => {
                self.clock += 1;
                self.used[i] = self.clock;
                Some(i)
            }
        }
    }

    /// Caches the entry of `level` for `prefix` with `value`, replacing
    /// the least recently used one (or updating its value).
    pub fn insert(&mut self, level: u32, prefix: u64, value: u64) {
        if self.keys.is_empty() {
            return;
        }
        let i = match self.find(level, prefix) {
            Some(i) => i,
            None => {
                let i = scan::min_index(&self.used);
                self.clock += 1;
                self.keys[i] = Self::key(level, prefix);
                self.used[i] = self.clock;
                i
            }
        };
        self.values[i] = value;
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.keys.iter_mut().for_each(|k| *k = u64::MAX);
    }
}

/// Walks a core remembers as in flight: more at once is rare (ChampSim's
/// walker has 5 MSHRs); past it the oldest is forgotten, and a hit on its
/// page no longer waits.
const IN_FLIGHT: usize = 8;

/// The two TLB levels of one core.
#[derive(Clone, Debug)]
pub struct Tlb {
    dtlb: TagStore,
    stlb: TagStore,
    /// Cycles a DTLB lookup takes.
    pub dtlb_latency: u64,
    /// Cycles an STLB lookup adds.
    pub stlb_latency: u64,
    /// Upper-level entries of recent walks.
    pub walk_cache: WalkCache,
    /// Counters.
    pub stats: TlbStats,
    /// Recent walks' pages and the cycles their translations are known:
    /// a translation is installed when its walk is modelled, but a hit
    /// before that cycle has to wait for it.
    in_flight: [(u64, u64); IN_FLIGHT],
    next_in_flight: usize,
    /// The latest of those cycles: hits at or after it need no look.
    in_flight_until: u64,
    /// When each page walker is free again (empty: no limit).
    walkers: Vec<u64>,
}

impl Tlb {
    /// Empty TLBs as `config` describes.
    pub fn new(config: &TlbConfig) -> Tlb {
        let store = |c: &crate::config::TlbLevelConfig| {
            TagStore::new(c.sets as usize, c.ways as usize, Replacement::Lru, 0)
        };
        Tlb {
            dtlb: store(&config.dtlb),
            stlb: store(&config.stlb),
            dtlb_latency: u64::from(config.dtlb.latency),
            stlb_latency: u64::from(config.stlb.latency),
            walk_cache: WalkCache::new(config.walk_cache),
            stats: TlbStats::default(),
            in_flight: [(u64::MAX, 0); IN_FLIGHT],
            next_in_flight: 0,
            in_flight_until: 0,
            walkers: vec![0; config.page_walkers as usize],
        }
    }

    /// The cycle a walk wanted at `start` can begin: at once, or when the
    /// first of the core's walkers is free.
    pub fn walker_free(&self, start: u64) -> u64 {
        self.walkers
            .iter()
            .min()
            .map_or(start, |&free| start.max(free))
    }

    /// A walker is busy until `end` (the one [`Self::walker_free`] chose).
    pub fn walker_busy(&mut self, end: u64) {
        if let Some(w) = self.walkers.iter_mut().min() {
            *w = end;
        }
    }

    /// Whether a hit at cycle `at` may find a walk still in flight (the
    /// fast path leaves such hits to [`Self::ready`]).
    #[inline(always)]
    pub fn walks_in_flight(&self, at: u64) -> bool {
        at < self.in_flight_until
    }

    /// The cycle a hit on `vpn` at cycle `at` has its translation: `at`,
    /// or later when the walk that installed it is still in flight.
    #[inline(always)]
    pub fn ready(&mut self, vpn: u64, at: u64) -> u64 {
        if !self.walks_in_flight(at) {
            return at;
        }
        self.ready_after_walk(vpn, at)
    }

    #[inline(never)]
    fn ready_after_walk(&mut self, vpn: u64, at: u64) -> u64 {
        let ready = self
            .in_flight
            .iter()
            .filter(|&&(v, _)| v == vpn)
            .map(|&(_, t)| t)
            .max()
            .unwrap_or(0);
        if ready > at {
            self.stats.in_flight_hits += 1;
            ready
        } else {
            at
        }
    }

    /// The DTLB slot translating `vpn`, without any side effect (the fast
    /// path checks it before committing to [`Self::dtlb_hit`]).
    #[inline(always)]
    pub fn dtlb_probe(&self, vpn: u64) -> Option<usize> {
        self.dtlb.find(vpn)
    }

    /// A DTLB hit in `slot` (from [`Self::dtlb_probe`]): counted and
    /// made most recently used, as [`Self::lookup`] does.
    #[inline(always)]
    pub fn dtlb_hit(&mut self, slot: usize) {
        self.stats.dtlb_accesses += 1;
        self.dtlb.touch(slot, &TRANSLATION);
    }

    /// Looks up virtual page `vpn`.
    #[inline(always)]
    pub fn lookup(&mut self, vpn: u64) -> Lookup {
        if let Some(slot) = self.dtlb.find(vpn) {
            self.dtlb_hit(slot);
            return Lookup::Dtlb;
        }
        self.lookup_stlb(vpn)
    }

    #[inline(never)]
    fn lookup_stlb(&mut self, vpn: u64) -> Lookup {
        self.stats.dtlb_accesses += 1;
        self.stats.dtlb_misses += 1;
        if let Some(slot) = self.stlb.find(vpn) {
            self.stlb.touch(slot, &TRANSLATION);
            self.stats.stlb_hits += 1;
            self.fill_dtlb(vpn);
            return Lookup::Stlb;
        }
        self.stats.walks += 1;
        Lookup::Miss
    }

    fn fill_dtlb(&mut self, vpn: u64) {
        let (slot, _) = self.dtlb.choose(vpn);
        self.dtlb.install(slot, vpn, &TRANSLATION);
    }

    /// Installs the translation of `vpn` after a walk that makes it known
    /// at cycle `ready`.
    pub fn fill(&mut self, vpn: u64, ready: u64) {
        let (slot, _) = self.stlb.choose(vpn);
        self.stlb.install(slot, vpn, &TRANSLATION);
        self.fill_dtlb(vpn);
        self.in_flight[self.next_in_flight] = (vpn, ready);
        self.next_in_flight = (self.next_in_flight + 1) % IN_FLIGHT;
        self.in_flight_until = self.in_flight_until.max(ready);
    }

    /// Drops the translation of `vpn` (a shootdown after unmapping).
    pub fn invalidate(&mut self, vpn: u64) {
        if let Some(s) = self.dtlb.find(vpn) {
            self.dtlb.clear(s);
        }
        if let Some(s) = self.stlb.find(vpn) {
            self.stlb.clear(s);
        }
    }

    /// Drops every translation.
    pub fn flush(&mut self) {
        self.dtlb.clear_all();
        self.stlb.clear_all();
        self.walk_cache.clear();
    }
}
