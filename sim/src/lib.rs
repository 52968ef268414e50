//! Memento's machine model: a cycle-approximate, trace-driven,
//! deterministic model of out-of-order cores, private and shared caches,
//! TLBs with page walks, the kernel's memory-management costs and DRAM.
//!
//! ```no_run
//! use memento_sim::{Config, Machine, report};
//! use memento_trace::Event;
//!
//! let config = Config::preset("micro23").unwrap();
//! let events = vec![Event::Load { addr: 0x1000, size: 8 }, Event::Gap { count: 10 }];
//! let stats = Machine::new(&config).unwrap().run(vec![events.into_iter()]).unwrap();
//! println!("{}", report::text(&stats));
//! ```
//!
//! Glossary: a *line* is a line number (byte address / line size); a
//! *cycle* is a core cycle unless a DRAM function says otherwise; a *cause*
//! is why a line moved to or from DRAM.

#![warn(missing_docs)]

pub mod allocator;
pub mod branch;
pub mod cache;
pub mod cause;
pub mod config;
pub mod core_timing;
pub mod dram;
pub mod dram_only;
pub mod extension;
pub mod geometry;
pub mod hierarchy;
pub mod kernel;
pub mod machine;
mod pending;
pub mod report;
mod ring;
pub mod stats;
pub mod tlb;

pub use allocator::{AllocatorModel, Baseline};
pub use cause::{Cause, CauseCounts};
pub use config::{Config, ConfigError};
pub use geometry::Geometry;
pub use machine::{
    replay, replay_classified, replay_driven, replay_logged, with_machine, BranchClasses, Drive,
    FallibleRunError, Machine, RunError, StreamError, WithMachine,
};
pub use stats::{CacheStats, CoreStats, DramRunStats, DramStats, InvocationStats, Stats};
