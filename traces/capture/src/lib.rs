//! Memento's capture tool: records Memento traces (`traces/FORMAT.md`)
//! from real programs.
//!
//! - Full mode runs the program under the `memento` Valgrind tool (C, in
//!   `c/`, built by `build.rs`): every block of instructions, load and
//!   store, the allocator calls bracketed with the allocator's own work,
//!   the memory syscalls, thread switches and the module map.
//! - `--alloc-only` mode preloads a shim instead: allocations, the memory
//!   syscalls libc's wrappers see and markers, at native speed.
//!
//! Programs mark their region of interest and invocations with
//! `libmemento_roi.so` (C, Python via `python/memento_roi.py`) or [`roi`]
//! (Rust).

#![warn(missing_docs)]

pub mod artifacts;
pub mod error;
pub mod roi;
pub mod run;

pub use error::CaptureError;
pub use run::{capture, CaptureMode, CaptureOptions, CaptureReport};
