//! End-to-end: the `memento trace` commands as a user runs them.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::{memento, stderr, stdout};

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("traces/samples/wordfreq-lackey.mtrace")
}

#[test]
fn info_on_the_sample_prints_header_and_counts() {
    let out = memento(&["trace", "info", sample().to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("workload   wordfreq (import:lackey)"),
        "{text}"
    );
    assert!(text.contains("block"), "{text}");
    assert!(text.contains("bytes/event"), "{text}");
}

#[test]
fn info_json_is_machine_readable() {
    let out = memento(&["trace", "info", "--json", sample().to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let events = json["summary"]["events"].as_u64().unwrap();
    let by_kind: u64 = json["summary"]["events_by_kind"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| pair[1].as_u64().unwrap())
        .sum();
    assert!(events > 100_000);
    assert_eq!(events, by_kind);
}

#[test]
fn sample_trace_is_compact() {
    // The format's target: at most 3 bytes per event on a real trace.
    let out = memento(&["trace", "info", "--json", sample().to_str().unwrap()]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let bytes = json["file_bytes"].as_u64().unwrap() as f64;
    let events = json["summary"]["events"].as_u64().unwrap() as f64;
    assert!(bytes / events <= 3.0, "{} bytes/event", bytes / events);
}

#[test]
fn bad_input_is_one_line_and_exit_status_two() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "hello\n").unwrap();
    let out = memento(&["trace", "info", text.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let message = stderr(&out);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(
        message.contains("notes.txt: byte 0: not a Memento trace"),
        "{message}"
    );

    let missing = dir.path().join("missing.mtrace");
    let out = memento(&["trace", "info", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("missing.mtrace"), "{}", stderr(&out));
}

#[test]
fn damaged_trace_fails_unless_asked_to_keep_going() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(sample()).unwrap();
    // Flip a byte in the middle of some chunk's payload.
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x5a;
    let damaged = dir.path().join("damaged.mtrace");
    std::fs::write(&damaged, bytes).unwrap();
    let out = memento(&["trace", "info", damaged.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("damaged.mtrace: byte "),
        "{}",
        stderr(&out)
    );

    let out = memento(&["trace", "info", "--keep-going", damaged.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("skipped 1 damaged chunk"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn convert_round_trips_through_csv_and_mtrace() {
    let dir = tempfile::tempdir().unwrap();
    let lackey = dir.path().join("tiny.lackey");
    std::fs::write(&lackey, "I  1000,4\n L 2000,8\nI  1004,2\n S 2008,4\n").unwrap();
    let mtrace = dir.path().join("tiny.mtrace");
    let out = memento(&[
        "trace",
        "convert",
        lackey.to_str().unwrap(),
        mtrace.to_str().unwrap(),
        "--from",
        "lackey",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let csv = dir.path().join("tiny.csv");
    let out = memento(&[
        "trace",
        "convert",
        mtrace.to_str().unwrap(),
        csv.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(
        text.lines().skip(1).collect::<Vec<_>>(),
        vec![
            "0,0,block,0x1000,6,2,,,,,",
            "1,0,load,0x2000,8,,,,,,",
            "2,0,store,0x2008,4,,,,,,"
        ]
    );
    let dram = dir.path().join("tiny.trace");
    let out = memento(&[
        "trace",
        "convert",
        mtrace.to_str().unwrap(),
        dram.to_str().unwrap(),
        "--to",
        "dramsim3",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(&dram).unwrap(),
        "0x2000 READ 2\n0x2000 WRITE 2\n"
    );
}

#[test]
fn convert_refuses_unknown_formats_and_unnamed_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let lackey = dir.path().join("tiny.lackey");
    std::fs::write(&lackey, "I  1000,4\n").unwrap();
    let out_path = dir.path().join("out.mtrace");
    let out = memento(&[
        "trace",
        "convert",
        lackey.to_str().unwrap(),
        out_path.to_str().unwrap(),
        "--from",
        "pin",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--from pin: unknown input format"),
        "{}",
        stderr(&out)
    );
    let out = memento(&[
        "trace",
        "convert",
        lackey.to_str().unwrap(),
        out_path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--from lackey|champsim|din"),
        "{}",
        stderr(&out)
    );
    let out = memento(&[
        "trace",
        "convert",
        lackey.to_str().unwrap(),
        dir.path().join("out.bin").to_str().unwrap(),
        "--from",
        "lackey",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("give --to"), "{}", stderr(&out));
    assert!(!out_path.exists());
}

#[test]
fn convert_with_a_bad_line_exits_two_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let lackey = dir.path().join("bad.lackey");
    std::fs::write(&lackey, "I  1000,4\nbroken line\n").unwrap();
    let out_path = dir.path().join("out.mtrace");
    let out = memento(&[
        "trace",
        "convert",
        lackey.to_str().unwrap(),
        out_path.to_str().unwrap(),
        "--from",
        "lackey",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("bad.lackey: byte 10: line 2"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn every_subcommand_has_help() {
    for args in [
        vec!["--help"],
        vec!["trace", "--help"],
        vec!["trace", "info", "--help"],
        vec!["trace", "convert", "--help"],
    ] {
        let out = memento(&args);
        assert!(out.status.success(), "{args:?}");
        assert!(stdout(&out).contains("Usage"), "{args:?}");
    }
}

#[test]
fn convert_streams_lackey_text_from_standard_input() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("piped.mtrace");
    let mut child = Command::new(env!("CARGO_BIN_EXE_memento"))
        .env_remove("RUST_BACKTRACE")
        .args([
            "trace",
            "convert",
            "-",
            out_path.to_str().unwrap(),
            "--from",
            "lackey",
        ])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Enough lines to cross several reads of the pipe.
    for i in 0..200_000u64 {
        writeln!(
            stdin,
            "I  {:08x},4\n L {:08x},8",
            0x40_0000 + 4 * (i % 64),
            0x7ff0_0000 + 8 * i
        )
        .unwrap();
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let info = memento(&["trace", "info", "--json", out_path.to_str().unwrap()]);
    let json: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
    assert_eq!(json["summary"]["instructions"], 200_000);
    assert_eq!(json["summary"]["accesses"], 200_000);
    assert_eq!(json["header"]["workload"], "stdin");
}
