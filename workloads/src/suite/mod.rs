//! The real function suite: the manifest (`workloads/manifest.toml`), the
//! native build of the compiled functions, and native runs whose printed
//! results are checked against the manifest.
//!
//! Every function runs under a per-runtime driver that calls the handler
//! `--invocations N` times in one process, brackets each call with the ROI
//! and invocation markers, and prints one line per invocation:
//! `memento-invocation ID cold|warm NANOSECONDS RESULT`.

pub mod build;
pub mod capture;
pub mod manifest;
pub mod run;

pub use build::{prepare, Prepared};
pub use capture::{capture, CaptureError, CaptureOutput, CaptureRequest};
pub use manifest::{Allocator, Function, Manifest, ManifestError, Runtime, Sample, INPUT_SIZE_VAR};
pub use run::{expected_result, run_native, Invocation, RunError};

use std::path::PathBuf;

/// The `workloads/` folder: `MEMENTO_WORKLOADS_DIR` when set, otherwise
/// the folder this crate was built from.
pub fn workloads_dir() -> PathBuf {
    std::env::var_os("MEMENTO_WORKLOADS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}
