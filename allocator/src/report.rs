//! The statistics report: walks the pool and reads the counters.

use core::sync::atomic::Ordering::Relaxed;

use crate::pool;
use crate::size_class::{CLASS_SIZES, NCLASSES};
use crate::stats::{ClassStats, Stats, COUNTERS};

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
    let large_bytes = COUNTERS.large_mapped.load(Relaxed);
    let (slack, slack_resident) = (
        COUNTERS.slack.load(Relaxed),
        COUNTERS.slack_resident.load(Relaxed),
    );
    let allocated = classes
        .iter()
        .map(|c| c.live_blocks * c.block_size)
        .sum::<usize>()
        + large_bytes.saturating_sub(slack);
    let meta = COUNTERS.meta_mapped.load(Relaxed);
    let cached = COUNTERS.cached.load(Relaxed);
    let cached_resident = COUNTERS.cached_resident.load(Relaxed);
    Stats {
        allocated,
        // Read apart from the large lock: a realloc may change them between.
        resident: census.resident
            + large_bytes.saturating_sub(slack.saturating_sub(slack_resident))
            + meta
            + cached_resident,
        mapped: census.mapped + large_bytes + meta + cached,
        purged: COUNTERS.purged.load(Relaxed),
        paid_back: COUNTERS.paid_back.load(Relaxed),
        purges: COUNTERS.purges.load(Relaxed),
        large_objects: COUNTERS.large_objects.load(Relaxed),
        large_bytes,
        large_slack: slack_resident,
        classes,
    }
}
