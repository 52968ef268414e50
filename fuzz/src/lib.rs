//! What the fuzz targets share: fixing the checksums of a mutated trace so
//! that it reaches event decoding, reading a whole trace every way the
//! public reader offers, and importing into a real trace writer.
//!
//! The property every target checks is that the code returns a value or an
//! error: a panic, an abort, a hang or a runaway allocation is a crash.
//! Where two paths must agree (the reader's three ways of iterating, an
//! encoding and its decoding), the targets assert that too.

#![warn(missing_docs)]

use std::ops::ControlFlow;

use memento_trace::format::{ChunkHeader, CHUNK_HEADER_LEN, HEADER_PREFIX_LEN};
use memento_trace::import::ImportSummary;
use memento_trace::{Drain, Event, Header, Summarizer, TraceError, TraceFile, TraceWriter};

/// The name traces read from memory go by in errors.
pub const TRACE_NAME: &str = "fuzz.mtrace";

/// Rewrites the header checksum, if the header's body fits in `bytes`, to
/// the CRC-32 of that body; returns where the chunks start, `None` when the
/// header does not fit.
pub fn fix_header_crc(bytes: &mut [u8]) -> Option<usize> {
    let len_field = bytes.get(12..HEADER_PREFIX_LEN)?;
    let body_len = u32::from_le_bytes(len_field.try_into().ok()?) as usize;
    let crc_at = HEADER_PREFIX_LEN.checked_add(body_len)?;
    let end = crc_at.checked_add(4)?;
    if end > bytes.len() {
        return None;
    }
    let crc = crc32fast::hash(&bytes[HEADER_PREFIX_LEN..crc_at]);
    bytes[crc_at..end].copy_from_slice(&crc.to_le_bytes());
    Some(end)
}

/// Rewrites every checksum of a trace, the header's and those of the
/// chunks that follow one another from it, so that a mutated file is
/// judged on its contents, not turned away at the first checksum. Stops at
/// the first chunk header that does not decode or whose payload runs past
/// the end.
pub fn fix_crcs(bytes: &mut [u8]) {
    let Some(mut at) = fix_header_crc(bytes) else {
        return;
    };
    while let Ok(mut chunk) = ChunkHeader::decode(&bytes[at..]) {
        let start = at + CHUNK_HEADER_LEN;
        let end = start + chunk.payload_len as usize;
        if end > bytes.len() {
            return;
        }
        chunk.crc = crc32fast::hash(&bytes[start..end]);
        bytes[at..start].copy_from_slice(&chunk.encode());
        at = end;
    }
}

/// An item as the reader yields it, with the error as its message (errors
/// are not comparable).
pub type Item = Result<Event, String>;

fn item(item: Result<Event, TraceError>) -> Item {
    item.map_err(|e| e.to_string())
}

/// A drain that keeps every item and breaks after every `every`th one, so
/// that resuming a drive is exercised too.
struct Collect {
    items: Vec<Item>,
    every: usize,
}

impl Collect {
    fn flow(&self) -> ControlFlow<()> {
        if self.items.len().is_multiple_of(self.every) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }
}

impl Drain for Collect {
    fn event(&mut self, event: Event) -> ControlFlow<()> {
        self.items.push(Ok(event));
        self.flow()
    }

    fn error(&mut self, error: TraceError) -> ControlFlow<()> {
        self.items.push(Err(error.to_string()));
        self.flow()
    }
}

/// The items of `trace` by external iteration (`next`), by internal
/// iteration (`fold`) and by [`memento_trace::Events::drive`] (resumed
/// after breaks); asserts that the three agree and returns them.
pub fn read_events(trace: &TraceFile) -> Vec<Item> {
    // A `for` loop calls `next`; `collect` might not.
    let mut by_next = Vec::new();
    for i in trace.events() {
        by_next.push(item(i));
    }
    let mut by_fold = Vec::new();
    trace.events().for_each(|i| by_fold.push(item(i)));
    assert_eq!(by_next, by_fold, "next and fold disagree");
    let mut drain = Collect {
        items: Vec::new(),
        every: 7,
    };
    let mut events = trace.events();
    while events.drive(&mut drain) {}
    assert_eq!(by_next, drain.items, "next and drive disagree");
    by_next
}

