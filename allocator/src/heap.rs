//! Thread heaps: the allocation paths, local and remote frees, and the
//! hand-over of a heap when its thread exits.

use core::ptr::{addr_of, null_mut};
use core::sync::atomic::Ordering::{Acquire, Relaxed, Release, SeqCst};
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize};

use crate::arena;
use crate::lock::SpinLock;
use crate::pool;
use crate::size_class::{class_size, NCLASSES};
use crate::types::*;

/// The arena with no blocks that every class of the empty heap points at.
pub(crate) static EMPTY_ARENA: Static<Arena> = Static(Arena::empty());

/// The heap of every thread before its first allocation: all its classes
/// point at [`EMPTY_ARENA`], so the fast path fails over to the slow path,
/// which gives the thread a real heap. No allocation is needed to reach it.
pub(crate) static EMPTY_HEAP: Static<Heap> = Static(Heap {
    current: core::cell::UnsafeCell::new([addr_of!(EMPTY_ARENA.0) as *mut Arena; NCLASSES]),
    queues: core::cell::UnsafeCell::new([null_mut(); NCLASSES]),
    notified: AtomicPtr::new(null_mut()),
    attached: AtomicBool::new(false),
    owner: AtomicUsize::new(0),
    all_next: AtomicPtr::new(null_mut()),
    abandoned_next: core::cell::Cell::new(null_mut()),
    is_empty: true,
});

/// Address of the empty heap.
pub(crate) fn empty_heap() -> *mut Heap {
    addr_of!(EMPTY_HEAP.0) as *mut Heap
}

fn empty_arena() -> *mut Arena {
    addr_of!(EMPTY_ARENA.0) as *mut Arena
}

/// Guards the abandoned stack and the creation of heaps.
pub(crate) static HEAPS_LOCK: SpinLock = SpinLock::new();
static ABANDONED: Static<core::cell::Cell<*mut Heap>> = Static(core::cell::Cell::new(null_mut()));
/// Every heap ever made (they are never freed).
pub(crate) static ALL_HEAPS: AtomicPtr<Heap> = AtomicPtr::new(null_mut());
static META_CHUNK: Static<core::cell::Cell<(*mut u8, usize)>> =
    Static(core::cell::Cell::new((null_mut(), 0)));

/// Takes an abandoned heap or makes a new one. Null when out of memory.
pub(crate) fn obtain() -> *mut Heap {
    HEAPS_LOCK.lock();
    // SAFETY: the abandoned stack and the metadata chunk are guarded by
    // HEAPS_LOCK, held here.
    let h = unsafe {
        let top = ABANDONED.0.get();
        if !top.is_null() {
            ABANDONED.0.set((*top).abandoned_next.get());
            top
        } else {
            new_heap_locked()
        }
    };
    HEAPS_LOCK.unlock();
    h
}

/// Carves a heap out of a metadata chunk. HEAPS_LOCK held.
unsafe fn new_heap_locked() -> *mut Heap {
    const CHUNK: usize = 64 * 1024;
    let size = core::mem::size_of::<Heap>().next_multiple_of(64);
    let (mut p, mut left) = META_CHUNK.0.get();
    if left < size {
        p = crate::os::map(CHUNK);
        if p.is_null() {
            return null_mut();
        }
        crate::stats::COUNTERS.meta_mapped.fetch_add(CHUNK, Relaxed);
        left = CHUNK;
    }
    let h = p as *mut Heap;
    // SAFETY: [p, p + size) is fresh zeroed metadata memory owned by us.
    unsafe {
        META_CHUNK.0.set((p.add(size), left - size));
        h.write(Heap {
            current: core::cell::UnsafeCell::new([empty_arena(); NCLASSES]),
            queues: core::cell::UnsafeCell::new([null_mut(); NCLASSES]),
            notified: AtomicPtr::new(null_mut()),
            attached: AtomicBool::new(false),
            owner: AtomicUsize::new(0),
            all_next: AtomicPtr::new(null_mut()),
            abandoned_next: core::cell::Cell::new(null_mut()),
            is_empty: false,
        });
        let mut head = ALL_HEAPS.load(Relaxed);
        loop {
            (*h).all_next.store(head, Relaxed);
            match ALL_HEAPS.compare_exchange_weak(head, h, Release, Relaxed) {
                Ok(_) => break,
                Err(x) => head = x,
            }
        }
    }
    h
}

