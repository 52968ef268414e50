//! Plain-data counters of the models, for the simulator's reports.

use crate::effects::Fallback;

/// Fallbacks by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FallbackCounts {
    /// Requests of 0 bytes.
    pub zero_size: u64,
    /// Requests above the largest class.
    pub too_large: u64,
    /// A class span with no room for an arena.
    pub span_exhausted: u64,
    /// An empty page pool at arena creation.
    pub pool_empty: u64,
}

impl FallbackCounts {
    /// Counts one fallback for `reason`.
    pub fn count(&mut self, reason: Fallback) {
        *match reason {
            Fallback::ZeroSize => &mut self.zero_size,
            Fallback::TooLarge => &mut self.too_large,
            Fallback::SpanExhausted => &mut self.span_exhausted,
            Fallback::PoolEmpty => &mut self.pool_empty,
        } += 1;
    }

    /// All fallbacks.
    pub fn total(&self) -> u64 {
        self.zero_size + self.too_large + self.span_exhausted + self.pool_empty
    }
}

/// Hits and misses of one structure for one operation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HitMiss {
    /// Lookups that hit.
    pub hits: u64,
    /// Lookups that missed.
    pub misses: u64,
}

impl HitMiss {
    /// Counts one lookup.
    #[inline]
    pub fn count(&mut self, hit: bool) {
        if hit {
            self.hits += 1;
        } else {
            self.misses += 1;
        }
    }

    /// Hits over lookups (0 with no lookup).
    pub fn hit_rate(&self) -> f64 {
        let n = self.hits + self.misses;
        if n == 0 {
            0.0
        } else {
            self.hits as f64 / n as f64
        }
    }
}

/// Counters of a [`crate::HardwareObjectAllocator`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HoaStats {
    /// Allocations the extension served.
    pub allocs: u64,
    /// Frees.
    pub frees: u64,
    /// Allocations left to software, by reason.
    pub fallbacks: FallbackCounts,
    /// HOT lookups of obj-alloc.
    pub alloc_hot: HitMiss,
    /// AAC lookups of obj-alloc (after a HOT miss, for a non-new arena).
    pub alloc_aac: HitMiss,
    /// HOT lookups of obj-free.
    pub free_hot: HitMiss,
    /// AAC lookups of obj-free (after a HOT miss).
    pub free_aac: HitMiss,
    /// Arena list insertions and removals.
    pub list_ops: u64,
    /// Header lines read from memory.
    pub header_line_reads: u64,
    /// Header lines written to memory.
    pub header_line_writes: u64,
    /// Arenas created (bumped or reused).
    pub arenas_created: u64,
    /// Arenas released to the page allocator.
    pub arenas_released: u64,
    /// HOT flushes (context switches).
    pub flushes: u64,
}

/// Counters of a [`crate::HardwarePageAllocator`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HpaStats {
    /// Region pages backed from the pool.
    pub pages_taken: u64,
    /// Region pages returned to the pool.
    pub pages_released: u64,
    /// Page-table pages allocated from the pool and zeroed.
    pub table_pages_zeroed: u64,
    /// Touches or backings the pool could not serve.
    pub empty_pool_events: u64,
    /// Calls to refill.
    pub refills: u64,
    /// Pages added by refills.
    pub pages_refilled: u64,
}
