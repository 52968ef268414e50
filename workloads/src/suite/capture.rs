//! Captures of the suite: one `memento capture --roi` run per function,
//! split into its cold start and its warm invocations.
//!
//! The driver opens the ROI before invocation 0 and closes it after the
//! last, so the capture holds exactly the invocations. [`split`] cuts it
//! after `invocation end 0`: `NAME-cold.mtrace` is invocation 0 (imports,
//! input, first call), `NAME-warm.mtrace` the later ones. Each part is a
//! complete ROI (an `ROI end` is added to the cold part, an `ROI begin`
//! and the current thread to the warm one) and carries the capture's
//! header and metadata (threads, modules), so both replay and symbolise on
//! their own. Objects allocated in the cold start and freed in a warm
//! invocation show in the warm part as frees of unknown addresses.

use std::path::{Path, PathBuf};
use std::process::Command;

use memento_trace::{Event, TraceError, TraceFile, TraceFileWriter};

use super::build::Prepared;
use super::manifest::Function;
use super::run::{expected_result, run_checked, RunError};

/// What to capture.
#[derive(Clone, Debug)]
pub struct CaptureRequest<'a> {
    /// The function.
    pub function: &'a Function,
    /// How to run it.
    pub prepared: &'a Prepared,
    /// Invocations in the one process (at least 2: a cold and a warm one).
    pub invocations: u32,
    /// Use the function's small `sample` input.
    pub sample: bool,
    /// Folder of the two traces.
    pub out_dir: &'a Path,
    /// The `memento` executable whose `capture` subcommand traces the run.
    pub memento: &'a Path,
}

/// The two traces of one capture.
#[derive(Clone, Debug)]
pub struct CaptureOutput {
    /// Invocation 0.
    pub cold: PathBuf,
    /// Invocations 1 and later.
    pub warm: PathBuf,
    /// Events in each part.
    pub events: [u64; 2],
}

/// Why a capture failed.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// The function could not be run, or gave a wrong result.
    #[error(transparent)]
    Run(#[from] RunError),
    /// The captured trace could not be read or a part not written.
    #[error(transparent)]
    Trace(#[from] TraceError),
    /// A trace without the invocation markers the driver writes.
    #[error("{path}: {message}")]
    Markers {
        /// The trace.
        path: PathBuf,
        /// What is missing.
        message: String,
    },
}

/// The paths of `name`'s cold and warm traces in `dir`.
pub fn trace_paths(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    (
        dir.join(format!("{name}-cold.mtrace")),
        dir.join(format!("{name}-warm.mtrace")),
    )
}

/// Captures the function and writes its cold and warm traces (each
/// atomically; on failure neither is replaced).
pub fn capture(request: &CaptureRequest) -> Result<CaptureOutput, CaptureError> {
    let function = request.function;
    expected_result(function, request.sample)?;
    if request.invocations < 2 {
        return Err(RunError::Failed(format!(
            "{}: a capture needs at least 2 invocations (one cold, one warm)",
            function.name
        ))
        .into());
    }
    std::fs::create_dir_all(request.out_dir)
        .map_err(|e| RunError::Failed(format!("{}: {e}", request.out_dir.display())))?;
    let (cold, warm) = trace_paths(request.out_dir, &function.name);
    // The whole capture, removed whatever happens once it is split.
    let whole = request.out_dir.join(format!(
        ".{}.capture.{}.mtrace",
        function.name,
        std::process::id()
    ));
    let _cleanup = RemoveOnDrop(whole.clone());
    let mut command = Command::new(request.memento);
    command
        .arg("capture")
        .arg("--roi")
        .arg("--workload")
        .arg(&function.name)
        .arg("--out")
        .arg(&whole)
        .arg("--")
        .arg(&request.prepared.program);
    request
        .prepared
        .append_args(&mut command, request.invocations);
    run_checked(function, command, request.invocations, request.sample)?;
    let events = split(&whole, &cold, &warm)?;
    Ok(CaptureOutput { cold, warm, events })
}

struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Splits a capture after `invocation end 0` into `cold` and `warm`
/// (module docs); returns the events written to each.
pub fn split(whole: &Path, cold: &Path, warm: &Path) -> Result<[u64; 2], CaptureError> {
    let markers = |message: &str| CaptureError::Markers {
        path: whole.to_path_buf(),
        message: message.to_string(),
    };
    let trace = TraceFile::open(whole)?;
    let metadata = trace.metadata()?;
    let mut parts = [
        TraceFileWriter::create(cold, trace.header())?,
        TraceFileWriter::create(warm, trace.header())?,
    ];
    for part in &mut parts {
        for thread in &metadata.threads {
            part.writer().add_thread(thread.clone());
        }
        for module in &metadata.modules {
            part.writer().add_module(module.clone());
        }
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |e: std::io::Error| TraceError::file(&path, memento_trace::ErrorKind::Io(e))
    };
    let mut part = 0;
    let mut thread = None;
    let mut warm_invocations = 0u64;
    for event in trace.events() {
        let event = event?;
        if part == 1 {
            if let Event::InvocationBegin { .. } = event {
                warm_invocations += 1;
            }
        }
        parts[part].push(&event).map_err(io([cold, warm][part]))?;
        match event {
            Event::Thread { tid } => thread = Some(tid),
            Event::InvocationEnd { id: 0 } if part == 0 => {
                parts[0].push(&Event::RoiEnd).map_err(io(cold))?;
                part = 1;
                if let Some(tid) = thread {
                    parts[1].push(&Event::Thread { tid }).map_err(io(warm))?;
                }
                parts[1].push(&Event::RoiBegin).map_err(io(warm))?;
            }
            _ => {}
        }
    }
    if part == 0 {
        return Err(markers(
            "no `invocation end 0`: was the run marked (ROI and invocations)?",
        ));
    }
    if warm_invocations == 0 {
        return Err(markers("no warm invocation after invocation 0"));
    }
    let [c, w] = parts;
    let cold_summary = c.finish()?;
    let warm_summary = w.finish()?;
    Ok([cold_summary.events, warm_summary.events])
}
