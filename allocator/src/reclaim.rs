//! Reclaim: the one ladder that gives resident memory back, used by
//! pay-back (fresh pages were touched while freed memory sat unused) and by
//! [`crate::harvest()`] (the platform asks for idle memory).
//!
//! The layers below only record what they touched fresh
//! ([`Counters::owe`](crate::stats::Counters::owe)); the slow paths of
//! allocation ([`crate::slow_path`]) settle that debt here, as mimalloc
//! runs its housekeeping from `_mi_malloc_generic`.

use core::sync::atomic::Ordering::Relaxed;

use crate::config::{self, Decay};
use crate::stats::COUNTERS;
use crate::{heap, large, pool, thread};

/// Fresh bytes owed that make the small-object slow path pay back.
pub(crate) const DEBT_BATCH: usize = 128 * 1024;

/// Why memory is being reclaimed; the ladder differs in two steps.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    /// Fresh pages were touched: release about as much, cheapest first.
    PayBack,
    /// The platform asked ([`crate::harvest()`]): also unmap wholly free
    /// segments when no slot is dirty, and drop every cached large mapping.
    Harvest,
}

/// Releases up to about `budget` bytes, in order: free slots of the pool
/// (ignoring their decay delay); freed large mappings kept for reuse,
/// oldest first (all of them for a harvest); the slack kept behind large
/// objects; the inner pages of the calling thread's free blocks of at
/// least [`crate::arena::PURGEABLE_BLOCK`], largest class first. Returns
/// the bytes released.
pub(crate) fn release(budget: usize, reason: Reason) -> usize {
    let mut released = 0;
    if reason == Reason::Harvest || COUNTERS.dirty.load(Relaxed) != 0 {
        released = pool::purge_free_slots(budget);
    }
    match reason {
        Reason::Harvest => released += large::trim_cache(true),
        Reason::PayBack => {
            if released < budget && COUNTERS.cached.load(Relaxed) != 0 {
                released += large::evict_cached(budget - released);
            }
        }
    }
    if released < budget {
        released += large::purge_slack(budget - released);
    }
    if released < budget {
        // SAFETY: the calling thread's own heap.
        released += unsafe { heap::purge_free_blocks(thread::current_heap(), budget - released) };
    }
    released
}

/// Pays the debt of fresh pages back once it reaches `at_least` bytes:
/// releases about that much freed memory that was still resident (its run
/// size, alignment or class did not fit the new request), so the resident
/// set stays level instead of growing until the decay delay returns it (a
/// segregated pool's answer to a heap that reuses freed space for any
/// size). Nothing is released under [`Decay::Never`]; the debt is
/// forgiven.
pub(crate) fn settle_debt(at_least: usize) {
    if COUNTERS.debt.load(Relaxed) < at_least.max(1) {
        return;
    }
    let owed = COUNTERS.debt.swap(0, Relaxed);
    if owed == 0 || config::decay() == Decay::Never {
        return;
    }
    let released = release(owed, Reason::PayBack);
    COUNTERS.paid_back.fetch_add(released, Relaxed);
}
