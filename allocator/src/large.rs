//! Large objects: requests above the largest class get their own mapping.
//!
//! Layout: a 4 MiB-aligned mapping whose first page is a [`LargeHeader`];
//! the object starts at `max(page, align)` bytes in, so it lies at most
//! 4 MiB past its header and [`crate::registry`] finds the header the same
//! way as a segment's. For alignments above 4 MiB the mapping is aligned to
//! the request and the header sits 4 MiB below the object.

use core::ptr::null_mut;
use core::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use crate::lock::SpinLock;
use crate::stats::COUNTERS;
use crate::types::{Heap, LargeHeader, KIND_LARGE, MIN_ALIGN, SEGMENT_SIZE};
use crate::{large_cache, os, registry};

/// Largest tail a shrinking `realloc` leaves mapped (see [`realloc`]).
const SHRINK_KEEP: usize = 256 * 1024;
/// Most bytes of larger tails that shrinking reallocs keep mapped as
/// slack, all objects together (as much as the cache of freed mappings).
const SLACK_BUDGET: usize = 4 << 20;

/// A new object of a fixed size that takes a cached mapping larger than
/// it needs by at least this much leaves the rest as slack, purged: those
/// pages were resident for the freed object and would stay so, unused,
/// while the new one lives (igraph's pagerank allocates arrays of 80 to
/// 960 KB in turn; purging cut its peak RSS by 600 KB, and json's by 460
/// KB for 85% more page faults, still fewer than glibc's). The mapping
/// remembers what is resident, so reusing it again purges nothing. A
/// block that `realloc` grows keeps the rest resident: a list grown on
/// every request refills the same mapping (purging it cost the DNA
/// function 47% more page faults). Under `Decay::Never` nothing is
/// purged.
const REUSE_TAIL_PURGE: usize = 64 * 1024;

/// Guards the list of large objects.
pub(crate) static LOCK: SpinLock = SpinLock::new();
static LIST: crate::types::Static<core::cell::Cell<*mut LargeHeader>> =
    crate::types::Static(core::cell::Cell::new(null_mut()));

/// Step of the cache colouring of large objects (a cache line).
const COLOR_STEP: usize = 64;
/// Large objects mapped so far, for their colours.
static COLORS: AtomicUsize = AtomicUsize::new(0);

/// The next colour: an offset in `0..page`, a multiple of [`COLOR_STEP`].
///
/// Every large mapping is 4 MiB-aligned, so without it every large object
/// would start at the same offset modulo the cache's set stride and two
/// arrays read together would evict each other (a lazy DFA's transition
/// tables ran 20% slower than under glibc). jemalloc offsets its large
/// objects the same way ("cache-oblivious").
fn color(page: usize) -> usize {
    // An odd multiplier walks all `page / COLOR_STEP` colours before
    // repeating, spreading consecutive objects apart.
    (COLORS.fetch_add(1, Relaxed).wrapping_mul(37) % (page / COLOR_STEP)) * COLOR_STEP
}

/// `offset + size` rounded up to whole pages; None on overflow.
fn page_round(size: usize, offset: usize, page: usize) -> Option<usize> {
    size.checked_add(offset)?
        .checked_add(page - 1)
        .map(|s| s & !(page - 1))
}

/// What a large object is requested for: it decides whether the object
/// is zeroed and what of a larger freed mapping it reuses stays resident.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Request {
    /// A new object of a fixed size (`malloc`, aligned allocation).
    Fresh,
    /// A new object read as zeroes (`calloc`).
    Zeroed,
    /// A block that `realloc` grows into a new large object (a small block
    /// past the classes, or a large one it could not grow in place): it
    /// may well grow on into the rest of a reused mapping, so that stays
    /// resident.
    Growing,
}

/// Purges what may be resident of a free mapping at `base` past its first
/// `keep` bytes, `resident` being the length of its resident prefix;
/// whether none of it is resident now (false only if the OS refused).
fn purge_past(base: *mut u8, keep: usize, resident: usize) -> bool {
    let dirty = resident.saturating_sub(keep);
    // SAFETY: the pages past `keep` in the free mapping hold nothing.
    dirty == 0 || unsafe { crate::stats::purge_counted(base.wrapping_add(keep), dirty, dirty) }
}

