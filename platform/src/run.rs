//! A whole scenario run: its functions' costs measured on the machine
//! model (in parallel on rayon's threads), then the node simulated under
//! its arrivals for each mode, into a [`Report`]. `memento platform run`
//! prints it; `memento batch` keeps it as one run of an experiment.

use std::path::Path;
use std::time::{Duration, Instant};

use memento_sim::config::ConfigError;
use memento_sim::Config;
use rayon::prelude::*;

use crate::keepalive::ParamError;
use crate::measure::{self, MeasureError};
use crate::node;
use crate::report::{ModeReport, Report, SCHEMA};
use crate::scenario::{Scenario, ScenarioError};

/// Why a scenario could not run: one line naming the file and field.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The scenario file, or a file it names.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// The machine configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A trace that could not be measured.
    #[error(transparent)]
    Measure(#[from] MeasureError),
    /// The node's policies, for the scenario at `file`.
    #[error("{file}: {error}")]
    Node {
        /// The scenario file.
        file: String,
        /// What the policies refused.
        error: ParamError,
    },
}

/// What a run reports as it goes; every method does nothing unless
/// overridden. Called from rayon's threads.
pub trait Progress: Sync {
    /// Measuring begins: `total` function costs (functions x modes).
    fn measuring(&self, _total: u64) {}
    /// One function cost is measured.
    fn measured_one(&self) {}
    /// The node simulation begins: `total` invocations (arrivals x modes).
    fn simulating(&self, _total: u64) {}
    /// Invocations simulated so far.
    fn simulated(&self, _done: u64) {}
}

/// A [`Progress`] that reports nothing.
pub struct Quiet;

impl Progress for Quiet {}

/// A scenario's report, and how long its two phases took (host time).
pub struct Outcome {
    /// The report.
    pub report: Report,
    /// Time spent measuring the functions' costs.
    pub measured: Duration,
    /// Time spent simulating the node.
    pub simulated: Duration,
}

/// Runs the scenario at `path` on `machine` (when given; else the machine
/// its `[node]` names), measuring costs in parallel on the current rayon
/// pool.
pub fn run(
    path: &Path,
    machine: Option<Config>,
    progress: &dyn Progress,
) -> Result<Outcome, RunError> {
    let scenario = Scenario::load(path)?;
    let config = match machine {
        Some(c) => c,
        None => Config::load(
            scenario.machine_config().as_deref(),
            scenario.node.preset.as_deref(),
        )?,
    };
    let (schedule, assignment) = scenario.schedule()?;
    let functions = scenario.functions();
    let modes = &scenario.modes;
    progress.measuring((modes.len() * functions.len()) as u64);
    let page = scenario.restore.page_bytes;
    let started = Instant::now();
    let jobs: Vec<(usize, usize)> = (0..modes.len())
        .flat_map(|m| (0..functions.len()).map(move |f| (m, f)))
        .collect();
    let costs = jobs
        .par_iter()
        .map(|&(m, f)| {
            let others: Vec<_> = functions
                .iter()
                .enumerate()
                .filter(|&(i, _)| i != f || functions.len() == 1)
                .map(|(_, o)| o)
                .collect();
            let cores = scenario.node.cores;
            let c = measure::measure(
                &config,
                modes[m].mode(),
                &functions[f],
                &others,
                cores,
                page,
            );
            progress.measured_one();
            c
        })
        .collect::<Result<Vec<_>, _>>()?;
    let measured = started.elapsed();
    progress.simulating((modes.len() * schedule.arrivals.len()) as u64);
    let policies = scenario.policies();
    let mut reports = Vec::new();
    for (m, name) in modes.iter().enumerate() {
        let costs = &costs[m * functions.len()..(m + 1) * functions.len()];
        let base = (m * schedule.arrivals.len()) as u64;
        let run = node::run(
            scenario.node(),
            &policies,
            &schedule,
            &assignment,
            costs,
            |i| progress.simulated(base + i as u64),
        )
        .map_err(|error| RunError::Node {
            file: path.display().to_string(),
            error,
        })?;
        reports.push(ModeReport::of(name.name(), &run, scenario.price.per_gb_s));
    }
    let simulated = started.elapsed() - measured;
    Ok(Outcome {
        report: Report {
            schema: SCHEMA,
            scenario: path.display().to_string(),
            machine: config.name.clone(),
            arrivals: schedule.arrivals.len() as u64,
            modes: reports,
        },
        measured,
        simulated,
    })
}
