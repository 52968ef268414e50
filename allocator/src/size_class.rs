//! Size classes: which block size serves a request.
//!
//! An 8 B class, then 16 B steps to 256 B and 32 B steps to 512 B: these
//! classes up to [`MAX_SMALL_SIZE`] = 512 B are the ones Memento's hardware
//! object allocator serves, and are fine-grained because 93% of requests
//! (98% in Python) fall there. Above, software classes step four per
//! doubling to 4 KiB and two per doubling from there to [`MAX_CLASS_SIZE`],
//! above which objects are mapped directly.
//! Every class above 8 B is a multiple of 16 B, and every power of two is a
//! class, so a power-of-two request of equal alignment wastes nothing.

use crate::types::SLOT_SIZE;

/// Largest request served by the classes mirroring the hardware.
pub const MAX_SMALL_SIZE: usize = 512;
/// Largest request served from arenas; above it, objects are mapped.
pub const MAX_CLASS_SIZE: usize = 64 * 1024;
/// Number of size classes.
pub const NCLASSES: usize = class_of(MAX_CLASS_SIZE) + 1;
/// Most slots one arena spans.
pub const MAX_ARENA_SLOTS: usize = 32;
/// Blocks an arena aims to hold, so large classes do not take a slot for a
/// single object.
const MIN_BLOCKS_PER_ARENA: usize = 8;

/// The class serving `size` bytes. `size` must be at most
/// [`MAX_CLASS_SIZE`]; zero is served by the smallest class.
#[inline]
pub const fn class_of(size: usize) -> usize {
    if size <= TABLE_MAX {
        // One load instead of the range tests below: 98% of requests.
        CLASS_BY_WORD[(size + 7) >> 3] as usize
    } else {
        class_by_formula(size)
    }
}

/// Largest request whose class comes from [`CLASS_BY_WORD`].
const TABLE_MAX: usize = 1024;

/// The class of each request size up to [`TABLE_MAX`], per 8 B step
/// (every class boundary is a multiple of 8).
const CLASS_BY_WORD: [u8; TABLE_MAX / 8 + 1] = {
    let mut t = [0u8; TABLE_MAX / 8 + 1];
    let mut i = 0;
    while i < t.len() {
        t[i] = class_by_formula(i * 8) as u8;
        i += 1;
    }
    t
};

/// [`class_of`] computed from the class layout.
const fn class_by_formula(size: usize) -> usize {
    if size <= 8 {
        0
    } else if size <= 256 {
        (size + 15) >> 4
    } else if size <= MAX_SMALL_SIZE {
        16 + ((size - 256 + 31) >> 5)
    } else {
        // `b`: the power of two below the size; `sub`: which step above it.
        let s = size - 1;
        let b = (usize::BITS - 1 - s.leading_zeros()) as usize;
        if size <= FINE_MAX {
            FIRST_FINE + (b - 9) * 4 + ((s >> (b - 2)) & 3)
        } else {
            FIRST_COARSE + (b - FINE_MAX_LOG2) * 2 + ((s >> (b - 1)) & 1)
        }
    }
}

/// Largest class stepping four per doubling; above it, two per doubling.
/// Blocks of a page or more are rarely written whole, so a coarser step
/// costs little resident memory, while every class keeps its own free
/// blocks resident: with four steps to 64 KiB, chameleon's 13 classes of
/// 8-64 KiB had touched 1.39 MB for 0.34 MB of live blocks between its
/// requests.
const FINE_MAX: usize = 4096;
/// log2 of [`FINE_MAX`].
const FINE_MAX_LOG2: usize = FINE_MAX.trailing_zeros() as usize;
/// The first class above [`MAX_SMALL_SIZE`] (640 B).
const FIRST_FINE: usize = 25;
/// The first class above [`FINE_MAX`] (6 KiB).
const FIRST_COARSE: usize = FIRST_FINE + (FINE_MAX_LOG2 - 9) * 4;

/// Block size of class `class`.
#[inline]
pub const fn class_size(class: usize) -> usize {
    if class == 0 {
        8
    } else if class <= 16 {
        class * 16
    } else if class <= 24 {
        256 + (class - 16) * 32
    } else if class < FIRST_COARSE {
        let k = class - FIRST_FINE;
        let b = 9 + k / 4;
        (5 + k % 4) << (b - 2)
    } else {
        let k = class - FIRST_COARSE;
        let b = FINE_MAX_LOG2 + k / 2;
        (3 + k % 2) << (b - 1)
    }
}

