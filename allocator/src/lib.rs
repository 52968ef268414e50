//! `memento-alloc`: Memento's software fallback allocator.
//!
//! The arena / size-class / page-pool design of Memento's hardware object
//! and page allocators, in software: size-class arenas for objects up to
//! 64 KiB (classes up to 512 B mirror the hardware), thread-local heaps
//! reached without allocating, cheap local frees, lock-free remote frees, a
//! page pool that purges unused pages after a decay delay, large objects
//! mapped directly, and statistics. It depends on nothing else of Memento.
//!
//! Two faces:
//! - [`Memento`], a `#[global_allocator]` for Rust functions;
//! - the `memento-alloc-preload` cdylib, the malloc family for
//!   `LD_PRELOAD` under real runtimes, built on [`malloc`], [`free`] and
//!   friends here.
//!
//! Platform hooks: [`harvest()`] returns idle memory to the OS;
//! [`Snapshot`] captures the calling thread's allocation state and
//! restores it for hot starts. The glossary is in the `types` module
//! source; the design in `README.md`.

// `core` and `alloc` only, so that the preload library can be built
// without std (no unwinder, no libgcc_s, a smaller resident footprint);
// Rust functions using `Memento` bring std themselves.
#![cfg_attr(not(test), no_std)]
#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

extern crate alloc;
#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
extern crate std;

mod api;
mod arena;
mod config;
mod global;
mod harvest;
mod heap;
mod large;
mod large_cache;
mod lock;
mod os;
mod poison;
mod pool;
mod reclaim;
mod registry;
mod report;
pub mod size_class;
mod slow_path;
mod snapshot;
mod stats;
mod thread;
mod types;

pub use api::{aligned_alloc, calloc, free, malloc, realloc, usable_size};
pub use config::{decay, parse_decay, set_decay, Decay, DEFAULT_DECAY};
pub use global::Memento;
pub use harvest::harvest;
pub use report::stats;
pub use snapshot::{Snapshot, SnapshotError};
pub use stats::{ClassStats, Stats};
pub use types::{MIN_ALIGN, SEGMENT_SIZE, SLOT_SIZE};
