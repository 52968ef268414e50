//! `memento report DIR`: a batch folder made from `memento compare --json`
//! on a sample trace gives a report with `compare`'s speedup and its plots
//! in `DIR/plots`; a malformed run file and a folder without runs exit 2
//! with one line naming the file or saying what to run first.

mod common;

use std::fs;
use std::path::Path;

use common::{json, memento, refused, sample_file, stdout};

/// Writes the runs of `compare --json`'s first workload into `dir/runs`
/// as run records (schema memento-batch-run/1), one file per mode.
fn write_records(dir: &Path, compared: &serde_json::Value, trace: &Path) {
    let runs = dir.join("runs");
    fs::create_dir_all(&runs).unwrap();
    let w = &compared["workloads"][0];
    for run in w["runs"].as_array().unwrap() {
        let mode = run["mode"].as_str().unwrap();
        let key = format!("{:016x}", mode.len() * 7919);
        let record = serde_json::json!({
            "schema": "memento-batch-run/1",
            "key": key,
            "workload": w["name"],
            "input": trace.display().to_string(),
            "runtime": w["runtime"],
            "config": "small",
            "params": {},
            "mode": mode,
            "seed": 1,
            "outcome": {"replayed": {"events": 1, "stats": run["stats"]}},
        });
        fs::write(runs.join(format!("{key}.json")), record.to_string()).unwrap();
    }
}

#[test]
fn report_of_a_batch_folder_gives_compares_speedup_and_the_plots() {
    let trace = sample_file("rsjson-warm.mtrace");
    let compared = json(&memento(&[
        "compare",
        trace.to_str().unwrap(),
        "--preset",
        "small",
        "--json",
        "--jobs",
        "2",
    ]));
    let dir = tempfile::tempdir().unwrap();
    write_records(dir.path(), &compared, &trace);
    let out = memento(&["report", dir.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(stdout(&out).contains("report.md"));
    let markdown = fs::read_to_string(dir.path().join("report.md")).unwrap();
    let speedup = compared["workloads"][0]["figures"]["speedup"]
        .as_f64()
        .unwrap();
    let row = format!(
        "| rsjson-warm | small | {} | {} | {:+.1}% |",
        thousands(&compared, "baseline"),
        thousands(&compared, "memento"),
        100.0 * speedup
    );
    assert!(markdown.contains(&row), "{row}\n{markdown}");
    for name in ["speedup", "dram-traffic-1"] {
        for ext in ["svg", "png"] {
            let file = dir.path().join(format!("plots/{name}.{ext}"));
            assert!(file.metadata().unwrap().len() > 1000, "{}", file.display());
        }
    }
    assert!(markdown.contains("## Hot code"));
}

/// The cycles of `mode`'s run with thousands separators.
fn thousands(compared: &serde_json::Value, mode: &str) -> String {
    let runs = compared["workloads"][0]["runs"].as_array().unwrap();
    let run = runs.iter().find(|r| r["mode"] == mode).unwrap();
    let digits = run["stats"]["cycles"].as_u64().unwrap().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn a_malformed_run_file_exits_2_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("runs")).unwrap();
    fs::write(dir.path().join("runs/00ff00ff00ff00ff.json"), "{\"key\": ").unwrap();
    let out = memento(&["report", dir.path().to_str().unwrap()]);
    refused(&out, &["00ff00ff00ff00ff.json", "memento-batch-run/1"]);
    assert!(!dir.path().join("report.md").exists());
}

#[test]
fn an_empty_batch_folder_exits_2_saying_to_run_the_batch_first() {
    let dir = tempfile::tempdir().unwrap();
    let out = memento(&["report", dir.path().to_str().unwrap()]);
    refused(&out, &["memento batch run"]);
    fs::create_dir_all(dir.path().join("runs")).unwrap();
    let out = memento(&["report", dir.path().to_str().unwrap()]);
    refused(&out, &["runs", "memento batch run"]);
}
