//! `memento platform run`: a serverless node on the machine model, under a
//! scenario's arrivals and policies, for the baseline and Memento side by
//! side.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use memento_platform::{print, run};

use crate::UserError;

/// `memento platform ...`.
#[derive(Subcommand)]
pub enum PlatformCommand {
    /// Run a scenario (TOML): latency, starts, memory, DRAM traffic and
    /// cost per mode.
    Run(RunArgs),
    /// Check the memoised costs a run charges against a full replay of
    /// every instance (each on a core of its own, its cold trace then one
    /// warm trace per warm start): for small scenarios without snapshots.
    Check(CheckArgs),
}

/// Arguments of `platform check`.
#[derive(Args)]
pub struct CheckArgs {
    /// The scenario file (snapshot policy `never`).
    scenario: PathBuf,
    /// Most instances to replay (one core each).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=256))]
    max_instances: u32,
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
        PlatformCommand::Check(args) => check_scenario(args),
    }
}

/// The two progress lines of a scenario run: function costs, then
/// invocations.
struct Bars {
    measuring: indicatif::ProgressBar,
    simulating: indicatif::ProgressBar,
}

impl Bars {
    fn new() -> Bars {
        let bar = |template: &str| {
            indicatif::ProgressBar::new(0).with_style(
                indicatif::ProgressStyle::with_template(template).expect("valid template"),
            )
        };
        Bars {
            measuring: bar("{spinner} measuring {pos}/{len} function costs {elapsed}"),
            simulating: bar("{spinner} {pos}/{len} invocations {elapsed} (eta {eta})"),
        }
    }
}

impl run::Progress for Bars {
    fn measuring(&self, total: u64) {
        self.measuring.set_length(total);
    }

    fn measured_one(&self) {
        self.measuring.inc(1);
    }

    fn simulating(&self, total: u64) {
        self.measuring.finish_and_clear();
        self.simulating.set_length(total);
    }

    fn simulated(&self, done: u64) {
        self.simulating.set_position(done);
    }
}

fn run_scenario(args: RunArgs) -> Result<(), UserError> {
    let bars = Bars::new();
    let outcome = run::run(&args.scenario, None, &bars);
    bars.measuring.finish_and_clear();
    bars.simulating.finish_and_clear();
    let run::Outcome {
        report,
        measured,
        simulated,
    } = outcome?;
    if args.timing {
        let n: u64 = report.arrivals * report.modes.len() as u64;
        eprintln!(
            "costs measured in {:.2} s; {n} invocations simulated in {:.3} s ({:.0} per second)",
            measured.as_secs_f64(),
            simulated.as_secs_f64(),
            n as f64 / simulated.as_secs_f64().max(1e-9)
        );
    }
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

fn check_scenario(args: CheckArgs) -> Result<(), UserError> {
    let bars = Bars::new();
    let checks = run::check(&args.scenario, None, args.max_instances, &bars);
    bars.measuring.finish_and_clear();
    bars.simulating.finish_and_clear();
    print!(
        "{}",
        print::check(&args.scenario.display().to_string(), &checks?)
    );
    Ok(())
}
