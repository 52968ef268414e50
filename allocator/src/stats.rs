//! Statistics: the counters every layer updates, gathered in one struct,
//! and the plain-data report [`crate::stats()`] makes of them.

use core::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use crate::os;
use crate::size_class::NCLASSES;

/// The allocator's running counters, one struct for every layer. Each is
/// updated with relaxed atomics on slow paths only (arena hand-overs,
/// large objects, purges), never per block.
pub(crate) struct Counters {
    /// Bytes of segments mapped (pool).
    pub pool_mapped: AtomicUsize,
    /// Touched bytes of free slots not yet purged (pool; written under the
    /// pool lock).
    pub dirty: AtomicUsize,
    /// Bytes ever purged or unmapped while possibly resident.
    pub purged: AtomicUsize,
    /// Bytes of `purged` released by pay-back (free slots, cached large
    /// mappings, slack and the inner pages of large free blocks) rather
    /// than by decay or harvest.
    pub paid_back: AtomicUsize,
    /// Purge operations (madvise or unmap calls).
    pub purges: AtomicUsize,
    /// Fresh bytes touched since the last pay-back: arenas carved into new
    /// pages and large mappings made. The layers below only add to it;
    /// [`crate::reclaim`] pays it back from the slow paths.
    pub debt: AtomicUsize,
    /// Bytes of large mappings live.
    pub large_mapped: AtomicUsize,
    /// Large objects live.
    pub large_objects: AtomicUsize,
    /// Bytes of slack behind large objects, purged or not (sum of
    /// `LargeHeader::slack`).
    pub slack: AtomicUsize,
    /// Bytes of slack not purged since it was kept (sum of
    /// `LargeHeader::slack_resident`).
    pub slack_resident: AtomicUsize,
    /// Bytes of freed large mappings held for reuse.
    pub cached: AtomicUsize,
    /// Of those, the bytes that may be resident.
    pub cached_resident: AtomicUsize,
    /// Bytes mapped for heap metadata.
    pub meta_mapped: AtomicUsize,
}

/// The counters of the process.
pub(crate) static COUNTERS: Counters = Counters {
    pool_mapped: AtomicUsize::new(0),
    dirty: AtomicUsize::new(0),
    purged: AtomicUsize::new(0),
    paid_back: AtomicUsize::new(0),
    purges: AtomicUsize::new(0),
    debt: AtomicUsize::new(0),
    large_mapped: AtomicUsize::new(0),
    large_objects: AtomicUsize::new(0),
    slack: AtomicUsize::new(0),
    slack_resident: AtomicUsize::new(0),
    cached: AtomicUsize::new(0),
    cached_resident: AtomicUsize::new(0),
    meta_mapped: AtomicUsize::new(0),
};

impl Counters {
    /// Counts one purge or unmap call that released `resident` bytes that
    /// may have been resident.
    pub fn count_purge(&self, resident: usize) {
        self.purges.fetch_add(1, Relaxed);
        self.purged.fetch_add(resident, Relaxed);
    }

    /// Records `bytes` of fresh pages touched, to be paid back.
    pub fn owe(&self, bytes: usize) {
        self.debt.fetch_add(bytes, Relaxed);
    }
}

/// Purges `len` bytes at `p` and counts the operation, with `resident` of
/// the bytes as purged (those that may have been resident); false, with
/// nothing counted, if the OS refused.
///
/// # Safety
/// As [`os::purge`].
pub(crate) unsafe fn purge_counted(p: *mut u8, len: usize, resident: usize) -> bool {
    // SAFETY: guaranteed by the caller.
    let done = unsafe { os::purge(p, len) };
    if done {
        COUNTERS.count_purge(resident);
    }
    done
}

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
