//! Running a plan (or one shard of it): the runs not already done, in
//! parallel on a rayon pool, each record written to `runs/KEY.json` as
//! soon as the run ends; then `results.csv`. A run whose record is there
//! is skipped, unless it failed (then it runs again), so that a batch
//! stopped at any point (even by `kill -9`) resumes without losing or
//! repeating a result. A run that fails (a bad trace, a machine the trace
//! cannot run on, a panic) is recorded with its error; the others go on.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Mutex;

use memento_analysis::compare::{replay_one, RunStats};
use memento_analysis::record::{Outcome, RunRecord, RUN_SCHEMA};
use memento_trace::TraceFile;
use rayon::prelude::*;

use crate::folder::{Folder, PlanFile};
use crate::plan::{Kind, Plan, Run, Shard};
use crate::{results, BatchError, Experiment};

/// What a batch reports as it goes. Called from the pool's threads.
pub trait Progress: Sync {
    /// The runs begin: `to_run` of them, `already` done before.
    fn start(&self, _to_run: u64, _already: u64) {}
    /// A run ended (its record written); `events` it replayed.
    fn finished(&self, _record: &RunRecord, _events: u64) {}
}

/// A [`Progress`] that reports nothing.
pub struct Quiet;

impl Progress for Quiet {}

/// The runtime a trace ran on (`python`, `cpp`, ...), from its header.
pub type Runtime = dyn Fn(&TraceFile) -> String + Sync;

/// How a batch went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// Runs in the shard.
    pub total: usize,
    /// Of them, done before this batch started.
    pub already: usize,
    /// Of them, run now.
    pub ran: usize,
    /// Of them, failed (now or before).
    pub failed: usize,
    /// The keys run now, in plan order.
    pub keys: Vec<String>,
}

/// Runs `shard` of `plan` (of `exp`) into the folder `out` on `jobs`
/// threads (`None`: one per core), then writes `results.csv` with the
/// shard's runs. `runtime` names each trace's runtime.
pub fn run(
    exp: &Experiment,
    plan: &Plan,
    out: &std::path::Path,
    shard: Shard,
    jobs: Option<usize>,
    runtime: &Runtime,
    progress: &dyn Progress,
) -> Result<Summary, BatchError> {
    let folder = Folder::create(out)?;
    folder.claim(&exp.text)?;
    folder.write_plan(&PlanFile::of(plan, shard.count))?;
    let mine: Vec<&Run> = plan.shard(shard).collect();
    let todo: Vec<&Run> = mine
        .iter()
        .copied()
        .filter(|r| !matches!(folder.read_record(&r.key), Some(Ok(rec)) if !rec.failed()))
        .collect();
    let already = mine.len() - todo.len();
    progress.start(todo.len() as u64, already as u64);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.unwrap_or(0))
        .build()
        .map_err(|e| BatchError(format!("--jobs: {e}")))?;
    let write_errors = Mutex::new(Vec::new());
    pool.install(|| {
        todo.par_iter().for_each(|run| {
            let (record, events) = execute(plan, run, runtime);
            match folder.write_record(&record) {
                Ok(()) => progress.finished(&record, events),
                Err(e) => write_errors
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(e),
            }
        })
    });
    if let Some(e) = write_errors
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .next()
    {
        return Err(e);
    }
    let records = mine
        .iter()
        .filter_map(|r| folder.read_record(&r.key))
        .collect::<Result<Vec<_>, _>>()?;
    crate::folder::write_atomic(&folder.results(), results::csv(&records).as_bytes())?;
    Ok(Summary {
        total: mine.len(),
        already,
        ran: todo.len(),
        failed: records.iter().filter(|r| r.failed()).count(),
        keys: todo.iter().map(|r| r.key.clone()).collect(),
    })
}

/// Runs one run of `plan`: its record (failed, with the error, when it
/// did not complete) and the events it replayed.
pub fn execute(plan: &Plan, run: &Run, runtime: &Runtime) -> (RunRecord, u64) {
    let mut record = RunRecord {
        schema: RUN_SCHEMA.into(),
        key: run.key.clone(),
        workload: run.workload.clone(),
        input: run.input.display().to_string(),
        runtime: match run.kind {
            Kind::Platform => "platform".into(),
            Kind::Trace(_) => "unknown".into(),
        },
        config: plan.label(run).to_string(),
        params: plan.machines[run.machine].params.clone(),
        mode: run.kind.mode_name(),
        seed: run.seed,
        outcome: Outcome::Failed {
            error: String::new(),
        },
    };
    let result = catch_unwind(AssertUnwindSafe(|| {
        outcome(run, runtime, &mut record.runtime)
    }));
    let (outcome, events) = match result {
        Ok(Ok(done)) => done,
        Ok(Err(error)) => (Outcome::Failed { error }, 0),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(no message)".into());
            let error = format!("{}: the run panicked: {what}", run.input.display());
            (Outcome::Failed { error }, 0)
        }
    };
    record.outcome = match outcome {
        Outcome::Failed { error } => Outcome::Failed {
            error: crate::experiment::one_line(&error),
        },
        done => done,
    };
    (record, events)
}

/// What `run` gives, and the events it replayed; sets `runtime` once the
/// trace is open.
fn outcome(run: &Run, runtime: &Runtime, name: &mut String) -> Result<(Outcome, u64), String> {
    match run.kind {
        Kind::Trace(mode) => {
            let file = TraceFile::open(&run.input).map_err(|e| e.to_string())?;
            *name = runtime(&file);
            let stats =
                replay_one(&run.config, mode, &file, &run.input).map_err(|e| e.to_string())?;
            let events = stats.events;
            Ok((
                Outcome::Replayed {
                    events,
                    stats: RunStats::of(&stats),
                },
                events,
            ))
        }
        Kind::Platform => {
            let done = memento_platform::run::run(
                &run.input,
                Some(run.config.clone()),
                &memento_platform::run::Quiet,
            )
            .map_err(|e| e.to_string())?;
            let report = serde_json::to_value(&done.report).map_err(|e| e.to_string())?;
            Ok((Outcome::Platform { report }, 0))
        }
    }
}
