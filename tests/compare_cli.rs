//! End-to-end: `memento compare` as a user runs it, on the committed
//! samples and on saved results.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::{json, memento, stderr, stdout};

fn sample(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("traces/samples")
        .join(format!("{name}.mtrace"))
        .display()
        .to_string()
}

fn write(dir: &Path, name: &str, out: &Output) -> PathBuf {
    assert!(out.status.success(), "{}", stderr(out));
    let path = dir.join(name);
    std::fs::write(&path, &out.stdout).unwrap();
    path
}

#[test]
fn saved_results_compare_like_fresh_runs() {
    let trace = sample("rsjson-ma-warm");
    let fresh = memento(&["compare", "--preset", "small", &trace, "--json"]);
    let fresh_json = json(&fresh);
    let dir = tempfile::tempdir().unwrap();
    let saved: Vec<PathBuf> = ["baseline", "memento", "ideal-mallacc"]
        .iter()
        .map(|mode| {
            let out = memento(&[
                "replay",
                "--preset",
                "small",
                "--allocator",
                mode,
                &trace,
                "--json",
            ]);
            write(dir.path(), &format!("{mode}.json"), &out)
        })
        .collect();
    let mut args = vec!["compare", "--json"];
    // In another order: runs are put back in the order of a fresh compare.
    args.extend(saved.iter().rev().map(|p| p.to_str().unwrap()));
    assert_eq!(json(&memento(&args)), fresh_json);
    // A saved comparison compares like itself.
    let whole = write(dir.path(), "compare.json", &fresh);
    assert_eq!(
        json(&memento(&["compare", "--json", whole.to_str().unwrap()])),
        fresh_json
    );
}

#[test]
fn compare_prints_the_figures_beside_the_papers() {
    let out = memento(&[
        "compare",
        "--preset",
        "small",
        &sample("jsonpipe-warm"),
        &sample("rsjson-warm"),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for needle in [
        "jsonpipe-warm",
        "rsjson-warm",
        "speedup",
        "ideal Mallacc",
        "DRAM lines",
        "alloc meta",
        "the paper (MICRO 2023)",
        "33/32/33/2 %",
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
    assert!(
        text.lines().all(|l| l.chars().count() <= 100),
        "a line over 100 columns:\n{text}"
    );
    let csv = stdout(&memento(&[
        "compare",
        "--preset",
        "small",
        &sample("jsonpipe-warm"),
        "--csv",
    ]));
    let mut lines = csv.lines();
    assert!(lines
        .next()
        .unwrap()
        .starts_with("workload,runtime,baseline_cycles"));
    assert!(lines.next().unwrap().starts_with("jsonpipe-warm,cpp,"));
}

#[test]
fn a_missing_or_malformed_trace_or_result_exits_two_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.mtrace");
    std::fs::write(&garbage, b"not a trace at all").unwrap();
    let bad_json = dir.path().join("bad.json");
    std::fs::write(&bad_json, b"{ \"cycles\": ").unwrap();
    let other_json = dir.path().join("other.json");
    std::fs::write(&other_json, b"{ \"hello\": 1 }").unwrap();
    let memento_only = write(
        dir.path(),
        "memento-only.json",
        &memento(&[
            "replay",
            "--preset",
            "small",
            "--allocator",
            "memento",
            &sample("rsjson-ma-warm"),
            "--json",
        ]),
    );
    let missing = dir.path().join("missing.mtrace");
    for (file, needle) in [
        (&missing, "No such file"),
        (&garbage, "garbage.mtrace"),
        (&bad_json, "not JSON"),
        (&other_json, "neither"),
        (&memento_only, "no baseline run"),
    ] {
        let out = memento(&["compare", "--preset", "small", file.to_str().unwrap()]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{}: {}",
            file.display(),
            stderr(&out)
        );
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(file.to_str().unwrap()), "{err}");
        assert!(err.contains(needle), "{needle}: {err}");
    }
}

#[test]
fn readme_main_job_compares_the_suite_samples() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let line = readme
        .lines()
        .find_map(|l| l.strip_prefix("cargo run --release -- "))
        .expect("README gives the main job as `cargo run --release -- ...`");
    let args: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(args[0], "compare", "{line}");
    let out = Command::new(env!("CARGO_BIN_EXE_memento"))
        .env_remove("RUST_BACKTRACE")
        .args(&args)
        .current_dir(root)
        .output()
        .expect("memento runs");
    assert!(out.status.success(), "{line}: {}", stderr(&out));
    let text = stdout(&out);
    let traces: Vec<&str> = args
        .iter()
        .filter(|a| a.ends_with(".mtrace"))
        .copied()
        .collect();
    assert!(
        traces.len() >= 3,
        "the main job compares at least three samples"
    );
    for t in traces {
        let name = Path::new(t).file_stem().unwrap().to_str().unwrap();
        assert!(text.contains(name), "{name}: {text}");
    }
    for needle in ["speedup split", "DRAM lines", "the paper (MICRO 2023)"] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
}
