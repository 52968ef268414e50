//! `memento workloads ...`: the synthetic generator and the function suite.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use memento_analysis::profile::{self, TraceProfile};
use memento_trace::{Header, TraceFileWriter};
use memento_workloads::suite::{self, CaptureRequest, Function, Manifest};
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
    /// Capture functions with `memento capture --roi`: per function a cold
    /// trace (invocation 0, with imports) and a warm one (the others).
    Capture(CaptureArgs),
    /// Characterise traces: allocations, sizes, lifetimes in same-class
    /// allocations, peak live bytes, the allocator's share of the work.
    Profile(ProfileArgs),
}

/// Arguments of `workloads capture`.
#[derive(Args)]
pub struct CaptureArgs {
    /// Functions to capture (see `memento workloads list`).
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    names: Vec<String>,
    /// Capture every function of the suite.
    #[arg(long)]
    all: bool,
    /// Invocations in the one process, at least 2 (default: the manifest's).
    #[arg(long)]
    invocations: Option<u32>,
    /// Use the function's small sample input (manifest `[function.sample]`).
    #[arg(long)]
    sample: bool,
    /// Folder of the traces NAME-cold.mtrace and NAME-warm.mtrace
    /// [default: workloads/.traces].
    #[arg(long)]
    out_dir: Option<PathBuf>,
}

/// Arguments of `workloads profile`.
#[derive(Args)]
pub struct ProfileArgs {
    /// Trace files, or function names (their traces in --dir).
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    traces: Vec<String>,
    /// Every function of the suite that has traces in --dir.
    #[arg(long)]
    all: bool,
    /// For function names, the cold trace instead of the warm one.
    #[arg(long)]
    cold: bool,
    /// Folder of the captured traces [default: workloads/.traces].
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Add rows pooling the traces' allocations: one per runtime and one
    /// for all (counts summed; peak live is the largest).
    #[arg(long)]
    pooled: bool,
    /// Print Markdown tables.
    #[arg(long, conflicts_with = "json")]
    markdown: bool,
    /// Print JSON (the whole summaries).
    #[arg(long)]
    json: bool,
}

/// Arguments of `workloads run`.
#[derive(Args)]
pub struct RunArgs {
    /// The function's name (see `memento workloads list`).
    name: String,
    /// Invocations in the one process (default: the manifest's).
    #[arg(long)]
    invocations: Option<u32>,
    /// Use the function's small sample input (manifest `[function.sample]`).
    #[arg(long)]
    sample: bool,
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
        WorkloadsCommand::Capture(args) => capture_cmd(args),
        WorkloadsCommand::Profile(args) => profile_cmd(args),
    }
}

/// The functions called `names`, all of them or one error naming every
/// unknown name and the suite's names.
fn lookup<'m>(manifest: &'m Manifest, names: &[String]) -> Result<Vec<&'m Function>, UserError> {
    let unknown: Vec<&str> = names
        .iter()
        .filter(|n| manifest.get(n).is_none())
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        return Err(UserError::new(format!(
            "no workload {}; the suite has: {}",
            unknown
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", "),
            manifest.names().join(", ")
        )));
    }
    Ok(names
        .iter()
        .map(|n| manifest.get(n).expect("checked above"))
        .collect())
}

fn traces_dir(dir: Option<PathBuf>) -> PathBuf {
    dir.unwrap_or_else(|| suite::workloads_dir().join(".traces"))
}

fn capture_cmd(args: CaptureArgs) -> Result<(), UserError> {
    let manifest = load_manifest()?;
    let functions = if args.all {
        manifest.functions.iter().collect()
    } else {
        lookup(&manifest, &args.names)?
    };
    if let Some(n) = args.invocations.filter(|&n| n < 2) {
        return Err(UserError::new(format!(
            "--invocations {n}: a capture needs at least 2 (one cold, one warm)"
        )));
    }
    // Every function must have what was asked before any is captured.
    for function in &functions {
        suite::expected_result(function, args.sample)?;
    }
    let out_dir = traces_dir(args.out_dir.clone());
    let memento = std::env::current_exe()
        .map_err(|e| UserError::new(format!("cannot find the memento executable: {e}")))?;
    let mut failed = Vec::new();
    for function in functions {
        match capture_one(function, &args, &out_dir, &memento) {
            Ok(()) => {}
            // One function failing does not stop --all; all are reported.
            Err(UserError { message, .. }) if args.all => {
                eprintln!("memento: error: {message}");
                failed.push(function.name.as_str());
            }
            Err(error) => return Err(error),
        }
    }
    match failed.len() {
        0 => Ok(()),
        _ => Err(UserError::new(format!(
            "capture failed for: {}",
            failed.join(", ")
        ))),
    }
}

