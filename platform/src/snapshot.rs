//! Snapshot policies: whether a new instance of a function restores a
//! snapshot or starts cold, and after which request an instance snapshots
//! itself. One policy object serves one function.
//!
//! Request numbers count the requests an instance's state has served: a
//! cold instance serves requests 1, 2, ...; one restored from a snapshot
//! taken after request `n` serves `n + 1`, `n + 2`, ...

use memento_workloads::rng::Rng;
use serde::Deserialize;

use crate::keepalive::{check_int, check_range, ParamError};

/// A snapshot in a policy's pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SnapshotId(pub u64);

/// How a new instance starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Restore {
    /// From scratch.
    Cold,
    /// From this snapshot.
    Snapshot(SnapshotId),
}

/// A snapshot: taken after its instance served `request_number` requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// Its identity.
    pub id: SnapshotId,
    /// Requests served before it was taken (at least 1).
    pub request_number: u32,
}

/// Parameters of Pronghorn (Sahraoui et al., "Pronghorn: Effective
/// Checkpoint Orchestration for Serverless Hot-Starts", EuroSys 2024).
/// Defaults are the paper's unless a field says otherwise.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PronghornConfig {
    /// Weight of a new latency in the per-request average:
    /// `w[r] <- alpha x latency + (1 - alpha) x w[r]`. Default 0.5 (paper).
    pub alpha: f64,
    /// Most snapshots kept. Default 12 (paper).
    pub capacity: u64,
    /// Share of a full pool kept by score when pruning. Default 0.4 (paper).
    pub keep_best: f64,
    /// Share of the remaining snapshots kept at random. Default 0.1 (paper).
    pub keep_random: f64,
    /// Temperature of the softmax that picks the snapshot to restore:
    /// `P(i) ~ exp(score_i / temperature)`. Default 1, the published
    /// artifact's plain softmax (the paper names no temperature).
    pub temperature: f64,
    /// Requests a score looks ahead: the requests an instance is expected
    /// to serve after a restore. Default 4, the artifact's eviction interval.
    pub window: u64,
    /// Highest request number tracked; later requests are not recorded and
    /// never snapshotted. Default 100, the artifact's `max_requests`.
    pub max_requests: u64,
    /// Numerator of a request's score, `score_scale / (w[r] + 1)` with `w`
    /// in microseconds. Default 1e6, the artifact's.
    pub score_scale: f64,
}

impl Default for PronghornConfig {
    fn default() -> Self {
        PronghornConfig {
            alpha: 0.5,
            capacity: 12,
            keep_best: 0.4,
            keep_random: 0.1,
            temperature: 1.0,
            window: 4,
            max_requests: 100,
            score_scale: 1e6,
        }
    }
}

impl PronghornConfig {
    /// Checks every field; the error names the first bad one.
    pub fn check(&self) -> Result<(), ParamError> {
        if self.alpha.is_nan() || self.alpha <= 0.0 || self.alpha > 1.0 {
            return Err(ParamError::new(
                "alpha",
                self.alpha,
                "must be a number above 0 and at most 1",
            ));
        }
        check_int("capacity", self.capacity, 1, 1 << 16)?;
        check_range("keep_best", self.keep_best, 0.0, 1.0)?;
        check_range("keep_random", self.keep_random, 0.0, 1.0)?;
        if self.temperature.is_nan() || self.temperature <= 0.0 || self.temperature > 1e12 {
            return Err(ParamError::new(
                "temperature",
                self.temperature,
                "must be a number above 0 and at most 1e12",
            ));
        }
        check_int("window", self.window, 1, 1 << 16)?;
        check_int("max_requests", self.max_requests, 1, 1 << 20)?;
        if self.score_scale.is_nan() || self.score_scale <= 0.0 || self.score_scale > 1e12 {
            return Err(ParamError::new(
                "score_scale",
                self.score_scale,
                "must be a number above 0 and at most 1e12",
            ));
        }
        Ok(())
    }
}

