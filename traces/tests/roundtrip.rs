//! Random event streams encode and decode to exactly themselves.

mod common;
use common as strategies;

use std::ops::ControlFlow;

use memento_trace::{
    Drain, Event, Header, ModuleInfo, ThreadInfo, TraceError, TraceFile, TraceWriter,
};
use proptest::prelude::*;

fn header() -> Header {
    Header {
        producer: "roundtrip-test".into(),
        workload: "random".into(),
        runtime: "proptest".into(),
        command_line: "roundtrip --seed".into(),
        page_size: 4096,
        capture_time_ns: 1_700_000_000_000_000_000,
        ..Header::default()
    }
}

fn encode(events: &[Event], chunk_bytes: usize) -> Vec<u8> {
    let mut writer = TraceWriter::new(Vec::new(), &header())
        .unwrap()
        .with_chunk_bytes(chunk_bytes);
    for event in events {
        writer.push(event).unwrap();
    }
    writer.finish().unwrap().0
}

/// Records what a drive hands over, each event with whether it came by
/// its own method (`access`, `block`) rather than by `event`.
#[derive(Default)]
struct Recorder(Vec<(Event, bool)>);

impl Drain for Recorder {
    fn event(&mut self, event: Event) -> ControlFlow<()> {
        self.0.push((event, false));
        ControlFlow::Continue(())
    }

    fn access(&mut self, store: bool, addr: u64, size: u32) -> ControlFlow<()> {
        self.0.push((Event::access(store, addr, size), true));
        ControlFlow::Continue(())
    }

    fn block(&mut self, addr: u64, len: u32, count: u32) -> ControlFlow<()> {
        self.0.push((Event::Block { addr, len, count }, true));
        ControlFlow::Continue(())
    }

