//! Statistics: what the allocator holds, per size class and in total.

use core::sync::atomic::Ordering::Relaxed;

use crate::size_class::{CLASS_SIZES, NCLASSES};
use crate::{heap, large, pool};

/// Counts for one size class.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClassStats {
    /// Block size of the class.
    pub block_size: usize,
    /// Blocks handed out and not yet freed. Blocks freed by a thread other
    /// than the owner count until the owner collects them.
    pub live_blocks: usize,
    /// Arenas of this class in use.
    pub arenas: usize,
    /// Blocks those arenas can hold.
    pub capacity_blocks: usize,
    /// Bytes of those arenas ever carved into blocks, page-rounded: an
    /// upper bound on the class's resident memory.
    pub touched_bytes: usize,
}

/// A snapshot of the allocator's counters (see [`stats`]).
#[derive(Clone, Debug)]
pub struct Stats {
    /// Bytes in live blocks (block sizes, not requested sizes) plus live
    /// large objects (their mappings but the slack behind them).
    pub allocated: usize,
    /// Bytes possibly resident: segment headers, the touched part of arenas
    /// in use and of free slots not yet purged, large objects, heap metadata.
    /// Freed large mappings kept for reuse count too, and the slack behind
    /// large objects that no purge has reached. An upper bound on
    /// what this allocator adds to the RSS.
    pub resident: usize,
    /// Bytes of address space mapped.
    pub mapped: usize,
    /// Bytes returned to the OS so far by purges and harvests.
    pub purged: usize,
    /// Bytes of `purged` that paid for fresh pages: free slots and cached
    /// large mappings released before their decay delay because the
    /// allocator needed fresh memory they could not serve.
    pub paid_back: usize,
    /// `madvise` / `munmap` calls made to purge.
    pub purges: usize,
    /// Live large objects and their mapped bytes.
    pub large_objects: usize,
    /// Bytes mapped for live large objects.
    pub large_bytes: usize,
    /// Of `large_bytes`, the tails that shrinking reallocs kept mapped
    /// behind their objects and no harvest has purged since.
    pub large_slack: usize,
    /// Per size class, smallest first.
    pub classes: [ClassStats; NCLASSES],
}

/// Gathers the current statistics. Walks every arena under the pool lock:
/// meant for reports, not hot paths. Never allocates.
pub fn stats() -> Stats {
    let mut classes = [ClassStats::default(); NCLASSES];
    for (c, s) in classes.iter_mut().enumerate() {
        s.block_size = CLASS_SIZES[c];
    }
    let census = pool::census(|a| {
        let s = &mut classes[a.class.get() as usize];
        // Blocks freed by other threads and not yet collected are free.
        s.live_blocks += a.used.load(Relaxed).saturating_sub(a.thread_free.pending()) as usize;
        s.arenas += 1;
        s.capacity_blocks += a.reserved.get() as usize;
        s.touched_bytes += pool::touched_bytes(a);
    });
    let large_bytes = large::MAPPED.load(Relaxed);
    let (slack, slack_resident) = (
        large::SLACK.load(Relaxed),
        large::SLACK_RESIDENT.load(Relaxed),
    );
    let allocated = classes
        .iter()
        .map(|c| c.live_blocks * c.block_size)
        .sum::<usize>()
        + large_bytes.saturating_sub(slack);
    let meta = heap::META_MAPPED.load(Relaxed);
    let cached = crate::large_cache::CACHED.load(Relaxed);
    let cached_resident = crate::large_cache::CACHED_RESIDENT.load(Relaxed);
    Stats {
        allocated,
        // Read apart from the large lock: a realloc may change them between.
        resident: census.resident
            + large_bytes.saturating_sub(slack.saturating_sub(slack_resident))
            + meta
            + cached_resident,
        mapped: census.mapped + large_bytes + meta + cached,
        purged: pool::PURGED.load(Relaxed),
        paid_back: pool::PAID_BACK.load(Relaxed),
        purges: pool::PURGES.load(Relaxed),
        large_objects: large::COUNT.load(Relaxed),
        large_bytes,
        large_slack: slack_resident,
        classes,
    }
}
