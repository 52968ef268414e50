//! `memento batch`: an experiment file's runs in parallel, resumable,
//! sharded for a Slurm job array, and merged.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, Subcommand};
use memento_analysis::record::RunRecord;
use memento_analysis::table::{Align, Table};
use memento_batch::folder::Folder;
use memento_batch::{merge, run, slurm, Experiment, Plan, Shard};

use crate::replay_cmd::runtime_of;
use crate::UserError;

/// `memento batch ...`.
#[derive(Subcommand)]
pub enum BatchCommand {
    /// Run an experiment (or one shard of it) into a folder: one JSON
    /// record per run in DIR/runs, the table in DIR/results.csv. Runs
    /// already done there are skipped, failed ones run again.
    Run(RunArgs),
    /// Print the plan (key, shard, workload, config, mode, seed), or a
    /// Slurm job-array script that runs its shards.
    Plan(PlanArgs),
    /// Join the folders of a plan's shards into one, checking that no run
    /// is missing or doubled.
    Merge(MergeArgs),
}

/// Arguments of `batch run`.
#[derive(Args)]
pub struct RunArgs {
    /// The experiment file (TOML; see batch/README.md).
    experiment: PathBuf,
    /// The output folder.
    #[arg(long)]
    out: PathBuf,
    /// Runs at once, at least 1 [default: one per core].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..4096))]
    jobs: Option<u64>,
    /// Only shard i of N (i from 0): the runs at plan positions i, i+N, ...
    #[arg(long, value_name = "i/N")]
    shard: Option<Shard>,
}

/// Arguments of `batch plan`.
#[derive(Args)]
pub struct PlanArgs {
    /// The experiment file.
    experiment: PathBuf,
    /// Shards to split the plan into.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..100_000))]
    shards: u32,
    /// Print a job-array script for this scheduler instead of the table.
    #[arg(long, value_enum, requires = "out")]
    emit: Option<Emit>,
    /// The output folder the script's tasks write into (DIR/shard-i).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write the script to this file (made executable) instead of stdout.
    #[arg(long, requires = "emit")]
    script: Option<PathBuf>,
    /// Threads per array task (sets --cpus-per-task) [default: Slurm's one].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..4096))]
    jobs: Option<u32>,
}

/// A scheduler `batch plan` writes scripts for.
#[derive(Clone, Copy, clap::ValueEnum)]
enum Emit {
    /// A Slurm job array (`sbatch SCRIPT`).
    Slurm,
}

/// Arguments of `batch merge`.
#[derive(Args)]
pub struct MergeArgs {
    /// The shards' folders.
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// The folder to merge into (may be one of them).
    #[arg(long)]
    out: PathBuf,
    /// Take a run found in two folders once when the two records are the
    /// same byte for byte (different records are always an error).
    #[arg(long)]
    allow_duplicates: bool,
}

/// Runs a `batch` command; exit status 1 when some runs failed.
pub fn run(command: BatchCommand) -> Result<ExitCode, UserError> {
    match command {
        BatchCommand::Run(args) => run_batch(args),
        BatchCommand::Plan(args) => plan(args).map(|()| ExitCode::SUCCESS),
        BatchCommand::Merge(args) => merge_folders(args),
    }
}

/// The progress line: runs done of all, events per second, ETA.
struct Bar {
    bar: indicatif::ProgressBar,
    started: Instant,
    events: std::sync::atomic::AtomicU64,
}

impl run::Progress for Bar {
    fn start(&self, to_run: u64, _already: u64) {
        self.bar.set_length(to_run);
    }

    fn finished(&self, _record: &RunRecord, events: u64) {
        use std::sync::atomic::Ordering;
        let all = self.events.fetch_add(events, Ordering::Relaxed) + events;
        let rate = all as f64 / self.started.elapsed().as_secs_f64().max(1e-9);
        self.bar
            .set_message(format!("{:.1} M events/s", rate / 1e6));
        self.bar.inc(1);
    }
}

