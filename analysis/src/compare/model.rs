//! The results of `memento compare` as plain data. Serialised, this is the
//! JSON schema `memento-compare/1` (described field by field in
//! `analysis/README.md`); a change that renames or removes a field bumps
//! the version.

use memento_sim::stats::{HitMiss, Stats};
use memento_sim::CauseCounts;
use serde::{Deserialize, Serialize};

use super::mode::Mode;
use super::paper::Paper;

/// The schema name and version the JSON carries.
pub const SCHEMA: &str = "memento-compare/1";

/// Every workload compared, their figures and the suite's means.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Comparison {
    /// [`SCHEMA`].
    pub schema: String,
    /// The machine configuration the runs used.
    pub machine: String,
    /// One per trace, in the order given.
    pub workloads: Vec<Workload>,
    /// Means over the workloads.
    pub summary: Summary,
    /// The paper's figures, to read ours beside.
    pub paper: Paper,
}

/// One trace under every mode it was run in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    /// The trace's file name without extension (`json-warm`).
    pub name: String,
    /// The runtime its header names (`python`, `cpp`, ...), or `unknown`.
    pub runtime: String,
    /// The runs: baseline, Memento, ideal Mallacc, then the ablation.
    pub runs: Vec<Run>,
    /// What the runs give, Memento against the baseline.
    pub figures: Figures,
}

/// One replay of a trace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Run {
    /// Which memory management replayed it.
    pub mode: Mode,
    /// What it measured.
    pub stats: RunStats,
}

/// The part of a replay's statistics a comparison uses.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunStats {
    /// Cycles until the core finished.
    pub cycles: u64,
    /// Instructions retired.
    pub instructions: u64,
    /// Of them, inside software allocator brackets that were replayed.
    pub allocator_instructions: u64,
    /// DRAM line reads by cause.
    pub dram_reads: CauseCounts,
    /// DRAM line writes by cause.
    pub dram_writes: CauseCounts,
    /// Page faults.
    pub page_faults: u64,
    /// Cycles of kernel work.
    pub kernel_cycles: u64,
    /// Most pages resident at once (first touched during the run).
    pub peak_resident_pages: u64,
    /// Page size in bytes.
    pub page_size: u32,
    /// HOT lookups of obj-alloc (Memento runs).
    pub hot_alloc: Option<HitMiss>,
    /// HOT lookups of obj-free (Memento runs).
    pub hot_free: Option<HitMiss>,
    /// DRAM reads the bypass avoided.
    pub reads_avoided: u64,
    /// DRAM writebacks the bypass avoided.
    pub writes_avoided: u64,
}

impl RunStats {
    /// The figures of a replay's stats.
    pub fn of(stats: &Stats) -> RunStats {
        let mut s = RunStats {
            cycles: stats.cycles,
            instructions: stats.instructions,
            dram_reads: stats.dram.reads,
            dram_writes: stats.dram.writes,
            peak_resident_pages: stats.memory.peak_resident_pages,
            page_size: stats.memory.page_size,
            ..RunStats::default()
        };
        for c in &stats.cores {
            s.allocator_instructions += c.alloc.instructions;
            s.page_faults += c.kernel.page_faults;
            s.kernel_cycles += c.kernel.cycles;
        }
        if let Some(m) = stats.extension.as_ref().and_then(|e| e.memento.as_ref()) {
            s.hot_alloc = Some(m.hot_alloc);
            s.hot_free = Some(m.hot_free);
            s.reads_avoided = m.bypass.reads_avoided;
            s.writes_avoided = m.bypass.writes_avoided;
        }
        s
    }

    /// DRAM lines moved, reads and writes.
    pub fn dram_traffic(&self) -> u64 {
        self.dram_reads.transfers() + self.dram_writes.transfers()
    }
}

/// Memento against the baseline on one workload. Changes are fractions
/// (-0.3 is 30% less); a speedup is baseline cycles over the mode's, less 1.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Figures {
    /// Memento's speedup.
    pub speedup: f64,
    /// The ideal Mallacc's, when it was run.
    pub ideal_mallacc_speedup: Option<f64>,
    /// Baseline instructions less Memento's.
    pub instructions_removed: i64,
    /// The software allocator's share of the baseline's instructions.
    pub allocator_share: f64,
    /// Change in DRAM lines read.
    pub dram_reads_change: f64,
    /// Change in DRAM lines written.
    pub dram_writes_change: f64,
    /// Change in DRAM lines moved, reads and writes.
    pub dram_traffic_change: f64,
    /// Baseline page faults less Memento's.
    pub page_faults_avoided: i64,
    /// Baseline kernel cycles less Memento's.
    pub kernel_cycles_avoided: i64,
    /// Change in peak resident pages (absent when the baseline's is under
    /// 1 MiB: see `figures::MEANINGFUL_PEAK`).
    pub peak_memory_change: Option<f64>,
    /// HOT hit rate of obj-alloc.
    pub hot_alloc_hit_rate: Option<f64>,
    /// HOT hit rate of obj-free.
    pub hot_free_hit_rate: Option<f64>,
    /// The speedup split by feature (with the ablation runs).
    pub split: Option<Split>,
}

/// Memento's speedup split among its four features: the Shapley value of
/// each over the 16 combinations of features on and off (each feature's
/// marginal speedup averaged over every order of switching them on), so
/// that the parts add up to the speedup exactly. A part can be negative.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Split {
    /// obj-alloc, with the objects placed where it puts them.
    pub object_alloc: f64,
    /// obj-free.
    pub object_free: f64,
    /// The hardware page allocator.
    pub page_management: f64,
    /// Both bypass rules.
    pub bypass: f64,
}

impl Split {
    /// The parts in order: object alloc, object free, page management,
    /// bypass.
    pub fn parts(&self) -> [f64; 4] {
        [
            self.object_alloc,
            self.object_free,
            self.page_management,
            self.bypass,
        ]
    }

    /// The sum of the parts: the speedup.
    pub fn total(&self) -> f64 {
        self.parts().iter().sum()
    }
}

/// Means over the workloads (arithmetic, as the paper's "on average").
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    /// Workloads compared.
    pub workloads: usize,
    /// Mean speedup.
    pub mean_speedup: f64,
    /// Geometric mean of the speedups (of baseline over Memento cycles).
    pub geomean_speedup: f64,
    /// Smallest and largest speedup.
    pub speedup_range: (f64, f64),
    /// Mean change in DRAM traffic.
    pub mean_dram_traffic_change: f64,
    /// Mean change in peak resident pages, over the workloads that have one.
    pub mean_peak_memory_change: Option<f64>,
    /// Mean ideal-Mallacc speedup, over the workloads that ran it.
    pub mean_ideal_mallacc_speedup: Option<f64>,
    /// Mean speedups on the C++ workloads that ran the ideal Mallacc:
    /// (Memento, ideal Mallacc).
    pub cpp_speedups: Option<(f64, f64)>,
    /// Mean of each part of the split, over the workloads that have one:
    /// the parts add up to those workloads' mean speedup.
    pub mean_split: Option<Split>,
}
