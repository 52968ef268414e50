//! Hot code: which allocation call sites and which code blocks gain most
//! from the extension.
//!
//! Under Memento the software allocator's instructions, the events between
//! an `AllocEnter` and its `AllocExit`, give way to obj-alloc and obj-free
//! (requests over the largest size class, 512 B, still take the software
//! path, so what is attributed here is an upper bound of what Memento
//! removes). Per trace, [`attribute`] gives:
//!
//! - each call site (the `site` of the alloc, free or realloc event of the
//!   outermost bracket, as `memento trace sites` counts them) the
//!   instructions of its brackets and its calls;
//! - each code block run inside a bracket its executions times its
//!   instructions.
//!
//! The hottest sites are symbolised as `trace sites` does, and the hottest
//! blocks disassembled with capstone from their module's file, as a
//! profiler's annotate view shows them. A module file that is not here (or
//! of another build) is said, not an error.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use memento_trace::{Event, TraceFile};

use super::Batch;
use crate::module_map::{Code, NoCode};
use crate::record::Outcome;
use crate::symbols::{Location, Symbolizer};

/// Sites the report shows per trace.
pub const TOP_SITES: usize = 10;
/// Blocks the report shows (and disassembles) per trace.
pub const TOP_BLOCKS: usize = 5;

/// The allocator's work done for one call site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HotSite {
    /// The return address into the caller (0 when unknown).
    pub site: u64,
    /// Where it is, when the module map and files tell.
    pub location: Option<Location>,
    /// Allocator calls (outermost brackets) closed by its events.
    pub calls: u64,
    /// Instructions inside those brackets.
    pub instructions: u64,
}

/// One instruction of a disassembled block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instruction {
    /// Its address.
    pub addr: u64,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Its mnemonic.
    pub mnemonic: String,
    /// Its operands.
    pub operands: String,
}

/// A block run inside allocator brackets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HotBlock {
    /// Address of its first instruction.
    pub addr: u64,
    /// Length in bytes.
    pub len: u32,
    /// Instructions in it.
    pub count: u32,
    /// Times it ran inside brackets.
    pub executions: u64,
    /// Where it is (function and module), when the files tell.
    pub location: Option<Location>,
    /// Its instructions, or why they are not known.
    pub code: Result<Vec<Instruction>, String>,
}

impl HotBlock {
    /// Instructions it retired inside brackets: executions times count.
    pub fn instructions(&self) -> u64 {
        self.executions * u64::from(self.count)
    }
}

/// A trace the batch's runs replayed, and its hot code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Traced {
    /// The trace file, as the runs name it.
    pub input: String,
    /// The workloads whose runs replayed it, by name.
    pub workloads: Vec<String>,
    /// Its hot code, or why the trace cannot be read.
    pub hot: Result<HotCode, String>,
}

/// The hot code of one trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HotCode {
    /// Outermost allocator brackets.
    pub brackets: u64,
    /// Instructions inside them.
    pub instructions: u64,
    /// The [`TOP_SITES`] sites by instructions.
    pub sites: Vec<HotSite>,
    /// The [`TOP_BLOCKS`] blocks by instructions.
    pub blocks: Vec<HotBlock>,
}

/// What the brackets of a trace hold, before ranking.
#[derive(Debug, Default)]
pub struct Attribution {
    depth: u32,
    /// Instructions of the bracket open now.
    open: u64,
    /// The site of the open bracket's own event.
    open_site: Option<u64>,
    /// Per site: calls and instructions.
    sites: HashMap<u64, (u64, u64)>,
    /// Per block (address, length, count): executions.
    blocks: HashMap<(u64, u32, u32), u64>,
    brackets: u64,
    instructions: u64,
}

impl Attribution {
    /// Takes the next event of the trace.
    pub fn push(&mut self, event: &Event) {
        match *event {
            Event::AllocEnter { .. } => {
                if self.depth == 0 {
                    self.open = 0;
                    self.open_site = None;
                }
                self.depth += 1;
            }
            Event::AllocExit if self.depth > 0 => {
                self.depth -= 1;
                if self.depth == 0 {
                    let site = self.open_site.unwrap_or(0);
                    let entry = self.sites.entry(site).or_default();
                    entry.0 += 1;
                    entry.1 += self.open;
                    self.brackets += 1;
                    self.instructions += self.open;
                }
            }
            Event::Block { addr, len, count } if self.depth > 0 => {
                self.open += u64::from(count);
                *self.blocks.entry((addr, len, count)).or_default() += 1;
            }
            Event::Gap { count } if self.depth > 0 => self.open += count,
            Event::Alloc(a) if self.depth == 1 => self.open_site = Some(a.site),
            Event::Realloc(r) if self.depth == 1 => self.open_site = Some(r.site),
            Event::Free(f) if self.depth == 1 => self.open_site = Some(f.site),
            _ => {}
        }
    }

