//! The example Rust function on the system allocator: under
//! `LD_PRELOAD=libmemento_alloc_preload.so` (or mimalloc, jemalloc, ...)
//! its `malloc` calls go to the preloaded allocator. Used by `bench/run.sh`.

mod workload {
    include!("workload/function.rs");
}

fn main() {
    let n = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(60);
    println!("{}", workload::run(n));
}
