//! The kind of control transfer that ends each block of a trace, read from
//! the traced program's code.
//!
//! A trace says which blocks ran, not what their instructions were.
//! [`BlockClassifier`] finds a block's module in the trace's module map,
//! reads the block's bytes from the module's ELF file (each file once, kept
//! for the blocks that follow), disassembles them with capstone (x86-64)
//! and classifies the block's last instruction, which must end exactly at
//! the block's end:
//!
//! | last instruction | class |
//! |---|---|
//! | `jcc`, `jrcxz`/`jecxz`, `loop`/`loope`/`loopne` | [`BranchClass::Conditional`] |
//! | `jmp` to an immediate target | [`BranchClass::DirectJump`] |
//! | `jmp` through a register or memory | [`BranchClass::IndirectJump`] |
//! | `call` to an immediate target | [`BranchClass::DirectCall`] |
//! | `call` through a register or memory | [`BranchClass::IndirectCall`] |
//! | `ret`, `retf` | [`BranchClass::Return`] |
//! | anything else: a system call, a block cut by the capture's limit of 64 instructions or at the end of a superblock | [`BranchClass::None`] |
//!
//! The classes come from capstone's instruction groups (call, return,
//! jump, branch-relative) and the type of the target operand; only `jmp`
//! itself is told from the conditional jumps by its instruction id, and
//! `xbegin` (a relative jump taken only on a transaction's abort) is no
//! branch. Each block (start and length) is disassembled once.
//!
//! # When the class is unknown
//!
//! [`BlockClassifier::classify`] returns `None`, not a guess, when the
//! block is in no module; when the module's file is missing here,
//! unreadable, not x86-64 or of another build than the traced one (when
//! the trace gives a build id: the Valgrind capture records none, so a
//! file rebuilt since the capture is only caught when its bytes no longer
//! decode to the block); or when its bytes do not decode to
//! instructions ending exactly at the block's end (another version of the
//! file). Code generated at run time is in no module.
//!
//! The replay should then fall back on the trace alone: **a block whose
//! successor starts at its end is treated as ending in a not-taken
//! conditional branch, and one whose successor is elsewhere as a taken
//! conditional branch.** That misses what only the code tells: returns and
//! indirect jumps and calls are predicted as conditionals (their targets
//! by the BTB alone, never by the return stack); the calls of unknown
//! blocks push nothing on the return stack, so later returns mispredict
//! even in known blocks; and a block that ends for another reason than a
//! branch (a length limit, a system call) counts as a conditional branch.
//!
//! Only the last instruction of a block is looked at: a trace block is a
//! run of contiguous instructions, so a not-taken conditional branch that
//! the capture's superblock ran through can lie inside one (in the suite's
//! `json-warm` sample, 90 of its 5,483 distinct blocks hold one).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use capstone::arch::x86::{ArchMode, X86Insn, X86InsnGroup, X86OperandType};
use capstone::arch::{ArchDetail, BuildsCapstone, DetailsArchInsn};
use capstone::{Capstone, InsnDetail, InsnGroupType};
use memento_sim::BranchClasses;
use memento_trace::{BranchClass, ModuleInfo, TraceError, TraceFile};

use crate::module_map::Code;

/// What a [`BlockClassifier`] has done so far. Each count is of distinct
/// blocks (start and length) or files: repeated lookups are not counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ClassifierStats {
    /// Blocks given a class ([`BranchClass::None`] included).
    pub classified: u64,
    /// Blocks left unknown: outside every module, in a file that is missing
    /// or mismatched, or whose bytes do not decode to instructions ending
    /// at the block's end.
    pub unknown: u64,
    /// Module files that could not be read or are not ELF files.
    pub files_missing: u64,
    /// Module files read but not usable: not x86-64, or another build id
    /// than the trace's.
    pub files_mismatched: u64,
}

/// Classifies the blocks of one traced process by the instruction that
/// ends them.
pub struct BlockClassifier {
    /// The modules' code, each file read at its first block.
    code: Code,
    /// The class of each block seen, by start and length: blocks from one
    /// address can end at different places (a superblock left by a side
    /// exit cuts its block at the exit's branch).
    blocks: HashMap<(u64, u32), Option<BranchClass>>,
    capstone: Capstone,
    stats: ClassifierStats,
}

impl BlockClassifier {
    /// A classifier for a trace's module map. No file is read until a
    /// block in it is classified.
    pub fn new(modules: &[ModuleInfo]) -> Self {
        BlockClassifier {
            code: Code::new(modules),
            blocks: HashMap::new(),
            capstone: x86_64(),
            stats: ClassifierStats::default(),
        }
    }

