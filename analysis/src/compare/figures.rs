//! From runs to figures: Memento against the baseline on one workload, and
//! the means over the suite.

use super::mode::{Features, Mode};
use super::model::{Figures, Run, RunStats, Summary, Workload};
use super::split::shapley;

/// The baseline's peak resident memory below which a change of it is not
/// given as a ratio: a warm trace makes few pages resident (the heap was
/// before it began), and +1000% of a few pages says nothing.
pub const MEANINGFUL_PEAK: u64 = 1 << 20;

/// `new / old - 1`, or 0 when `old` is 0.
fn change(old: u64, new: u64) -> f64 {
    if old == 0 {
        0.0
    } else {
        new as f64 / old as f64 - 1.0
    }
}

/// The speedup of a run of `cycles` over the baseline's.
fn speedup(baseline: &RunStats, cycles: u64) -> f64 {
    if cycles == 0 {
        0.0
    } else {
        baseline.cycles as f64 / cycles as f64 - 1.0
    }
}

/// The run of `mode` among `runs`.
pub fn find(runs: &[Run], mode: Mode) -> Option<&RunStats> {
    runs.iter().find(|r| r.mode == mode).map(|r| &r.stats)
}

/// The figures of one workload's runs; `None` without both a baseline and a
/// Memento run.
pub fn figures(runs: &[Run]) -> Option<Figures> {
    let b = find(runs, Mode::BASELINE)?;
    let m = find(runs, Mode::MEMENTO)?;
    let rate = |h: Option<memento_sim::stats::HitMiss>| {
        h.filter(|h| h.hits + h.misses > 0).map(|h| h.rate())
    };
    let split = Features::every()
        .map(|f| find(runs, Mode::Memento(f)).map(|s| (f, s.cycles)))
        .collect::<Option<Vec<_>>>()
        .map(|cycles| {
            shapley(|f| {
                let c = cycles[f.0 as usize].1;
                speedup(b, c)
            })
        });
    Some(Figures {
        speedup: speedup(b, m.cycles),
        ideal_mallacc_speedup: find(runs, Mode::IdealMallacc).map(|i| speedup(b, i.cycles)),
        instructions_removed: b.instructions as i64 - m.instructions as i64,
        allocator_share: if b.instructions == 0 {
            0.0
        } else {
            b.allocator_instructions as f64 / b.instructions as f64
        },
        dram_reads_change: change(b.dram_reads.transfers(), m.dram_reads.transfers()),
        dram_writes_change: change(b.dram_writes.transfers(), m.dram_writes.transfers()),
        dram_traffic_change: change(b.dram_traffic(), m.dram_traffic()),
        page_faults_avoided: b.page_faults as i64 - m.page_faults as i64,
        kernel_cycles_avoided: b.kernel_cycles as i64 - m.kernel_cycles as i64,
        peak_memory_change: (b.peak_resident_pages * u64::from(b.page_size) >= MEANINGFUL_PEAK)
            .then(|| change(b.peak_resident_pages, m.peak_resident_pages)),
        hot_alloc_hit_rate: rate(m.hot_alloc),
        hot_free_hit_rate: rate(m.hot_free),
        split,
    })
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

/// The means over `workloads`.
pub fn summary(workloads: &[Workload]) -> Summary {
    let f: Vec<&Figures> = workloads.iter().map(|w| &w.figures).collect();
    let speedups: Vec<f64> = f.iter().map(|x| x.speedup).collect();
    let cpp: Vec<(f64, f64)> = workloads
        .iter()
        .filter(|w| w.runtime == "cpp")
        .filter_map(|w| Some((w.figures.speedup, w.figures.ideal_mallacc_speedup?)))
        .collect();
    let splits: Vec<_> = f.iter().filter_map(|x| x.split).collect();
    Summary {
        workloads: workloads.len(),
        mean_speedup: mean(speedups.iter().copied()).unwrap_or(0.0),
        geomean_speedup: mean(speedups.iter().map(|s| (1.0 + s).ln()))
            .map_or(0.0, |l| l.exp() - 1.0),
        speedup_range: match speedups.first() {
            Some(&first) => speedups
                .iter()
                .fold((first, first), |(lo, hi), &s| (lo.min(s), hi.max(s))),
            None => (0.0, 0.0),
        },
        mean_dram_traffic_change: mean(f.iter().map(|x| x.dram_traffic_change)).unwrap_or(0.0),
        mean_peak_memory_change: mean(f.iter().filter_map(|x| x.peak_memory_change)),
        mean_ideal_mallacc_speedup: mean(f.iter().filter_map(|x| x.ideal_mallacc_speedup)),
        cpp_speedups: mean(cpp.iter().map(|c| c.0)).zip(mean(cpp.iter().map(|c| c.1))),
        mean_split: (!splits.is_empty()).then(|| super::model::Split {
            object_alloc: mean(splits.iter().map(|s| s.object_alloc)).unwrap_or(0.0),
            object_free: mean(splits.iter().map(|s| s.object_free)).unwrap_or(0.0),
            page_management: mean(splits.iter().map(|s| s.page_management)).unwrap_or(0.0),
            bypass: mean(splits.iter().map(|s| s.bypass)).unwrap_or(0.0),
        }),
    }
}
