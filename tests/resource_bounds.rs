//! Resource bounds: replay memory does not grow with trace length, and the
//! reports of a 256-core run stay well-formed.

use std::path::Path;
use std::process::{Command, Output};

fn memento() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_memento"));
    c.env_remove("RUST_BACKTRACE");
    c
}

/// Runs `command` to its end and checks that it succeeded.
fn succeeded(command: &mut Command) -> Output {
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn synth(out: &Path, allocations: u64) -> u64 {
    let done = succeeded(
        memento()
            .args(["workloads", "synth", "--profile", "paper", "--seed", "7"])
            .args(["--allocations", &allocations.to_string(), "--out"])
            .arg(out),
    );
    // "wrote PATH: N events, ..."
    let text =
        String::from_utf8_lossy(&done.stdout).into_owned() + &String::from_utf8_lossy(&done.stderr);
    let events = text
        .split(": ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok());
    events.unwrap_or_else(|| panic!("no event count in {text:?}"))
}

/// Replays `trace` and returns the replay process's peak resident set in
/// KiB, from the kernel's accounting of that one child.
fn replay_max_rss_kib(trace: &Path) -> i64 {
    #[allow(clippy::zombie_processes)] // reaped by wait4 below, which gives its rusage
    let child = memento()
        .args(["replay", "--json"])
        .arg(trace)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut status = 0;
    // SAFETY: rusage is plain data that wait4 fills.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: the pid is our child's, not yet waited for; the out-pointers
    // are valid.
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as i32);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "replay failed: {status}"
    );
    usage.ru_maxrss
}

#[test]
fn replay_memory_does_not_grow_with_trace_length() {
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("small.mtrace");
    let large = dir.path().join("large.mtrace");
    let small_events = synth(&small, 50_000);
    let large_events = synth(&large, 5_000_000);
    assert!(small_events >= 2_000_000, "{small_events} events");
    assert!(large_events >= 200_000_000, "{large_events} events");
    let small_rss = replay_max_rss_kib(&small);
    let large_rss = replay_max_rss_kib(&large);
    eprintln!(
        "max RSS: {small_rss} KiB for {small_events} events, {large_rss} KiB for {large_events}"
    );
    // 100x the events. What may differ is bounded, not proportional: the
    // window of mapped trace pages not yet given back (4 MiB steps, plus
    // the kernel's read-ahead) and the noise of a few buffers.
    assert!(
        large_rss <= small_rss + 12 * 1024,
        "replay memory grew with trace length: {small_rss} KiB for {small_events} events, \
         {large_rss} KiB for {large_events}"
    );
}

#[test]
fn the_reports_of_a_256_core_run_stay_well_formed() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("tiny.mtrace");
    synth(&trace, 4);
    let run = |format: &[&str]| {
        let out = succeeded(
            memento()
                .args(["replay", "--cores", "256"])
                .args(format)
                .args(std::iter::repeat_n(&trace, 256)),
        );
        String::from_utf8(out.stdout).unwrap()
    };

    let json: serde_json::Value = serde_json::from_str(&run(&["--json"])).expect("valid JSON");
    assert_eq!(
        json["cores"].as_array().map(Vec::len),
        Some(256),
        "one entry per core"
    );
    let dram = &json["dram"];
    let (avg, p99) = (
        dram["avg_read_latency_ns"].as_f64().unwrap(),
        dram["p99_read_latency_ns"].as_f64().unwrap(),
    );
    // A saturated channel: the p99 must still lie above the mean.
    assert!(p99 >= avg, "p99 {p99} ns below the mean {avg} ns");

    let csv = run(&["--csv"]);
    let mut lines = csv.lines();
    let fields = lines.next().unwrap().split(',').count();
    for (i, line) in lines.enumerate() {
        assert_eq!(
            line.split(',').count(),
            fields,
            "CSV line {}: {line}",
            i + 2
        );
    }
    assert!(csv.contains("\ncore255,"), "the last core's rows are there");

    let text = run(&[]);
    for line in text.lines() {
        assert!(
            line.len() <= 200,
            "a text line of {} columns: {line:.120}",
            line.len()
        );
    }
    assert!(text.contains("core 255:"), "the last core is reported");
}