#[inline]
unsafe fn current(h: *mut Heap) -> *mut [*mut Arena; NCLASSES] {
    // SAFETY: field projection of a valid heap.
    unsafe { (*h).current.get() }
}

#[inline]
unsafe fn queues(h: *mut Heap) -> *mut [*mut Arena; NCLASSES] {
    // SAFETY: field projection of a valid heap.
    unsafe { (*h).queues.get() }
}

/// Pops a free block of class `class` off the current arena of heap `h`:
/// the fast path. Null when that arena has none (then
/// [`crate::slow_path::alloc_small`]).
///
/// # Safety
/// `h` must be the calling thread's heap (possibly the empty heap).
#[inline(always)]
pub(crate) unsafe fn pop(h: *mut Heap, class: usize) -> *mut u8 {
    // SAFETY: class < NCLASSES by construction of class_of; the current
    // arena of the calling thread's heap is only touched by this thread.
    unsafe {
        let a = *(*current(h)).get_unchecked(class);
        let b = (*a).free.get();
        if !b.is_null() {
            (*a).free.set((*b).next);
            (*a).used.store((*a).used.load(Relaxed) + 1, Relaxed);
        }
        b.cast()
    }
}

/// Takes back notified arenas, finds an arena of `class` with room, or
/// gets a new one from the pool, and allocates from it. Null when out of
/// memory.
///
/// # Safety
/// `h` must be the calling thread's real heap.
pub(crate) unsafe fn alloc_from_arenas(h: *mut Heap, class: usize) -> *mut u8 {
    // SAFETY: h is the calling thread's heap; all arenas reached through it
    // are owned by it.
    unsafe {
        take_notified(h);
        let mut a = (*queues(h))[class];
        while !a.is_null() {
            let next = (*a).next.get();
            let b = arena::refill(&*a);
            if !b.is_null() {
                (*current(h))[class] = a;
                return b.cast();
            }
            if !mark_full(h, a) {
                // A remote free raced in; it is there to collect.
                let b = arena::refill(&*a);
                if !b.is_null() {
                    (*current(h))[class] = a;
                    return b.cast();
                }
            }
            a = next;
        }
        (*current(h))[class] = empty_arena();
        let a = pool::acquire(class, h);
        if a.is_null() {
            return null_mut();
        }
        link(h, a);
        (*current(h))[class] = a;
        arena::refill(&*a).cast()
    }
}

/// Links `a` at the front of its class list.
unsafe fn link(h: *mut Heap, a: *mut Arena) {
    // SAFETY: owner-only list of the calling thread's heap.
    unsafe {
        let q = &mut (*queues(h))[(*a).class.get() as usize];
        (*a).prev.set(null_mut());
        (*a).next.set(*q);
        if !q.is_null() {
            (**q).prev.set(a);
        }
        *q = a;
    }
}

/// Unlinks `a` from its class list.
unsafe fn unlink(h: *mut Heap, a: *mut Arena) {
    // SAFETY: owner-only list of the calling thread's heap; `a` is in it.
    unsafe {
        let class = (*a).class.get() as usize;
        let (prev, next) = ((*a).prev.get(), (*a).next.get());
        if prev.is_null() {
            (*queues(h))[class] = next;
        } else {
            (*prev).next.set(next);
        }
        if !next.is_null() {
            (*next).prev.set(prev);
        }
        (*a).next.set(null_mut());
        (*a).prev.set(null_mut());
        if (*current(h))[class] == a {
            (*current(h))[class] = empty_arena();
        }
    }
}

/// Marks `a` full and unlinks it, unless a remote free arrived meanwhile
/// (then it stays linked and `false` is returned).
unsafe fn mark_full(h: *mut Heap, a: *mut Arena) -> bool {
    // SAFETY: `a` is linked in the calling thread's heap.
    unsafe {
        let ar = &*a;
        // Pairs with the SeqCst push and state load in `free_remote`: either
        // we see its block or it sees FULL and notifies us.
        ar.state.store(FULL, SeqCst);
        if !ar.thread_free.is_empty(SeqCst)
            && ar
                .state
                .compare_exchange(FULL, AVAILABLE, SeqCst, Relaxed)
                .is_ok()
        {
            return false;
        }
        unlink(h, a);
        true
    }
}

