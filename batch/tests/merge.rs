//! `merge`: the shards' folders of one plan join into one; a run missing
//! or doubled is refused, naming it. The records are written by hand
//! (failed runs; merging does not look inside them), so nothing replays.

use std::path::{Path, PathBuf};

use memento_analysis::record::{Outcome, RunRecord, RUN_SCHEMA};
use memento_batch::folder::{Folder, PlanFile};
use memento_batch::merge::merge;
use memento_batch::{Experiment, Plan, Shard};

/// An experiment of 2 inputs x 2 machines x 2 modes (8 runs) in `dir`.
fn planned(dir: &Path) -> (Experiment, Plan) {
    for i in 0..2 {
        std::fs::write(dir.join(format!("t{i}.mtrace")), format!("trace {i}")).unwrap();
    }
    let path = dir.join("exp.toml");
    std::fs::write(
        &path,
        "traces = [\"t*.mtrace\"]\n[machine]\npresets = [\"small\"]\n[sweep]\n\"llc.sets\" = [32, 64]\n",
    )
    .unwrap();
    let exp = Experiment::load(&path).unwrap();
    let plan = Plan::of(&exp).unwrap();
    (exp, plan)
}

/// Writes shard `i` of `n` into `dir/shard-i` as `batch run` would.
fn shard(dir: &Path, exp: &Experiment, plan: &Plan, i: u32, n: u32) -> PathBuf {
    let out = dir.join(format!("shard-{i}"));
    let folder = Folder::create(&out).unwrap();
    folder.claim(&exp.text).unwrap();
    folder.write_plan(&PlanFile::of(plan, n)).unwrap();
    for r in plan.shard(Shard { index: i, count: n }) {
        folder
            .write_record(&RunRecord {
                schema: RUN_SCHEMA.into(),
                key: r.key.clone(),
                workload: r.workload.clone(),
                input: r.input.display().to_string(),
                runtime: "unknown".into(),
                config: plan.label(r).into(),
                params: plan.machines[r.machine].params.clone(),
                mode: r.kind.mode_name(),
                seed: r.seed,
                outcome: Outcome::Failed {
                    error: format!("run {}", r.index),
                },
            })
            .unwrap();
    }
    out
}

#[test]
fn every_shard_once_merges_into_the_plans_table() {
    let dir = tempfile::tempdir().unwrap();
    let (exp, plan) = planned(dir.path());
    let shards: Vec<PathBuf> = (0..3)
        .map(|i| shard(dir.path(), &exp, &plan, i, 3))
        .collect();
    let out = dir.path().join("all");
    let merged = merge(&shards, &out, false).unwrap();
    assert_eq!((merged.runs, merged.failed), (8, 8));
    let csv = std::fs::read_to_string(out.join("results.csv")).unwrap();
    let keys: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    let want: Vec<&str> = plan.runs.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, want);
    assert_eq!(std::fs::read_dir(out.join("runs")).unwrap().count(), 8);
    assert_eq!(
        std::fs::read_to_string(out.join("experiment.toml")).unwrap(),
        exp.text
    );
    // Into one of the shards' own folders, too.
    merge(&shards, &shards[0], false).unwrap();
    assert_eq!(
        std::fs::read_to_string(shards[0].join("results.csv")).unwrap(),
        csv
    );
}

#[test]
fn a_missing_shard_is_refused_naming_a_run_it_holds_and_the_shard() {
    let dir = tempfile::tempdir().unwrap();
    let (exp, plan) = planned(dir.path());
    let shards: Vec<PathBuf> = (0..3)
        .map(|i| shard(dir.path(), &exp, &plan, i, 3))
        .collect();
    let e = merge(
        &[shards[0].clone(), shards[2].clone()],
        &dir.path().join("all"),
        false,
    )
    .unwrap_err()
    .to_string();
    let r = &plan.runs[1];
    for want in [
        r.key.as_str(),
        "workload t0",
        "config small,llc.sets=32",
        "mode memento",
        "shard 1/3 should have it",
        "2 more",
    ] {
        assert!(e.contains(want), "{want}: {e}");
    }
    assert!(!dir.path().join("all").exists(), "nothing written");
}

#[test]
fn a_doubled_shard_is_refused_naming_both_folders() {
    let dir = tempfile::tempdir().unwrap();
    let (exp, plan) = planned(dir.path());
    let shards: Vec<PathBuf> = (0..2)
        .map(|i| shard(dir.path(), &exp, &plan, i, 2))
        .collect();
    // Shard 1 run again elsewhere, by mistake.
    let again = dir.path().join("again");
    std::fs::create_dir(&again).unwrap();
    let again = shard(&again, &exp, &plan, 1, 2);
    let shards = [shards[0].clone(), shards[1].clone(), again.clone()];
    let e = merge(&shards, &dir.path().join("all"), false)
        .unwrap_err()
        .to_string();
    assert!(e.contains(&plan.runs[1].key), "{e}");
    assert!(e.contains("shard-1") && e.contains("again"), "{e}");
    assert!(e.contains("--allow-duplicates"), "{e}");
    // The same folder twice, too.
    let e = merge(
        &[shards[0].clone(), shards[0].clone()],
        &dir.path().join("all"),
        false,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("is in both"), "{e}");
    // Allowed, byte-identical copies are taken once...
    let merged = merge(&shards, &dir.path().join("all"), true).unwrap();
    assert_eq!(merged.runs, 8);
    // ...but records that differ never are.
    let key = &plan.runs[1].key;
    let path = again.join("runs").join(format!("{key}.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("run 1", "run one");
    std::fs::write(&path, text).unwrap();
    let e = merge(&shards, &dir.path().join("all2"), true)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("different records") && e.contains(key.as_str()),
        "{e}"
    );
}

#[test]
fn shards_of_another_experiment_or_plan_are_refused_naming_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let (exp, plan) = planned(dir.path());
    let a = shard(dir.path(), &exp, &plan, 0, 2);
    let other = dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    let b = shard(&other, &exp, &plan, 1, 2);
    std::fs::write(b.join("experiment.toml"), "traces = []\n").unwrap();
    let e = merge(&[a.clone(), b.clone()], &dir.path().join("all"), false)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&b.display().to_string()) && e.contains("experiment.toml differs"),
        "{e}"
    );
    // Shard 1 of 3 beside shard 0 of 2: not one plan.
    let third = dir.path().join("third");
    std::fs::create_dir(&third).unwrap();
    let c = shard(&third, &exp, &plan, 1, 3);
    let e = merge(&[a, c], &dir.path().join("all"), false)
        .unwrap_err()
        .to_string();
    assert!(e.contains("plan.json differs"), "{e}");
    // Not a batch folder at all.
    let e = merge(&[dir.path().to_path_buf()], &dir.path().join("all"), false)
        .unwrap_err()
        .to_string();
    assert!(e.contains("batch folder"), "{e}");
}
