//! End-to-end: `memento workloads synth` as a user runs it.

mod common;
use common::memento;

#[test]
fn synth_writes_a_trace_that_info_reads() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("paper.mtrace");
    let run = memento(&[
        "workloads",
        "synth",
        "--profile",
        "paper",
        "--allocations",
        "3000",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let info = memento(&["trace", "info", "--json", out.to_str().unwrap()]);
    assert!(info.status.success());
    let json: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
    assert_eq!(json["summary"]["allocations"], 3000);
    assert_eq!(json["header"]["runtime"], "synthetic");
}

#[test]
fn synth_with_the_same_seed_writes_identical_files() {
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<_> = ["a", "b"]
        .iter()
        .map(|n| dir.path().join(format!("{n}.mtrace")))
        .collect();
    for path in &paths {
        let run = memento(&[
            "workloads",
            "synth",
            "--profile",
            "python",
            "--allocations",
            "2000",
            "--seed",
            "7",
            "--out",
            path.to_str().unwrap(),
        ]);
        assert!(run.status.success());
    }
    assert_eq!(
        std::fs::read(&paths[0]).unwrap(),
        std::fs::read(&paths[1]).unwrap()
    );
}

#[test]
fn bad_profile_field_exits_two_naming_the_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let show = memento(&["workloads", "synth", "--profile", "paper", "--show"]);
    assert!(show.status.success());
    let text = String::from_utf8(show.stdout)
        .unwrap()
        .replace("short_max = 16", "short_max = 0");
    let profile = dir.path().join("mine.toml");
    std::fs::write(&profile, text).unwrap();
    let out = dir.path().join("x.mtrace");
    let run = memento(&[
        "workloads",
        "synth",
        "--profile",
        profile.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("mine.toml: lifetimes.short_max must be at least 1"),
        "{stderr}"
    );
    assert!(!out.exists());
    let run = memento(&[
        "workloads",
        "synth",
        "--profile",
        "ruby",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("unknown profile"));
}
