//! The costs of [`crate::cost::FunctionCost`] measured on the machine
//! model: each function's cold and warm traces (from `memento workloads
//! capture`) replayed once per mode on one core.

use std::path::{Path, PathBuf};

use memento_analysis::compare::Mode;
use memento_sim::config::AllocatorKind;
use memento_sim::machine::Chain;
use memento_sim::{CauseCounts, Config, Stats};
use memento_trace::{Event, TraceFile};
use rustc_hash::FxHashSet;

use crate::cost::{FunctionCost, Traffic};

/// One of our functions as a scenario names it.
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionTraces {
    /// Its name.
    pub name: String,
    /// Start-up and first invocation.
    pub cold: PathBuf,
    /// Warm invocations (one or more, between invocation markers).
    pub warm: PathBuf,
    /// The memory size the user configured.
    pub user_bytes: u64,
}

/// A trace that could not be measured: the file and why.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct MeasureError {
    /// The trace.
    pub file: String,
    /// What went wrong.
    pub message: String,
}

pub(crate) fn error(file: &Path, message: impl ToString) -> MeasureError {
    MeasureError {
        file: file.display().to_string(),
        message: message.to_string(),
    }
}

fn open(path: &Path) -> Result<TraceFile, MeasureError> {
    TraceFile::open(path).map_err(|e| error(path, e))
}

/// Replays each chain of traces on a core of its own of `config` in
/// `mode` (as many cores as chains, sharing the LLC and DRAM), each chain
/// as one process: a trace finds the caches, TLBs, allocator and extension
/// state the ones before it left.
pub(crate) fn replay_chains(
    config: &Config,
    mode: Mode,
    chains: &[Vec<&Path>],
) -> Result<Stats, MeasureError> {
    let files = chains
        .iter()
        .map(|chain| chain.iter().map(|p| open(p)).collect())
        .collect::<Result<Vec<Vec<_>>, MeasureError>>()?;
    let mut config = mode.config(config);
    config.cores = chains.len() as u32;
    let dependences = files.iter().flatten().all(|f| f.header().dependences);
    let first = chains[0][0];
    config
        .resolve_load_dependence(dependences)
        .map_err(|e| error(first, e))?;
    let mut classes = Vec::new();
    for (chain, paths) in files.iter().zip(chains) {
        classes.push(
            memento_analysis::branch_class::classes_for(&chain[0])
                .map_err(|e| error(paths[0], e))?,
        );
    }
    let streams = files
        .iter()
        .map(|chain| Chain::new(chain.iter().map(TraceFile::events).collect()))
        .collect();
    memento_sim::replay_classified(&config, streams, false, classes).map_err(|e| {
        let at = chains
            .last()
            .and_then(|c| c.last())
            .copied()
            .unwrap_or(first);
        error(at, e)
    })
}

fn traffic(reads: &CauseCounts, writes: &CauseCounts, line: u64, per: u64) -> Traffic {
    let bytes = |f: fn(&CauseCounts) -> u64| (f(reads) + f(writes)) * line / per;
    Traffic {
        demand: bytes(|c| c.demand),
        writeback: bytes(|c| c.writeback),
        prefetch: bytes(|c| c.prefetch),
        page_zeroing: bytes(|c| c.page_zeroing),
        page_walk: bytes(|c| c.page_walk),
        alloc_metadata: bytes(|c| c.alloc_metadata),
        restore_copy: 0,
        restore_prefetch: 0,
    }
}

/// Distinct pages of `page_bytes` the trace loads from or stores to, and
/// of them those it stores to.
pub fn working_set(path: &Path, page_bytes: u64) -> Result<(u64, u64), MeasureError> {
    let trace = open(path)?;
    let shift = page_bytes.trailing_zeros();
    let (mut touched, mut written) = (FxHashSet::default(), FxHashSet::default());
    for event in trace.events() {
        match event.map_err(|e| error(path, e))? {
            Event::Load { addr, size } => {
                touched.insert(addr >> shift);
                touched.insert((addr + u64::from(size) - 1) >> shift);
            }
            Event::Store { addr, size } => {
                for page in [addr >> shift, (addr + u64::from(size) - 1) >> shift] {
                    touched.insert(page);
                    written.insert(page);
                }
            }
            _ => {}
        }
    }
    Ok((touched.len() as u64, written.len() as u64))
}

/// `a - b`, cause by cause (the part of a run after a common prefix).
fn minus(a: &CauseCounts, b: &CauseCounts) -> CauseCounts {
    let mut d = CauseCounts::default();
    for cause in memento_sim::Cause::ALL {
        d.add(cause, a.get(cause).saturating_sub(b.get(cause)));
    }
    d
}

