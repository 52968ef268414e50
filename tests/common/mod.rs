//! Helpers shared by the command-line tests: running `memento` and reading
//! what it printed. (Each test binary uses some of them.)
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the `memento` binary with `args`, without RUST_BACKTRACE (whose
/// presence adds the error chain to a failure's one line).
pub fn memento(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_memento"))
        .env_remove("RUST_BACKTRACE")
        .args(args)
        .output()
        .expect("memento runs")
}

/// A file of `traces/samples/`.
pub fn sample_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("traces/samples")
        .join(name)
}

/// What the run printed on stdout.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What the run printed on stderr.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The JSON the run printed, once it succeeded.
pub fn json(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", stderr(out));
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// Checks a refused run: status 2 and one line naming each of `what`.
pub fn refused(out: &Output, what: &[&str]) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    for w in what {
        assert!(err.contains(w), "{w}: {err}");
    }
}
