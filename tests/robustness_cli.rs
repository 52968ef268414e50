//! No panic a user can reach: every subcommand and flag is driven with
//! malformed, empty, huge and truncated inputs, and each must end with
//! exit status 2 and one line naming what is wrong. Also: a closed pipe
//! ends the output quietly, and an interrupted run leaves no partial file.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn memento() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_memento"));
    c.env_remove("RUST_BACKTRACE");
    c
}

fn run(args: &[String]) -> Output {
    memento().args(args).output().expect("memento runs")
}

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("traces/samples/json-warm.mtrace")
}

/// The bad inputs, made once in `dir`: (label, path).
fn bad_inputs(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut inputs = Vec::new();
    let mut put = |label: &str, bytes: &[u8]| {
        let path = dir.join(label);
        fs::write(&path, bytes).unwrap();
        inputs.push((label.to_string(), path));
    };
    put("empty", b"");
    // Seeded bytes, the same in every run.
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let garbage: Vec<u8> = (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    put("garbage", &garbage);
    let trace = fs::read(sample()).unwrap();
    for cut in [1, 7, 16, 64, 600, trace.len() / 2, trace.len() - 1] {
        put(&format!("truncated-at-{cut}"), &trace[..cut]);
    }
    let mut flipped = trace.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x40;
    put("one-bit-flipped", &flipped);
    put("not-toml", b"[machine\ncores = = 2\n");
    put("text", b"this is not a trace\n");
    put("json-wrong", b"{\"schema\": \"something-else/9\"}");
    // Huge: 8 GiB, sparse, the sample's first bytes then zeroes.
    let huge = dir.join("huge");
    fs::write(&huge, &trace[..4096]).unwrap();
    fs::File::options()
        .write(true)
        .open(&huge)
        .unwrap()
        .set_len(8 << 30)
        .unwrap();
    inputs.push(("huge".to_string(), huge));
    inputs.push(("missing".to_string(), dir.join("does-not-exist")));
    inputs.push(("a-folder".to_string(), dir.to_path_buf()));
    inputs
}

/// Checks one failed run: status 2, one line on stderr that says it is an
/// error, no panic.
fn check_refused(args: &[String], out: &Output, failures: &mut Vec<String>) {
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.lines().collect();
    let ok = out.status.code() == Some(2)
        && lines.len() == 1
        && lines[0].starts_with("memento: error: ")
        && !err.contains("panicked");
    if !ok {
        failures.push(format!(
            "memento {}\n  status {:?}, stderr:\n{err}",
            args.join(" "),
            out.status.code()
        ));
    }
}

#[test]
fn every_subcommand_refuses_bad_input_with_one_line_and_status_2() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = bad_inputs(dir.path());
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("out");
    let out = out.to_str().unwrap();
    let good = sample();
    let good = good.to_str().unwrap();

    // Commands that read a trace (or a file of their kind) as {}.
    let trace_readers: Vec<Vec<&str>> = vec![
        vec!["trace", "info", "{}"],
        vec!["trace", "info", "--json", "{}"],
        vec!["trace", "sites", "{}"],
        vec!["trace", "convert", "{}", out],
        vec!["trace", "convert", "--to", "csv", "{}", out],
        vec!["trace", "convert", "--to", "dramsim3", "{}", out],
        vec!["trace", "convert", "--from", "lackey", "{}", out],
        vec!["trace", "convert", "--from", "dinero", "{}", out],
        vec!["trace", "convert", "--from", "champsim", "{}", out],
        vec!["replay", "{}"],
        vec!["replay", "--json", "{}"],
        vec!["replay", "--allocator", "memento", "--csv", "{}"],
        vec!["replay", "--cores", "2", good, "{}"],
        vec!["dram", "{}"],
        vec!["dram", "--format", "ramulator", "--json", "{}"],
        vec!["compare", "{}"],
        vec!["compare", "--json", good, "{}"],
        vec!["workloads", "profile", "{}"],
        vec!["replay", "--config", "{}", good],
        vec!["compare", "--config", "{}", good],
        vec!["config", "check", "{}"],
        vec!["workloads", "synth", "--profile", "{}", "--out", out],
        vec!["platform", "run", "{}"],
        vec!["platform", "run", "--json", "{}"],
        vec!["batch", "run", "{}", "--out", out],
        vec!["batch", "plan", "{}"],
        vec![
            "batch", "plan", "{}", "--shards", "2", "--emit", "slurm", "--out", out,
        ],
        vec!["batch", "merge", "{}", "--out", out],
    ];
    let mut failures = Vec::new();
    let mut runs = 0;
    for command in &trace_readers {
        for (label, path) in &inputs {
            // An empty file is a valid (empty) input for the text importers
            // and for TOML files whose every field has a default.
            let text_input = command.contains(&"--from")
                || command.contains(&"--profile")
                || command[0] == "dram";
            let toml_input = command.contains(&"--config") || command.contains(&"check");
            // `batch merge` of a bad folder is refused; it is exercised
            // with the folder and a missing one only (files are not folders).
            if label == "empty" && (text_input || toml_input) {
                continue;
            }
            let args: Vec<String> = command
                .iter()
                .map(|a| {
                    if *a == "{}" {
                        path.to_str().unwrap().to_string()
                    } else {
                        a.to_string()
                    }
                })
                .collect();
            let result = run(&args);
            check_refused(&args, &result, &mut failures);
            runs += 1;
        }
    }

    // Flags with values out of range, unknown names, missing arguments.
    // One command per line, split at spaces (the paths have none), with
    // {good} for the sample trace and {out} for the output path.
    let flags: Vec<Vec<String>> = [
        "",
        "bogus",
        "replay",
        "replay --cores 0 {good}",
        "replay --cores x {good}",
        "replay --cores 99999999999999999999 {good}",
        "replay --preset no-such-machine {good}",
        "replay --allocator no-such-allocator {good}",
        "replay --json --csv {good}",
        "replay --preset small --config {good} {good}",
        "replay --dram-trace /proc/no-such-dir/out.trace {good}",
        "dram",
        "dram --format no-such-format {good}",
        "dram --preset no-such-machine {good}",
        "dram --json --csv {good}",
        "dram --preset small --config {good} {good}",
        "compare",
        "compare --jobs 0 {good}",
        "compare --jobs -3 {good}",
        "compare --preset no-such-machine {good}",
        "compare --plot /proc/no-such-dir/x {good}",
        "trace info",
        "trace convert {good}",
        "trace convert --to no-such-format {good} {out}",
        "trace convert --from no-such-format {good} {out}",
        "trace convert --from lackey --access-size 0 {good} {out}",
        "trace convert {good} /proc/no-such-dir/out.mtrace",
        "config show no-such-machine",
        "config check",
        "workloads synth --profile no-such-profile --out {out}",
        "workloads synth --profile paper --allocations x --out {out}",
        "workloads synth --profile paper --seed -1 --out {out}",
        "workloads run no-such-function",
        "workloads capture no-such-function --out-dir {out}",
        "workloads capture --all --invocations 0 --out-dir {out}",
        "capture --out {out} -- /no/such/program",
        "capture --out {out}",
        "capture --out /proc/no-such-dir/t.mtrace -- true",
        "platform",
        "platform run",
        "platform run /no/such/scenario.toml",
        "platform run --json --csv {good}",
        "report",
        "report /no/such/batch",
        "report {good}",
        "report --out",
        "batch",
        "batch run",
        "batch run {good}",
        "batch run {good} --out {out} --jobs 0",
        "batch run {good} --out {out} --shard 2/2",
        "batch run {good} --out {out} --shard x",
        "batch plan",
        "batch plan {good} --shards 0",
        "batch plan {good} --emit slurm",
        "batch plan {good} --emit pbs --out {out}",
        "batch merge",
        "batch merge --out {out}",
        "batch merge /no/such/folder --out {out}",
    ]
    .iter()
    .map(|line| {
        let line = line.replace("{good}", good).replace("{out}", out);
        line.split_whitespace().map(String::from).collect()
    })
    .collect();
    for args in &flags {
        let result = run(args);
        check_refused(args, &result, &mut failures);
        runs += 1;
    }
    assert!(runs > 300, "only {runs} runs");
    assert!(
        failures.is_empty(),
        "{} of {runs} runs did not end with one line and status 2:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Nothing was left behind by the failed runs that write files.
    let left: Vec<_> = fs::read_dir(out_dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "files left by failed runs: {left:?}");
}

#[test]
fn a_closed_pipe_ends_a_long_csv_report_quietly() {
    // A 256-core replay of a tiny trace: a CSV report of about 1 MB, far
    // more than a pipe holds, of which the reader takes 16 bytes.
    let dir = tempfile::tempdir().unwrap();
    let tiny = dir.path().join("tiny.mtrace");
    let made = memento()
        .args([
            "workloads",
            "synth",
            "--profile",
            "paper",
            "--allocations",
            "4",
            "--out",
        ])
        .arg(&tiny)
        .output()
        .unwrap();
    assert!(made.status.success());
    let mut child = memento()
        .args(["replay", "--csv", "--cores", "256"])
        .args(std::iter::repeat_n(&tiny, 256))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.trim().is_empty(), "stderr after a closed pipe: {err}");
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(out.status.signal(), Some(libc::SIGPIPE), "{:?}", out.status);
}

