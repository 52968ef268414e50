//! The node: a few cores and a memory capacity shared by many function
//! instances. Arrivals wait in one queue for a core and, for a new
//! instance, for memory (idle instances are evicted, least recently used
//! first, to make room). A warm start reuses an idle instance; otherwise
//! the snapshot policy chooses a restore or a cold start. After each
//! invocation the harvest policy resizes the instance and the keep-alive
//! policy decides when it is unloaded. Each start is charged its memoised
//! cost ([`crate::cost`]); the run is a discrete-event simulation in
//! microseconds, deterministic for a seed.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, VecDeque};

use serde::Serialize;

use crate::arrivals::Schedule;
use crate::cost::{ColdCosts, FunctionCost, RestoreCosts, Traffic};
use crate::harvest::{HarvestPolicy, HarvestPool, InstanceMemory};
use crate::keepalive::{AppId, KeepAlive, KeepAliveConfig, ParamError, Windows};
use crate::snapshot::{Restore, SnapshotConfig, SnapshotId, SnapshotPolicy};

/// The node's resources.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeConfig {
    /// Cores: invocations running at once.
    pub cores: u32,
    /// Memory for loaded instances, bytes.
    pub memory_bytes: u64,
}

/// The policies a run applies.
#[derive(Clone, Debug, PartialEq)]
pub struct Policies {
    /// When idle instances are unloaded (and pre-warmed).
    pub keep_alive: KeepAliveConfig,
    /// When snapshots are taken and restored from.
    pub snapshot: SnapshotConfig,
    /// How instances are resized after each invocation.
    pub harvest: HarvestPolicy,
    /// What a cold start costs beside its trace.
    pub cold: ColdCosts,
    /// What a restore costs beside the warm invocation.
    pub restore: RestoreCosts,
    /// Seed of every random choice.
    pub seed: u64,
}

/// How an invocation started.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Start {
    /// A new instance from scratch: the cold trace.
    Cold,
    /// An idle, loaded instance.
    Warm,
    /// A new instance from a snapshot.
    Restore,
}

/// One of our functions over a run.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FunctionRun {
    /// Its name.
    pub name: String,
    /// Latency of every invocation (queueing, start and execution),
    /// microseconds, sorted.
    pub latencies_us: Vec<u64>,
    /// Cold starts.
    pub cold: u64,
    /// Warm starts.
    pub warm: u64,
    /// Restores from a snapshot.
    pub restore: u64,
}

impl FunctionRun {
    /// The `p`th percentile latency (nearest rank), 0 with no invocation.
    pub fn percentile_us(&self, p: f64) -> u64 {
        percentile(&self.latencies_us, p)
    }
}

/// The nearest-rank `p`th percentile of sorted `values` (0 when empty).
pub fn percentile(values: &[u64], p: f64) -> u64 {
    if values.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * values.len() as f64).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1]
}

/// One invocation's start: which instance of which function of ours ran
/// it, how it started, when, and for how long (start and execution, not
/// queueing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StartRecord {
    /// The instance, numbered from 0 in the order they were made.
    pub instance: u32,
    /// The function of ours (index in the costs given).
    pub function: u32,
    /// How it started.
    pub start: Start,
    /// When it started, microseconds.
    pub at_us: u64,
    /// Its service time, microseconds.
    pub service_us: u64,
}

/// What a run did, as plain data.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct NodeRun {
    /// Per function of ours, in the order of the costs given.
    pub functions: Vec<FunctionRun>,
    /// Loaded memory after each change: `(microsecond, bytes)`.
    pub memory: Vec<(u64, u64)>,
    /// Idle loaded memory integrated over time, byte-microseconds.
    pub wasted_byte_us: u128,
    /// Harvested memory (user size minus allocation) of loaded instances,
    /// integrated over time, byte-microseconds.
    pub harvested_byte_us: u128,
    /// Most bytes harvested at once.
    pub peak_harvested_bytes: u64,
    /// Allocation times execution of every invocation, byte-microseconds
    /// (what a cloud bills).
    pub billed_byte_us: u128,
    /// DRAM traffic of every start and invocation.
    pub traffic: Traffic,
    /// Snapshots taken.
    pub snapshots: u64,
    /// Idle instances unloaded early to make room.
    pub evictions: u64,
    /// Pre-warm reloads skipped for lack of memory.
    pub skipped_reloads: u64,
    /// When the last invocation finished.
    pub end_us: u64,
    /// Every start, in the order they began (for the full replay that
    /// checks the memoised costs, `crate::full`).
    #[serde(skip)]
    pub starts: Vec<StartRecord>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    // At one instant: completions free cores first; an expiry at the
    // instant of an arrival comes before it (the window is half-open).
    Complete,
    Expire,
    Reload,
}

