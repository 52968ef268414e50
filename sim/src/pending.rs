//! Demand reads queued at the DRAM controller whose data cycle is not known
//! yet. Until the batch they belong to is scheduled, the cycle a line, an
//! MSHR or a core's load is ready at is a *token*: a value far above any
//! real cycle that names the read. `MemorySystem::schedule_batch` schedules the
//! batch FR-FCFS and replaces every token by the cycle it stands for.

/// First token; tokens are `TOKEN + n` for the `n`th deferred read.
pub(crate) const TOKEN: u64 = 1 << 50;

/// Whether `cycle` is a token rather than a cycle (`u64::MAX`, used as
/// "busy until further notice", is not one).
#[inline(always)]
pub(crate) fn is_token(cycle: u64) -> bool {
    cycle >> 50 == 1
}
