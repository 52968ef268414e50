//! Under AddressSanitizer with the `asan` feature (`scripts/sanitize.sh
//! address`), free blocks are poisoned: a read of a freed block, or past a
//! block into a free neighbour, is reported. Each case runs in a child
//! process (this binary again, filtered to one case), which ASan must
//! stop. Without the feature this file is empty.
#![cfg(feature = "asan")]

use memento_alloc::{free, malloc, Memento};
use std::process::Command;

#[global_allocator]
static GLOBAL: Memento = Memento;

/// Runs `case` in a child; returns its stderr after checking it failed.
fn child_must_be_stopped(case: &str) -> String {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "--nocapture", case])
        .env("MEMENTO_ASAN_CASE", case)
        .env("ASAN_OPTIONS", "detect_leaks=0:halt_on_error=1:exitcode=99")
        .output()
        .expect("run the test binary again");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(99),
        "{case} was not stopped:\n{stderr}"
    );
    stderr
}

fn in_child(case: &str) -> bool {
    std::env::var("MEMENTO_ASAN_CASE").as_deref() == Ok(case)
}

#[test]
fn a_read_of_a_freed_block_is_reported() {
    if in_child("a_read_of_a_freed_block_is_reported") {
        let p = malloc(64);
        // SAFETY: none; this is the bug ASan must catch.
        unsafe {
            free(p);
            std::ptr::read_volatile(p.add(40));
        }
        return;
    }
    let err = child_must_be_stopped("a_read_of_a_freed_block_is_reported");
    assert!(err.contains("use-after-poison"), "{err}");
}

#[test]
fn an_overflow_into_a_never_allocated_neighbour_is_reported() {
    if in_child("an_overflow_into_a_never_allocated_neighbour_is_reported") {
        // A fresh class of 1 KiB blocks: the next block was carved, not
        // handed out.
        let p = malloc(1000);
        // SAFETY: none; 1024 + 100 lies in the next block, past its link.
        unsafe { std::ptr::read_volatile(p.add(1024 + 100)) };
        return;
    }
    let err = child_must_be_stopped("an_overflow_into_a_never_allocated_neighbour_is_reported");
    assert!(err.contains("use-after-poison"), "{err}");
}

#[test]
fn a_block_handed_out_again_is_usable_whole() {
    let p = malloc(200);
    // SAFETY: p holds 200 bytes (its class holds 208).
    unsafe {
        std::ptr::write_bytes(p, 1, 208);
        free(p);
    }
    let q = malloc(200);
    assert_eq!(p, q, "the freed block is reused first");
    // SAFETY: q is live; ASan must not report this.
    unsafe { std::ptr::write_bytes(q, 2, 208) };
    // SAFETY: q is live.
    unsafe { free(q) };
}
