//! `scripts/install-deps.sh`, the one script a fresh machine runs (the
//! tests call it): it must find what is missing under `sh` (dash), where a
//! command substitution inherits `set -e`.

use std::path::PathBuf;
use std::process::Command;

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/install-deps.sh")
}

fn dry_run(args: &[&str]) -> std::process::Output {
    let empty = std::env::temp_dir().join(format!("memento-deps-{}", std::process::id()));
    Command::new("sh")
        .arg(script())
        .arg("--dry-run")
        .args(args)
        .env("MEMENTO_DEPS_ROOT", &empty)
        .output()
        .expect("sh runs")
}

#[test]
fn dry_run_on_a_fresh_machine_lists_every_package_and_exits_zero() {
    let out = dry_run(&[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "status {:?}, stderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.trim(),
        "install-deps: would apt-get install valgrind g++ libjemalloc-dev time munge slurmctld slurmd slurm-client"
    );
}

#[test]
fn dry_run_with_bench_adds_the_compared_allocators_and_perf() {
    let out = dry_run(&["--bench"]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout
            .trim()
            .ends_with("slurm-client libmimalloc2.0 libtcmalloc-minimal4 linux-perf libc6-dbg"),
        "{stdout}"
    );
}

#[test]
fn an_unknown_option_exits_two_naming_it() {
    let out = Command::new("sh")
        .arg(script())
        .arg("--frobnicate")
        .output()
        .expect("sh runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--frobnicate"));
}

#[test]
fn dry_run_with_pgo_adds_the_llvm_of_rustc() {
    let rustc = Command::new("rustc")
        .arg("-vV")
        .output()
        .expect("rustc runs");
    let version = String::from_utf8_lossy(&rustc.stdout);
    let major = version
        .lines()
        .find_map(|l| l.strip_prefix("LLVM version: "))
        .and_then(|v| v.split('.').next())
        .expect("rustc -vV names its LLVM");
    let out = dry_run(&["--pgo"]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout
            .trim()
            .ends_with(&format!("slurm-client llvm-{major}")),
        "{stdout}"
    );
}

#[test]
fn dry_run_with_fuzz_adds_a_nightly_toolchain_and_cargo_fuzz() {
    let out = dry_run(&["--fuzz"]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[1..],
        [
            "install-deps: would rustup toolchain install nightly",
            "install-deps: would cargo install cargo-fuzz --locked",
        ],
        "{stdout}"
    );
}

#[test]
fn dry_run_with_validate_adds_champsims_libraries() {
    let out = dry_run(&["--validate"]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout
            .trim()
            .ends_with("slurm-client libfmt-dev libcli11-dev nlohmann-json3-dev xz-utils"),
        "{stdout}"
    );
}