    /// The hottest sites and blocks, symbolised and disassembled from the
    /// files of `modules`' map.
    pub fn finish(self, modules: &[memento_trace::ModuleInfo]) -> HotCode {
        let mut symbolizer = Symbolizer::new(modules);
        let mut sites: Vec<HotSite> = self
            .sites
            .into_iter()
            .map(|(site, (calls, instructions))| HotSite {
                site,
                location: None,
                calls,
                instructions,
            })
            .collect();
        crate::sites::keep_top(
            &mut sites,
            TOP_SITES,
            &mut symbolizer,
            |s| (s.instructions, s.calls, s.site),
            |s| &mut s.location,
        );
        let mut blocks: Vec<((u64, u32, u32), u64)> = self.blocks.into_iter().collect();
        blocks.sort_by(|a, b| {
            let weight = |x: &((u64, u32, u32), u64)| x.1 * u64::from(x.0 .2);
            weight(b).cmp(&weight(a)).then(a.0.cmp(&b.0))
        });
        blocks.truncate(TOP_BLOCKS);
        let mut code = Code::new(modules);
        let capstone = crate::branch_class::x86_64();
        let blocks = blocks
            .into_iter()
            .map(|((addr, len, count), executions)| HotBlock {
                addr,
                len,
                count,
                executions,
                location: Some(symbolizer.lookup(addr)),
                code: disassemble(&capstone, &mut code, addr, len),
            })
            .collect();
        HotCode {
            brackets: self.brackets,
            instructions: self.instructions,
            sites,
            blocks,
        }
    }
}

/// The instructions of the block `[addr, addr + len)`, or why they are not
/// known.
fn disassemble(
    capstone: &capstone::Capstone,
    code: &mut Code,
    addr: u64,
    len: u32,
) -> Result<Vec<Instruction>, String> {
    let bytes = code.block(addr, len).map_err(|e| match e {
        NoCode::NoModule => "in no module of the trace (code generated at run time)".to_string(),
        NoCode::Missing(path) => format!("module file {path} is not present here"),
        NoCode::Mismatched(path) => {
            format!("module file {path} here is another build than the traced one")
        }
        NoCode::OutsideCode(path) => format!("not in the code of {path}"),
    })?;
    let instructions = capstone
        .disasm_all(bytes, addr)
        .map_err(|e| format!("capstone: {e}"))?;
    let decoded: Vec<Instruction> = instructions
        .iter()
        .map(|i| Instruction {
            addr: i.address(),
            bytes: i.bytes().to_vec(),
            mnemonic: i.mnemonic().unwrap_or("?").to_string(),
            operands: i.op_str().unwrap_or("").to_string(),
        })
        .collect();
    if decoded.is_empty() {
        return Err("its bytes decode to no instruction".into());
    }
    Ok(decoded)
}

/// The hot code of the trace at `path`, or why it cannot be read.
pub fn of_trace(path: &Path) -> Result<HotCode, String> {
    let trace = TraceFile::open(path).map_err(|e| e.to_string())?;
    let mut attribution = Attribution::default();
    crate::sites::each_event(&trace, |event| attribution.push(event)).map_err(|e| e.to_string())?;
    let modules = trace.metadata().map_err(|e| e.to_string())?.modules;
    Ok(attribution.finish(&modules))
}

/// The hot code of every distinct trace the batch's replayed runs name,
/// each read once, in the order of their paths; a trace that cannot be
/// read gives its error.
pub fn of_batch(batch: &Batch) -> Vec<Traced> {
    let mut inputs: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for l in &batch.loaded {
        if matches!(l.record.outcome, Outcome::Replayed { .. }) {
            let workloads = inputs.entry(l.record.input.as_str()).or_default();
            if !workloads.contains(&l.record.workload) {
                workloads.push(l.record.workload.clone());
            }
        }
    }
    inputs
        .into_iter()
        .map(|(input, mut workloads)| {
            workloads.sort();
            Traced {
                input: input.to_string(),
                workloads,
                hot: of_trace(Path::new(input)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use memento_trace::{AllocFn, AllocLevel, Free};

    #[test]
    fn a_nested_bracket_counts_for_the_outermost_calls_site() {
        let mut a = Attribution::default();
        let enter = Event::AllocEnter {
            func: AllocFn::PyObjectFree,
        };
        let free = |site| {
            Event::Free(Free {
                func: AllocFn::PyObjectFree,
                level: AllocLevel::Pymalloc,
                addr: 0x1000,
                site,
            })
        };
        let block = Event::Block {
            addr: 0x40,
            len: 8,
            count: 3,
        };
        // PyObject_Free (site 0xa) calls free (site 0xb) inside it.
        for e in [
            enter,
            block,
            enter,
            block,
            Event::Gap { count: 2 },
            free(0xb),
            Event::AllocExit,
            free(0xa),
            Event::AllocExit,
            block, // outside every bracket: not the allocator's
        ] {
            a.push(&e);
        }
        let hot = a.finish(&[]);
        assert_eq!((hot.brackets, hot.instructions), (1, 8));
        assert_eq!(hot.sites.len(), 1);
        assert_eq!(
            (
                hot.sites[0].site,
                hot.sites[0].calls,
                hot.sites[0].instructions
            ),
            (0xa, 1, 8)
        );
        assert_eq!(hot.blocks[0].executions, 2);
    }
}
