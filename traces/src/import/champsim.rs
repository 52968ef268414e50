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
//!
//! **Dependences** come from the registers. Every register holds the
//! number of the load its value was last computed from (0: none). A
//! record's loads and stores depend on the most recent load among its
//! source registers (ChampSim does not say which sources form the address,
//! so a store's data register counts too); its destination registers then
//! carry the identity of its last load, or, when it loads nothing, the
//! most recent identity among its sources (ALU propagation). The
//! instruction pointer and flags do not carry identities.
//!
//! **Branches**: a record with `is_branch` ends its block, so the block's
//! last instruction is the branch, and its class follows ChampSim's own
//! register convention (reads and writes of the stack pointer, flags and
//! instruction pointer; see [`branch_class`]). Each static branch's class
//! goes to the trace's metadata.

use std::io::{self, Read};
use std::path::Path;

use std::collections::BTreeMap;

use super::{BlockBuilder, ImportOptions, ImportSummary};
use crate::branch::{BranchClass, BranchInfo};
use crate::error::{ErrorKind, TraceError};
use crate::event::{Event, MAX_DEP_DISTANCE};
use crate::sink::EventSink;

/// Bytes of one record.
pub const RECORD_LEN: usize = 64;

/// Length given to an instruction whose successor is not adjacent.
pub const FALLBACK_INSTRUCTION_LEN: u32 = 4;

/// ChampSim's register numbers with a meaning of their own.
pub mod reg {
    /// The stack pointer.
    pub const STACK_POINTER: u8 = 6;
    /// The flags register.
    pub const FLAGS: u8 = 25;
    /// The instruction pointer.
    pub const INSTRUCTION_POINTER: u8 = 26;
}

struct Record {
    ip: u64,
    is_branch: bool,
    dst_regs: [u8; 2],
    src_regs: [u8; 4],
    dst_mem: [u64; 2],
    src_mem: [u64; 4],
}

fn parse(bytes: &[u8; RECORD_LEN]) -> Record {
    let word = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().expect("8 bytes"));
    Record {
        ip: word(0),
        is_branch: bytes[8] != 0,
        dst_regs: [bytes[10], bytes[11]],
        src_regs: [bytes[12], bytes[13], bytes[14], bytes[15]],
        dst_mem: [word(16), word(24)],
        src_mem: [word(32), word(40), word(48), word(56)],
    }
}

/// The class of a branch record by ChampSim's convention: which of the
/// stack pointer, flags, instruction pointer and other registers it reads
/// and writes.
pub fn branch_class(src_regs: &[u8], dst_regs: &[u8]) -> BranchClass {
    let reads = |r: u8| src_regs.contains(&r);
    let writes = |r: u8| dst_regs.contains(&r);
    let special = [reg::STACK_POINTER, reg::FLAGS, reg::INSTRUCTION_POINTER];
    let reads_other = src_regs.iter().any(|&r| r != 0 && !special.contains(&r));
    let (reads_sp, reads_flags, reads_ip) = (
        reads(reg::STACK_POINTER),
        reads(reg::FLAGS),
        reads(reg::INSTRUCTION_POINTER),
    );
    let (writes_sp, writes_ip) = (writes(reg::STACK_POINTER), writes(reg::INSTRUCTION_POINTER));
    match () {
        _ if !reads_sp && !reads_flags && writes_ip && !reads_other => BranchClass::DirectJump,
        _ if !reads_sp && !reads_flags && writes_ip && reads_other => BranchClass::IndirectJump,
        _ if !reads_sp && reads_ip && !writes_sp && writes_ip && reads_flags && !reads_other => {
            BranchClass::Conditional
        }
        _ if reads_sp && reads_ip && writes_sp && writes_ip && !reads_flags && !reads_other => {
            BranchClass::DirectCall
        }
        _ if reads_sp && reads_ip && writes_sp && writes_ip && !reads_flags && reads_other => {
            BranchClass::IndirectCall
        }
        _ if reads_sp && !reads_ip && writes_sp && writes_ip => BranchClass::Return,
        // ChampSim's "other" branches: treated as conditional.
        _ if writes_ip => BranchClass::Conditional,
        _ => BranchClass::None,
    }
}

/// Which load each register's value was last computed from.
struct Producers {
    /// Load number (1-based) per register, 0 for none.
    by_reg: [u64; 256],
    /// Loads so far.
    loads: u64,
}

impl Producers {
    /// The most recent load among `regs` (0: none).
    fn of(&self, regs: &[u8]) -> u64 {
        regs.iter()
            .filter(|&&r| r != 0 && r != reg::INSTRUCTION_POINTER && r != reg::FLAGS)
            .map(|&r| self.by_reg[usize::from(r)])
            .max()
            .unwrap_or(0)
    }

    /// The dependence event of the next access, given its producer.
    fn dep(&self, producer: u64) -> Option<Event> {
        let distance = (self.loads + 1).checked_sub(producer)?;
        (producer != 0 && distance <= u64::from(MAX_DEP_DISTANCE)).then_some(Event::Dep {
            distance: distance as u8,
        })
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

/// Streams ChampSim records from `input` (already decompressed) into
/// `sink`, with their dependences; returns what it read and the class of
/// each static branch, by the end address of its block.
pub fn import(
    mut input: impl Read,
    source: &Path,
    options: ImportOptions,
    sink: &mut dyn EventSink,
) -> Result<(ImportSummary, Vec<BranchInfo>), TraceError> {
    let mut summary = ImportSummary::default();
    let mut blocks = BlockBuilder::default();
    let mut producers = Producers {
        by_reg: [0; 256],
        loads: 0,
    };
    let mut branches = BTreeMap::new();
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
            let source = producers.of(&prev.src_regs);
            let mut own = 0;
            for &addr in prev.src_mem.iter().filter(|&&a| a != 0) {
                if let Some(dep) = producers.dep(source) {
                    blocks.data(dep, sink).map_err(io)?;
                }
                blocks.data(Event::Load { addr, size }, sink).map_err(io)?;
                producers.loads += 1;
                own = producers.loads;
                summary.loads += 1;
            }
            for &addr in prev.dst_mem.iter().filter(|&&a| a != 0) {
                if let Some(dep) = producers.dep(source) {
                    blocks.data(dep, sink).map_err(io)?;
                }
                blocks.data(Event::Store { addr, size }, sink).map_err(io)?;
                summary.stores += 1;
            }
            let carried = if own != 0 { own } else { source };
            for &r in prev.dst_regs.iter().filter(|&&r| r != 0) {
                producers.by_reg[usize::from(r)] = carried;
            }
            if prev.is_branch {
                let class = branch_class(&prev.src_regs, &prev.dst_regs);
                branches.insert(prev.ip.wrapping_add(u64::from(len)), class);
                blocks.flush(sink).map_err(io)?;
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
    let branches = branches
        .into_iter()
        .map(|(end, class)| BranchInfo { end, class })
        .collect();
    Ok((summary, branches))
}
