//! The experiment file's checks and the plan: its cross product, its
//! keys, its shards. The inputs are small files of arbitrary bytes (a plan
//! hashes its inputs, it does not read them as traces).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use memento_batch::{Experiment, Plan, Shard};
use proptest::prelude::*;

/// Writes `exp.toml` with `text` and `n` input files `t0.mtrace`, ...
/// (distinct bytes) into `dir`.
fn experiment(dir: &Path, n: usize, text: &str) -> PathBuf {
    for i in 0..n {
        std::fs::write(dir.join(format!("t{i}.mtrace")), format!("trace {i}")).unwrap();
    }
    let path = dir.join("exp.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn plan_of(dir: &Path, n: usize, text: &str) -> Result<Plan, String> {
    let path = experiment(dir, n, text);
    let exp = Experiment::load(&path).map_err(|e| e.to_string())?;
    Plan::of(&exp).map_err(|e| e.to_string())
}

const SWEEP: &str = r#"
traces = ["t*.mtrace"]
modes = ["baseline", "memento", "only:alloc+free"]
seeds = [1, 7]
[machine]
presets = ["small"]
[sweep]
"llc.sets" = [32, 64]
"memento.bypass_alloc" = [true, false]
"#;

#[test]
fn the_plan_is_the_whole_cross_product_in_a_fixed_order_with_distinct_keys() {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan_of(dir.path(), 2, SWEEP).unwrap();
    // 2 traces x 4 sweep points x 2 seeds x 3 modes.
    assert_eq!(plan.runs.len(), 2 * 4 * 2 * 3);
    let keys: BTreeSet<&str> = plan.runs.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys.len(), plan.runs.len());
    assert!(keys
        .iter()
        .all(|k| k.len() == 16 && k.chars().all(|c| c.is_ascii_hexdigit())));
    let first = &plan.runs[0];
    assert_eq!(first.workload, "t0");
    assert_eq!(
        plan.label(first),
        "small,llc.sets=32,memento.bypass_alloc=true"
    );
    assert_eq!((first.seed, first.kind.mode_name()), (1, "baseline".into()));
    assert_eq!(plan.runs[1].kind.mode_name(), "memento");
    assert_eq!(plan.runs[2].kind.mode_name(), "only:alloc+free");
    assert_eq!(plan.runs[3].seed, 7);
    assert_eq!(
        plan.label(&plan.runs[6]),
        "small,llc.sets=32,memento.bypass_alloc=false"
    );
    assert_eq!(plan.runs[24].workload, "t1");
    // The sweep reached the machine.
    assert_eq!(plan.runs[12].config.llc.sets, 64);
    assert!(!plan.runs[6].config.memento.as_ref().unwrap().bypass_alloc);
    assert_eq!(plan.runs[3].config.seed, 7);
    // The same file plans the same keys; another seed, other keys.
    let again = plan_of(dir.path(), 2, SWEEP).unwrap();
    let k = |p: &Plan| p.runs.iter().map(|r| r.key.clone()).collect::<Vec<_>>();
    assert_eq!(k(&plan), k(&again));
    let other = plan_of(dir.path(), 2, &SWEEP.replace("[1, 7]", "[2, 7]")).unwrap();
    assert_ne!(k(&plan)[0], k(&other)[0]);
    assert_eq!(k(&plan)[3], k(&other)[3]);
}

#[test]
fn without_seeds_each_machine_keeps_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan_of(
        dir.path(),
        1,
        "traces = [\"t0.mtrace\"]\n[machine]\npresets = [\"small\", \"micro23\"]\n",
    )
    .unwrap();
    assert_eq!(plan.runs.len(), 2 * 2);
    assert!(plan.runs.iter().all(|r| r.seed == r.config.seed));
    assert_eq!(plan.label(&plan.runs[2]), "micro23");
}

/// Checks that the shards of `plan` for `n` hold every run exactly once,
/// each where `j mod n` says.
fn covers_once(plan: &Plan, n: u32) {
    let mut seen = vec![0; plan.runs.len()];
    for i in 0..n {
        let shard = Shard { index: i, count: n };
        for r in plan.shard(shard) {
            seen[r.index] += 1;
            assert_eq!(r.index as u32 % n, i);
        }
    }
    assert!(seen.iter().all(|&c| c == 1), "n = {n}: {seen:?}");
}