/// Sends SIGINT to the whole process group of `child`, as a terminal's
/// Ctrl-C does.
fn interrupt(child: &std::process::Child) {
    // SAFETY: kill has no memory preconditions; the group is the child's.
    let rc = unsafe { libc::kill(-(child.id() as i32), libc::SIGINT) };
    assert_eq!(rc, 0, "kill failed");
}

fn wait_for(mut ready: impl FnMut() -> bool, limit: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if ready() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn an_interrupted_synthesis_leaves_no_partial_output() {
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("big.mtrace");
    let mut child = memento()
        .args(["workloads", "synth", "--profile", "paper"])
        .args(["--allocations", "50000000", "--out"])
        .arg(&out)
        .process_group(0)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Interrupt once the temporary file is being written.
    let writing = wait_for(
        || {
            fs::read_dir(dir.path())
                .unwrap()
                .any(|e| e.unwrap().metadata().unwrap().len() > 0)
        },
        Duration::from_secs(60),
    );
    assert!(writing, "synthesis never started writing");
    interrupt(&child);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{status:?}");
    let left: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left after Ctrl-C: {left:?}");
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(err.contains("interrupted"), "{err}");
}

#[test]
fn an_interrupted_capture_leaves_no_partial_output() {
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sleep.mtrace");
    // Alloc-only mode needs no Valgrind tool build; the traced program
    // runs long enough to be interrupted while its trace is open.
    let mut child = memento()
        .args(["capture", "--alloc-only", "--out"])
        .arg(&out)
        .args([
            "--",
            "python3",
            "-c",
            "import time\nx=[bytes(100) for _ in range(1000)]\ntime.sleep(30)",
        ])
        .process_group(0)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = wait_for(
        || fs::read_dir(dir.path()).unwrap().next().is_some(),
        Duration::from_secs(60),
    );
    assert!(started, "capture never made its temporary folder");
    std::thread::sleep(Duration::from_millis(500));
    interrupt(&child);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{status:?}");
    let left: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left after Ctrl-C: {left:?}");
}
