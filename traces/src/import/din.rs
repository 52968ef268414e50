//! Dinero `din` text: `label address [size]` per line, where label 0 is a
//! data read, 1 a data write, 2 an instruction fetch, 3 an escape and 4 a
//! cache flush (the last two have no counterpart and are counted as
//! skipped). Addresses are hex; an optional third field gives the size.

use std::io::BufRead;
use std::path::Path;

use super::lackey::parse_hex;
use super::{BlockBuilder, ImportOptions, ImportSummary};
use crate::error::{ErrorKind, TraceError};
use crate::event::Event;
use crate::sink::EventSink;

/// Streams din text from `input` into `sink`.
pub fn import(
    mut input: impl BufRead,
    source: &Path,
    options: ImportOptions,
    sink: &mut dyn EventSink,
) -> Result<ImportSummary, TraceError> {
    let mut summary = ImportSummary::default();
    let mut blocks = BlockBuilder::default();
    let mut line = String::new();
    let mut offset = 0u64;
    let mut number = 0u64;
    loop {
        line.clear();
        let read = input
            .read_line(&mut line)
            .map_err(|e| TraceError::at(source, offset, ErrorKind::Io(e)))?;
        if read == 0 {
            break;
        }
        number += 1;
        let at = offset;
        offset += read as u64;
        let mut fields = line.split_ascii_whitespace();
        let Some(label) = fields.next() else {
            continue;
        };
        summary.records += 1;
        let bad = |message: &str| {
            TraceError::at(
                source,
                at,
                ErrorKind::BadLine {
                    line: number,
                    message: format!(
                        "{message} in {:?} (expected `label hexaddr [size]`, label 0-4)",
                        line.trim_end()
                    ),
                },
            )
        };
        let addr = fields
            .next()
            .and_then(|a| parse_hex(a.as_bytes()))
            .ok_or_else(|| bad("missing or bad address"))?;
        let size = match fields.next() {
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|&s| s > 0)
                .ok_or_else(|| bad("bad size"))?,
            None => options.access_size,
        };
        if fields.next().is_some() {
            return Err(bad("too many fields"));
        }
        let io = |e: std::io::Error| TraceError::at(source, at, ErrorKind::Io(e));
        match label {
            "0" => {
                blocks.data(Event::Load { addr, size }, sink).map_err(io)?;
                summary.loads += 1;
            }
            "1" => {
                blocks.data(Event::Store { addr, size }, sink).map_err(io)?;
                summary.stores += 1;
            }
            "2" => {
                blocks.instruction(addr, size, sink).map_err(io)?;
                summary.instructions += 1;
            }
            "3" | "4" => summary.skipped += 1,
            _ => return Err(bad("unknown label")),
        }
    }
    blocks
        .flush(sink)
        .map_err(|e| TraceError::at(source, offset, ErrorKind::Io(e)))?;
    Ok(summary)
}
