//! One run of a batch experiment as plain data: what ran (trace or
//! scenario, machine, swept parameters, mode, seed) and what it gave. Each
//! is written as its own JSON file (schema `memento-batch-run/1`) by
//! `memento batch run`; `memento batch merge` and `memento report` read
//! them back. A change that renames or removes a field bumps the version.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::compare::RunStats;

/// The schema name and version a run record carries.
pub const RUN_SCHEMA: &str = "memento-batch-run/1";

/// One run of an experiment's cross product.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRecord {
    /// [`RUN_SCHEMA`].
    pub schema: String,
    /// The run's identity: 16 hex digits hashing the trace's (or
    /// scenario's) bytes, the machine configuration as resolved, the mode
    /// and the seed. Its result file is `runs/KEY.json`.
    pub key: String,
    /// The workload: the trace's file name without extension, or the
    /// scenario's.
    pub workload: String,
    /// The trace (or scenario) file, as the experiment resolved it.
    pub input: String,
    /// The runtime the trace ran on (`python`, `cpp`, `rust`, `node`,
    /// `native`, `unknown`), or `platform` for a scenario.
    pub runtime: String,
    /// The machine's label: the preset or file it starts from, then each
    /// swept parameter as `name=value`, comma-separated.
    pub config: String,
    /// The swept parameters and their values in this run, by dotted config
    /// path (`llc.sets`, `memento.bypass_alloc`), each as TOML writes it.
    pub params: BTreeMap<String, String>,
    /// The mode: `baseline`, `memento`, `ideal-mallacc`, an ablation
    /// (`only:alloc+free`, as `memento compare` names them), or
    /// `platform` for a scenario.
    pub mode: String,
    /// The machine's seed.
    pub seed: u64,
    /// What the run gave.
    pub outcome: Outcome,
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Outcome {
    /// A trace replayed to its end.
    Replayed {
        /// Events the replay read.
        events: u64,
        /// Its statistics.
        stats: RunStats,
    },
    /// A platform scenario ran: its report (schema
    /// `memento-platform/1`), kept as JSON.
    Platform {
        /// The report.
        report: serde_json::Value,
    },
    /// The run failed; the other runs went on.
    Failed {
        /// The error, as one line naming the file or field at fault.
        error: String,
    },
}

impl RunRecord {
    /// The replay statistics, when the run replayed a trace.
    pub fn stats(&self) -> Option<&RunStats> {
        match &self.outcome {
            Outcome::Replayed { stats, .. } => Some(stats),
            _ => None,
        }
    }

    /// Whether the run failed.
    pub fn failed(&self) -> bool {
        matches!(self.outcome, Outcome::Failed { .. })
    }
}
