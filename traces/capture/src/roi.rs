//! Region-of-interest and invocation markers for Rust functions.
//!
//! Under `memento capture` each call is a Valgrind client request; under
//! `--alloc-only` it reaches the preload shim; elsewhere it does nothing.

use std::ffi::{c_char, c_int, c_void};
use std::sync::OnceLock;

use memento_client_request::{request, INVOCATION_BEGIN, INVOCATION_END, ROI_BEGIN, ROI_END};

/// Marker kinds of `c/shim_marker.h`.
const MARK_ROI_BEGIN: c_int = 1;
const MARK_ROI_END: c_int = 2;
const MARK_INVOCATION_BEGIN: c_int = 3;
const MARK_INVOCATION_END: c_int = 4;

/// Marks the start of the region of interest.
pub fn roi_begin() {
    mark(ROI_BEGIN, MARK_ROI_BEGIN, 0);
}

/// Marks the end of the region of interest.
pub fn roi_end() {
    mark(ROI_END, MARK_ROI_END, 0);
}

/// Marks the start of invocation `id`.
pub fn invocation_begin(id: u64) {
    mark(INVOCATION_BEGIN, MARK_INVOCATION_BEGIN, id);
}

/// Marks the end of invocation `id`.
pub fn invocation_end(id: u64) {
    mark(INVOCATION_END, MARK_INVOCATION_END, id);
}

fn mark(number: u64, kind: c_int, id: u64) {
    request(&[number, id, 0, 0, 0, 0]);
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
