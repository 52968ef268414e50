//! Valgrind Lackey `--trace-mem=yes` text: `I  addr,size` for an
//! instruction, ` L`, ` S`, ` M addr,size` for a load, store or modify
//! (a load and a store of the same bytes). Lines from Valgrind itself
//! (`==pid== ...`) are skipped.

use std::io::BufRead;
use std::path::Path;

use super::{BlockBuilder, ImportSummary};
use crate::error::{ErrorKind, TraceError};
use crate::event::Event;
use crate::sink::EventSink;

/// Streams Lackey text from `input` into `sink`; `source` names the input
/// in errors.
pub fn import(
    mut input: impl BufRead,
    source: &Path,
    sink: &mut dyn EventSink,
) -> Result<ImportSummary, TraceError> {
    let mut summary = ImportSummary::default();
    let mut blocks = BlockBuilder::default();
    let mut line = Vec::with_capacity(64);
    let mut offset = 0u64;
    let mut number = 0u64;
    loop {
        line.clear();
        let read = input
            .read_until(b'\n', &mut line)
            .map_err(|e| TraceError::at(source, offset, ErrorKind::Io(e)))?;
        if read == 0 {
            break;
        }
        number += 1;
        let at = offset;
        offset += read as u64;
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        if text.is_empty() {
            continue;
        }
        summary.records += 1;
        if text.starts_with(b"==") || text.starts_with(b"--") {
            summary.skipped += 1;
            continue;
        }
        let bad = |message: &str| {
            TraceError::at(
                source,
                at,
                ErrorKind::BadLine {
                    line: number,
                    message: format!(
                        "{message} in {:?} (expected `I  addr,size` or ` L|S|M addr,size`)",
                        String::from_utf8_lossy(text)
                    ),
                },
            )
        };
        let (kind, rest) = match text {
            [b'I', rest @ ..] => (b'I', rest),
            [b' ', kind @ (b'L' | b'S' | b'M'), rest @ ..] => (*kind, rest),
            _ => return Err(bad("unknown record")),
        };
        let (addr, size) = parse_access(rest).ok_or_else(|| bad("bad address or size"))?;
        if size == 0 {
            return Err(bad("zero size"));
        }
        let io = |e: std::io::Error| TraceError::at(source, at, ErrorKind::Io(e));
        match kind {
            b'I' => {
                blocks.instruction(addr, size, sink).map_err(io)?;
                summary.instructions += 1;
            }
            b'L' => {
                blocks.data(Event::Load { addr, size }, sink).map_err(io)?;
                summary.loads += 1;
            }
            b'S' => {
                blocks.data(Event::Store { addr, size }, sink).map_err(io)?;
                summary.stores += 1;
            }
            _ => {
                blocks.data(Event::Load { addr, size }, sink).map_err(io)?;
                blocks.data(Event::Store { addr, size }, sink).map_err(io)?;
                summary.loads += 1;
                summary.stores += 1;
            }
        }
    }
    blocks
        .flush(sink)
        .map_err(|e| TraceError::at(source, offset, ErrorKind::Io(e)))?;
    Ok(summary)
}

/// Parses `  hexaddr,decsize`.
fn parse_access(rest: &[u8]) -> Option<(u64, u32)> {
    let rest = rest.trim_ascii_start();
    let comma = rest.iter().position(|&b| b == b',')?;
    let addr = parse_hex(&rest[..comma])?;
    let size = std::str::from_utf8(rest[comma + 1..].trim_ascii())
        .ok()?
        .parse()
        .ok()?;
    Some((addr, size))
}

/// Parses hex digits, with or without `0x`.
pub(crate) fn parse_hex(digits: &[u8]) -> Option<u64> {
    let digits = digits
        .strip_prefix(b"0x")
        .or_else(|| digits.strip_prefix(b"0X"))
        .unwrap_or(digits);
    if digits.is_empty() || digits.len() > 16 {
        return None;
    }
    digits.iter().try_fold(0u64, |value, &d| {
        let nibble = (d as char).to_digit(16)?;
        Some(value << 4 | u64::from(nibble))
    })
}
