//! DRAM request traces as text, one request per line, in the two formats
//! the DRAM simulators read:
//!
//! - DRAMsim3: `0x1f40 READ 1234` — hex address, `READ` or `WRITE`, and
//!   the arrival cycle in DRAM clock cycles (decimal);
//! - Ramulator: `0x1f40 R` — hex address and `R` or `W`, no time.
//!
//! Addresses take an optional `0x`. Blank lines are skipped; nothing else
//! is (neither format has comments). The exporter of pre-cache accesses
//! (`export::dram`), the controller's request log (`memento replay
//! --dram-trace`) and the reader of `memento dram` all go through
//! [`write_request`] and [`parse_request`], so the format is known here
//! only.

use std::io::{self, BufRead, Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{ErrorKind, TraceError};
use crate::import::lackey::parse_hex;

/// The largest arrival cycle a DRAMsim3 line may carry: 2^48 DRAM cycles,
/// two days at 1.6 GHz. Larger ones are refused so that arrival plus
/// latency can never overflow.
pub const MAX_CYCLE: u64 = 1 << 48;

/// The longest line read, in bytes: a request takes under 50, and a file
/// that is not text must not be read whole in search of a line end.
pub const MAX_LINE: usize = 4096;

/// Which tool's text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DramStyle {
    /// `0x1f40 READ 1234` (address, command, cycle).
    Dramsim3,
    /// `0x1f40 R` (address, R or W), Ramulator's DRAM trace.
    Ramulator,
}

impl DramStyle {
    /// The name on the command line (`dramsim3`, `ramulator`).
    pub fn name(self) -> &'static str {
        match self {
            DramStyle::Dramsim3 => "dramsim3",
            DramStyle::Ramulator => "ramulator",
        }
    }

    /// The format of a non-blank line, by its number of fields: three are
    /// DRAMsim3's, two Ramulator's; `None` for any other count.
    pub fn detect(line: &str) -> Option<DramStyle> {
        match line.split_ascii_whitespace().count() {
            3 => Some(DramStyle::Dramsim3),
            2 => Some(DramStyle::Ramulator),
            _ => None,
        }
    }

    /// What a line of this format looks like, for error messages.
    fn shape(self) -> &'static str {
        match self {
            DramStyle::Dramsim3 => "`0xADDR READ|WRITE CYCLE`",
            DramStyle::Ramulator => "`0xADDR R|W`",
        }
    }
}

/// One request of a DRAM trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DramRequest {
    /// Physical byte address.
    pub addr: u64,
    /// A write (else a read).
    pub write: bool,
    /// Arrival in DRAM clock cycles (DRAMsim3); `None` in Ramulator's
    /// format, which has no time.
    pub cycle: Option<u64>,
}

/// Writes one request as a line of `style` (the cycle is dropped for
/// Ramulator).
pub fn write_request(
    out: &mut impl Write,
    style: DramStyle,
    addr: u64,
    write: bool,
    cycle: u64,
) -> io::Result<()> {
    match style {
        DramStyle::Dramsim3 => writeln!(
            out,
            "{addr:#x} {} {cycle}",
            if write { "WRITE" } else { "READ" }
        ),
        DramStyle::Ramulator => writeln!(out, "{addr:#x} {}", if write { 'W' } else { 'R' }),
    }
}

