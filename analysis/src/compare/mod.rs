//! `memento compare`: each trace replayed as the baseline, with Memento and
//! with the ideal Mallacc (and, for the ablation, with every combination of
//! Memento's four features), in parallel; what Memento changes, per
//! workload and on average, beside the paper's figures. Saved results (the
//! JSON of `memento replay` or of `compare`) compare like fresh runs.
//!
//! `model.rs` is the JSON schema, `mode.rs` what each run models,
//! `figures.rs` and `split.rs` what the runs give, `print.rs` the text and
//! CSV printers, `plot.rs` the plots.

mod figures;
pub mod mode;
pub mod model;
pub mod paper;
pub mod plot;
pub mod print;
mod saved;
pub mod split;

use std::path::{Path, PathBuf};

use memento_sim::machine::FallibleRunError;
use memento_sim::Config;
use memento_trace::TraceFile;
use rayon::prelude::*;

pub use mode::{Feature, Features, Mode};
pub use model::{Comparison, Figures, Run, RunStats, Split, Summary, Workload, SCHEMA};
pub use paper::Paper;
pub use saved::load;

/// A trace or result file that cannot be used, and why: one line for the
/// user, naming the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {message}")]
pub struct CompareError {
    /// The file at fault.
    pub file: String,
    /// What is wrong and what to do.
    pub message: String,
}

impl CompareError {
    pub(crate) fn new(file: &Path, message: impl Into<String>) -> CompareError {
        CompareError {
            file: file.display().to_string(),
            message: message.into(),
        }
    }
}

/// A workload's runs, before the figures.
pub struct Measured {
    /// Its name.
    pub name: String,
    /// Its runtime.
    pub runtime: String,
    /// Its runs.
    pub runs: Vec<Run>,
    /// Where its runs came from, for errors.
    pub source: PathBuf,
}

/// The name a trace goes by: its file name without extension.
pub fn trace_name(path: &Path) -> String {
    path.file_stem().map_or_else(
        || path.display().to_string(),
        |s| s.to_string_lossy().into_owned(),
    )
}

/// Replays each of `traces` (one core each) in every mode of
/// [`Mode::runs`] on the machine `base`, the runs in parallel on rayon's
/// threads; the results do not depend on how many there are. `runtime`
/// names each trace's runtime; `done` is called as each run ends.
pub fn measure(
    base: &Config,
    traces: &[PathBuf],
    ablate: bool,
    runtime: &dyn Fn(&TraceFile) -> String,
    done: &(dyn Fn() + Sync),
) -> Result<Vec<Measured>, CompareError> {
    let files = traces
        .iter()
        .map(|p| TraceFile::open(p).map_err(|e| CompareError::new(p, e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    let modes = Mode::runs(ablate);
    let jobs: Vec<(usize, Mode)> = (0..files.len())
        .flat_map(|t| modes.iter().map(move |&m| (t, m)))
        .collect();
    let stats = jobs
        .par_iter()
        .map(|&(t, mode)| {
            let result = replay_one(base, mode, &files[t], &traces[t]);
            done();
            result.map(|s| RunStats::of(&s))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut stats = stats.into_iter();
    Ok(files
        .iter()
        .zip(traces)
        .map(|(file, path)| Measured {
            name: trace_name(path),
            runtime: runtime(file),
            runs: modes
                .iter()
                .map(|&mode| Run {
                    mode,
                    stats: stats.next().expect("one result per job"),
                })
                .collect(),
            source: path.clone(),
        })
        .collect())
}

/// Replays `file` (at `path`, named in errors) alone on one core of the
/// machine `base` in `mode`, its branches classified from its code or
/// metadata: what `measure` does for each of its runs, and `memento batch`
/// for each run of an experiment.
pub fn replay_one(
    base: &Config,
    mode: Mode,
    file: &TraceFile,
    path: &Path,
) -> Result<memento_sim::Stats, CompareError> {
    let mut config = mode.config(base);
    config.cores = 1;
    config
        .resolve_load_dependence(file.header().dependences)
        .map_err(|e| CompareError::new(path, e))?;
    let classes = crate::branch_class::classes_for(file)
        .map_err(|e| CompareError::new(path, e.to_string()))?;
    memento_sim::replay_classified(&config, vec![file.events()], false, vec![classes]).map_err(
        |e| {
            let message = match e {
                FallibleRunError::Stream(e) => e.error.to_string(),
                other => other.to_string(),
            };
            CompareError::new(path, message)
        },
    )
}

/// The comparison of measured workloads on machine `machine`. A workload
/// without both a baseline and a Memento run is an error naming where it
/// came from.
pub fn compare(machine: &str, measured: Vec<Measured>) -> Result<Comparison, CompareError> {
    let workloads = measured
        .into_iter()
        .map(|m| {
            let figures = figures::figures(&m.runs).ok_or_else(|| {
                CompareError::new(
                    &m.source,
                    format!(
                        "{} has no {} run to compare with: replay it with --allocator {} too",
                        m.name,
                        if figures::find(&m.runs, Mode::BASELINE).is_none() {
                            "baseline"
                        } else {
                            "Memento"
                        },
                        if figures::find(&m.runs, Mode::BASELINE).is_none() {
                            "baseline"
                        } else {
                            "memento"
                        },
                    ),
                )
            })?;
            Ok(Workload {
                name: m.name,
                runtime: m.runtime,
                runs: m.runs,
                figures,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Comparison {
        schema: SCHEMA.into(),
        machine: machine.into(),
        summary: figures::summary(&workloads),
        workloads,
        paper: Paper::micro23(),
    })
}
