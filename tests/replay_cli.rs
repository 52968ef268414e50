//! End-to-end: `memento replay` and `memento config` as a user runs them.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::{memento, stderr};

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("traces/samples/wordfreq-lackey.mtrace")
}

#[test]
fn replay_of_the_sample_reports_cycles_caches_and_dram() {
    let out = memento(&["replay", sample().to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "machine micro23",
        "IPC",
        "l1d",
        "llc",
        "DRAM DDR4-3200",
        "demand",
        "row hits",
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
}

#[test]
fn replay_json_counts_every_event_of_the_trace_and_repeats_exactly() {
    let info = memento(&["trace", "info", "--json", sample().to_str().unwrap()]);
    let info: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
    let first = memento(&["replay", "--json", sample().to_str().unwrap()]);
    assert!(first.status.success(), "{}", stderr(&first));
    let stats: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(stats["events"], info["summary"]["events"]);
    assert_eq!(stats["instructions"], info["summary"]["instructions"]);
    let second = memento(&["replay", "--json", sample().to_str().unwrap()]);
    assert_eq!(first.stdout, second.stdout, "replay is deterministic");
}

#[test]
fn two_traces_run_on_two_cores() {
    let s = sample();
    let out = memento(&[
        "replay",
        "--json",
        "--preset",
        "small",
        s.to_str().unwrap(),
        s.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stats["cores"].as_array().unwrap().len(), 2);
    let out = memento(&[
        "replay",
        "--cores",
        "1",
        s.to_str().unwrap(),
        s.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("2 event streams but the machine has 1 cores"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn config_show_prints_a_preset_that_checks_clean() {
    let dir = tempfile::tempdir().unwrap();
    let out = memento(&["config", "show", "micro23"]);
    assert!(out.status.success());
    let path = dir.path().join("mine.toml");
    std::fs::write(&path, &out.stdout).unwrap();
    let check = memento(&["config", "check", path.to_str().unwrap()]);
    assert!(check.status.success(), "{}", stderr(&check));
    let replay = memento(&[
        "replay",
        "--config",
        path.to_str().unwrap(),
        sample().to_str().unwrap(),
    ]);
    assert!(replay.status.success(), "{}", stderr(&replay));
}

#[test]
fn bad_config_field_exits_two_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let text = String::from_utf8(memento(&["config", "show", "micro23"]).stdout).unwrap();
    let bad = text.replacen("sets = 64", "sets = 48", 1);
    assert_ne!(bad, text, "the preset sets 64 sets somewhere");
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, bad).unwrap();
    let out = memento(&[
        "replay",
        "--config",
        path.to_str().unwrap(),
        sample().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let message = stderr(&out);
    assert!(
        message.contains("bad.toml") && message.contains("sets"),
        "{message}"
    );
    assert!(message.contains("power of two"), "{message}");
    let out = memento(&["config", "show", "huge"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn replay_of_a_bad_or_missing_trace_exits_two() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none.mtrace");
    let out = memento(&["replay", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("none.mtrace"));
    let mut bytes = std::fs::read(sample()).unwrap();
    let middle = bytes.len() / 3;
    bytes[middle] ^= 0x77;
    let damaged = dir.path().join("damaged.mtrace");
    std::fs::write(&damaged, bytes).unwrap();
    let out = memento(&["replay", damaged.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("damaged.mtrace: byte "),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_error_is_one_line_and_verbose_adds_its_causes() {
    let missing = "/nonexistent/trace.mtrace";
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_memento"))
            .env_remove("RUST_BACKTRACE")
            .args(args)
            .env_remove("RUST_BACKTRACE")
            .output()
            .expect("memento runs")
    };
    let plain = run(&["replay", missing]);
    assert_eq!(plain.status.code(), Some(2));
    assert_eq!(stderr(&plain).lines().count(), 1, "{}", stderr(&plain));
    let verbose = run(&["--verbose", "replay", missing]);
    assert_eq!(verbose.status.code(), Some(2));
    let text = stderr(&verbose);
    assert!(text.lines().count() >= 2, "{text}");
    assert!(
        text.lines().skip(1).all(|l| l.starts_with("  caused by: ")),
        "{text}"
    );
}
