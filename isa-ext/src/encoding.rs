//! Instruction encodings: `REX.W 0F 0A fn ModRM`, five bytes each.
//!
//! ```text
//!  byte 0        1     2     3      4
//! +----------+-----+-----+------+-------------+
//! | 0100 1R0B| 0F  | 0A  |  fn  | 11 reg  rm  |
//! +----------+-----+-----+------+-------------+
//!   REX.W=1, REX.X=0; REX.R extends reg, REX.B extends rm
//! ```
//! `0F 0A` is undefined in the two-byte opcode maps of both Intel (SDM
//! Vol. 2, App. A, Table A-3) and AMD (APM Vol. 3, App. A, Table A-4);
//! today's processors raise #UD on it, so an OS can trap and emulate. The
//! function byte after it makes `0F 0A` a three-byte map like `0F 38` and
//! `0F 3A`, with room for 256 functions.

use std::fmt;
use thiserror::Error;

/// Length of every Memento instruction.
pub const LEN: usize = 5;
/// The two opcode bytes.
pub const OPCODE: [u8; 2] = [0x0F, 0x0A];
/// REX with W set (64-bit operands); R and B are or-ed in.
const REX_W: u8 = 0x48;

/// A 64-bit general-purpose register, numbered as in ModRM with REX.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs)]
pub enum Reg {
    Rax,
    Rcx,
    Rdx,
    Rbx,
    Rsp,
    Rbp,
    Rsi,
    Rdi,
    R8,
    R9,
    R10,
    R11,
    R12,
    R13,
    R14,
    R15,
}

impl Reg {
    /// All sixteen, in encoding order.
    pub const ALL: [Reg; 16] = [
        Reg::Rax,
        Reg::Rcx,
        Reg::Rdx,
        Reg::Rbx,
        Reg::Rsp,
        Reg::Rbp,
        Reg::Rsi,
        Reg::Rdi,
        Reg::R8,
        Reg::R9,
        Reg::R10,
        Reg::R11,
        Reg::R12,
        Reg::R13,
        Reg::R14,
        Reg::R15,
    ];
    const NAMES: [&'static str; 16] = [
        "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12",
        "r13", "r14", "r15",
    ];

    /// Encoding number, 0..=15.
    pub fn number(self) -> u8 {
        self as u8
    }

    /// The register of encoding number `n` (taken modulo 16).
    pub fn from_number(n: u8) -> Reg {
        Reg::ALL[usize::from(n & 15)]
    }

    /// Intel-syntax name, e.g. `rdi`.
    pub fn name(self) -> &'static str {
        Reg::NAMES[self as usize]
    }

    /// The register named `name` (case-insensitive).
    pub fn from_name(name: &str) -> Option<Reg> {
        Reg::NAMES
            .iter()
            .position(|n| n.eq_ignore_ascii_case(name))
            .map(|i| Reg::ALL[i])
    }
}

/// A Memento instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Instruction {
    /// `obj-alloc rD, rS`: rD <- a new object of rS bytes, or 0 when the
    /// extension cannot serve it (0 B, over 512 B, no arena, empty pool).
    ObjAlloc {
        /// Destination: the object's address.
        dst: Reg,
        /// Source: the requested size.
        size: Reg,
    },
    /// `obj-free rS`: frees the object at rS; faults on an address the
    /// extension did not hand out.
    ObjFree {
        /// The object's address.
        ptr: Reg,
    },
    /// `wrmrs rS`: MRS <- rS (privileged).
    WrMrs {
        /// New region start.
        src: Reg,
    },
    /// `wrmre rS`: MRE <- rS (privileged).
    WrMre {
        /// New region end.
        src: Reg,
    },
    /// `rdmrs rD`: rD <- MRS.
    RdMrs {
        /// Destination.
        dst: Reg,
    },
    /// `rdmre rD`: rD <- MRE.
    RdMre {
        /// Destination.
        dst: Reg,
    },
}

/// Function bytes and mnemonics, in function order.
const FUNCTIONS: [(u8, &str); 6] = [
    (0x00, "obj-alloc"),
    (0x01, "obj-free"),
    (0x02, "wrmrs"),
    (0x03, "wrmre"),
    (0x04, "rdmrs"),
    (0x05, "rdmre"),
];

