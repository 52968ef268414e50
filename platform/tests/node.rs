//! The node model on hand-made schedules whose starts, latencies and memory
//! can be worked out by hand.

use memento_platform::arrivals::{generate, Arrival, Schedule, TraceFunction};
use memento_platform::cost::{ColdCosts, FunctionCost, RestoreCosts, Traffic};
use memento_platform::harvest::{GreedyConfig, HarvestPolicy};
use memento_platform::keepalive::{FixedKeepAlive, KeepAliveConfig};
use memento_platform::node::{self, NodeConfig, NodeRun, Policies};
use memento_platform::snapshot::{PronghornConfig, SnapshotConfig};

const MS: u64 = 1000;
const S: u64 = 1_000_000;
const MB: u64 = 1 << 20;

fn function() -> FunctionCost {
    FunctionCost {
        name: "f".into(),
        user_bytes: 256 * MB,
        cold_us: 100 * MS,
        warm_us: 10 * MS,
        steady_us: 10 * MS,
        warm_us_shared: 10 * MS,
        peak_bytes: 64 * MB,
        live_bytes: 48 * MB,
        cold_traffic: Traffic {
            demand: 1000,
            ..Traffic::default()
        },
        warm_traffic: Traffic {
            demand: 100,
            ..Traffic::default()
        },
        steady_traffic: Traffic {
            demand: 100,
            ..Traffic::default()
        },
        pages_touched: 1000,
        pages_written: 100,
    }
}

fn policies(snapshot: SnapshotConfig) -> Policies {
    Policies {
        keep_alive: KeepAliveConfig::Fixed(FixedKeepAlive::ten_minutes()),
        snapshot,
        harvest: HarvestPolicy::Fixed {},
        // The cold trace alone: the latencies below are the traces' costs.
        cold: ColdCosts { boot_us: 0 },
        restore: RestoreCosts::default(),
        seed: 1,
    }
}

fn one_function(times_us: &[u64]) -> Schedule {
    let arrivals = times_us
        .iter()
        .map(|&at_us| Arrival {
            at_us,
            function: 0,
            duration_us: None,
        })
        .collect();
    Schedule::from_parts(vec![TraceFunction::new("app", "fn", 0)], arrivals, 800 * S)
}

fn run(node: NodeConfig, p: &Policies, schedule: &Schedule) -> NodeRun {
    node::run(node, p, schedule, &[0], &[function()], |_| {}).unwrap()
}

const NODE: NodeConfig = NodeConfig {
    cores: 2,
    memory_bytes: 1024 * MB,
};

// 0 s: cold (done 0.1 s). 1 s: warm on it (done 1.01 s). 1.005 s: it is
// busy, so a second instance starts. 700 s: both expired (10 minutes after
// 1.01 s and 1.105 s), so a third starts.
const TIMES: [u64; 4] = [0, S, S + 5 * MS, 700 * S];

#[test]
fn never_snapshotting_gives_three_cold_starts_and_one_warm() {
    let r = run(
        NODE,
        &policies(SnapshotConfig::Never {}),
        &one_function(&TIMES),
    );
    let f = &r.functions[0];
    assert_eq!((f.cold, f.warm, f.restore), (3, 1, 0));
    assert_eq!(f.latencies_us, vec![10 * MS, 100 * MS, 100 * MS, 100 * MS]);
    assert_eq!(r.snapshots, 0);
    // Three cold starts and a warm one.
    assert_eq!(r.traffic.demand, 3 * 1000 + 100);
}

#[test]
fn snapshot_after_the_first_request_turns_later_cold_starts_into_restores() {
    let r = run(
        NODE,
        &policies(SnapshotConfig::AfterFirst {}),
        &one_function(&TIMES),
    );
    let f = &r.functions[0];
    assert_eq!((f.cold, f.warm, f.restore), (1, 1, 2));
    assert_eq!(r.snapshots, 1);
    // A restore: 6.5 ms, 1000 first touches at 0.9 x 1 + 0.1 x 60 us
    // (6.9 ms), 100 copies at 0.5 us (0.05 ms), then the warm 10 ms.
    let restore = 6_500 + 6_900 + 50 + 10 * MS;
    assert_eq!(f.latencies_us, vec![10 * MS, restore, restore, 100 * MS]);
    // Each restore copies 100 pages: read and written, 4 KiB each.
    assert_eq!(r.traffic.restore_copy, 2 * 2 * 100 * 4096);
}

#[test]
fn an_arrival_waits_for_memory_held_by_a_busy_instance() {
    // Room for one instance: at 1.005 s it is busy until 1.01 s, and the
    // arrival then takes it warm (5 ms of queueing + 10 ms).
    let node = NodeConfig {
        cores: 2,
        memory_bytes: 256 * MB,
    };
    let r = run(
        node,
        &policies(SnapshotConfig::Never {}),
        &one_function(&TIMES),
    );
    let f = &r.functions[0];
    assert_eq!((f.cold, f.warm, f.restore), (2, 2, 0));
    assert_eq!(f.latencies_us, vec![10 * MS, 15 * MS, 100 * MS, 100 * MS]);
}

#[test]
fn an_arrival_waits_for_a_core() {
    let node = NodeConfig {
        cores: 1,
        memory_bytes: 1024 * MB,
    };
    // 0 and 50 ms: the second waits 50 ms for the core, then finds the
    // first instance idle.
    let r = run(
        node,
        &policies(SnapshotConfig::Never {}),
        &one_function(&[0, 50 * MS]),
    );
    let f = &r.functions[0];
    assert_eq!((f.cold, f.warm), (1, 1));
    assert_eq!(f.latencies_us, vec![60 * MS, 100 * MS]);
}

