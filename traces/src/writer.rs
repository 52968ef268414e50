//! Writing traces: events are encoded into chunks of about 64 KiB.

use std::io::{self, Write};
use std::path::Path;

use crate::atomic::AtomicFile;
use crate::codec::{self, Encoder};
use crate::error::{ErrorKind, TraceError};
use crate::event::Event;
use crate::format::{
    ChunkHeader, ChunkKind, Header, Metadata, ModuleInfo, ThreadInfo, DEFAULT_CHUNK_BYTES,
};

/// Counts of what a writer wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriteSummary {
    /// Events written.
    pub events: u64,
    /// Event chunks written.
    pub chunks: u64,
    /// Bytes written in all (header, chunks, metadata).
    pub bytes: u64,
}

/// Writes a trace to any byte sink.
pub struct TraceWriter<W: Write> {
    out: W,
    encoder: Encoder,
    payload: Vec<u8>,
    chunk_target: usize,
    chunk_events: u32,
    chunk_thread: u32,
    chunk_instructions_before: u64,
    thread: u32,
    instructions: u64,
    metadata: Metadata,
    summary: WriteSummary,
}

impl<W: Write> TraceWriter<W> {
    /// Starts a trace: writes `header` (its version field is ignored).
    pub fn new(mut out: W, header: &Header) -> io::Result<Self> {
        let bytes = header.encode();
        out.write_all(&bytes)?;
        Ok(TraceWriter {
            out,
            encoder: Encoder::default(),
            payload: Vec::with_capacity(DEFAULT_CHUNK_BYTES + 64),
            chunk_target: DEFAULT_CHUNK_BYTES,
            chunk_events: 0,
            chunk_thread: 0,
            chunk_instructions_before: 0,
            thread: 0,
            instructions: 0,
            metadata: Metadata::default(),
            summary: WriteSummary {
                bytes: bytes.len() as u64,
                ..WriteSummary::default()
            },
        })
    }

    /// Sets the payload size after which a chunk is closed (small values make
    /// many chunks, which tests of chunk handling want).
    pub fn with_chunk_bytes(mut self, bytes: usize) -> Self {
        self.chunk_target = bytes.max(1);
        self
    }

    /// Appends one event. Events that break the format's invariants (a zero
    /// count or size) are refused with `InvalidInput`.
    // Forced into the caller's loop, with the encoder's `encode`, `mem` and
    // `choose_base`: left to the compiler, they stayed calls behind a batch
    // loop, and inlining them made encoding 10-20% faster.
    #[inline(always)]
    pub fn push(&mut self, event: &Event) -> io::Result<()> {
        match *event {
            Event::Load { size, .. } | Event::Store { size, .. } if size != 0 => {}
            // The count before a chunk saturates: a trace may claim any gaps.
            Event::Block { len, count, .. } if len != 0 && count != 0 => {
                self.instructions = self.instructions.saturating_add(count.into());
            }
            Event::Gap { count } if count != 0 => {
                self.instructions = self.instructions.saturating_add(count)
            }
            Event::Thread { tid } => self.thread = tid,
            _ => {
                if let Err(why) = codec::check(event) {
                    return Err(inconsistent(event, why));
                }
            }
        }
        self.encoder.encode(event, &mut self.payload);
        self.chunk_events += 1;
        if self.payload.len() >= self.chunk_target || self.chunk_events == u32::MAX {
            self.flush_chunk()?;
        }
        Ok(())
    }

    /// Records a thread in the metadata table.
    pub fn add_thread(&mut self, thread: ThreadInfo) {
        self.metadata.threads.push(thread);
    }

    /// Records a module in the metadata table.
    pub fn add_module(&mut self, module: ModuleInfo) {
        self.metadata.modules.push(module);
    }

    /// Records the class of the branch ending blocks at `branch.end`.
    pub fn add_branch(&mut self, branch: crate::branch::BranchInfo) {
        self.metadata.branches.push(branch);
    }

