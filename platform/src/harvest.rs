//! Memory harvesting: after each invocation, how much memory an instance
//! keeps, and where the rest goes. Harvested bytes go to the node's
//! [`HarvestPool`], which lends them to instances under pressure.
//!
//! Two invariants hold after every decision, whatever the policy: the
//! allocation is at least the instance's live bytes (no live object is
//! lost), and at most the user's size plus what it borrowed beyond it. The
//! pool never goes negative and never creates memory: the allocations plus
//! the pool's free bytes stay constant.

use std::collections::VecDeque;

use serde::Deserialize;

use crate::keepalive::{check_int, check_range, ParamError};

/// One mebibyte.
pub const MIB: u64 = 1 << 20;

/// Freyr's harvesting unit, 64 MB (as MiB, the unit serverless memory
/// sizes are given in).
pub const UNIT_64_MIB: u64 = 64 * MIB;

/// The largest unit or margin a configuration may give, 1 TiB.
pub const MAX_BYTES: u64 = 1 << 40;

/// A decision that could not be made from its inputs.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HarvestError {
    /// The instance reports more live bytes than it has: the caller's
    /// accounting is wrong, and shrinking from it could lose objects.
    #[error("{live_bytes} live bytes do not fit the allocation of {allocation_bytes}")]
    LiveAboveAllocation {
        /// Live bytes reported.
        live_bytes: u64,
        /// The instance's allocation.
        allocation_bytes: u64,
    },
}

/// The node's harvested memory: bytes instances gave up, lent to
/// instances that need more. It only moves bytes, so it never goes
/// negative and the node's total is conserved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HarvestPool {
    available: u64,
    lent: u64,
    borrowed: u64,
}

impl HarvestPool {
    /// An empty pool.
    pub fn new() -> Self {
        HarvestPool::default()
    }

    /// Bytes free to borrow.
    pub fn available_bytes(&self) -> u64 {
        self.available
    }

    /// Bytes given to the pool so far (harvested or returned).
    pub fn total_lent_bytes(&self) -> u64 {
        self.lent
    }

    /// Bytes taken from the pool so far.
    pub fn total_borrowed_bytes(&self) -> u64 {
        self.borrowed
    }

    /// An instance gives `bytes` to the pool (harvested from it, or given
    /// back after borrowing).
    pub fn lend(&mut self, bytes: u64) {
        self.available = self.available.saturating_add(bytes);
        self.lent = self.lent.saturating_add(bytes);
    }

    /// An instance gives borrowed bytes back; the same as [`Self::lend`].
    pub fn give_back(&mut self, bytes: u64) {
        self.lend(bytes);
    }

    /// An instance asks for `want` bytes: it gets what the pool has, up to
    /// `want`, and the grant is returned.
    pub fn borrow(&mut self, want: u64) -> u64 {
        let granted = want.min(self.available);
        self.available -= granted;
        self.borrowed = self.borrowed.saturating_add(granted);
        granted
    }
}

/// One instance's memory: the size its user asked for and what it holds now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceMemory {
    user_bytes: u64,
    allocation_bytes: u64,
    /// Peaks of the latest invocations, oldest first.
    recent_peaks: VecDeque<u64>,
}

impl InstanceMemory {
    /// A new instance holding the user's size.
    pub fn new(user_bytes: u64) -> Self {
        InstanceMemory {
            user_bytes,
            allocation_bytes: user_bytes,
            recent_peaks: VecDeque::new(),
        }
    }

    /// The memory size the user configured.
    pub fn user_bytes(&self) -> u64 {
        self.user_bytes
    }

    /// What the instance holds now.
    pub fn allocation_bytes(&self) -> u64 {
        self.allocation_bytes
    }

    /// Bytes held beyond the user's size (borrowed from the pool).
    pub fn borrowed_bytes(&self) -> u64 {
        self.allocation_bytes.saturating_sub(self.user_bytes)
    }

