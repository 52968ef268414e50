//! Invocation arrivals: when each function of a serverless node is invoked.
//!
//! A [`Schedule`] comes from a public trace ([`azure2019`], [`azure2021`])
//! or from a seeded generator ([`generate`]); [`mapping`] then assigns each
//! of the trace's functions to one of the functions we captured.
//!
//! Times are whole microseconds from the schedule's start: fine enough for
//! the 2021 trace's sub-millisecond durations, and integers keep schedules
//! exactly reproducible and comparable.

use std::fmt;
use std::path::PathBuf;

use thiserror::Error;

pub mod azure2019;
pub mod azure2021;
mod csv;
pub mod generate;
pub mod mapping;

/// Microseconds in a second.
pub const US_PER_S: u64 = 1_000_000;
/// Microseconds in a minute (the 2019 trace's bin).
pub const US_PER_MIN: u64 = 60 * US_PER_S;

/// One function of a trace.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceFunction {
    /// The application the function belongs to (2019: `HashApp`, 2021: `app`).
    pub app: String,
    /// The function's name (2019: `HashFunction`, 2021: `func`).
    pub name: String,
    /// How many arrivals of this function the schedule holds.
    pub invocations: u64,
    /// The trigger kind where the trace gives it (2019: `http`, `timer`, ...).
    pub trigger: Option<String>,
    /// Execution-time statistics where the trace gives them (2019's
    /// optional durations file).
    pub duration: Option<DurationStats>,
    /// Allocated memory of the function's application in MB, where the
    /// trace gives it (2019's optional memory file).
    pub memory_mb: Option<MemoryStats>,
}

impl TraceFunction {
    /// A function with no trigger, duration or memory statistics.
    pub fn new(app: impl Into<String>, name: impl Into<String>, invocations: u64) -> Self {
        TraceFunction {
            app: app.into(),
            name: name.into(),
            invocations,
            trigger: None,
            duration: None,
            memory_mb: None,
        }
    }
}

/// A function's execution time in milliseconds, as the 2019 trace
/// summarises it (its percentiles are of per-worker averages).
#[derive(Clone, Debug, PartialEq)]
pub struct DurationStats {
    /// Mean execution time.
    pub average_ms: f64,
    /// How many executions the statistics cover.
    pub count: u64,
    /// Shortest execution.
    pub minimum_ms: f64,
    /// Longest execution.
    pub maximum_ms: f64,
    /// Percentiles 0, 1, 25, 50, 75, 99 and 100, in that order.
    pub percentiles_ms: [f64; 7],
}

/// The percentiles [`DurationStats::percentiles_ms`] holds.
pub const DURATION_PERCENTILES: [u32; 7] = [0, 1, 25, 50, 75, 99, 100];

/// An application's allocated memory in MB, as the 2019 trace summarises it.
#[derive(Clone, Debug, PartialEq)]
pub struct MemoryStats {
    /// How many samples the statistics cover.
    pub samples: u64,
    /// Mean allocated memory.
    pub average_mb: f64,
    /// Percentiles 1, 5, 25, 50, 75, 95, 99 and 100, in that order.
    pub percentiles_mb: [f64; 8],
}

/// The percentiles [`MemoryStats::percentiles_mb`] holds.
pub const MEMORY_PERCENTILES: [u32; 8] = [1, 5, 25, 50, 75, 95, 99, 100];

/// One invocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Arrival {
    /// When it arrives, in microseconds from the schedule's start.
    pub at_us: u64,
    /// Which function, as an index into [`Schedule::functions`].
    pub function: u32,
    /// How long it ran, in microseconds, where the trace records each
    /// invocation's time (2021); `None` otherwise.
    pub duration_us: Option<u64>,
}

/// A trace's functions and their arrivals, sorted by time then function.
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    /// The functions; [`Arrival::function`] indexes this.
    pub functions: Vec<TraceFunction>,
    /// The arrivals, sorted by `(at_us, function, duration_us)`.
    pub arrivals: Vec<Arrival>,
    /// The length of the window the schedule covers, in microseconds (a
    /// 2019 day read for M minutes covers M minutes even when its last
    /// minutes are empty).
    pub span_us: u64,
}

