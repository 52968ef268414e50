//! Reading traces: a memory-mapped file, walked chunk by chunk, decoded
//! lazily, in O(1) memory whatever its length.

use std::fs::File;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use crate::codec::{Decoder, Visit};
use crate::error::{DecodeError, ErrorKind, TraceError};
use crate::event::Event;
use crate::format::{ChunkHeader, ChunkKind, Header, Metadata, CHUNK_HEADER_LEN, CHUNK_MARKER};

enum Bytes {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

/// An open trace: the header is parsed, the rest is read on demand.
pub struct TraceFile {
    path: PathBuf,
    bytes: Bytes,
    header: Header,
    data_start: usize,
    keep_going: bool,
}

impl TraceFile {
    /// Opens and maps `path`, and checks its header.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, TraceError> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|e| TraceError::file(path, ErrorKind::Io(e)))?;
        let len = file
            .metadata()
            .map_err(|e| TraceError::file(path, ErrorKind::Io(e)))?
            .len();
        let bytes = if len == 0 {
            Bytes::Owned(Vec::new())
        } else {
            // SAFETY: the map is read-only; a trace changed by another
            // process while mapped can give wrong events but not unsound
            // memory accesses, as every read is bounds-checked.
            let map = unsafe { memmap2::Mmap::map(&file) }
                .map_err(|e| TraceError::file(path, ErrorKind::Io(e)))?;
            Bytes::Mapped(map)
        };
        Self::with_bytes(path.to_path_buf(), bytes)
    }

    /// A trace held in memory; `name` is used in error messages.
    pub fn from_bytes(name: impl Into<PathBuf>, bytes: Vec<u8>) -> Result<Self, TraceError> {
        Self::with_bytes(name.into(), Bytes::Owned(bytes))
    }

    fn with_bytes(path: PathBuf, bytes: Bytes) -> Result<Self, TraceError> {
        let all: &[u8] = match &bytes {
            Bytes::Mapped(map) => map,
            Bytes::Owned(vec) => vec,
        };
        let (header, data_start) =
            Header::decode(all).map_err(|(offset, kind)| TraceError::at(&path, offset, kind))?;
        Ok(TraceFile {
            path,
            bytes,
            header,
            data_start,
            keep_going: false,
        })
    }

    /// With `true`, a damaged chunk is reported (as one error item) and
    /// skipped, and reading goes on with the next good chunk.
    pub fn keep_going(mut self, keep_going: bool) -> Self {
        self.keep_going = keep_going;
        self
    }

    /// The file the trace was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Gives the mapped pages of `from..to` back to the kernel: they stay
    /// readable (a later read faults them in again from the file), but no
    /// longer count in the resident set. Nothing for a trace held in memory.
    fn release(&self, from: usize, to: usize) {
        if let Bytes::Mapped(map) = &self.bytes {
            // SAFETY: the map is a read-only shared mapping of a file, so
            // dropping its pages loses nothing: they are read again from
            // the file if touched. `from` is a multiple of RELEASE_STEP
            // (page-aligned) and `to` lies within the map.
            let _ = unsafe {
                map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, from, to - from)
            };
        }
    }

    /// The whole file.
    pub fn as_bytes(&self) -> &[u8] {
        match &self.bytes {
            Bytes::Mapped(map) => map,
            Bytes::Owned(vec) => vec,
        }
    }

    /// The chunks, in file order.
    pub fn chunks(&self) -> Chunks<'_> {
        Chunks {
            file: self,
            offset: self.data_start,
            done: false,
            released: 0,
        }
    }

    /// Every event, in order.
    pub fn events(&self) -> Events<'_> {
        Events::new(self)
    }

    /// The metadata table, gathered from every metadata chunk.
    pub fn metadata(&self) -> Result<Metadata, TraceError> {
        let mut metadata = Metadata::default();
        for chunk in self.chunks() {
            let chunk = chunk?;
            if chunk.header.kind == ChunkKind::Metadata {
                chunk.verify()?;
                metadata
                    .decode_into(chunk.payload, chunk.header.count)
                    .map_err(|(at, kind)| {
                        TraceError::at(&self.path, chunk.payload_offset() + at, kind)
                    })?;
            }
        }
        Ok(metadata)
    }

    fn error(&self, offset: u64, kind: ErrorKind) -> TraceError {
        TraceError::at(&self.path, offset, kind)
    }

    /// Finds the next offset after `from` where a whole, intact chunk starts.
    fn resync(&self, from: usize) -> Option<usize> {
        let bytes = self.as_bytes();
        let mut at = from;
        while let Some(found) = find(&bytes[at..], &CHUNK_MARKER) {
            let start = at + found;
            if let Ok(header) = ChunkHeader::decode(&bytes[start..]) {
                let end = start + CHUNK_HEADER_LEN + header.payload_len as usize;
                if end <= bytes.len()
                    && crc32fast::hash(&bytes[start + CHUNK_HEADER_LEN..end]) == header.crc
                {
                    return Some(start);
                }
            }
            at = start + 1;
        }
        None
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// One chunk of a trace, not yet decoded.
#[derive(Clone, Copy)]
pub struct Chunk<'a> {
    file: &'a TraceFile,
    offset: usize,
    /// The chunk header.
    pub header: ChunkHeader,
    /// The payload bytes.
    pub payload: &'a [u8],
}