    fn error(&mut self, error: TraceError) -> ControlFlow<()> {
        panic!("a valid trace gave {error}")
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_drive_hands_accesses_and_blocks_to_their_own_methods_in_stream_order(
        events in prop::collection::vec(strategies::event(), 0..400),
        chunk_bytes in prop_oneof![Just(1usize), 1usize..200, Just(65536)],
    ) {
        let trace = TraceFile::from_bytes("mem", encode(&events, chunk_bytes)).unwrap();
        let mut recorder = Recorder::default();
        let mut stream = trace.events();
        while stream.drive(&mut recorder) {}
        let (driven, by_method): (Vec<Event>, Vec<bool>) = recorder.0.into_iter().unzip();
        prop_assert_eq!(&driven, &events);
        for (event, by_method) in events.iter().zip(by_method) {
            // Accesses of other sizes and first sightings of long blocks
            // have opcodes of their own, decoded apart, which may come by
            // `event`; these never do.
            let common = match *event {
                Event::Load { size, .. } | Event::Store { size, .. } => size.is_power_of_two() && size <= 8,
                Event::Block { count, .. } => count <= 64,
                _ => false,
            };
            prop_assert!(by_method || !common, "{event:?} came by event()");
            let kind_has_method = matches!(event, Event::Load { .. } | Event::Store { .. } | Event::Block { .. });
            prop_assert!(!by_method || kind_has_method);
        }
    }

    #[test]
    fn random_streams_decode_to_themselves(
        events in prop::collection::vec(strategies::event(), 0..400),
        chunk_bytes in prop_oneof![Just(1usize), 1usize..200, Just(65536)],
    ) {
        let bytes = encode(&events, chunk_bytes);
        let trace = TraceFile::from_bytes("mem", bytes).unwrap();
        let decoded: Vec<Event> = trace.events().collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(&decoded, &events);
        // Internal iteration (the fast path) yields the same.
        let mut folded = Vec::new();
        trace.events().for_each(|e| folded.push(e.unwrap()));
        prop_assert_eq!(folded, events);
    }

    #[test]
    fn chunks_decode_independently(
        events in prop::collection::vec(strategies::event(), 1..400),
    ) {
        let bytes = encode(&events, 64);
        let trace = TraceFile::from_bytes("mem", bytes).unwrap();
        let chunks: Vec<_> = trace.chunks().collect::<Result<_, _>>().unwrap();
        // Decode in reverse order: no chunk may depend on the one before.
        let mut parts: Vec<Vec<Event>> = chunks
            .iter()
            .rev()
            .map(|c| c.events().collect::<Result<_, _>>().unwrap())
            .collect();
        parts.reverse();
        prop_assert_eq!(parts.concat(), events);
    }
}

#[test]
fn header_and_metadata_round_trip() {
    let mut writer = TraceWriter::new(Vec::new(), &header()).unwrap();
    writer.add_thread(ThreadInfo {
        tid: 7,
        name: "main".into(),
    });
    writer.add_module(ModuleInfo {
        start: 0x5555_0000_0000,
        len: 0x2000,
        file_offset: 0x1000,
        path: "/usr/bin/python3.11".into(),
        build_id: vec![0xde, 0xad, 0xbe, 0xef],
    });
    writer.push(&Event::Gap { count: 3 }).unwrap();
    let bytes = writer.finish().unwrap().0;
    let trace = TraceFile::from_bytes("mem", bytes).unwrap();
    let mut expected = header();
    expected.version = memento_trace::format::VERSION;
    assert_eq!(trace.header(), &expected);
    let metadata = trace.metadata().unwrap();
    assert_eq!(
        metadata.threads,
        vec![ThreadInfo {
            tid: 7,
            name: "main".into()
        }]
    );
    assert_eq!(metadata.modules[0].path, "/usr/bin/python3.11");
    assert_eq!(metadata.modules[0].build_id, vec![0xde, 0xad, 0xbe, 0xef]);
    assert_eq!(trace.events().count(), 1);
}

#[test]
fn chunk_headers_carry_thread_and_instructions_before() {
    let events = [
        Event::Thread { tid: 3 },
        Event::Gap { count: 10 },
        Event::Block {
            addr: 0x1000,
            len: 12,
            count: 4,
        },
        Event::Load {
            addr: 0x2000,
            size: 8,
        },
    ];
    let bytes = encode(&events, 1);
    let trace = TraceFile::from_bytes("mem", bytes).unwrap();
    let chunks: Vec<_> = trace.chunks().collect::<Result<_, _>>().unwrap();
    assert_eq!(chunks.len(), 4);
    let seen: Vec<(u32, u64)> = chunks
        .iter()
        .map(|c| (c.header.thread, c.header.instructions_before))
        .collect();
    assert_eq!(seen, vec![(0, 0), (3, 0), (3, 10), (3, 14)]);
}

#[test]
fn writer_refuses_zero_counts() {
    let mut writer = TraceWriter::new(Vec::new(), &header()).unwrap();
    for event in [
        Event::Gap { count: 0 },
        Event::Block {
            addr: 1,
            len: 0,
            count: 1,
        },
        Event::Block {
            addr: 1,
            len: 1,
            count: 0,
        },
        Event::Load { addr: 1, size: 0 },
    ] {
        let err = writer.push(&event).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    }
}

#[test]
fn chunks_decoded_on_several_threads_equal_the_sequential_read() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/wordfreq-lackey.mtrace");
    let trace = TraceFile::open(&path).unwrap();
    let sequential: Vec<Event> = trace.events().collect::<Result<_, _>>().unwrap();
    let chunks: Vec<_> = trace.chunks().collect::<Result<_, _>>().unwrap();
    let parts: Vec<Vec<Event>> = std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .chunks(chunks.len().div_ceil(4))
            .map(|group| {
                scope.spawn(move || {
                    group
                        .iter()
                        .flat_map(|c| c.events())
                        .collect::<Result<Vec<_>, _>>()
                        .unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(parts.concat(), sequential);
    assert!(sequential.len() > 1_000_000);
}
