//! ChampSim `input_instr` traces: 64-byte little-endian records
//! `{ ip: u64, is_branch: u8, branch_taken: u8, dst_regs: [u8; 2],
//! src_regs: [u8; 4], dst_mem: [u64; 2], src_mem: [u64; 4] }`, usually xz
//! or gzip compressed. Non-zero `src_mem` entries are loads, non-zero
//! `dst_mem` entries stores.
//!
//! The records carry no instruction lengths and no access sizes: an
//! instruction's length is the distance to the next record's IP when that
//! is 1 to 15 bytes (the x86 range), else 4; accesses get
//! [`ImportOptions::access_size`].

use std::io::{self, Read};
use std::path::Path;

use super::{BlockBuilder, ImportOptions, ImportSummary};
use crate::error::{ErrorKind, TraceError};
use crate::event::Event;
use crate::sink::EventSink;

/// Bytes of one record.
pub const RECORD_LEN: usize = 64;

/// Length given to an instruction whose successor is not adjacent.
pub const FALLBACK_INSTRUCTION_LEN: u32 = 4;

struct Record {
    ip: u64,
    dst_mem: [u64; 2],
    src_mem: [u64; 4],
}

fn parse(bytes: &[u8; RECORD_LEN]) -> Record {
    let word = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().expect("8 bytes"));
    Record {
        ip: word(0),
        dst_mem: [word(16), word(24)],
        src_mem: [word(32), word(40), word(48), word(56)],
    }
}

/// Reads a whole record; `Ok(None)` at a clean end of input.
fn read_record(input: &mut impl Read, buf: &mut [u8; RECORD_LEN]) -> io::Result<Option<usize>> {
    let mut filled = 0;
    while filled < RECORD_LEN {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(match filled {
        0 => None,
        n => Some(n),
    })
}

/// Streams ChampSim records from `input` (already decompressed) into `sink`.
pub fn import(
    mut input: impl Read,
    source: &Path,
    options: ImportOptions,
    sink: &mut dyn EventSink,
) -> Result<ImportSummary, TraceError> {
    let mut summary = ImportSummary::default();
    let mut blocks = BlockBuilder::default();
    let mut buf = [0u8; RECORD_LEN];
    let mut previous: Option<Record> = None;
    let size = options.access_size;
    loop {
        let at = summary.records * RECORD_LEN as u64;
        let record = match read_record(&mut input, &mut buf)
            .map_err(|e| TraceError::at(source, at, ErrorKind::Io(e)))?
        {
            None => None,
            Some(RECORD_LEN) => Some(parse(&buf)),
            Some(short) => {
                return Err(TraceError::at(
                    source,
                    at,
                    ErrorKind::BadRecord {
                        record: summary.records,
                        message: format!(
                            "truncated: {short} of {RECORD_LEN} bytes (offset in the decompressed stream)"
                        ),
                    },
                ))
            }
        };
        if let Some(prev) = previous.take() {
            let len = match record.as_ref().map(|r| r.ip.wrapping_sub(prev.ip)) {
                Some(distance @ 1..=15) => distance as u32,
                _ => FALLBACK_INSTRUCTION_LEN,
            };
            let io = |e: io::Error| TraceError::at(source, at, ErrorKind::Io(e));
            blocks.instruction(prev.ip, len, sink).map_err(io)?;
            summary.instructions += 1;
            for &addr in prev.src_mem.iter().filter(|&&a| a != 0) {
                blocks.data(Event::Load { addr, size }, sink).map_err(io)?;
                summary.loads += 1;
            }
            for &addr in prev.dst_mem.iter().filter(|&&a| a != 0) {
                blocks.data(Event::Store { addr, size }, sink).map_err(io)?;
                summary.stores += 1;
            }
        }
        match record {
            Some(record) => {
                summary.records += 1;
                previous = Some(record);
            }
            None => break,
        }
    }
    let end = summary.records * RECORD_LEN as u64;
    blocks
        .flush(sink)
        .map_err(|e| TraceError::at(source, end, ErrorKind::Io(e)))?;
    Ok(summary)
}
