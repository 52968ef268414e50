//! A capture is split after `invocation end 0` into a cold and a warm
//! trace, each a complete ROI with the capture's header and metadata.

use std::path::Path;

use memento_trace::{Event, Header, ModuleInfo, ThreadInfo, TraceFile, TraceFileWriter};
use memento_workloads::suite::capture::{split, trace_paths};
use memento_workloads::suite::CaptureError;

fn write(path: &Path, events: &[Event]) {
    let header = Header {
        workload: "f".into(),
        runtime: "native".into(),
        page_size: 4096,
        ..Header::default()
    };
    let mut writer = TraceFileWriter::create(path, &header).unwrap();
    writer.writer().add_thread(ThreadInfo {
        tid: 7,
        name: "main".into(),
    });
    writer.writer().add_module(ModuleInfo {
        start: 0x40_0000,
        len: 0x1000,
        file_offset: 0,
        path: "/bin/f".into(),
        build_id: Vec::new(),
    });
    for event in events {
        writer.push(event).unwrap();
    }
    writer.finish().unwrap();
}

fn read(path: &Path) -> (TraceFile, Vec<Event>) {
    let trace = TraceFile::open(path).unwrap();
    let events = trace.events().map(Result::unwrap).collect();
    (trace, events)
}

#[test]
fn the_cold_part_is_invocation_0_and_the_warm_part_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole.mtrace");
    let load = |addr| Event::Load { addr, size: 8 };
    write(
        &whole,
        &[
            Event::Thread { tid: 7 },
            Event::RoiBegin,
            Event::InvocationBegin { id: 0 },
            load(0x10),
            Event::InvocationEnd { id: 0 },
            Event::InvocationBegin { id: 1 },
            load(0x20),
            Event::InvocationEnd { id: 1 },
            Event::InvocationBegin { id: 2 },
            load(0x30),
            Event::InvocationEnd { id: 2 },
            Event::RoiEnd,
        ],
    );
    let (cold, warm) = trace_paths(dir.path(), "f");
    let counts = split(&whole, &cold, &warm).unwrap();
    let (cold_trace, cold_events) = read(&cold);
    let (warm_trace, warm_events) = read(&warm);
    assert_eq!(
        cold_events,
        [
            Event::Thread { tid: 7 },
            Event::RoiBegin,
            Event::InvocationBegin { id: 0 },
            load(0x10),
            Event::InvocationEnd { id: 0 },
            Event::RoiEnd,
        ]
    );
    assert_eq!(
        warm_events,
        [
            Event::Thread { tid: 7 },
            Event::RoiBegin,
            Event::InvocationBegin { id: 1 },
            load(0x20),
            Event::InvocationEnd { id: 1 },
            Event::InvocationBegin { id: 2 },
            load(0x30),
            Event::InvocationEnd { id: 2 },
            Event::RoiEnd,
        ]
    );
    assert_eq!(counts, [6, 9]);
    for trace in [&cold_trace, &warm_trace] {
        assert_eq!(trace.header().workload, "f");
        let metadata = trace.metadata().unwrap();
        assert_eq!(metadata.threads.len(), 1);
        assert_eq!(metadata.modules[0].path, "/bin/f");
    }
}

#[test]
fn a_capture_without_markers_or_warm_invocations_is_refused_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole.mtrace");
    let (cold, warm) = trace_paths(dir.path(), "f");
    for (events, message) in [
        (vec![Event::Gap { count: 5 }], "no `invocation end 0`"),
        (
            vec![
                Event::InvocationBegin { id: 0 },
                Event::InvocationEnd { id: 0 },
            ],
            "no warm invocation",
        ),
    ] {
        write(&whole, &events);
        let error = split(&whole, &cold, &warm).unwrap_err();
        assert!(matches!(error, CaptureError::Markers { .. }), "{error}");
        let text = error.to_string();
        assert!(
            text.contains("whole.mtrace") && text.contains(message),
            "{text}"
        );
        assert!(!cold.exists() && !warm.exists());
    }
}