/// Relinks the full arenas that other threads freed into.
pub(crate) unsafe fn take_notified(h: *mut Heap) {
    // SAFETY: the heap belongs to the calling thread; the Acquire swap makes
    // the notifiers' links visible.
    unsafe {
        if (*h).notified.load(Relaxed).is_null() {
            return;
        }
        let mut a = (*h).notified.swap(null_mut(), Acquire);
        while !a.is_null() {
            let next = (*a).notify_next.load(Relaxed);
            (*a).state.store(AVAILABLE, Relaxed);
            link(h, a);
            a = next;
        }
    }
}

/// Frees block `b` of arena `a`, owned by the calling thread's heap `h`.
///
/// # Safety
/// `b` must be a block in use of `a`, and `a` owned by `h`, the calling
/// thread's heap.
#[inline(always)]
pub(crate) unsafe fn free_local(h: *mut Heap, a: &Arena, b: *mut Block) {
    // SAFETY: forwarded from the caller.
    unsafe {
        (*b).next = a.free.get();
        a.free.set(b);
        let used = a.used.load(Relaxed) - 1;
        a.used.store(used, Relaxed);
        if used == 0 || a.state.load(Relaxed) != AVAILABLE {
            free_local_slow(h, a);
        }
    }
}

#[cold]
#[inline(never)]
unsafe fn free_local_slow(h: *mut Heap, a: &Arena) {
    let ap = a as *const Arena as *mut Arena;
    // SAFETY: `a` is owned by `h`, the calling thread's heap.
    unsafe {
        match a.state.load(Acquire) {
            FULL if a
                .state
                .compare_exchange(FULL, AVAILABLE, SeqCst, Relaxed)
                .is_ok() =>
            {
                link(h, ap);
            }
            AVAILABLE => {}
            // Notified (`take_notified` relinks it) or retired.
            _ => return,
        }
        let class = a.class.get() as usize;
        if a.used.load(Relaxed) == 0 && (*current(h))[class] != ap {
            unlink(h, ap);
            pool::release(a);
        }
    }
}

/// Frees block `b` of arena `a`, owned by another (maybe abandoned) heap.
///
/// # Safety
/// `b` must be a block in use of `a`.
pub(crate) unsafe fn free_remote(a: &Arena, b: *mut Block) {
    // SAFETY: b is a block of `a` in use until now (caller's contract).
    unsafe { a.thread_free.push(b) };
    if a.state.load(SeqCst) == FULL
        && a.state
            .compare_exchange(FULL, NOTIFIED, SeqCst, Relaxed)
            .is_ok()
    {
        // The arena cannot be retired while our block is uncollected, so
        // its heap stays put; heaps are never freed.
        let h = a.heap.load(Acquire);
        let ap = a as *const Arena as *mut Arena;
        // SAFETY: h is a live heap (heaps are never unmapped).
        unsafe {
            let mut top = (*h).notified.load(Relaxed);
            loop {
                a.notify_next.store(top, Relaxed);
                match (*h)
                    .notified
                    .compare_exchange_weak(top, ap, Release, Relaxed)
                {
                    Ok(_) => break,
                    Err(x) => top = x,
                }
            }
        }
    }
}

/// Purges the inner pages of free blocks of the classes of at least
/// [`arena::PURGEABLE_BLOCK`] in `h`, largest class first, until at least
/// `want` bytes went; returns the bytes released (counted as purged).
///
/// # Safety
/// `h` must be the calling thread's heap (possibly the empty heap).
pub(crate) unsafe fn purge_free_blocks(h: *mut Heap, want: usize) -> usize {
    let mut released = 0;
    // SAFETY: the arenas linked in the calling thread's heap are its own.
    unsafe {
        if (*h).is_empty {
            return 0;
        }
        for class in (0..NCLASSES).rev() {
            if class_size(class) < arena::PURGEABLE_BLOCK || released >= want {
                break;
            }
            let mut a = (*queues(h))[class];
            while !a.is_null() && released < want {
                released += arena::purge_free_blocks(&*a, want - released);
                a = (*a).next.get();
            }
        }
    }
    released
}

