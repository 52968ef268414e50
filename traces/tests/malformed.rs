//! A corpus of malformed traces, each made here from a good one: every
//! fault gives its own typed error naming the file and byte offset.

use memento_trace::codec::op;
use memento_trace::format::{ChunkHeader, ChunkKind, CHUNK_HEADER_LEN};
use memento_trace::{Drain, ErrorKind, Event, Header, TraceError, TraceFile, TraceWriter};
use std::ops::ControlFlow;

fn header() -> Header {
    Header {
        producer: "malformed-test".into(),
        workload: "w".into(),
        page_size: 4096,
        ..Header::default()
    }
}

fn header_len() -> usize {
    header().encode().len()
}

/// A good trace of three chunks of 101 events each.
fn good() -> Vec<u8> {
    let mut writer = TraceWriter::new(Vec::new(), &header())
        .unwrap()
        .with_chunk_bytes(usize::MAX);
    let mut chunks = 0;
    for i in 0..300u64 {
        writer
            .push(&Event::Load {
                addr: 0x1000 + i * 8,
                size: 8,
            })
            .unwrap();
        if i % 100 == 99 {
            writer.push(&Event::Gap { count: 100 }).unwrap();
            writer.end_chunk().unwrap();
            chunks += 1;
        }
    }
    assert_eq!(chunks, 3);
    writer.finish().unwrap().0
}

/// A trace whose only chunk holds `payload` raw, declaring `count` events.
fn with_payload(payload: &[u8], count: u32) -> Vec<u8> {
    let mut bytes = header().encode();
    let chunk = ChunkHeader {
        kind: ChunkKind::Events,
        payload_len: payload.len() as u32,
        count,
        thread: 0,
        instructions_before: 0,
        crc: crc32fast::hash(payload),
    };
    bytes.extend_from_slice(&chunk.encode());
    bytes.extend_from_slice(payload);
    bytes
}

fn open(bytes: Vec<u8>) -> Result<TraceFile, TraceError> {
    TraceFile::from_bytes("corpus/bad.mtrace", bytes)
}

/// The first error reading the whole trace.
fn first_error(bytes: Vec<u8>) -> TraceError {
    match open(bytes) {
        Err(e) => e,
        Ok(trace) => trace
            .events()
            .find_map(Result::err)
            .expect("the trace should be rejected"),
    }
}

fn payload_start() -> u64 {
    (header_len() + CHUNK_HEADER_LEN) as u64
}

#[test]
fn good_corpus_base_reads_cleanly() {
    let trace = open(good()).unwrap();
    assert_eq!(trace.chunks().count(), 3);
    assert_eq!(trace.events().filter(|e| e.is_ok()).count(), 303);
}

#[test]
fn bad_magic_is_reported_at_byte_zero() {
    let mut bytes = good();
    bytes[0] = b'X';
    let e = first_error(bytes);
    assert!(matches!(e.kind(), ErrorKind::BadMagic));
    assert_eq!(e.offset(), Some(0));
    assert!(e
        .to_string()
        .starts_with("corpus/bad.mtrace: byte 0: not a Memento trace"));
}

#[test]
fn text_file_is_not_a_trace() {
    let e = first_error(b"I  0400d7d4,8\n".to_vec());
    assert!(matches!(e.kind(), ErrorKind::BadMagic));
}

#[test]
fn unknown_version_is_reported_at_byte_eight() {
    let mut bytes = good();
    bytes[8] = 9;
    let e = first_error(bytes);
    assert!(matches!(e.kind(), ErrorKind::UnknownVersion(9)));
    assert_eq!(e.offset(), Some(8));
}

#[test]
fn unknown_header_flags_are_refused() {
    // Bit 0 (dependences) is known in version 2, bit 1 is not.
    let mut bytes = good();
    bytes[10] = 2;
    let e = first_error(bytes);
    assert!(matches!(
        e.kind(),
        ErrorKind::UnknownFlags { what: "header", .. }
    ));
    // A version 1 file knows no flag at all.
    let mut bytes = good();
    bytes[8] = 1;
    bytes[10] = 1;
    let e = first_error(bytes);
    assert!(matches!(
        e.kind(),
        ErrorKind::UnknownFlags { what: "header", .. }
    ));
}

