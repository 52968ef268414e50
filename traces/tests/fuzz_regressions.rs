//! Inputs the fuzz targets (`fuzz/`, `scripts/fuzz.sh`) found to crash,
//! hang or exhaust memory, inlined as bytes: each must now read to a value
//! or an error.

use memento_trace::{Summarizer, TraceFile, TraceSummary};

/// Reads a whole trace and summarises it, as `memento trace info` does.
fn info(bytes: &[u8]) -> TraceSummary {
    let trace = TraceFile::from_bytes("fuzz.mtrace", bytes.to_vec()).expect("the header reads");
    let mut summarizer = Summarizer::new(trace.header().page_size);
    for event in trace.events() {
        summarizer.push(&event.expect("the events read"));
    }
    summarizer.finish()
}

/// trace_file: a header of 1-byte pages and one load of 4 GiB - 1: the
/// footprint was counted page by page into a hash set, 4 billion of them
/// (a timeout, then out of memory).
#[test]
fn a_load_of_four_gib_at_one_byte_pages_is_summarised_without_counting_each_page() {
    const INPUT: [u8; 66] = [
        0x89, 0x4d, 0x54, 0x52, 0x0d, 0x0a, 0x1a, 0x0a, 0x01, 0x00, 0x00, 0x00, //
        0x06, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x72, //
        0x9e, 0x7a, 0x4d, 0x43, 0x48, 0x4b, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, //
        0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x19, 0x9a, 0x08, 0x22, 0x03, 0x00, //
        0xff, 0xff, 0xff, 0xff, 0x0f, 0x00,
    ];
    let summary = info(&INPUT);
    assert_eq!(summary.page_size, 1);
    assert_eq!(summary.data_pages, u64::from(u32::MAX));
}
