//! Stress tests through both the C-style API and the global allocator:
//! this whole test binary, harness included, runs on Memento.

mod common;

use common::*;
use memento_alloc::{aligned_alloc, calloc, free, malloc, realloc, usable_size, Memento};
use std::sync::mpsc;

#[global_allocator]
static GLOBAL: Memento = Memento;

#[test]
fn every_boundary_size_is_usable_and_keeps_its_contents() {
    let sizes = boundary_sizes();
    let mut blocks = Vec::new();
    for round in 0..3 {
        for (k, &s) in sizes.iter().enumerate() {
            let p = malloc(s);
            assert!(!p.is_null(), "malloc({s})");
            // SAFETY: the pointer is live or foreign; both are allowed.
            assert!(unsafe { usable_size(p) } >= s.max(1));
            let align = if s > 8 { 16 } else { 8 };
            assert_eq!(p as usize % align, 0, "malloc({s}) = {p:?}");
            // SAFETY: a live block of ours, large enough for the bytes touched.
            unsafe { fill(p, s, k + round) };
            blocks.push((p, s, k + round));
        }
    }
    for &(p, s, seed) in &blocks {
        // SAFETY: a live block of ours, large enough for the bytes touched.
        unsafe { verify(p, s, seed) };
    }
    for (p, _, _) in blocks {
        // SAFETY: the block came from this allocator and is freed once.
        unsafe { free(p) };
    }
}

#[test]
fn every_alignment_and_size_boundary_is_honoured() {
    let sizes = [
        1usize,
        8,
        15,
        16,
        17,
        100,
        512,
        513,
        4096,
        65536,
        524288,
        524289,
        3 << 20,
    ];
    let mut align = 1usize;
    while align <= 16 << 20 {
        for (k, &s) in sizes.iter().enumerate() {
            let p = aligned_alloc(align, s);
            assert!(!p.is_null(), "aligned_alloc({align}, {s})");
            assert_eq!(p as usize % align, 0, "aligned_alloc({align}, {s}) = {p:?}");
            // SAFETY: the pointer is live or foreign; both are allowed.
            assert!(unsafe { usable_size(p) } >= s);
            // SAFETY: a live block of ours, large enough for the bytes touched.
            unsafe {
                fill(p, s.min(1 << 16), k);
                verify(p, s.min(1 << 16), k);
                free(p);
            }
        }
        align *= 2;
    }
    assert!(
        aligned_alloc(24, 10).is_null(),
        "non-power-of-two alignment"
    );
}

#[test]
fn rust_layouts_of_every_alignment_are_honoured() {
    use std::alloc::{GlobalAlloc, Layout};
    for align_log in 0..=22 {
        let align = 1usize << align_log;
        for size in [1usize, 3, 8, 16, 24, 1000, 70_000, 600_000] {
            let layout = Layout::from_size_align(size, align).unwrap();
            // SAFETY: valid layouts; each block is freed once, with its layout.
            unsafe {
                let p = Memento.alloc(layout);
                assert_eq!(p as usize % align, 0, "{layout:?}");
                fill(p, size, align_log);
                let q = Memento.realloc(p, layout, size * 2 + 1);
                assert_eq!(q as usize % align, 0, "realloc {layout:?}");
                verify(q, size, align_log);
                Memento.dealloc(q, Layout::from_size_align(size * 2 + 1, align).unwrap());
                let z = Memento.alloc_zeroed(layout);
                assert!(std::slice::from_raw_parts(z, size).iter().all(|&b| b == 0));
                Memento.dealloc(z, layout);
            }
        }
    }
}