impl Instruction {
    /// The function byte.
    pub fn function(&self) -> u8 {
        FUNCTIONS[self.kind()].0
    }

    /// Index in [`FUNCTIONS`].
    fn kind(&self) -> usize {
        match self {
            Instruction::ObjAlloc { .. } => 0,
            Instruction::ObjFree { .. } => 1,
            Instruction::WrMrs { .. } => 2,
            Instruction::WrMre { .. } => 3,
            Instruction::RdMrs { .. } => 4,
            Instruction::RdMre { .. } => 5,
        }
    }

    /// The mnemonic, e.g. `obj-alloc`.
    pub fn mnemonic(&self) -> &'static str {
        FUNCTIONS[self.kind()].1
    }

    /// The instruction of `mnemonic` with `regs` (two registers for
    /// obj-alloc, one for the others); `None` if they do not fit.
    pub fn from_parts(mnemonic: &str, regs: &[Reg]) -> Option<Instruction> {
        let f = FUNCTIONS
            .iter()
            .position(|(_, m)| m.eq_ignore_ascii_case(mnemonic))?;
        Instruction::from_function(FUNCTIONS[f].0, regs)
    }

    fn from_function(function: u8, regs: &[Reg]) -> Option<Instruction> {
        Some(match (function, regs) {
            (0x00, &[dst, size]) => Instruction::ObjAlloc { dst, size },
            (0x01, &[ptr]) => Instruction::ObjFree { ptr },
            (0x02, &[src]) => Instruction::WrMrs { src },
            (0x03, &[src]) => Instruction::WrMre { src },
            (0x04, &[dst]) => Instruction::RdMrs { dst },
            (0x05, &[dst]) => Instruction::RdMre { dst },
            _ => return None,
        })
    }

    /// Whether `mnemonic` names a Memento instruction.
    pub fn is_mnemonic(mnemonic: &str) -> bool {
        FUNCTIONS
            .iter()
            .any(|(_, m)| m.eq_ignore_ascii_case(mnemonic))
    }

    /// (ModRM.reg, ModRM.rm) operands: obj-alloc puts rD in reg and rS in
    /// rm; one-register forms put theirs in rm and leave reg 0.
    fn fields(&self) -> (Reg, Reg) {
        match *self {
            Instruction::ObjAlloc { dst, size } => (dst, size),
            Instruction::ObjFree { ptr: r }
            | Instruction::WrMrs { src: r }
            | Instruction::WrMre { src: r }
            | Instruction::RdMrs { dst: r }
            | Instruction::RdMre { dst: r } => (Reg::Rax, r),
        }
    }

    /// Appends the encoding to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&encode(self));
    }
}

impl fmt::Display for Instruction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (reg, rm) = self.fields();
        match self {
            Instruction::ObjAlloc { .. } => {
                write!(f, "{} {}, {}", self.mnemonic(), reg.name(), rm.name())
            }
            _ => write!(f, "{} {}", self.mnemonic(), rm.name()),
        }
    }
}

/// The five bytes of `insn`.
pub fn encode(insn: &Instruction) -> [u8; LEN] {
    let (reg, rm) = insn.fields();
    let (r, b) = (reg.number(), rm.number());
    let rex = REX_W | ((r >> 3) << 2) | (b >> 3);
    let modrm = 0xC0 | ((r & 7) << 3) | (b & 7);
    [rex, OPCODE[0], OPCODE[1], insn.function(), modrm]
}

/// Why bytes are not a Memento instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// The bytes do not start with REX.W `0F 0A`: other x86 code.
    #[error("not a Memento instruction (no REX.W 0F 0A)")]
    NotMemento,
    /// The bytes start like one but end before its fifth byte.
    #[error("truncated Memento instruction: {have} of {LEN} bytes")]
    Truncated {
        /// Bytes available.
        have: usize,
    },
    /// REX.X is set (no index register exists in these forms).
    #[error("REX.X set in a Memento instruction")]
    RexX,
    /// The function byte names no instruction.
    #[error("unknown Memento function {0:#04x}")]
    UnknownFunction(u8),
    /// ModRM names a memory operand (mod != 11).
    #[error("ModRM {0:#04x} names memory; Memento instructions take registers")]
    MemoryOperand(u8),
    /// A one-register form with a non-zero ModRM.reg or REX.R.
    #[error("reserved ModRM.reg field set ({0:#04x}) in a one-register form")]
    ReservedField(u8),
}

