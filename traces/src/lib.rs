//! Memento's trace format: the events of a traced function run, a compact
//! chunked binary encoding (`FORMAT.md`), a writer, a streaming zero-copy
//! reader, importers from other tools' traces and exporters to them.

#![warn(missing_docs)]

pub mod atomic;
pub mod branch;
pub mod codec;
pub mod convert;
pub mod dram_trace;
pub mod error;
pub mod event;
pub mod export;
pub mod format;
pub mod import;
pub mod reader;
pub mod sink;
pub mod summary;
pub mod varint;
pub mod writer;

pub use branch::{BranchClass, BranchInfo};
pub use error::{DecodeError, ErrorKind, InvalidValue, TraceError};
pub use event::{Alloc, AllocFn, AllocLevel, Event, EventKind, Free, Realloc};
pub use format::{Header, Metadata, ModuleInfo, ThreadInfo};
pub use reader::{Chunk, ChunkEvents, Chunks, Drain, Events, TraceFile};
pub use sink::EventSink;
pub use summary::{Summarizer, TraceSummary};
pub use writer::{TraceFileWriter, TraceWriter, WriteSummary};
