//! Criterion micro-benchmarks: memento-alloc against the system allocator
//! (glibc), mimalloc and jemalloc, each called through `GlobalAlloc`.
//!
//! Run: `cargo bench -p memento-alloc --features compare`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::time::{Duration, Instant};

fn allocators() -> Vec<(&'static str, &'static (dyn GlobalAlloc + Sync))> {
    static MEMENTO: memento_alloc::Memento = memento_alloc::Memento;
    static MI: mimalloc::MiMalloc = mimalloc::MiMalloc;
    static JE: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;
    static SYS: System = System;
    vec![
        ("memento", &MEMENTO),
        ("system", &SYS),
        ("mimalloc", &MI),
        ("jemalloc", &JE),
    ]
}

/// One size per group of classes: hardware classes (<= 512 B), software
/// classes, and a large object.
const SIZES: [usize; 7] = [16, 64, 256, 512, 2048, 16384, 1 << 20];

fn alloc_free_pairs(c: &mut Criterion) {
    let mut g = c.benchmark_group("alloc_free_pair");
    for size in SIZES {
        let layout = Layout::from_size_align(size, 8).unwrap();
        for (name, a) in allocators() {
            g.bench_with_input(BenchmarkId::new(name, size), &layout, |b, &l| {
                b.iter(|| unsafe {
                    let p = a.alloc(l);
                    *black_box(p) = 1;
                    a.dealloc(p, l);
                })
            });
        }
    }
    g.finish();
}

fn batches(c: &mut Criterion) {
    const N: usize = 1000;
    let mut g = c.benchmark_group("batch_1000_then_free");
    g.throughput(Throughput::Elements(N as u64));
    for size in [16usize, 64, 256, 512, 2048] {
        let layout = Layout::from_size_align(size, 8).unwrap();
        for (name, a) in allocators() {
            g.bench_with_input(BenchmarkId::new(name, size), &layout, |b, &l| {
                let mut v = Vec::with_capacity(N);
                b.iter(|| unsafe {
                    for _ in 0..N {
                        let p = a.alloc(l);
                        *p = 1;
                        v.push(p);
                    }
                    for p in v.drain(..) {
                        a.dealloc(p, l);
                    }
                })
            });
        }
    }
    g.finish();
}

#[derive(Clone, Copy)]
struct P(*mut u8);
unsafe impl Send for P {}

fn producer_consumer(c: &mut Criterion) {
    const N: usize = 20_000;
    const BATCH: usize = 500;
    let mut g = c.benchmark_group("producer_consumer_cross_thread_free");
    g.throughput(Throughput::Elements(N as u64));
    g.measurement_time(Duration::from_secs(3));
    for size in [64usize, 512] {
        let layout = Layout::from_size_align(size, 8).unwrap();
        for (name, a) in allocators() {
            g.bench_with_input(BenchmarkId::new(name, size), &layout, |b, &l| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<P>>(8);
                        let start = Instant::now();
                        let consumer = std::thread::spawn(move || {
                            for batch in rx {
                                for P(p) in batch {
                                    unsafe { a.dealloc(p, l) };
                                }
                            }
                        });
                        for _ in 0..N / BATCH {
                            let batch: Vec<P> = (0..BATCH)
                                .map(|_| unsafe {
                                    let p = a.alloc(l);
                                    *p = 1;
                                    P(p)
                                })
                                .collect();
                            tx.send(batch).unwrap();
                        }
                        drop(tx);
                        consumer.join().unwrap();
                        total += start.elapsed();
                    }
                    total
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, alloc_free_pairs, batches, producer_consumer);
criterion_main!(benches);
