//! `memento workloads ...`: the synthetic generator and the function suite.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use memento_trace::{Header, TraceFileWriter};
use memento_workloads::suite::{self, Manifest, Runtime};
use memento_workloads::synth::{self, Profile};

use crate::UserError;

/// Workload subcommands.
#[derive(Subcommand)]
pub enum WorkloadsCommand {
    /// Generate a synthetic trace from a profile (a preset name or a TOML
    /// file): sizes, lifetimes and accesses as published for Memento.
    Synth(SynthArgs),
    /// List the function suite: name, runtime, role, packages.
    List,
    /// Run one function natively, check its result and print the timing of
    /// each invocation (cold = the first, warm = the rest).
    Run(RunArgs),
}

/// Arguments of `workloads run`.
#[derive(Args)]
pub struct RunArgs {
    /// The function's name (see `memento workloads list`).
    name: String,
    /// Invocations in the one process (default: the manifest's).
    #[arg(long)]
    invocations: Option<u32>,
}

/// Arguments of `workloads synth`.
#[derive(Args)]
pub struct SynthArgs {
    /// Preset (paper, python, cpp) or a profile TOML file.
    #[arg(long)]
    profile: String,
    /// Output trace; written atomically.
    #[arg(long, required_unless_present = "show")]
    out: Option<PathBuf>,
    /// Seed of the generator: the same seed gives the same trace.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Override the profile's number of allocations.
    #[arg(long)]
    allocations: Option<u64>,
    /// Print the profile as TOML (a start for your own) and exit.
    #[arg(long)]
    show: bool,
}

/// Runs a workloads subcommand.
pub fn run(command: WorkloadsCommand) -> Result<(), UserError> {
    match command {
        WorkloadsCommand::Synth(args) => synth_cmd(args),
        WorkloadsCommand::List => list_cmd(),
        WorkloadsCommand::Run(args) => run_cmd(args),
    }
}

fn load_manifest() -> Result<Manifest, UserError> {
    Ok(Manifest::load(
        &suite::workloads_dir().join("manifest.toml"),
    )?)
}

fn list_cmd() -> Result<(), UserError> {
    let manifest = load_manifest()?;
    println!("{:<11} {:<7} {:<42} packages", "name", "runtime", "role");
    for f in &manifest.functions {
        let packages = if f.packages.is_empty() {
            "-".to_string()
        } else {
            f.packages.join(", ")
        };
        println!(
            "{:<11} {:<7} {:<42} {packages}",
            f.name,
            f.runtime.to_string(),
            f.role
        );
    }
    Ok(())
}

fn run_cmd(args: RunArgs) -> Result<(), UserError> {
    let manifest = load_manifest()?;
    let function = manifest.get(&args.name).ok_or_else(|| {
        UserError(format!(
            "no workload `{}`; the suite has: {}",
            args.name,
            manifest.names().join(", ")
        ))
    })?;
    let invocations = args.invocations.unwrap_or(function.invocations);
    if invocations == 0 {
        return Err(UserError("--invocations must be at least 1".into()));
    }
    let prepared = suite::prepare(function, &suite::workloads_dir())?;
    let got = suite::run_native(function, &prepared, invocations)?;
    if function.runtime == Runtime::Node {
        println!("note: V8 allocates JavaScript objects in its own heap, which malloc tracing does not see");
    }
    println!(
        "{} ({}): result {}",
        function.name, function.runtime, function.expected
    );
    for inv in &got {
        let kind = if inv.cold { "cold" } else { "warm" };
        println!(
            "  invocation {:>3} {kind} {:>10.3} ms",
            inv.id,
            inv.elapsed.as_secs_f64() * 1e3
        );
    }
    if got.len() > 1 {
        let warm: Vec<f64> = got[1..].iter().map(|i| i.elapsed.as_secs_f64()).collect();
        let mean = warm.iter().sum::<f64>() / warm.len() as f64;
        println!("  warm mean {:>10.3} ms over {}", mean * 1e3, warm.len());
    }
    Ok(())
}

fn load_profile(name: &str) -> Result<Profile, UserError> {
    let path = std::path::Path::new(name);
    if name.ends_with(".toml") || path.exists() {
        let text = std::fs::read_to_string(path)
            .map_err(|e| UserError(format!("{}: {e}", path.display())))?;
        return Ok(Profile::from_toml(&text, name)?);
    }
    Ok(Profile::preset(name)?)
}

fn synth_cmd(args: SynthArgs) -> Result<(), UserError> {
    let mut profile = load_profile(&args.profile)?;
    if let Some(allocations) = args.allocations {
        profile.allocations = allocations;
        profile
            .validate()
            .map_err(|m| UserError(format!("--allocations: {m}")))?;
    }
    if args.show {
        print!("{}", profile.to_toml());
        return Ok(());
    }
    let out = args.out.expect("clap requires --out without --show");
    let header = Header {
        producer: format!("memento workloads synth {}", env!("CARGO_PKG_VERSION")),
        workload: profile.name.clone(),
        runtime: "synthetic".into(),
        command_line: format!(
            "memento workloads synth --profile {} --seed {} --allocations {}",
            args.profile, args.seed, profile.allocations
        ),
        page_size: 4096,
        ..Header::default()
    };
    let mut writer = TraceFileWriter::create(&out, &header)?;
    let summary = synth::generate(&profile, args.seed, writer.writer())
        .map_err(|e| UserError(format!("{}: {e}", out.display())))?;
    writer.finish()?;
    eprintln!(
        "wrote {}: {} events, {} allocations, {} frees",
        out.display(),
        summary.events,
        summary.allocations,
        summary.frees
    );
    Ok(())
}
