//! Decodes a trace through one reading path, for profiling the reader:
//! `cargo run --release -p memento-trace --example decode_paths -- next|fold|raw|encode FILE`.

use memento_trace::{Event, TraceFile};

fn fingerprint(acc: u64, event: &Event) -> u64 {
    let (a, b) = match *event {
        Event::Block { addr, len, count } => (addr, u64::from(len) << 32 | u64::from(count)),
        Event::Load { addr, size } | Event::Store { addr, size } => (addr, u64::from(size)),
        _ => (0, 0),
    };
    (acc.rotate_left(5) ^ a).wrapping_add(b ^ event.kind() as u64)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let trace = TraceFile::open(&args[2]).expect("trace opens");
    let mut acc = 0u64;
    match args[1].as_str() {
        "encode" => {
            let events: Vec<Event> = trace.events().collect::<Result<_, _>>().expect("decodes");
            let mut writer =
                memento_trace::TraceWriter::new(Vec::new(), trace.header()).expect("memory");
            for event in &events {
                writer.push(event).expect("valid");
            }
            acc = writer.finish().expect("memory").0.len() as u64;
        }
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
                let mut decoder = memento_trace::codec::Decoder::new(chunk.payload);
                for _ in 0..chunk.header.count {
                    acc = fingerprint(acc, &decoder.decode().expect("decodes"));
                }
            }
        }
    }
    println!("{acc:x}");
}
