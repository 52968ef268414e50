//! The hardware object allocator: obj-alloc and obj-free of one address
//! space, over the arenas of every lane, with each core's HOT and AAC.
//!
//! Each (lane, class) has a current arena (held by the HOA, on no list), an
//! available list and a full list, doubly linked through the headers, a
//! bump pointer carving its class span into arenas, and a stack of released
//! arena slots that new arenas reuse first. The list heads, current arena
//! and bump pointer are per-class registers of the HOA (our choice), so only
//! headers cost memory accesses.

use crate::aac::ArenaAllocationCache;
use crate::arena::{Arena, ArenaState};
use crate::effects::{push_header, Effects, Fallback, LineSpan, Lookup};
use crate::hot::HardwareObjectTable;
use crate::page_allocator::{HardwarePageAllocator, Touch};
use crate::params::{ParamError, Params, LANES};
use crate::region::{Location, Region};
use crate::stats::HoaStats;
use thiserror::Error;

mod queries;

/// A call the model refuses. It changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum HoaError {
    /// A lane (core) number of [`LANES`] or more.
    #[error("lane {0} does not exist (there are {LANES})")]
    InvalidLane(usize),
    /// obj-free of an address outside MRS..MRE.
    #[error("free of {0:#x}: outside the Memento region")]
    OutsideRegion(u64),
    /// obj-free of an address in no arena the model made (or one released).
    #[error("free of {0:#x}: in no arena")]
    NoArena(u64),
    /// obj-free of an address that starts no slot (header or interior).
    #[error("free of {0:#x}: not the start of an object")]
    NotObjectStart(u64),
    /// obj-free of a free slot (a double free or a never-allocated slot).
    #[error("free of {0:#x}: no live object there (double free?)")]
    NotAllocated(u64),
}

/// The state of one arena, for queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArenaInfo {
    /// Arena base.
    pub base: u64,
    /// Lane it belongs to.
    pub lane: usize,
    /// Its size class.
    pub class: usize,
    /// Which list it is on.
    pub state: ArenaState,
    /// Live objects.
    pub live: u64,
    /// Slots.
    pub slots: u64,
}

/// Which of a class's lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    /// Arenas with a free slot.
    Available,
    /// Arenas without one.
    Full,
}

/// A live object found by address.
struct Found {
    class: usize,
    arena: u64,
    id: u32,
    slot: u64,
}

/// Per (lane, class) registers and arena index.
#[derive(Debug, Clone, Default)]
struct ClassState {
    current: Option<u32>,
    available: Option<u32>,
    full: Option<u32>,
    /// Arenas carved so far (the bump pointer, in arenas).
    bumped: u64,
    /// Released arena slots, reused last-released first.
    reuse: Vec<u64>,
    /// Arena table index + 1 of each carved arena slot; 0 = none.
    ids: Vec<u32>,
}

/// The functional model of the HOA of one address space.
#[derive(Debug, Clone)]
pub struct HardwareObjectAllocator {
    params: Params,
    region: Region,
    line: u64,
    arenas: Vec<Arena>,
    free_ids: Vec<u32>,
    classes: Vec<ClassState>,
    hots: Vec<HardwareObjectTable>,
    aacs: Vec<ArenaAllocationCache>,
    /// Lanes whose AAC may hold something, as a bit set.
    lanes_used: u64,
    live: u64,
    stats: HoaStats,
}

impl HardwareObjectAllocator {
    /// An allocator with no arena yet, for `params` if they pass
    /// [`Params::validate`].
    pub fn new(params: &Params) -> Result<HardwareObjectAllocator, ParamError> {
        params.validate()?;
        let n = params.size_classes.len();
        Ok(HardwareObjectAllocator {
            params: params.clone(),
            region: Region::new(params),
            line: params.line_bytes,
            arenas: Vec::new(),
            free_ids: Vec::new(),
            classes: vec![ClassState::default(); LANES * n],
            hots: (0..LANES)
                .map(|_| HardwareObjectTable::new(params.hot_entries))
                .collect(),
            aacs: (0..LANES)
                .map(|_| ArenaAllocationCache::new(params.aac_entries))
                .collect(),
            lanes_used: 0,
            live: 0,
            stats: HoaStats::default(),
        })
    }

    fn check_lane(lane: usize) -> Result<(), HoaError> {
        if lane >= LANES {
            return Err(HoaError::InvalidLane(lane));
        }
        Ok(())
    }

    #[inline]
    fn cs(&self, lane: usize, class: usize) -> usize {
        lane * self.region.classes() + class
    }

