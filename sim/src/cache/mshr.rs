//! Miss-status holding registers: how many misses of one cache may be
//! outstanding. Merging of a second miss to an in-flight line is done by the
//! cache through the line's ready time; this file only limits the count.

use crate::pending::is_token;

/// The MSHR file of one cache: the cycle each register frees.
#[derive(Clone, Debug)]
pub struct Mshrs {
    free_at: Vec<u64>,
    /// Registers given a token since the last settle.
    tokens: Vec<usize>,
}

impl Mshrs {
    /// `n` idle registers.
    pub fn new(n: usize) -> Mshrs {
        Mshrs {
            free_at: vec![0; n],
            tokens: Vec::new(),
        }
    }

    /// Takes the register that frees first; returns it and the cycle the
    /// miss can start (later than `now` when all are busy). When none is
    /// known to be free and one waits for a deferred read, the cycle is that
    /// read's token: the caller settles the batch and asks again.
    #[inline]
    pub fn reserve(&mut self, now: u64) -> (usize, u64) {
        let mut best = 0;
        let mut token = None;
        for (i, &t) in self.free_at.iter().enumerate() {
            if t <= now {
                return (i, now);
            }
            if is_token(t) {
                token = Some(i);
            } else if t < self.free_at[best] || is_token(self.free_at[best]) {
                best = i;
            }
        }
        match token {
            Some(i) => (i, self.free_at[i]),
            None => (best, self.free_at[best]),
        }
    }

    /// Whether a register waits for a deferred read (it may already be free).
    pub(crate) fn holds_token(&self) -> bool {
        self.free_at.iter().any(|&t| is_token(t))
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
        if is_token(until) {
            self.tokens.push(i);
        }
    }

    /// Replaces the tokens of deferred reads by their cycles.
    pub(crate) fn resolve_tokens(&mut self, resolve: impl Fn(u64) -> u64) {
        for &i in &self.tokens {
            let t = self.free_at[i];
            if is_token(t) {
                self.free_at[i] = resolve(t);
            }
        }
        self.tokens.clear();
    }
}