/// Pronghorn's orchestration for one function: per-request latency
/// averages, a bounded pool of snapshots, and seeded random choices.
///
/// A snapshot taken after request `n` scores the mean, over the requests
/// `n + 1 ..= min(n + window, max_requests)` it would serve, of
/// `score_scale / (w[r] + 1)` (`w` in microseconds; a request never seen
/// counts as `w = 0`, so untried points look best and get explored, as in
/// the artifact). "Cold" scores as a snapshot at 0. Lower latency, higher
/// score.
#[derive(Clone, Debug)]
pub struct Pronghorn {
    config: PronghornConfig,
    /// `w[r]` for `r` in `1..=max_requests` (index 0 unused).
    w: Vec<Option<f64>>,
    pool: Vec<Snapshot>,
    next_id: u64,
    rng: Rng,
}

impl Pronghorn {
    /// An empty pool with no latencies; its random choices follow `seed`.
    pub fn new(config: PronghornConfig, seed: u64) -> Result<Self, ParamError> {
        config.check()?;
        Ok(Pronghorn {
            w: vec![None; config.max_requests as usize + 1],
            config,
            pool: Vec::new(),
            next_id: 0,
            rng: Rng::new(seed),
        })
    }

    /// The parameters.
    pub fn config(&self) -> &PronghornConfig {
        &self.config
    }

    /// Records the latency of request number `r`; numbers outside
    /// `1..=max_requests` are ignored. The first latency of `r` sets `w[r]`
    /// (as the artifact does) and later ones move it by `alpha`.
    pub fn record_latency(&mut self, r: u32, latency_us: u64) {
        let Some(slot) = self.w.get_mut(r as usize).filter(|_| r > 0) else {
            return;
        };
        let lat = latency_us as f64;
        *slot = Some(match *slot {
            None => lat,
            Some(old) => self.config.alpha * lat + (1.0 - self.config.alpha) * old,
        });
    }

    /// The latency average of request number `r`, if it was ever recorded.
    pub fn w(&self, r: u32) -> Option<f64> {
        if r == 0 {
            return None;
        }
        self.w.get(r as usize).copied().flatten()
    }

    /// The score of a snapshot taken after request `n` (0: cold start);
    /// 0 when no tracked request follows `n`.
    pub fn score(&self, n: u32) -> f64 {
        let first = u64::from(n) + 1;
        let last = (u64::from(n) + self.config.window).min(self.config.max_requests);
        if first > last {
            return 0.0;
        }
        let sum: f64 = (first..=last)
            .map(|r| self.config.score_scale / (self.w[r as usize].unwrap_or(0.0) + 1.0))
            .sum();
        sum / (last - first + 1) as f64
    }

    /// Picks how a new instance starts: a softmax over the scores of
    /// "cold" and of every snapshot in the pool. Cold when the pool is empty.
    pub fn choose_restore(&mut self) -> Restore {
        if self.pool.is_empty() {
            return Restore::Cold;
        }
        let scores: Vec<f64> = std::iter::once(self.score(0))
            .chain(self.pool.iter().map(|s| self.score(s.request_number)))
            .collect();
        let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let weights: Vec<f64> = scores
            .iter()
            .map(|s| ((s - max) / self.config.temperature).exp())
            .collect();
        match sample(&mut self.rng, &weights) {
            0 => Restore::Cold,
            i => Restore::Snapshot(self.pool[i - 1].id),
        }
    }

    /// Picks after which request an instance that has served `served`
    /// requests (0 if cold, `n` if restored from a snapshot at `n`) should
    /// snapshot itself: one of `served + 1 ..= min(served + window,
    /// max_requests)`, with probability proportional to its score. None
    /// when that range is empty.
    pub fn choose_snapshot_point(&mut self, served: u32) -> Option<u32> {
        let first = u64::from(served) + 1;
        let last = (u64::from(served) + self.config.window).min(self.config.max_requests);
        if first > last {
            return None;
        }
        let candidates: Vec<u32> = (first..=last).map(|r| r as u32).collect();
        let weights: Vec<f64> = candidates.iter().map(|&r| self.score(r)).collect();
        Some(candidates[sample(&mut self.rng, &weights)])
    }