    /// Bytes of the user's size harvested from the instance.
    pub fn harvested_bytes(&self) -> u64 {
        self.user_bytes.saturating_sub(self.allocation_bytes)
    }

    /// Drops what the instance borrowed beyond the user's size (it is
    /// being unloaded) and returns those bytes, for [`HarvestPool::give_back`].
    pub fn return_borrowed(&mut self) -> u64 {
        let borrowed = self.borrowed_bytes();
        self.allocation_bytes -= borrowed;
        borrowed
    }
}

/// What one decision did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HarvestDecision {
    /// The allocation after the decision.
    pub allocation_bytes: u64,
    /// Bytes given to the pool.
    pub released_bytes: u64,
    /// Bytes taken from the pool.
    pub acquired_bytes: u64,
    /// Bytes wanted but not in the pool: the instance stays that much below
    /// its target until bytes come back (borrowers return theirs at their
    /// own next decision).
    pub short_bytes: u64,
}

/// Freyr's greedy baseline (Yu et al., WWW 2022): one unit up or down per
/// invocation, never above the user's size.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GreedyConfig {
    /// The step. Default 64 MiB (Freyr's memory unit).
    pub unit_bytes: u64,
    /// Grow when the invocation's peak exceeds this share of the
    /// allocation, else shrink. Default 0.9 (Freyr).
    pub threshold: f64,
}

impl Default for GreedyConfig {
    fn default() -> Self {
        GreedyConfig {
            unit_bytes: UNIT_64_MIB,
            threshold: 0.9,
        }
    }
}

impl GreedyConfig {
    /// Checks every field; the error names the first bad one.
    pub fn check(&self) -> Result<(), ParamError> {
        check_int("unit_bytes", self.unit_bytes, 1, MAX_BYTES)?;
        check_range("threshold", self.threshold, 0.0, 1.0)
    }
}

/// Freyr's safeguarded harvesting (Yu et al., "Freyr: Resource Harvesting
/// for Serverless Computing via Reinforcement Learning", WWW 2022), with
/// the learned harvest amount replaced by "just above the recent peak".
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SafeguardConfig {
    /// Allocations are rounded up to this. Default 64 MiB (Freyr's unit).
    pub unit_bytes: u64,
    /// The safeguard's share: revert to the user's size when the last peak
    /// is at least this share of the allocation and at most this share of
    /// the user's size. Default 0.9 (Freyr).
    pub threshold: f64,
    /// Headroom added to the recent peak before rounding up. Default
    /// 64 MiB, ours (Freyr's agent learns the amount).
    pub margin_bytes: u64,
    /// How many invocations' peaks "recent" covers. Default 1, ours: the
    /// last invocation, as the safeguard itself looks at.
    pub peak_window: u64,
    /// Most an instance may borrow beyond its user's size, as a share of
    /// that size. Default 1 (at most double), ours.
    pub max_borrow_share: f64,
}

impl Default for SafeguardConfig {
    fn default() -> Self {
        SafeguardConfig {
            unit_bytes: UNIT_64_MIB,
            threshold: 0.9,
            margin_bytes: UNIT_64_MIB,
            peak_window: 1,
            max_borrow_share: 1.0,
        }
    }
}

impl SafeguardConfig {
    /// Checks every field; the error names the first bad one.
    pub fn check(&self) -> Result<(), ParamError> {
        check_int("unit_bytes", self.unit_bytes, 1, MAX_BYTES)?;
        check_range("threshold", self.threshold, 0.0, 1.0)?;
        check_int("margin_bytes", self.margin_bytes, 0, MAX_BYTES)?;
        check_int("peak_window", self.peak_window, 1, 1 << 16)?;
        check_range("max_borrow_share", self.max_borrow_share, 0.0, 16.0)
    }
}

