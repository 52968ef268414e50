//! Face one: a Rust function with Memento as its global allocator.
//!
//! ```sh
//! cargo run --release -p memento-alloc --example function_memento -- 60
//! ```

use memento_alloc::Memento;

#[global_allocator]
static GLOBAL: Memento = Memento;

mod workload {
    include!("workload/function.rs");
}

fn main() {
    let n = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(60);
    println!("{}", workload::run(n));
    let s = memento_alloc::stats();
    eprintln!(
        "memento-alloc: allocated {} B, resident {} B, purged {} B in {} calls",
        s.allocated, s.resident, s.purged, s.purges
    );
}
