//! Replay speed in Memento mode against the baseline, measured in the same
//! run: the samples with allocator brackets and a `workloads synth
//! --profile paper` trace (written to a temporary file by the bench, as
//! `memento workloads synth` would), each read from its file as `memento
//! replay` reads it, on `micro23` and `micro23-memento`. Throughput is in
//! trace events (the same count in both modes, whatever Memento removes),
//! so the ratio of the two figures is the ratio of their speeds; issue 20's
//! target is Memento at 0.7x the baseline or better.

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use memento_sim::{replay_driven, Config};
use memento_trace::{Header, TraceFile, TraceFileWriter};
use memento_workloads::synth::{self, Profile};

/// A paper-profile trace of `allocations` allocations, made once.
fn paper_trace(allocations: u64) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(format!("paper-{allocations}.mtrace"));
    if !path.exists() {
        let mut profile = Profile::preset("paper").unwrap();
        profile.allocations = allocations;
        let mut w = TraceFileWriter::create(&path, &Header::default()).unwrap();
        synth::generate(&profile, 1, w.writer()).unwrap();
        w.finish().unwrap();
    }
    path
}

fn memento_against_baseline(c: &mut Criterion) {
    let samples = concat!(env!("CARGO_MANIFEST_DIR"), "/../traces/samples/");
    let mut traces: Vec<(String, PathBuf)> = ["json-warm", "jsonpipe-warm", "rsjson-warm"]
        .iter()
        .map(|n| {
            (
                n.to_string(),
                Path::new(samples).join(format!("{n}.mtrace")),
            )
        })
        .collect();
    traces.push(("paper-50k".into(), paper_trace(50_000)));
    let mut group = c.benchmark_group("memento");
    group.sample_size(10);
    for (name, path) in &traces {
        let events = TraceFile::open(path).unwrap().events().count() as u64;
        group.throughput(Throughput::Elements(events));
        for preset in ["micro23", "micro23-memento"] {
            let config = Config::preset(preset).unwrap();
            group.bench_function(format!("{name}/{preset}"), |b| {
                b.iter(|| {
                    let trace = TraceFile::open(path).unwrap();
                    let stats = replay_driven(&config, vec![trace.events()], false).unwrap();
                    stats.cycles
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, memento_against_baseline);
criterion_main!(benches);
