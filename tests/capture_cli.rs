//! `memento capture` and `memento trace sites` through the command line.

use std::path::Path;
use std::process::Command;

mod common;
use common::memento;

const PROGRAM: &str = r#"#include <stdlib.h>
static void *keep[100];
static void *small(int i) { return malloc(16 + i % 3); }
int main(void) {
    for (int i = 0; i < 100; i++)
        keep[i] = small(i);
    void *big = malloc(1 << 20);
    free(big);
    for (int i = 0; i < 100; i++)
        free(keep[i]);
    return 0;
}
"#;

fn build(dir: &Path) -> String {
    let src = dir.join("sites.c");
    std::fs::write(&src, PROGRAM).unwrap();
    let exe = dir.join("sites");
    let status = Command::new("gcc")
        .args(["-O0", "-g", "-o"])
        .arg(&exe)
        .arg(&src)
        .status()
        .expect("gcc runs");
    assert!(status.success());
    exe.to_string_lossy().into_owned()
}

#[test]
fn sites_rank_call_sites_and_name_their_source_lines() {
    let dir = tempfile::tempdir().unwrap();
    let exe = build(dir.path());
    let out = dir.path().join("t.mtrace");
    let out = out.to_str().unwrap();
    for alloc_only in [false, true] {
        let mut args = vec!["capture", "--out", out];
        if alloc_only {
            args.push("--alloc-only");
        }
        args.extend(["--", &exe]);
        let run = memento(&args);
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let sites = memento(&["trace", "sites", out, "--top", "2", "--json"]);
        assert!(
            sites.status.success(),
            "{}",
            String::from_utf8_lossy(&sites.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&sites.stdout).unwrap();
        let top = &json[0];
        assert_eq!(top["count"], 100);
        // i % 3 is 1 for 33 values of i and 2 for 33
        assert_eq!(top["bytes"], 100 * 16 + 33 + 2 * 33);
        assert_eq!(top["levels"][0][0], "libc");
        assert_eq!(top["location"]["function"], "small");
        assert_eq!(top["location"]["line"], 3);
        assert!(top["location"]["file"]
            .as_str()
            .unwrap()
            .ends_with("sites.c"));
        let second = &json[1];
        assert_eq!(
            (second["count"].clone(), second["bytes"].clone()),
            (1.into(), (1 << 20).into())
        );
        assert_eq!(second["location"]["line"], 7);
    }
}

#[test]
fn failed_capture_is_one_line_with_status_2_and_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t.mtrace");
    let out = out.to_str().unwrap();
    for command in [&["no-such-program-xyz"][..], &["false"][..]] {
        let mut args = vec!["capture", "--out", out, "--"];
        args.extend(command);
        let run = memento(&args);
        assert_eq!(run.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with("memento: error: "), "{stderr}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