/// A pending event: when, what, a sequence number for ties, the instance
/// and the instance's generation when it was scheduled.
type Event = Reverse<(u64, Kind, u64, usize, u64)>;

#[derive(Clone, Debug)]
struct Instance {
    tf: usize,
    mem: InstanceMemory,
    loaded: bool,
    busy: bool,
    /// Requests served so far (counting those before its snapshot).
    served: u32,
    snapshot_at: Option<u32>,
    /// Bumped on reuse so that its pending unload and expiry lapse.
    generation: u64,
    idle_since: u64,
    latency_of_current: u64,
}

/// Runs `schedule` on a node. `assignment[f]` is the index in `costs` of
/// the function of ours that trace function `f` runs.
pub fn run(
    node: NodeConfig,
    policies: &Policies,
    schedule: &Schedule,
    assignment: &[usize],
    costs: &[FunctionCost],
    mut progress: impl FnMut(usize),
) -> Result<NodeRun, ParamError> {
    let mut sim = Sim::new(node, policies, schedule, assignment, costs)?;
    for (i, a) in schedule.arrivals.iter().enumerate() {
        sim.events_until(a.at_us);
        sim.arrive(a.at_us, a.function as usize);
        if i % 4096 == 0 {
            progress(i);
        }
    }
    sim.events_until(u64::MAX);
    progress(schedule.arrivals.len());
    Ok(sim.finish())
}

struct Sim<'a> {
    node: NodeConfig,
    policies: &'a Policies,
    costs: &'a [FunctionCost],
    assignment: &'a [usize],
    app_of: Vec<AppId>,
    keep_alive: KeepAlive,
    snapshots: Vec<SnapshotPolicy>,
    snapshot_served: Vec<BTreeMap<SnapshotId, u32>>,
    pool: HarvestPool,
    instances: Vec<Instance>,
    /// Idle, loaded instances by (idle since, index): all, and per trace
    /// function.
    idle: BTreeSet<(u64, usize)>,
    idle_of: Vec<BTreeSet<(u64, usize)>>,
    events: BinaryHeap<Event>,
    seq: u64,
    pending: VecDeque<(u64, usize)>,
    busy_cores: u32,
    loaded_bytes: u64,
    idle_bytes: u64,
    harvested_bytes: u64,
    clock: u64,
    out: NodeRun,
}

impl<'a> Sim<'a> {
    fn new(
        node: NodeConfig,
        policies: &'a Policies,
        schedule: &Schedule,
        assignment: &'a [usize],
        costs: &'a [FunctionCost],
    ) -> Result<Sim<'a>, ParamError> {
        policies.restore.check()?;
        policies.cold.check()?;
        policies.harvest.check()?;
        let mut apps = BTreeMap::new();
        let app_of = schedule
            .functions
            .iter()
            .map(|f| {
                let n = apps.len() as AppId;
                *apps.entry(f.app.clone()).or_insert(n)
            })
            .collect();
        let n = schedule.functions.len();
        let snapshots = (0..n)
            .map(|f| {
                let seed = policies
                    .seed
                    .wrapping_add((f as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
                SnapshotPolicy::new(&policies.snapshot, seed)
            })
            .collect::<Result<_, _>>()?;
        Ok(Sim {
            node,
            policies,
            costs,
            assignment,
            app_of,
            keep_alive: KeepAlive::new(&policies.keep_alive)?,
            snapshots,
            snapshot_served: vec![BTreeMap::new(); n],
            pool: HarvestPool::new(),
            instances: Vec::new(),
            idle: BTreeSet::new(),
            idle_of: vec![BTreeSet::new(); n],
            events: BinaryHeap::new(),
            seq: 0,
            pending: VecDeque::new(),
            busy_cores: 0,
            loaded_bytes: 0,
            idle_bytes: 0,
            harvested_bytes: 0,
            clock: 0,
            out: NodeRun {
                functions: costs
                    .iter()
                    .map(|c| FunctionRun {
                        name: c.name.clone(),
                        ..FunctionRun::default()
                    })
                    .collect(),
                ..NodeRun::default()
            },
        })
    }

    fn cost(&self, tf: usize) -> &'a FunctionCost {
        &self.costs[self.assignment[tf]]
    }

    /// Moves the clock to `t`, integrating the memory figures.
    fn advance(&mut self, t: u64) {
        let dt = u128::from(t.saturating_sub(self.clock));
        self.out.wasted_byte_us += u128::from(self.idle_bytes) * dt;
        self.out.harvested_byte_us += u128::from(self.harvested_bytes) * dt;
        self.clock = self.clock.max(t);
    }

    fn note_memory(&mut self) {
        let point = (self.clock, self.loaded_bytes);
        match self.out.memory.last_mut() {
            Some(last) if last.0 == point.0 => *last = point,
            _ => self.out.memory.push(point),
        }
        self.out.peak_harvested_bytes = self.out.peak_harvested_bytes.max(self.harvested_bytes);
    }

