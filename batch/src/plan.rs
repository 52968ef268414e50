//! The plan: every run of an experiment, in a fixed order, each with its
//! key, and how the runs split into shards.
//!
//! The order: traces, then scenarios (each in the experiment's order);
//! within each, machines (presets, then files, each crossed with the sweep
//! points); then seeds; then modes (a scenario has the one mode
//! `platform`). Run `j` of the plan belongs to shard `j mod N`.

use std::fmt;
use std::path::{Path, PathBuf};

use memento_analysis::compare::{trace_name, Mode};
use memento_sim::Config;

use crate::experiment::Experiment;
use crate::machines::{machines, Machine};
use crate::{key, BatchError};

/// What a run replays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A trace, in a mode of `memento compare`.
    Trace(Mode),
    /// A platform scenario (mode `platform`).
    Platform,
}

impl Kind {
    /// The mode's name in records and tables.
    pub fn mode_name(self) -> String {
        match self {
            Kind::Trace(m) => m.to_string(),
            Kind::Platform => "platform".into(),
        }
    }
}

/// One run of the plan.
#[derive(Clone, Debug)]
pub struct Run {
    /// Its position in the plan.
    pub index: usize,
    /// Its key (16 hex digits).
    pub key: String,
    /// The trace or scenario file.
    pub input: PathBuf,
    /// The workload: the file's name without extension.
    pub workload: String,
    /// Index of its machine in [`Plan::machines`].
    pub machine: usize,
    /// The machine with the run's seed set.
    pub config: Config,
    /// The seed.
    pub seed: u64,
    /// Trace mode or platform.
    pub kind: Kind,
}

/// Every run of an experiment.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The machines, sweep points applied.
    pub machines: Vec<Machine>,
    /// The runs, in plan order.
    pub runs: Vec<Run>,
}

/// One shard of `count`: the runs whose plan position is `index` mod
/// `count`. Written `i/N`, `i` from 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// Which shard, from 0.
    pub index: u32,
    /// How many.
    pub count: u32,
}

impl Shard {
    /// The whole plan as one shard.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// The shard of plan position `j`.
    pub fn of(j: usize, count: u32) -> u32 {
        (j % count as usize) as u32
    }

    /// Whether plan position `j` is in this shard.
    pub fn holds(self, j: usize) -> bool {
        Shard::of(j, self.count) == self.index
    }
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Shard, String> {
        let bad = || format!("`{text}` is not a shard: give i/N with 0 <= i < N, as 0/4");
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let index: u32 = i.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Plan {
    /// The plan of `exp`: reads each input once to hash it. Two runs with
    /// the same key (the same bytes, machine, mode and seed twice) are an
    /// error naming both.
    pub fn of(exp: &Experiment) -> Result<Plan, BatchError> {
        let machines = machines(exp)?;
        let mut runs = Vec::new();
        let inputs = exp
            .traces
            .iter()
            .map(|t| (t, false))
            .chain(exp.scenarios.iter().map(|s| (s, true)));
        for (input, scenario) in inputs {
            let digest = key::digest_file(input)
                .map_err(|e| BatchError::file(input, format!("cannot read it: {e}")))?;
            let kinds: Vec<Kind> = if scenario {
                vec![Kind::Platform]
            } else {
                exp.modes.iter().map(|&m| Kind::Trace(m)).collect()
            };
            for (m, machine) in machines.iter().enumerate() {
                let seeds = exp
                    .seeds
                    .clone()
                    .unwrap_or_else(|| vec![machine.config.seed]);
                for &seed in &seeds {
                    let mut config = machine.config.clone();
                    config.seed = seed;
                    let toml = config.to_toml();
                    for &kind in &kinds {
                        runs.push(Run {
                            index: runs.len(),
                            key: key::run_key(digest, &toml, &kind.mode_name(), seed),
                            input: input.clone(),
                            workload: trace_name(input),
                            machine: m,
                            config: config.clone(),
                            seed,
                            kind,
                        });
                    }
                }
            }
        }
        let plan = Plan { machines, runs };
        plan.check_unique(&exp.path)?;
        Ok(plan)
    }

    fn check_unique(&self, exp: &Path) -> Result<(), BatchError> {
        let mut seen = std::collections::HashMap::new();
        for r in &self.runs {
            if let Some(&first) = seen.get(r.key.as_str()) {
                let a: &Run = &self.runs[first];
                return Err(BatchError::file(
                    exp,
                    format!(
                        "runs {} and {} are the same run (same input bytes, machine, mode and seed): \
                         name each trace and machine once",
                        self.describe(a),
                        self.describe(r)
                    ),
                ));
            }
            seen.insert(r.key.as_str(), r.index);
        }
        Ok(())
    }

    /// The machine label of a run.
    pub fn label(&self, run: &Run) -> &str {
        &self.machines[run.machine].label
    }

    /// A run as messages name it: key, input, machine, mode and seed.
    pub fn describe(&self, run: &Run) -> String {
        format!(
            "{} ({}, machine {}, mode {}, seed {})",
            run.key,
            run.input.display(),
            self.label(run),
            run.kind.mode_name(),
            run.seed
        )
    }

    /// The runs of `shard`, in plan order.
    pub fn shard(&self, shard: Shard) -> impl Iterator<Item = &Run> {
        self.runs.iter().filter(move |r| shard.holds(r.index))
    }
}
