//! The Memento ISA extension: the architecture specification (size classes,
//! arena layout, the Memento region, instruction encodings) and functional
//! models of the hardware object and page allocators. `README.md` is the
//! specification in prose.

#![warn(missing_docs)]

pub mod asm;
pub mod encoding;
pub mod layout;
pub mod listing;
pub mod params;
pub mod region;
pub mod size_class;

pub use asm::{assemble, disassemble, AsmError};
pub use encoding::{decode, encode, DecodeError, Instruction, Reg};
pub use layout::ArenaLayout;
pub use listing::listing;
pub use params::{ParamError, Params, LANES};
pub use region::{Location, Region};
pub use size_class::{SizeClassError, SizeClasses, MAX_OBJECT};
