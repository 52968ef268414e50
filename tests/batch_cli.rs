//! End to end: `memento batch run`, `plan` and `merge` on experiments
//! written by the tests, over the sample traces on the `small` machine.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{memento, refused, sample_file, stderr, stdout};

/// Writes `exp.toml` into `dir`: the sample traces `traces`, the small
/// machine with the LLC's sets swept over `sets`, modes baseline and
/// memento, then `extra`.
fn experiment(dir: &Path, traces: &[&str], sets: &[u32], extra: &str) -> PathBuf {
    let traces: Vec<String> = traces
        .iter()
        .map(|t| format!("{:?}", sample_file(t).display().to_string()))
        .collect();
    let sets: Vec<String> = sets.iter().map(u32::to_string).collect();
    let text = format!(
        "traces = [{}]\nmodes = [\"baseline\", \"memento\"]\n{extra}\n[machine]\npresets = [\"small\"]\n\
         [sweep]\n\"llc.sets\" = [{}]\n",
        traces.join(", "),
        sets.join(", ")
    );
    let path = dir.join("exp.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `batch run EXP --out OUT` with `more` arguments; it must succeed.
fn run_ok(exp: &Path, out: &Path, more: &[&str]) -> String {
    let o = memento(&[&["batch", "run", s(exp), "--out", s(out)], more].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    stderr(&o)
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Every run file of a folder, by name.
fn run_files(out: &Path) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = std::fs::read_dir(out.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                read(&p),
            )
        })
        .collect();
    v.sort();
    v
}

/// The cells of `csv` as rows of strings (no cell here holds a quoted
/// comma but the config label, which is re-joined).
fn rows(csv: &str) -> Vec<Vec<String>> {
    csv.lines()
        .map(|l| {
            let mut cells = Vec::new();
            let mut cell = String::new();
            let mut quoted = false;
            for c in l.chars() {
                match c {
                    '"' => quoted = !quoted,
                    ',' if !quoted => cells.push(std::mem::take(&mut cell)),
                    c => cell.push(c),
                }
            }
            cells.push(cell);
            cells
        })
        .collect()
}

#[test]
fn a_small_experiment_runs_end_to_end_with_one_row_per_run_in_plan_order() {
    let dir = tempfile::tempdir().unwrap();
    let exp = experiment(
        dir.path(),
        &["json-warm.mtrace", "rsjson-warm.mtrace"],
        &[64, 128],
        "",
    );
    let out = dir.path().join("out");
    let err = run_ok(&exp, &out, &["--jobs", "2"]);
    assert!(err.contains("ran 8 of 8 runs, 0 already done"), "{err}");
    let table = rows(&read(&out.join("results.csv")));
    assert_eq!(table.len(), 1 + 8);
    let col = |name: &str| table[0].iter().position(|c| c == name).unwrap();
    for name in [
        "key",
        "workload",
        "runtime",
        "config",
        "llc.sets",
        "mode",
        "seed",
        "status",
        "cycles",
        "instructions",
        "dram_reads",
        "dram_writes",
        "dram_reads_demand",
        "dram_writes_writeback",
        "page_faults",
        "peak_memory_bytes",
        "error",
    ] {
        col(name);
    }
    let want = [
        ("json-warm", "python", "64", "baseline"),
        ("json-warm", "python", "64", "memento"),
        ("json-warm", "python", "128", "baseline"),
        ("json-warm", "python", "128", "memento"),
        ("rsjson-warm", "rust", "64", "baseline"),
        ("rsjson-warm", "rust", "64", "memento"),
        ("rsjson-warm", "rust", "128", "baseline"),
        ("rsjson-warm", "rust", "128", "memento"),
    ];
    for (row, (w, rt, sets, mode)) in table[1..].iter().zip(want) {
        let got = (
            row[col("workload")].as_str(),
            row[col("runtime")].as_str(),
            row[col("llc.sets")].as_str(),
            row[col("mode")].as_str(),
        );
        assert_eq!(got, (w, rt, sets, mode));
        assert_eq!(row[col("config")], format!("small,llc.sets={sets}"));
        assert_eq!(
            (row[col("status")].as_str(), row[col("seed")].as_str()),
            ("ok", "1")
        );
        assert!(row[col("cycles")].parse::<u64>().unwrap() > 0);
        let by_cause: u64 = table[0]
            .iter()
            .enumerate()
            .filter(|(_, c)| c.starts_with("dram_reads_"))
            .map(|(i, _)| row[i].parse::<u64>().unwrap())
            .sum();
        assert_eq!(by_cause, row[col("dram_reads")].parse::<u64>().unwrap());
        // Each row's record is its file, with the replay's figures.
        let record: serde_json::Value =
            serde_json::from_str(&read(&out.join(format!("runs/{}.json", row[0])))).unwrap();
        assert_eq!(record["schema"], "memento-batch-run/1");
        assert_eq!(
            record["outcome"]["replayed"]["stats"]["cycles"].to_string(),
            row[col("cycles")]
        );
    }
    // A bigger LLC reads DRAM less; Memento removes instructions.
    let n = |r: usize, c: &str| table[r][col(c)].parse::<u64>().unwrap();
    assert!(n(3, "dram_reads") < n(1, "dram_reads"));
    assert!(n(2, "instructions") < n(1, "instructions"));
    assert_eq!(read(&out.join("experiment.toml")), read(&exp));
    let plan: serde_json::Value = serde_json::from_str(&read(&out.join("plan.json"))).unwrap();
    let keys: Vec<&str> = plan["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["key"].as_str().unwrap())
        .collect();
    let csv_keys: Vec<&str> = table[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(keys, csv_keys);
}

#[test]
fn one_or_two_jobs_and_two_merged_shards_give_byte_identical_results() {
    let dir = tempfile::tempdir().unwrap();
    let exp = experiment(
        dir.path(),
        &["json-warm.mtrace", "rsjson-warm.mtrace"],
        &[64, 128],
        "",
    );
    let one = dir.path().join("one");
    let two = dir.path().join("two");
    run_ok(&exp, &one, &["--jobs", "1"]);
    run_ok(&exp, &two, &["--jobs", "2"]);
    assert_eq!(
        read(&one.join("results.csv")),
        read(&two.join("results.csv"))
    );
    assert_eq!(run_files(&one), run_files(&two));
    assert_eq!(run_files(&one).len(), 8);
    // The same plan in two shards, merged.
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    let err = run_ok(&exp, &a, &["--shard", "0/2", "--jobs", "2"]);
    assert!(err.contains("ran 4 of 4 runs"), "{err}");
    run_ok(&exp, &b, &["--shard", "1/2", "--jobs", "1"]);
    let merged = dir.path().join("merged");
    let o = memento(&["batch", "merge", s(&a), s(&b), "--out", s(&merged)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        read(&merged.join("results.csv")),
        read(&one.join("results.csv"))
    );
    assert_eq!(run_files(&merged), run_files(&one));
}

#[test]
fn a_rerun_runs_only_the_runs_whose_files_are_missing() {
    let dir = tempfile::tempdir().unwrap();
    let exp = experiment(dir.path(), &["rsjson-warm.mtrace"], &[64, 128], "");
    let out = dir.path().join("out");
    run_ok(&exp, &out, &[]);
    let before = read(&out.join("results.csv"));
    let files = run_files(&out);
    let kept = out.join("runs").join(&files[0].0);
    let stamp = std::fs::metadata(&kept).unwrap().modified().unwrap();
    for (name, _) in &files[1..3] {
        std::fs::remove_file(out.join("runs").join(name)).unwrap();
    }
    let err = run_ok(&exp, &out, &[]);
    assert!(err.contains("ran 2 of 4 runs, 2 already done"), "{err}");
    assert_eq!(read(&out.join("results.csv")), before);
    assert_eq!(run_files(&out), files);
    assert_eq!(
        std::fs::metadata(&kept).unwrap().modified().unwrap(),
        stamp,
        "not run again"
    );
    let err = run_ok(&exp, &out, &[]);
    assert!(err.contains("ran 0 of 4 runs, 4 already done"), "{err}");
}

/// Starts `batch run` (one job) and, once `wanted` run files are written,
/// sends it `signal`; its status and stderr.
fn interrupted(
    exp: &Path,
    out: &Path,
    signal: i32,
    wanted: usize,
) -> (Option<i32>, Option<i32>, String) {
    use std::os::unix::process::ExitStatusExt;
    let child = Command::new(env!("CARGO_BIN_EXE_memento"))
        .args(["batch", "run", s(exp), "--out", s(out), "--jobs", "1"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let count = || {
        std::fs::read_dir(out.join("runs"))
            .map(|d| {
                d.filter(|e| {
                    e.as_ref()
                        .unwrap()
                        .path()
                        .extension()
                        .is_some_and(|x| x == "json")
                })
                .count()
            })
            .unwrap_or(0)
    };
    while count() < wanted && started.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(2));
    }
    // SAFETY: signalling our own child by its pid.
    unsafe { libc::kill(child.id() as i32, signal) };
    let o = child.wait_with_output().unwrap();
    (o.status.code(), o.status.signal(), stderr(&o))
}

#[test]
fn after_kill_9_mid_batch_a_rerun_completes_the_missing_runs_only() {
    let dir = tempfile::tempdir().unwrap();
    let exp = experiment(
        dir.path(),
        &["json-warm.mtrace", "rsjson-warm.mtrace"],
        &[64, 128, 256],
        "",
    );
    let whole = dir.path().join("whole");
    run_ok(&exp, &whole, &["--jobs", "2"]);
    let out = dir.path().join("out");
    let (_, signal, _) = interrupted(&exp, &out, libc::SIGKILL, 2);
    assert_eq!(signal, Some(libc::SIGKILL));
    let done = run_files(&out).len();
    assert!((2..12).contains(&done), "{done} runs done when killed");
    let err = run_ok(&exp, &out, &[]);
    assert!(
        err.contains(&format!(
            "ran {} of 12 runs, {done} already done",
            12 - done
        )),
        "{err}"
    );
    assert_eq!(
        read(&out.join("results.csv")),
        read(&whole.join("results.csv"))
    );
    assert_eq!(run_files(&out), run_files(&whole));
}

#[test]
fn ctrl_c_keeps_the_finished_runs_and_says_how_to_resume() {
    let dir = tempfile::tempdir().unwrap();
    let exp = experiment(
        dir.path(),
        &["json-warm.mtrace", "rsjson-warm.mtrace"],
        &[64, 128, 256],
        "",
    );
    let out = dir.path().join("out");
    let (code, _, err) = interrupted(&exp, &out, libc::SIGINT, 1);
    assert_eq!(code, Some(130), "{err}");
    assert!(
        err.contains("finished runs are kept in") && !err.contains("no output was written"),
        "{err}"
    );
    let done = run_files(&out).len();
    assert!(done >= 1);
    let err = run_ok(&exp, &out, &[]);
    assert!(err.contains(&format!("{done} already done")), "{err}");
}

#[test]
fn a_failed_run_is_recorded_the_others_complete_and_the_status_is_one() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("broken.mtrace");
    std::fs::write(&bad, b"MTRC not a trace at all").unwrap();
    let exp = experiment(dir.path(), &["rsjson-warm.mtrace"], &[64], "");
    let text = read(&exp).replacen("traces = [", &format!("traces = [{:?}, ", s(&bad)), 1);
    std::fs::write(&exp, text).unwrap();
    let out = dir.path().join("out");
    let o = memento(&["batch", "run", s(&exp), "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("2 of 4 runs failed"), "{}", stderr(&o));
    let table = rows(&read(&out.join("results.csv")));
    let col = |name: &str| table[0].iter().position(|c| c == name).unwrap();
    let status: Vec<&str> = table[1..]
        .iter()
        .map(|r| r[col("status")].as_str())
        .collect();
    assert_eq!(status, ["failed", "failed", "ok", "ok"]);
    assert!(
        table[1][col("error")].contains("broken.mtrace"),
        "{:?}",
        table[1]
    );
    assert!(table[1][col("cycles")].is_empty());
    // A rerun tries the failed runs again, and only them.
    let o = memento(&["batch", "run", s(&exp), "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("ran 2 of 4 runs, 2 already done"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_malformed_experiment_exits_two_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let exp = experiment(dir.path(), &["rsjson-warm.mtrace"], &[64], "");
    let good = read(&exp);
    let out = dir.path().join("out");
    let cases = [
        (
            good.replace("modes =", "mode ="),
            vec!["exp.toml", "unknown field `mode`"],
        ),
        (
            good.replace("llc.sets", "llc.size"),
            vec!["exp.toml", "sweep.\"llc.size\"", "no field `size` in [llc]"],
        ),
        (
            good.replace("\"memento\"]", "\"momento\"]"),
            vec!["exp.toml", "modes[1]", "momento"],
        ),
        (
            good.replace("rsjson-warm.mtrace", "nothing-*.mtrace"),
            vec!["exp.toml", "traces[0]", "matches no file"],
        ),
        (
            good.replace("[64]", "[\"64\"]"),
            vec!["exp.toml", "sweep.\"llc.sets\"", "invalid type"],
        ),
        (format!("seeds = -1\n{good}"), vec!["exp.toml", "seeds"]),
    ];
    for (text, want) in cases {
        std::fs::write(&exp, &text).unwrap();
        refused(
            &memento(&["batch", "run", s(&exp), "--out", s(&out)]),
            &want,
        );
        refused(&memento(&["batch", "plan", s(&exp)]), &want);
    }
    assert!(!out.exists(), "nothing written for a refused experiment");
    refused(
        &memento(&["batch", "run", "no-such.toml", "--out", s(&out)]),
        &["no-such.toml"],
    );
    std::fs::write(&exp, &good).unwrap();
    refused(
        &memento(&["batch", "run", s(&exp), "--out", s(&out), "--shard", "2/2"]),
        &["2/2"],
    );
}

#[test]
fn a_folder_of_another_experiment_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let exp = experiment(dir.path(), &["rsjson-warm.mtrace"], &[64], "");
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("experiment.toml"), "traces = []\n").unwrap();
    refused(
        &memento(&["batch", "run", s(&exp), "--out", s(&out)]),
        &["another experiment"],
    );
}

#[test]
fn plan_prints_the_runs_and_a_slurm_array_of_its_shards() {
    let dir = tempfile::tempdir().unwrap();
    let exp = experiment(
        dir.path(),
        &["json-warm.mtrace", "rsjson-warm.mtrace"],
        &[64, 128],
        "seeds = [3]",
    );
    let o = memento(&["batch", "plan", s(&exp), "--shards", "3"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1 + 8, "{text}");
    assert!(lines[0].starts_with("key") && lines[0].contains("shard"));
    let shards: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(shards, ["0", "1", "2", "0", "1", "2", "0", "1"]);
    assert!(
        lines[8].contains("rsjson-warm")
            && lines[8].contains("small,llc.sets=128")
            && lines[8].ends_with('3')
    );
    let dest = dir.path().join("slurm");
    let script = dir.path().join("array.sh");
    let o = memento(&[
        "batch",
        "plan",
        s(&exp),
        "--shards",
        "3",
        "--emit",
        "slurm",
        "--out",
        s(&dest),
        "--script",
        s(&script),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = read(&script);
    assert!(text.starts_with("#!/bin/bash\n"), "{text}");
    assert!(text.contains("#SBATCH --array=0-2\n"), "{text}");
    let binary = std::fs::canonicalize(env!("CARGO_BIN_EXE_memento")).unwrap();
    assert!(
        text.contains(&format!(
            "'{}' batch run '{}'",
            binary.display(),
            exp.display()
        )),
        "{text}"
    );
    assert!(
        text.contains("--shard \"$SLURM_ARRAY_TASK_ID/3\""),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "--out '{}'/\"shard-$SLURM_ARRAY_TASK_ID\"",
            dest.display()
        )),
        "{text}"
    );
    let check = Command::new("bash")
        .args(["-n", s(&script)])
        .status()
        .unwrap();
    assert!(check.success());
}

#[test]
fn merge_refuses_a_missing_shard_with_status_two_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let exp = experiment(dir.path(), &["rsjson-warm.mtrace"], &[64], "");
    let a = dir.path().join("a");
    run_ok(&exp, &a, &["--shard", "0/2"]);
    let o = memento(&["batch", "merge", s(&a), "--out", s(&dir.path().join("m"))]);
    refused(
        &o,
        &[
            "workload rsjson-warm",
            "config small,llc.sets=64",
            "mode memento",
            "shard 1/2",
        ],
    );
    let o = memento(&[
        "batch",
        "merge",
        s(&a),
        s(&a),
        "--out",
        s(&dir.path().join("m")),
    ]);
    refused(&o, &["is in both"]);
}

#[test]
fn a_platform_scenario_runs_as_mode_platform_on_each_machine() {
    let dir = tempfile::tempdir().unwrap();
    let warm = sample_file("rsjson-warm.mtrace");
    std::fs::write(
        dir.path().join("node.toml"),
        format!(
            "[node]\ncores = 1\nmemory_mb = 1024\n\n[functions.rsjson]\ncold = {warm:?}\nwarm = {warm:?}\n\
             memory_mb = 256\n\n[arrivals]\nsource = \"times\"\ntimes_s = [0, 1, 700]\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("exp.toml"),
        "scenarios = [\"node.toml\"]\n[machine]\npresets = [\"small\"]\n[sweep]\n\"llc.sets\" = [64, 128]\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    run_ok(&dir.path().join("exp.toml"), &out, &[]);
    let table = rows(&read(&out.join("results.csv")));
    assert_eq!(table.len(), 3);
    let files = run_files(&out);
    for (_, text) in files {
        let r: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            (r["mode"].as_str(), r["runtime"].as_str()),
            (Some("platform"), Some("platform"))
        );
        let report = &r["outcome"]["platform"]["report"];
        assert_eq!(report["schema"], "memento-platform/1");
        assert_eq!(report["machine"], "small");
        assert_eq!(report["modes"][0]["functions"][0]["cold"], 2);
    }
}
