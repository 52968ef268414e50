//! The harvest hook: give idle memory back on the platform's demand.

use crate::reclaim::{self, Reason};
use crate::{heap, thread};

/// Returns idle memory to the OS, at most about `max_bytes` of it (the
/// last purge may overshoot by one slot run), and the bytes released.
///
/// Idle means: blocks freed by other threads into the calling thread's
/// heap and into abandoned heaps count as free, arenas left without live
/// blocks go back to the page pool, and every free slot that may still be
/// resident is purged at once, ignoring the decay delay. Segments left
/// wholly free are unmapped, except one kept as a spare, and so are the
/// freed large mappings kept for reuse; the tails that shrinking reallocs
/// kept mapped behind large objects, and the pages inside the calling
/// thread's free blocks of 8 KiB and more, are purged. Live objects are
/// never moved or touched. The heaps of other live threads are not visited
/// (they are theirs alone); their empty arenas reach the pool as they free.
///
/// Platforms call it between invocations (Freyr-style harvesting); it is
/// also the `memento_harvest` and `malloc_trim` symbols of the preload
/// library.
pub fn harvest(max_bytes: usize) -> usize {
    let h = thread::current_heap();
    // SAFETY: h is the calling thread's heap.
    unsafe {
        if !(*h).is_empty {
            heap::collect_idle(h, false);
        }
    }
    heap::collect_abandoned();
    reclaim::release(max_bytes, Reason::Harvest)
}