/// Gives the arenas of `h` left without live blocks (blocks freed by other
/// threads and not yet collected count as free) back to the pool, the
/// current ones too unless `keep_current`.
///
/// # Safety
/// `h` must be the calling thread's heap, or an abandoned heap with the
/// heaps lock held.
pub(crate) unsafe fn collect_idle(h: *mut Heap, keep_current: bool) {
    // SAFETY: forwarded from the caller.
    unsafe {
        take_notified(h);
        for class in 0..NCLASSES {
            let mut a = (*queues(h))[class];
            while !a.is_null() {
                let next = (*a).next.get();
                // Every block out came back through the remote list: the
                // arena is empty. Otherwise its remote frees stay pending
                // for the owner's next refill (collecting them here walked
                // each list, a cache miss per block, at every thread exit).
                let pending = (*a).thread_free.pending();
                if (*a).used.load(Relaxed) == pending
                    && !(keep_current && (*current(h))[class] == a)
                {
                    unlink(h, a);
                    pool::release(&*a);
                }
                a = next;
            }
        }
    }
}

/// Hands `h` over when its thread exits: empty arenas go back to the pool,
/// the rest stay with the heap, which waits on the abandoned stack for the
/// next new thread. Frees into it meanwhile are remote frees.
///
/// # Safety
/// `h` must be the calling thread's heap and no longer reachable from it.
pub(crate) unsafe fn abandon(h: *mut Heap) {
    // SAFETY: forwarded from the caller.
    unsafe {
        collect_idle(h, false);
        for c in (*current(h)).iter_mut() {
            *c = empty_arena();
        }
        (*h).owner.store(0, Relaxed);
        (*h).attached.store(false, Release);
        HEAPS_LOCK.lock();
        (*h).abandoned_next.set(ABANDONED.0.get());
        ABANDONED.0.set(h);
        HEAPS_LOCK.unlock();
    }
}

/// Empties the lists of `h` and points every class at the empty arena
/// (snapshot restore relinks the captured arenas after).
///
/// # Safety
/// `h` must be the calling thread's heap.
pub(crate) unsafe fn reset_lists(h: *mut Heap) {
    // SAFETY: forwarded from the caller.
    unsafe {
        (*h).notified.store(null_mut(), Relaxed);
        for c in (*current(h)).iter_mut() {
            *c = empty_arena();
        }
        for q in (*queues(h)).iter_mut() {
            *q = null_mut();
        }
    }
}

/// Links a restored arena into `h`.
///
/// # Safety
/// `h` must be the calling thread's heap and `a` an unlinked arena of it.
pub(crate) unsafe fn link_restored(h: *mut Heap, a: *mut Arena) {
    // SAFETY: forwarded from the caller.
    unsafe { link(h, a) }
}

/// Collects the abandoned heaps (harvest). Takes the heaps lock.
pub(crate) fn collect_abandoned() {
    HEAPS_LOCK.lock();
    // SAFETY: abandoned heaps are touched only with HEAPS_LOCK held.
    unsafe {
        let mut h = ABANDONED.0.get();
        while !h.is_null() {
            collect_idle(h, false);
            h = (*h).abandoned_next.get();
        }
    }
    HEAPS_LOCK.unlock();
}

/// In a `fork` child: every heap still attached to another thread of the
/// parent becomes abandoned, so its memory can be reused.
///
/// # Safety
/// Only from the `fork` child handler, with no other thread running.
pub(crate) unsafe fn abandon_foreign_after_fork(me: *mut Heap) {
    // SAFETY: single-threaded child; heaps are never freed.
    unsafe {
        let mut h = ALL_HEAPS.load(Acquire);
        while !h.is_null() {
            if h != me && (*h).attached.load(Relaxed) {
                for c in (*current(h)).iter_mut() {
                    *c = empty_arena();
                }
                (*h).attached.store(false, Relaxed);
                (*h).abandoned_next.set(ABANDONED.0.get());
                ABANDONED.0.set(h);
            }
            h = (*h).all_next.load(Relaxed);
        }
    }
}
