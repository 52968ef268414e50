//! The capture tool's markers, reached through
//! `dlopen(getenv("MEMENTO_ROI_LIB"))`; without the variable (a plain run)
//! every marker does nothing.

use std::ffi::CString;

type Plain = unsafe extern "C" fn();
type WithId = unsafe extern "C" fn(u64);

/// The four marker functions, when the library is present.
#[derive(Default)]
pub struct Markers {
    roi_begin: Option<Plain>,
    roi_end: Option<Plain>,
    invocation_begin: Option<WithId>,
    invocation_end: Option<WithId>,
}

/// Looks `name` up in `lib`; null when missing.
fn symbol(lib: *mut libc::c_void, name: &str) -> *mut libc::c_void {
    let name = CString::new(name).expect("no NUL in symbol names");
    // SAFETY: `lib` is a handle from dlopen and `name` is NUL-terminated.
    unsafe { libc::dlsym(lib, name.as_ptr()) }
}

impl Markers {
    /// Loads the markers from `MEMENTO_ROI_LIB`, or none.
    pub fn load() -> Markers {
        let Some(path) = std::env::var_os("MEMENTO_ROI_LIB") else {
            return Markers::default();
        };
        let Ok(path) = CString::new(path.into_encoded_bytes()) else {
            return Markers::default();
        };
        // SAFETY: a NUL-terminated path; the library stays loaded for the
        // life of the process.
        let lib = unsafe { libc::dlopen(path.as_ptr(), libc::RTLD_NOW) };
        if lib.is_null() {
            return Markers::default();
        }
        // SAFETY: the capture tool's library defines these with the C
        // signatures `void f(void)` and `void f(unsigned long long)`.
        unsafe {
            let plain = |name| {
                let p = symbol(lib, name);
                (!p.is_null()).then(|| std::mem::transmute::<*mut libc::c_void, Plain>(p))
            };
            let with_id = |name| {
                let p = symbol(lib, name);
                (!p.is_null()).then(|| std::mem::transmute::<*mut libc::c_void, WithId>(p))
            };
            Markers {
                roi_begin: plain("memento_roi_begin"),
                roi_end: plain("memento_roi_end"),
                invocation_begin: with_id("memento_invocation_begin"),
                invocation_end: with_id("memento_invocation_end"),
            }
        }
    }

    /// Start of the region of interest.
    pub fn roi_begin(&self) {
        // SAFETY: a marker function of the loaded library.
        self.roi_begin.inspect(|f| unsafe { f() });
    }

    /// End of the region of interest.
    pub fn roi_end(&self) {
        // SAFETY: as above.
        self.roi_end.inspect(|f| unsafe { f() });
    }

    /// Invocation `id` begins.
    pub fn invocation_begin(&self, id: u64) {
        // SAFETY: as above.
        self.invocation_begin.inspect(|f| unsafe { f(id) });
    }

    /// Invocation `id` ends.
    pub fn invocation_end(&self, id: u64) {
        // SAFETY: as above.
        self.invocation_end.inspect(|f| unsafe { f(id) });
    }
}
