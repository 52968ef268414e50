//! Replay speed: trace events per second with the `micro23` preset on one
//! core, full timing (core, caches, TLB, DRAM), on a synthetic stream made
//! on the fly (so memory use does not grow with its length).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use memento_sim::{Config, Machine};
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
    group.finish();
}

criterion_group!(benches, events_per_second);
criterion_main!(benches);