#[test]
fn idle_memory_is_integrated_until_the_keep_alive_ends() {
    let r = run(
        NODE,
        &policies(SnapshotConfig::Never {}),
        &one_function(&[0]),
    );
    // Idle from 0.1 s for 600 s with 256 MiB.
    assert_eq!(r.wasted_byte_us, u128::from(256 * MB) * u128::from(600 * S));
    assert_eq!(r.memory, vec![(0, 256 * MB), (600 * S + 100 * MS, 0)]);
    assert_eq!(
        r.billed_byte_us,
        u128::from(256 * MB) * u128::from(100 * MS)
    );
}

#[test]
fn greedy_harvesting_shrinks_an_idle_instance_by_one_unit_per_invocation() {
    let mut p = policies(SnapshotConfig::Never {});
    p.harvest = HarvestPolicy::Greedy(GreedyConfig::default());
    let r = run(NODE, &p, &one_function(&[0, S]));
    // Peak 64 MiB is below 0.9 x 256: 192 MiB after the first invocation,
    // 128 after the second.
    assert_eq!(
        r.memory,
        vec![
            (0, 256 * MB),
            (100 * MS, 192 * MB),
            (S + 10 * MS, 128 * MB),
            (601 * S + 10 * MS, 0)
        ]
    );
    assert_eq!(r.peak_harvested_bytes, 128 * MB);
}

#[test]
fn identical_seeds_give_identical_runs() {
    let schedule = generate::generate(&generate::Generator {
        functions: 8,
        duration_us: 3600 * S,
        process: generate::Process::Poisson { rate_per_min: 30.0 },
        zipf_exponent: 1.0,
        seed: 5,
    })
    .unwrap();
    let assignment = vec![0; schedule.functions.len()];
    let p = policies(SnapshotConfig::Pronghorn(PronghornConfig::default()));
    let go =
        |p: &Policies| node::run(NODE, p, &schedule, &assignment, &[function()], |_| {}).unwrap();
    let (a, b) = (go(&p), go(&p));
    assert_eq!(a, b);
    assert!(
        a.functions[0].restore > 0,
        "Pronghorn restored some instances"
    );
    let mut other = p.clone();
    other.seed = 2;
    assert_ne!(
        go(&other).functions[0].latencies_us,
        a.functions[0].latencies_us
    );
}

#[test]
fn a_cold_start_adds_the_sandbox_boot_to_its_trace() {
    let mut p = policies(SnapshotConfig::Never {});
    p.cold = ColdCosts::default();
    let r = run(NODE, &p, &one_function(&[0, S]));
    // A Firecracker boot (125 ms) and the cold trace (100 ms); then warm.
    assert_eq!(r.functions[0].latencies_us, vec![10 * MS, 225 * MS]);
}

#[test]
fn a_warm_invocation_pays_for_the_other_busy_cores() {
    // Alone 10 ms; with the 3 other cores busy 16 ms: +2 ms per busy core.
    let mut f = function();
    f.warm_us_shared = 16 * MS;
    let node = NodeConfig {
        cores: 4,
        memory_bytes: 1024 * MB,
    };
    // Three instances start cold at 0; at 1 s three arrivals at once find
    // them idle and start warm beside 0, 1 and 2 busy cores.
    let s = one_function(&[0, 0, 0, S, S, S]);
    let r = node::run(
        node,
        &policies(SnapshotConfig::Never {}),
        &s,
        &[0],
        &[f],
        |_| {},
    )
    .unwrap();
    let f = &r.functions[0];
    assert_eq!((f.cold, f.warm), (3, 3));
    assert_eq!(
        f.latencies_us,
        vec![10 * MS, 12 * MS, 14 * MS, 100 * MS, 100 * MS, 100 * MS]
    );
}

#[test]
fn harvesting_stops_at_what_the_invocation_left_resident() {
    let mut f = function();
    f.live_bytes = 200 * MB;
    let mut p = policies(SnapshotConfig::Never {});
    p.harvest = HarvestPolicy::Greedy(GreedyConfig::default());
    let s = one_function(&[0, S, 2 * S]);
    let r = node::run(NODE, &p, &s, &[0], &[f], |_| {}).unwrap();
    // Greedy would take 64 MiB a step from 256; 200 MiB stay resident.
    let loaded: Vec<u64> = r.memory.iter().map(|m| m.1).filter(|&b| b > 0).collect();
    assert!(loaded.iter().all(|&b| b >= 200 * MB), "{loaded:?}");
    assert!(loaded.iter().any(|&b| b < 256 * MB), "{loaded:?}");
}

#[test]
fn an_instances_first_warm_start_and_its_later_ones_are_charged_apart() {
    let mut f = function();
    f.steady_us = 4 * MS;
    f.steady_traffic.demand = 40;
    let r = node::run(
        NODE,
        &policies(SnapshotConfig::Never {}),
        &one_function(&[0, S, 2 * S, 3 * S]),
        &[0],
        &[f],
        |_| {},
    )
    .unwrap();
    let f = &r.functions[0];
    assert_eq!((f.cold, f.warm), (1, 3));
    assert_eq!(f.latencies_us, vec![4 * MS, 4 * MS, 10 * MS, 100 * MS]);
    assert_eq!(r.traffic.demand, 1000 + 100 + 2 * 40);
}