    /// Events written so far.
    pub fn events(&self) -> u64 {
        self.summary.events + u64::from(self.chunk_events)
    }

    fn write_chunk(&mut self, kind: ChunkKind, count: u32) -> io::Result<()> {
        let header = ChunkHeader {
            kind,
            payload_len: u32::try_from(self.payload.len())
                .map_err(|_| io::Error::other("chunk payload over 4 GiB"))?,
            count,
            thread: self.chunk_thread,
            instructions_before: self.chunk_instructions_before,
            crc: crc32fast::hash(&self.payload),
        };
        self.out.write_all(&header.encode())?;
        self.out.write_all(&self.payload)?;
        self.summary.bytes += (header.encode().len() + self.payload.len()) as u64;
        self.payload.clear();
        Ok(())
    }

    /// Closes the current chunk now (e.g. at an invocation boundary, so
    /// that each invocation decodes on its own). Does nothing when empty.
    pub fn end_chunk(&mut self) -> io::Result<()> {
        self.flush_chunk()
    }

    fn flush_chunk(&mut self) -> io::Result<()> {
        if self.chunk_events == 0 {
            return Ok(());
        }
        self.write_chunk(ChunkKind::Events, self.chunk_events)?;
        self.summary.events += u64::from(self.chunk_events);
        self.summary.chunks += 1;
        self.chunk_events = 0;
        self.chunk_thread = self.thread;
        self.chunk_instructions_before = self.instructions;
        self.encoder.reset();
        Ok(())
    }

    /// Writes the last chunk and the metadata table; returns the sink.
    pub fn finish(mut self) -> io::Result<(W, WriteSummary)> {
        self.flush_chunk()?;
        if self.metadata.entries() > 0 {
            self.payload = self.metadata.encode();
            let entries = u32::try_from(self.metadata.entries())
                .map_err(|_| io::Error::other("metadata table too large"))?;
            self.write_chunk(ChunkKind::Metadata, entries)?;
        }
        self.out.flush()?;
        Ok((self.out, self.summary))
    }
}

/// A trace written to a file atomically: it appears under its name only
/// when [`TraceFileWriter::finish`] succeeds; on error or drop, nothing is
/// left behind.
pub struct TraceFileWriter {
    inner: TraceWriter<io::BufWriter<AtomicFile>>,
}

impl TraceFileWriter {
    /// Starts writing a trace to `path`.
    pub fn create(path: &Path, header: &Header) -> Result<Self, TraceError> {
        let file = AtomicFile::create(path)?;
        let sink = io::BufWriter::with_capacity(1 << 20, file);
        let inner =
            TraceWriter::new(sink, header).map_err(|e| TraceError::file(path, ErrorKind::Io(e)))?;
        Ok(TraceFileWriter { inner })
    }

    /// The underlying writer, for events and metadata.
    pub fn writer(&mut self) -> &mut TraceWriter<io::BufWriter<AtomicFile>> {
        &mut self.inner
    }

    /// Appends one event (see [`TraceWriter::push`]).
    #[inline]
    pub fn push(&mut self, event: &Event) -> io::Result<()> {
        self.inner.push(event)
    }

    /// Completes the trace and moves it under its name.
    pub fn finish(self) -> Result<WriteSummary, TraceError> {
        let path = self.inner.out.get_ref().path().to_path_buf();
        let (sink, summary) = self
            .inner
            .finish()
            .map_err(|e| TraceError::file(&path, ErrorKind::Io(e)))?;
        let file = sink
            .into_inner()
            .map_err(|e| TraceError::file(&path, ErrorKind::Io(e.into_error())))?;
        file.commit()?;
        Ok(summary)
    }
}

/// The error for an event that breaks the format's invariants; apart, so
/// that the formatting is not inlined into every caller of `push`.
#[cold]
#[inline(never)]
fn inconsistent(event: &Event, why: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("inconsistent event {event:?}: {why}"),
    )
}