fn run_batch(args: RunArgs) -> Result<ExitCode, UserError> {
    let exp = Experiment::load(&args.experiment)?;
    let plan = Plan::of(&exp)?;
    crate::set_interrupt_note(format!(
        "finished runs are kept in {}; run the same command again to resume",
        Folder::at(&args.out).runs().display()
    ));
    let bar = Bar {
        bar: indicatif::ProgressBar::new(0).with_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {pos}/{len} runs, {msg} {elapsed} (eta {eta})",
            )
            .expect("valid template"),
        ),
        started: Instant::now(),
        events: Default::default(),
    };
    let summary = run::run(
        &exp,
        &plan,
        &args.out,
        args.shard.unwrap_or(Shard::ALL),
        args.jobs.map(|j| j as usize),
        &runtime_of,
        &bar,
    );
    bar.bar.finish_and_clear();
    let summary = summary?;
    eprintln!(
        "ran {} of {} runs, {} already done, in {:.2} s",
        summary.ran,
        summary.total,
        summary.already,
        bar.started.elapsed().as_secs_f64()
    );
    let results = Folder::at(&args.out).results();
    if summary.failed > 0 {
        eprintln!(
            "memento: {} of {} runs failed (their errors are in {})",
            summary.failed,
            summary.total,
            results.display()
        );
        return Ok(ExitCode::from(1));
    }
    eprintln!("results in {}", results.display());
    Ok(ExitCode::SUCCESS)
}

fn absolute(path: &Path) -> Result<PathBuf, UserError> {
    std::path::absolute(path)
        .map_err(|e| UserError::new(format!("{}: cannot make it absolute: {e}", path.display())))
}

fn plan(args: PlanArgs) -> Result<(), UserError> {
    let exp = Experiment::load(&args.experiment)?;
    let plan = Plan::of(&exp)?;
    let Some(Emit::Slurm) = args.emit else {
        let mut table = Table::new(&[
            ("key", Align::Left),
            ("shard", Align::Right),
            ("workload", Align::Left),
            ("config", Align::Left),
            ("mode", Align::Left),
            ("seed", Align::Right),
        ]);
        for r in &plan.runs {
            table.row(vec![
                r.key.clone(),
                Shard::of(r.index, args.shards).to_string(),
                r.workload.clone(),
                plan.label(r).to_string(),
                r.kind.mode_name(),
                r.seed.to_string(),
            ]);
        }
        print!("{}", table.render());
        return Ok(());
    };
    let out = absolute(args.out.as_ref().expect("clap requires --out with --emit"))?;
    std::fs::create_dir_all(&out)
        .map_err(|e| UserError::new(format!("{}: cannot create it: {e}", out.display())))?;
    let binary = std::env::current_exe()
        .map_err(|e| UserError::new(format!("cannot find the memento binary: {e}")))?;
    let text = slurm::Script {
        binary: &binary,
        experiment: &absolute(&args.experiment)?,
        out: &out,
        shards: args.shards,
        jobs: args.jobs,
    }
    .render();
    match &args.script {
        None => print!("{text}"),
        Some(path) => {
            memento_batch::folder::write_atomic(path, text.as_bytes())?;
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
                .map_err(|e| UserError::new(format!("{}: {e}", path.display())))?;
        }
    }
    Ok(())
}

fn merge_folders(args: MergeArgs) -> Result<ExitCode, UserError> {
    let merged = merge::merge(&args.dirs, &args.out, args.allow_duplicates)?;
    eprintln!(
        "merged {} runs of {} folders into {}",
        merged.runs,
        args.dirs.len(),
        args.out.display()
    );
    if merged.failed > 0 {
        eprintln!(
            "memento: {} of {} runs failed (their errors are in {})",
            merged.failed,
            merged.runs,
            Folder::at(&args.out).results().display()
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
