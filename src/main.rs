//! The `memento` command line: parses arguments and calls the crates.

mod capture_cmd;
mod trace_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Memento: capture, replay and compare hardware memory management for
/// serverless functions.
#[derive(Parser)]
#[command(name = "memento", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Inspect and convert traces.
    #[command(subcommand)]
    Trace(trace_cmd::TraceCommand),
    /// Run a program and capture its trace (Valgrind, or --alloc-only).
    Capture(capture_cmd::CaptureArgs),
}

/// A failure the user can act on: printed as one line, exit status 2.
pub struct UserError(pub String);

impl<E: std::fmt::Display> From<E> for UserError {
    fn from(error: E) -> Self {
        UserError(error.to_string())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Trace(command) => trace_cmd::run(command),
        Command::Capture(args) => capture_cmd::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(UserError(message)) => {
            eprintln!("memento: error: {message}");
            ExitCode::from(2)
        }
    }
}
