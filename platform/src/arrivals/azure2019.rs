//! The Azure Functions 2019 trace (Shahrad et al., "Serverless in the
//! Wild", USENIX ATC 2020): one file per day of invocations per function
//! per minute, with optional per-function durations and per-application
//! memory.
//!
//! The trace only gives counts per minute, so each minute's invocations are
//! spread over it, either evenly ([`Spread::Uniform`]) or at random
//! ([`Spread::Poisson`]).

use std::collections::HashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use super::csv::{self, CsvReader, Row};
use super::{
    substream, Arrival, DurationStats, MemoryStats, Schedule, ScheduleError, TraceFunction,
    US_PER_MIN,
};

/// Minutes in one day's file.
pub const MINUTES_PER_DAY: u32 = 1440;

/// The format's name in errors.
const FORMAT: &str = "Azure Functions 2019";

/// How each minute's count becomes arrival instants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Spread {
    /// `n` arrivals at `(k + 0.5) / n` of the minute, `k` in `0..n`:
    /// exact and the same on every run.
    #[default]
    Uniform,
    /// `n` independent uniform instants in the minute: a Poisson process
    /// conditioned on the minute's count. Each (function row, minute) has
    /// its own stream, so reading fewer minutes keeps the earlier ones.
    Poisson {
        /// The seed; the same seed gives the same instants.
        seed: u64,
    },
}

/// One day's files. Only the invocations file is required.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Azure2019Files {
    /// `invocations_per_function_md.anon.dNN.csv`.
    pub invocations: PathBuf,
    /// `function_durations_percentiles.anon.dNN.csv`, if wanted.
    pub durations: Option<PathBuf>,
    /// `app_memory_percentiles.anon.dNN.csv`, if wanted.
    pub memory: Option<PathBuf>,
}

impl Azure2019Files {
    /// Only an invocations file.
    pub fn invocations_only(path: impl Into<PathBuf>) -> Self {
        Azure2019Files {
            invocations: path.into(),
            durations: None,
            memory: None,
        }
    }

    /// Day `day` (1-based, as the trace numbers them) in `dir` under the
    /// trace's own file names. The optional files are taken when present
    /// (the trace ships memory for days 1-12 only).
    pub fn for_day(dir: impl AsRef<Path>, day: u32) -> Self {
        let dir = dir.as_ref();
        let optional = |name: String| {
            let p = dir.join(name);
            p.exists().then_some(p)
        };
        Azure2019Files {
            invocations: dir.join(format!("invocations_per_function_md.anon.d{day:02}.csv")),
            durations: optional(format!("function_durations_percentiles.anon.d{day:02}.csv")),
            memory: optional(format!("app_memory_percentiles.anon.d{day:02}.csv")),
        }
    }
}

/// How to read a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Azure2019Options {
    /// How each minute's count is spread over the minute.
    pub spread: Spread,
    /// Read only the first this many minutes (1..=1440) for small runs;
    /// `None` reads the whole day. Later minutes are still checked.
    pub minutes: Option<u32>,
}

/// The invocations file's header.
pub fn invocations_header() -> Vec<String> {
    let mut h: Vec<String> = ["HashOwner", "HashApp", "HashFunction", "Trigger"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    h.extend((1..=MINUTES_PER_DAY).map(|m| m.to_string()));
    h
}

/// The durations file's header.
pub const DURATIONS_HEADER: [&str; 14] = [
    "HashOwner",
    "HashApp",
    "HashFunction",
    "Average",
    "Count",
    "Minimum",
    "Maximum",
    "percentile_Average_0",
    "percentile_Average_1",
    "percentile_Average_25",
    "percentile_Average_50",
    "percentile_Average_75",
    "percentile_Average_99",
    "percentile_Average_100",
];

/// The memory file's header.
pub const MEMORY_HEADER: [&str; 12] = [
    "HashOwner",
    "HashApp",
    "SampleCount",
    "AverageAllocatedMb",
    "AverageAllocatedMb_pct1",
    "AverageAllocatedMb_pct5",
    "AverageAllocatedMb_pct25",
    "AverageAllocatedMb_pct50",
    "AverageAllocatedMb_pct75",
    "AverageAllocatedMb_pct95",
    "AverageAllocatedMb_pct99",
    "AverageAllocatedMb_pct100",
];

/// Reads one day: the functions in the order the invocations file first
/// names them, with durations joined by (owner, app, function) and memory
/// by (owner, app) when those files are given. A function listed twice has
/// its rows' counts added.
pub fn load(files: &Azure2019Files, options: &Azure2019Options) -> Result<Schedule, ScheduleError> {
    let minutes = match options.minutes {
        None => MINUTES_PER_DAY,
        Some(m) if (1..=MINUTES_PER_DAY).contains(&m) => m,
        Some(m) => {
            return Err(ScheduleError::Parameter {
                name: "minutes",
                value: m.to_string(),
                requirement: format!("must be 1..={MINUTES_PER_DAY} (a day has 1440 minutes)"),
            })
        }
    };
    let path = &files.invocations;
    let mut day = read_invocations(path, csv::open(path)?, options.spread, minutes)?;
    if let Some(path) = &files.durations {
        read_durations(path, csv::open(path)?, &mut day)?;
    }
    if let Some(path) = &files.memory {
        read_memory(path, csv::open(path)?, &mut day)?;
    }
    Ok(Schedule::from_parts(
        day.functions,
        day.arrivals,
        u64::from(minutes) * US_PER_MIN,
    ))
}

/// A day being read: functions, their owners (for the joins) and arrivals.
struct Day {
    functions: Vec<TraceFunction>,
    owners: Vec<String>,
    index: HashMap<(String, String, String), u32>,
    arrivals: Vec<Arrival>,
}

/// A trace name field: non-empty.
fn name<'a>(row: &Row<'a>, i: usize) -> Result<&'a str, ScheduleError> {
    let v = row.get(i);
    if v.is_empty() {
        return Err(row.error(
            i,
            "is empty".to_string(),
            "fill in the name or remove the row",
        ));
    }
    Ok(v)
}