/// Maps a large object of `size` bytes aligned to `align` (a power of
/// two), for `request`. Null when the OS refuses or the sizes overflow.
/// Objects aligned to at most 64 bytes start at a varying cache-line
/// offset into their first page (see [`color`]).
pub(crate) fn alloc(size: usize, align: usize, heap: *mut Heap, request: Request) -> *mut u8 {
    let page = os::page_size();
    let align = align.max(MIN_ALIGN);
    let (offset, map_align, header_off) = if align <= COLOR_STEP {
        (page + color(page), SEGMENT_SIZE, 0)
    } else if align <= SEGMENT_SIZE {
        (align.max(page), SEGMENT_SIZE, 0)
    } else {
        (align, align, align - SEGMENT_SIZE)
    };
    let Some(len) = page_round(size, offset, page) else {
        return null_mut();
    };
    let mut reused = None;
    if header_off == 0 {
        LOCK.lock();
        reused = large_cache::take_locked(len);
        LOCK.unlock();
    }
    // Bytes at the end of the mapping left outside the object.
    let mut slack = 0;
    let (base, len) = match reused {
        Some((base, cached_len, resident)) => {
            if request != Request::Growing
                && crate::config::decay() != crate::config::Decay::Never
                && cached_len - len >= REUSE_TAIL_PURGE
                && purge_past(base, len, resident)
            {
                slack = cached_len - len;
            }
            if request == Request::Zeroed {
                // SAFETY: the cached mapping is ours and free.
                unsafe { core::ptr::write_bytes(base.add(offset), 0, size) };
            }
            (base, cached_len)
        }
        None => {
            let base = os::map_aligned(len, map_align);
            // Only a mapping we got costs fresh pages.
            if !base.is_null() {
                COUNTERS.owe(len);
            }
            (base, len)
        }
    };
    if base.is_null() {
        return base;
    }
    // SAFETY: base..base+len is a fresh or cached mapping; the header page
    // is ours.
    unsafe {
        let h = base.add(header_off) as *mut LargeHeader;
        h.write(LargeHeader {
            kind: KIND_LARGE,
            map_base: base,
            map_len: len,
            // Purged, or never touched: none of it is resident.
            slack,
            slack_resident: 0,
            heap,
            next: null_mut(),
            prev: null_mut(),
        });
        LOCK.lock();
        COUNTERS.slack.fetch_add(slack, Relaxed);
        let top = LIST.0.get();
        (*h).next = top;
        if !top.is_null() {
            (*top).prev = h;
        }
        LIST.0.set(h);
        LOCK.unlock();
        registry::insert(h as usize, registry::LARGE);
        COUNTERS.large_mapped.fetch_add(len, Relaxed);
        COUNTERS.large_objects.fetch_add(1, Relaxed);
        base.add(offset)
    }
}

/// Unmaps the large object governed by `h`.
///
/// # Safety
/// `h` must be the header of a live large object, freed once.
pub(crate) unsafe fn free(h: *mut LargeHeader) {
    // SAFETY: guaranteed by the caller.
    unsafe {
        LOCK.lock();
        let (prev, next) = ((*h).prev, (*h).next);
        if prev.is_null() {
            LIST.0.set(next);
        } else {
            (*prev).next = next;
        }
        if !next.is_null() {
            (*next).prev = prev;
        }
        COUNTERS
            .slack_resident
            .fetch_sub((*h).slack_resident, Relaxed);
        COUNTERS.slack.fetch_sub((*h).slack, Relaxed);
        // What may be resident: the object's pages and the slack's first.
        let resident = (*h).extent() + (*h).slack_resident;
        LOCK.unlock();
        registry::remove(h as usize);
        let (base, len) = ((*h).map_base, (*h).map_len);
        COUNTERS.large_mapped.fetch_sub(len, Relaxed);
        COUNTERS.large_objects.fetch_sub(1, Relaxed);
        LOCK.lock();
        let kept = base == h as *mut u8 && large_cache::put_locked(base, len, resident);
        LOCK.unlock();
        if !kept {
            os::unmap(base, len);
        }
    }
}

/// Of a slack changed from `old` bytes (`resident` of them resident) to
/// `new`: the bytes resident. The resident ones are always the slack's
/// first: a purge takes the whole slack, and the bytes an object gives up
/// (counted resident: it may have used them) or takes back are at that
/// end.
fn resident_slack(old: usize, resident: usize, new: usize) -> usize {
    if new >= old {
        resident + (new - old)
    } else {
        resident.saturating_sub(old - new)
    }
}

/// Sets the length of `h`'s mapping and its slack, and counts what of the
/// slack is resident. Large lock held: snapshots, statistics and harvests
/// read headers under it.
///
/// # Safety
/// `h` is a live large header owned by the caller; the lock is held.
unsafe fn set_slack_locked(h: *mut LargeHeader, len: usize, slack: usize) {
    // SAFETY: see above.
    unsafe {
        let (old, resident) = ((*h).slack, (*h).slack_resident);
        let now = resident_slack(old, resident, slack);
        COUNTERS.slack_resident.fetch_sub(resident, Relaxed);
        COUNTERS.slack_resident.fetch_add(now, Relaxed);
        COUNTERS.slack.fetch_sub(old, Relaxed);
        COUNTERS.slack.fetch_add(slack, Relaxed);
        (*h).map_len = len;
        (*h).slack = slack;
        (*h).slack_resident = now;
    }
}

