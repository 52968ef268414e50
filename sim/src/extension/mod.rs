//! Models of memory management other than the traced software allocator,
//! plugged into the machine through [`crate::allocator::AllocatorModel`]:
//! the Memento extension (its hardware object and page allocators, from
//! `memento-isa`, with their timing and the bypass rules) and the ideal
//! Mallacc the paper compares with.

mod held;
mod ideal;
mod memento;
mod pages;
mod placement;
mod serve;
pub mod stats;

pub use ideal::IdealMallacc;
pub use memento::Memento;
pub use placement::{Object, Placement};