impl<'a> Chunk<'a> {
    /// Byte offset of the chunk in the file.
    pub fn offset(&self) -> u64 {
        self.offset as u64
    }

    /// Byte offset of the payload in the file.
    pub fn payload_offset(&self) -> u64 {
        (self.offset + CHUNK_HEADER_LEN) as u64
    }

    /// Checks the payload against its CRC-32.
    pub fn verify(&self) -> Result<(), TraceError> {
        let computed = crc32fast::hash(self.payload);
        if computed != self.header.crc {
            return Err(self.file.error(
                self.offset() + 28,
                ErrorKind::Checksum {
                    what: "chunk payload",
                    stored: self.header.crc,
                    computed,
                },
            ));
        }
        Ok(())
    }

    /// The chunk's events (none for a metadata chunk). The checksum is
    /// checked first; a mismatch is the first and only item.
    pub fn events(&self) -> ChunkEvents<'a> {
        let pending_error = self.verify().err();
        let remaining = match self.header.kind {
            ChunkKind::Events if pending_error.is_none() => self.header.count,
            _ => 0,
        };
        // A damaged payload is not decoded at all.
        let payload = match pending_error {
            None => self.payload,
            Some(_) => &[],
        };
        ChunkEvents {
            chunk: *self,
            decoder: Decoder::new(payload),
            remaining,
            pending_error,
        }
    }
}

/// The chunks of a trace; yields an error where a chunk cannot be framed.
pub struct Chunks<'a> {
    file: &'a TraceFile,
    offset: usize,
    done: bool,
    /// The mapped bytes before this offset were given back to the kernel.
    released: usize,
}

/// Mapped trace bytes already walked are given back in steps of this size,
/// so a replay's resident set stays flat however long the trace.
const RELEASE_STEP: usize = 4 << 20;

impl<'a> Iterator for Chunks<'a> {
    type Item = Result<Chunk<'a>, TraceError>;

    fn next(&mut self) -> Option<Self::Item> {
        let bytes = self.file.as_bytes();
        if self.done || self.offset >= bytes.len() {
            return None;
        }
        let start = self.offset;
        if start - self.released >= RELEASE_STEP {
            let upto = start & !(RELEASE_STEP - 1);
            self.file.release(self.released, upto);
            self.released = upto;
        }
        let framed = ChunkHeader::decode(&bytes[start..])
            .map_err(|(at, kind)| self.file.error(start as u64 + at, kind))
            .and_then(|header| {
                let end = start + CHUNK_HEADER_LEN + header.payload_len as usize;
                if end > bytes.len() {
                    Err(self.file.error(
                        start as u64,
                        ErrorKind::TruncatedChunk {
                            needed: (end - start) as u64,
                            available: (bytes.len() - start) as u64,
                        },
                    ))
                } else {
                    Ok((header, end))
                }
            });
        match framed {
            Ok((header, end)) => {
                self.offset = end;
                Some(Ok(Chunk {
                    file: self.file,
                    offset: start,
                    header,
                    payload: &bytes[start + CHUNK_HEADER_LEN..end],
                }))
            }
            Err(error) => {
                match self.file.keep_going {
                    true => match self.file.resync(start + 1) {
                        Some(next) => self.offset = next,
                        None => self.done = true,
                    },
                    false => self.done = true,
                }
                Some(Err(error))
            }
        }
    }
}

/// The events of one chunk.
pub struct ChunkEvents<'a> {
    chunk: Chunk<'a>,
    decoder: Decoder<'a>,
    remaining: u32,
    pending_error: Option<TraceError>,
}

