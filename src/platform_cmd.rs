//! `memento platform run`: a serverless node on the machine model, under a
//! scenario's arrivals and policies, for the baseline and Memento side by
//! side.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use memento_platform::report::{ModeReport, Report, SCHEMA};
use memento_platform::scenario::{ModeName, Scenario};
use memento_platform::{measure, node, print};
use rayon::prelude::*;

use crate::replay_cmd::load_config;
use crate::UserError;

/// `memento platform ...`.
#[derive(Subcommand)]
pub enum PlatformCommand {
    /// Run a scenario (TOML): latency, starts, memory, DRAM traffic and
    /// cost per mode.
    Run(RunArgs),
}

/// Arguments of `platform run`.
#[derive(Args)]
pub struct RunArgs {
    /// The scenario file (see platform/README.md, "Scenarios").
    scenario: PathBuf,
    /// Print JSON (schema memento-platform/1).
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// Print CSV, one row per mode and function.
    #[arg(long)]
    csv: bool,
    /// Write the plots (SVG and PNG: memory over time, latency CDF) into
    /// this folder.
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Print on stderr how long the cost measurement and the node
    /// simulation took (host time; for bench/platform.sh).
    #[arg(long)]
    timing: bool,
}

/// Runs a `platform` command.
pub fn run(command: PlatformCommand) -> Result<(), UserError> {
    match command {
        PlatformCommand::Run(args) => run_scenario(args),
    }
}

fn run_scenario(args: RunArgs) -> Result<(), UserError> {
    let scenario = Scenario::load(&args.scenario)?;
    let machine_file = scenario.machine_config();
    let config = load_config(machine_file.as_ref(), scenario.node.preset.as_deref())?;
    let (schedule, assignment) = scenario.schedule()?;
    let functions = scenario.functions();
    let modes: &[ModeName] = &scenario.modes;
    let bar = indicatif::ProgressBar::new((modes.len() * functions.len()) as u64).with_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} measuring {pos}/{len} function costs {elapsed}",
        )
        .expect("valid template"),
    );
    let page = scenario.restore.page_bytes;
    let started = std::time::Instant::now();
    let jobs: Vec<(usize, usize)> = (0..modes.len())
        .flat_map(|m| (0..functions.len()).map(move |f| (m, f)))
        .collect();
    let costs = jobs
        .par_iter()
        .map(|&(m, f)| {
            let others: Vec<_> = functions
                .iter()
                .enumerate()
                .filter(|&(i, _)| i != f || functions.len() == 1)
                .map(|(_, o)| o)
                .collect();
            let cores = scenario.node.cores;
            let c = measure::measure(
                &config,
                modes[m].mode(),
                &functions[f],
                &others,
                cores,
                page,
            );
            bar.inc(1);
            c
        })
        .collect::<Result<Vec<_>, _>>()?;
    bar.finish_and_clear();
    let measured = started.elapsed();
    let bar = indicatif::ProgressBar::new((modes.len() * schedule.arrivals.len()) as u64)
        .with_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {pos}/{len} invocations {elapsed} (eta {eta})",
            )
            .expect("valid template"),
        );
    let policies = scenario.policies();
    let mut reports = Vec::new();
    for (m, name) in modes.iter().enumerate() {
        let costs = &costs[m * functions.len()..(m + 1) * functions.len()];
        let base = (m * schedule.arrivals.len()) as u64;
        let run = node::run(
            scenario.node(),
            &policies,
            &schedule,
            &assignment,
            costs,
            |i| bar.set_position(base + i as u64),
        )
        .map_err(|e| UserError::new(format!("{}: {e}", args.scenario.display())))?;
        reports.push(ModeReport::of(name.name(), &run, scenario.price.per_gb_s));
    }
    bar.finish_and_clear();
    if args.timing {
        let simulated = started.elapsed() - measured;
        let n = modes.len() * schedule.arrivals.len();
        eprintln!(
            "costs measured in {:.2} s; {n} invocations simulated in {:.3} s ({:.0} per second)",
            measured.as_secs_f64(),
            simulated.as_secs_f64(),
            n as f64 / simulated.as_secs_f64().max(1e-9)
        );
    }
    let report = Report {
        schema: SCHEMA,
        scenario: args.scenario.display().to_string(),
        machine: config.name.clone(),
        arrivals: schedule.arrivals.len() as u64,
        modes: reports,
    };
    if let Some(dir) = &args.plot {
        memento_platform::plot::all(&report, dir).map_err(UserError::new)?;
    }
    if args.json {
        println!("{}", print::json(&report));
    } else if args.csv {
        print!("{}", print::csv(&report));
    } else {
        print!("{}", print::text(&report));
    }
    Ok(())
}
