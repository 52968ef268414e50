//! Face two: `memento-alloc` as the process's malloc, for `LD_PRELOAD`.
//!
//! ```sh
//! LD_PRELOAD=target/preload/libmemento_alloc_preload.so PYTHONMALLOC=malloc python3 app.py
//! ```
//!
//! Exports the malloc family (`malloc`, `free`, `calloc`, `realloc`,
//! `reallocarray`, `posix_memalign`, `aligned_alloc`, `memalign`, `valloc`,
//! `pvalloc`, `malloc_usable_size`), glibc's `__libc_*` aliases, the C++
//! `operator new` / `operator delete` family, `malloc_trim` (a harvest),
//! and the platform hook `memento_harvest`.
//!
//! Start-up, threads and fork are handled by `memento-alloc` itself: the
//! heap pointer is an initial-exec TLS slot that starts at a static empty
//! heap (no allocation, no loader call), thread exit hands the heap over
//! through a pthread key destructor, and `pthread_atfork` handlers keep the
//! locks consistent and hand the parent's other threads' heaps to the
//! child. Pointers this library did not allocate are ignored by `free`
//! and reported as 0 bytes by `malloc_usable_size`.
//!
//! `operator new` cannot throw a C++ exception from Rust: when memory runs
//! out it reports and aborts, as if the new-handler did.

// Built with `--profile preload` (panic = "abort") the library is `no_std`:
// no unwinder, no libgcc_s, and only the allocator's own code to map,
// which keeps what it adds to a process's resident set small. Built by the
// workspace's other profiles (check, clippy, plain `cargo build`) it keeps
// std, which those need to compile it with unwinding panics.
#![cfg_attr(panic = "abort", no_std)]
#![cfg_attr(feature = "asan", feature(sanitize))]
#![allow(clippy::missing_safety_doc)]
#![warn(missing_docs)]
#![warn(clippy::undocumented_unsafe_blocks)]

use core::ffi::c_void;
use memento_alloc as m;

#[cfg(feature = "asan")]
mod asan_boot;

/// Rust's own allocations in this library (none on the malloc paths; a
/// [`memento_alloc::Snapshot`]'s tables) come from the allocator itself.
#[cfg(panic = "abort")]
#[global_allocator]
static RUST_ALLOCATOR: m::Memento = m::Memento;

/// A panic here is a bug in the allocator: say so and abort, as std would
/// with `panic = "abort"`.
#[cfg(panic = "abort")]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    write_line(format_args!("memento-alloc: {info}"));
    // SAFETY: abort has no preconditions.
    unsafe { libc::abort() }
}

/// The precompiled `core` and `alloc` carry unwind tables that name Rust's
/// personality routine; with `panic = "abort"` nothing ever unwinds
/// through this library (it calls back into no foreign code), so the
/// unwinder never calls it. Defined so the library loads without std.
#[cfg(panic = "abort")]
#[no_mangle]
pub extern "C" fn rust_eh_personality() {
    // SAFETY: abort has no preconditions.
    unsafe { libc::abort() }
}

fn set_errno(e: i32) {
    // SAFETY: __errno_location returns the calling thread's errno slot.
    unsafe { *libc::__errno_location() = e };
}

#[inline]
fn oom_null(p: *mut u8) -> *mut c_void {
    if p.is_null() {
        set_errno(libc::ENOMEM);
    }
    p.cast()
}

fn page() -> usize {
    // SAFETY: sysconf has no preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if p > 0 {
        p as usize
    } else {
        4096
    }
}

/// C `malloc`.
#[no_mangle]
#[cfg_attr(feature = "asan", sanitize(address = "off"))]
pub extern "C" fn malloc(size: usize) -> *mut c_void {
    #[cfg(feature = "asan")]
    if !asan_boot::ready() {
        return asan_boot::alloc(size);
    }
    oom_null(m::malloc(size))
}

/// C `free`.
#[no_mangle]
#[cfg_attr(feature = "asan", sanitize(address = "off"))]
pub unsafe extern "C" fn free(p: *mut c_void) {
    #[cfg(feature = "asan")]
    if !asan_boot::ready() || asan_boot::owns(p) {
        return;
    }
    // SAFETY: the C contract of free.
    unsafe { m::free(p.cast()) }
}