impl ChunkEvents<'_> {
    fn fail(&mut self, at: usize, kind: ErrorKind) -> TraceError {
        self.remaining = 0;
        self.chunk
            .file
            .error(self.chunk.payload_offset() + at as u64, kind)
    }
}

impl ChunkEvents<'_> {
    /// Called when the declared events are used up: reports a pending
    /// checksum error or bytes left over, once.
    #[inline(never)]
    fn finish(&mut self) -> Option<Result<Event, TraceError>> {
        if let Some(error) = self.pending_error.take() {
            return Some(Err(error));
        }
        if self.decoder.is_done() || self.chunk.header.kind != ChunkKind::Events {
            return None;
        }
        let at = self.decoder.position();
        let declared = u64::from(self.chunk.header.count);
        // Leave the decoder at the end so this is reported once.
        self.decoder = Decoder::new(&[]);
        Some(Err(self.fail(
            at,
            ErrorKind::EventCount {
                declared,
                decoded: declared + 1,
            },
        )))
    }

    #[cold]
    #[inline(never)]
    fn decode_failed(&mut self, at: usize, kind: DecodeError) -> TraceError {
        let kind = match kind {
            DecodeError::TruncatedEvent if at == self.chunk.payload.len() => {
                let declared = u64::from(self.chunk.header.count);
                let decoded = declared - u64::from(self.remaining);
                ErrorKind::EventCount { declared, decoded }
            }
            kind => kind.into(),
        };
        self.decoder = Decoder::new(&[]);
        self.fail(at, kind)
    }
}

impl Iterator for ChunkEvents<'_> {
    type Item = Result<Event, TraceError>;

    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return self.finish();
        }
        let at = self.decoder.position();
        match self.decoder.decode() {
            Ok(event) => {
                self.remaining -= 1;
                Some(Ok(event))
            }
            Err(kind) => Some(Err(self.decode_failed(at, kind))),
        }
    }
}

/// Events decoded ahead by [`Events`], so that `next` is a copy from a
/// buffer rather than a trip through the decoder's state.
const BATCH: usize = 256;

/// What [`Events::advance`] found past the end of a chunk's events.
enum Advance {
    /// An item to yield (an error).
    Item(Result<Event, TraceError>),
    /// The next chunk, now current.
    Opened,
    /// The end of the trace.
    End,
}

/// Every event of a trace, chunk after chunk.
pub struct Events<'a> {
    chunks: Chunks<'a>,
    current: ChunkEvents<'a>,
    buffer: Vec<Event>,
    next: usize,
    pending: Option<TraceError>,
    done: bool,
}

impl<'a> Events<'a> {
    fn new(file: &'a TraceFile) -> Self {
        Events {
            chunks: file.chunks(),
            current: ChunkEvents {
                chunk: Chunk {
                    file,
                    offset: file.data_start,
                    header: ChunkHeader {
                        kind: ChunkKind::Metadata,
                        payload_len: 0,
                        count: 0,
                        thread: 0,
                        instructions_before: 0,
                        crc: 0,
                    },
                    payload: &[],
                },
                decoder: Decoder::new(&[]),
                remaining: 0,
                pending_error: None,
            },
            buffer: Vec::with_capacity(BATCH),
            next: 0,
            pending: None,
            done: false,
        }
    }

    /// Decodes up to [`BATCH`] events of the current chunk into the buffer
    /// with a decoder local to the loop; an error is kept for after them.
    fn fill(&mut self) {
        self.buffer.clear();
        self.next = 0;
        let mut decoder = std::mem::replace(&mut self.current.decoder, Decoder::new(&[]));
        let take = (self.current.remaining as usize).min(BATCH);
        let mut decoded = 0;
        while decoded < take {
            let at = decoder.position();
            match decoder.decode() {
                Ok(event) => {
                    self.buffer.push(event);
                    decoded += 1;
                }
                Err(kind) => {
                    self.current.decoder = decoder;
                    self.current.remaining -= decoded as u32;
                    self.pending = Some(self.current.decode_failed(at, kind));
                    return;
                }
            }
        }
        self.current.decoder = decoder;
        self.current.remaining -= decoded as u32;
    }