    /// The class of the instruction that ends the block `[addr, addr+len)`,
    /// or `None` when the code is not known (see the module documentation
    /// for what the replay should assume then).
    pub fn classify(&mut self, addr: u64, len: u32) -> Option<BranchClass> {
        if let Some(&class) = self.blocks.get(&(addr, len)) {
            return class;
        }
        let class = self.classify_block(addr, len);
        match class {
            Some(_) => self.stats.classified += 1,
            None => self.stats.unknown += 1,
        }
        self.blocks.insert((addr, len), class);
        class
    }

    /// What the classifier has done so far.
    pub fn stats(&self) -> ClassifierStats {
        ClassifierStats {
            files_missing: self.code.files_missing,
            files_mismatched: self.code.files_mismatched,
            ..self.stats
        }
    }

    fn classify_block(&mut self, addr: u64, len: u32) -> Option<BranchClass> {
        let code = self.code.block(addr, len).ok()?;
        last_instruction_class(&self.capstone, code, addr)
    }
}

/// A capstone disassembler of x86-64 code, with instruction details.
pub(crate) fn x86_64() -> Capstone {
    Capstone::new()
        .x86()
        .mode(ArchMode::Mode64)
        .detail(true)
        .build()
        .expect("capstone is built with x86-64 support")
}

/// The class of the last instruction of `code` (loaded at `addr`), or
/// `None` when `code` does not decode to instructions ending at its end.
fn last_instruction_class(capstone: &Capstone, code: &[u8], addr: u64) -> Option<BranchClass> {
    // capstone stops at the first byte sequence that is no instruction.
    let instructions = capstone.disasm_all(code, addr).ok()?;
    let last = instructions.iter().last()?;
    let decoded = last.address() - addr + last.len() as u64;
    if decoded != code.len() as u64 {
        return None;
    }
    let detail = capstone.insn_detail(last).ok()?;
    let is_jmp = [X86Insn::X86_INS_JMP, X86Insn::X86_INS_LJMP]
        .iter()
        .any(|&id| last.id().0 == id as u32);
    Some(class_of(&detail, is_jmp))
}

/// The class of an instruction from its groups and operands; `is_jmp` says
/// whether it is `jmp` itself (the unconditional jump).
fn class_of(detail: &InsnDetail, is_jmp: bool) -> BranchClass {
    let in_group = |group: u32| detail.groups().iter().any(|g| u32::from(g.0) == group);
    let target_is_immediate = || match detail.arch_detail() {
        ArchDetail::X86Detail(x86) => x86
            .operands()
            .next()
            .is_some_and(|op| matches!(op.op_type, X86OperandType::Imm(_))),
        _ => false,
    };
    let by_target = |direct, indirect| {
        if target_is_immediate() {
            direct
        } else {
            indirect
        }
    };
    if in_group(InsnGroupType::CS_GRP_RET) {
        BranchClass::Return
    } else if in_group(InsnGroupType::CS_GRP_CALL) {
        by_target(BranchClass::DirectCall, BranchClass::IndirectCall)
    } else if is_jmp {
        by_target(BranchClass::DirectJump, BranchClass::IndirectJump)
    } else if (in_group(InsnGroupType::CS_GRP_JUMP)
        || in_group(InsnGroupType::CS_GRP_BRANCH_RELATIVE))
        && !in_group(X86InsnGroup::X86_GRP_RTM)
    {
        // jcc and jrcxz/jecxz (capstone's jump group) and loop/loope/loopne
        // (only branch-relative there); xbegin, a relative jump of the RTM
        // group, only jumps on an abort and is no branch here.
        BranchClass::Conditional
    } else {
        BranchClass::None
    }
}

/// Branch classes read from a trace's metadata (imported ChampSim traces),
/// by the end address of the block: a block whose end is not listed does
/// not end in a branch.
pub struct RecordedBranches {
    by_end: HashMap<u64, BranchClass>,
}

impl BranchClasses for RecordedBranches {
    fn class_of(&mut self, addr: u64, len: u32) -> Option<BranchClass> {
        let end = addr.wrapping_add(u64::from(len));
        Some(self.by_end.get(&end).copied().unwrap_or(BranchClass::None))
    }
}

impl BranchClasses for BlockClassifier {
    fn class_of(&mut self, addr: u64, len: u32) -> Option<BranchClass> {
        self.classify(addr, len)
    }
}