/// C `calloc`.
#[no_mangle]
#[cfg_attr(feature = "asan", sanitize(address = "off"))]
pub extern "C" fn calloc(n: usize, size: usize) -> *mut c_void {
    #[cfg(feature = "asan")]
    if !asan_boot::ready() {
        return n
            .checked_mul(size)
            .map_or(core::ptr::null_mut(), asan_boot::alloc);
    }
    oom_null(m::calloc(n, size))
}

/// C `realloc` (glibc semantics: `realloc(p, 0)` frees and returns null).
#[no_mangle]
#[cfg_attr(feature = "asan", sanitize(address = "off"))]
pub unsafe extern "C" fn realloc(p: *mut c_void, size: usize) -> *mut c_void {
    #[cfg(feature = "asan")]
    if !asan_boot::ready() || asan_boot::owns(p) {
        return asan_boot::realloc(
            if asan_boot::owns(p) {
                p
            } else {
                core::ptr::null_mut()
            },
            size,
        );
    }
    // SAFETY: the C contract of realloc.
    let q = unsafe { m::realloc(p.cast(), size) };
    if q.is_null() && size != 0 {
        set_errno(libc::ENOMEM);
    }
    q.cast()
}

/// C `reallocarray`.
#[no_mangle]
pub unsafe extern "C" fn reallocarray(p: *mut c_void, n: usize, size: usize) -> *mut c_void {
    match n.checked_mul(size) {
        // SAFETY: the C contract of realloc.
        Some(total) => unsafe { realloc(p, total) },
        None => {
            set_errno(libc::ENOMEM);
            core::ptr::null_mut()
        }
    }
}

/// C `posix_memalign`.
#[no_mangle]
pub unsafe extern "C" fn posix_memalign(out: *mut *mut c_void, align: usize, size: usize) -> i32 {
    if !align.is_power_of_two() || align % core::mem::size_of::<usize>() != 0 {
        return libc::EINVAL;
    }
    let p = m::aligned_alloc(align, size);
    if p.is_null() {
        return libc::ENOMEM;
    }
    // SAFETY: out is a valid out-pointer by the C contract.
    unsafe { *out = p.cast() };
    0
}

/// C11 `aligned_alloc` (glibc semantics: any size, power-of-two alignment).
#[no_mangle]
pub extern "C" fn aligned_alloc(align: usize, size: usize) -> *mut c_void {
    if !align.is_power_of_two() {
        set_errno(libc::EINVAL);
        return core::ptr::null_mut();
    }
    oom_null(m::aligned_alloc(align, size))
}

/// `memalign`: as glibc, a non-power-of-two alignment is rounded up.
#[no_mangle]
pub extern "C" fn memalign(align: usize, size: usize) -> *mut c_void {
    let Some(align) = align.max(1).checked_next_power_of_two() else {
        set_errno(libc::EINVAL);
        return core::ptr::null_mut();
    };
    oom_null(m::aligned_alloc(align, size))
}

/// `valloc`: page-aligned.
#[no_mangle]
pub extern "C" fn valloc(size: usize) -> *mut c_void {
    oom_null(m::aligned_alloc(page(), size))
}

/// `pvalloc`: page-aligned, size rounded up to whole pages (at least one).
#[no_mangle]
pub extern "C" fn pvalloc(size: usize) -> *mut c_void {
    let p = page();
    let Some(rounded) = size.max(1).checked_add(p - 1) else {
        set_errno(libc::ENOMEM);
        return core::ptr::null_mut();
    };
    oom_null(m::aligned_alloc(p, rounded & !(p - 1)))
}

/// `malloc_usable_size`; 0 for null and foreign pointers.
#[no_mangle]
pub unsafe extern "C" fn malloc_usable_size(p: *mut c_void) -> usize {
    // SAFETY: the C contract of malloc_usable_size.
    unsafe { m::usable_size(p.cast()) }
}

/// `malloc_trim`: harvests all idle memory; 1 if any was released.
#[no_mangle]
pub extern "C" fn malloc_trim(_pad: usize) -> i32 {
    i32::from(m::harvest(usize::MAX) > 0)
}

/// Platform hook: returns idle memory to the OS, at most about `max_bytes`;
/// returns the bytes released. See `memento_alloc::harvest`.
#[no_mangle]
pub extern "C" fn memento_harvest(max_bytes: usize) -> usize {
    m::harvest(max_bytes)
}

