//! Version 1 traces still replay identically: `tests/v1-replays/` holds
//! `memento replay --json` of two samples made by the build before format
//! version 2, branch prediction and trace dependences (commit 3ef374d), in
//! the baseline and in Memento mode. Today's build, on the micro23 machine
//! with those switched off (a perfect predictor; a version 1 trace's `auto`
//! dependences are the same pointer-chase guess), must give every figure
//! those reports hold; figures added since (branch counts) are not in them.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every field of `old` is in `new` with the same value; returns the path
/// of the first that is not.
fn first_difference(old: &Value, new: &Value, at: &str) -> Option<String> {
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => o.iter().find_map(|(k, v)| match n.get(k) {
            Some(w) => first_difference(v, w, &format!("{at}.{k}")),
            None => Some(format!("{at}.{k} missing")),
        }),
        (Value::Array(o), Value::Array(n)) if o.len() == n.len() => o
            .iter()
            .zip(n)
            .enumerate()
            .find_map(|(i, (v, w))| first_difference(v, w, &format!("{at}[{i}]"))),
        _ if old == new => None,
        _ => Some(format!("{at}: {old} before, {new} now")),
    }
}

fn config_without_new_features(dir: &Path) -> PathBuf {
    let out = Command::new(env!("CARGO_BIN_EXE_memento"))
        .args(["config", "show", "micro23"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("predictor = \"gshare\""), "{text}");
    let text = text.replace("predictor = \"gshare\"", "predictor = \"perfect\"");
    let path = dir.join("micro23-as-before.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn version_one_samples_replay_as_they_did_before_version_two() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_without_new_features(dir.path());
    for sample in ["json-warm", "wordfreq-lackey"] {
        for (mode, extra) in [("micro23", None), ("micro23-memento", Some("memento"))] {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_memento"));
            cmd.arg("replay").arg("--json").arg("--config").arg(&config);
            if let Some(allocator) = extra {
                cmd.args(["--allocator", allocator]);
            }
            let out = cmd
                .arg(root().join(format!("traces/samples/{sample}.mtrace")))
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let now: Value = serde_json::from_slice(&out.stdout).unwrap();
            let before: Value = serde_json::from_str(
                &std::fs::read_to_string(
                    root().join(format!("tests/v1-replays/{sample}.{mode}.json")),
                )
                .unwrap(),
            )
            .unwrap();
            // The config's name is the file's now.
            let mut before = before;
            before["config"] = now["config"].clone();
            if let Some(d) = first_difference(&before, &now, sample) {
                panic!("{sample} ({mode}): {d}");
            }
        }
    }
}