impl Schedule {
    /// A schedule from its parts: sorts the arrivals and sets each
    /// function's invocation count from them, so the two always agree.
    pub fn from_parts(
        functions: Vec<TraceFunction>,
        mut arrivals: Vec<Arrival>,
        span_us: u64,
    ) -> Self {
        arrivals.sort_unstable();
        let mut functions = functions;
        for f in &mut functions {
            f.invocations = 0;
        }
        for a in &arrivals {
            // The readers and generators only make in-range indices.
            if let Some(f) = functions.get_mut(a.function as usize) {
                f.invocations += 1;
            }
        }
        Schedule {
            functions,
            arrivals,
            span_us,
        }
    }

    /// The mean arrival rate over the schedule's span, per minute.
    pub fn rate_per_min(&self) -> f64 {
        if self.span_us == 0 {
            return 0.0;
        }
        self.arrivals.len() as f64 * US_PER_MIN as f64 / self.span_us as f64
    }
}

/// Why a schedule could not be read or made. Messages name the file, the
/// 1-based line and the column, say what is wrong and what to do.
#[derive(Debug, Error)]
pub enum ScheduleError {
    /// The file does not exist.
    #[error("{}: no such file; check the path (the trace files are not in the repository: download them, or use the fixtures in platform/fixtures)", path.display())]
    Missing {
        /// The path asked for.
        path: PathBuf,
    },
    /// The file could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        /// The path asked for.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file has no header line.
    #[error("{file}: the file is empty; expected a header line '{expected}'")]
    Empty {
        /// The file.
        file: String,
        /// The header the format expects.
        expected: String,
    },
    /// A line is not UTF-8 text.
    #[error("{file}:{line}: the line is not UTF-8 text; is this the right file?")]
    NotText {
        /// The file.
        file: String,
        /// The line, from 1.
        line: usize,
    },
    /// The header does not match the format.
    #[error("{file}:{line}: the header does not match the {format} format: expected columns '{expected}', found '{found}'; is this the right file?")]
    Header {
        /// The file.
        file: String,
        /// The header's line, from 1.
        line: usize,
        /// The format expected.
        format: &'static str,
        /// The columns the format expects.
        expected: String,
        /// The header found (shortened when long).
        found: String,
    },
    /// A row has more or fewer fields than the header.
    #[error("{file}:{line}: column {column} {problem} (the row has {found} fields, the header {expected}); fix the row or remove it")]
    FieldCount {
        /// The file.
        file: String,
        /// The line, from 1.
        line: usize,
        /// The first missing column, or the first extra one.
        column: Column,
        /// `"is missing"` or `"is extra"`.
        problem: &'static str,
        /// The header's field count.
        expected: usize,
        /// The row's field count.
        found: usize,
    },
    /// A field's value is wrong.
    #[error("{file}:{line}: column {column}: '{value}' {problem}; {fix}")]
    Field {
        /// The file.
        file: String,
        /// The line, from 1.
        line: usize,
        /// The column.
        column: Column,
        /// The field's text (shortened when long).
        value: String,
        /// What is wrong, e.g. "is not a count of invocations".
        problem: String,
        /// What to do.
        fix: &'static str,
    },
    /// A generator's parameter is out of range.
    #[error("generator parameter '{name}' = {value}: {requirement}")]
    Parameter {
        /// The parameter.
        name: &'static str,
        /// Its value.
        value: String,
        /// What it must be.
        requirement: String,
    },
}

/// A column, by its header name or, without one, its 1-based number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Column {
    /// A named column.
    Named(String),
    /// A column numbered from 1.
    Number(usize),
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Column::Named(name) => write!(f, "'{name}'"),
            Column::Number(n) => write!(f, "#{n}"),
        }
    }
}

/// An independent generator for `key` under `seed`: results for one
/// function (or one minute) do not shift when others are added or dropped.
pub(crate) fn substream(seed: u64, key: u64) -> memento_workloads::rng::Rng {
    // Mixing the key first keeps two streams from being one SplitMix64
    // sequence shifted by a few steps.
    let mixed = memento_workloads::rng::Rng::new(key).next_u64();
    memento_workloads::rng::Rng::new(seed ^ mixed)
}