#[test]
fn realloc_keeps_contents_across_classes_and_into_large_objects() {
    let mut p = malloc(1);
    // SAFETY: a live block of ours, large enough for the bytes touched.
    unsafe { fill(p, 1, 5) };
    let mut size = 1usize;
    while size < (2 << 20) {
        let next = size * 3 / 2 + 1;
        // SAFETY: the block is live and came from this allocator.
        p = unsafe { realloc(p, next) };
        assert!(!p.is_null());
        // SAFETY: a live block of ours, large enough for the bytes touched.
        unsafe {
            verify(p, size, 5);
            fill(p, next, 5);
        }
        size = next;
    }
    while size > 1 {
        size /= 3;
        // SAFETY: the block is live and came from this allocator.
        p = unsafe { realloc(p, size.max(1)) };
        // SAFETY: a live block of ours, large enough for the bytes touched.
        unsafe { verify(p, size.max(1), 5) };
    }
    // SAFETY: the block is live and came from this allocator.
    assert!(unsafe { realloc(p, 0) }.is_null(), "realloc(p, 0) frees");
}

#[test]
fn large_realloc_grows_in_place_or_moves_pages_and_shrinks_keeping_contents() {
    let page = 4096;
    let mut p = malloc(1 << 20);
    let mark = |p: *mut u8, len: usize, seed: usize| {
        for off in (0..len).step_by(page) {
            // SAFETY: a live block of ours, large enough for the bytes touched.
            unsafe { *p.add(off) = pattern(seed, off / page) };
        }
    };
    let check = |p: *mut u8, len: usize, seed: usize| {
        for off in (0..len).step_by(page) {
            assert_eq!(
                // SAFETY: a live block of ours, large enough for the bytes touched.
                unsafe { *p.add(off) },
                pattern(seed, off / page),
                "page {}",
                off / page
            );
        }
    };
    mark(p, 1 << 20, 9);
    // Blockers make in-place growth fail some of the time: both paths run.
    let mut blockers = Vec::new();
    let mut size = 1usize << 20;
    for _ in 0..8 {
        blockers.push(malloc(600 << 10));
        let next = size * 2 + 12345;
        // SAFETY: the block is live and came from this allocator.
        p = unsafe { realloc(p, next) };
        assert!(!p.is_null());
        // SAFETY: the pointer is live or foreign; both are allowed.
        assert!(unsafe { usable_size(p) } >= next);
        check(p, size, 9);
        mark(p, next, 9);
        size = next;
    }
    // SAFETY: the block is live and came from this allocator.
    p = unsafe { realloc(p, 700 << 10) };
    check(p, 700 << 10, 9);
    // SAFETY: the block came from this allocator and is freed once.
    unsafe { free(p) };
    for b in blockers {
        // SAFETY: the block came from this allocator and is freed once.
        unsafe { free(b) };
    }
}

#[test]
fn calloc_zeroes_reused_and_fresh_memory() {
    for &s in &[8usize, 48, 512, 4000, 100_000, 1 << 20] {
        let p = malloc(s);
        // SAFETY: a live block of ours, large enough for the bytes touched.
        unsafe {
            std::ptr::write_bytes(p, 0xAB, s);
            free(p);
        }
        let z = calloc(1, s);
        assert!(
            // SAFETY: a live block of ours, large enough for the bytes touched.
            unsafe { std::slice::from_raw_parts(z, s) }
                .iter()
                .all(|&b| b == 0),
            "calloc({s})"
        );
        // SAFETY: the block came from this allocator and is freed once.
        unsafe { free(z) };
    }
    assert!(
        calloc(usize::MAX / 2, 3).is_null(),
        "overflowing calloc fails"
    );
}

#[test]
fn pointers_not_ours_are_ignored() {
    let mut local = [0u8; 64];
    let p = local.as_mut_ptr();
    // SAFETY: the block is live and came from this allocator.
    unsafe {
        free(p);
        free(std::ptr::null_mut());
        assert_eq!(usable_size(p), 0);
        assert!(realloc(p, 10).is_null());
    }
    // SAFETY: system calls on memory and processes this test owns.
    let sys = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            4096,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    } as *mut u8;
    // SAFETY: system calls on memory and processes this test owns.
    unsafe {
        free(sys.add(16));
        assert_eq!(usable_size(sys), 0);
        libc::munmap(sys.cast(), 4096);
    }
    assert_eq!(local[0], 0);
}

