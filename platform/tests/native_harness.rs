//! The native harness: a suite function on memento-alloc under each memory
//! policy, in a real process.

use std::process::Command;

fn harness(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_memento-harness"))
        .args(args)
        .output()
        .expect("the harness runs")
}

fn field(line: &str, key: &str) -> f64 {
    let at = line.find(&format!("\"{key}\":")).expect(key) + key.len() + 3;
    line[at..]
        .split([',', '}'])
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn every_policy_gives_the_same_answers_and_harvesting_lowers_the_rss() {
    let out = harness(&["--json", "--invocations", "20"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    let policy = |name: &str| {
        *lines
            .iter()
            .find(|l| l.contains(&format!("\"policy\":\"{name}\"")))
            .expect(name)
    };
    for l in &lines {
        // Neither a restore nor a harvest lost or corrupted an allocation.
        assert_eq!(field(l, "mismatches"), 0.0, "{l}");
    }
    let (plain, harvest) = (policy("plain"), policy("harvest"));
    assert!(field(harvest, "harvested_mib") > 0.0, "{harvest}");
    assert!(
        field(harvest, "rss_mib_mean") < field(plain, "rss_mib_mean"),
        "{plain}\n{harvest}"
    );
    // A restore after each invocation keeps the heap where the snapshot
    // left it.
    let snapshot = policy("snapshot");
    assert!(
        field(snapshot, "rss_mib_max") <= field(snapshot, "rss_mib_at_snapshot") + 1.0,
        "{snapshot}"
    );
}

#[test]
fn bad_arguments_exit_2() {
    assert_eq!(harness(&["--invocations", "0"]).status.code(), Some(2));
    assert_eq!(harness(&["--policy", "nope"]).status.code(), Some(2));
    assert_eq!(harness(&["--frobnicate"]).status.code(), Some(2));
}