/// A harvesting policy, as a scenario file names it. The policies keep
/// no state of their own; an instance's history is in its
/// [`InstanceMemory`].
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "policy", rename_all = "kebab-case", deny_unknown_fields)]
pub enum HarvestPolicy {
    /// The user's size, never changed. (Braces, not a unit variant, so
    /// that serde rejects stray fields after `policy = "fixed"`.)
    Fixed {},
    /// [`GreedyConfig`].
    Greedy(GreedyConfig),
    /// [`SafeguardConfig`].
    Safeguard(SafeguardConfig),
}

/// `x` rounded up to a multiple of `unit`.
fn round_up(x: u64, unit: u64) -> u64 {
    x.div_ceil(unit).saturating_mul(unit)
}

impl Default for HarvestPolicy {
    /// Fixed: harvesting is opt-in.
    fn default() -> Self {
        HarvestPolicy::Fixed {}
    }
}

impl HarvestPolicy {
    /// Checks the chosen policy's fields.
    pub fn check(&self) -> Result<(), ParamError> {
        match self {
            HarvestPolicy::Fixed {} => Ok(()),
            HarvestPolicy::Greedy(g) => g.check(),
            HarvestPolicy::Safeguard(s) => s.check(),
        }
    }

    /// Decides `mem`'s allocation after an invocation whose peak usage was
    /// `peak_bytes` and which left `live_bytes` live, moving the difference
    /// to or from `pool`. A peak below the live bytes counts as the live
    /// bytes. Fails, changing nothing, if the live bytes exceed the
    /// allocation.
    pub fn decide(
        &self,
        mem: &mut InstanceMemory,
        peak_bytes: u64,
        live_bytes: u64,
        pool: &mut HarvestPool,
    ) -> Result<HarvestDecision, HarvestError> {
        let alloc = mem.allocation_bytes;
        if live_bytes > alloc {
            return Err(HarvestError::LiveAboveAllocation {
                live_bytes,
                allocation_bytes: alloc,
            });
        }
        let peak = peak_bytes.max(live_bytes);
        let user = mem.user_bytes;
        let target = match self {
            HarvestPolicy::Fixed {} => alloc,
            HarvestPolicy::Greedy(g) => {
                if peak as f64 > g.threshold * alloc as f64 {
                    (alloc.saturating_add(g.unit_bytes)).min(user.max(alloc))
                } else {
                    // Never below one unit: an instance needs some memory.
                    alloc
                        .saturating_sub(g.unit_bytes)
                        .max(g.unit_bytes.min(user))
                }
            }
            HarvestPolicy::Safeguard(s) => {
                if mem.recent_peaks.len() as u64 >= s.peak_window {
                    mem.recent_peaks.pop_front();
                }
                mem.recent_peaks.push_back(peak);
                let (p, t) = (peak as f64, s.threshold);
                if p <= t * user as f64 && p >= t * alloc as f64 {
                    user
                } else {
                    let recent = mem.recent_peaks.iter().copied().max().unwrap_or(peak);
                    let ceiling =
                        user.saturating_add((s.max_borrow_share * user as f64).round() as u64);
                    round_up(recent.saturating_add(s.margin_bytes), s.unit_bytes).min(ceiling)
                }
            }
        };
        // Whatever the rule said, never below the live bytes.
        let target = target.max(live_bytes);
        let mut decision = HarvestDecision {
            allocation_bytes: alloc,
            released_bytes: 0,
            acquired_bytes: 0,
            short_bytes: 0,
        };
        if target < alloc {
            decision.released_bytes = alloc - target;
            pool.lend(alloc - target);
        } else if target > alloc {
            let want = target - alloc;
            decision.acquired_bytes = pool.borrow(want);
            decision.short_bytes = want - decision.acquired_bytes;
        }
        mem.allocation_bytes = alloc - decision.released_bytes + decision.acquired_bytes;
        decision.allocation_bytes = mem.allocation_bytes;
        Ok(decision)
    }
}