    fn schedule(&mut self, t: u64, kind: Kind, inst: usize) {
        let generation = self.instances[inst].generation;
        self.seq += 1;
        self.events
            .push(Reverse((t, kind, self.seq, inst, generation)));
    }

    /// Handles every event at or before `t`: events at `t` come before an
    /// arrival at `t` (a reload at `t` makes it warm, an expiry at `t` does
    /// not: the windows are half-open).
    fn events_until(&mut self, t: u64) {
        while let Some(&Reverse((at, kind, _, inst, generation))) = self.events.peek() {
            if at > t {
                break;
            }
            self.events.pop();
            self.advance(at);
            if kind != Kind::Complete && generation != self.instances[inst].generation {
                continue;
            }
            match kind {
                Kind::Complete => self.complete(at, inst),
                Kind::Expire => self.expire(inst),
                Kind::Reload => self.reload(at, inst),
            }
            self.dispatch(at);
        }
    }

    fn arrive(&mut self, t: u64, tf: usize) {
        self.advance(t);
        self.keep_alive.on_arrival(self.app_of[tf], t);
        self.pending.push_back((t, tf));
        self.dispatch(t);
    }

    /// Starts queued arrivals, in order, while a core (and for a new
    /// instance, memory) is free.
    fn dispatch(&mut self, t: u64) {
        while self.busy_cores < self.node.cores {
            let Some(&(arrived, tf)) = self.pending.front() else {
                return;
            };
            let started = if let Some(&(since, inst)) = self.idle_of[tf].last() {
                self.take_idle(since, inst);
                self.begin(t, arrived, inst, Start::Warm);
                true
            } else {
                self.start_new(t, arrived, tf)
            };
            if !started {
                return;
            }
            self.pending.pop_front();
        }
    }

    fn take_idle(&mut self, since: u64, inst: usize) {
        let tf = self.instances[inst].tf;
        self.idle.remove(&(since, inst));
        self.idle_of[tf].remove(&(since, inst));
        self.idle_bytes -= self.instances[inst].mem.allocation_bytes();
        self.instances[inst].generation += 1;
    }

    /// Frees memory for `bytes` by evicting idle instances, least recently
    /// used first; whether it fits.
    fn make_room(&mut self, bytes: u64) -> bool {
        while self.loaded_bytes + bytes > self.node.memory_bytes {
            let Some(&(since, inst)) = self.idle.first() else {
                return false;
            };
            self.take_idle(since, inst);
            self.drop_loaded(inst);
            self.out.evictions += 1;
        }
        true
    }

    fn drop_loaded(&mut self, inst: usize) {
        let i = &mut self.instances[inst];
        i.loaded = false;
        self.loaded_bytes -= i.mem.allocation_bytes();
        self.harvested_bytes -= i.mem.harvested_bytes();
        // What it borrowed goes back with it; reloaded (pre-warm), it holds
        // at most the user's size again.
        let borrowed = i.mem.return_borrowed();
        if borrowed > 0 {
            self.pool.give_back(borrowed);
        }
        self.note_memory();
    }

    fn start_new(&mut self, t: u64, arrived: u64, tf: usize) -> bool {
        let cost = self.cost(tf);
        if !self.make_room(cost.user_bytes) {
            return false;
        }
        // A restored instance continues from the requests its snapshot had
        // served.
        let (start, served) = match self.snapshots[tf].choose_restore() {
            Restore::Snapshot(id) => (
                Start::Restore,
                self.snapshot_served[tf].get(&id).copied().unwrap_or(1),
            ),
            Restore::Cold => (Start::Cold, 0),
        };
        let inst = self.instances.len();
        self.instances.push(Instance {
            tf,
            mem: InstanceMemory::new(cost.user_bytes),
            loaded: true,
            busy: false,
            served,
            snapshot_at: None,
            generation: 0,
            idle_since: t,
            latency_of_current: 0,
        });
        self.instances[inst].snapshot_at = self.snapshots[tf].choose_snapshot_point(served);
        self.loaded_bytes += cost.user_bytes;
        self.note_memory();
        self.begin(t, arrived, inst, start);
        true
    }

