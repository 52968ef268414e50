//! The functional state of one arena's header: bitmap, live count, list
//! links; and which lines of an object it shares with no live neighbour.

use crate::effects::LineSpan;
use crate::layout::ArenaLayout;
use bitvec::prelude::{BitVec, Lsb0};

/// Which list an arena is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ArenaState {
    /// Its class's current arena in its lane (on no list).
    Current,
    /// On the available list (has a free slot).
    Available,
    /// On the full list.
    Full,
}

/// One arena's header, with list links as indices into the allocator's
/// arena table.
#[derive(Debug, Clone)]
pub(crate) struct Arena {
    pub base: u64,
    pub lane: usize,
    pub class: usize,
    pub state: ArenaState,
    pub live: u64,
    pub prev: Option<u32>,
    pub next: Option<u32>,
    bits: BitVec<u64, Lsb0>,
    /// `bits.len()`, kept apart because bitvec decodes it from its pointer.
    slots: u64,
    /// No free slot lies in a bitmap word below this one.
    hint: usize,
}

impl Arena {
    /// A new, empty arena of `slots` slots, current in its lane.
    pub fn new(base: u64, lane: usize, class: usize, slots: u64) -> Arena {
        Arena {
            base,
            lane,
            class,
            state: ArenaState::Current,
            live: 0,
            prev: None,
            next: None,
            bits: BitVec::repeat(false, slots as usize),
            slots,
            hint: 0,
        }
    }

    /// Number of slots.
    pub fn slots(&self) -> u64 {
        self.slots
    }

    /// Whether every slot is taken.
    #[inline]
    pub fn is_full(&self) -> bool {
        self.live == self.slots()
    }

    /// Whether `slot` holds a live object.
    #[inline]
    pub fn is_live(&self, slot: u64) -> bool {
        slot < self.slots && bit(self.bits.as_raw_slice(), slot)
    }

    /// Takes the lowest free slot (first fit).
    #[inline]
    pub fn take_first_free(&mut self) -> Option<u64> {
        let slots = self.slots();
        let words = self.bits.as_raw_mut_slice();
        let w = (self.hint..words.len()).find(|&w| words[w] != u64::MAX)?;
        self.hint = w;
        let b = words[w].trailing_ones();
        let slot = w as u64 * 64 + u64::from(b);
        if slot >= slots {
            return None;
        }
        words[w] |= 1 << b;
        self.live += 1;
        Some(slot)
    }

    /// Frees `slot`, which must be live.
    #[inline]
    pub fn release_slot(&mut self, slot: u64) {
        let w = (slot / 64) as usize;
        self.bits.as_raw_mut_slice()[w] &= !(1 << (slot % 64));
        self.live -= 1;
        self.hint = self.hint.min(w);
    }

    /// The lines of `slot`'s object that hold no other live object: the
    /// whole lines it spans, less a first line shared with a live slot below
    /// or a last line shared with one above. `None` when no line is left.
    /// Walks neighbours by adding the size, without dividing.
    #[inline(always)]
    pub fn exclusive_lines(
        &self,
        layout: &ArenaLayout,
        slot: u64,
        line_bytes: u64,
    ) -> Option<LineSpan> {
        let words = self.bits.as_raw_slice();
        let size = layout.object_bytes;
        let start = layout.body_offset + slot * size;
        let first = start & !(line_bytes - 1);
        let last = (start + size - 1) & !(line_bytes - 1);
        // Live slots below ending inside the first line.
        let mut below = false;
        let (mut j, mut end) = (slot, start);
        while j > 0 && end > first && !below {
            j -= 1;
            below = bit(words, j);
            end -= size;
        }
        // Live slots above starting inside the last line.
        let mut above = false;
        let (mut j, mut begin) = (slot + 1, start + size);
        while begin < last + line_bytes && j < self.slots && !above {
            above = bit(words, j);
            j += 1;
            begin += size;
        }
        let (from, to) = if first == last {
            (
                first,
                if below || above {
                    first
                } else {
                    first + line_bytes
                },
            )
        } else {
            (
                first + if below { line_bytes } else { 0 },
                last + if above { 0 } else { line_bytes },
            )
        };
        (from < to).then_some(LineSpan {
            start: self.base + from,
            end: self.base + to,
        })
    }
}

