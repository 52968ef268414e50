//! Region-of-interest and invocation markers for Rust functions.
//!
//! Under `memento capture` each call is a Valgrind client request; under
//! `--alloc-only` it reaches the preload shim; elsewhere it does nothing.

use std::ffi::{c_char, c_int, c_void};
use std::sync::OnceLock;

/// First request number of the memento tool: `VG_USERREQ_TOOL_BASE('M','E')`.
const TOOL_BASE: u64 = (b'M' as u64) << 24 | (b'E' as u64) << 16;
const REQ_ROI_BEGIN: u64 = TOOL_BASE + 4;
const REQ_ROI_END: u64 = TOOL_BASE + 5;
const REQ_INVOCATION_BEGIN: u64 = TOOL_BASE + 6;
const REQ_INVOCATION_END: u64 = TOOL_BASE + 7;

/// Marker kinds of `c/shim_marker.h`.
const MARK_ROI_BEGIN: c_int = 1;
const MARK_ROI_END: c_int = 2;
const MARK_INVOCATION_BEGIN: c_int = 3;
const MARK_INVOCATION_END: c_int = 4;

/// Marks the start of the region of interest.
pub fn roi_begin() {
    mark(REQ_ROI_BEGIN, MARK_ROI_BEGIN, 0);
}

/// Marks the end of the region of interest.
pub fn roi_end() {
    mark(REQ_ROI_END, MARK_ROI_END, 0);
}

/// Marks the start of invocation `id`.
pub fn invocation_begin(id: u64) {
    mark(REQ_INVOCATION_BEGIN, MARK_INVOCATION_BEGIN, id);
}

/// Marks the end of invocation `id`.
pub fn invocation_end(id: u64) {
    mark(REQ_INVOCATION_END, MARK_INVOCATION_END, id);
}

fn mark(request: u64, kind: c_int, id: u64) {
    client_request(request, id);
    if let Some(marker) = shim_marker() {
        // SAFETY: the shim exports this symbol with this C signature.
        unsafe { marker(kind, id) };
    }
}

type Marker = unsafe extern "C" fn(c_int, u64);

extern "C" {
    fn dlsym(handle: *mut c_void, symbol: *const c_char) -> *mut c_void;
}

fn shim_marker() -> Option<Marker> {
    static MARKER: OnceLock<Option<usize>> = OnceLock::new();
    let address = *MARKER.get_or_init(|| {
        // SAFETY: RTLD_DEFAULT (null) searches the global scope; the name is
        // NUL-terminated.
        let p = unsafe { dlsym(std::ptr::null_mut(), c"memento_shim_marker".as_ptr()) };
        (!p.is_null()).then_some(p as usize)
    });
    // SAFETY: a non-null address of the shim's `memento_shim_marker`.
    address.map(|a| unsafe { std::mem::transmute::<usize, Marker>(a) })
}

/// Valgrind's client request: a no-op instruction sequence that Valgrind
/// recognises (`valgrind.h`, amd64). Outside Valgrind it leaves all
/// registers as they were.
#[cfg(target_arch = "x86_64")]
fn client_request(request: u64, arg: u64) {
    let args: [u64; 6] = [request, arg, 0, 0, 0, 0];
    let mut result: u64 = 0;
    // SAFETY: the rotations of rdi add up to 128 bits and xchg rbx,rbx is a
    // no-op, so natively nothing changes; Valgrind reads `args` and writes
    // rdx.
    unsafe {
        std::arch::asm!(
            "rol rdi, 3",
            "rol rdi, 13",
            "rol rdi, 61",
            "rol rdi, 51",
            "xchg rbx, rbx",
            in("rax") args.as_ptr(),
            inout("rdx") result,
            inout("rdi") 0u64 => _,
            options(nostack),
        );
    }
    let _ = result;
}

#[cfg(not(target_arch = "x86_64"))]
fn client_request(_request: u64, _arg: u64) {}
