//! End-to-end: `memento workloads list` and `memento workloads run` on the
//! real function suite. Needs the environments of
//! `scripts/setup-workloads.sh`, which the first test to need them runs.

mod suite_common;

use std::path::Path;
use std::process::{Command, Output};

use memento_workloads::suite::{Manifest, Runtime};
use suite_common::{root, setup};

fn memento(args: &[&str], workloads_dir: Option<&Path>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_memento"));
    command.env_remove("RUST_BACKTRACE");
    command.args(args);
    if let Some(dir) = workloads_dir {
        command.env("MEMENTO_WORKLOADS_DIR", dir);
    }
    command.output().expect("memento runs")
}

fn manifest() -> Manifest {
    Manifest::load(&root().join("workloads/manifest.toml")).unwrap()
}

#[test]
fn every_workload_runs_natively_and_gives_its_checked_result() {
    setup();
    let mut failures = Vec::new();
    for f in &manifest().functions {
        let run = memento(&["workloads", "run", &f.name, "--invocations", "2"], None);
        let stdout = String::from_utf8_lossy(&run.stdout);
        let ok = run.status.success()
            && stdout.contains(&format!("result {}", f.expected))
            && stdout.contains("invocation   0 cold")
            && stdout.contains("invocation   1 warm");
        if !ok {
            failures.push(format!(
                "{}: {}{}",
                f.name,
                stdout,
                String::from_utf8_lossy(&run.stderr)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn node_runs_say_that_v8_heap_is_invisible_to_malloc_tracing() {
    setup();
    let manifest = manifest();
    let node: Vec<_> = manifest
        .functions
        .iter()
        .filter(|f| f.runtime == Runtime::Node)
        .collect();
    assert!(!node.is_empty());
    for f in node {
        let run = memento(&["workloads", "run", &f.name, "--invocations", "1"], None);
        let stdout = String::from_utf8_lossy(&run.stdout);
        assert!(
            stdout.contains("V8 allocates JavaScript objects in its own heap"),
            "{stdout}"
        );
    }
}

#[test]
fn the_setup_script_is_quiet_and_changes_nothing_when_run_again() {
    setup();
    let again = Command::new(root().join("scripts/setup-workloads.sh"))
        .output()
        .unwrap();
    assert!(again.status.success());
    assert_eq!(String::from_utf8_lossy(&again.stderr), "");
}

#[test]
fn list_prints_every_function_with_its_runtime() {
    let run = memento(&["workloads", "list"], None);
    assert!(run.status.success());
    let stdout = String::from_utf8_lossy(&run.stdout);
    for f in &manifest().functions {
        let line = stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(f.name.as_str()))
            .unwrap_or_else(|| panic!("{} not listed", f.name));
        assert!(line.contains(&f.runtime.to_string()), "{line}");
    }
}

#[test]
fn an_unknown_workload_exits_2_and_names_the_suite() {
    let run = memento(&["workloads", "run", "no-such-function"], None);
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("no-such-function"));
    for name in manifest().names() {
        assert!(stderr.contains(name), "{name} missing from: {stderr}");
    }
}

#[test]
fn a_result_that_differs_from_the_manifest_fails_with_exit_2() {
    setup();
    // A copy of the workloads folder whose manifest expects another result.
    let dir = tempfile::tempdir().unwrap();
    let workloads = root().join("workloads");
    for entry in ["functions", ".venv"] {
        std::os::unix::fs::symlink(workloads.join(entry), dir.path().join(entry)).unwrap();
    }
    let text = std::fs::read_to_string(workloads.join("manifest.toml")).unwrap();
    let json = manifest().get("json").unwrap().expected.clone();
    let wrong = text.replacen(&json, "0000000000000000", 1);
    std::fs::write(dir.path().join("manifest.toml"), wrong).unwrap();
    let run = memento(&["workloads", "run", "json"], Some(dir.path()));
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains(&json), "{stderr}");
    assert!(stderr.contains("expected `0000000000000000`"), "{stderr}");
}

#[test]
fn a_missing_environment_tells_the_user_to_run_the_setup_script() {
    let dir = tempfile::tempdir().unwrap();
    let workloads = root().join("workloads");
    std::fs::copy(
        workloads.join("manifest.toml"),
        dir.path().join("manifest.toml"),
    )
    .unwrap();
    let run = memento(&["workloads", "run", "json"], Some(dir.path()));
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("scripts/setup-workloads.sh"), "{stderr}");
}

#[test]
fn functions_with_a_link_entry_are_linked_with_that_library() {
    setup();
    for f in manifest().functions.iter().filter(|f| !f.link.is_empty()) {
        let run = memento(&["workloads", "run", &f.name, "--invocations", "1"], None);
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let binary = root().join("workloads/.build/cpp").join(&f.name);
        let ldd = Command::new("ldd").arg(&binary).output().unwrap();
        let libraries = String::from_utf8_lossy(&ldd.stdout);
        for lib in &f.link {
            assert!(
                libraries.contains(&format!("lib{lib}")),
                "{}: {libraries}",
                f.name
            );
        }
    }
}

#[test]
fn zero_invocations_is_a_one_line_usage_error() {
    let run = memento(&["workloads", "run", "json", "--invocations", "0"], None);
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(
        stderr.trim(),
        "memento: error: --invocations must be at least 1"
    );
}
