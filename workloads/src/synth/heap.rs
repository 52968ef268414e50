//! Where synthetic objects live: a size-class heap like a thread-caching
//! malloc (slots of one class carved from runs, freed slots reused last in
//! first out, the heap grown by `brk`), with large objects in their own
//! mappings. It decides addresses and the kernel events; the generator
//! emits the allocator's own accesses.

use std::collections::BTreeMap;

use memento_trace::summary::lifetime_class;

/// Where the heap starts (a typical non-PIE program break).
pub const HEAP_BASE: u64 = 0x0060_0000;
/// The allocator's metadata (free-list heads, one word per class).
pub const METADATA_BASE: u64 = 0x0050_0000;
/// Where large mappings start, growing down.
pub const MMAP_TOP: u64 = 0x7f00_0000_0000;
/// Objects above this size get their own mapping.
pub const MMAP_THRESHOLD: u64 = 128 * 1024;
/// Bytes a run of one class takes from the heap.
pub const RUN_BYTES: u64 = 64 * 1024;
/// Bytes the heap grows by when it needs room.
pub const BRK_STEP: u64 = 256 * 1024;

const PAGE: u64 = 4096;

/// A kernel call the heap made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelCall {
    /// The break moved from `old` to `new`.
    Brk {
        /// Old break.
        old: u64,
        /// New break.
        new: u64,
    },
    /// A mapping was created.
    Mmap {
        /// Start.
        addr: u64,
        /// Length.
        len: u64,
    },
    /// A mapping was removed.
    Munmap {
        /// Start.
        addr: u64,
        /// Length.
        len: u64,
    },
}

#[derive(Default)]
struct Class {
    free: Vec<u64>,
    run_next: u64,
    run_end: u64,
}

/// The heap model.
pub struct Heap {
    classes: BTreeMap<u32, Class>,
    brk: u64,
    brk_used: u64,
    mmap_next: u64,
    large: BTreeMap<u64, u64>,
}

impl Default for Heap {
    fn default() -> Self {
        Heap {
            classes: BTreeMap::new(),
            brk: HEAP_BASE,
            brk_used: HEAP_BASE,
            mmap_next: MMAP_TOP,
            large: BTreeMap::new(),
        }
    }
}

/// Bytes of a slot of `size`'s class.
pub fn slot_bytes(size: u64) -> u64 {
    if size <= 512 {
        size.max(1).div_ceil(16) * 16
    } else {
        size.next_power_of_two()
    }
}

/// Address of the free-list head of `size`'s class.
pub fn head_address(size: u64) -> u64 {
    METADATA_BASE + 8 * u64::from(lifetime_class(size))
}

impl Heap {
    /// Allocates `size` bytes; returns the address, whether the slot was
    /// reused from the free list, and the kernel call made, if any.
    pub fn allocate(&mut self, size: u64) -> (u64, bool, Option<KernelCall>) {
        if size > MMAP_THRESHOLD {
            let len = size.div_ceil(PAGE) * PAGE;
            self.mmap_next -= len;
            let addr = self.mmap_next;
            self.large.insert(addr, len);
            return (addr, false, Some(KernelCall::Mmap { addr, len }));
        }
        let slot = slot_bytes(size);
        let class = self.classes.entry(lifetime_class(size)).or_default();
        if let Some(addr) = class.free.pop() {
            return (addr, true, None);
        }
        let mut call = None;
        if class.run_next + slot > class.run_end {
            let run = RUN_BYTES.max(slot);
            let start = self.brk_used;
            if start + run > self.brk {
                let old = self.brk;
                self.brk = (start + run).div_ceil(BRK_STEP) * BRK_STEP;
                call = Some(KernelCall::Brk { old, new: self.brk });
            }
            self.brk_used = start + run;
            class.run_next = start;
            class.run_end = start + run;
        }
        let addr = class.run_next;
        class.run_next += slot;
        (addr, false, call)
    }

    /// Frees the object of `size` at `addr`; returns the kernel call made.
    pub fn free(&mut self, addr: u64, size: u64) -> Option<KernelCall> {
        if let Some(len) = self.large.remove(&addr) {
            return Some(KernelCall::Munmap { addr, len });
        }
        self.classes
            .entry(lifetime_class(size))
            .or_default()
            .free
            .push(addr);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freed_slots_are_reused_last_in_first_out() {
        let mut heap = Heap::default();
        let (a, _, _) = heap.allocate(24);
        let (b, _, _) = heap.allocate(20);
        assert_eq!(b, a + 32);
        heap.free(a, 24);
        heap.free(b, 20);
        assert_eq!(heap.allocate(30), (b, true, None));
        assert_eq!(heap.allocate(17), (a, true, None));
    }

    #[test]
    fn the_first_run_grows_the_break() {
        let mut heap = Heap::default();
        let (_, _, call) = heap.allocate(64);
        assert_eq!(
            call,
            Some(KernelCall::Brk {
                old: HEAP_BASE,
                new: HEAP_BASE + BRK_STEP
            })
        );
        assert_eq!(heap.allocate(64).2, None);
    }

    #[test]
    fn large_objects_get_their_own_mapping() {
        let mut heap = Heap::default();
        let (addr, _, call) = heap.allocate(MMAP_THRESHOLD + 1);
        let len = (MMAP_THRESHOLD + PAGE).div_ceil(PAGE) * PAGE;
        assert_eq!(call, Some(KernelCall::Mmap { addr, len }));
        assert_eq!(
            heap.free(addr, MMAP_THRESHOLD + 1),
            Some(KernelCall::Munmap { addr, len })
        );
    }
}