/// Maps one page at `addr` if that address range is free.
fn map_at(addr: usize) -> Option<*mut u8> {
    // SAFETY: MAP_FIXED_NOREPLACE never replaces an existing mapping.
    let q = unsafe {
        libc::mmap(
            addr as *mut libc::c_void,
            4096,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED_NOREPLACE,
            -1,
            0,
        )
    };
    (q as usize == addr).then_some(q as *mut u8)
}

#[test]
fn foreign_mappings_in_our_4_mib_chunks_are_not_ours() {
    const CHUNK: usize = 4 << 20;
    // A large object's mapping covers only the start of its 4 MiB chunk;
    // the kernel may place anyone's mapping in the rest.
    let p = malloc(100 << 10);
    // SAFETY: p is live.
    let end = p as usize + unsafe { usable_size(p) };
    let chunk_end = (p as usize - 1) / CHUNK * CHUNK + CHUNK;
    let q = (end..chunk_end)
        .step_by(4096)
        .skip(1)
        .find_map(map_at)
        .expect("a free page in the chunk");
    // SAFETY: q is foreign; freeing it must leave p alone.
    unsafe {
        assert_eq!(usable_size(q), 0);
        free(q);
        assert!(usable_size(p) >= 100 << 10, "the large object survived");
        fill(p, 100 << 10, 3);
        free(p);
        libc::munmap(q.cast(), 4096);
    }
    // A mapping starting right where a segment ends.
    let s = malloc(100);
    let seg_end = (s as usize - 1) / CHUNK * CHUNK + CHUNK;
    if let Some(q) = map_at(seg_end) {
        // SAFETY: q is foreign.
        unsafe {
            assert_eq!(usable_size(q), 0);
            free(q);
            libc::munmap(q.cast(), 4096);
        }
    }
    // SAFETY: s is live.
    unsafe { free(s) };
}

#[test]
fn huge_requests_fail_cleanly() {
    assert!(malloc(usize::MAX).is_null());
    assert!(malloc(usize::MAX - 4096).is_null());
    assert!(aligned_alloc(1 << 20, usize::MAX - 100).is_null());
}

#[test]
fn single_thread_churn_keeps_every_live_block_intact() {
    // A deterministic mix of sizes and lifetimes (most die young, as in
    // serverless functions), checked in full at every free.
    let mut live: Vec<(usize, usize, usize)> = Vec::new();
    let mut x = 0x2545F4914F6CDD1Du64;
    for step in 0..200_000usize {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let r = x as usize;
        if live.len() < 64 || r % 3 != 0 {
            let size = match r % 16 {
                0..=11 => r % 512,
                12..=14 => r % 16384,
                _ => r % (800 << 10),
            };
            let p = malloc(size);
            assert!(!p.is_null());
            // SAFETY: a live block of ours, large enough for the bytes touched.
            unsafe { fill(p, size.min(256), step) };
            live.push((p as usize, size, step));
        } else {
            let (p, size, seed) = live.swap_remove((r >> 8) % live.len());
            // SAFETY: a live block of ours, large enough for the bytes touched.
            unsafe {
                verify(p as *const u8, size.min(256), seed);
                free(p as *mut u8);
            }
        }
    }
    for (p, size, seed) in live {
        // SAFETY: a live block of ours, large enough for the bytes touched.
        unsafe {
            verify(p as *const u8, size.min(256), seed);
            free(p as *mut u8);
        }
    }
}

