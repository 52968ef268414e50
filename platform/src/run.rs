//! A whole scenario run: its functions' costs measured on the machine
//! model (in parallel on rayon's threads), then the node simulated under
//! its arrivals for each mode, into a [`Report`]. `memento platform run`
//! prints it; `memento batch` keeps it as one run of an experiment.

use std::path::Path;
use std::time::{Duration, Instant};

use memento_sim::config::ConfigError;
use memento_sim::Config;
use rayon::prelude::*;

use crate::full::{FullCheck, FullError};
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
    /// The full replay that checks the scenario at `file`.
    #[error("{file}: {error}")]
    Full {
        /// The scenario file.
        file: String,
        /// Why it cannot be checked.
        error: FullError,
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

/// A scenario loaded, with its functions' costs measured in each mode.
struct Measured {
    scenario: Scenario,
    config: Config,
    schedule: crate::arrivals::Schedule,
    assignment: Vec<usize>,
    functions: Vec<measure::FunctionTraces>,
    /// Mode by mode, each the functions' costs in order.
    costs: Vec<crate::cost::FunctionCost>,
    took: Duration,
}

/// Loads the scenario at `path` and measures its functions' costs on
/// `machine` (when given; else the machine its `[node]` names), in
/// parallel on the current rayon pool.
fn measured(
    path: &Path,
    machine: Option<Config>,
    progress: &dyn Progress,
) -> Result<Measured, RunError> {
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
    Ok(Measured {
        scenario,
        config,
        schedule,
        assignment,
        functions,
        costs,
        took: started.elapsed(),
    })
}

impl Measured {
    /// The node simulated under the arrivals in mode `m` (an index of the
    /// scenario's modes).
    fn simulate(
        &self,
        path: &Path,
        m: usize,
        progress: &dyn Progress,
    ) -> Result<node::NodeRun, RunError> {
        let n = self.functions.len();
        let base = (m * self.schedule.arrivals.len()) as u64;
        node::run(
            self.scenario.node(),
            &self.scenario.policies(),
            &self.schedule,
            &self.assignment,
            &self.costs[m * n..(m + 1) * n],
            |i| progress.simulated(base + i as u64),
        )
        .map_err(|error| RunError::Node {
            file: path.display().to_string(),
            error,
        })
    }
}

/// Runs the scenario at `path` on `machine` (when given; else the machine
/// its `[node]` names), measuring costs in parallel on the current rayon
/// pool.
pub fn run(
    path: &Path,
    machine: Option<Config>,
    progress: &dyn Progress,
) -> Result<Outcome, RunError> {
    let m = measured(path, machine, progress)?;
    let modes = &m.scenario.modes;
    progress.simulating((modes.len() * m.schedule.arrivals.len()) as u64);
    let started = Instant::now();
    let mut reports = Vec::new();
    for (i, name) in modes.iter().enumerate() {
        let run = m.simulate(path, i, progress)?;
        reports.push(ModeReport::of(name.name(), &run, m.scenario.price.per_gb_s));
    }
    Ok(Outcome {
        report: Report {
            schema: SCHEMA,
            scenario: path.display().to_string(),
            machine: m.config.name.clone(),
            arrivals: m.schedule.arrivals.len() as u64,
            modes: reports,
        },
        measured: m.took,
        simulated: started.elapsed(),
    })
}

/// One mode's check of the memoised costs against the full replay.
pub struct ModeCheck {
    /// The mode's name.
    pub mode: &'static str,
    /// What the full replay gave beside the memoised figures.
    pub check: FullCheck,
}

/// Runs the scenario at `path` as [`run`] does, then replays every
/// instance of each mode's node run in full ([`crate::full::check`]), at
/// most `max_instances` of them.
pub fn check(
    path: &Path,
    machine: Option<Config>,
    max_instances: u32,
    progress: &dyn Progress,
) -> Result<Vec<ModeCheck>, RunError> {
    let m = measured(path, machine, progress)?;
    let modes = &m.scenario.modes;
    progress.simulating((modes.len() * m.schedule.arrivals.len()) as u64);
    modes
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let run = m.simulate(path, i, progress)?;
            let check =
                crate::full::check(&m.config, name.mode(), &m.functions, &run, max_instances)
                    .map_err(|error| RunError::Full {
                        file: path.display().to_string(),
                        error,
                    })?;
            Ok(ModeCheck {
                mode: name.name(),
                check,
            })
        })
        .collect()
}
