//! Every call into the operating system, in one place.
//!
//! Contract: all functions here are async-signal-tolerant and never
//! allocate, so they can run inside `malloc`, in a `fork` child, during
//! loader start-up and at thread exit. Failures are reported as null / `false`;
//! nothing here panics.

use core::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// Maps `len` bytes of zeroed, private, anonymous memory. Null on failure.
pub(crate) fn map(len: usize) -> *mut u8 {
    // SAFETY: an anonymous private mapping at an address of the kernel's
    // choice cannot alias any existing Rust object.
    let p = unsafe {
        libc::mmap(
            core::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        core::ptr::null_mut()
    } else {
        crate::poison::addressable(p.cast(), len);
        p.cast()
    }
}

/// Maps `len` zeroed bytes starting at a multiple of `align` (a power of
/// two, at least the page size). Null on failure.
pub(crate) fn map_aligned(len: usize, align: usize) -> *mut u8 {
    let Some(over) = len.checked_add(align) else {
        return core::ptr::null_mut();
    };
    let raw = map(over);
    if raw.is_null() {
        return raw;
    }
    let base = raw as usize;
    let aligned = (base + align - 1) & !(align - 1);
    let head = aligned - base;
    let tail = over - head - len;
    // SAFETY: head and tail lie inside the mapping just made and are not
    // used by anyone.
    unsafe {
        if head > 0 {
            unmap(raw, head);
        }
        if tail > 0 {
            unmap((aligned + len) as *mut u8, tail);
        }
    }
    aligned as *mut u8
}

/// Unmaps `[p, p + len)`.
///
/// # Safety
/// The range must be a mapping (or part of one) made by [`map`] that no
/// live object uses.
pub(crate) unsafe fn unmap(p: *mut u8, len: usize) {
    crate::poison::addressable(p, len);
    // SAFETY: guaranteed by the caller.
    unsafe {
        libc::munmap(p.cast(), len);
    }
}

/// Grows or shrinks the mapping `[p, p + old)` to `new` bytes without
/// moving it. Returns whether the kernel could.
///
/// # Safety
/// `[p, p + old)` must be a whole mapping of ours.
pub(crate) unsafe fn remap_in_place(p: *mut u8, old: usize, new: usize) -> bool {
    // SAFETY: guaranteed by the caller; without MREMAP_MAYMOVE the mapping
    // stays where it is or the call fails.
    unsafe { libc::mremap(p.cast(), old, new, 0) == p.cast() }
}

/// Moves the pages of mapping `[p, p + old)` to `dst` (replacing the
/// mapping there) and resizes it to `new` bytes, without copying them.
/// Returns whether the kernel could; on failure nothing moved.
///
/// # Safety
/// `[p, p + old)` must be a whole mapping of ours and `[dst, dst + new)` a
/// mapping of ours that holds nothing.
pub(crate) unsafe fn remap_to(p: *mut u8, old: usize, new: usize, dst: *mut u8) -> bool {
    // SAFETY: guaranteed by the caller.
    unsafe {
        libc::mremap(
            p.cast(),
            old,
            new,
            libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED,
            dst as *mut libc::c_void,
        ) == dst.cast()
    }
}

/// Returns the physical pages of `[p, p + len)` to the OS; the range stays
/// mapped and reads back as zeroes. Returns whether the kernel accepted.
///
/// # Safety
/// The range must be mapped by us and hold no live object.
pub(crate) unsafe fn purge(p: *mut u8, len: usize) -> bool {
    // SAFETY: guaranteed by the caller; MADV_DONTNEED on a private
    // anonymous mapping only drops contents.
    unsafe { libc::madvise(p.cast(), len, libc::MADV_DONTNEED) == 0 }
}

static PAGE_SIZE: AtomicUsize = AtomicUsize::new(0);

/// The OS page size.
pub(crate) fn page_size() -> usize {
    let p = PAGE_SIZE.load(Relaxed);
    if p != 0 {
        return p;
    }
    // SAFETY: sysconf has no preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    let p = if p > 0 { p as usize } else { 4096 };
    PAGE_SIZE.store(p, Relaxed);
    p
}

/// Monotonic milliseconds (vDSO, no kernel entry on Linux).
pub(crate) fn now_ms() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: ts is a valid out-pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1000 + ts.tv_nsec as u64 / 1_000_000
}

/// An id of the calling thread.
pub(crate) fn thread_id() -> usize {
    // SAFETY: pthread_self has no preconditions.
    unsafe { libc::pthread_self() as usize }
}

/// Gives the CPU away while spinning on a lock.
pub(crate) fn yield_now() {
    // SAFETY: sched_yield has no preconditions.
    unsafe { libc::sched_yield() };
}

/// A key of thread-specific data (a pthread key).
pub(crate) type ThreadKey = libc::pthread_key_t;

/// Creates a thread-specific data key whose destructor `on_exit` runs with
/// a thread's value when that thread exits with a non-null value. None if
/// the OS refuses.
pub(crate) fn thread_key_create(
    on_exit: extern "C" fn(*mut core::ffi::c_void),
) -> Option<ThreadKey> {
    let mut key: ThreadKey = 0;
    // SAFETY: key is a valid out-pointer; on_exit is a plain C function.
    (unsafe { libc::pthread_key_create(&mut key, Some(on_exit)) } == 0).then_some(key)
}

/// Sets the calling thread's value of `key`.
///
/// # Safety
/// `key` must come from [`thread_key_create`].
pub(crate) unsafe fn thread_key_set(key: ThreadKey, value: *const core::ffi::c_void) {
    // SAFETY: guaranteed by the caller.
    unsafe { libc::pthread_setspecific(key, value) };
}

/// Registers the handlers `fork` runs: `prepare` in the parent before it,
/// `parent` in the parent after it, `child` in the child.
pub(crate) fn at_fork(prepare: extern "C" fn(), parent: extern "C" fn(), child: extern "C" fn()) {
    // SAFETY: the handlers are plain C functions that live forever.
    unsafe { libc::pthread_atfork(Some(prepare), Some(parent), Some(child)) };
}

/// Writes a message to standard error without allocating.
pub(crate) fn write_stderr(msg: &[u8]) {
    // SAFETY: msg is a valid buffer of its length.
    unsafe { libc::write(2, msg.as_ptr().cast(), msg.len()) };
}

/// Reports a fatal condition and aborts the process.
pub(crate) fn fatal(msg: &[u8]) -> ! {
    write_stderr(b"memento-alloc: ");
    write_stderr(msg);
    write_stderr(b"\n");
    // SAFETY: abort has no preconditions.
    unsafe { libc::abort() }
}

/// The value of environment variable `name` (NUL-terminated), if set.
pub(crate) fn getenv(name: &[u8]) -> Option<&'static [u8]> {
    debug_assert_eq!(name.last(), Some(&0));
    // SAFETY: name is NUL-terminated; getenv does not allocate and the
    // returned string lives as long as the environment is not modified.
    unsafe {
        let v = libc::getenv(name.as_ptr().cast());
        if v.is_null() {
            None
        } else {
            Some(core::ffi::CStr::from_ptr(v).to_bytes())
        }
    }
}