/// Parses one line of `style`: `Ok(None)` for a blank line, else the
/// request or what is wrong with the line.
pub fn parse_request(style: DramStyle, line: &str) -> Result<Option<DramRequest>, String> {
    let fields: Vec<&str> = line.split_ascii_whitespace().collect();
    if fields.is_empty() {
        return Ok(None);
    }
    let expected = match style {
        DramStyle::Dramsim3 => 3,
        DramStyle::Ramulator => 2,
    };
    let quoted = || {
        let mut text: String = line.trim_end().chars().take(80).collect();
        if text.len() < line.trim_end().len() {
            text.push_str("...");
        }
        format!("{text:?}")
    };
    let bad = |what: String| {
        Err(format!(
            "{what} in {} (expected {} per line, the {} format)",
            quoted(),
            style.shape(),
            style.name()
        ))
    };
    if fields.len() != expected {
        return bad(format!("{} fields instead of {expected}", fields.len()));
    }
    let Some(addr) = parse_hex(fields[0].as_bytes()) else {
        return bad(format!("bad address `{}`", fields[0]));
    };
    let write = match (style, fields[1]) {
        (DramStyle::Dramsim3, "READ") | (DramStyle::Ramulator, "R") => false,
        (DramStyle::Dramsim3, "WRITE") | (DramStyle::Ramulator, "W") => true,
        (_, other) => return bad(format!("unknown command `{other}`")),
    };
    let cycle = match style {
        DramStyle::Ramulator => None,
        DramStyle::Dramsim3 => match fields[2].parse::<u64>() {
            Ok(c) if c <= MAX_CYCLE => Some(c),
            Ok(c) => return bad(format!("cycle {c} is above 2^48")),
            Err(_) => return bad(format!("bad cycle `{}`", fields[2])),
        },
    };
    Ok(Some(DramRequest { addr, write, cycle }))
}

/// Reads the requests of a DRAM trace, line by line. The format is the one
/// given, or detected from the first non-blank line ([`DramStyle::detect`]);
/// every line must then be of that format. An error names the file, the
/// byte offset and the line number, and ends the reading.
pub struct DramTraceReader<R> {
    input: R,
    source: PathBuf,
    style: Option<DramStyle>,
    line: Vec<u8>,
    number: u64,
    offset: u64,
    done: bool,
}

impl<R: BufRead> DramTraceReader<R> {
    /// A reader of `input`, named `source` in errors, in `style` (`None`:
    /// detect it).
    pub fn new(input: R, source: &Path, style: Option<DramStyle>) -> Self {
        DramTraceReader {
            input,
            source: source.to_path_buf(),
            style,
            line: Vec::new(),
            number: 0,
            offset: 0,
            done: false,
        }
    }

    /// The format: the one given, or the one detected once a non-blank
    /// line has been read (`None` before, and for a trace of blank lines).
    pub fn style(&self) -> Option<DramStyle> {
        self.style
    }

    /// Lines read so far.
    pub fn lines(&self) -> u64 {
        self.number
    }

    fn next_request(&mut self) -> Result<Option<DramRequest>, TraceError> {
        loop {
            self.line.clear();
            let at = self.offset;
            let read = (&mut self.input)
                .take(MAX_LINE as u64 + 1)
                .read_until(b'\n', &mut self.line)
                .map_err(|e| TraceError::at(&self.source, at, ErrorKind::Io(e)))?;
            if read == 0 {
                return Ok(None);
            }
            self.number += 1;
            self.offset += read as u64;
            let bad = |message: String| {
                TraceError::at(
                    &self.source,
                    at,
                    ErrorKind::BadLine {
                        line: self.number,
                        message,
                    },
                )
            };
            if read > MAX_LINE {
                return Err(bad(format!(
                    "longer than {MAX_LINE} bytes: not a DRAM trace"
                )));
            }
            let Ok(line) = std::str::from_utf8(&self.line) else {
                return Err(bad("not UTF-8 text: not a DRAM trace".into()));
            };
            if line.trim().is_empty() {
                continue;
            }
            let style = match self.style {
                Some(style) => style,
                None => {
                    let Some(style) = DramStyle::detect(line) else {
                        return Err(bad(format!(
                            "cannot tell the format of {:?}: DRAMsim3 lines have three fields \
                             (`0xADDR READ|WRITE CYCLE`), Ramulator lines two (`0xADDR R|W`)",
                            line.trim_end().chars().take(80).collect::<String>()
                        )));
                    };
                    self.style = Some(style);
                    style
                }
            };
            match parse_request(style, line) {
                Ok(Some(request)) => return Ok(Some(request)),
                Ok(None) => continue,
                Err(message) => return Err(bad(message)),
            }
        }
    }
}

