//! The command-line contracts of the benchmark scripts that take long to
//! run for real: bad arguments end them at once, with status 2 and a
//! message naming what was wrong.

use std::path::PathBuf;
use std::process::Command;

fn path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

#[test]
fn build_pgo_refuses_arguments_with_status_two() {
    let out = Command::new("bash")
        .arg(path("scripts/build-pgo.sh"))
        .arg("--fast")
        .output()
        .expect("bash runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("'--fast'"));
}

/// `bench/malloc_share.py --no-build` with `args`: status and stderr.
fn malloc_share(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new("python3")
        .arg(path("bench/malloc_share.py"))
        .arg("--no-build")
        .args(args)
        .output()
        .expect("python3 runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn malloc_share_names_an_unknown_function_and_exits_two() {
    let (status, stderr) = malloc_share(&["--only", "json,nosuchfn"]);
    assert_eq!(status, Some(2));
    assert!(
        stderr.contains("unknown function(s) nosuchfn") && stderr.contains("rsregex"),
        "{stderr}"
    );
}

#[test]
fn malloc_share_refuses_an_only_that_names_nothing() {
    let (status, stderr) = malloc_share(&["--only", ","]);
    assert_eq!(status, Some(2));
    assert!(stderr.contains("names no function"), "{stderr}");
}
