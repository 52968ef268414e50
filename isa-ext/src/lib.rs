//! The Memento ISA extension: the architecture specification (size classes,
//! arena layout, the Memento region, instruction encodings) and functional
//! models of the hardware object and page allocators. `README.md` is the
//! specification in prose.
//!
//! The models are state machines that report [`Effects`] (addresses read,
//! written, installed, dropped, pages taken and released), never cycles:
//! the simulator turns effects into timing.
//!
//! # Glossary
//! - **AAC** (arena allocation cache): per-core, fully associative LRU cache
//!   of arena headers that are not in the HOT.
//! - **arena**: a power-of-two, aligned range of one size class: a header
//!   then slots.
//! - **body**: the part of an arena after its header, starting on a line.
//! - **class span**: the part of a lane given to one size class, carved into
//!   arenas by a bump pointer.
//! - **current arena**: the arena obj-alloc of a (lane, class) takes from.
//! - **effects**: what one operation did, as addresses.
//! - **fallback**: obj-alloc returning 0: software serves the request.
//! - **header**: the arena's metadata: class, live count, list links,
//!   allocation bitmap.
//! - **HOA / HPA**: hardware object allocator / hardware page allocator.
//! - **HOT** (hardware object table): per-core, direct-mapped by size class,
//!   caches current arenas' headers.
//! - **lane**: one core's 1/64 of the region.
//! - **MRS / MRE**: Memento region start / end registers.
//! - **pool**: physical pages the OS gives the HPA to back region pages.
//! - **slot**: the place of one object in an arena.

#![warn(missing_docs)]

pub mod aac;
mod arena;
pub mod asm;
pub mod effects;
pub mod encoding;
pub mod hot;
pub mod layout;
pub mod listing;
pub mod object_allocator;
pub mod page_allocator;
pub mod params;
pub mod region;
pub mod size_class;
pub mod stats;

pub use aac::ArenaAllocationCache;
pub use arena::ArenaState;
pub use asm::{assemble, disassemble, AsmError};
pub use effects::{Effects, Fallback, LineSpan, Lookup};
pub use encoding::{decode, encode, DecodeError, Instruction, Reg};
pub use hot::HardwareObjectTable;
pub use layout::ArenaLayout;
pub use listing::listing;
pub use object_allocator::{ArenaInfo, HardwareObjectAllocator, HoaError, ListKind};
pub use page_allocator::{HardwarePageAllocator, OutsideRegion, Touch};
pub use params::{ParamError, Params, LANES};
pub use region::{Location, Region};
pub use size_class::{SizeClassError, SizeClasses, MAX_OBJECT};
pub use stats::{FallbackCounts, HitMiss, HoaStats, HpaStats};