#[test]
fn shard_plans_cover_the_cross_product_exactly_once_for_one_to_seven_shards() {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan_of(dir.path(), 2, SWEEP).unwrap();
    for n in 1..=7 {
        covers_once(&plan, n);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn any_plan_splits_into_any_number_of_shards_exactly_once(
        traces in 1usize..4,
        seeds in 1usize..4,
        sets in 1usize..3,
        modes in 1usize..4,
        n in 1u32..40,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let seeds: Vec<String> = (1..=seeds).map(|s| s.to_string()).collect();
        let sets: Vec<String> = [32, 64, 128][..sets].iter().map(|s| s.to_string()).collect();
        let modes: Vec<String> = ["\"baseline\"", "\"memento\"", "\"ideal-mallacc\""][..modes]
            .iter().map(|s| s.to_string()).collect();
        let text = format!(
            "traces = [\"t*.mtrace\"]\nmodes = [{}]\nseeds = [{}]\n[machine]\npresets = [\"small\"]\n[sweep]\n\"llc.sets\" = [{}]\n",
            modes.join(", "), seeds.join(", "), sets.join(", "));
        let plan = plan_of(dir.path(), traces, &text).unwrap();
        prop_assert_eq!(plan.runs.len(), traces * seeds.len() * sets.len() * modes.len());
        covers_once(&plan, n);
    }
}

#[test]
fn shards_are_written_i_of_n_from_zero() {
    assert_eq!("2/5".parse::<Shard>(), Ok(Shard { index: 2, count: 5 }));
    for bad in ["5/5", "1/0", "x/2", "3", "-1/2"] {
        let e = bad.parse::<Shard>().unwrap_err();
        assert!(e.contains(bad), "{e}");
    }
}

/// The error of planning `text` (with one input, `t0.mtrace`).
fn refused(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let e = plan_of(dir.path(), 1, text).unwrap_err();
    assert!(e.contains("exp.toml"), "{e}");
    assert_eq!(e.lines().count(), 1, "{e}");
    e
}

#[test]
fn a_malformed_experiment_is_refused_naming_the_field() {
    let base = "traces = [\"t0.mtrace\"]\n[machine]\npresets = [\"small\"]\n";
    let cases = [
        // An unknown field.
        ("trace = [\"t0.mtrace\"]\n", "unknown field `trace`"),
        (&format!("{base}color = 1\n"), "color"),
        (
            "traces = [\"t0.mtrace\"]\n[machine]\npreset = [\"small\"]\n",
            "preset",
        ),
        // A glob matching nothing.
        (
            "traces = [\"t0.mtrace\", \"nope*.mtrace\"]\n",
            "traces[1]: \"nope*.mtrace\" matches no file",
        ),
        // A bad mode.
        (
            "traces = [\"t0.mtrace\"]\nmodes = [\"baseline\", \"memnto\"]\n",
            "modes[1]: unknown mode `memnto`",
        ),
        // Bad values.
        ("traces = [\"t0.mtrace\"]\nseeds = [\"one\"]\n", "seeds[0]"),
        ("traces = \"t0.mtrace\"\n", "traces"),
        (
            &format!("{base}[sweep]\n\"llc.sets\" = [\"big\"]\n"),
            "sweep.\"llc.sets\": \"big\" on machine small,llc.sets=\"big\": llc.sets: invalid type",
        ),
        (
            &format!("{base}[sweep]\n\"llc.sets\" = [100]\n"),
            "sweep.\"llc.sets\": 100 on machine small,llc.sets=100: llc.sets",
        ),
        (
            &format!("{base}[sweep]\n\"llc.sets\" = 64\n"),
            "sweep.\"llc.sets\": give a list of values",
        ),
        (
            &format!("{base}[sweep]\n\"llc.sets\" = []\n"),
            "sweep.\"llc.sets\": give at least one value",
        ),
        // A sweep path that does not exist.
        (
            &format!("{base}[sweep]\n\"llc.setz\" = [1]\n"),
            "sweep.\"llc.setz\": no field `setz` in [llc]",
        ),
        (
            &format!("{base}[sweep]\n\"lcc.sets\" = [1]\n"),
            "sweep.\"lcc.sets\": no field `lcc` in the machine",
        ),
        (
            &format!("{base}[sweep]\n\"llc.sets.x\" = [1]\n"),
            "`llc.sets` is a value",
        ),
        (&format!("{base}[sweep]\n\"memento.pool_pages\" = [16]\n"), "sweep: machine small,memento.pool_pages=16: memento.refill_threshold: 512 is above memento.pool_pages (16)"),
        // Machines.
        (
            "traces = [\"t0.mtrace\"]\n[machine]\npresets = [\"huge\"]\n",
            "machine.presets[0]",
        ),
        (
            "traces = [\"t0.mtrace\"]\n[machine]\nfiles = [\"no.toml\"]\n",
            "machine.files[0]",
        ),
        // Nothing to run, nothing named twice.
        ("modes = [\"baseline\"]\n", "nothing to run"),
        (
            "traces = [\"t0.mtrace\"]\nmodes = []\n",
            "modes: give at least one mode",
        ),
        (
            "traces = [\"t0.mtrace\"]\nseeds = [1, 1]\n",
            "seeds[1]: 1 is named twice",
        ),
        (
            "traces = [\"t0.mtrace\"]\nmodes = [\"memento\", \"memento\"]\n",
            "modes[1]",
        ),
        ("traces = [\"t0.mtrace\"\n", "(syntax)"),
    ];
    for (text, want) in cases {
        let e = refused(text);
        assert!(e.contains(want), "want {want:?} in: {e}");
    }
}

#[test]
fn the_same_run_twice_is_refused_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("copy")).unwrap();
    std::fs::write(dir.path().join("copy/t0.mtrace"), "trace 0").unwrap();
    let e = plan_of(
        dir.path(),
        1,
        "traces = [\"t0.mtrace\", \"copy/t0.mtrace\"]\n",
    )
    .unwrap_err();
    assert!(
        e.contains("are the same run") && e.contains("copy/t0.mtrace"),
        "{e}"
    );
}

#[test]
fn a_memento_sweep_on_a_machine_without_the_section_sweeps_the_presets_section() {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan_of(
        dir.path(),
        1,
        "traces = [\"t0.mtrace\"]\nmodes = [\"memento\"]\n[machine]\npresets = [\"small\"]\n\
         [sweep]\n\"memento.pool_pages\" = [1024, 4096]\n\"llc.replacement\" = [\"lru\", \"srrip\"]\n",
    )
    .unwrap();
    assert_eq!(plan.runs.len(), 4);
    let m = |i: usize| plan.runs[i].config.memento.as_ref().unwrap().pool_pages;
    assert_eq!((m(0), m(1), m(2)), (1024, 4096, 1024));
    assert_eq!(
        plan.label(&plan.runs[0]),
        "small,llc.replacement=\"lru\",memento.pool_pages=1024"
    );
    assert_eq!(plan.machines[2].params["llc.replacement"], "\"srrip\"");
}
