//! The idle heap pages a harvest takes beyond the resident floor, on a
//! hand-made trace whose pages can be counted by hand.

use std::path::{Path, PathBuf};

use memento_platform::idle_heap::idle_heap_bytes;
use memento_trace::{Event, Header, TraceFileWriter};

const PAGE: u64 = 4096;

fn store(addr: u64) -> Event {
    Event::Store { addr, size: 8 }
}

fn trace(dir: &Path) -> PathBuf {
    let path = dir.join("heap.mtrace");
    let header = Header {
        workload: "heap".into(),
        runtime: "cpp".into(),
        page_size: 4096,
        ..Header::default()
    };
    let (a, b, c, d, e) = (
        0x10 * PAGE,
        0x12 * PAGE,
        0x13 * PAGE,
        0x20 * PAGE,
        0x30 * PAGE,
    );
    let events = [
        // A: two pages, written, then freed: both idle.
        Event::malloc(a, 2 * PAGE, 0),
        store(a),
        store(a + PAGE),
        // B: 100 B, still live at the end: its page stays.
        Event::malloc(b, 100, 0),
        store(b),
        // C: 100 B, written and freed: idle.
        Event::malloc(c, 100, 0),
        store(c),
        Event::free(c, 0),
        Event::free(a, 0),
        // D: freed and unmapped: no longer resident, nothing to take.
        Event::malloc(d, PAGE, 0),
        store(d),
        Event::free(d, 0),
        Event::Munmap { addr: d, len: PAGE },
        // E: never touched, so never resident.
        Event::malloc(e, PAGE, 0),
        Event::free(e, 0),
    ];
    let mut w = TraceFileWriter::create(&path, &header).unwrap();
    for event in &events {
        w.push(event).unwrap();
    }
    w.finish().unwrap();
    path
}

#[test]
fn idle_heap_pages_are_the_resident_ones_no_live_object_overlaps() {
    let dir = tempfile::tempdir().unwrap();
    let path = trace(dir.path());
    // A's two pages and C's.
    assert_eq!(idle_heap_bytes(&[&path], PAGE, 1).unwrap(), 3 * PAGE);
}

#[test]
fn in_memento_mode_only_objects_above_the_largest_class_count() {
    let dir = tempfile::tempdir().unwrap();
    let path = trace(dir.path());
    // C (100 B) lived in an arena; A's two pages remain.
    assert_eq!(idle_heap_bytes(&[&path], PAGE, 513).unwrap(), 2 * PAGE);
}

#[test]
fn a_chain_carries_the_live_objects_from_trace_to_trace() {
    let dir = tempfile::tempdir().unwrap();
    let path = trace(dir.path());
    // Replayed twice as one process, B's address is allocated again (the
    // same object for the model) and the idle pages are the same.
    assert_eq!(idle_heap_bytes(&[&path, &path], PAGE, 1).unwrap(), 3 * PAGE);
}
