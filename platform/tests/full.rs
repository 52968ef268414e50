//! The full replay that checks the node's memoised warm costs, on real
//! sample traces.

use std::path::{Path, PathBuf};

use memento_analysis::compare::Mode;
use memento_platform::arrivals::{Arrival, Schedule, TraceFunction};
use memento_platform::cost::{ColdCosts, RestoreCosts};
use memento_platform::full::{self, FullError};
use memento_platform::harvest::HarvestPolicy;
use memento_platform::keepalive::{FixedKeepAlive, KeepAliveConfig};
use memento_platform::measure::{measure, FunctionTraces};
use memento_platform::node::{self, NodeConfig, NodeRun, Policies, Start};
use memento_platform::snapshot::SnapshotConfig;
use memento_sim::Config;

const S: u64 = 1_000_000;

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../traces/samples")
        .join(name)
}

fn rsjson() -> FunctionTraces {
    FunctionTraces {
        name: "rsjson".into(),
        cold: sample("rsjson-warm.mtrace"),
        warm: sample("rsjson-warm.mtrace"),
        user_bytes: 256 << 20,
    }
}

fn policies(snapshot: SnapshotConfig) -> Policies {
    Policies {
        keep_alive: KeepAliveConfig::Fixed(FixedKeepAlive::ten_minutes()),
        snapshot,
        harvest: HarvestPolicy::Fixed {},
        cold: ColdCosts { boot_us: 0 },
        restore: RestoreCosts::default(),
        seed: 1,
    }
}

/// One function invoked at `times`, on a node of `cores`, in `mode`.
fn node_run(config: &Config, mode: Mode, times: &[u64], cores: u32, p: &Policies) -> NodeRun {
    let f = rsjson();
    let cost = measure(config, mode, &f, &[], cores, 4096).unwrap();
    let arrivals = times
        .iter()
        .map(|&at_us| Arrival {
            at_us,
            function: 0,
            duration_us: None,
        })
        .collect();
    let schedule = Schedule::from_parts(vec![TraceFunction::new("app", "fn", 0)], arrivals, 60 * S);
    let node = NodeConfig {
        cores,
        memory_bytes: 1 << 30,
    };
    node::run(node, p, &schedule, &[0], &[cost], |_| {}).unwrap()
}

#[test]
fn each_warm_start_is_replayed_after_its_instances_earlier_invocations() {
    let config = Config::preset("micro23").unwrap();
    let p = policies(SnapshotConfig::Never {});
    for mode in [Mode::BASELINE, Mode::MEMENTO] {
        // Seconds apart: one instance, a cold start then four warm ones.
        let run = node_run(&config, mode, &[0, S, 2 * S, 3 * S, 4 * S], 1, &p);
        let starts: Vec<Start> = run.starts.iter().map(|s| s.start).collect();
        assert_eq!(
            starts,
            [
                Start::Cold,
                Start::Warm,
                Start::Warm,
                Start::Warm,
                Start::Warm
            ]
        );
        let check = full::check(&config, mode, &[rsjson()], &run, 4).unwrap();
        assert_eq!(check.instances, 1);
        let f = &check.functions[0];
        assert_eq!((f.memoised_us.len(), f.full_us.len()), (4, 4), "{mode:?}");
        // Memoised in two states, the first warm invocation after the cold
        // one and a later one: with one instance alone on the machine the
        // full replay gives the same times.
        assert_eq!(f.memoised_us[1..], [f.memoised_us[1]; 3], "{mode:?}");
        assert_eq!(f.memoised_us, f.full_us, "{mode:?}");
        assert_eq!(f.mean_error(), 0.0, "{mode:?}");
        assert!(
            check.full_dram_bytes > 0 && check.dram_error().abs() < 0.1,
            "{mode:?}: DRAM {:+.1}%",
            100.0 * check.dram_error()
        );
    }
}

#[test]
fn an_instance_restored_from_a_snapshot_cannot_be_checked() {
    let config = Config::preset("small").unwrap();
    let p = policies(SnapshotConfig::AfterFirst {});
    // The keep-alive lapses between the two: the second restores.
    let run = node_run(&config, Mode::BASELINE, &[0, 700 * S], 1, &p);
    assert!(run.starts.iter().any(|s| s.start == Start::Restore));
    let e = full::check(&config, Mode::BASELINE, &[rsjson()], &run, 4).unwrap_err();
    assert!(matches!(e, FullError::Restore(_)), "{e}");
    assert!(e.to_string().contains("snapshot policy is `never`"), "{e}");
}

#[test]
fn more_instances_than_allowed_is_an_error_naming_both_counts() {
    let config = Config::preset("small").unwrap();
    let p = policies(SnapshotConfig::Never {});
    // Three at once on three cores: three instances.
    let run = node_run(&config, Mode::BASELINE, &[0, 1, 2], 3, &p);
    let e = full::check(&config, Mode::BASELINE, &[rsjson()], &run, 2).unwrap_err();
    assert!(
        e.to_string().contains("3 instances") && e.to_string().contains("at most 2"),
        "{e}"
    );
}
