//! Freed large mappings kept for reuse.
//!
//! A function that builds a 1 MiB string per request would otherwise map,
//! fault in and unmap it every time (glibc avoids this by raising its mmap
//! threshold). Freed 4 MiB-aligned large mappings wait here, still
//! resident, until a request of a similar size takes one, the decay delay
//! expires, or a harvest unmaps them. All under the large-object lock.

use core::cell::Cell;
use core::sync::atomic::Ordering::Relaxed;

use crate::config::{self, Decay};
use crate::os;
use crate::stats::COUNTERS;
use crate::types::Static;

const ENTRIES: usize = 16;
/// Most bytes of mappings the cache holds; larger mappings are not kept.
/// It bounds what freed large objects add to the resident set (glibc keeps
/// up to twice its adaptive mmap threshold at the top of its heap).
const BUDGET: usize = 4 << 20;

#[derive(Clone, Copy)]
struct Entry {
    base: usize,
    len: usize,
    /// Bytes from `base` that may be resident: the rest was purged, or
    /// never touched.
    resident: usize,
    freed_ms: u64,
}

const NONE: Entry = Entry {
    base: 0,
    len: 0,
    resident: 0,
    freed_ms: 0,
};

static CACHE: Static<Cell<[Entry; ENTRIES]>> = Static(Cell::new([NONE; ENTRIES]));

fn entries() -> *mut [Entry; ENTRIES] {
    CACHE.0.as_ptr()
}

/// The cached mapping freed longest ago.
fn oldest(es: &mut [Entry; ENTRIES]) -> Option<&mut Entry> {
    es.iter_mut()
        .filter(|e| e.base != 0)
        .min_by_key(|e| e.freed_ms)
}

/// Unmaps a cached mapping and empties its entry; returns its resident
/// bytes, counted as purged. Large lock held.
fn unmap_entry(e: &mut Entry) -> usize {
    // SAFETY: cached mappings are ours and hold no object.
    unsafe { os::unmap(e.base as *mut u8, e.len) };
    COUNTERS.cached.fetch_sub(e.len, Relaxed);
    COUNTERS.cached_resident.fetch_sub(e.resident, Relaxed);
    COUNTERS.count_purge(e.resident);
    let resident = e.resident;
    *e = NONE;
    resident
}

/// Takes the smallest cached mapping of at least `len` bytes: its start,
/// length and resident prefix (a smaller request may reuse a larger
/// mapping; [`crate::large::alloc`] decides what of the rest stays
/// resident). Large lock held.
pub(crate) fn take_locked(len: usize) -> Option<(*mut u8, usize, usize)> {
    // SAFETY: the large lock is held by the caller.
    let es = unsafe { &mut *entries() };
    let best = es
        .iter_mut()
        .filter(|e| e.base != 0 && e.len >= len)
        .min_by_key(|e| e.len)?;
    let got = (best.base as *mut u8, best.len, best.resident);
    COUNTERS.cached.fetch_sub(best.len, Relaxed);
    COUNTERS.cached_resident.fetch_sub(best.resident, Relaxed);
    *best = NONE;
    Some(got)
}

/// Keeps a freed mapping of `len` bytes whose first `resident` may be
/// resident; false when the policy says to unmap it now (the caller
/// does). Evicts the oldest entry when full. Large lock held.
pub(crate) fn put_locked(base: *mut u8, len: usize, resident: usize) -> bool {
    if len > BUDGET || config::decay() == Decay::Immediate {
        return false;
    }
    let now = os::now_ms();
    trim_locked(false, now);
    // SAFETY: the large lock is held by the caller.
    let es = unsafe { &mut *entries() };
    // Evict the oldest entries until there is a free entry and room in the
    // budget.
    loop {
        let free = es.iter().any(|e| e.base == 0);
        if free && COUNTERS.cached.load(Relaxed) + len <= BUDGET {
            break;
        }
        let Some(e) = oldest(es) else {
            return false; // unreachable: len <= BUDGET and ENTRIES > 0
        };
        unmap_entry(e);
    }
    let Some(slot) = es.iter().position(|e| e.base == 0) else {
        return false; // unreachable: the loop made room
    };
    es[slot] = Entry {
        base: base as usize,
        len,
        resident,
        freed_ms: now,
    };
    COUNTERS.cached.fetch_add(len, Relaxed);
    COUNTERS.cached_resident.fetch_add(resident, Relaxed);
    true
}

/// Unmaps cached mappings whose decay expired (all of them if `force`);
/// returns the resident bytes unmapped. Large lock held.
pub(crate) fn trim_locked(force: bool, now: u64) -> usize {
    let expired = |e: &Entry| {
        force
            || match config::decay() {
                Decay::AfterMillis(ms) => now.saturating_sub(e.freed_ms) >= ms,
                Decay::Immediate => true,
                Decay::AfterReleases(_) | Decay::Never => false,
            }
    };
    // SAFETY: the large lock is held by the caller.
    let es = unsafe { &mut *entries() };
    let mut released = 0;
    for e in es.iter_mut().filter(|e| e.base != 0) {
        if expired(e) {
            released += unmap_entry(e);
        }
    }
    released
}

/// Unmaps cached mappings, oldest first, until at least `bytes` of
/// resident memory were released or the cache is empty; returns those
/// bytes. Large lock held.
pub(crate) fn evict_locked(bytes: usize) -> usize {
    // SAFETY: the large lock is held by the caller.
    let es = unsafe { &mut *entries() };
    let mut released = 0;
    while released < bytes {
        let Some(e) = oldest(es) else {
            break;
        };
        released += unmap_entry(e);
    }
    released
}