fn read_invocations(
    path: &Path,
    reader: impl BufRead,
    spread: Spread,
    minutes: u32,
) -> Result<Day, ScheduleError> {
    let header = invocations_header();
    let mut csv = CsvReader::new(
        path,
        reader,
        FORMAT,
        &header,
        "HashOwner,HashApp,HashFunction,Trigger,1,2,...,1440",
    )?;
    let mut day = Day {
        functions: Vec::new(),
        owners: Vec::new(),
        index: HashMap::new(),
        arrivals: Vec::new(),
    };
    let mut rows = 0u64;
    while let Some(row) = csv.next_row()? {
        let (owner, app, func) = (name(&row, 0)?, name(&row, 1)?, name(&row, 2)?);
        let key = (owner.to_string(), app.to_string(), func.to_string());
        let function = match day.index.get(&key) {
            Some(&f) => f,
            None => {
                let f = u32::try_from(day.functions.len()).map_err(|_| {
                    row.error(
                        2,
                        "is past the 2^32 functions a schedule can hold".to_string(),
                        "read a smaller file",
                    )
                })?;
                let mut tf = TraceFunction::new(app, func, 0);
                tf.trigger = Some(row.get(3).to_string());
                day.functions.push(tf);
                day.owners.push(owner.to_string());
                day.index.insert(key, f);
                f
            }
        };
        for m in 0..MINUTES_PER_DAY {
            let col = 4 + m as usize;
            let n = row.count(col, "a count of invocations")?;
            if n > US_PER_MIN {
                return Err(row.error(
                    col,
                    "is more than one invocation per microsecond, finer than a schedule's clock"
                        .to_string(),
                    "fix the row or remove it",
                ));
            }
            if m < minutes {
                let key = rows * u64::from(MINUTES_PER_DAY) + u64::from(m);
                spread_minute(&mut day.arrivals, function, m, n, spread, key);
            }
        }
        rows += 1;
    }
    Ok(day)
}

/// Appends `n` arrivals of `function` in minute `m`.
fn spread_minute(out: &mut Vec<Arrival>, function: u32, m: u32, n: u64, spread: Spread, key: u64) {
    let start = u64::from(m) * US_PER_MIN;
    match spread {
        Spread::Uniform => out.extend((0..n).map(|k| {
            // (k + 0.5) / n of the minute, in integers: (2k + 1) * min / 2n.
            let offset = u128::from(2 * k + 1) * u128::from(US_PER_MIN) / u128::from(2 * n);
            Arrival {
                at_us: start + offset as u64,
                function,
                duration_us: None,
            }
        })),
        Spread::Poisson { seed } => {
            if n == 0 {
                return;
            }
            let mut rng = substream(seed, key);
            out.extend((0..n).map(|_| Arrival {
                at_us: start + rng.below(US_PER_MIN),
                function,
                duration_us: None,
            }));
        }
    }
}

fn read_durations(path: &Path, reader: impl BufRead, day: &mut Day) -> Result<(), ScheduleError> {
    let header: Vec<String> = DURATIONS_HEADER.iter().map(|s| s.to_string()).collect();
    let mut csv = CsvReader::new(path, reader, FORMAT, &header, &header.join(","))?;
    while let Some(row) = csv.next_row()? {
        let key = (
            name(&row, 0)?.to_string(),
            name(&row, 1)?.to_string(),
            name(&row, 2)?.to_string(),
        );
        let what = "a duration in milliseconds";
        let mut percentiles_ms = [0.0; 7];
        for (i, p) in percentiles_ms.iter_mut().enumerate() {
            *p = row.non_negative(7 + i, what)?;
        }
        let stats = DurationStats {
            average_ms: row.non_negative(3, what)?,
            count: row.count(4, "a count of executions")?,
            minimum_ms: row.non_negative(5, what)?,
            maximum_ms: row.non_negative(6, what)?,
            percentiles_ms,
        };
        // Functions with no invocations that day are not in the schedule.
        if let Some(&f) = day.index.get(&key) {
            day.functions[f as usize].duration.get_or_insert(stats);
        }
    }
    Ok(())
}

fn read_memory(path: &Path, reader: impl BufRead, day: &mut Day) -> Result<(), ScheduleError> {
    let header: Vec<String> = MEMORY_HEADER.iter().map(|s| s.to_string()).collect();
    let mut csv = CsvReader::new(path, reader, FORMAT, &header, &header.join(","))?;
    let mut apps: HashMap<(String, String), MemoryStats> = HashMap::new();
    while let Some(row) = csv.next_row()? {
        let key = (name(&row, 0)?.to_string(), name(&row, 1)?.to_string());
        let what = "a memory size in MB";
        let mut percentiles_mb = [0.0; 8];
        for (i, p) in percentiles_mb.iter_mut().enumerate() {
            *p = row.non_negative(4 + i, what)?;
        }
        let stats = MemoryStats {
            samples: row.count(2, "a count of samples")?,
            average_mb: row.non_negative(3, what)?,
            percentiles_mb,
        };
        apps.entry(key).or_insert(stats);
    }
    for (f, owner) in day.functions.iter_mut().zip(&day.owners) {
        if let Some(stats) = apps.get(&(owner.clone(), f.app.clone())) {
            f.memory_mb = Some(stats.clone());
        }
    }
    Ok(())
}