/// Reads the whole trace in `bytes` as `memento trace info` does, both
/// stopping at the first error and with `keep_going`: header, chunks and
/// their events, every event, the metadata table, and the summary.
pub fn read_trace(bytes: &[u8]) {
    for keep_going in [false, true] {
        let Ok(trace) = TraceFile::from_bytes(TRACE_NAME, bytes.to_vec()) else {
            return;
        };
        let trace = trace.keep_going(keep_going);
        for chunk in trace.chunks().flatten() {
            let _ = chunk.verify();
            chunk.events().for_each(drop);
        }
        let items = read_events(&trace);
        if !keep_going {
            let errors = items.iter().filter(|i| i.is_err()).count();
            assert!(errors <= 1, "{errors} errors without keep_going");
        }
        let mut summarizer = Summarizer::new(trace.header().page_size);
        for event in items.iter().flatten() {
            summarizer.push(event);
        }
        summarizer.finish();
        let metadata = trace.metadata();
        // `memento trace convert` from a trace to a trace: what was read
        // is written and reads back the same.
        let events: Vec<Event> = items.iter().flatten().copied().collect();
        let mut writer = writer(trace.header());
        for event in &events {
            writer
                .push(event)
                .expect("an event that was read is written");
        }
        let metadata = metadata.unwrap_or_default();
        metadata
            .threads
            .iter()
            .for_each(|t| writer.add_thread(t.clone()));
        metadata
            .modules
            .iter()
            .for_each(|m| writer.add_module(m.clone()));
        let (trace, read) = read_back(writer);
        assert_eq!(read, events, "events written and read back");
        assert_eq!(trace.metadata().ok(), Some(metadata));
    }
}

/// A trace writer to memory with small chunks, so that several are made.
fn writer(header: &Header) -> TraceWriter<Vec<u8>> {
    TraceWriter::new(Vec::new(), header)
        .expect("writing to memory")
        .with_chunk_bytes(256)
}

/// Finishes `writer` and reads its trace back; asserts that every event
/// reads (no error) and returns the trace and the events.
fn read_back(writer: TraceWriter<Vec<u8>>) -> (TraceFile, Vec<Event>) {
    let (bytes, _) = writer.finish().expect("writing to memory");
    let trace = TraceFile::from_bytes(TRACE_NAME, bytes).expect("the header just written");
    let events = read_events(&trace)
        .into_iter()
        .map(|item| item.unwrap_or_else(|e| panic!("a written trace does not read back: {e}")))
        .collect();
    (trace, events)
}

/// The header of the traces the importers write.
pub fn import_header() -> Header {
    Header {
        producer: "memento-fuzz".into(),
        workload: "fuzz".into(),
        runtime: "import".into(),
        page_size: 4096,
        ..Header::default()
    }
}

/// Runs an importer into a trace writer with small chunks; when the import
/// succeeds, asserts that the trace it wrote reads back whole: as many
/// events as were written, none of them an error.
pub fn import_and_read_back(
    import: impl FnOnce(&mut TraceWriter<Vec<u8>>) -> Result<ImportSummary, TraceError>,
) {
    let mut writer = writer(&import_header());
    if import(&mut writer).is_err() {
        return;
    }
    let written = writer.events();
    let (_, events) = read_back(writer);
    assert_eq!(events.len() as u64, written, "events written and read back");
}

/// Reads `data` as UTF-8 text, as the configuration readers take it;
/// `None` for other bytes (the file readers fail on those before parsing).
pub fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// Parses `text` (named `fuzz.toml`) with `parse`; when that succeeds,
/// asserts that what `print` makes of the value parses again to the same
/// value, as a user who saves printed TOML and loads it expects.
pub fn parse_and_print<T, E>(
    text: &str,
    parse: impl Fn(&str, &str) -> Result<T, E>,
    print: impl Fn(&T) -> String,
) where
    T: PartialEq + std::fmt::Debug,
    E: std::fmt::Display,
{
    let Ok(value) = parse(text, "fuzz.toml") else {
        return;
    };
    let printed = print(&value);
    match parse(&printed, "printed") {
        Ok(again) => assert_eq!(value, again, "the value changes through its TOML"),
        Err(e) => panic!("a valid value prints as an invalid one: {e}\n{printed}"),
    }
}
