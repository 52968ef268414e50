//! The two ways the codec benchmarks time encoding, shared by the criterion
//! bench and the `decode_paths` example (both include this file).

use std::time::{Duration, Instant};

use memento_trace::{Event, Header, TraceWriter};

/// Events per batch: 192 KiB of 48-byte events, which stays in L2.
const BATCH: usize = 4096;

/// A writer into memory with room for the whole encoding, so that no
/// timing includes the output growing.
fn writer(events: &[Event], header: &Header) -> TraceWriter<Vec<u8>> {
    TraceWriter::new(Vec::with_capacity(events.len() * 3), header).expect("in-memory write")
}

/// Encodes `events` straight from the array: for a whole decoded trace, an
/// encoder reading its input back from DRAM.
pub fn encode(events: &[Event], header: &Header) -> Vec<u8> {
    let mut writer = writer(events, header);
    for event in events {
        writer.push(event).expect("valid event");
    }
    writer.finish().expect("in-memory write").0
}

/// Encodes `events` a batch at a time, each batch first copied into a
/// small buffer (untimed), so that the encoder reads its input from the
/// cache, as behind a producer that makes each event just before pushing
/// it. Returns the bytes, the same as [`encode`]'s, and the time spent in
/// `push` and `finish` only.
pub fn encode_batched(events: &[Event], header: &Header) -> (Vec<u8>, Duration) {
    let mut writer = writer(events, header);
    let mut batch = Vec::with_capacity(BATCH);
    let mut time = Duration::ZERO;
    for slice in events.chunks(BATCH) {
        batch.clear();
        batch.extend_from_slice(slice);
        let start = Instant::now();
        for event in &batch {
            writer.push(event).expect("valid event");
        }
        time += start.elapsed();
    }
    let start = Instant::now();
    let bytes = writer.finish().expect("in-memory write").0;
    (bytes, time + start.elapsed())
}
