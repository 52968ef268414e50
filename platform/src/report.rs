//! What a scenario's runs give, per mode, as plain data (printers in
//! [`crate::print`]).

use serde::Serialize;

use crate::cost::Traffic;
use crate::node::{percentile, NodeRun};

/// Schema name of the JSON report.
pub const SCHEMA: &str = "memento-platform/1";

/// Bytes per GB, as clouds bill.
const GB: f64 = 1e9;
/// Microseconds per second.
const US: f64 = 1e6;

/// `bytes` in MiB.
pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1u64 << 20) as f64
}

/// A scenario's report: one entry per mode.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// [`SCHEMA`].
    pub schema: &'static str,
    /// The scenario file.
    pub scenario: String,
    /// The machine the costs were measured on.
    pub machine: String,
    /// Arrivals in the schedule.
    pub arrivals: u64,
    /// Per mode, in the scenario's order.
    pub modes: Vec<ModeReport>,
}

/// One mode's run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ModeReport {
    /// `baseline` or `memento`.
    pub mode: String,
    /// Per function of ours.
    pub functions: Vec<FunctionReport>,
    /// Every invocation together.
    pub all: FunctionReport,
    /// Latency of every invocation at percentiles 0, 0.5, ..., 100,
    /// milliseconds: the CDF.
    pub latency_quantiles_ms: Vec<f64>,
    /// Loaded memory sampled every `memory_step_s`, MiB.
    pub memory_mib: Vec<f64>,
    /// The sampling step of `memory_mib`, seconds.
    pub memory_step_s: f64,
    /// Most memory loaded at once, MiB.
    pub peak_memory_mib: f64,
    /// Idle loaded memory over time, GB-seconds.
    pub wasted_gb_s: f64,
    /// Harvested memory over time, GB-seconds.
    pub harvested_gb_s: f64,
    /// Most memory harvested at once, MiB.
    pub peak_harvested_mib: f64,
    /// Allocation times execution, GB-seconds.
    pub billed_gb_s: f64,
    /// `billed_gb_s` at the scenario's price, dollars.
    pub cost_usd: f64,
    /// DRAM traffic by cause, bytes.
    pub dram: Traffic,
    /// Snapshots taken.
    pub snapshots: u64,
    /// Idle instances evicted for room.
    pub evictions: u64,
    /// When the last invocation ended, seconds.
    pub end_s: f64,
}

/// Latencies and starts of a function (or of all).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FunctionReport {
    /// Its name (`all` for every function).
    pub name: String,
    /// Invocations.
    pub invocations: u64,
    /// Cold starts.
    pub cold: u64,
    /// Warm starts.
    pub warm: u64,
    /// Restores.
    pub restore: u64,
    /// Cold starts over invocations.
    pub cold_share: f64,
    /// Median latency, milliseconds.
    pub p50_ms: f64,
    /// 99th percentile latency, milliseconds.
    pub p99_ms: f64,
}

fn function_report(
    name: &str,
    latencies: &[u64],
    cold: u64,
    warm: u64,
    restore: u64,
) -> FunctionReport {
    let n = latencies.len() as u64;
    FunctionReport {
        name: name.into(),
        invocations: n,
        cold,
        warm,
        restore,
        cold_share: if n == 0 { 0.0 } else { cold as f64 / n as f64 },
        p50_ms: percentile(latencies, 50.0) as f64 / 1e3,
        p99_ms: percentile(latencies, 99.0) as f64 / 1e3,
    }
}

/// The memory step function `points` sampled every `step_us` from 0 to
/// `end_us`, in MiB.
fn sample(points: &[(u64, u64)], step_us: u64, end_us: u64) -> Vec<f64> {
    let mut out = Vec::new();
    let (mut i, mut value) = (0, 0u64);
    let mut t = 0;
    while t <= end_us {
        while i < points.len() && points[i].0 <= t {
            value = points[i].1;
            i += 1;
        }
        out.push(mib(value));
        t += step_us;
    }
    out
}

impl ModeReport {
    /// The report of `run` in `mode`, at `price_per_gb_s`.
    pub fn of(mode: &str, run: &NodeRun, price_per_gb_s: f64) -> ModeReport {
        let functions: Vec<FunctionReport> = run
            .functions
            .iter()
            .map(|f| function_report(&f.name, &f.latencies_us, f.cold, f.warm, f.restore))
            .collect();
        let mut all: Vec<u64> = run
            .functions
            .iter()
            .flat_map(|f| f.latencies_us.iter().copied())
            .collect();
        all.sort_unstable();
        let latency_quantiles_ms = (0..=200)
            .map(|i| percentile(&all, f64::from(i) / 2.0) as f64 / 1e3)
            .collect();
        let sum = |g: fn(&FunctionReport) -> u64| functions.iter().map(g).sum();
        let all = function_report(
            "all",
            &all,
            sum(|f| f.cold),
            sum(|f| f.warm),
            sum(|f| f.restore),
        );
        // About 500 samples whatever the length, at least one a second.
        let step_us = (run.end_us / 500).max(1_000_000);
        let billed_gb_s = run.billed_byte_us as f64 / GB / US;
        ModeReport {
            mode: mode.into(),
            functions,
            all,
            latency_quantiles_ms,
            memory_mib: sample(&run.memory, step_us, run.end_us),
            memory_step_s: step_us as f64 / US,
            peak_memory_mib: mib(run.memory.iter().map(|p| p.1).max().unwrap_or(0)),
            wasted_gb_s: run.wasted_byte_us as f64 / GB / US,
            harvested_gb_s: run.harvested_byte_us as f64 / GB / US,
            peak_harvested_mib: mib(run.peak_harvested_bytes),
            billed_gb_s,
            cost_usd: billed_gb_s * price_per_gb_s,
            dram: run.traffic.clone(),
            snapshots: run.snapshots,
            evictions: run.evictions,
            end_s: run.end_us as f64 / US,
        }
    }
}
