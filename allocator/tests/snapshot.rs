//! Snapshot and restore of a thread's allocation state.

mod common;

use common::*;
use memento_alloc::{free, malloc, realloc, usable_size, Memento, Snapshot, SnapshotError};

#[global_allocator]
static GLOBAL: Memento = Memento;

/// Address replay holds only while no other thread takes arenas from the
/// pool between restores, so these tests take turns.
static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn turn() -> std::sync::MutexGuard<'static, ()> {
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

fn sizes(n: usize) -> impl Iterator<Item = usize> {
    (0..n).map(|i| [24, 40, 100, 300, 512, 2000, 9000][i % 7] + i % 5)
}

#[test]
fn restore_frees_what_came_after_and_keeps_what_came_before() {
    let _t = turn();
    std::thread::spawn(|| {
        // "Initialisation": state that must survive every invocation.
        let init: Vec<(usize, usize)> = sizes(3000)
            .enumerate()
            .map(|(k, s)| {
                let p = malloc(s);
                // SAFETY: a live block of ours, large enough for the bytes touched.
                unsafe { fill(p, s, k) };
                (p as usize, s)
            })
            .collect();
        for &(p, _) in init.iter().step_by(3) {
            // SAFETY: the block came from this allocator and is freed once.
            unsafe { free(p as *mut u8) }; // holes in the captured arenas
        }
        // Everything the invocations record must exist before the snapshot:
        // restore frees whatever was allocated after it.
        let mut seqs: Vec<Vec<usize>> = (0..3).map(|_| Vec::with_capacity(20_000)).collect();
        let snap = Snapshot::take();
        assert!(snap.arenas() > 0);
        let live_at_snapshot = snap.live_blocks();

        for seq in seqs.iter_mut() {
            // An "invocation": lots of garbage, some large objects.
            seq.extend(sizes(20_000).map(|s| malloc(s) as usize));
            let large = [malloc(1 << 20), malloc(3 << 20)];
            assert!(large.iter().all(|p| !p.is_null()));
            for &g in seq.iter() {
                assert!(
                    !init.iter().skip(1).step_by(3).any(|&(p, _)| p == g),
                    "a live block was handed out"
                );
            }
            // SAFETY: nothing allocated after the snapshot is used afterwards.
            unsafe { snap.restore() }.expect("restore");
        }
        let again = Snapshot::take();
        // `again` holds its own three buffers (arenas, bitmaps, large list).
        assert_eq!(
            again.live_blocks(),
            live_at_snapshot + 3,
            "exactly the captured blocks are live"
        );
        // The large objects captured (the three 160 KB `seqs` buffers) are
        // still live; none of the six per invocation survived a restore.
        assert_eq!(again.large_objects(), snap.large_objects());
        // After each restore the same allocations get the same blocks of the
        // captured arenas (new arenas come from wherever the pool has room).
        let replay: Vec<Vec<usize>> = seqs
            .iter()
            .map(|s| {
                s.iter()
                    .copied()
                    .filter(|&p| snap.covers(p as *const u8))
                    .collect()
            })
            .collect();
        assert!(
            replay[1].len() > 500,
            "the holes of the captured arenas are reused"
        );
        assert!(replay[1] == replay[2], "restores replay identically");
        for (k, &(p, s)) in init.iter().enumerate() {
            if k % 3 != 0 {
                // SAFETY: a live block of ours, large enough for the bytes touched.
                unsafe { verify(p as *const u8, s, k) };
            }
        }
    })
    .join()
    .unwrap();
}

#[test]
fn restore_on_another_thread_is_refused() {
    let _t = turn();
    let snap = std::thread::spawn(|| {
        let p = malloc(10);
        let s = Snapshot::take();
        // SAFETY: the block came from this allocator and is freed once.
        unsafe { free(p) };
        // Keep the snapshot's buffers alive past this thread: leak it into
        // a raw pointer and return the address.
        Box::into_raw(Box::new(s)) as usize
    })
    .join()
    .unwrap();
    // SAFETY: the pointer came from Box::into_raw above.
    let snap = unsafe { Box::from_raw(snap as *mut Snapshot) };
    // SAFETY: nothing allocated after the snapshot is used afterwards.
    assert_eq!(unsafe { snap.restore() }, Err(SnapshotError::WrongThread));
}

#[test]
fn restore_is_refused_when_a_captured_large_object_was_freed() {
    let _t = turn();
    std::thread::spawn(|| {
        // A new thread may adopt an exited thread's heap with its large
        // objects: count from what this heap already holds.
        let held = Snapshot::take().large_objects();
        let big = malloc(2 << 20);
        let snap = Snapshot::take();
        assert_eq!(snap.large_objects(), held + 1);
        let p = malloc(100);
        // SAFETY: the block came from this allocator and is freed once.
        unsafe { free(big) };
        assert_eq!(
            // SAFETY: nothing allocated after the snapshot is used afterwards.
            unsafe { snap.restore() },
            Err(SnapshotError::LargeObjectFreed)
        );
        // Nothing changed: the block allocated after the snapshot is live.
        // SAFETY: a live block of ours, large enough for the bytes touched.
        unsafe {
            fill(p, 100, 1);
            verify(p, 100, 1);
            free(p);
        }
    })
    .join()
    .unwrap();
}

#[test]
fn restore_is_refused_when_a_captured_large_object_shrank() {
    let _t = turn();
    std::thread::spawn(|| {
        let big = malloc(3 << 20);
        let snap = Snapshot::take();
        // SAFETY: big is live; shrinking keeps its start.
        let small = unsafe { realloc(big, 64 << 10) };
        assert_eq!(small, big, "a large object shrinks in place");
        // SAFETY: small is live.
        assert!(
            unsafe { usable_size(small) } < 3 << 20,
            "its mapping shrank"
        );
        let p = malloc(100);
        assert_eq!(
            // SAFETY: nothing allocated after the snapshot is used afterwards.
            unsafe { snap.restore() },
            Err(SnapshotError::LargeObjectFreed),
            "the program, rolled back, would use 3 MiB at this address"
        );
        // Nothing changed.
        // SAFETY: live blocks of ours, large enough for the bytes touched.
        unsafe {
            fill(p, 100, 2);
            verify(p, 100, 2);
            free(p);
            free(small);
        }
    })
    .join()
    .unwrap();
}
