//! Shared pieces of the Rust functions: the driver that runs a handler
//! `--invocations N` times with ROI and invocation markers, and a seeded
//! generator for inputs.
//!
//! A function may use `memento-alloc` as its `#[global_allocator]` once
//! that crate is in the workspace; today the functions use the system
//! allocator (glibc malloc), which the capture tool traces.

pub mod driver;
pub mod markers;
pub mod rng;
