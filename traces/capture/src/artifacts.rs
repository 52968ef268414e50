//! Where the build put the C parts of the capture tool.

use std::path::Path;

use crate::error::CaptureError;

/// The folder to give Valgrind as `VALGRIND_LIB`: the `memento` tool and
/// its preload beside links to the stock Valgrind files.
pub fn valgrind_lib() -> Result<&'static Path, CaptureError> {
    built(env!("MEMENTO_CAPTURE_VALGRIND_LIB"))
}

/// `libmemento_roi.so`, the marker library.
pub fn roi_library() -> Result<&'static Path, CaptureError> {
    built(env!("MEMENTO_CAPTURE_ROI_LIB"))
}

/// `memento_roi.node`, the markers as a Node addon (None when Node's
/// headers were not there at build time).
pub fn node_addon() -> Option<&'static Path> {
    let path = env!("MEMENTO_CAPTURE_NODE_ADDON");
    (!path.is_empty()).then(|| Path::new(path))
}

/// The folder holding `memento_roi.js`, for `NODE_PATH`.
pub fn node_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/node"))
}

/// `libmemento_shim.so`, the `--alloc-only` preload.
pub fn shim_library() -> &'static Path {
    Path::new(env!("MEMENTO_CAPTURE_SHIM"))
}

/// The folder holding `memento_roi.py`, for `PYTHONPATH`.
pub fn python_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/python"))
}

/// The folder holding `memento_roi.h`, for C programs to include.
pub fn include_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/c"))
}

fn built(path: &'static str) -> Result<&'static Path, CaptureError> {
    if path.is_empty() {
        return Err(CaptureError::ToolNotBuilt(
            env!("MEMENTO_CAPTURE_MISSING").to_string(),
        ));
    }
    Ok(Path::new(path))
}
