//! Native runs: start the driver, read its invocation lines, check them.

use std::process::{Command, Output};
use std::time::Duration;

use super::build::Prepared;
use super::manifest::{Function, INPUT_SIZE_VAR};

/// One invocation as the driver reported it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invocation {
    /// 0 for the first.
    pub id: u32,
    /// The first invocation of the process (imports, input, first call).
    pub cold: bool,
    /// Wall time of the invocation, measured inside the process.
    pub elapsed: Duration,
    /// What the handler returned.
    pub result: String,
}

/// Why a function could not be run or gave a wrong answer.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The environment is missing (venv, node_modules).
    #[error("{0}")]
    Setup(String),
    /// g++ or cargo failed.
    #[error("{0}")]
    Build(String),
    /// The process failed or printed something unexpected.
    #[error("{0}")]
    Failed(String),
    /// An invocation's result differs from the manifest.
    #[error("{name}: invocation {id} returned `{got}`, expected `{expected}`")]
    WrongResult {
        /// The function.
        name: String,
        /// The invocation.
        id: u32,
        /// What it printed.
        got: String,
        /// What the manifest says.
        expected: String,
    },
}

const PREFIX: &str = "memento-invocation ";

/// Parses one driver line (`memento-invocation ID cold|warm NS RESULT`);
/// `None` for any other line.
pub fn parse_line(line: &str) -> Option<Invocation> {
    let rest = line.strip_prefix(PREFIX)?;
    let mut parts = rest.splitn(4, ' ');
    let id = parts.next()?.parse().ok()?;
    let cold = match parts.next()? {
        "cold" => true,
        "warm" => false,
        _ => return None,
    };
    let nanos = parts.next()?.parse().ok()?;
    let result = parts.next()?.to_string();
    Some(Invocation {
        id,
        cold,
        elapsed: Duration::from_nanos(nanos),
        result,
    })
}

/// The result a run must print: the manifest's `expected`, or the sample's.
pub fn expected_result(function: &Function, sample: bool) -> Result<String, RunError> {
    match (sample, &function.sample) {
        (false, _) => Ok(function.expected.clone()),
        (true, Some(s)) => Ok(s.expected.clone()),
        (true, None) => Err(RunError::Setup(format!(
            "{}: no sample input (the manifest has no [function.sample] for it)",
            function.name
        ))),
    }
}

/// Checks a run's invocations: the count, the order, one cold start first,
/// and every result equal to `expected` (the manifest's, or its sample's).
pub fn check(
    function: &Function,
    expected: &str,
    invocations: u32,
    got: &[Invocation],
) -> Result<(), RunError> {
    if got.len() != invocations as usize {
        return Err(RunError::Failed(format!(
            "{}: {} invocations reported, {invocations} expected",
            function.name,
            got.len()
        )));
    }
    for (i, inv) in got.iter().enumerate() {
        if inv.id != i as u32 || inv.cold != (i == 0) {
            return Err(RunError::Failed(format!(
                "{}: invocation line {i} out of order",
                function.name
            )));
        }
        if inv.result != expected {
            return Err(RunError::WrongResult {
                name: function.name.clone(),
                id: inv.id,
                got: inv.result.clone(),
                expected: expected.to_string(),
            });
        }
    }
    Ok(())
}

/// Checks a finished process: its exit status (the last line of its
/// standard error on failure), then its invocation lines with [`check`].
pub fn check_output(
    function: &Function,
    expected: &str,
    invocations: u32,
    output: &Output,
) -> Result<Vec<Invocation>, RunError> {
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().rev().find(|l| !l.trim().is_empty());
        return Err(RunError::Failed(format!(
            "{}: {} ({})",
            function.name,
            output.status,
            last.unwrap_or("no message").trim()
        )));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let got: Vec<Invocation> = stdout.lines().filter_map(parse_line).collect();
    check(function, expected, invocations, &got)?;
    Ok(got)
}

/// Runs `command` (a run of `function`, under the capture tool or not)
/// to its end, on the function's sample input when `sample` is set, and
/// checks what it printed against the manifest.
pub(crate) fn run_checked(
    function: &Function,
    mut command: Command,
    invocations: u32,
    sample: bool,
) -> Result<Vec<Invocation>, RunError> {
    let expected = expected_result(function, sample)?;
    match (&function.sample, sample) {
        (Some(s), true) => command.env(INPUT_SIZE_VAR, s.size.to_string()),
        _ => command.env_remove(INPUT_SIZE_VAR),
    };
    let output = command.output().map_err(|e| {
        RunError::Failed(format!(
            "{}: cannot start {}: {e}",
            function.name,
            command.get_program().to_string_lossy()
        ))
    })?;
    check_output(function, &expected, invocations, &output)
}

/// Runs `function` natively for `invocations` invocations in one process
/// (on its small `sample` input when `sample` is set) and returns the
/// checked invocations.
pub fn run_native(
    function: &Function,
    prepared: &Prepared,
    invocations: u32,
    sample: bool,
) -> Result<Vec<Invocation>, RunError> {
    run_checked(function, prepared.command(invocations), invocations, sample)
}