impl<R: BufRead> Iterator for DramTraceReader<R> {
    type Item = Result<DramRequest, TraceError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.next_request().transpose();
        if !matches!(item, Some(Ok(_))) {
            self.done = true;
        }
        item
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<Result<DramRequest, String>> {
        DramTraceReader::new(text.as_bytes(), Path::new("t.trace"), None)
            .map(|r| r.map_err(|e| e.to_string()))
            .collect()
    }

    #[test]
    fn written_requests_parse_back_to_themselves() {
        for style in [DramStyle::Dramsim3, DramStyle::Ramulator] {
            let mut out = Vec::new();
            write_request(&mut out, style, 0x1f40, true, 77).unwrap();
            write_request(&mut out, style, 0, false, 0).unwrap();
            let text = String::from_utf8(out).unwrap();
            let cycle = |c| (style == DramStyle::Dramsim3).then_some(c);
            let requests: Vec<_> = read(&text).into_iter().map(Result::unwrap).collect();
            assert_eq!(
                requests,
                [
                    DramRequest {
                        addr: 0x1f40,
                        write: true,
                        cycle: cycle(77)
                    },
                    DramRequest {
                        addr: 0,
                        write: false,
                        cycle: cycle(0)
                    }
                ]
            );
        }
    }

    #[test]
    fn the_format_comes_from_the_first_non_blank_line() {
        let r = read("\n\n0x40 W\n40 R\n");
        assert_eq!(r.len(), 2);
        assert!(r[1].as_ref().unwrap().addr == 0x40);
        let r = read("  \n0x40 READ 3\n");
        assert_eq!(r[0].as_ref().unwrap().cycle, Some(3));
    }

    #[test]
    fn a_malformed_line_names_its_line_and_stops_the_reading() {
        let r = read("0x40 READ 1\n0x80 READ\n0xc0 READ 3\n");
        assert_eq!(r.len(), 2);
        let e = r[1].as_ref().unwrap_err();
        assert!(
            e.starts_with("t.trace: byte 12: line 2: 2 fields instead of 3"),
            "{e}"
        );
        for (text, what) in [
            ("0x40 READ 1\n0xzz READ 2\n", "bad address `0xzz`"),
            ("0x40 READ 1\n0x40 FETCH 2\n", "unknown command `FETCH`"),
            ("0x40 READ 1\n0x40 READ -2\n", "bad cycle `-2`"),
            ("0x40 READ 1\n0x40 READ 281474976710657\n", "above 2^48"),
            ("0x40 R\n0x40 READ\n", "unknown command `READ`"),
            ("0x40 R\n0x40 R 5\n", "3 fields instead of 2"),
        ] {
            let e = read(text).pop().unwrap().unwrap_err();
            assert!(e.contains("line 2: ") && e.contains(what), "{e}");
        }
        let e = read("0x40\n").pop().unwrap().unwrap_err();
        assert!(e.contains("line 1: cannot tell the format"), "{e}");
        let e = read(&format!("0x40 R\n{}\n", "0".repeat(MAX_LINE)))
            .pop()
            .unwrap()
            .unwrap_err();
        assert!(e.contains("line 2: longer than 4096 bytes"), "{e}");
        let binary = DramTraceReader::new(&b"\x89MTR\r\n"[..], Path::new("t"), None)
            .next()
            .unwrap()
            .unwrap_err()
            .to_string();
        assert!(binary.contains("line 1: not UTF-8 text"), "{binary}");
    }

    #[test]
    fn an_empty_trace_has_no_requests_and_no_format() {
        let mut r = DramTraceReader::new("\n \n".as_bytes(), Path::new("t"), None);
        assert!(r.next().is_none());
        assert_eq!(r.style(), None);
        assert_eq!(r.lines(), 2);
    }
}