#[test]
fn cross_thread_frees_reach_the_owner() {
    // Producers allocate and fill; consumers verify and free (remote frees).
    const PRODUCERS: usize = 3;
    const PER: usize = 30_000;
    let (tx, rx) = mpsc::sync_channel::<SendPtr>(1024);
    let consumer = std::thread::spawn(move || {
        let mut n = 0;
        for SendPtr(p, s, seed) in rx {
            // SAFETY: a live block of ours, large enough for the bytes touched.
            unsafe {
                verify(p, s, seed);
                free(p);
            }
            n += 1;
        }
        n
    });
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|t| {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for i in 0..PER {
                    let s = (i * 37 + t) % 700;
                    let p = malloc(s);
                    // SAFETY: a live block of ours, large enough for the bytes touched.
                    unsafe { fill(p, s, i + t) };
                    tx.send(SendPtr(p, s, i + t)).unwrap();
                    if i % 3 == 0 {
                        // Local churn between remote frees.
                        let q = malloc(s);
                        // SAFETY: the block came from this allocator and is freed once.
                        unsafe { free(q) };
                    }
                }
            })
        })
        .collect();
    drop(tx);
    for p in producers {
        p.join().unwrap();
    }
    assert_eq!(consumer.join().unwrap(), PRODUCERS * PER);
}

#[test]
fn objects_outlive_their_threads_and_threads_are_recreated_every_round() {
    let mut survivors: Vec<SendPtr> = Vec::new();
    for round in 0..20 {
        let handed: Vec<SendPtr> = std::mem::take(&mut survivors);
        let threads: Vec<_> = (0..3)
            .map(|t| {
                let mine: Vec<SendPtr> = handed.iter().copied().skip(t).step_by(3).collect();
                std::thread::spawn(move || {
                    // Free what earlier (now dead) threads allocated.
                    for SendPtr(p, s, seed) in mine {
                        // SAFETY: a live block of ours, large enough for the bytes touched.
                        unsafe {
                            verify(p, s, seed);
                            free(p);
                        }
                    }
                    // Allocate objects that outlive this thread.
                    (0..2000)
                        .map(|i| {
                            let s = (i * 13 + round) % 2048 + 1;
                            let p = malloc(s);
                            // SAFETY: a live block of ours, large enough for the bytes touched.
                            unsafe { fill(p, s, i ^ round) };
                            SendPtr(p, s, i ^ round)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for t in threads {
            survivors.extend(t.join().unwrap());
        }
    }
    for SendPtr(p, s, seed) in survivors {
        // SAFETY: a live block of ours, large enough for the bytes touched.
        unsafe {
            verify(p, s, seed);
            free(p);
        }
    }
}

#[test]
fn many_threads_churn_with_rust_collections() {
    let threads: Vec<_> = (0..4)
        .map(|t| {
            std::thread::spawn(move || {
                let mut maps = Vec::new();
                for round in 0..30 {
                    let m: std::collections::HashMap<String, Vec<u64>> = (0..300)
                        .map(|i| (format!("k{t}-{round}-{i}"), vec![i as u64; i % 40]))
                        .collect();
                    maps.push(m);
                    if maps.len() > 4 {
                        let old = maps.remove(0);
                        assert_eq!(old.len(), 300);
                    }
                }
                maps.iter()
                    .map(|m| m.values().map(|v| v.len()).sum::<usize>())
                    .sum::<usize>()
            })
        })
        .collect();
    for t in threads {
        assert!(t.join().unwrap() > 0);
    }
}

#[test]
fn large_objects_start_at_varied_cache_line_offsets() {
    // Four objects live at once: they must not all share one offset into
    // their page (they would compete for the same cache sets), and each
    // keeps 16-byte alignment and its whole size usable.
    let ps: Vec<*mut u8> = (0..4).map(|_| malloc(200 << 10)).collect();
    let offsets: std::collections::HashSet<usize> = ps.iter().map(|&p| p as usize % 4096).collect();
    assert!(offsets.len() > 1, "offsets {offsets:?}");
    for &p in &ps {
        assert_eq!(p as usize % 16, 0);
        // SAFETY: p is live; the usable size covers the request.
        assert!(unsafe { usable_size(p) } >= 200 << 10);
        // SAFETY: a live block of ours, large enough for the bytes touched.
        unsafe { std::ptr::write_bytes(p, 3, 200 << 10) };
    }
    for p in ps {
        // SAFETY: the block came from this allocator and is freed once.
        unsafe { free(p) };
    }
}