/// Bit `i` of a bitmap of 64-bit words (`i` within it).
#[inline(always)]
fn bit(words: &[u64], i: u64) -> bool {
    words[(i / 64) as usize] >> (i % 64) & 1 == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_fit_takes_the_lowest_free_slot() {
        let mut a = Arena::new(0x10000, 0, 0, 130);
        for s in 0..130 {
            assert_eq!(a.take_first_free(), Some(s));
        }
        assert_eq!(a.take_first_free(), None);
        assert!(a.is_full());
        a.release_slot(70);
        a.release_slot(3);
        assert_eq!(a.take_first_free(), Some(3));
        assert_eq!(a.take_first_free(), Some(70));
    }

    #[test]
    fn small_objects_own_a_line_only_when_its_neighbours_are_free() {
        let l = ArenaLayout::new(16384, 16, 64);
        let mut a = Arena::new(0, 0, 1, l.slots);
        let s0 = a.take_first_free().unwrap();
        let line0 = l.body_offset;
        assert_eq!(
            a.exclusive_lines(&l, s0, 64),
            Some(LineSpan {
                start: line0,
                end: line0 + 64
            })
        );
        let s1 = a.take_first_free().unwrap();
        assert_eq!(a.exclusive_lines(&l, s1, 64), None);
    }

    #[test]
    fn an_object_loses_only_its_end_lines_shared_with_live_neighbours() {
        let l = ArenaLayout::new(16384, 48, 64);
        let b = l.body_offset;
        let mut a = Arena::new(0, 0, 0, l.slots);
        for _ in 0..3 {
            a.take_first_free();
        }
        // Slot 1 spans b+48..b+96: its lines b and b+64 hold slots 0 and 2.
        assert_eq!(a.exclusive_lines(&l, 1, 64), None);
        a.release_slot(2);
        assert_eq!(
            a.exclusive_lines(&l, 1, 64),
            Some(LineSpan {
                start: b + 64,
                end: b + 128
            })
        );
        let big = ArenaLayout::new(32768, 160, 64);
        let mut a = Arena::new(0, 0, 0, big.slots);
        for _ in 0..3 {
            a.take_first_free();
        }
        // Slot 1 spans b+160..b+320: line b+128 is shared, b+192 and b+256 not.
        let b = big.body_offset;
        assert_eq!(
            a.exclusive_lines(&big, 1, 64),
            Some(LineSpan {
                start: b + 192,
                end: b + 320
            })
        );
    }

    #[test]
    fn exclusive_lines_agree_with_a_byte_by_byte_check() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        for size in [4, 8, 12, 16, 24, 48, 64, 96, 160, 320, 512] {
            let l = ArenaLayout::new(16384, size, 64);
            let mut a = Arena::new(0, 0, 0, l.slots);
            while a.take_first_free().is_some() {}
            for s in 0..l.slots {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                if seed >> 62 == 0 {
                    a.release_slot(s); // a quarter free
                }
            }
            for s in 0..l.slots {
                let start = l.body_offset + s * size;
                let shared = |line: u64| {
                    (0..l.slots).any(|o| {
                        o != s && a.is_live(o) && {
                            let os = l.body_offset + o * size;
                            os < line + 64 && line < os + size
                        }
                    })
                };
                let lines: Vec<u64> = (start / 64..=(start + size - 1) / 64)
                    .map(|i| i * 64)
                    .filter(|&x| !shared(x))
                    .collect();
                let got = a.exclusive_lines(&l, s, 64);
                let want = match (lines.first(), lines.last()) {
                    (Some(&f), Some(&t)) => Some(LineSpan {
                        start: f,
                        end: t + 64,
                    }),
                    _ => None,
                };
                assert_eq!(got, want, "size {size} slot {s}");
            }
        }
    }
}
