//! `memento workloads ...`: the synthetic generator.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use memento_trace::{Header, TraceFileWriter};
use memento_workloads::synth::{self, Profile};

use crate::UserError;

/// Workload subcommands.
#[derive(Subcommand)]
pub enum WorkloadsCommand {
    /// Generate a synthetic trace from a profile (a preset name or a TOML
    /// file): sizes, lifetimes and accesses as published for Memento.
    Synth(SynthArgs),
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
    }
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