    /// Adds a snapshot taken after `request_number` requests, pruning a
    /// full pool first, so the pool never holds more than `capacity`.
    pub fn add_snapshot(&mut self, request_number: u32) -> SnapshotId {
        if self.pool.len() >= self.config.capacity as usize {
            self.prune();
        }
        let id = SnapshotId(self.next_id);
        self.next_id += 1;
        self.pool.push(Snapshot { id, request_number });
        id
    }

    /// Prunes the pool of `n` snapshots to the `round(keep_best x n)` best
    /// by score (ties: the older first) plus `round(keep_random x rest)`
    /// of the rest drawn uniformly without replacement (rounding half away
    /// from zero; the artifact draws with replacement, which can keep
    /// fewer). At least one snapshot always goes, so an add after a prune
    /// fits: with 12, 5 best plus 1 random are kept.
    fn prune(&mut self) {
        let n = self.pool.len();
        if n == 0 {
            return;
        }
        let best = ((self.config.keep_best * n as f64).round() as usize).min(n - 1);
        let mut order: Vec<usize> = (0..n).collect();
        let scores: Vec<f64> = self
            .pool
            .iter()
            .map(|s| self.score(s.request_number))
            .collect();
        // The pool is in id order, and the sort is stable.
        order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
        let mut rest = order.split_off(best);
        let random =
            ((self.config.keep_random * rest.len() as f64).round() as usize).min(n - 1 - best);
        // Partial Fisher-Yates: the first `random` of `rest` are the draw.
        for i in 0..random {
            let j = i + self.rng.below((rest.len() - i) as u64) as usize;
            rest.swap(i, j);
        }
        let mut keep = vec![false; n];
        for &i in order.iter().chain(&rest[..random]) {
            keep[i] = true;
        }
        let mut i = 0;
        self.pool.retain(|_| {
            i += 1;
            keep[i - 1]
        });
    }

    /// The snapshots in the pool, oldest first.
    pub fn snapshots(&self) -> &[Snapshot] {
        &self.pool
    }

    /// Snapshots in the pool.
    pub fn len(&self) -> usize {
        self.pool.len()
    }

    /// Whether the pool is empty.
    pub fn is_empty(&self) -> bool {
        self.pool.is_empty()
    }

    /// Most snapshots the pool holds.
    pub fn capacity(&self) -> usize {
        self.config.capacity as usize
    }
}

/// An index drawn with probability proportional to `weights` (uniform if
/// they are all 0); `weights` is not empty.
fn sample(rng: &mut Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    if !(total.is_finite() && total > 0.0) {
        return rng.below(weights.len() as u64) as usize;
    }
    let mut x = rng.unit() * total;
    for (i, &w) in weights.iter().enumerate() {
        if x < w {
            return i;
        }
        x -= w;
    }
    // Rounding can leave x just above the last weight.
    weights.iter().rposition(|&w| w > 0.0).unwrap_or(0)
}

/// Snapshot after the first request of the function's first instance, and
/// restore every later instance from that snapshot.
#[derive(Clone, Debug, Default)]
pub struct AfterFirst {
    snapshot: Option<SnapshotId>,
}

/// A snapshot policy as a scenario file names it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "policy", rename_all = "kebab-case", deny_unknown_fields)]
pub enum SnapshotConfig {
    /// Every instance starts cold. (Braces, not a unit variant, so that
    /// serde rejects stray fields after `policy = "never"`.)
    Never {},
    /// [`AfterFirst`].
    AfterFirst {},
    /// [`Pronghorn`] with [`PronghornConfig`].
    Pronghorn(PronghornConfig),
}

