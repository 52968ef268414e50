//! The `memento` command line: parses arguments and calls the crates.

mod batch_cmd;
mod capture_cmd;
mod compare_cmd;
mod config_cmd;
mod dram_cmd;
mod platform_cmd;
mod replay_cmd;
mod report_cmd;
mod trace_cmd;
mod workloads_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Memento: capture, replay and compare hardware memory management for
/// serverless functions.
#[derive(Parser)]
#[command(name = "memento", version, about, long_about = None)]
struct Cli {
    /// On an error, also print the errors that caused it.
    #[arg(long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Inspect and convert traces.
    #[command(subcommand)]
    Trace(trace_cmd::TraceCommand),
    /// Replay traces on the machine model and print cycles, caches, TLBs,
    /// page faults and DRAM traffic by cause.
    Replay(replay_cmd::ReplayArgs),
    /// Replay a DRAM request trace (DRAMsim3 or Ramulator text) through
    /// the DRAM model alone: read latency, bandwidth, row hits, refreshes.
    Dram(dram_cmd::DramArgs),
    /// Compare the baseline, Memento and the ideal Mallacc on traces (or
    /// saved results): speedup, DRAM traffic by cause, memory, where the
    /// gain comes from, beside the paper's figures.
    Compare(compare_cmd::CompareArgs),
    /// A batch folder's runs as a Markdown report with plots: DRAM traffic
    /// by cause, cycles, speedup, memory, sensitivity to each swept
    /// parameter, and the hot allocation code.
    Report(report_cmd::ReportArgs),
    /// Show and check machine configurations.
    #[command(subcommand)]
    Config(config_cmd::ConfigCommand),
    /// Generate and run workloads.
    #[command(subcommand)]
    Workloads(workloads_cmd::WorkloadsCommand),
    /// Run a program and capture its trace (Valgrind, or --alloc-only).
    Capture(capture_cmd::CaptureArgs),
    /// A serverless node on the machine model: keep-alive, snapshots and
    /// harvesting under real or generated arrivals.
    #[command(subcommand)]
    Platform(platform_cmd::PlatformCommand),
    /// Batch experiments: an experiment file's traces x machines x sweeps x
    /// seeds x modes, in parallel, resumable, sharded for Slurm, merged.
    #[command(subcommand)]
    Batch(batch_cmd::BatchCommand),
}

/// A failure the user can act on: printed as one line, exit status 2;
/// the errors that caused it follow with `--verbose` or `RUST_BACKTRACE`.
pub struct UserError {
    /// The one line.
    pub message: String,
    /// The chain of errors beneath it, outermost first.
    pub causes: Vec<String>,
}

impl UserError {
    /// A failure with no error beneath it.
    pub fn new(message: impl Into<String>) -> UserError {
        UserError {
            message: message.into(),
            causes: Vec::new(),
        }
    }
}

impl<E: std::error::Error> From<E> for UserError {
    fn from(error: E) -> Self {
        let mut causes = Vec::new();
        let mut source = error.source();
        while let Some(e) = source {
            causes.push(e.to_string());
            source = e.source();
        }
        UserError {
            message: error.to_string(),
            causes,
        }
    }
}

/// An error message as one line: a message of several lines (a TOML parse
/// error shows the line at fault and a caret) keeps its first line, which
/// says where, and its last, which says what.
fn one_line(message: &str) -> String {
    let mut lines = message.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("").trim_end_matches(':');
    match lines.next_back() {
        Some(last) if last != first => format!("{first}: {last}"),
        _ => first.to_string(),
    }
}

/// Unix tools end quietly when the reader of their output goes away
/// (`memento ... --csv | head -1`): restore the default action of SIGPIPE,
/// which Rust's runtime ignores (every later `println!` would panic).
fn die_quietly_on_broken_pipe() {
    // SAFETY: setting a signal's disposition to its default has no
    // preconditions; no handler of ours is replaced.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
}

/// What an interrupt leaves, for commands whose finished outputs survive
/// it (`batch run`): said instead of "no output was written".
static INTERRUPT_NOTE: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Sets what the interrupt message says is left.
pub fn set_interrupt_note(note: String) {
    let _ = INTERRUPT_NOTE.set(note);
}

/// On Ctrl-C (or SIGTERM, SIGHUP) removes the temporary files and folders
/// of outputs in flight, so nothing partial is left, and exits with the
/// shell's status for an interrupt.
fn clean_up_on_interrupt() {
    let installed = ctrlc::set_handler(|| {
        memento_trace::atomic::remove_unfinished();
        match INTERRUPT_NOTE.get() {
            Some(note) => eprintln!("memento: interrupted; {note}"),
            None => eprintln!("memento: interrupted; no output was written"),
        }
        std::process::exit(130);
    });
    if let Err(e) = installed {
        eprintln!(
            "memento: warning: cannot handle Ctrl-C ({e}); an interrupt may leave temporary files"
        );
    }
}

/// Parses the command line; a usage error is one line, exit status 2
/// (help and version print as usual).
fn parse() -> Result<Cli, ExitCode> {
    use clap::error::ErrorKind;
    match Cli::try_parse() {
        Ok(cli) => Ok(cli),
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            let _ = e.print();
            Err(ExitCode::SUCCESS)
        }
        Err(e) if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            eprintln!("memento: error: a subcommand is required (see --help)");
            Err(ExitCode::from(2))
        }
        Err(e) => {
            let rendered = e.render().to_string();
            let first = rendered.lines().next().unwrap_or("invalid arguments");
            let first = first.strip_prefix("error: ").unwrap_or(first);
            eprintln!("memento: error: {first} (see --help)");
            Err(ExitCode::from(2))
        }
    }
}

fn main() -> ExitCode {
    die_quietly_on_broken_pipe();
    let cli = match parse() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    clean_up_on_interrupt();
    let done = |r: Result<(), UserError>| r.map(|()| ExitCode::SUCCESS);
    let result = match cli.command {
        Command::Trace(command) => done(trace_cmd::run(command)),
        Command::Workloads(command) => done(workloads_cmd::run(command)),
        Command::Replay(args) => done(replay_cmd::run(args)),
        Command::Dram(args) => done(dram_cmd::run(args)),
        Command::Compare(args) => done(compare_cmd::run(args)),
        Command::Report(args) => done(report_cmd::run(args)),
        Command::Config(command) => done(config_cmd::run(command)),
        Command::Capture(args) => done(capture_cmd::run(args)),
        Command::Platform(command) => done(platform_cmd::run(command)),
        Command::Batch(command) => batch_cmd::run(command),
    };
    match result {
        Ok(code) => code,
        Err(UserError {
            message,
            mut causes,
        }) => {
            let line = one_line(&message);
            if line != message {
                causes.insert(0, message);
            }
            eprintln!("memento: error: {line}");
            if cli.verbose || std::env::var_os("RUST_BACKTRACE").is_some() {
                for cause in causes {
                    eprintln!("  caused by: {cause}");
                }
            }
            ExitCode::from(2)
        }
    }
}
