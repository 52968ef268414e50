//! What a harvest can take from an idle instance beyond its resident
//! pages' floor: the heap pages that served objects during the run, are
//! still resident, and hold no live object when the invocation ends. This
//! models `memento-alloc`'s harvest hook (`memento_alloc::harvest`), which
//! purges the pages of every free slot and never touches a live object, as
//! if it had served the traced objects at their traced addresses.
//!
//! In Memento mode only the objects above the largest size class count:
//! the smaller ones live in the extension's arenas, whose pages go back to
//! the hardware page pool when an arena empties, so the replay's resident
//! pages already leave them out.

use std::path::Path;

use memento_sim::kernel::{MADV_DONTNEED, MADV_REMOVE};
use memento_trace::{Event, TraceFile};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::measure::{error, MeasureError};

/// Heap pages as a chain of traces leaves them.
#[derive(Default)]
struct HeapPages {
    shift: u32,
    smallest: u64,
    /// Open allocator brackets (nested calls' events are the outer one's).
    depth: u64,
    /// Counted objects still live: address and size.
    live: FxHashMap<u64, u64>,
    /// Pages some counted object spanned.
    served: FxHashSet<u64>,
    /// Pages loaded from or stored to, and not dropped since.
    resident: FxHashSet<u64>,
}

impl HeapPages {
    fn pages(&self, addr: u64, len: u64) -> std::ops::RangeInclusive<u64> {
        (addr >> self.shift)..=(addr.saturating_add(len.max(1) - 1) >> self.shift)
    }

    fn allocate(&mut self, addr: u64, size: u64) {
        if addr != 0 && size >= self.smallest {
            self.live.insert(addr, size);
            for page in self.pages(addr, size) {
                self.served.insert(page);
            }
        }
    }

    fn drop_pages(&mut self, addr: u64, len: u64) {
        if len > 0 {
            for page in self.pages(addr, len) {
                self.resident.remove(&page);
            }
        }
    }

    fn push(&mut self, event: &Event) {
        match *event {
            Event::Load { addr, size } | Event::Store { addr, size } => {
                for page in self.pages(addr, u64::from(size)) {
                    self.resident.insert(page);
                }
            }
            _ if event.is_nested_allocation(self.depth) => {}
            Event::Alloc(a) => self.allocate(a.addr, a.size),
            Event::Free(f) => {
                self.live.remove(&f.addr);
            }
            Event::Realloc(r) => {
                if r.old_addr != 0 {
                    self.live.remove(&r.old_addr);
                }
                self.allocate(r.new_addr, r.size);
            }
            Event::AllocEnter { .. } => self.depth += 1,
            Event::AllocExit => self.depth = self.depth.saturating_sub(1),
            Event::Munmap { addr, len } => self.drop_pages(addr, len),
            Event::Madvise { addr, len, advice }
                if advice == MADV_DONTNEED || advice == MADV_REMOVE =>
            {
                self.drop_pages(addr, len)
            }
            Event::Mremap {
                old_addr, old_len, ..
            } => self.drop_pages(old_addr, old_len),
            _ => {}
        }
    }

    /// Served, resident pages that no live object overlaps.
    fn idle(&self) -> u64 {
        let mut busy = FxHashSet::default();
        for (&addr, &size) in &self.live {
            busy.extend(self.pages(addr, size));
        }
        self.served
            .iter()
            .filter(|p| self.resident.contains(p) && !busy.contains(p))
            .count() as u64
    }
}

/// Bytes of idle heap pages (of `page_bytes`) after `chain` replayed as
/// one process, counting only objects of at least `smallest` bytes.
pub fn idle_heap_bytes(
    chain: &[&Path],
    page_bytes: u64,
    smallest: u64,
) -> Result<u64, MeasureError> {
    let mut heap = HeapPages {
        shift: page_bytes.trailing_zeros(),
        smallest,
        ..HeapPages::default()
    };
    for path in chain {
        let trace = TraceFile::open(path).map_err(|e| error(path, e))?;
        for event in trace.events() {
            heap.push(&event.map_err(|e| error(path, e))?);
        }
    }
    Ok(heap.idle() * page_bytes)
}