#[test]
fn truncated_header_says_how_much_is_missing() {
    for cut in [3, 12, 20] {
        let e = first_error(good()[..cut].to_vec());
        match e.kind() {
            ErrorKind::TruncatedHeader { available, .. } => assert_eq!(*available, cut as u64),
            other => panic!("cut at {cut}: {other:?}"),
        }
    }
    let e = first_error(Vec::new());
    assert!(matches!(e.kind(), ErrorKind::TruncatedHeader { .. }));
}

#[test]
fn damaged_header_body_fails_its_checksum() {
    let mut bytes = good();
    bytes[17] ^= 0x40;
    let e = first_error(bytes);
    assert!(matches!(
        e.kind(),
        ErrorKind::Checksum { what: "header", .. }
    ));
    assert_eq!(e.offset(), Some(header_len() as u64 - 4));
}

#[test]
fn truncated_chunk_is_reported_at_its_start() {
    let bytes = good();
    let e = first_error(bytes[..header_len() + 40].to_vec());
    assert!(matches!(e.kind(), ErrorKind::TruncatedChunk { .. }));
    assert_eq!(e.offset(), Some(header_len() as u64));
    let e = first_error(bytes[..header_len() + 10].to_vec());
    assert!(matches!(e.kind(), ErrorKind::TruncatedChunk { .. }));
}

#[test]
fn damaged_payload_fails_the_chunk_checksum() {
    let mut bytes = good();
    let at = payload_start() as usize + 5;
    bytes[at] ^= 0x01;
    let e = first_error(bytes);
    assert!(matches!(
        e.kind(),
        ErrorKind::Checksum {
            what: "chunk payload",
            ..
        }
    ));
    assert_eq!(e.offset(), Some(header_len() as u64 + 28));
}

#[test]
fn missing_chunk_marker_is_reported() {
    let mut bytes = good();
    bytes[header_len()] = b'X';
    let e = first_error(bytes);
    assert!(matches!(e.kind(), ErrorKind::BadChunkMarker));
    assert_eq!(e.offset(), Some(header_len() as u64));
}

#[test]
fn unknown_chunk_kind_is_reported() {
    let mut bytes = good();
    bytes[header_len() + 4] = 7;
    let e = first_error(bytes);
    assert!(matches!(e.kind(), ErrorKind::UnknownChunkKind(7)));
    assert_eq!(e.offset(), Some(header_len() as u64 + 4));
}

#[test]
fn eleven_byte_varint_overflows() {
    let mut payload = vec![op::GAP];
    payload.extend_from_slice(&[0xff; 10]);
    payload.push(0x01);
    let e = first_error(with_payload(&payload, 1));
    assert!(matches!(e.kind(), ErrorKind::VarintOverflow));
    assert_eq!(e.offset(), Some(payload_start()));
}

#[test]
fn reserved_opcode_is_unknown() {
    let e = first_error(with_payload(&[op::ROI_BEGIN, 0x00], 2));
    assert!(matches!(e.kind(), ErrorKind::UnknownOpcode(0x00)));
    assert_eq!(e.offset(), Some(payload_start() + 1));
}

#[test]
fn a_dependence_of_distance_zero_or_without_its_byte_is_refused() {
    let e = first_error(with_payload(&[op::DEP, 0x00], 1));
    assert!(matches!(e.kind(), ErrorKind::Inconsistent(_)), "{e}");
    let e = first_error(with_payload(&[op::ROI_BEGIN, op::DEP], 2));
    assert!(matches!(e.kind(), ErrorKind::TruncatedEvent), "{e}");
}