/// Decodes the instruction at the start of `bytes`: it and its length.
pub fn decode(bytes: &[u8]) -> Result<(Instruction, usize), DecodeError> {
    let rex = *bytes.first().ok_or(DecodeError::NotMemento)?;
    if rex & 0xF8 != REX_W {
        return Err(DecodeError::NotMemento);
    }
    let seen = bytes.len().min(LEN - 2);
    if bytes[1..seen] != OPCODE[..seen - 1] {
        return Err(DecodeError::NotMemento);
    }
    if bytes.len() < LEN {
        return Err(DecodeError::Truncated { have: bytes.len() });
    }
    if rex & 0x02 != 0 {
        return Err(DecodeError::RexX);
    }
    let (function, modrm) = (bytes[3], bytes[4]);
    if modrm >> 6 != 3 {
        return Err(DecodeError::MemoryOperand(modrm));
    }
    let reg = Reg::from_number(((rex >> 2) & 1) << 3 | (modrm >> 3) & 7);
    let rm = Reg::from_number((rex & 1) << 3 | modrm & 7);
    let insn = match function {
        0x00 => Instruction::from_function(function, &[reg, rm]),
        _ if reg != Reg::Rax && Instruction::from_function(function, &[rm]).is_some() => {
            return Err(DecodeError::ReservedField(modrm));
        }
        _ => Instruction::from_function(function, &[rm]),
    };
    insn.map(|i| (i, LEN))
        .ok_or(DecodeError::UnknownFunction(function))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn obj_alloc_rax_rdi_is_48_0f_0a_00_c7() {
        let i = Instruction::ObjAlloc {
            dst: Reg::Rax,
            size: Reg::Rdi,
        };
        assert_eq!(encode(&i), [0x48, 0x0F, 0x0A, 0x00, 0xC7]);
        assert_eq!(i.to_string(), "obj-alloc rax, rdi");
    }

    #[test]
    fn high_registers_set_rex_r_and_rex_b() {
        let i = Instruction::ObjAlloc {
            dst: Reg::R9,
            size: Reg::R15,
        };
        assert_eq!(encode(&i), [0x4D, 0x0F, 0x0A, 0x00, 0xCF]);
        let f = Instruction::ObjFree { ptr: Reg::R12 };
        assert_eq!(encode(&f), [0x49, 0x0F, 0x0A, 0x01, 0xC4]);
    }

    #[test]
    fn bad_bytes_are_named() {
        use DecodeError::*;
        assert_eq!(decode(&[]), Err(NotMemento));
        assert_eq!(decode(&[0x48, 0x85, 0xC0]), Err(NotMemento));
        assert_eq!(decode(&[0x40, 0x0F, 0x0A, 0x00, 0xC0]), Err(NotMemento));
        assert_eq!(decode(&[0x48, 0x0F, 0x0B]), Err(NotMemento));
        assert_eq!(decode(&[0x48, 0x0F]), Err(Truncated { have: 2 }));
        assert_eq!(
            decode(&[0x48, 0x0F, 0x0A, 0x00]),
            Err(Truncated { have: 4 })
        );
        assert_eq!(decode(&[0x4A, 0x0F, 0x0A, 0x00, 0xC0]), Err(RexX));
        assert_eq!(
            decode(&[0x48, 0x0F, 0x0A, 0x07, 0xC0]),
            Err(UnknownFunction(7))
        );
        assert_eq!(
            decode(&[0x48, 0x0F, 0x0A, 0x00, 0x07]),
            Err(MemoryOperand(7))
        );
        assert_eq!(
            decode(&[0x48, 0x0F, 0x0A, 0x01, 0xC8]),
            Err(ReservedField(0xC8))
        );
        assert_eq!(
            decode(&[0x4C, 0x0F, 0x0A, 0x01, 0xC0]),
            Err(ReservedField(0xC0))
        );
    }
}
