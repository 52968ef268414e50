//! Encoding as a converter or a capture does it, shared by the criterion
//! bench and the `decode_paths` example (both include this file).

use std::time::{Duration, Instant};

use memento_trace::{Event, Header, TraceWriter};

/// Events per batch: 192 KiB of 48-byte events, which stays in L2.
const BATCH: usize = 4096;

/// Encodes `events` a batch at a time, each batch first copied into a
/// small buffer (untimed), so that the encoder reads its input from the
/// cache, as it does behind a decoder or an importer, instead of streaming
/// a whole decoded trace from DRAM. Returns the bytes and the time spent
/// in `push` and `finish` only.
pub fn encode_batched(events: &[Event], header: &Header) -> (Vec<u8>, Duration) {
    // Output preallocated as in the bench's `encode`, so both pay the same.
    let out = Vec::with_capacity(events.len() * 3);
    let mut writer = TraceWriter::new(out, header).expect("in-memory write");
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
