//! The traces' CSV dialect, read by hand: fields split on commas, no
//! quoting (the Azure files never quote, so a quote means a wrong or
//! edited file and is rejected rather than guessed at).

use std::fs::File;
use std::io::{BufRead, BufReader, ErrorKind};
use std::path::Path;

use super::{Column, ScheduleError};

/// Longest field or header text an error message quotes in full.
const QUOTE_LIMIT: usize = 120;

/// Opens `path`, naming it when it is missing.
pub(crate) fn open(path: &Path) -> Result<BufReader<File>, ScheduleError> {
    match File::open(path) {
        Ok(f) => Ok(BufReader::with_capacity(1 << 16, f)),
        Err(e) if e.kind() == ErrorKind::NotFound => Err(ScheduleError::Missing {
            path: path.to_path_buf(),
        }),
        Err(e) => Err(ScheduleError::Io {
            path: path.to_path_buf(),
            source: e,
        }),
    }
}

/// `text`, cut to [`QUOTE_LIMIT`] characters for an error message.
pub(crate) fn shorten(text: &str) -> String {
    if text.chars().count() <= QUOTE_LIMIT {
        text.to_string()
    } else {
        let head: String = text.chars().take(QUOTE_LIMIT).collect();
        format!("{head}...")
    }
}

/// A CSV file whose header has been checked.
pub(crate) struct CsvReader<R> {
    file: String,
    path: std::path::PathBuf,
    reader: R,
    line: usize,
    bytes: Vec<u8>,
    text: String,
    header: Vec<String>,
}

impl<R: BufRead> CsvReader<R> {
    /// Reads the header of `reader` (named `path` in errors) and checks it
    /// is `expected`; `expected_text` is how errors show the expected
    /// columns.
    pub(crate) fn new(
        path: &Path,
        reader: R,
        format: &'static str,
        expected: &[String],
        expected_text: &str,
    ) -> Result<Self, ScheduleError> {
        let mut csv = CsvReader {
            file: path.display().to_string(),
            path: path.to_path_buf(),
            reader,
            line: 0,
            bytes: Vec::new(),
            text: String::new(),
            header: Vec::new(),
        };
        if !csv.next_line()? {
            return Err(ScheduleError::Empty {
                file: csv.file,
                expected: expected_text.to_string(),
            });
        }
        let text = csv.text.strip_prefix('\u{feff}').unwrap_or(&csv.text);
        let found: Vec<String> = text.split(',').map(|f| f.trim().to_string()).collect();
        if found != expected {
            return Err(ScheduleError::Header {
                file: csv.file,
                line: csv.line,
                format,
                expected: expected_text.to_string(),
                found: shorten(text),
            });
        }
        csv.header = found;
        Ok(csv)
    }

    /// The next non-blank line into `self.text`; false at the end.
    fn next_line(&mut self) -> Result<bool, ScheduleError> {
        loop {
            self.bytes.clear();
            let n = self
                .reader
                .read_until(b'\n', &mut self.bytes)
                .map_err(|source| ScheduleError::Io {
                    path: self.path.clone(),
                    source,
                })?;
            if n == 0 {
                return Ok(false);
            }
            self.line += 1;
            while matches!(self.bytes.last(), Some(b'\n' | b'\r')) {
                self.bytes.pop();
            }
            self.text.clear();
            match std::str::from_utf8(&self.bytes) {
                Ok(s) => self.text.push_str(s),
                Err(_) => {
                    return Err(ScheduleError::NotText {
                        file: self.file.clone(),
                        line: self.line,
                    })
                }
            }
            if !self.text.trim().is_empty() {
                return Ok(true);
            }
        }
    }

    /// The next row, with as many fields as the header and none quoted.
    pub(crate) fn next_row(&mut self) -> Result<Option<Row<'_>>, ScheduleError> {
        if !self.next_line()? {
            return Ok(None);
        }
        let fields: Vec<&str> = self.text.split(',').map(str::trim).collect();
        let row = Row {
            file: &self.file,
            line: self.line,
            header: &self.header,
            fields,
        };
        if let Some(i) = row.fields.iter().position(|f| f.contains('"')) {
            return Err(row.error(
                i,
                "contains a quote, which these files never use".to_string(),
                "remove the quotes (this reader does not parse quoted CSV)",
            ));
        }
        let (expected, found) = (row.header.len(), row.fields.len());
        if found != expected {
            let (column, problem) = if found < expected {
                (row.column(found), "is missing")
            } else {
                (row.column(expected), "is extra")
            };
            return Err(ScheduleError::FieldCount {
                file: self.file.clone(),
                line: self.line,
                column,
                problem,
                expected,
                found,
            });
        }
        Ok(Some(row))
    }
}

/// One row of a [`CsvReader`].
pub(crate) struct Row<'a> {
    file: &'a str,
    line: usize,
    header: &'a [String],
    fields: Vec<&'a str>,
}

impl<'a> Row<'a> {
    /// Field `i` (checked to exist by [`CsvReader::next_row`]).
    pub(crate) fn get(&self, i: usize) -> &'a str {
        self.fields[i]
    }

    /// Column `i` (from 0) by its header name.
    fn column(&self, i: usize) -> Column {
        match self.header.get(i) {
            Some(name) => Column::Named(name.clone()),
            None => Column::Number(i + 1),
        }
    }

    /// An error about field `i`.
    pub(crate) fn error(&self, i: usize, problem: String, fix: &'static str) -> ScheduleError {
        ScheduleError::Field {
            file: self.file.to_string(),
            line: self.line,
            column: self.column(i),
            value: shorten(self.fields.get(i).copied().unwrap_or("")),
            problem,
            fix,
        }
    }

    /// Field `i` as a whole number >= 0, described as `what` in errors.
    pub(crate) fn count(&self, i: usize, what: &str) -> Result<u64, ScheduleError> {
        self.get(i).parse::<u64>().map_err(|_| {
            self.error(
                i,
                format!("is not {what} (a whole number >= 0)"),
                "fix the row or remove it",
            )
        })
    }

    /// Field `i` as a finite decimal >= 0, described as `what` in errors.
    pub(crate) fn non_negative(&self, i: usize, what: &str) -> Result<f64, ScheduleError> {
        match self.get(i).parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
            _ => Err(self.error(
                i,
                format!("is not {what} (a decimal number >= 0)"),
                "fix the row or remove it",
            )),
        }
    }
}
