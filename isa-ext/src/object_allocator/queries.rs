//! What the simulator asks of a [`HardwareObjectAllocator`] besides
//! obj-alloc and obj-free: where an address is, what is live, which arenas
//! are on which list, the per-core HOT and AAC, counters.

use super::{ArenaInfo, ClassState, HardwareObjectAllocator, ListKind};
use crate::aac::ArenaAllocationCache;
use crate::arena::ArenaState;
use crate::hot::HardwareObjectTable;
use crate::params::{Params, LANES};
use crate::region::Region;
use crate::stats::HoaStats;

impl HardwareObjectAllocator {
    /// Whether `addr` lies in the Memento region.
    pub fn in_region(&self, addr: u64) -> bool {
        self.region.contains(addr)
    }

    /// The region's address map.
    pub fn region(&self) -> &Region {
        &self.region
    }

    /// The parameters the model was built with.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// The arena holding `addr` (any address in it), if it exists.
    pub fn arena_of(&self, addr: u64) -> Option<ArenaInfo> {
        let loc = self.region.locate(addr)?;
        let a = &self.arenas[self.arena_id(&loc)? as usize];
        Some(ArenaInfo {
            base: a.base,
            lane: a.lane,
            class: a.class,
            state: a.state,
            live: a.live,
            slots: a.slots(),
        })
    }

    /// Whether `addr` is a live object.
    pub fn is_live(&self, addr: u64) -> bool {
        self.find_live(addr).is_ok()
    }

    /// Live objects in all arenas.
    pub fn live_objects(&self) -> u64 {
        self.live
    }

    /// Bases of the arenas in `state`, ascending.
    pub fn arenas(&self, state: ArenaState) -> Vec<u64> {
        let mut v: Vec<u64> = self
            .classes
            .iter()
            .flat_map(|c| c.ids.iter().filter(|&&i| i != 0))
            .map(|&i| &self.arenas[i as usize - 1])
            .filter(|a| a.state == state)
            .map(|a| a.base)
            .collect();
        v.sort_unstable();
        v
    }

    /// The current arena of (`lane`, `class`).
    pub fn current_arena(&self, lane: usize, class: usize) -> Option<u64> {
        let id = self.class_state(lane, class)?.current?;
        Some(self.arenas[id as usize].base)
    }

    fn class_state(&self, lane: usize, class: usize) -> Option<&ClassState> {
        (lane < LANES && class < self.region.classes()).then(|| &self.classes[self.cs(lane, class)])
    }

    /// The arenas on a list of (`lane`, `class`), head first.
    pub fn list(&self, lane: usize, class: usize, kind: ListKind) -> Vec<u64> {
        let mut at = self.class_state(lane, class).and_then(|cs| match kind {
            ListKind::Available => cs.available,
            ListKind::Full => cs.full,
        });
        let mut out = vec![];
        while let Some(id) = at {
            out.push(self.arenas[id as usize].base);
            at = self.arenas[id as usize].next;
        }
        out
    }

    /// Core `lane`'s HOT.
    pub fn hot(&self, lane: usize) -> Option<&HardwareObjectTable> {
        self.hots.get(lane)
    }

    /// Core `lane`'s AAC.
    pub fn aac(&self, lane: usize) -> Option<&ArenaAllocationCache> {
        self.aacs.get(lane)
    }

    /// Counters.
    pub fn stats(&self) -> &HoaStats {
        &self.stats
    }

    /// Starts the counters again (a warm-up's end); the state stays.
    pub fn reset_stats(&mut self) {
        self.stats = HoaStats::default();
    }
}