/// Sets the length of `h`'s mapping, which the object then fills: no
/// slack.
///
/// # Safety
/// `h` is a live large header owned by the caller.
unsafe fn set_extent(h: *mut LargeHeader, len: usize) {
    LOCK.lock();
    // SAFETY: see above; the lock is held.
    unsafe { set_slack_locked(h, len, 0) };
    LOCK.unlock();
}

/// Keeps the last `slack` bytes of `h`'s mapping as slack if its resident
/// bytes fit in the budget beside the others kept; false, with nothing
/// changed, if not. Under the lock, as a harvest may purge the slack
/// meanwhile.
///
/// # Safety
/// `h` is a live large header owned by the caller.
unsafe fn keep_slack(h: *mut LargeHeader, slack: usize) -> bool {
    if crate::config::decay() == crate::config::Decay::Immediate {
        return false;
    }
    LOCK.lock();
    // SAFETY: see above; the lock is held.
    let kept = unsafe {
        let resident = (*h).slack_resident;
        let now = resident_slack((*h).slack, resident, slack);
        let fits = COUNTERS.slack_resident.load(Relaxed) - resident + now <= SLACK_BUDGET;
        if fits {
            set_slack_locked(h, (*h).map_len, slack);
        }
        fits
    };
    LOCK.unlock();
    kept
}

/// Purges the resident slack of large objects (see [`realloc`]) until
/// about `max_bytes` are released; returns the bytes purged. The mappings
/// stay: a later regrowth faults in zero pages.
pub(crate) fn purge_slack(max_bytes: usize) -> usize {
    // Without this, a harvest already at its budget would walk the list.
    if max_bytes == 0 || COUNTERS.slack_resident.load(Relaxed) == 0 {
        return 0;
    }
    let mut purged = 0;
    for_each(|h| {
        if purged >= max_bytes {
            return;
        }
        // SAFETY: listed headers are live and the lock is held; the slack
        // lies outside the object, and its owner changes it only under
        // the lock.
        unsafe {
            let resident = (*h).slack_resident;
            if resident > 0
                && crate::stats::purge_counted(
                    (*h).map_base.add((*h).extent()),
                    (*h).slack,
                    resident,
                )
            {
                (*h).slack_resident = 0;
                COUNTERS.slack_resident.fetch_sub(resident, Relaxed);
                purged += resident;
            }
        }
    });
    purged
}

/// Resizes the large object at `p` (governed by `h`) to `size` bytes
/// without copying: shrinks in place, grows in place into its own
/// mapping or when the address space after it is free, or else moves its
/// pages with `mremap` to a new 4 MiB-aligned mapping. Returns the
/// object's new address, or null when the caller must copy (alignments
/// above 4 MiB, or the OS refused).
///
/// A shrink to less than half the mapping that frees a tail over 256 KiB
/// keeps that tail mapped as slack, outside the object, while all such
/// tails fit in 4 MiB; otherwise it unmaps it. A buffer built up, cut
/// down and built up again on every request (a Python list of a JSON
/// function's records) then regrows into resident pages instead of
/// faulting them in each time. A harvest purges the slack.
///
/// # Safety
/// `p` must be a live large object governed by `h`, owned by the caller.
pub(crate) unsafe fn realloc(h: *mut LargeHeader, p: *mut u8, size: usize) -> *mut u8 {
    let page = os::page_size();
    // SAFETY: guaranteed by the caller; the header is moved or resized only
    // under LOCK.
    unsafe {
        let (base, len) = ((*h).map_base, (*h).map_len);
        if base != h as *mut u8 {
            return null_mut(); // over-aligned: header not at the base
        }
        let offset = p as usize - base as usize;
        let Some(new_len) = page_round(size, offset, page) else {
            return null_mut();
        };
        if new_len <= len {
            // A tail of up to SHRINK_KEEP (or half the mapping) stays part
            // of the object: a buffer shrunk to fit and regrown every
            // request (a Rust `String` built, then `shrink_to_fit`) would
            // otherwise fault its pages in each time. A larger one becomes
            // slack, or goes.
            let tail = len - new_len;
            if new_len < len / 2 && tail > SHRINK_KEEP {
                if !keep_slack(h, tail) {
                    set_extent(h, new_len);
                    os::unmap(base.add(new_len), tail);
                    COUNTERS.large_mapped.fetch_sub(tail, Relaxed);
                }
            } else if (*h).slack != 0 {
                // Grown into its slack, the object takes it all back.
                set_extent(h, len);
            }
            return p;
        }
        if os::remap_in_place(base, len, new_len) {
            set_extent(h, new_len);
            COUNTERS.large_mapped.fetch_add(new_len - len, Relaxed);
            return p;
        }
        let dst = os::map_aligned(new_len, SEGMENT_SIZE);
        if dst.is_null() {
            return null_mut();
        }
        LOCK.lock();
        // Forget the old chunk before mremap frees it: another thread may map
        // there and register it at once.
        registry::remove(h as usize);
        if !os::remap_to(base, len, new_len, dst) {
            registry::insert(h as usize, registry::LARGE);
            LOCK.unlock();
            os::unmap(dst, new_len);
            return null_mut();
        }
        #[cfg(test)]
        tests::after_move(base as usize);
        // The header moved with its page: fix it, its neighbours and the
        // registry before anyone can look.
        let nh = dst as *mut LargeHeader;
        (*nh).map_base = dst;
        set_slack_locked(nh, new_len, 0);
        if (*nh).prev.is_null() {
            LIST.0.set(nh);
        } else {
            (*(*nh).prev).next = nh;
        }
        if !(*nh).next.is_null() {
            (*(*nh).next).prev = nh;
        }
        registry::insert(nh as usize, registry::LARGE);
        LOCK.unlock();
        COUNTERS.large_mapped.fetch_add(new_len - len, Relaxed);
        dst.add(offset)
    }
}

