//! What kind of control transfer ends a block: the classes the branch
//! predictor tells apart. A block's outcome (taken or not, and its target)
//! is not stored: the next block's address gives it.

use serde::Serialize;

/// The kind of the instruction that ends a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BranchClass {
    /// Not a branch: the block ended for another reason (a length limit,
    /// a trace boundary) and falls through.
    None,
    /// A conditional direct branch (`jcc`, `jrcxz`, `loop`).
    Conditional,
    /// An unconditional direct jump (`jmp rel`).
    DirectJump,
    /// An unconditional indirect jump (`jmp r/m`).
    IndirectJump,
    /// A direct call (`call rel`).
    DirectCall,
    /// An indirect call (`call r/m`).
    IndirectCall,
    /// A return (`ret`).
    Return,
}

impl BranchClass {
    /// Every class, in the order reports list them.
    pub const ALL: [BranchClass; 7] = [
        BranchClass::None,
        BranchClass::Conditional,
        BranchClass::DirectJump,
        BranchClass::IndirectJump,
        BranchClass::DirectCall,
        BranchClass::IndirectCall,
        BranchClass::Return,
    ];

    /// The name reports and configs use.
    pub fn name(self) -> &'static str {
        match self {
            BranchClass::None => "none",
            BranchClass::Conditional => "conditional",
            BranchClass::DirectJump => "direct-jump",
            BranchClass::IndirectJump => "indirect-jump",
            BranchClass::DirectCall => "direct-call",
            BranchClass::IndirectCall => "indirect-call",
            BranchClass::Return => "return",
        }
    }

    /// The class's position in [`BranchClass::ALL`] (for per-class tables).
    pub fn index(self) -> usize {
        self as usize
    }

    /// Whether the class pushes a return address.
    pub fn is_call(self) -> bool {
        matches!(self, BranchClass::DirectCall | BranchClass::IndirectCall)
    }

    /// Whether the instruction is a control transfer at all.
    pub fn is_branch(self) -> bool {
        self != BranchClass::None
    }
}

impl TryFrom<u8> for BranchClass {
    type Error = crate::error::InvalidValue;

    fn try_from(value: u8) -> Result<Self, Self::Error> {
        BranchClass::ALL
            .get(usize::from(value))
            .copied()
            .ok_or(crate::error::InvalidValue {
                what: "branch class",
                value: value.into(),
            })
    }
}

/// The class of the branch that ends the blocks ending at `end` (the
/// address just past the branch), as a trace's metadata records it for
/// producers that know it (the ChampSim importer).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct BranchInfo {
    /// The address just past the branch: the end of its block.
    pub end: u64,
    /// What kind of branch it is.
    pub class: BranchClass,
}
