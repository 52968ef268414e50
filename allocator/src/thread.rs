//! Reaching the calling thread's heap, and the process-wide hooks that
//! follow threads: the exit destructor and the `fork` handlers.
//!
//! On x86-64 Linux the heap pointer is an initial-exec TLS variable defined
//! in assembly, so reaching it is one `fs:` load with no call into the
//! loader, even inside the `LD_PRELOAD` library (Rust's own `thread_local!`
//! would use the general-dynamic model there, which calls
//! `__tls_get_addr` and may allocate). It starts at the static empty heap.

use core::sync::atomic::{AtomicU8, Ordering::Acquire, Ordering::Release};

use crate::heap::{self, empty_heap};
use crate::types::Heap;

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod tls {
    use crate::types::Heap;

    core::arch::global_asm!(
        ".pushsection .tdata,\"awT\",@progbits",
        ".p2align 3",
        ".globl memento_alloc_tls_heap",
        ".hidden memento_alloc_tls_heap",
        ".type memento_alloc_tls_heap, @object",
        ".size memento_alloc_tls_heap, 8",
        "memento_alloc_tls_heap:",
        ".quad {empty}",
        ".popsection",
        empty = sym crate::heap::EMPTY_HEAP,
    );

    /// The calling thread's heap.
    #[inline(always)]
    pub(crate) fn get() -> *mut Heap {
        let h: *mut Heap;
        // SAFETY: reads the 8-byte TLS slot defined above through the
        // initial-exec sequence; no other memory is touched.
        unsafe {
            core::arch::asm!(
                "mov {h}, qword ptr [rip + memento_alloc_tls_heap@GOTTPOFF]",
                "mov {h}, qword ptr fs:[{h}]",
                h = out(reg) h,
                options(nostack, readonly, preserves_flags),
            );
        }
        h
    }

    /// Sets the calling thread's heap.
    #[inline]
    pub(crate) fn set(h: *mut Heap) {
        // SAFETY: writes the 8-byte TLS slot defined above.
        unsafe {
            core::arch::asm!(
                "mov {t}, qword ptr [rip + memento_alloc_tls_heap@GOTTPOFF]",
                "mov qword ptr fs:[{t}], {h}",
                t = out(reg) _,
                h = in(reg) h,
                options(nostack, preserves_flags),
            );
        }
    }
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
mod tls {
    use crate::types::Heap;
    use core::cell::Cell;

    std::thread_local! {
        static HEAP: Cell<*mut Heap> = const { Cell::new(core::ptr::null_mut()) };
    }

    /// The calling thread's heap.
    #[inline(always)]
    pub(crate) fn get() -> *mut Heap {
        let h = HEAP.with(|h| h.get());
        if h.is_null() {
            crate::heap::empty_heap()
        } else {
            h
        }
    }

    /// Sets the calling thread's heap.
    pub(crate) fn set(h: *mut Heap) {
        HEAP.with(|c| c.set(h));
    }
}

/// The calling thread's heap (the empty heap before its first allocation).
#[inline(always)]
pub(crate) fn current_heap() -> *mut Heap {
    tls::get()
}

/// The calling thread's heap, set up if it is still the empty heap (for
/// paths that record an owner, such as large objects). May be the empty
/// heap if the OS refuses memory.
pub(crate) fn owning_heap() -> *mut Heap {
    let h = tls::get();
    // SAFETY: h is a valid heap (the empty heap is a static).
    if unsafe { (*h).is_empty } {
        let n = init_heap();
        if !n.is_null() {
            return n;
        }
    }
    h
}

const UNINIT: u8 = 0;
const RUNNING: u8 = 1;
const DONE: u8 = 2;
static INIT: AtomicU8 = AtomicU8::new(UNINIT);
static mut KEY: crate::os::ThreadKey = 0;

/// Gives the calling thread a real heap. Null when out of memory.
///
/// The heap is installed before anything that may allocate (the pthread
/// key, the fork handlers), so re-entrant calls from those find it.
pub(crate) fn init_heap() -> *mut Heap {
    let h = heap::obtain();
    if h.is_null() {
        return h;
    }
    // SAFETY: h came off the abandoned stack or is new: nobody else owns it.
    unsafe {
        (*h).owner.store(
            crate::os::thread_id(),
            core::sync::atomic::Ordering::Relaxed,
        );
        (*h).attached.store(true, Release);
    }
    tls::set(h);
    init_process();
    // SAFETY: KEY was created by init_process, which has completed.
    unsafe { crate::os::thread_key_set(KEY, h as *const core::ffi::c_void) };
    h
}

/// Once per process: environment, thread-exit key and fork handlers.
fn init_process() {
    if INIT.load(Acquire) == DONE {
        return;
    }
    if INIT
        .compare_exchange(
            UNINIT,
            RUNNING,
            Acquire,
            core::sync::atomic::Ordering::Relaxed,
        )
        .is_ok()
    {
        crate::config::load_env();
        match crate::os::thread_key_create(thread_exit) {
            // SAFETY: KEY is written once, here, before INIT becomes DONE.
            Some(key) => unsafe { KEY = key },
            None => crate::os::fatal(b"cannot create the thread-exit key"),
        }
        crate::os::at_fork(fork_prepare, fork_parent, fork_child);
        INIT.store(DONE, Release);
    } else {
        while INIT.load(Acquire) != DONE {
            crate::os::yield_now();
        }
    }
}

/// pthread key destructor: the thread is exiting.
extern "C" fn thread_exit(value: *mut core::ffi::c_void) {
    let h = value as *mut Heap;
    if h.is_null() || h == empty_heap() {
        return;
    }
    // Later allocations of this thread (other destructors) start afresh.
    tls::set(empty_heap());
    // SAFETY: h was this thread's heap and is no longer reachable from it.
    unsafe { heap::abandon(h) };
}

extern "C" fn fork_prepare() {
    heap::HEAPS_LOCK.lock();
    crate::pool::LOCK.lock();
    crate::large::LOCK.lock();
}

extern "C" fn fork_parent() {
    crate::large::LOCK.unlock();
    crate::pool::LOCK.unlock();
    heap::HEAPS_LOCK.unlock();
}

extern "C" fn fork_child() {
    crate::large::LOCK.force_unlock();
    crate::pool::LOCK.force_unlock();
    heap::HEAPS_LOCK.force_unlock();
    let me = tls::get();
    // SAFETY: the child has a single thread, this one.
    unsafe {
        if !(*me).is_empty {
            (*me).owner.store(
                crate::os::thread_id(),
                core::sync::atomic::Ordering::Relaxed,
            );
        }
        heap::abandon_foreign_after_fork(me);
    }
}