    /// Refills the buffer, moving to the next chunk when this one is done;
    /// returns the next item, `None` at the end of the trace.
    #[inline(never)]
    fn refill(&mut self) -> Option<Result<Event, TraceError>> {
        loop {
            if self.pending.is_none() && self.current.remaining > 0 {
                self.fill();
                if let Some(&event) = self.buffer.first() {
                    self.next = 1;
                    return Some(Ok(event));
                }
                continue;
            }
            match self.advance() {
                Advance::Item(item) => return Some(item),
                Advance::Opened => {}
                Advance::End => return None,
            }
        }
    }

    /// What comes once the current chunk's events are used up (or its
    /// decoding failed): an item due there (an error), or the next chunk,
    /// opened and left for the caller to decode, or the end.
    #[inline(never)]
    fn advance(&mut self) -> Advance {
        if let Some(error) = self.pending.take() {
            return Advance::Item(self.track(Err(error)));
        }
        if let Some(item) = self.current.finish() {
            return Advance::Item(self.track(item));
        }
        if self.done {
            return Advance::End;
        }
        match self.chunks.next() {
            Some(Ok(chunk)) => {
                self.current = chunk.events();
                Advance::Opened
            }
            Some(Err(error)) => Advance::Item(self.track(Err(error))),
            None => Advance::End,
        }
    }

    /// Stops after the first error unless the trace keeps going.
    fn track(&mut self, item: Result<Event, TraceError>) -> Result<Event, TraceError> {
        if item.is_err() && !self.chunks.file.keep_going {
            self.done = true;
            self.current.remaining = 0;
            self.current.decoder = Decoder::new(&[]);
            self.current.pending_error = None;
        }
        item
    }
}

/// Decodes up to `remaining` events of a chunk (counting it down) into the
/// fold `f`; returns the accumulator. Where decoding fails, the offset and
/// error go to `failed`.
#[inline(always)]
fn fold_run<B, F: FnMut(B, Result<Event, TraceError>) -> B>(
    decoder: &mut Decoder<'_>,
    remaining: &mut u32,
    mut acc: B,
    f: &mut F,
    failed: &mut Option<(usize, DecodeError)>,
) -> B {
    while *remaining > 0 {
        let at = decoder.position();
        match decoder.decode() {
            Ok(event) => {
                *remaining -= 1;
                acc = f(acc, Ok(event));
            }
            Err(kind) => {
                *failed = Some((at, kind));
                break;
            }
        }
    }
    acc
}

/// [`fold_run`] for a [`Drain`], through [`Decoder::decode_with`] so that
/// loads, stores and blocks reach it without an [`Event`] built in memory;
/// returns whether the drain broke. (A fold through a visitor, or a drain
/// through a fold's accumulator, each ran 5-10% slower: the same loop
/// twice is the price of both.)
#[inline(always)]
fn drain_run<D: Drain>(
    decoder: &mut Decoder<'_>,
    remaining: &mut u32,
    drain: &mut D,
    failed: &mut Option<(usize, DecodeError)>,
) -> bool {
    let visit = &mut IntoDrain(drain);
    while *remaining > 0 {
        let at = decoder.position();
        match decoder.decode_with(visit) {
            Ok(flow) => {
                *remaining -= 1;
                if flow.is_break() {
                    return true;
                }
            }
            Err(kind) => {
                *failed = Some((at, kind));
                break;
            }
        }
    }
    false
}

/// Events into a [`Drain`], loads, stores and blocks to their own methods.
/// (`Drain` as a subtrait of [`Visit`], without this adapter, compiled the
/// replay's decode loop into 0.9% more instructions and ran 1-2% slower.)
struct IntoDrain<'a, D>(&'a mut D);

impl<D: Drain> Visit for IntoDrain<'_, D> {
    type Out = ControlFlow<()>;

    #[inline(always)]
    fn event(&mut self, event: Event) -> ControlFlow<()> {
        self.0.event(event)
    }

    #[inline(always)]
    fn access(&mut self, store: bool, addr: u64, size: u32) -> ControlFlow<()> {
        self.0.access(store, addr, size)
    }

    #[inline(always)]
    fn block(&mut self, addr: u64, len: u32, count: u32) -> ControlFlow<()> {
        self.0.block(addr, len, count)
    }
}

