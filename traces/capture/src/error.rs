//! What can go wrong in a capture, each with what the user can do about it.

use std::path::PathBuf;

/// A failed capture. No output file is left behind in any of these cases.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// The Valgrind tool could not be built on this machine.
    #[error(
        "the memento Valgrind tool was not built: {0}; then rebuild memento, or use --alloc-only"
    )]
    ToolNotBuilt(String),
    /// `valgrind` is not on `PATH`.
    #[error("valgrind not found on PATH (Debian: apt-get install valgrind), or use --alloc-only")]
    ValgrindNotFound,
    /// The command to trace does not exist.
    #[error("{0}: command not found")]
    CommandNotFound(String),
    /// No command was given.
    #[error("no command to capture: give it after `--`")]
    NoCommand,
    /// The traced command failed.
    #[error("`{command}` {status}; no trace written")]
    CommandFailed {
        /// The command line.
        command: String,
        /// How it ended, e.g. `exited with status 3`.
        status: String,
    },
    /// The program ended without the capture writing a trace.
    #[error("`{0}` ran but no trace was written (did it exit through _exit or exec a program the capture cannot follow?)")]
    NoTrace(String),
    /// The trace written does not read back.
    #[error("the captured trace is damaged: {0}")]
    BadTrace(#[from] memento_trace::TraceError),
    /// A file system operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}