/// The provider of branch classes for replaying `trace`: its metadata's
/// when the producer recorded them, else its modules' code.
pub fn classes_for(trace: &TraceFile) -> Result<Rc<RefCell<dyn BranchClasses>>, TraceError> {
    let metadata = trace.metadata()?;
    Ok(if metadata.branches.is_empty() {
        Rc::new(RefCell::new(BlockClassifier::new(&metadata.modules)))
    } else {
        Rc::new(RefCell::new(RecordedBranches {
            by_end: metadata.branches.iter().map(|b| (b.end, b.class)).collect(),
        }))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(code: &[u8]) -> Option<BranchClass> {
        let classifier = BlockClassifier::new(&[]);
        last_instruction_class(&classifier.capstone, code, 0x40_1000)
    }

    #[test]
    fn every_conditional_branch_form_is_conditional() {
        for code in [
            &[0x74, 0x05][..],                         // je rel8
            &[0x0f, 0x85, 0x10, 0x00, 0x00, 0x00][..], // jne rel32
            &[0xe3, 0xfe][..],                         // jrcxz
            &[0x67, 0xe3, 0xfe][..],                   // jecxz
            &[0xe2, 0xfe][..],                         // loop
            &[0xe1, 0xfe][..],                         // loope
            &[0xe0, 0xfe][..],                         // loopne
        ] {
            assert_eq!(class(code), Some(BranchClass::Conditional), "{code:02x?}");
        }
    }

    #[test]
    fn jumps_and_calls_are_direct_by_an_immediate_target_only() {
        let cases: [(&[u8], BranchClass); 11] = [
            (&[0xeb, 0xfe], BranchClass::DirectJump),         // jmp rel8
            (&[0xe9, 0, 1, 0, 0], BranchClass::DirectJump),   // jmp rel32
            (&[0xff, 0xe0], BranchClass::IndirectJump),       // jmp rax
            (&[0x3e, 0xff, 0xe0], BranchClass::IndirectJump), // notrack jmp rax
            (&[0xff, 0x25, 0, 0, 0, 0], BranchClass::IndirectJump), // jmp [rip]
            (&[0x48, 0xff, 0x2c, 0x24], BranchClass::IndirectJump), // ljmp [rsp]
            (&[0xe8, 0, 1, 0, 0], BranchClass::DirectCall),   // call rel32
            (&[0xff, 0xd0], BranchClass::IndirectCall),       // call rax
            (&[0x41, 0xff, 0xd3], BranchClass::IndirectCall), // call r11
            (
                &[0xff, 0x14, 0xc5, 0, 0x20, 0x40, 0],
                BranchClass::IndirectCall,
            ), // call [rax*8+0x402000]
            (&[0xff, 0x1c, 0x24], BranchClass::IndirectCall), // lcall [rsp]
        ];
        for (code, expected) in cases {
            assert_eq!(class(code), Some(expected), "{code:02x?}");
        }
    }

    #[test]
    fn every_return_form_is_a_return() {
        for code in [
            &[0xc3][..],             // ret
            &[0xc2, 0x08, 0x00][..], // ret 8
            &[0xf3, 0xc3][..],       // rep ret
            &[0xcb][..],             // retf
        ] {
            assert_eq!(class(code), Some(BranchClass::Return), "{code:02x?}");
        }
    }

    #[test]
    fn other_instructions_end_a_block_without_a_branch() {
        for code in [
            &[0x0f, 0x05][..],                         // syscall
            &[0x90][..],                               // nop
            &[0xcc][..],                               // int3
            &[0x48, 0xcf][..],                         // iretq
            &[0xc7, 0xf8, 0x00, 0x00, 0x00, 0x00][..], // xbegin
            &[0x48, 0x89, 0xc3][..],                   // mov rbx, rax
        ] {
            assert_eq!(class(code), Some(BranchClass::None), "{code:02x?}");
        }
    }

    #[test]
    fn only_the_last_instruction_counts() {
        // je; mov rbx, rax; ret
        assert_eq!(
            class(&[0x74, 0x05, 0x48, 0x89, 0xc3, 0xc3]),
            Some(BranchClass::Return)
        );
        // ret; mov rbx, rax
        assert_eq!(class(&[0xc3, 0x48, 0x89, 0xc3]), Some(BranchClass::None));
    }

    #[test]
    fn code_that_does_not_decode_to_the_end_is_unknown() {
        assert_eq!(class(&[0xe8, 0, 1, 0]), None); // a call cut short
        assert_eq!(class(&[0x06, 0xc3]), None); // push es: invalid in 64-bit mode
        assert_eq!(class(&[]), None);
    }
}