/// What [`Events::drive`] hands the items of a trace to. A trait rather
/// than a closure so that the consumer can mark its method
/// `#[inline(always)]` and have it decoded into in one loop, with no copy
/// of the event through memory.
///
/// Events and errors come to separate methods: wrapping each event in a
/// `Result` whose error is a large `TraceError` moved it into another
/// layout through memory, a partial store-to-load forward that stalled
/// every event of a replay. Loads, stores and blocks can come to methods of
/// their own, as plain values, for the same reason: even unwrapped, an
/// [`Event`] is built on the stack and read back.
pub trait Drain {
    /// Takes the next event; `Break` stops the drive after it.
    fn event(&mut self, event: Event) -> ControlFlow<()>;

    /// Takes a load (`store` false) or a store, as [`Drain::event`] would
    /// the event: a consumer that overrides this (and `block`) reads them
    /// without an [`Event`] built in memory (see [`Visit`]).
    #[inline(always)]
    fn access(&mut self, store: bool, addr: u64, size: u32) -> ControlFlow<()> {
        self.event(Event::access(store, addr, size))
    }

    /// Takes a block, as [`Drain::event`] would `Event::Block`.
    #[inline(always)]
    fn block(&mut self, addr: u64, len: u32, count: u32) -> ControlFlow<()> {
        self.event(Event::Block { addr, len, count })
    }

    /// Takes an error the trace yields where an event was due (a damaged
    /// chunk); `Break` stops the drive after it.
    fn error(&mut self, error: TraceError) -> ControlFlow<()>;

    /// Takes an item as [`Events`] yields it, to the method for its kind.
    #[inline(always)]
    fn item(&mut self, item: Result<Event, TraceError>) -> ControlFlow<()> {
        match item {
            Ok(event) => self.event(event),
            Err(error) => self.error(error),
        }
    }
}

impl Events<'_> {
    /// Hands the items `next` would yield, in order, to `drain`, straight
    /// from the chunk's decoder (no copy through the buffer), until it
    /// breaks or the trace ends. Returns false once the trace is done;
    /// after a break, reading resumes (here or with `next`) at the next
    /// item.
    #[inline(always)]
    pub fn drive(&mut self, drain: &mut impl Drain) -> bool {
        loop {
            while let Some(&event) = self.buffer.get(self.next) {
                self.next += 1;
                if drain.event(event).is_break() {
                    return true;
                }
            }
            // The decoder is used in place: a drive may stop after a few
            // events (a core that passed the others), and moving its
            // bases out and back would cost more than the events.
            let mut remaining = self.current.remaining;
            let mut failed = None;
            let stop = drain_run(
                &mut self.current.decoder,
                &mut remaining,
                drain,
                &mut failed,
            );
            self.current.remaining = remaining;
            if let Some((at, kind)) = failed {
                self.pending = Some(self.current.decode_failed(at, kind));
            }
            if stop {
                return true;
            }
            // Errors, chunk ends and the next chunk: the next chunk is
            // decoded here too, not through the buffer.
            match self.advance() {
                Advance::Item(item) => {
                    if drain.item(item).is_break() {
                        return true;
                    }
                }
                Advance::Opened => {}
                Advance::End => return false,
            }
        }
    }
}

impl Iterator for Events<'_> {
    type Item = Result<Event, TraceError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if let Some(&event) = self.buffer.get(self.next) {
            self.next += 1;
            return Some(Ok(event));
        }
        self.refill()
    }

    /// Internal iteration (`for_each`, `fold`, `count`, ...) hands each
    /// event straight from a decoder local to this loop to `f`: the fastest
    /// way to read a whole trace. (It is [`Events::drive`] with the decoder
    /// moved out for the whole run, which measured 10% faster than using it
    /// in place; a drive may stop after a few events, where moving the
    /// decoder's bases out and back would cost more than it saves.)
    fn fold<B, F>(mut self, init: B, mut f: F) -> B
    where
        F: FnMut(B, Self::Item) -> B,
    {
        let mut acc = init;
        loop {
            while let Some(&event) = self.buffer.get(self.next) {
                self.next += 1;
                acc = f(acc, Ok(event));
            }
            let mut decoder = std::mem::replace(&mut self.current.decoder, Decoder::new(&[]));
            let mut remaining = self.current.remaining;
            let mut failed = None;
            acc = fold_run(&mut decoder, &mut remaining, acc, &mut f, &mut failed);
            self.current.decoder = decoder;
            self.current.remaining = remaining;
            if let Some((at, kind)) = failed {
                self.pending = Some(self.current.decode_failed(at, kind));
            }
            match self.advance() {
                Advance::Item(item) => acc = f(acc, item),
                Advance::Opened => {}
                Advance::End => return acc,
            }
        }
    }
}