#[test]
fn allocator_function_out_of_range_is_invalid() {
    let e = first_error(with_payload(&[op::ALLOC_ENTER, 200], 1));
    match e.kind() {
        ErrorKind::InvalidValue(v) => {
            assert_eq!(v.value, 200);
            assert_eq!(v.what, "allocator function");
        }
        other => panic!("{other:?}"),
    }
    let e = first_error(with_payload(&[op::FREE, 1, 99, 0, 0], 1));
    assert!(matches!(e.kind(), ErrorKind::InvalidValue(v) if v.what == "allocator level"));
}

#[test]
fn zero_counts_and_sizes_are_inconsistent() {
    for payload in [
        vec![op::GAP, 0],
        vec![op::BLOCK, 0, 0, 4],
        vec![op::BLOCK_SHORT, 0, 0],
        vec![op::LOAD_EXT, 0, 0, 0],
    ] {
        let e = first_error(with_payload(&payload, 1));
        assert!(
            matches!(e.kind(), ErrorKind::Inconsistent(_)),
            "{payload:?}: {e}"
        );
    }
}

#[test]
fn address_base_out_of_range_is_invalid() {
    let e = first_error(with_payload(&[op::STORE_EXT, 4, 16, 0], 1));
    assert!(matches!(e.kind(), ErrorKind::InvalidValue(v) if v.what == "address base"));
}

#[test]
fn chunk_with_fewer_events_than_declared_is_reported() {
    let e = first_error(with_payload(&[op::ROI_BEGIN, op::ROI_END], 3));
    match e.kind() {
        ErrorKind::EventCount { declared, decoded } => assert_eq!((*declared, *decoded), (3, 2)),
        other => panic!("{other:?}"),
    }
    assert_eq!(e.offset(), Some(payload_start() + 2));
}

#[test]
fn chunk_with_bytes_after_its_events_is_reported() {
    let e = first_error(with_payload(&[op::ROI_BEGIN, op::ROI_END], 1));
    assert!(matches!(
        e.kind(),
        ErrorKind::EventCount { declared: 1, .. }
    ));
    assert_eq!(e.offset(), Some(payload_start() + 1));
}

#[test]
fn event_cut_inside_its_operands_is_truncated() {
    let e = first_error(with_payload(&[op::MMAP, 0x80], 1));
    assert!(matches!(e.kind(), ErrorKind::TruncatedEvent));
    assert_eq!(e.offset(), Some(payload_start()));
}

#[test]
fn string_longer_than_the_header_is_bad() {
    // Header body: page size, time, then the producer's length: make it huge.
    let mut bytes = good();
    let body_start = 16;
    bytes[body_start + 3] = 0x7f; // producer length (after 2-byte page size, 1-byte time)
    let body_len = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
    let crc = crc32fast::hash(&bytes[16..16 + body_len]);
    bytes[16 + body_len..20 + body_len].copy_from_slice(&crc.to_le_bytes());
    let e = first_error(bytes);
    assert!(matches!(e.kind(), ErrorKind::BadString("producer")), "{e}");
}

#[test]
fn keep_going_skips_a_damaged_chunk_and_keeps_the_rest() {
    let bytes = good();
    let trace = open(bytes.clone()).unwrap();
    let second = trace.chunks().nth(1).unwrap().unwrap();
    let mut damaged = bytes;
    damaged[second.payload_offset() as usize + 3] ^= 0x10;

    let strict = open(damaged.clone()).unwrap();
    let items: Vec<_> = strict.events().collect();
    assert_eq!(items.iter().filter(|e| e.is_ok()).count(), 101);
    assert!(
        items.last().unwrap().is_err(),
        "strict reading stops at the error"
    );

    let lenient = open(damaged).unwrap().keep_going(true);
    let items: Vec<_> = lenient.events().collect();
    assert_eq!(items.iter().filter(|e| e.is_ok()).count(), 202);
    let errors: Vec<_> = items.iter().filter_map(|e| e.as_ref().err()).collect();
    assert_eq!(errors.len(), 1);
    assert!(matches!(errors[0].kind(), ErrorKind::Checksum { .. }));
}

