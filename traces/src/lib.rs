//! Memento's trace format: the events of a traced function run, a compact
//! chunked binary encoding, a writer, and a streaming zero-copy reader.

pub mod error;
pub mod event;

pub use error::InvalidValue;
pub use event::{Alloc, AllocFn, AllocLevel, Event, EventKind, Free, Realloc};
