//! Miss-status holding registers: how many misses of one cache may be
//! outstanding. Merging of a second miss to an in-flight line is done by the
//! cache through the line's ready time; this file only limits the count.

/// The MSHR file of one cache: the cycle each register frees.
#[derive(Clone, Debug)]
pub struct Mshrs {
    free_at: Vec<u64>,
}

impl Mshrs {
    /// `n` idle registers.
    pub fn new(n: usize) -> Mshrs {
        Mshrs {
            free_at: vec![0; n],
        }
    }

    /// Takes the register that frees first; returns it and the cycle the
    /// miss can start (later than `now` when all are busy).
    #[inline]
    pub fn reserve(&mut self, now: u64) -> (usize, u64) {
        let mut best = 0;
        for (i, &t) in self.free_at.iter().enumerate() {
            if t <= now {
                return (i, now);
            }
            if t < self.free_at[best] {
                best = i;
            }
        }
        (best, self.free_at[best])
    }

    /// A free register at `now`, if any (prefetches never wait for one).
    #[inline]
    pub fn try_reserve(&self, now: u64) -> Option<usize> {
        self.free_at.iter().position(|&t| t <= now)
    }

    /// Register `i` is busy until `until`.
    #[inline]
    pub fn hold(&mut self, i: usize, until: u64) {
        self.free_at[i] = until;
    }
}
