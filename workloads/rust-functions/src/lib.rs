//! Shared pieces of the Rust functions: the driver that runs a handler
//! `--invocations N` times with ROI and invocation markers, and a seeded
//! generator for inputs.
//!
//! By default the functions use the system allocator (glibc malloc), which
//! the capture tool traces. With the cargo feature `memento-alloc` (the
//! manifest's `allocator = "memento"`), `memento-alloc` is every
//! function's `#[global_allocator]`, wrapped in [`alloc::Bracketed`] so
//! that captures still see each call.

#![warn(missing_docs)]

pub mod alloc;
pub mod driver;
pub mod json_transform;
pub mod markers;
pub mod rng;

/// The global allocator with the `memento-alloc` feature.
#[cfg(feature = "memento-alloc")]
#[global_allocator]
static GLOBAL: alloc::Bracketed<memento_alloc::Memento> = alloc::Bracketed(memento_alloc::Memento);
