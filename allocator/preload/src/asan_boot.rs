//! Start-up under AddressSanitizer (feature `asan`, `scripts/sanitize.sh
//! preload`): the ASan runtime calls `malloc` while it sets itself up,
//! before its shadow memory exists, and every instrumented load of the
//! allocator would then fault. Until the shadow is mapped, these calls are
//! served from a static buffer by code that is not instrumented; `free`
//! ignores such blocks and `realloc` moves them to the allocator.

use core::cell::UnsafeCell;
use core::ffi::c_void;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};

/// Where x86-64 Linux ASan puts the shadow byte of address 0.
const SHADOW_OFFSET: usize = 0x7fff_8000;
/// Bytes ASan's start-up may take (a few error strings).
const BOOT_BYTES: usize = 64 * 1024;
/// Each boot block starts with its size, keeping 16-byte alignment.
const HEADER: usize = 16;

#[repr(align(16))]
struct Boot(UnsafeCell<[u8; BOOT_BYTES]>);
// SAFETY: blocks are carved by an atomic bump, never shared.
unsafe impl Sync for Boot {}

static BOOT: Boot = Boot(UnsafeCell::new([0; BOOT_BYTES]));
static USED: AtomicUsize = AtomicUsize::new(0);
static READY: AtomicBool = AtomicBool::new(false);

/// Whether ASan's shadow memory is mapped, so instrumented code may run.
#[sanitize(address = "off")]
pub(crate) fn ready() -> bool {
    if READY.load(Relaxed) {
        return true;
    }
    let page = 4096;
    let shadow = ((BOOT.0.get() as usize >> 3) + SHADOW_OFFSET) / page * page;
    let mut resident = 0u8;
    // The raw system call: ASan intercepts `mincore`, and its interceptors
    // are not set up yet either.
    // SAFETY: mincore only reads the mapping state of one page; ENOMEM
    // when it is not mapped.
    let mapped = unsafe {
        libc::syscall(
            libc::SYS_mincore,
            shadow as *mut c_void,
            page,
            &mut resident as *mut u8,
        )
    } == 0;
    if mapped {
        READY.store(true, Relaxed);
    }
    mapped
}

/// Whether `p` is a boot block.
#[sanitize(address = "off")]
pub(crate) fn owns(p: *mut c_void) -> bool {
    let base = BOOT.0.get() as usize;
    (base..base + BOOT_BYTES).contains(&(p as usize))
}

/// A zeroed boot block of `size` bytes; null when the buffer is spent.
#[sanitize(address = "off")]
pub(crate) fn alloc(size: usize) -> *mut c_void {
    let Some(need) = size.checked_add(HEADER).map(|n| n.next_multiple_of(16)) else {
        return core::ptr::null_mut();
    };
    let at = USED.fetch_add(need, Relaxed);
    if at + need > BOOT_BYTES {
        return core::ptr::null_mut();
    }
    // SAFETY: [at, at + need) is this call's alone, inside BOOT.
    unsafe {
        let b = (BOOT.0.get() as *mut u8).add(at);
        (b as *mut usize).write(size);
        b.add(HEADER).cast()
    }
}

/// `realloc` of boot block `p`: a new boot block before the shadow is
/// ready, an allocator block after; the contents are copied.
#[sanitize(address = "off")]
pub(crate) fn realloc(p: *mut c_void, size: usize) -> *mut c_void {
    let q = if ready() {
        memento_alloc::malloc(size).cast()
    } else {
        alloc(size)
    };
    if !q.is_null() && !p.is_null() {
        // SAFETY: p is a boot block, whose size precedes it; q holds `size`.
        unsafe {
            let old = (p as *const u8).sub(HEADER).cast::<usize>().read();
            for i in 0..old.min(size) {
                *(q as *mut u8).add(i) = *(p as *const u8).add(i);
            }
        }
    }
    q
}
