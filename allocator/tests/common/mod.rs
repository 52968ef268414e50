//! Helpers shared by the integration tests.
#![allow(dead_code)]

/// A byte pattern that depends on the block and the offset, so a block
/// overwritten by another one (or by a free-list link) is caught.
pub fn pattern(seed: usize, i: usize) -> u8 {
    (seed.wrapping_mul(131).wrapping_add(i.wrapping_mul(7)) % 251) as u8
}

/// Fills `len` bytes at `p` with the pattern of `seed`.
pub unsafe fn fill(p: *mut u8, len: usize, seed: usize) {
    for i in 0..len {
        // SAFETY: a live block of ours, large enough for the bytes touched.
        unsafe { *p.add(i) = pattern(seed, i) };
    }
}

/// Checks the pattern of `seed` on `len` bytes at `p`.
pub unsafe fn verify(p: *const u8, len: usize, seed: usize) {
    for i in 0..len {
        // SAFETY: a live block of ours, large enough for the bytes touched.
        let got = unsafe { *p.add(i) };
        assert_eq!(
            got,
            pattern(seed, i),
            "block {p:?} seed {seed} byte {i} of {len}"
        );
    }
}

/// Sizes around every class boundary, up to just past the largest class.
pub fn boundary_sizes() -> Vec<usize> {
    let mut v = vec![0, 1, 7, 8, 9];
    for &c in memento_alloc::size_class::CLASS_SIZES.iter() {
        v.extend([c - 1, c, c + 1]);
    }
    v.sort_unstable();
    v.dedup();
    v
}

/// A pointer that can be sent between threads in tests.
#[derive(Clone, Copy)]
pub struct SendPtr(pub *mut u8, pub usize, pub usize);
// SAFETY: a test hands each pointer to one thread at a time.
unsafe impl Send for SendPtr {}
