//! What the extension (or the ideal Mallacc) did, as plain data; printed
//! by `report.rs`.

use memento_trace::Event;
use serde::{Deserialize, Serialize};

use crate::stats::BypassStats;

/// The allocator model's results, when it is not the baseline.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionStats {
    /// `memento` or `ideal-mallacc`.
    pub allocator: String,
    /// Software allocator work the model took out of the replay.
    pub removed: RemovedWork,
    /// Brackets taken, then replayed as the software ran them (requests
    /// over 512 B, frees of objects the extension does not own, switches
    /// off).
    pub replayed_brackets: u64,
    /// Brackets too long to hold whole (more than `HOLD_LIMIT` events):
    /// replayed as the software ran them even when the extension served
    /// their object.
    pub oversized_brackets: u64,
    /// The Memento extension's units (absent for the ideal Mallacc).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memento: Option<MementoStats>,
}

/// Instructions, accesses and system calls of the software allocator that
/// were not replayed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemovedWork {
    /// Outermost allocator calls removed.
    pub brackets: u64,
    /// Instructions inside them.
    pub instructions: u64,
    /// Loads inside them.
    pub loads: u64,
    /// Stores inside them.
    pub stores: u64,
    /// System calls inside them (`mmap`, `munmap`, `brk`, `madvise`,
    /// `mremap`) the extension made unnecessary.
    pub kernel_events: u64,
}

impl RemovedWork {
    /// Counts `event` as removed if it is allocator work (instructions,
    /// accesses, brackets and their allocation events); false for an event
    /// that must still be replayed (system calls, markers, thread
    /// switches), which the caller decides about.
    pub(crate) fn remove(&mut self, event: &Event) -> bool {
        match *event {
            Event::Block { count, .. } => self.instructions += u64::from(count),
            Event::Gap { count } => self.instructions += count,
            Event::Load { .. } => self.loads += 1,
            Event::Store { .. } => self.stores += 1,
            Event::AllocEnter { .. }
            | Event::AllocExit
            | Event::Alloc(_)
            | Event::Free(_)
            | Event::Realloc(_) => {}
            _ => return false,
        }
        true
    }
}

/// One table's lookups.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HitMiss {
    /// Lookups that found the header.
    pub hits: u64,
    /// Lookups that did not.
    pub misses: u64,
}

impl HitMiss {
    /// Adds `other`'s counts.
    pub fn merge(&mut self, other: HitMiss) {
        self.hits += other.hits;
        self.misses += other.misses;
    }

    /// Hits over lookups (0 when none).
    pub fn rate(&self) -> f64 {
        let n = self.hits + self.misses;
        if n == 0 {
            0.0
        } else {
            self.hits as f64 / n as f64
        }
    }
}

/// The Memento units' work.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MementoStats {
    /// Where objects live: `memento` or `trace`.
    pub placement: String,
    /// Which parts of the extension were on.
    pub switches: Switches,
    /// obj-alloc instructions executed.
    pub obj_allocs: u64,
    /// Cycles from their issue to their result, summed.
    pub obj_alloc_cycles: u64,
    /// obj-free instructions executed.
    pub obj_frees: u64,
    /// Cycles from their issue to their completion, summed.
    pub obj_free_cycles: u64,
    /// HOT lookups of obj-alloc.
    pub hot_alloc: HitMiss,
    /// HOT lookups of obj-free.
    pub hot_free: HitMiss,
    /// AAC lookups on the allocation path (an available arena becoming
    /// current).
    pub aac_alloc: HitMiss,
    /// AAC lookups of obj-free after a HOT miss.
    pub aac_free: HitMiss,
    /// Arena list operations (moves between the available and full lists).
    pub list_ops: u64,
    /// Header lines read through the caches.
    pub header_reads: u64,
    /// Header lines written through the caches.
    pub header_writes: u64,
    /// Arenas created.
    pub arenas_created: u64,
    /// Arenas released to the page allocator.
    pub arenas_released: u64,
    /// Requests the extension did not serve, by reason.
    pub fallbacks: FallbackStats,
    /// Bytes zeroed for `calloc`s the extension served (stores replayed).
    pub calloc_bytes: u64,
    /// Bytes copied by resizes the extension served (loads and stores).
    pub realloc_bytes: u64,
    /// Objects live at once, at most.
    pub peak_live_objects: u64,
    /// Frees of extension objects the functional model rejected (a bug in
    /// the trace or the model; each is otherwise ignored).
    pub rejected_frees: u64,
    /// The hardware page allocator.
    pub pages: PageStats,
    /// What the bypass rules avoided.
    pub bypass: BypassStats,
}

/// The extension's switches of a run (`[memento]` in the config).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Switches {
    /// obj-alloc replaced the software allocation.
    pub object_alloc: bool,
    /// obj-free replaced the software free.
    pub object_free: bool,
    /// The hardware page allocator backed the region.
    pub page_alloc: bool,
    /// New objects' lines installed without a read.
    pub bypass_alloc: bool,
    /// Dead lines dropped without a writeback.
    pub bypass_free: bool,
}

/// Requests the extension did not serve.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FallbackStats {
    /// All of them.
    pub total: u64,
    /// Requests over the largest class (512 B).
    pub too_large: u64,
    /// Requests of 0 bytes, and failed traced allocations.
    pub zero_size: u64,
    /// A class span of a lane full.
    pub span_exhausted: u64,
    /// The pool empty when a new arena needed its header page (the OS
    /// refilled it and the allocation was retried).
    pub pool_empty: u64,
}

impl FallbackStats {
    /// Adds `other`'s counts.
    pub fn merge(&mut self, other: &FallbackStats) {
        self.too_large += other.too_large;
        self.zero_size += other.zero_size;
        self.span_exhausted += other.span_exhausted;
        self.pool_empty += other.pool_empty;
        self.total = self.too_large + self.zero_size + self.span_exhausted;
    }
}

/// The hardware page allocator's work.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageStats {
    /// Region pages backed from the pool (walker fills and arena headers).
    pub pages_taken: u64,
    /// Pages of released arenas returned to the pool.
    pub pages_released: u64,
    /// TLB misses in the region filled by the walker from the pool.
    pub walker_fills: u64,
    /// Refills of the pool by the OS.
    pub refills: u64,
    /// Pages those refills added.
    pub pages_refilled: u64,
    /// Cycles of the refills (charged to a core only when
    /// `refill_on_critical_path`).
    pub refill_cycles: u64,
    /// Walker fills that found the pool empty and fell back to a page
    /// fault (in which the OS refilled the pool).
    pub empty_pool_faults: u64,
    /// Memento page-table pages allocated and zeroed by the hardware.
    pub table_pages_zeroed: u64,
    /// Lines of those pages (installed dirty, without a DRAM read).
    pub table_lines_zeroed: u64,
    /// Region pages faulted by the kernel instead (`page_alloc` off).
    pub kernel_faults: u64,
}