impl Default for SnapshotConfig {
    /// Never: snapshots are opt-in.
    fn default() -> Self {
        SnapshotConfig::Never {}
    }
}

impl SnapshotConfig {
    /// Checks the chosen policy's fields.
    pub fn check(&self) -> Result<(), ParamError> {
        match self {
            SnapshotConfig::Pronghorn(p) => p.check(),
            SnapshotConfig::Never {} | SnapshotConfig::AfterFirst {} => Ok(()),
        }
    }
}

/// A snapshot policy with its state, for one function.
#[derive(Clone, Debug)]
pub enum SnapshotPolicy {
    /// Never snapshot; always cold.
    Never,
    /// One snapshot after the first request.
    AfterFirst(AfterFirst),
    /// Pronghorn's learned snapshot points.
    Pronghorn(Box<Pronghorn>),
}

impl SnapshotPolicy {
    /// The policy `config` describes, checked; `seed` drives its random
    /// choices (only Pronghorn makes any).
    pub fn new(config: &SnapshotConfig, seed: u64) -> Result<Self, ParamError> {
        Ok(match config {
            SnapshotConfig::Never {} => SnapshotPolicy::Never,
            SnapshotConfig::AfterFirst {} => SnapshotPolicy::AfterFirst(AfterFirst::default()),
            SnapshotConfig::Pronghorn(p) => {
                SnapshotPolicy::Pronghorn(Box::new(Pronghorn::new(p.clone(), seed)?))
            }
        })
    }

    /// Records the latency of request number `r` (only Pronghorn learns).
    pub fn record_latency(&mut self, r: u32, latency_us: u64) {
        if let SnapshotPolicy::Pronghorn(p) = self {
            p.record_latency(r, latency_us);
        }
    }

    /// How a new instance starts.
    pub fn choose_restore(&mut self) -> Restore {
        match self {
            SnapshotPolicy::Never => Restore::Cold,
            SnapshotPolicy::AfterFirst(a) => a.snapshot.map_or(Restore::Cold, Restore::Snapshot),
            SnapshotPolicy::Pronghorn(p) => p.choose_restore(),
        }
    }

    /// After which request an instance that has served `served` requests
    /// should snapshot itself, if at all. AfterFirst asks a cold instance
    /// (`served` 0) for request 1 while no snapshot exists.
    pub fn choose_snapshot_point(&mut self, served: u32) -> Option<u32> {
        match self {
            SnapshotPolicy::Never => None,
            SnapshotPolicy::AfterFirst(a) => (a.snapshot.is_none() && served == 0).then_some(1),
            SnapshotPolicy::Pronghorn(p) => p.choose_snapshot_point(served),
        }
    }

    /// Offers a snapshot taken after `request_number` requests; the id it
    /// is kept under, or None if the policy keeps no new snapshot (Never,
    /// or AfterFirst once it has its one, e.g. when two cold instances
    /// both reached request 1).
    pub fn add_snapshot(&mut self, request_number: u32) -> Option<SnapshotId> {
        match self {
            SnapshotPolicy::Never => None,
            SnapshotPolicy::AfterFirst(a) => match a.snapshot {
                Some(_) => None,
                None => {
                    a.snapshot = Some(SnapshotId(0));
                    a.snapshot
                }
            },
            SnapshotPolicy::Pronghorn(p) => Some(p.add_snapshot(request_number)),
        }
    }

    /// Snapshots kept.
    pub fn len(&self) -> usize {
        match self {
            SnapshotPolicy::Never => 0,
            SnapshotPolicy::AfterFirst(a) => usize::from(a.snapshot.is_some()),
            SnapshotPolicy::Pronghorn(p) => p.len(),
        }
    }

    /// Whether no snapshot is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Most snapshots kept.
    pub fn capacity(&self) -> usize {
        match self {
            SnapshotPolicy::Never => 0,
            SnapshotPolicy::AfterFirst(_) => 1,
            SnapshotPolicy::Pronghorn(p) => p.capacity(),
        }
    }
}