// glibc's internal names, used by some programs and by glibc itself.

/// Alias of [`malloc`].
#[no_mangle]
pub extern "C" fn __libc_malloc(size: usize) -> *mut c_void {
    malloc(size)
}
/// Alias of [`free`].
#[no_mangle]
pub unsafe extern "C" fn __libc_free(p: *mut c_void) {
    // SAFETY: as free.
    unsafe { free(p) }
}
/// Alias of [`calloc`].
#[no_mangle]
pub extern "C" fn __libc_calloc(n: usize, size: usize) -> *mut c_void {
    calloc(n, size)
}
/// Alias of [`realloc`].
#[no_mangle]
pub unsafe extern "C" fn __libc_realloc(p: *mut c_void, size: usize) -> *mut c_void {
    // SAFETY: as realloc.
    unsafe { realloc(p, size) }
}
/// Alias of [`memalign`].
#[no_mangle]
pub extern "C" fn __libc_memalign(align: usize, size: usize) -> *mut c_void {
    memalign(align, size)
}
/// Alias of [`valloc`].
#[no_mangle]
pub extern "C" fn __libc_valloc(size: usize) -> *mut c_void {
    valloc(size)
}
/// Alias of [`pvalloc`].
#[no_mangle]
pub extern "C" fn __libc_pvalloc(size: usize) -> *mut c_void {
    pvalloc(size)
}
/// Alias of [`posix_memalign`].
#[no_mangle]
pub unsafe extern "C" fn __posix_memalign(out: *mut *mut c_void, align: usize, size: usize) -> i32 {
    // SAFETY: as posix_memalign.
    unsafe { posix_memalign(out, align, size) }
}
/// Alias of [`malloc_usable_size`].
#[no_mangle]
pub unsafe extern "C" fn __malloc_usable_size(p: *mut c_void) -> usize {
    // SAFETY: as malloc_usable_size.
    unsafe { malloc_usable_size(p) }
}

// C++ operator new / delete (Itanium mangling). Sizes and alignments given
// to the sized / aligned deletes are not needed: blocks know their class.

fn new_or_abort(p: *mut u8) -> *mut c_void {
    if p.is_null() {
        let msg = b"memento-alloc: operator new: out of memory\n";
        // SAFETY: msg is a valid buffer; abort has no preconditions.
        unsafe {
            libc::write(2, msg.as_ptr().cast(), msg.len());
            libc::abort();
        }
    }
    p.cast()
}

/// `operator new(size_t)`.
#[no_mangle]
pub extern "C" fn _Znwm(size: usize) -> *mut c_void {
    new_or_abort(m::malloc(size))
}
/// `operator new[](size_t)`.
#[no_mangle]
pub extern "C" fn _Znam(size: usize) -> *mut c_void {
    new_or_abort(m::malloc(size))
}
/// `operator new(size_t, const std::nothrow_t&)`.
#[no_mangle]
pub extern "C" fn _ZnwmRKSt9nothrow_t(size: usize, _nt: *const c_void) -> *mut c_void {
    m::malloc(size).cast()
}
/// `operator new[](size_t, const std::nothrow_t&)`.
#[no_mangle]
pub extern "C" fn _ZnamRKSt9nothrow_t(size: usize, _nt: *const c_void) -> *mut c_void {
    m::malloc(size).cast()
}
/// `operator new(size_t, std::align_val_t)`.
#[no_mangle]
pub extern "C" fn _ZnwmSt11align_val_t(size: usize, align: usize) -> *mut c_void {
    new_or_abort(m::aligned_alloc(align, size))
}
/// `operator new[](size_t, std::align_val_t)`.
#[no_mangle]
pub extern "C" fn _ZnamSt11align_val_t(size: usize, align: usize) -> *mut c_void {
    new_or_abort(m::aligned_alloc(align, size))
}
/// `operator new(size_t, std::align_val_t, const std::nothrow_t&)`.
#[no_mangle]
pub extern "C" fn _ZnwmSt11align_val_tRKSt9nothrow_t(
    size: usize,
    align: usize,
    _nt: *const c_void,
) -> *mut c_void {
    m::aligned_alloc(align, size).cast()
}
/// `operator new[](size_t, std::align_val_t, const std::nothrow_t&)`.
#[no_mangle]
pub extern "C" fn _ZnamSt11align_val_tRKSt9nothrow_t(
    size: usize,
    align: usize,
    _nt: *const c_void,
) -> *mut c_void {
    m::aligned_alloc(align, size).cast()
}

