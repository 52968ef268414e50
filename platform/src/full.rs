//! The full replay that checks the node's memoised costs. The node charges
//! every warm start one cost per function, measured once (the warm trace
//! after the cold one, alone and beside busy cores). Here each instance of
//! a node run is replayed instead: on a core of its own, its cold trace
//! and then the warm trace once per warm start it served, as one process,
//! so each warm invocation finds the state its own predecessors left (the
//! allocator's heap, the extension's arenas, the caches), beside every
//! other instance at once.
//!
//! What the full replay leaves out: queueing and idle gaps (each instance
//! runs its invocations back to back, all instances from cycle 0, which
//! over-states their sharing of the LLC and DRAM when the node ran them
//! apart), and restores (a snapshot's state is not a trace).

use std::collections::BTreeMap;
use std::path::Path;

use memento_analysis::compare::Mode;
use memento_sim::Config;
use memento_trace::{Event, TraceFile};

use crate::measure::{replay_chains, FunctionTraces, MeasureError};
use crate::node::{percentile, NodeRun, Start};

/// The memoised and fully replayed service times of one function's warm
/// starts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FunctionCheck {
    /// The function.
    pub name: String,
    /// Service time of each warm start as the node charged it, sorted.
    pub memoised_us: Vec<u64>,
    /// The same starts replayed in full, sorted.
    pub full_us: Vec<u64>,
}

impl FunctionCheck {
    /// Mean of sorted `values` (0 when empty).
    fn mean(values: &[u64]) -> f64 {
        if values.is_empty() {
            return 0.0;
        }
        values.iter().sum::<u64>() as f64 / values.len() as f64
    }

    /// Mean memoised service time, microseconds.
    pub fn memoised_mean_us(&self) -> f64 {
        Self::mean(&self.memoised_us)
    }

    /// Mean fully replayed service time, microseconds.
    pub fn full_mean_us(&self) -> f64 {
        Self::mean(&self.full_us)
    }

    /// The memoised mean's error against the full replay's, as a fraction
    /// (0.05: 5% too high).
    pub fn mean_error(&self) -> f64 {
        relative(self.memoised_mean_us(), self.full_mean_us())
    }

    /// The memoised p99's error against the full replay's.
    pub fn p99_error(&self) -> f64 {
        relative(
            percentile(&self.memoised_us, 99.0) as f64,
            percentile(&self.full_us, 99.0) as f64,
        )
    }
}

fn relative(approx: f64, exact: f64) -> f64 {
    if exact == 0.0 {
        0.0
    } else {
        approx / exact - 1.0
    }
}

/// What the full replay gave beside the node's memoised figures.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FullCheck {
    /// Instances replayed (one core each).
    pub instances: u32,
    /// Per function of ours with warm starts, in the order of the costs.
    pub functions: Vec<FunctionCheck>,
    /// DRAM bytes the node charged for every start.
    pub memoised_dram_bytes: u64,
    /// DRAM bytes the full replay moved.
    pub full_dram_bytes: u64,
}

impl FullCheck {
    /// The memoised DRAM traffic's error against the full replay's.
    pub fn dram_error(&self) -> f64 {
        relative(self.memoised_dram_bytes as f64, self.full_dram_bytes as f64)
    }
}

/// A node run the full replay cannot check, and why.
#[derive(Debug, thiserror::Error)]
pub enum FullError {
    /// An instance started from a snapshot.
    #[error(
        "instance {0} started from a snapshot, which the full replay cannot model: \
         check a scenario whose snapshot policy is `never`"
    )]
    Restore(u32),
    /// More instances than cores allowed.
    #[error(
        "the run made {instances} instances and the full replay gives each a core of its own \
         (at most {max}): raise `--max-instances` or check a smaller scenario \
         (fewer functions, a longer keep-alive)"
    )]
    TooMany {
        /// Instances the run made.
        instances: u32,
        /// The limit given.
        max: u32,
    },
    /// A trace could not be replayed.
    #[error(transparent)]
    Trace(#[from] MeasureError),
}

/// Invocation markers in a trace.
fn invocations(path: &Path) -> Result<usize, MeasureError> {
    let trace = TraceFile::open(path).map_err(|e| MeasureError {
        file: path.display().to_string(),
        message: e.to_string(),
    })?;
    let mut n = 0;
    for event in trace.events() {
        let event = event.map_err(|e| MeasureError {
            file: path.display().to_string(),
            message: e.to_string(),
        })?;
        n += usize::from(matches!(event, Event::InvocationBegin { .. }));
    }
    Ok(n)
}

/// Replays every instance of `run` (made by [`crate::node::run`] in
/// `mode` on `config`, with `functions` in the order of its costs) in
/// full, at most `max_instances` of them, and sets each warm start's
/// service time beside the node's.
pub fn check(
    config: &Config,
    mode: Mode,
    functions: &[FunctionTraces],
    run: &NodeRun,
    max_instances: u32,
) -> Result<FullCheck, FullError> {
    // Each instance's function and its starts, in the order they began.
    let mut instances: BTreeMap<u32, (u32, Vec<u64>)> = BTreeMap::new();
    for s in &run.starts {
        let entry = instances
            .entry(s.instance)
            .or_insert_with(|| (s.function, Vec::new()));
        match s.start {
            Start::Restore => return Err(FullError::Restore(s.instance)),
            Start::Cold => {}
            Start::Warm => entry.1.push(s.service_us),
        }
    }
    let n = instances.len() as u32;
    if n > max_instances {
        return Err(FullError::TooMany {
            instances: n,
            max: max_instances,
        });
    }
    let mut check = FullCheck {
        instances: n,
        memoised_dram_bytes: run.traffic.total(),
        ..FullCheck::default()
    };
    if n == 0 {
        return Ok(check);
    }
    let cold_invocations = functions
        .iter()
        .map(|f| invocations(&f.cold))
        .collect::<Result<Vec<_>, _>>()?;
    let chains: Vec<Vec<&Path>> = instances
        .values()
        .map(|(f, warm)| {
            let f = &functions[*f as usize];
            std::iter::once(f.cold.as_path())
                .chain(std::iter::repeat_n(f.warm.as_path(), warm.len()))
                .collect()
        })
        .collect();
    let stats = replay_chains(config, mode, &chains)?;
    let mhz = u64::from(config.frequency_mhz);
    let mut by_function: Vec<FunctionCheck> = functions
        .iter()
        .map(|f| FunctionCheck {
            name: f.name.clone(),
            ..FunctionCheck::default()
        })
        .collect();
    for (core, (f, warm)) in instances.values().enumerate() {
        let out = &mut by_function[*f as usize];
        out.memoised_us.extend(warm);
        out.full_us.extend(
            stats
                .invocations
                .iter()
                .filter(|i| i.core == core as u32)
                .skip(cold_invocations[*f as usize])
                .map(|i| i.cycles.div_ceil(mhz)),
        );
    }
    check.functions = by_function
        .into_iter()
        .filter(|f| !f.memoised_us.is_empty())
        .map(|mut f| {
            f.memoised_us.sort_unstable();
            f.full_us.sort_unstable();
            f
        })
        .collect();
    check.full_dram_bytes = (stats.dram.reads.transfers() + stats.dram.writes.transfers())
        * u64::from(config.line_size);
    Ok(check)
}
