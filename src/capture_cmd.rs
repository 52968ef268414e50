//! `memento capture`: trace a real program.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::Args;
use memento_capture::{CaptureMode, CaptureOptions};

use crate::UserError;

/// Arguments of `capture`.
#[derive(Args)]
pub struct CaptureArgs {
    /// The trace file to write (.mtrace); written only if the capture succeeds.
    #[arg(long)]
    out: PathBuf,
    /// Write only the events between ROI begin and end markers
    /// (`memento_roi_begin/end`; markers are always written).
    #[arg(long)]
    roi: bool,
    /// Record allocations, memory syscalls and markers with an LD_PRELOAD
    /// shim instead of Valgrind: fast, but no instructions, loads or stores.
    #[arg(long)]
    alloc_only: bool,
    /// Workload name for the trace header [default: the program's name].
    #[arg(long)]
    workload: Option<String>,
    /// The program to trace and its arguments.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    command: Vec<OsString>,
}

/// Runs `capture`.
pub fn run(args: CaptureArgs) -> Result<(), UserError> {
    let options = CaptureOptions {
        out: args.out,
        command: args.command,
        roi: args.roi,
        mode: if args.alloc_only {
            CaptureMode::AllocOnly
        } else {
            CaptureMode::Full
        },
        workload: args.workload,
    };
    let report = memento_capture::capture(&options)?;
    eprintln!(
        "captured {} ({} bytes) in {:.2} s",
        report.out.display(),
        report.file_bytes,
        report.seconds
    );
    Ok(())
}
