//! Native runs: start the driver, read its invocation lines, check them.

use std::process::Command;
use std::time::Duration;

use super::build::Prepared;
use super::manifest::Function;

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

/// Checks a run's invocations: the count, the order, one cold start first,
/// and every result equal to the manifest's `expected`.
pub fn check(function: &Function, invocations: u32, got: &[Invocation]) -> Result<(), RunError> {
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
        if inv.result != function.expected {
            return Err(RunError::WrongResult {
                name: function.name.clone(),
                id: inv.id,
                got: inv.result.clone(),
                expected: function.expected.clone(),
            });
        }
    }
    Ok(())
}

/// Runs `function` natively for `invocations` invocations in one process
/// and returns the checked invocations.
pub fn run_native(
    function: &Function,
    prepared: &Prepared,
    invocations: u32,
) -> Result<Vec<Invocation>, RunError> {
    let output = Command::new(&prepared.program)
        .args(&prepared.args)
        .arg("--invocations")
        .arg(invocations.to_string())
        .envs(prepared.env.iter().map(|(k, v)| (k, v)))
        .output()
        .map_err(|e| {
            RunError::Failed(format!(
                "{}: cannot start {}: {e}",
                function.name,
                prepared.program.display()
            ))
        })?;
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
    check(function, invocations, &got)?;
    Ok(got)
}
