//! The Memento region: MRS..MRE split in [`LANES`] lanes, each lane in one
//! span per size class, each span carved into arenas by a bump pointer.
//!
//! ```text
//! addr - MRS = lane * lane_bytes + class * span_bytes + arena_offset
//! arena      = addr & !(arena_bytes(class) - 1)
//! slot       = (addr - arena - body_offset) / size(class)
//! ```
//! Every step is a shift or a mask because lanes, spans and arenas are
//! powers of two and aligned to their length.

use crate::layout::ArenaLayout;
use crate::params::{Params, LANES};

/// Where an address of the region falls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    /// Lane (core) whose part of the region holds it.
    pub lane: usize,
    /// Size class of the span it is in.
    pub class: usize,
    /// Base of the arena it is in.
    pub arena: u64,
    /// Which arena of its class span (0 for the first).
    pub index: u64,
    /// Byte offset from the arena base.
    pub offset: u64,
    /// The slot it starts, if it is a slot start.
    pub slot: Option<u64>,
}

/// The address map of the region, built from validated [`Params`].
#[derive(Debug, Clone)]
pub struct Region {
    base: u64,
    end: u64,
    lane_shift: u32,
    span_shift: u32,
    layouts: Vec<ArenaLayout>,
}

impl Region {
    /// The region of `params` (which [`Params::validate`] accepted).
    pub fn new(params: &Params) -> Region {
        let layouts = (0..params.size_classes.len())
            .filter_map(|c| params.layout(c))
            .collect();
        Region {
            base: params.region_base,
            end: params.region_end(),
            lane_shift: params.lane_bytes.trailing_zeros(),
            span_shift: params.span_bytes().trailing_zeros(),
            layouts,
        }
    }

    /// MRS.
    pub fn base(&self) -> u64 {
        self.base
    }

    /// MRE (exclusive).
    pub fn end(&self) -> u64 {
        self.end
    }

    /// Whether `addr` lies in MRS..MRE.
    #[inline]
    pub fn contains(&self, addr: u64) -> bool {
        addr >= self.base && addr < self.end
    }

    /// Number of size classes.
    pub fn classes(&self) -> usize {
        self.layouts.len()
    }

    /// Layout of arenas of `class`.
    #[inline]
    pub fn layout(&self, class: usize) -> Option<&ArenaLayout> {
        self.layouts.get(class)
    }

    /// Bytes of one class span.
    pub fn span_bytes(&self) -> u64 {
        1 << self.span_shift
    }

    /// First address of `class`'s span in `lane`; `None` for a lane or
    /// class that does not exist.
    #[inline]
    pub fn span_base(&self, lane: usize, class: usize) -> Option<u64> {
        (lane < LANES && class < self.layouts.len()).then(|| {
            self.base + ((lane as u64) << self.lane_shift) + ((class as u64) << self.span_shift)
        })
    }

    /// Lane, class, arena and slot of `addr`; `None` outside the region or
    /// in a span past the last class (spans are a power of two in number).
    #[inline]
    pub fn locate(&self, addr: u64) -> Option<Location> {
        if !self.contains(addr) {
            return None;
        }
        let rel = addr - self.base;
        let lane = (rel >> self.lane_shift) as usize;
        let in_lane = rel & ((1 << self.lane_shift) - 1);
        let class = (in_lane >> self.span_shift) as usize;
        let layout = self.layouts.get(class)?;
        let arena = addr & !(layout.arena_bytes - 1);
        let offset = addr - arena;
        let index = (in_lane & ((1 << self.span_shift) - 1)) >> layout.arena_bytes.trailing_zeros();
        Some(Location {
            lane,
            class,
            arena,
            index,
            offset,
            slot: layout.slot_at(offset),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_decodes_to_its_lane_class_arena_and_slot() {
        let p = Params::default();
        let r = Region::new(&p);
        let span = r.span_base(3, 5).unwrap();
        let l = *r.layout(5).unwrap();
        let arena = span + 7 * l.arena_bytes;
        let addr = l.slot_address(arena, 11);
        let loc = r.locate(addr).unwrap();
        assert_eq!(
            (loc.lane, loc.class, loc.arena, loc.index, loc.slot),
            (3, 5, arena, 7, Some(11))
        );
        assert_eq!(r.locate(addr + 1).unwrap().slot, None);
    }

    #[test]
    fn addresses_outside_the_region_or_unused_spans_decode_to_nothing() {
        let p = Params::default();
        let r = Region::new(&p);
        assert!(r.locate(p.region_base - 1).is_none());
        assert!(r.locate(p.region_end()).is_none());
        // 25 classes use 25 of 32 spans; span 30 is empty.
        assert!(r.locate(p.region_base + 30 * p.span_bytes()).is_none());
        assert!(r.span_base(LANES, 0).is_none());
        assert!(r.span_base(0, 25).is_none());
    }
}