    fn header_lines(&self, class: usize) -> u64 {
        self.region.layout(class).map_or(1, |l| l.header_lines)
    }

    /// obj-alloc on core `lane`: the address of a new object of `size`
    /// bytes, or 0 with `fx.fallback` saying why software must serve it.
    pub fn alloc(
        &mut self,
        lane: usize,
        size: u64,
        pages: &mut HardwarePageAllocator,
        fx: &mut Effects,
    ) -> Result<u64, HoaError> {
        fx.clear();
        Self::check_lane(lane)?;
        let Some(class) = self.params.size_classes.class_of(size) else {
            let reason = if size == 0 {
                Fallback::ZeroSize
            } else {
                Fallback::TooLarge
            };
            return Ok(self.fall_back(reason, fx));
        };
        let cs = self.cs(lane, class);
        let id = match self.classes[cs].current {
            Some(id) if self.hots[lane].holds(class, self.arenas[id as usize].base) => {
                fx.hot = Some(Lookup::Hit);
                id
            }
            Some(id) => {
                self.fill_hot(lane, class, id, false, fx);
                id
            }
            None => match self.next_arena((lane, class), pages, fx) {
                Ok(id) => id,
                Err(reason) => return Ok(self.fall_back(reason, fx)),
            },
        };
        self.stats.alloc_hot.count(fx.hot == Some(Lookup::Hit));
        let layout = self.region.layout(class).expect("class from the table");
        let arena = &mut self.arenas[id as usize];
        let slot = arena
            .take_first_free()
            .expect("a current arena has a free slot");
        let addr = layout.slot_address(arena.base, slot);
        fx.lines_to_install = arena.exclusive_lines(layout, slot, self.line);
        let full = arena.is_full();
        self.hots[lane].mark_dirty(class, arena.base);
        if full {
            self.classes[cs].current = None;
            self.push(lane, class, id, ArenaState::Full, fx);
        }
        self.live += 1;
        self.stats.allocs += 1;
        self.finish(fx);
        fx.object = addr;
        Ok(addr)
    }

    fn fall_back(&mut self, reason: Fallback, fx: &mut Effects) -> u64 {
        fx.fallback = Some(reason);
        self.stats.fallbacks.count(reason);
        self.finish(fx);
        0
    }

    /// Counts the memory accesses of the call.
    fn finish(&mut self, fx: &Effects) {
        self.stats.header_line_reads += fx.header_reads.len() as u64;
        self.stats.header_line_writes += fx.header_writes.len() as u64;
        self.stats.list_ops += u64::from(fx.list_ops);
    }

    /// Makes the next arena of (lane, class) current: the head of the
    /// available list, else a new arena.
    fn next_arena(
        &mut self,
        (lane, class): (usize, usize),
        pages: &mut HardwarePageAllocator,
        fx: &mut Effects,
    ) -> Result<u32, Fallback> {
        let cs = self.cs(lane, class);
        let (id, fresh) = match self.classes[cs].available {
            Some(id) => {
                self.unlink(lane, id, fx);
                self.arenas[id as usize].state = ArenaState::Current;
                (id, false)
            }
            None => (self.new_arena(lane, class, pages, fx)?, true),
        };
        self.classes[cs].current = Some(id);
        self.fill_hot(lane, class, id, fresh, fx);
        Ok(id)
    }

    /// Carves a new arena (a released slot first, else the bump pointer)
    /// and backs its header page.
    fn new_arena(
        &mut self,
        lane: usize,
        class: usize,
        pages: &mut HardwarePageAllocator,
        fx: &mut Effects,
    ) -> Result<u32, Fallback> {
        let cs = self.cs(lane, class);
        let layout = *self.region.layout(class).ok_or(Fallback::TooLarge)?;
        let span = self
            .region
            .span_base(lane, class)
            .ok_or(Fallback::SpanExhausted)?;
        let state = &self.classes[cs];
        let index = match state.reuse.last() {
            Some(&i) => i,
            None if (state.bumped + 1) * layout.arena_bytes <= self.region.span_bytes() => {
                state.bumped
            }
            None => return Err(Fallback::SpanExhausted),
        };
        let base = span + index * layout.arena_bytes;
        match pages.back(base, fx) {
            Ok(Touch::Backed | Touch::Filled) => {}
            Ok(Touch::PoolEmpty) | Err(_) => return Err(Fallback::PoolEmpty),
        }
        let state = &mut self.classes[cs];
        if state.reuse.pop().is_none() {
            state.bumped += 1;
        }
        let arena = Arena::new(base, lane, class, layout.slots);
        let id = match self.free_ids.pop() {
            Some(id) => {
                self.arenas[id as usize] = arena;
                id
            }
            None => {
                self.arenas.push(arena);
                (self.arenas.len() - 1) as u32
            }
        };
        let ids = &mut self.classes[cs].ids;
        if ids.len() <= index as usize {
            ids.resize(index as usize + 1, 0);
        }
        ids[index as usize] = id + 1;
        fx.new_arena = Some(base);
        self.stats.arenas_created += 1;
        Ok(id)
    }

