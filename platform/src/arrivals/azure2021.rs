//! The Azure Functions 2021 trace
//! (`AzureFunctionsInvocationTraceForTwoWeeksJan2021.txt`, Zhang et al.,
//! SOSP 2021): one row per invocation with its end time and duration in
//! seconds. Each invocation arrives at `end - duration`.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;

use super::csv::{self, CsvReader};
use super::{Arrival, Schedule, ScheduleError, TraceFunction};

/// The file's header.
pub const HEADER: [&str; 4] = ["app", "func", "end_timestamp", "duration"];

/// Reads the trace: functions identified by (app, func) in the order the
/// file first names them, arrivals at `end - duration` relative to the
/// earliest start, each with its duration. The span runs from the earliest
/// start to the latest end.
pub fn load(path: impl AsRef<Path>) -> Result<Schedule, ScheduleError> {
    let path = path.as_ref();
    read(path, csv::open(path)?)
}

fn read(path: &Path, reader: impl BufRead) -> Result<Schedule, ScheduleError> {
    let header: Vec<String> = HEADER.iter().map(|s| s.to_string()).collect();
    let mut csv = CsvReader::new(
        path,
        reader,
        "Azure Functions 2021",
        &header,
        &header.join(","),
    )?;
    let mut functions: Vec<TraceFunction> = Vec::new();
    let mut index: HashMap<(String, String), u32> = HashMap::new();
    // (start, function, duration) in microseconds from the trace's zero.
    let mut starts: Vec<(u64, u32, u64)> = Vec::new();
    let mut last_end = 0u64;
    while let Some(row) = csv.next_row()? {
        for i in 0..2 {
            if row.get(i).is_empty() {
                return Err(row.error(
                    i,
                    "is empty".to_string(),
                    "fill in the name or remove the row",
                ));
            }
        }
        let time = |i: usize| {
            parse_seconds_us(row.get(i)).ok_or_else(|| {
                row.error(
                    i,
                    "is not a time in seconds (a decimal number)".to_string(),
                    "fix the row or remove it",
                )
            })
        };
        let (end, duration) = (time(2)?, time(3)?);
        if duration < 0 {
            return Err(row.error(
                3,
                "is a negative duration".to_string(),
                "fix the row or remove it",
            ));
        }
        if end < 0 {
            return Err(row.error(
                2,
                "is a negative time".to_string(),
                "fix the row or remove it",
            ));
        }
        if duration > end {
            return Err(row.error(
                3,
                format!(
                    "is longer than the end_timestamp {}, so the invocation would start \
                     before the trace (start = end - duration < 0)",
                    row.get(2)
                ),
                "fix the row or remove it",
            ));
        }
        let key = (row.get(0).to_string(), row.get(1).to_string());
        let function = match index.get(&key) {
            Some(&f) => f,
            None => {
                let f = u32::try_from(functions.len()).map_err(|_| {
                    row.error(
                        1,
                        "is past the 2^32 functions a schedule can hold".to_string(),
                        "read a smaller file",
                    )
                })?;
                functions.push(TraceFunction::new(row.get(0), row.get(1), 0));
                index.insert(key, f);
                f
            }
        };
        // Both are >= 0 and duration <= end, checked above.
        let (end, duration) = (end as u64, duration as u64);
        starts.push((end - duration, function, duration));
        last_end = last_end.max(end);
    }
    let first = starts.iter().map(|s| s.0).min().unwrap_or(0);
    let arrivals = starts
        .into_iter()
        .map(|(start, function, duration)| Arrival {
            at_us: start - first,
            function,
            duration_us: Some(duration),
        })
        .collect();
    Ok(Schedule::from_parts(functions, arrivals, last_end - first))
}

/// Largest time accepted, in seconds: far past the trace's two weeks, and
/// small enough that microseconds fit an `i64` with room to subtract.
const MAX_SECONDS: u64 = 1_000_000_000_000;

/// A decimal number of seconds as whole microseconds (rounded half up past
/// the sixth decimal), read digit by digit so that `0.1` is exactly 100000
/// us; exponent notation goes through `f64`. `None` when it is not a number.
pub fn parse_seconds_us(text: &str) -> Option<i64> {
    let (negative, body) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let magnitude = if body.contains(['e', 'E']) {
        let v: f64 = body.parse().ok()?;
        if !v.is_finite() || v < 0.0 || v >= MAX_SECONDS as f64 {
            return None;
        }
        (v * 1e6).round() as i64
    } else {
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
            return None;
        }
        // Leading zeros do not count towards the size limit.
        let int = int.trim_start_matches('0');
        if int.len() > 13 {
            return None;
        }
        let seconds: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
        if seconds >= MAX_SECONDS {
            return None;
        }
        let mut micros = 0u64;
        let mut fb = frac.bytes();
        for _ in 0..6 {
            micros = micros * 10 + u64::from(fb.next().map_or(0, |b| b - b'0'));
        }
        if fb.next().is_some_and(|b| b >= b'5') {
            micros += 1;
        }
        (seconds * 1_000_000 + micros) as i64
    };
    Some(if negative { -magnitude } else { magnitude })
}

#[cfg(test)]
mod tests {
    use super::parse_seconds_us;

    #[test]
    fn decimal_seconds_convert_exactly_to_microseconds() {
        assert_eq!(parse_seconds_us("0.1"), Some(100_000));
        assert_eq!(parse_seconds_us("12"), Some(12_000_000));
        assert_eq!(parse_seconds_us(".5"), Some(500_000));
        assert_eq!(parse_seconds_us("1.0000005"), Some(1_000_001));
        assert_eq!(parse_seconds_us("1.00000049"), Some(1_000_000));
        assert_eq!(parse_seconds_us("-2.5"), Some(-2_500_000));
        assert_eq!(parse_seconds_us("1e-3"), Some(1_000));
        for bad in ["", "-", ".", "1.2.3", "x", "1,5", "inf", "NaN", "1e400"] {
            assert_eq!(parse_seconds_us(bad), None, "{bad}");
        }
    }
}