/// Slots an arena of class `class` spans: a power of two holding at least
/// eight blocks, capped at [`MAX_ARENA_SLOTS`].
#[inline]
pub const fn arena_slots(class: usize) -> usize {
    let want = class_size(class) * MIN_BLOCKS_PER_ARENA;
    let slots = want.div_ceil(SLOT_SIZE).next_power_of_two();
    if slots > MAX_ARENA_SLOTS {
        MAX_ARENA_SLOTS
    } else {
        slots
    }
}

/// Block sizes of all classes, smallest first.
pub const CLASS_SIZES: [usize; NCLASSES] = {
    let mut t = [0; NCLASSES];
    let mut c = 0;
    while c < NCLASSES {
        t[c] = class_size(c);
        c += 1;
    }
    t
};

// An arena's remote-free list counts its blocks in 16 bits
// (`types::RemoteFrees`).
const _: () = {
    let mut c = 0;
    while c < NCLASSES {
        assert!(arena_slots(c) * SLOT_SIZE / class_size(c) < 1 << 16);
        c += 1;
    }
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multiple_of_a_power_of_two_gets_a_class_that_is_one_too() {
        // What lets `aligned_alloc` hand out only block starts.
        let mut align = 16;
        while align < SLOT_SIZE {
            for s in (align..=MAX_CLASS_SIZE).step_by(align) {
                assert_eq!(class_size(class_of(s)) % align, 0, "size {s} align {align}");
            }
            align *= 2;
        }
    }

    #[test]
    fn every_size_gets_the_smallest_class_that_fits() {
        for size in 0..=MAX_CLASS_SIZE {
            let c = class_of(size);
            assert!(c < NCLASSES, "size {size}");
            assert!(class_size(c) >= size, "size {size} class {c}");
            if c > 0 {
                assert!(class_size(c - 1) < size, "size {size} class {c}");
            }
        }
    }

    #[test]
    fn classes_strictly_increase_and_end_at_the_threshold() {
        for c in 1..NCLASSES {
            assert!(CLASS_SIZES[c] > CLASS_SIZES[c - 1]);
        }
        assert_eq!(CLASS_SIZES[NCLASSES - 1], MAX_CLASS_SIZE);
    }

    #[test]
    fn classes_above_eight_bytes_keep_sixteen_byte_alignment() {
        for &s in &CLASS_SIZES[1..] {
            assert_eq!(s % 16, 0, "class {s}");
        }
    }

    #[test]
    fn hardware_classes_waste_at_most_31_bytes() {
        for size in 9..=MAX_SMALL_SIZE {
            assert!(class_size(class_of(size)) - size < 32, "size {size}");
        }
    }

    #[test]
    fn every_power_of_two_is_a_class() {
        let mut p = 8;
        while p <= MAX_CLASS_SIZE {
            assert_eq!(class_size(class_of(p)), p);
            p *= 2;
        }
    }

    #[test]
    fn hardware_classes_end_exactly_at_512_bytes() {
        assert_eq!(class_size(class_of(MAX_SMALL_SIZE)), MAX_SMALL_SIZE);
        assert!(class_size(class_of(MAX_SMALL_SIZE + 1)) > MAX_SMALL_SIZE);
    }

    #[test]
    fn classes_step_four_per_doubling_to_a_page_and_two_above() {
        let mut p = 1024;
        while p <= MAX_CLASS_SIZE {
            let steps = CLASS_SIZES.iter().filter(|&&s| s > p / 2 && s <= p).count();
            assert_eq!(steps, if p <= FINE_MAX { 4 } else { 2 }, "up to {p}");
            p *= 2;
        }
    }

    #[test]
    fn arenas_hold_eight_blocks_unless_capped() {
        for c in 0..NCLASSES {
            let slots = arena_slots(c);
            assert!(slots.is_power_of_two() && slots <= MAX_ARENA_SLOTS);
            let blocks = slots * SLOT_SIZE / class_size(c);
            assert!(blocks >= 8 || slots == MAX_ARENA_SLOTS, "class {c}");
            assert!(blocks >= 4, "class {c}");
        }
    }
}