    /// Brings arena `id`'s header into the HOT entry of `class` after a
    /// miss: from the AAC if there, else from memory (a `fresh` header is
    /// made in place, nothing read). The victim is written back if dirty.
    fn fill_hot(&mut self, lane: usize, class: usize, id: u32, fresh: bool, fx: &mut Effects) {
        let base = self.arenas[id as usize].base;
        let mut dirty = fresh;
        if !fresh {
            let held = self.aacs[lane].take(base);
            fx.aac = Some(if held.is_some() {
                Lookup::Hit
            } else {
                Lookup::Miss {
                    evicted_dirty: None,
                }
            });
            self.stats.alloc_aac.count(held.is_some());
            match held {
                Some(d) => dirty = d,
                None => push_header(
                    &mut fx.header_reads,
                    base,
                    self.header_lines(class),
                    self.line,
                ),
            }
        }
        let victim = self.hots[lane].install(class, base, dirty);
        self.write_back(victim, fx);
        fx.hot = Some(Lookup::Miss {
            evicted_dirty: victim,
        });
    }

    fn write_back(&self, victim: Option<u64>, fx: &mut Effects) {
        if let Some(v) = victim {
            let class = self.region.locate(v).map_or(0, |l| l.class);
            push_header(
                &mut fx.header_writes,
                v,
                self.header_lines(class),
                self.line,
            );
        }
    }

    /// A list operation changes the links of arena `id`: in the HOT or AAC
    /// of `lane` it is marked dirty, else its first header line is read and
    /// written back.
    fn touch_links(&mut self, lane: usize, id: u32, fx: &mut Effects) {
        let a = &self.arenas[id as usize];
        if !self.hots[lane].mark_dirty(a.class, a.base) && !self.aacs[lane].mark_dirty(a.base) {
            fx.header_reads.push(a.base);
            fx.header_writes.push(a.base);
        }
    }

    /// Pushes arena `id` at the head of its `state` list.
    fn push(&mut self, lane: usize, class: usize, id: u32, state: ArenaState, fx: &mut Effects) {
        let cs = self.cs(self.arenas[id as usize].lane, class);
        let head = match state {
            ArenaState::Full => &mut self.classes[cs].full,
            _ => &mut self.classes[cs].available,
        };
        let old = head.replace(id);
        if let Some(h) = old {
            self.arenas[h as usize].prev = Some(id);
            self.touch_links(lane, h, fx);
        }
        let a = &mut self.arenas[id as usize];
        (a.state, a.prev, a.next) = (state, None, old);
        self.touch_links(lane, id, fx);
        fx.list_ops += 1;
    }

    /// Removes arena `id` from the list it is on.
    fn unlink(&mut self, lane: usize, id: u32, fx: &mut Effects) {
        let a = &self.arenas[id as usize];
        let (prev, next, cs) = (a.prev, a.next, self.cs(a.lane, a.class));
        let full = a.state == ArenaState::Full;
        match prev {
            Some(p) => {
                self.arenas[p as usize].next = next;
                self.touch_links(lane, p, fx);
            }
            None if full => self.classes[cs].full = next,
            None => self.classes[cs].available = next,
        }
        if let Some(n) = next {
            self.arenas[n as usize].prev = prev;
            self.touch_links(lane, n, fx);
        }
        let a = &mut self.arenas[id as usize];
        (a.prev, a.next) = (None, None);
        fx.list_ops += 1;
    }

    /// The arena and slot `addr` is the live object of, or why not.
    #[inline]
    fn find_live(&self, addr: u64) -> Result<Found, HoaError> {
        let Some(loc) = self.region.locate(addr) else {
            return Err(if self.region.contains(addr) {
                HoaError::NoArena(addr)
            } else {
                HoaError::OutsideRegion(addr)
            });
        };
        let id = self.arena_id(&loc).ok_or(HoaError::NoArena(addr))?;
        let slot = loc.slot.ok_or(HoaError::NotObjectStart(addr))?;
        if !self.arenas[id as usize].is_live(slot) {
            return Err(HoaError::NotAllocated(addr));
        }
        Ok(Found {
            class: loc.class,
            arena: loc.arena,
            id,
            slot,
        })
    }

