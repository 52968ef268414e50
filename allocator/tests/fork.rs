//! `fork` while other threads allocate: the child must find the allocator
//! usable (locks released, other threads' heaps handed over).

mod common;

use common::*;
use memento_alloc::{free, malloc, Memento};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[global_allocator]
static GLOBAL: Memento = Memento;

fn child_work() -> i32 {
    let mut v = Vec::new();
    for round in 0..20 {
        for i in 0..500 {
            let s = (i * 29 + round) % 3000 + 1;
            let p = malloc(s);
            if p.is_null() {
                return 2;
            }
            // SAFETY: a live block of ours, large enough for the bytes touched.
            unsafe { fill(p, s, i) };
            v.push((p, s, i));
        }
        for (p, s, i) in v.drain(..) {
            for j in 0..s {
                // SAFETY: a live block of ours, large enough for the bytes touched.
                if unsafe { *p.add(j) } != pattern(i, j) {
                    return 3;
                }
            }
            // SAFETY: the block came from this allocator and is freed once.
            unsafe { free(p) };
        }
    }
    // A thread in the child, allocating and exiting.
    match std::thread::spawn(|| (0..1000).map(|i| vec![i; 10].len()).sum::<usize>()).join() {
        Ok(10_000) => 0,
        _ => 4,
    }
}

#[test]
fn fork_in_the_middle_of_allocation_leaves_a_working_child() {
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..3)
        .map(|t| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut keep = Vec::new();
                let mut i = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    let s = (i * 31 + t) % 5000 + 1;
                    keep.push(vec![t as u8; s]);
                    if keep.len() > 200 {
                        keep.swap_remove(i % 200);
                    }
                    if i % 1000 == 0 {
                        // Large objects and pool traffic too.
                        drop(vec![0u8; 1 << 20]);
                    }
                    i += 1;
                }
            })
        })
        .collect();
    for _ in 0..12 {
        std::thread::sleep(std::time::Duration::from_millis(3));
        // SAFETY: the child only calls the allocator and _exit.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            let code = child_work();
            // SAFETY: system calls on memory and processes this test owns.
            unsafe { libc::_exit(code) };
        }
        let mut status = 0;
        // SAFETY: system calls on memory and processes this test owns.
        unsafe { libc::waitpid(pid, &mut status, 0) };
        assert!(libc::WIFEXITED(status), "child died: status {status}");
        assert_eq!(libc::WEXITSTATUS(status), 0, "child check failed");
    }
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
}
