//! Searches over the ways of one set, written so that the compiler unrolls
//! them for the common associativities and keeps them free of
//! data-dependent branches: which way matches is data, and a branch on it
//! would mispredict on the host far more often than it saves work.

/// The index of the first item for which `hit` holds, or `usize::MAX`.
#[inline(always)]
pub(crate) fn first<T: Copy>(items: &[T], hit: impl Fn(T) -> bool) -> usize {
    match items.len() {
        4 => first_n::<T, 4>(items, hit),
        8 => first_n::<T, 8>(items, hit),
        12 => first_n::<T, 12>(items, hit),
        16 => first_n::<T, 16>(items, hit),
        32 => first_n::<T, 32>(items, hit),
        _ => first_any(items, hit),
    }
}

#[inline(always)]
fn first_n<T: Copy, const N: usize>(items: &[T], hit: impl Fn(T) -> bool) -> usize {
    let Ok(items) = <&[T; N]>::try_from(items) else {
        return first_any(items, hit);
    };
    let mut found = usize::MAX;
    for w in (0..N).rev() {
        found = if hit(items[w]) { w } else { found };
    }
    found
}

#[inline(always)]
fn first_any<T: Copy>(items: &[T], hit: impl Fn(T) -> bool) -> usize {
    let mut found = usize::MAX;
    for (w, &item) in items.iter().enumerate().rev() {
        found = if hit(item) { w } else { found };
    }
    found
}

/// The index of the smallest value (the first on ties), for values below
/// 2^56.
#[inline(always)]
pub(crate) fn min_index(values: &[u64]) -> usize {
    match values.len() {
        4 => min_index_n::<4>(values),
        8 => min_index_n::<8>(values),
        12 => min_index_n::<12>(values),
        16 => min_index_n::<16>(values),
        32 => min_index_n::<32>(values),
        _ => min_index_any(values),
    }
}

#[inline(always)]
fn min_index_n<const N: usize>(values: &[u64]) -> usize {
    const { assert!(N <= 256) };
    let Ok(values) = <&[u64; N]>::try_from(values) else {
        return min_index_any(values);
    };
    // Value and index packed in one word: one minimum, no branch.
    let mut best = u64::MAX;
    for (i, &v) in values.iter().enumerate() {
        best = best.min((v << 8) | i as u64);
    }
    (best & 0xff) as usize
}

#[inline(always)]
fn min_index_any(values: &[u64]) -> usize {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v < values[best] {
            best = i;
        }
    }
    best
}
