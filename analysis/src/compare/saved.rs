//! Saved results as inputs: the JSON of `memento replay` (one run each,
//! its mode read from its statistics, its workload from the trace it
//! names) or of `memento compare` (every run of every workload).

use std::path::{Path, PathBuf};

use memento_sim::stats::TraceId;
use memento_sim::Stats;

use super::mode::Mode;
use super::model::{Comparison, Run, RunStats, SCHEMA};
use super::{CompareError, Measured};

/// The runs of saved result files, grouped by workload in the order first
/// seen, and the machine they ran on.
pub fn load(paths: &[PathBuf]) -> Result<(String, Vec<Measured>), CompareError> {
    let mut machine: Option<String> = None;
    let mut measured: Vec<Measured> = Vec::new();
    for path in paths {
        let text =
            std::fs::read_to_string(path).map_err(|e| CompareError::new(path, e.to_string()))?;
        let value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| CompareError::new(path, format!("not JSON: {e}")))?;
        let (trace, runs) = if value.get("schema").is_some() {
            let c: Comparison = serde_json::from_value(value)
                .map_err(|e| CompareError::new(path, format!("not a {SCHEMA} result: {e}")))?;
            if c.schema != SCHEMA {
                return Err(CompareError::new(
                    path,
                    format!("schema {} (this memento reads {SCHEMA})", c.schema),
                ));
            }
            same_machine(&mut machine, &c.machine, path)?;
            for w in c.workloads {
                add(&mut measured, w.name, w.runtime, w.runs, path)?;
            }
            continue;
        } else {
            replay(path, value, &mut machine)?
        };
        add(&mut measured, trace.name, trace.runtime, runs, path)?;
    }
    Ok((machine.unwrap_or_default(), measured))
}

/// The one run of a `memento replay --json` file.
fn replay(
    path: &Path,
    value: serde_json::Value,
    machine: &mut Option<String>,
) -> Result<(TraceId, Vec<Run>), CompareError> {
    let stats: Stats = serde_json::from_value(value).map_err(|e| {
        CompareError::new(
            path,
            format!("neither `memento replay --json` nor `memento compare --json` output: {e}"),
        )
    })?;
    let [trace] = stats.traces.as_slice() else {
        return Err(CompareError::new(
            path,
            format!(
                "a replay of {} traces; compare takes replays of one trace each (made by this version of `memento replay`)",
                stats.traces.len()
            ),
        ));
    };
    let mode = Mode::of(stats.extension.as_ref()).ok_or_else(|| {
        CompareError::new(
            path,
            "its [memento] switches are no mode of a comparison (object_alloc goes with placement = \"memento\", bypass_alloc with bypass_free)",
        )
    })?;
    same_machine(machine, &stats.config, path)?;
    Ok((
        trace.clone(),
        vec![Run {
            mode,
            stats: RunStats::of(&stats),
        }],
    ))
}

/// Every saved run must come from the same machine.
fn same_machine(machine: &mut Option<String>, this: &str, path: &Path) -> Result<(), CompareError> {
    match machine {
        Some(m) if m != this => Err(CompareError::new(
            path,
            format!("ran on machine `{this}`, the others on `{m}`: compare runs of one machine"),
        )),
        Some(_) => Ok(()),
        None => {
            *machine = Some(this.to_string());
            Ok(())
        }
    }
}

/// Adds `runs` to workload `name`; a mode it already has is an error.
fn add(
    measured: &mut Vec<Measured>,
    name: String,
    runtime: String,
    runs: Vec<Run>,
    path: &Path,
) -> Result<(), CompareError> {
    let i = match measured.iter().position(|m| m.name == name) {
        Some(i) => i,
        None => {
            measured.push(Measured {
                name,
                runtime: runtime.clone(),
                runs: Vec::new(),
                source: path.to_path_buf(),
            });
            measured.len() - 1
        }
    };
    let w = &mut measured[i];
    if w.runtime == "unknown" {
        w.runtime = runtime;
    }
    for run in runs {
        if w.runs.iter().any(|r| r.mode == run.mode) {
            return Err(CompareError::new(
                path,
                format!("a second {} run of {}", run.mode, w.name),
            ));
        }
        w.runs.push(run);
    }
    w.runs.sort_by_key(|r| order(r.mode));
    Ok(())
}

/// Runs in the order a fresh comparison makes them.
fn order(mode: Mode) -> usize {
    Mode::runs(true)
        .iter()
        .position(|m| *m == mode)
        .unwrap_or(usize::MAX)
}
