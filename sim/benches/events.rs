//! Replay speed: trace events per second with the `micro23` preset on one
//! core, full timing (core, caches, TLB, DRAM), on a synthetic stream made
//! on the fly (so memory use does not grow with its length) and on the
//! sample trace of a real program, read from its file as `memento replay`
//! reads it.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use memento_sim::{Config, Machine};
use memento_trace::TraceFile;
#[path = "support/synthetic.rs"]
mod synthetic;

use synthetic::Synthetic;

fn events_per_second(c: &mut Criterion) {
    let config = Config::preset("micro23").unwrap();
    const EVENTS: u64 = 2_000_000;
    let mut group = c.benchmark_group("replay");
    group.throughput(Throughput::Elements(EVENTS));
    group.sample_size(10);
    group.bench_function("micro23_one_core_synthetic", |b| {
        b.iter(|| {
            let machine = Machine::new(&config).unwrap();
            let stats = machine.run(vec![Synthetic::new(EVENTS)]).unwrap();
            assert_eq!(stats.events, EVENTS);
            stats.cycles
        })
    });
    let sample = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../traces/samples/wordfreq-lackey.mtrace"
    );
    let events = TraceFile::open(sample).unwrap().events().count() as u64;
    group.throughput(Throughput::Elements(events));
    group.bench_function("micro23_one_core_sample_trace", |b| {
        b.iter(|| {
            let trace = TraceFile::open(sample).unwrap();
            let machine = Machine::new(&config).unwrap();
            let stats = machine.run_driven(vec![trace.events()], false).unwrap();
            assert_eq!(stats.events, events);
            stats.cycles
        })
    });
    group.finish();
}

criterion_group!(benches, events_per_second);
criterion_main!(benches);
