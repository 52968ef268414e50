//! Encode and decode throughput, and bytes per event, on two real sample
//! traces (a Lackey capture of a C program; a capture of a CPython
//! function by `memento capture`) and on a synthetic stream.
//!
//! Run: `cargo bench -p memento-trace --bench codec`. Targets (issue 2):
//! decode >= 300 M events/s, encode >= 100 M events/s, <= 3 bytes/event.
//! `encode` pushes a whole decoded trace from one array (48 bytes per
//! event, read back from DRAM); `encode-batched` pushes the same events
//! with each batch in the cache, as behind a producer that makes each
//! event just before pushing it.

use std::path::Path;

#[path = "shared/encode.rs"]
mod encode;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use memento_trace::{Event, Header, TraceFile};

fn sample_events(file: &str) -> Vec<Event> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(file);
    let trace = TraceFile::open(&path).expect("sample trace present");
    trace
        .events()
        .collect::<Result<_, _>>()
        .expect("sample decodes")
}

/// A loop over arrays with a pointer-chasing side: blocks repeat, accesses
/// are sequential or near a few bases.
fn synthetic_events(n: usize) -> Vec<Event> {
    let mut events = Vec::with_capacity(n);
    let mut i = 0u64;
    while events.len() < n {
        let block = 0x40_1000 + (i % 4) * 0x30;
        events.push(Event::Block {
            addr: block,
            len: 0x30,
            count: 9,
        });
        events.push(Event::Load {
            addr: 0x7f00_0000_0000 + i * 8,
            size: 8,
        });
        events.push(Event::Store {
            addr: 0x5555_0000_0000 + i * 4,
            size: 4,
        });
        events.push(Event::Load {
            addr: 0x7ffe_0000_1000 - (i % 16) * 8,
            size: 8,
        });
        i += 1;
    }
    events.truncate(n);
    events
}

/// Folds every field a consumer would read, so no decoding work can be
/// optimised away.
#[inline(always)]
fn fingerprint(acc: u64, event: &Event) -> u64 {
    let (a, b) = match *event {
        Event::Block { addr, len, count } => (addr, u64::from(len) << 32 | u64::from(count)),
        Event::Load { addr, size } | Event::Store { addr, size } => (addr, u64::from(size)),
        Event::Gap { count } => (count, 0),
        Event::Alloc(x) => (x.addr, x.size),
        Event::Free(x) => (x.addr, x.site),
        _ => (0, 0),
    };
    (acc.rotate_left(5) ^ a).wrapping_add(b ^ event.kind() as u64)
}

fn consume_next(trace: &TraceFile) -> u64 {
    let mut acc = 0;
    for event in trace.events() {
        acc = fingerprint(acc, &event.expect("decodes"));
    }
    acc
}

fn consume_for_each(trace: &TraceFile) -> u64 {
    let mut acc = 0;
    trace
        .events()
        .for_each(|event| acc = fingerprint(acc, &event.expect("decodes")));
    acc
}

fn consume_raw(trace: &TraceFile) -> u64 {
    let mut acc = 0;
    for chunk in trace.chunks() {
        let chunk = chunk.expect("frames");
        let mut decoder = memento_trace::codec::Decoder::new(chunk.payload);
        for _ in 0..chunk.header.count {
            acc = fingerprint(acc, &decoder.decode().expect("decodes"));
        }
    }
    acc
}

fn bench(c: &mut Criterion) {
    let inputs = [
        ("sample", sample_events("wordfreq-lackey.mtrace")),
        ("capture", sample_events("json-warm.mtrace")),
        ("synthetic", synthetic_events(1 << 21)),
    ];
    for (name, events) in &inputs {
        let header = Header::default();
        let bytes = encode::encode(events, &header);
        eprintln!(
            "{name}: {} events, {} bytes, {:.3} bytes/event",
            events.len(),
            bytes.len(),
            bytes.len() as f64 / events.len() as f64
        );
        let mut group = c.benchmark_group("codec");
        group.throughput(Throughput::Elements(events.len() as u64));
        group.bench_with_input(BenchmarkId::new("encode", name), events, |b, events| {
            b.iter(|| encode::encode(events, &header))
        });
        group.bench_with_input(
            BenchmarkId::new("encode-batched", name),
            events,
            |b, events| {
                b.iter_custom(|iters| {
                    (0..iters)
                        .map(|_| encode::encode_batched(events, &header).1)
                        .sum()
                })
            },
        );
        let trace = TraceFile::from_bytes(*name, bytes).expect("valid trace");
        group.bench_with_input(BenchmarkId::new("decode", name), &trace, |b, trace| {
            b.iter(|| consume_next(trace))
        });
        group.bench_with_input(
            BenchmarkId::new("decode-for-each", name),
            &trace,
            |b, trace| b.iter(|| consume_for_each(trace)),
        );
        group.bench_with_input(BenchmarkId::new("decode-raw", name), &trace, |b, trace| {
            b.iter(|| consume_raw(trace))
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
