//! Where the objects the extension serves live, and how a traced access
//! finds them. Each object keeps its traced range (the address the
//! software allocator returned, and its requested size) and gets a place
//! from the modelled allocator; with redirection on, every access inside
//! the traced range goes to the same offset of the new place.
//!
//! The redirect is a hash map from traced line to the pieces of live
//! objects in that line (usually one or two, kept inline): one probe per
//! access, after a range check that lets accesses outside every object
//! ever served (the stack, globals, large objects above them) through
//! without a probe. Its memory is bounded by the live objects: about 48
//! bytes per traced line that a live object covers, plus 40 per object.

use rustc_hash::FxHashMap;
use smallvec::SmallVec;

/// An object the extension serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Object {
    /// Where the modelled allocator put it.
    pub addr: u64,
    /// Bytes requested.
    pub size: u64,
}

/// The part of one live object inside one traced line.
#[derive(Clone, Copy, Debug)]
struct Piece {
    /// First byte, as an offset in the line.
    start: u16,
    /// One past the last byte, as an offset in the line.
    end: u16,
    /// New address minus traced address (wrapping).
    delta: u64,
}

/// The live objects of one address space, by traced address.
#[derive(Clone, Debug)]
pub struct Placement {
    objects: FxHashMap<u64, Object>,
    lines: FxHashMap<u64, SmallVec<[Piece; 2]>>,
    redirect: bool,
    line_shift: u32,
    /// Every traced range ever inserted lies in `lo..hi`.
    lo: u64,
    hi: u64,
    peak: usize,
}

impl Placement {
    /// No objects yet; `redirect` says whether accesses move with them.
    pub fn new(redirect: bool, line_size: u32) -> Placement {
        Placement {
            objects: FxHashMap::default(),
            lines: FxHashMap::default(),
            redirect,
            line_shift: line_size.trailing_zeros(),
            lo: u64::MAX,
            hi: 0,
            peak: 0,
        }
    }

    /// Live objects now.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// Whether no object is live.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// The most objects live at once.
    pub fn peak(&self) -> usize {
        self.peak
    }

    /// The live object the software allocator had put at `traced`.
    #[inline]
    pub fn get(&self, traced: u64) -> Option<&Object> {
        self.objects.get(&traced)
    }

    /// A new object, traced at `traced`. A live object at the same traced
    /// address (a free the trace did not show) is replaced and returned.
    pub fn insert(&mut self, traced: u64, object: Object) -> Option<Object> {
        let old = self.remove(traced);
        self.objects.insert(traced, object);
        self.peak = self.peak.max(self.objects.len());
        if self.redirect && object.size > 0 {
            let end = traced.saturating_add(object.size);
            self.lo = self.lo.min(traced);
            self.hi = self.hi.max(end);
            let delta = object.addr.wrapping_sub(traced);
            self.for_each_piece(traced, end, |lines, line, start, end| {
                lines
                    .entry(line)
                    .or_default()
                    .push(Piece { start, end, delta });
            });
        }
        old
    }

    /// The object traced at `traced` is freed; returns it.
    pub fn remove(&mut self, traced: u64) -> Option<Object> {
        let object = self.objects.remove(&traced)?;
        if self.redirect && object.size > 0 {
            let end = traced.saturating_add(object.size);
            self.for_each_piece(traced, end, |lines, line, start, _| {
                if let Some(pieces) = lines.get_mut(&line) {
                    pieces.retain(|p| p.start != start);
                    if pieces.is_empty() {
                        lines.remove(&line);
                    }
                }
            });
        }
        Some(object)
    }

    /// Calls `f(lines, line, start, end)` for each traced line the bytes
    /// `from..to` touch, with the offsets of the part inside it.
    fn for_each_piece(
        &mut self,
        from: u64,
        to: u64,
        mut f: impl FnMut(&mut FxHashMap<u64, SmallVec<[Piece; 2]>>, u64, u16, u16),
    ) {
        let shift = self.line_shift;
        let size = 1u64 << shift;
        let mut at = from;
        while at < to {
            let line = at >> shift;
            let line_end = (line + 1) << shift;
            let end = to.min(line_end);
            f(
                &mut self.lines,
                line,
                (at - (line << shift)) as u16,
                (end - (line << shift)) as u16,
            );
            debug_assert!(end - (line << shift) <= size);
            at = end;
        }
    }

    /// Where an access to traced address `addr` goes: the same offset of
    /// the new place of the live object that holds it, or `addr` itself.
    #[inline(always)]
    pub fn redirect(&self, addr: u64) -> u64 {
        if addr < self.lo || addr >= self.hi {
            return addr;
        }
        self.redirect_in_range(addr)
    }

    #[inline]
    fn redirect_in_range(&self, addr: u64) -> u64 {
        let line = addr >> self.line_shift;
        let Some(pieces) = self.lines.get(&line) else {
            return addr;
        };
        let offset = (addr - (line << self.line_shift)) as u16;
        for p in pieces {
            if p.start <= offset && offset < p.end {
                return addr.wrapping_add(p.delta);
            }
        }
        addr
    }
}

#[cfg(test)]
mod tests {
    use super::{Object, Placement};

    #[test]
    fn accesses_inside_a_live_object_move_with_it_and_others_stay() {
        let mut p = Placement::new(true, 64);
        p.insert(
            0x1030,
            Object {
                addr: 0x9000,
                size: 40,
            },
        );
        p.insert(
            0x1058,
            Object {
                addr: 0xa000,
                size: 8,
            },
        );
        assert_eq!(p.redirect(0x1030), 0x9000);
        assert_eq!(p.redirect(0x1050), 0x9020);
        assert_eq!(p.redirect(0x1057), 0x9027);
        assert_eq!(p.redirect(0x1058), 0xa000);
        assert_eq!(p.redirect(0x1060), 0x1060);
        assert_eq!(p.redirect(0x102f), 0x102f);
        assert_eq!(
            p.remove(0x1030),
            Some(Object {
                addr: 0x9000,
                size: 40
            })
        );
        assert_eq!(p.redirect(0x1050), 0x1050);
        assert_eq!(p.redirect(0x1058), 0xa000);
        assert_eq!(p.len(), 1);
        assert_eq!(p.peak(), 2);
    }

    #[test]
    fn without_redirection_objects_are_kept_but_accesses_stay() {
        let mut p = Placement::new(false, 64);
        p.insert(
            0x1000,
            Object {
                addr: 0x9000,
                size: 64,
            },
        );
        assert_eq!(p.redirect(0x1008), 0x1008);
        assert_eq!(p.get(0x1000).map(|o| o.addr), Some(0x9000));
    }

    #[test]
    fn a_traced_address_reused_replaces_the_old_object() {
        let mut p = Placement::new(true, 64);
        p.insert(
            0x2000,
            Object {
                addr: 0x9000,
                size: 16,
            },
        );
        let old = p.insert(
            0x2000,
            Object {
                addr: 0x9100,
                size: 32,
            },
        );
        assert_eq!(old.map(|o| o.addr), Some(0x9000));
        assert_eq!(p.redirect(0x2018), 0x9118);
        assert_eq!(p.len(), 1);
    }
}
