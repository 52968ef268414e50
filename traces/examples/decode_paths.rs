//! Decodes a trace through one reading path, for profiling the reader:
//! `cargo run --release -p memento-trace --example decode_paths -- next|fold|raw|encode|encode-batched FILE [REPEAT]`.
//! With REPEAT, runs the path that many times and prints the best run's
//! events per second on stderr (less noisy than a criterion run on a busy
//! host, since the best of many short runs is rarely interrupted).

use memento_trace::{Event, TraceFile};

#[path = "../benches/shared/encode.rs"]
mod encode;

/// The fold of `benches/codec.rs`: every field a consumer would read.
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

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let trace = TraceFile::open(&args[2]).expect("trace opens");
    let repeat: u32 = args
        .get(3)
        .map_or(1, |r| r.parse().expect("REPEAT is a number"));
    let events: u64 = trace
        .chunks()
        .map(|c| c.expect("frames"))
        .filter(|c| c.header.kind == memento_trace::format::ChunkKind::Events)
        .map(|c| u64::from(c.header.count))
        .sum();
    let mut best = f64::INFINITY;
    let mut acc = 0;
    // Encoding is timed alone: the events are decoded once, beforehand.
    let decoded: Vec<Event> = if args[1].starts_with("encode") {
        trace.events().collect::<Result<_, _>>().expect("decodes")
    } else {
        Vec::new()
    };
    for _ in 0..repeat {
        if args[1] == "encode-batched" {
            let (bytes, time) = encode::encode_batched(&decoded, trace.header());
            best = best.min(time.as_secs_f64());
            acc = digest(&bytes);
            continue;
        }
        let start = std::time::Instant::now();
        acc = if args[1] == "encode" {
            let bytes = encode::encode(&decoded, trace.header());
            best = best.min(start.elapsed().as_secs_f64());
            digest(&bytes)
        } else {
            let acc = run(&args[1], &trace);
            best = best.min(start.elapsed().as_secs_f64());
            acc
        };
    }
    if repeat > 1 {
        eprintln!(
            "{}: best of {repeat}: {events} events, {:.1} M events/s",
            args[1],
            events as f64 / best / 1e6
        );
    }
    println!("{acc:x}");
}

/// A digest of encoded bytes (outside the timing), so that two encoders
/// can be compared.
fn digest(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

fn run(path: &str, trace: &TraceFile) -> u64 {
    let mut acc = 0u64;
    match path {
        "fold" => {
            acc = trace
                .events()
                .fold(0, |acc, event| fingerprint(acc, &event.expect("decodes")));
        }
        "next" => {
            for event in trace.events() {
                acc = fingerprint(acc, &event.expect("decodes"));
            }
        }
        _ => {
            for chunk in trace.chunks() {
                let chunk = chunk.expect("frames");
                if chunk.header.kind != memento_trace::format::ChunkKind::Events {
                    continue;
                }
                let mut decoder = memento_trace::codec::Decoder::new(chunk.payload);
                for _ in 0..chunk.header.count {
                    acc = fingerprint(acc, &decoder.decode().expect("decodes"));
                }
            }
        }
    }
    acc
}
