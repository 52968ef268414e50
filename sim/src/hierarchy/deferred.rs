//! Demand reads deferred to the controller: settling a batch and resolving
//! the tokens that stood for its cycles (see `pending.rs`).

use super::MemorySystem;
use crate::pending::{is_token, TOKEN};

impl MemorySystem {
    /// Schedules the deferred reads, all queued at the controller, in
    /// FR-FCFS order, then replaces their tokens in the caches and posts the
    /// writebacks that waited for them. The cycles stay available to
    /// [`Self::resolve`] until [`Self::forget_resolved`].
    pub(crate) fn schedule_batch(&mut self) {
        if self.deferred.is_empty() && self.deferred_writes.is_empty() {
            return;
        }
        // By index, so that the vectors keep their capacity.
        for i in 0..self.deferred.len() {
            let ready = self.dram.finish_read_core(self.deferred[i]);
            self.resolved.push(ready);
        }
        self.settled += self.deferred.len() as u64;
        self.deferred.clear();
        let (resolved, from) = (&self.resolved, self.resolved_from);
        let resolve = |t: u64| resolved[(t - TOKEN - from) as usize];
        for p in &mut self.private {
            // The L1I never holds a token: fetches are not deferred.
            p.l1d.resolve_tokens(resolve);
            p.l2.resolve_tokens(resolve);
        }
        for c in &mut self.llc {
            c.resolve_tokens(resolve);
        }
        for i in 0..self.deferred_writes.len() {
            let (addr, cause, at) = self.deferred_writes[i];
            let at = self.resolve(at);
            self.dram.write_core(addr, cause, at);
        }
        self.deferred_writes.clear();
    }

    /// The cycle `t` stands for: itself, or the cycle of a settled token
    /// (a token not settled yet stays as it is).
    #[inline(always)]
    pub(crate) fn resolve(&self, t: u64) -> u64 {
        if is_token(t) && t - TOKEN < self.settled {
            self.resolved[(t - TOKEN - self.resolved_from) as usize]
        } else {
            t
        }
    }

    /// Drops the cycles of settled tokens, once nothing holds them.
    pub(crate) fn forget_resolved(&mut self) {
        self.resolved.clear();
        self.resolved_from = self.settled;
    }
}