    #[inline]
    fn arena_id(&self, loc: &Location) -> Option<u32> {
        let id = *self.classes[self.cs(loc.lane, loc.class)]
            .ids
            .get(loc.index as usize)?;
        id.checked_sub(1)
    }

    /// obj-free on core `lane` of the object at `addr`. An address the
    /// model never gave out (or already took back) is refused and nothing
    /// changes.
    pub fn free(
        &mut self,
        lane: usize,
        addr: u64,
        pages: &mut HardwarePageAllocator,
        fx: &mut Effects,
    ) -> Result<(), HoaError> {
        fx.clear();
        Self::check_lane(lane)?;
        let Found {
            class,
            arena: base,
            id,
            slot,
        } = self.find_live(addr)?;
        self.lanes_used |= 1 << lane;
        let hot_hit = self.hots[lane].mark_dirty(class, base);
        self.stats.free_hot.count(hot_hit);
        if hot_hit {
            fx.hot = Some(Lookup::Hit);
        } else {
            fx.hot = Some(Lookup::Miss {
                evicted_dirty: None,
            });
            let aac_hit = self.aacs[lane].lookup(base, true);
            self.stats.free_aac.count(aac_hit);
            let mut victim = None;
            if !aac_hit {
                push_header(
                    &mut fx.header_reads,
                    base,
                    self.header_lines(class),
                    self.line,
                );
                victim = self.aacs[lane].insert(base, true);
                self.write_back(victim, fx);
            }
            fx.aac = Some(if aac_hit {
                Lookup::Hit
            } else {
                Lookup::Miss {
                    evicted_dirty: victim,
                }
            });
        }
        let layout = self.region.layout(class).expect("located class");
        let arena = &mut self.arenas[id as usize];
        arena.release_slot(slot);
        if let Some(span) = arena.exclusive_lines(layout, slot, self.line) {
            fx.lines_to_drop.push(span);
        }
        let (state, empty) = (arena.state, arena.live == 0);
        if state == ArenaState::Full {
            self.unlink(lane, id, fx);
            self.push(lane, class, id, ArenaState::Available, fx);
        }
        if empty && state != ArenaState::Current && self.params.release_empty_arenas {
            self.release_arena(lane, id, pages, fx);
        }
        self.live -= 1;
        self.stats.frees += 1;
        self.finish(fx);
        Ok(())
    }

    /// Takes empty arena `id` off its list, forgets its cached headers and
    /// returns its pages to the pool.
    fn release_arena(
        &mut self,
        lane: usize,
        id: u32,
        pages: &mut HardwarePageAllocator,
        fx: &mut Effects,
    ) {
        self.unlink(lane, id, fx);
        let a = &self.arenas[id as usize];
        let (base, owner, class) = (a.base, a.lane, a.class);
        self.hots[owner].invalidate(class, base);
        let mut used = self.lanes_used;
        while used != 0 {
            let l = used.trailing_zeros() as usize;
            self.aacs[l].invalidate(base);
            used &= used - 1;
        }
        let layout = *self.region.layout(class).expect("arena class");
        let page = self.params.page_bytes;
        for p in (base..base + layout.arena_bytes).step_by(page as usize) {
            let _ = pages.release(p, fx);
        }
        fx.lines_to_drop.clear();
        fx.lines_to_drop.push(LineSpan {
            start: base,
            end: base + layout.arena_bytes,
        });
        fx.released_arena = Some(base);
        let span = self.region.span_base(owner, class).unwrap_or(base);
        let index = layout.arena_index(span, base);
        let cs = self.cs(owner, class);
        self.classes[cs].ids[index as usize] = 0;
        self.classes[cs].reuse.push(index);
        self.free_ids.push(id);
        self.stats.arenas_released += 1;
    }

    /// A context switch on core `lane`: the HOT is emptied, its dirty
    /// headers written back (and the AAC's with `flush_aac_on_switch`).
    pub fn flush(&mut self, lane: usize, fx: &mut Effects) -> Result<(), HoaError> {
        fx.clear();
        Self::check_lane(lane)?;
        let mut dirty = Vec::new();
        self.hots[lane].flush(|a| dirty.push(a));
        if self.params.flush_aac_on_switch {
            self.aacs[lane].flush(|a| dirty.push(a));
        }
        for a in dirty {
            self.write_back(Some(a), fx);
        }
        self.stats.flushes += 1;
        self.finish(fx);
        Ok(())
    }
}