fn capture_one(
    function: &Function,
    args: &CaptureArgs,
    out_dir: &Path,
    memento: &Path,
) -> Result<(), UserError> {
    let prepared = suite::prepare(function, &suite::workloads_dir())?;
    let start = std::time::Instant::now();
    let output = suite::capture(&CaptureRequest {
        function,
        prepared: &prepared,
        invocations: args.invocations.unwrap_or(function.invocations.max(2)),
        sample: args.sample,
        out_dir,
        memento,
    })?;
    if let Some(limit) = function.runtime.tracing_limit() {
        eprintln!("note: {}: {limit}", function.name);
    }
    eprintln!(
        "{}: {} ({} events), {} ({} events) in {:.1} s",
        function.name,
        output.cold.display(),
        output.events[0],
        output.warm.display(),
        output.events[1],
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

fn profile_cmd(args: ProfileArgs) -> Result<(), UserError> {
    let dir = traces_dir(args.dir);
    let pick = |name: &str| {
        let (cold, warm) = suite::capture::trace_paths(&dir, name);
        let phase = if args.cold { "cold" } else { "warm" };
        (
            format!("{name} {phase}"),
            if args.cold { cold } else { warm },
        )
    };
    let mut wanted: Vec<(String, PathBuf)> = Vec::new();
    if args.all {
        let manifest = load_manifest()?;
        for name in manifest.names() {
            let (label, path) = pick(name);
            if path.exists() {
                wanted.push((label, path));
            } else {
                eprintln!("memento: note: {name}: no {} (skipped)", path.display());
            }
        }
        if wanted.is_empty() {
            return Err(UserError::new(format!(
                "{}: no captured traces; run `memento workloads capture --all` first",
                dir.display()
            )));
        }
    } else {
        let manifest = load_manifest()?;
        for arg in &args.traces {
            let path = Path::new(arg);
            if path.is_file() || arg.ends_with(".mtrace") {
                let label = path
                    .file_stem()
                    .map_or(arg.clone(), |s| s.to_string_lossy().into_owned());
                wanted.push((label, path.to_path_buf()));
            } else {
                lookup(&manifest, std::slice::from_ref(arg))?;
                wanted.push(pick(arg));
            }
        }
    }
    let mut profiles = Vec::new();
    for (label, path) in wanted {
        let info = crate::trace_cmd::info_of(&path, false)?;
        profiles.push(TraceProfile {
            label,
            runtime: info.header.runtime,
            summary: info.summary,
        });
    }
    if args.pooled {
        let pooled = profile::pooled(&profiles);
        profiles.extend(pooled);
    }
    if args.json {
        println!("{}", profile::render_json(&profiles));
    } else if args.markdown {
        print!("{}", profile::render_markdown(&profiles));
    } else {
        print!("{}", profile::render_text(&profiles));
    }
    Ok(())
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
    let function = lookup(&manifest, std::slice::from_ref(&args.name))?[0];
    let invocations = args.invocations.unwrap_or(function.invocations);
    if invocations == 0 {
        return Err(UserError::new("--invocations must be at least 1"));
    }
    let prepared = suite::prepare(function, &suite::workloads_dir())?;
    let got = suite::run_native(function, &prepared, invocations, args.sample)?;
    if let Some(limit) = function.runtime.tracing_limit() {
        println!("note: {limit}");
    }
    println!(
        "{} ({}): result {}",
        function.name, function.runtime, got[0].result
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
            .map_err(|e| UserError::new(format!("{}: {e}", path.display())))?;
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
            .map_err(|m| UserError::new(format!("--allocations: {m}")))?;
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
        .map_err(|e| UserError::new(format!("{}: {e}", out.display())))?;
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
