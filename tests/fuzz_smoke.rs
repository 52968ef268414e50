//! Every fuzz target of `fuzz/` runs 20 seconds through `scripts/fuzz.sh`
//! without a crash: the parsers a user can reach still return a value or an
//! error on arbitrary input. 190 s, after the fuzz build (72 s the first
//! time on a quiet machine, niced; 262 s in all). The script installs a nightly toolchain
//! and cargo-fuzz when missing (`scripts/install-deps.sh --fuzz`); where
//! they cannot be had, this test fails and says so.

use std::path::PathBuf;
use std::process::Command;

/// The targets, as `fuzz/Cargo.toml` declares them.
fn targets(root: &std::path::Path) -> Vec<String> {
    let manifest = std::fs::read_to_string(root.join("fuzz/Cargo.toml")).expect("fuzz/Cargo.toml");
    manifest
        .lines()
        .filter_map(|line| line.strip_prefix("path = \"fuzz_targets/"))
        .filter_map(|rest| rest.strip_suffix(".rs\""))
        .map(String::from)
        .collect()
}

#[test]
fn every_fuzz_target_runs_twenty_seconds_without_a_crash() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("bash")
        .arg(root.join("scripts/fuzz.sh"))
        .args(["--seconds", "20"])
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "scripts/fuzz.sh --seconds 20 failed ({}); exit status 3 means no nightly \
         toolchain or cargo-fuzz could be had, 1 a crash:\n{stdout}\n{stderr}",
        out.status
    );
    let targets = targets(&root);
    assert!(
        targets.len() >= 9,
        "targets in fuzz/Cargo.toml: {targets:?}"
    );
    for target in &targets {
        let row = stdout
            .lines()
            .find(|line| line.split_whitespace().next() == Some(target.as_str()))
            .unwrap_or_else(|| panic!("no report for {target}:\n{stdout}"));
        let columns: Vec<&str> = row.split_whitespace().collect();
        let execs: u64 = columns[1].parse().expect("an exec count");
        assert!(execs > 1000, "{target} ran only {execs} inputs:\n{stdout}");
        assert_eq!(columns.last(), Some(&"0"), "{target} crashed:\n{stdout}");
    }
}
