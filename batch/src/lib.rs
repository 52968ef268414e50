//! Batch experiments: an experiment file (TOML) names traces and platform
//! scenarios, machines (presets, files, parameter sweeps), modes and
//! seeds; their cross product is a plan of runs, each keyed by a stable
//! hash of what it runs. `run` replays a plan (or one shard of it) in
//! parallel, writing each run's record atomically so that an interrupted
//! batch resumes where it stopped; `merge` joins the folders of shards run
//! on several machines; `slurm` writes the job array that runs them.
//!
//! One concern per module: `experiment.rs` reads the file, `machines.rs`
//! resolves machines and sweep points, `key.rs` hashes, `plan.rs` is the
//! cross product and its shards, `folder.rs` the output folder's layout,
//! `run.rs` runs, `results.rs` the CSV table, `merge.rs` joins shards,
//! `slurm.rs` the job-array script.

#![warn(missing_docs)]

pub mod experiment;
pub mod folder;
pub mod key;
pub mod machines;
pub mod merge;
pub mod plan;
pub mod results;
pub mod run;
pub mod slurm;

pub use experiment::Experiment;
pub use plan::{Plan, Shard};

/// A batch that cannot go on: one line naming the file and the field (or
/// the run) at fault, and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BatchError(pub String);

impl BatchError {
    /// An error about `field` of `file`.
    pub fn at(file: &std::path::Path, field: &str, message: impl std::fmt::Display) -> BatchError {
        BatchError(format!("{}: {field}: {message}", file.display()))
    }

    /// An error about `file` as a whole.
    pub fn file(file: &std::path::Path, message: impl std::fmt::Display) -> BatchError {
        BatchError(format!("{}: {message}", file.display()))
    }
}
