//! Inputs the fuzz targets (`fuzz/`, `scripts/fuzz.sh`) found to crash,
//! hang or exhaust memory, inlined as bytes (traces as the reader saw them,
//! after the target fixed up their checksums): each must now read to a
//! value or an error.

use memento_trace::{Event, Summarizer, TraceFile, TraceSummary, TraceWriter};

fn open(bytes: &[u8]) -> TraceFile {
    TraceFile::from_bytes("fuzz.mtrace", bytes.to_vec()).expect("the header reads")
}

/// The events of a trace that read, up to the first error.
fn events(bytes: &[u8]) -> Vec<Event> {
    open(bytes).events().map_while(Result::ok).collect()
}

/// Summarises the events of a trace that read, as `memento trace info
/// --keep-going` does.
fn info(bytes: &[u8]) -> TraceSummary {
    let mut summarizer = Summarizer::new(open(bytes).header().page_size);
    events(bytes).iter().for_each(|e| summarizer.push(e));
    summarizer.finish()
}

/// Writes the events of a trace that read into a new trace, as `memento
/// trace convert a.mtrace b.mtrace` does, and reads them back.
fn convert(bytes: &[u8]) -> Vec<Event> {
    let events = events(bytes);
    let mut writer = TraceWriter::new(Vec::new(), open(bytes).header()).unwrap();
    events.iter().for_each(|e| writer.push(e).unwrap());
    let (out, _) = writer.finish().unwrap();
    let read = open(&out).events().collect::<Result<Vec<_>, _>>().unwrap();
    assert_eq!(read, events);
    read
}

/// trace_file: gaps of 2^64 - 1 and 7 * 2^28 instructions, then a cut
/// `brk`: the instruction counts overflowed (a panic where overflow is
/// checked, a wrong count where not).
const GAPS_PAST_U64_MAX: [u8; 109] = [
    0x89, 0x4d, 0x54, 0x52, 0x0d, 0x0a, 0x1a, 0x0a, 0x01, 0x00, 0x00, 0x00, //
    0x22, 0x00, 0x00, 0x00, 0x01, 0x32, 0x00, 0x12, 0x6d, 0x65, 0x5b, 0x65, //
    0x6e, 0x74, 0x6f, 0x2d, 0x66, 0x75, 0x7a, 0x7a, 0x20, 0x73, 0x65, 0x65, //
    0x64, 0x73, 0x04, 0x73, 0x65, 0x65, 0x64, 0x01, 0x63, 0x04, 0x73, 0x65, //
    0x65, 0x64, 0x09, 0xc3, 0x99, 0xfa, 0x4d, 0x43, 0x48, 0x4b, 0x00, 0x00, //
    0x00, 0x00, 0x17, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x44, 0x00, 0x00, //
    0x00, 0x00, 0x00, 0x00, 0x00, 0x79, 0x24, 0x01, 0x18, 0x48, 0x1f, 0x2b, //
    0x10, 0xf2, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, //
    0x01, 0x01, 0x80, 0x80, 0x80, 0x80, 0x07, 0x0c, 0x80, 0x80, 0x80, 0x03, //
    0xff,
];

#[test]
fn gaps_past_u64_max_instructions_saturate_the_summary() {
    let summary = info(&GAPS_PAST_U64_MAX);
    assert_eq!(summary.events, 2);
    assert_eq!(summary.instructions, u64::MAX);
}

#[test]
fn gaps_past_u64_max_instructions_convert_to_a_trace_that_reads_back() {
    assert_eq!(
        convert(&GAPS_PAST_U64_MAX),
        [
            Event::Gap { count: u64::MAX },
            Event::Gap { count: 7 << 28 }
        ]
    );
}

/// trace_file (found reading the summary's code, then run through the
/// target): two live allocations of 2^63 bytes overflowed the allocated
/// and live byte counts.
#[test]
fn allocations_past_u64_max_bytes_saturate_the_summary() {
    const INPUT: [u8; 93] = [
        0x89, 0x4d, 0x54, 0x52, 0x0d, 0x0a, 0x1a, 0x0a, 0x01, 0x00, 0x00, 0x00, //
        0x07, 0x00, 0x00, 0x00, 0x80, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0xba, //
        0x30, 0xd6, 0x12, 0x4d, 0x43, 0x48, 0x4b, 0x00, 0x00, 0x00, 0x00, 0x22, //
        0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x1d, 0x3b, 0x80, 0x05, //
        0x01, 0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, //
        0x00, 0x80, 0x40, 0x00, 0x05, 0x01, 0x01, 0x80, 0x80, 0x80, 0x80, 0x80, //
        0x80, 0x80, 0x80, 0x80, 0x01, 0x00, 0x80, 0x40, 0x00,
    ];
    let summary = info(&INPUT);
    assert_eq!(summary.allocations, 2);
    assert_eq!(summary.allocated_bytes, u64::MAX);
    assert_eq!(summary.peak_live_bytes, u64::MAX);
    assert_eq!(summary.live_objects_at_end, 2);
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

/// trace_header (found when version 2 came): a version 1 header decodes
/// with its version, and encodes again as the current version with every
/// other field equal, which the fuzz target's round trip now expects.
#[test]
fn a_version_one_header_encodes_again_as_the_current_version() {
    // The crash input: a version 1 header with an empty body but for its
    // two varints, then bytes the body does not cover.
    let mut input = vec![
        0x89, 0x4d, 0x54, 0x52, 0x0d, 0x0a, 0x1a, 0x0a, 0x01, 0x00, 0x00, 0x00, //
        0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xd0, 0x2f, //
        0x77, 0x61, 0x00,
    ];
    // Its checksum fixed up, as the fuzz target does.
    let body_len = u32::from_le_bytes(input[12..16].try_into().unwrap()) as usize;
    let crc = crc32fast::hash(&input[16..16 + body_len]);
    input[16 + body_len..20 + body_len].copy_from_slice(&crc.to_le_bytes());
    let (header, _) = memento_trace::Header::decode(&input).unwrap();
    assert_eq!(header.version, 1);
    let (again, _) = memento_trace::Header::decode(&header.encode()).unwrap();
    assert_eq!(again.version, memento_trace::format::VERSION);
    assert_eq!(
        again,
        memento_trace::Header {
            version: memento_trace::format::VERSION,
            ..header
        }
    );
}