#[test]
fn keep_going_resynchronises_after_a_broken_chunk_header() {
    let bytes = good();
    let trace = open(bytes.clone()).unwrap();
    let second = trace.chunks().nth(1).unwrap().unwrap();
    let mut damaged = bytes;
    // A wild payload length: the chunk cannot be framed.
    let at = second.offset() as usize + 8;
    damaged[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());

    let lenient = open(damaged.clone()).unwrap().keep_going(true);
    let items: Vec<_> = lenient.events().collect();
    assert_eq!(items.iter().filter(|e| e.is_ok()).count(), 202);
    assert_eq!(items.iter().filter(|e| e.is_err()).count(), 1);

    // Internal iteration sees the same.
    let lenient = open(damaged).unwrap().keep_going(true);
    let (ok, err) = lenient.events().fold((0, 0), |(ok, err), e| match e {
        Ok(_) => (ok + 1, err),
        Err(_) => (ok, err + 1),
    });
    assert_eq!((ok, err), (202, 1));
}

#[test]
fn every_error_names_the_file_and_byte() {
    let mut bytes = good();
    bytes[payload_start() as usize] ^= 0xff;
    let message = first_error(bytes).to_string();
    assert!(message.starts_with("corpus/bad.mtrace: byte "), "{message}");
}

fn show(item: Result<Event, TraceError>) -> String {
    match item {
        Ok(e) => format!("{e:?}"),
        Err(e) => format!("error: {e}"),
    }
}

/// Takes items as strings, breaking off after every third.
struct EveryThird(Vec<String>);

impl EveryThird {
    fn take(&mut self, item: Result<Event, TraceError>) -> ControlFlow<()> {
        self.0.push(show(item));
        if self.0.len().is_multiple_of(3) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }
}

impl Drain for EveryThird {
    fn event(&mut self, event: Event) -> ControlFlow<()> {
        self.take(Ok(event))
    }

    fn error(&mut self, error: TraceError) -> ControlFlow<()> {
        self.take(Err(error))
    }
}

/// Items as strings, read through `next`, through `fold`, and through
/// `drive` broken off every third item and resumed by turns with `drive`
/// and with `next`.
fn all_paths(bytes: &[u8], keep_going: bool) -> [Vec<String>; 3] {
    let trace = open(bytes.to_vec()).unwrap().keep_going(keep_going);
    let by_next: Vec<String> = trace.events().map(show).collect();
    let by_fold = trace.events().fold(Vec::new(), |mut v, item| {
        v.push(show(item));
        v
    });
    let mut drain = EveryThird(Vec::new());
    let mut events = trace.events();
    for round in 0.. {
        if !events.drive(&mut drain) {
            break;
        }
        if round % 2 == 1 {
            match events.next() {
                Some(item) => drain.0.push(show(item)),
                None => break,
            }
        }
    }
    [by_next, by_fold, drain.0]
}

#[test]
fn next_fold_and_drive_agree_on_damaged_traces() {
    let bytes = good();
    let trace = open(bytes.clone()).unwrap();
    let second = trace.chunks().nth(1).unwrap().unwrap();
    let mut crc_damage = bytes.clone();
    crc_damage[second.payload_offset() as usize + 3] ^= 0x10;
    let mut frame_damage = bytes;
    let at = second.offset() as usize + 8;
    frame_damage[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    let bad_event = with_payload(&[op::ROI_BEGIN, op::ROI_END, 0x14, op::ROI_END], 4);
    for damaged in [crc_damage, frame_damage, bad_event] {
        for keep_going in [false, true] {
            let [by_next, by_fold, by_drive] = all_paths(&damaged, keep_going);
            assert_eq!(by_next, by_fold, "keep_going={keep_going}");
            assert_eq!(by_next, by_drive, "keep_going={keep_going}");
            assert!(by_next.iter().any(|s| s.starts_with("error: ")));
        }
    }
}
