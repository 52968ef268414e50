//! A short measurement of obj-alloc + obj-free pairs per second on the
//! common path (HOT hits), without criterion's statistics.
//!
//! `cargo run --release -p memento-isa --example throughput`

use memento_isa::{Effects, HardwareObjectAllocator, HardwarePageAllocator, Params};
use std::hint::black_box;
use std::time::Instant;

fn main() {
    let p = Params::default();
    let (Ok(mut hoa), Ok(mut hpa)) = (
        HardwareObjectAllocator::new(&p),
        HardwarePageAllocator::new(&p),
    ) else {
        eprintln!("throughput: the default parameters do not validate");
        std::process::exit(1);
    };
    let mut fx = Effects::new();
    let pairs: u64 = std::env::var("PAIRS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000_000);
    let start = Instant::now();
    for i in 0..pairs {
        let size = black_box(16 + (i & 3) * 16);
        match hoa.alloc(0, size, &mut hpa, &mut fx) {
            Ok(a) => {
                let _ = hoa.free(0, a, &mut hpa, &mut fx);
            }
            Err(e) => {
                eprintln!("throughput: {e}");
                std::process::exit(1);
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let s = hoa.stats();
    println!(
        "{pairs} alloc+free pairs in {secs:.3} s: {:.1} M pairs/s ({:.1} ns a pair); HOT hit rate alloc {:.4}, free {:.4}",
        pairs as f64 / secs / 1e6,
        secs * 1e9 / pairs as f64,
        s.alloc_hot.hit_rate(),
        s.free_hot.hit_rate()
    );
}
