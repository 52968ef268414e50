//! The `memento` command line: parses arguments and calls the crates.

mod capture_cmd;
mod compare_cmd;
mod config_cmd;
mod replay_cmd;
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
    /// Compare the baseline, Memento and the ideal Mallacc on traces (or
    /// saved results): speedup, DRAM traffic by cause, memory, where the
    /// gain comes from, beside the paper's figures.
    Compare(compare_cmd::CompareArgs),
    /// Show and check machine configurations.
    #[command(subcommand)]
    Config(config_cmd::ConfigCommand),
    /// Generate and run workloads.
    #[command(subcommand)]
    Workloads(workloads_cmd::WorkloadsCommand),
    /// Run a program and capture its trace (Valgrind, or --alloc-only).
    Capture(capture_cmd::CaptureArgs),
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Trace(command) => trace_cmd::run(command),
        Command::Workloads(command) => workloads_cmd::run(command),
        Command::Replay(args) => replay_cmd::run(args),
        Command::Compare(args) => compare_cmd::run(args),
        Command::Config(command) => config_cmd::run(command),
        Command::Capture(args) => capture_cmd::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(UserError { message, causes }) => {
            eprintln!("memento: error: {message}");
            if cli.verbose || std::env::var_os("RUST_BACKTRACE").is_some() {
                for cause in causes {
                    eprintln!("  caused by: {cause}");
                }
            }
            ExitCode::from(2)
        }
    }
}