/// Bytes usable from `p` to the end of its large object.
///
/// # Safety
/// `h` must be the header of the live large object holding `p`.
pub(crate) unsafe fn usable_from(h: *mut LargeHeader, p: *mut u8) -> usize {
    // SAFETY: guaranteed by the caller; only the caller (the owner) writes
    // the slack.
    unsafe { (*h).map_base as usize + (*h).extent() - p as usize }
}

/// Unmaps the cached free large mappings (all of them if `force`, else the
/// expired ones); returns the bytes unmapped.
pub(crate) fn trim_cache(force: bool) -> usize {
    LOCK.lock();
    let n = large_cache::trim_locked(force, os::now_ms());
    LOCK.unlock();
    n
}

/// Unmaps cached free large mappings, oldest first, until about `bytes`
/// are released (see [`crate::reclaim`]); returns the bytes.
pub(crate) fn evict_cached(bytes: usize) -> usize {
    LOCK.lock();
    let n = large_cache::evict_locked(bytes);
    LOCK.unlock();
    n
}

/// Calls `f` on every live large object, large lock held.
pub(crate) fn for_each(mut f: impl FnMut(*mut LargeHeader)) {
    LOCK.lock();
    let mut h = LIST.0.get();
    while !h.is_null() {
        // SAFETY: listed headers are live; the lock is held.
        let next = unsafe { (*h).next };
        f(h);
        h = next;
    }
    LOCK.unlock();
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::sync::atomic::AtomicBool;

    static MAP_OLD_CHUNK: AtomicBool = AtomicBool::new(false);

    /// Stands for another thread mapping and registering the chunk a
    /// moving realloc has just vacated.
    pub(super) fn after_move(old: usize) {
        if MAP_OLD_CHUNK.swap(false, Relaxed) {
            registry::insert(old, registry::LARGE);
        }
    }

    #[test]
    #[cfg_attr(miri, ignore = "maps and remaps memory")]
    fn a_chunk_reused_during_a_moving_realloc_stays_registered() {
        let p = alloc(1 << 20, MIN_ALIGN, null_mut(), Request::Fresh);
        let h = p as usize & !(SEGMENT_SIZE - 1);
        // SAFETY: h is the header of the live object p.
        let end = h + unsafe { (*(h as *mut LargeHeader)).map_len };
        // Occupy the page after the mapping so growth must move.
        // SAFETY: MAP_FIXED_NOREPLACE never replaces a mapping.
        let blocker = unsafe {
            libc::mmap(
                end as *mut libc::c_void,
                4096,
                libc::PROT_READ,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED_NOREPLACE,
                -1,
                0,
            )
        };
        MAP_OLD_CHUNK.store(true, Relaxed);
        // SAFETY: p is live and governed by h.
        let q = unsafe { realloc(h as *mut LargeHeader, p, 3 << 20) };
        assert!(!q.is_null());
        assert_ne!(q as usize & !(SEGMENT_SIZE - 1), h, "moved");
        assert_eq!(
            registry::header_of((h + 100) as *mut u8) as usize,
            h,
            "the new owner of the old chunk is still registered"
        );
        registry::remove(h);
        // SAFETY: q is live; the blocker is ours.
        unsafe {
            free(registry::header_of(q) as *mut LargeHeader);
            if blocker as usize == end {
                libc::munmap(blocker, 4096);
            }
        }
    }
}