    fn begin(&mut self, t: u64, arrived: u64, inst: usize, start: Start) {
        let cost = self.cost(self.instances[inst].tf);
        // Sharing the LLC and DRAM: between the warm time alone and with
        // every other core busy, by how many are.
        let others = u64::from(self.busy_cores.min(self.node.cores - 1));
        let span = u64::from(self.node.cores - 1).max(1);
        let shared = |alone: u64| {
            if cost.warm_us_shared >= cost.warm_us {
                alone + (cost.warm_us_shared - cost.warm_us) * others / span
            } else {
                alone.saturating_sub((cost.warm_us - cost.warm_us_shared) * others / span)
            }
        };
        // An instance's first warm invocation (only its cold one served so
        // far) or a later one: the two states memoised apart.
        let first_warm = self.instances[inst].served <= 1;
        let (service, traffic) = match start {
            Start::Cold => (
                self.policies.cold.boot_us + cost.cold_us,
                cost.cold_traffic.clone(),
            ),
            Start::Warm if first_warm => (shared(cost.warm_us), cost.warm_traffic.clone()),
            Start::Warm => (shared(cost.steady_us), cost.steady_traffic.clone()),
            Start::Restore => {
                let (us, mut traffic) = self.policies.restore.overhead(cost);
                traffic.add(&cost.warm_traffic);
                (us + shared(cost.warm_us), traffic)
            }
        };
        self.out.traffic.add(&traffic);
        let latency = t - arrived + service;
        let function = self.assignment[self.instances[inst].tf];
        self.out.starts.push(StartRecord {
            instance: inst as u32,
            function: function as u32,
            start,
            at_us: t,
            service_us: service,
        });
        let f = &mut self.out.functions[function];
        f.latencies_us.push(latency);
        match start {
            Start::Cold => f.cold += 1,
            Start::Warm => f.warm += 1,
            Start::Restore => f.restore += 1,
        }
        let i = &mut self.instances[inst];
        i.busy = true;
        i.latency_of_current = latency;
        self.out.billed_byte_us += u128::from(i.mem.allocation_bytes()) * u128::from(service);
        self.busy_cores += 1;
        self.schedule(t + service, Kind::Complete, inst);
    }

    fn complete(&mut self, t: u64, inst: usize) {
        self.busy_cores -= 1;
        self.out.end_us = self.out.end_us.max(t);
        let tf = self.instances[inst].tf;
        let cost = self.cost(tf);
        let i = &mut self.instances[inst];
        i.busy = false;
        i.served += 1;
        let r = i.served;
        self.snapshots[tf].record_latency(r, i.latency_of_current);
        if i.snapshot_at == Some(r) {
            if let Some(id) = self.snapshots[tf].add_snapshot(r) {
                self.snapshot_served[tf].insert(id, r);
                self.out.snapshots += 1;
            }
        }
        self.harvest(inst, cost);
        let windows = self.keep_alive.on_end(self.app_of[tf], t);
        self.go_idle(t, inst, windows);
    }

    fn harvest(&mut self, inst: usize, cost: &FunctionCost) {
        let i = &mut self.instances[inst];
        let (before, harvested_before) = (i.mem.allocation_bytes(), i.mem.harvested_bytes());
        // What the mode's replay left resident when the invocation ended.
        let live = cost.live_bytes.min(before);
        let decided =
            self.policies
                .harvest
                .decide(&mut i.mem, cost.peak_bytes, live, &mut self.pool);
        debug_assert!(decided.is_ok(), "live bytes within the allocation");
        let after = i.mem.allocation_bytes();
        self.loaded_bytes = self.loaded_bytes - before + after;
        self.harvested_bytes = self.harvested_bytes - harvested_before + i.mem.harvested_bytes();
        if before != after {
            self.note_memory();
        }
    }

    fn go_idle(&mut self, t: u64, inst: usize, w: Windows) {
        let tf = self.instances[inst].tf;
        self.instances[inst].idle_since = t;
        if w.prewarm_us > 0 {
            self.drop_loaded(inst);
            self.schedule(t + w.prewarm_us, Kind::Reload, inst);
        } else {
            self.add_idle(inst, tf, t);
        }
        self.schedule(t + w.loaded_until_us(), Kind::Expire, inst);
    }

    fn add_idle(&mut self, inst: usize, tf: usize, since: u64) {
        self.idle.insert((since, inst));
        self.idle_of[tf].insert((since, inst));
        self.idle_bytes += self.instances[inst].mem.allocation_bytes();
    }

    /// The keep-alive window of an idle instance ended.
    fn expire(&mut self, inst: usize) {
        if self.instances[inst].loaded {
            let since = self.instances[inst].idle_since;
            self.take_idle(since, inst);
            self.drop_loaded(inst);
        }
    }

    fn reload(&mut self, t: u64, inst: usize) {
        let bytes = self.instances[inst].mem.allocation_bytes();
        if !self.make_room(bytes) {
            self.out.skipped_reloads += 1;
            return;
        }
        let i = &mut self.instances[inst];
        i.loaded = true;
        i.idle_since = t;
        let tf = i.tf;
        self.loaded_bytes += bytes;
        self.harvested_bytes += self.instances[inst].mem.harvested_bytes();
        self.note_memory();
        self.add_idle(inst, tf, t);
    }

    fn finish(mut self) -> NodeRun {
        for f in &mut self.out.functions {
            f.latencies_us.sort_unstable();
        }
        self.out
    }
}