macro_rules! deletes {
    ($($name:ident ( $($arg:ident : $t:ty),* ) = $doc:literal;)*) => {$(
        #[doc = $doc]
        #[no_mangle]
        pub unsafe extern "C" fn $name(p: *mut c_void $(, $arg: $t)*) {
            $(let _ = $arg;)*
            // SAFETY: the C++ contract of operator delete.
            unsafe { m::free(p.cast()) }
        }
    )*};
}

deletes! {
    _ZdlPv() = "`operator delete(void*)`.";
    _ZdaPv() = "`operator delete[](void*)`.";
    _ZdlPvm(size: usize) = "`operator delete(void*, size_t)`.";
    _ZdaPvm(size: usize) = "`operator delete[](void*, size_t)`.";
    _ZdlPvRKSt9nothrow_t(nt: *const c_void) = "`operator delete(void*, const std::nothrow_t&)`.";
    _ZdaPvRKSt9nothrow_t(nt: *const c_void) = "`operator delete[](void*, const std::nothrow_t&)`.";
    _ZdlPvSt11align_val_t(align: usize) = "`operator delete(void*, std::align_val_t)`.";
    _ZdaPvSt11align_val_t(align: usize) = "`operator delete[](void*, std::align_val_t)`.";
    _ZdlPvmSt11align_val_t(size: usize, align: usize) = "`operator delete(void*, size_t, std::align_val_t)`.";
    _ZdaPvmSt11align_val_t(size: usize, align: usize) = "`operator delete[](void*, size_t, std::align_val_t)`.";
    _ZdlPvSt11align_val_tRKSt9nothrow_t(align: usize, nt: *const c_void) = "`operator delete(void*, std::align_val_t, const std::nothrow_t&)`.";
    _ZdaPvSt11align_val_tRKSt9nothrow_t(align: usize, nt: *const c_void) = "`operator delete[](void*, std::align_val_t, const std::nothrow_t&)`.";
}

/// A fixed buffer for formatting without allocating.
struct StackBuf {
    buf: [u8; 512],
    len: usize,
}

impl core::fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let n = s.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

/// At exit, with `MEMENTO_STATS` set, prints the allocator's statistics to
/// standard error (see [`malloc_stats`]).
extern "C" fn print_stats_at_exit() {
    // SAFETY: the name is NUL-terminated.
    if unsafe { libc::getenv(c"MEMENTO_STATS".as_ptr()) }.is_null() {
        return;
    }
    malloc_stats();
}

/// glibc's `malloc_stats`: prints the allocator's statistics, in total and
/// per size class, to standard error (formatted on the stack: nothing is
/// allocated).
#[no_mangle]
pub extern "C" fn malloc_stats() {
    let s = m::stats();
    write_line(format_args!(
        "memento-alloc: allocated {} B, resident {} B, mapped {} B, purged {} B in {} calls ({} B paid back for fresh pages), {} large objects ({} B, {} B of it slack kept by shrinks)",
        s.allocated, s.resident, s.mapped, s.purged, s.purges, s.paid_back, s.large_objects, s.large_bytes, s.large_slack
    ));
    for c in s.classes.iter().filter(|c| c.arenas > 0) {
        write_line(format_args!(
            "  class {:>7} B: {:>8} live, {:>4} arenas, {:>8} capacity, {:>9} B touched",
            c.block_size, c.live_blocks, c.arenas, c.capacity_blocks, c.touched_bytes
        ));
    }
}

/// Writes one line to standard error without allocating (at most 512
/// bytes; longer lines are cut).
fn write_line(args: core::fmt::Arguments<'_>) {
    use core::fmt::Write;
    let mut b = StackBuf {
        buf: [0; 512],
        len: 0,
    };
    let _ = b.write_fmt(args);
    let _ = b.write_str("\n");
    // SAFETY: b.buf holds b.len initialised bytes.
    unsafe { libc::write(2, b.buf.as_ptr().cast(), b.len) };
}

#[used]
#[link_section = ".fini_array"]
static PRINT_STATS_AT_EXIT: extern "C" fn() = print_stats_at_exit;