/// The mean cycles of core 0's invocations after its first `skip`.
fn core0_mean(s: &Stats, skip: usize) -> Option<u64> {
    let mine: Vec<u64> = s
        .invocations
        .iter()
        .filter(|i| i.core == 0)
        .skip(skip)
        .map(|i| i.cycles)
        .collect();
    (!mine.is_empty()).then(|| mine.iter().sum::<u64>() / mine.len() as u64)
}

/// The mean cycles of the invocations `longer` ran beyond those of
/// `shorter` (a prefix of it), and how many there were (at least 1); with
/// no invocation markers, the whole difference in cycles.
fn mean_after(longer: &Stats, shorter: &Stats) -> (u64, u64) {
    let after = &longer.invocations[shorter.invocations.len().min(longer.invocations.len())..];
    let n = (after.len() as u64).max(1);
    if after.is_empty() {
        (longer.cycles.saturating_sub(shorter.cycles), n)
    } else {
        (after.iter().map(|i| i.cycles).sum::<u64>() / n, n)
    }
}

/// The costs of `f` in `mode` on `config`; `page_bytes` is the snapshot's
/// page size (restores fault and copy in its pages). The cold trace is
/// replayed alone; the warm one after it, as the same process, so that a
/// warm invocation finds what a kept-alive instance holds (warm caches,
/// the allocator's and the extension's state): its time is its
/// invocations' mean between their markers, its DRAM traffic what the
/// pair moved beyond the cold trace alone, per invocation. The warm trace
/// is then replayed a second time after the pair: the same measures of
/// that second run are a later warm invocation's (the instance's steady
/// state, memoised apart from its first warm one). With `cores`
/// above 1, the pair is replayed again beside `others` (cycled), one per
/// other core, each its cold then warm trace: the warm invocation's time
/// with every core of the node busy.
pub fn measure(
    config: &Config,
    mode: Mode,
    f: &FunctionTraces,
    others: &[&FunctionTraces],
    cores: u32,
    page_bytes: u64,
) -> Result<FunctionCost, MeasureError> {
    let cold = replay_chains(config, mode, &[vec![&f.cold]])?;
    let both = replay_chains(config, mode, &[vec![&f.cold, &f.warm]])?;
    let again = replay_chains(config, mode, &[vec![&f.cold, &f.warm, &f.warm]])?;
    let shared = if cores > 1 && !others.is_empty() {
        let mut chains = vec![vec![f.cold.as_path(), f.warm.as_path()]];
        for o in others.iter().cycle().take(cores as usize - 1) {
            chains.push(vec![o.cold.as_path(), o.warm.as_path()]);
        }
        Some(replay_chains(config, mode, &chains)?)
    } else {
        None
    };
    let mhz = u64::from(config.frequency_mhz);
    let line = u64::from(config.line_size);
    let (warm_cycles, invocations) = mean_after(&both, &cold);
    let (steady_cycles, _) = mean_after(&again, &both);
    let (touched, written) = working_set(&f.warm, page_bytes)?;
    // A harvest also takes the idle heap pages (memento-alloc's hook); in
    // Memento mode the extension's objects are not on the software heap.
    let page = u64::from(both.memory.page_size);
    let machine = mode.config(config);
    let smallest = match (machine.allocator(), &machine.memento) {
        (AllocatorKind::Memento, Some(m)) => m.size_classes.last().map_or(1, |&c| u64::from(c) + 1),
        _ => 1,
    };
    let idle_heap = crate::idle_heap::idle_heap_bytes(&[&f.cold, &f.warm], page, smallest)?;
    let peak = |s: &Stats| s.memory.peak_resident_pages * u64::from(s.memory.page_size);
    let per_invocation = |after: &Stats, before: &Stats| {
        let reads = minus(&after.dram.reads, &before.dram.reads);
        let writes = minus(&after.dram.writes, &before.dram.writes);
        traffic(&reads, &writes, line, invocations)
    };
    let shared_cycles = shared
        .as_ref()
        .and_then(|s| core0_mean(s, cold.invocations.len()))
        .unwrap_or(warm_cycles);
    Ok(FunctionCost {
        name: f.name.clone(),
        user_bytes: f.user_bytes,
        cold_us: cold.cycles.div_ceil(mhz),
        warm_us: warm_cycles.div_ceil(mhz),
        steady_us: steady_cycles.div_ceil(mhz),
        warm_us_shared: shared_cycles.div_ceil(mhz),
        peak_bytes: peak(&both),
        live_bytes: (both.memory.resident_pages * page).saturating_sub(idle_heap),
        cold_traffic: traffic(&cold.dram.reads, &cold.dram.writes, line, 1),
        warm_traffic: per_invocation(&both, &cold),
        steady_traffic: per_invocation(&again, &both),
        pages_touched: touched.div_ceil(invocations),
        pages_written: written.div_ceil(invocations),
    })
}
