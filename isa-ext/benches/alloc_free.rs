//! obj-alloc + obj-free pairs per second on the common path (HOT hits), the
//! rate the simulator replays traced allocations at.
//!
//! `cargo bench -p memento-isa --bench alloc_free`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use memento_isa::{Effects, HardwareObjectAllocator, HardwarePageAllocator, Params};
use std::hint::black_box;

fn pairs(c: &mut Criterion) {
    let p = Params::default();
    let mut hoa = HardwareObjectAllocator::new(&p).unwrap();
    let mut hpa = HardwarePageAllocator::new(&p).unwrap();
    let mut fx = Effects::new();
    let mut g = c.benchmark_group("alloc_free");
    g.throughput(Throughput::Elements(1));

    g.bench_function("pair_one_class", |b| {
        b.iter(|| {
            let a = hoa.alloc(0, black_box(48), &mut hpa, &mut fx).unwrap();
            hoa.free(0, a, &mut hpa, &mut fx).unwrap();
        })
    });

    // 256 live objects of four classes, the oldest freed as each is made.
    let sizes = [16u64, 32, 64, 200];
    let mut ring = [0u64; 256];
    for (i, r) in ring.iter_mut().enumerate() {
        *r = hoa.alloc(0, sizes[i % 4], &mut hpa, &mut fx).unwrap();
    }
    let mut i = 0usize;
    g.bench_function("pair_four_classes_256_live", |b| {
        b.iter(|| {
            let slot = i % ring.len();
            hoa.free(0, ring[slot], &mut hpa, &mut fx).unwrap();
            ring[slot] = hoa.alloc(0, sizes[i % 4], &mut hpa, &mut fx).unwrap();
            i += 1;
        })
    });
    g.finish();
}

criterion_group!(benches, pairs);
criterion_main!(benches);
