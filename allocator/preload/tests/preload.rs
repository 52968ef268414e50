//! The preload library under real programs: a C program calling every
//! symbol, C++ operators, threads with fork, CPython's own test modules and
//! a Node script, each compared with the same run under glibc.
//!
//! The cdylib is not built by `cargo test` for its own tests, so the first
//! test builds it (the `preload` profile, `no_std`, as users build it) into
//! `<target>/preload-test`, a separate target directory, so that the nested
//! cargo does not wait on the outer build lock.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn target_root() -> PathBuf {
    // <target>/<profile>/deps/<test binary>
    let exe = std::env::current_exe().expect("test binary path");
    exe.parent()
        .and_then(Path::parent)
        .and_then(Path::parent)
        .expect("target dir")
        .to_path_buf()
}

fn work_dir() -> PathBuf {
    target_root().join("preload-test")
}

/// Builds the preload library once per test binary; returns its path.
fn library() -> &'static Path {
    static LIB: OnceLock<PathBuf> = OnceLock::new();
    LIB.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
        let status = Command::new(cargo)
            .args([
                "build",
                "--profile",
                "preload",
                "--quiet",
                "--manifest-path",
            ])
            .arg(&manifest)
            .arg("--target-dir")
            .arg(work_dir())
            .status()
            .expect("run cargo build for the preload library");
        assert!(status.success(), "building the preload library failed");
        let lib = work_dir().join("preload/libmemento_alloc_preload.so");
        assert!(lib.exists(), "{} missing", lib.display());
        lib
    })
}

/// Compiles one of `tests/programs/` with `compiler`; returns the binary.
fn compile(compiler: &str, source: &str, extra: &[&str]) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/programs")
        .join(source);
    let dir = work_dir().join("programs");
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join(source.replace('.', "_"));
    let status = Command::new(compiler)
        .args(["-O0", "-w", "-o"])
        .arg(&out)
        .arg(&src)
        .args(extra)
        .status()
        .unwrap_or_else(|e| panic!("run {compiler}: {e}"));
    assert!(status.success(), "compiling {source} failed");
    out
}

fn run(cmd: &mut Command, preload: bool) -> Output {
    if preload {
        cmd.env("LD_PRELOAD", library());
    } else {
        cmd.env_remove("LD_PRELOAD");
    }
    cmd.output().expect("run program")
}

fn assert_ok(out: &Output, what: &str) {
    assert!(
        out.status.success()
            && String::from_utf8_lossy(&out.stdout)
                .trim_end()
                .ends_with("ok"),
        "{what}: status {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn library_loads_nothing_but_libc_and_carries_no_unwinder() {
    let out = Command::new("readelf")
        .args(["--dynamic", "--dyn-syms", "--wide"])
        .arg(library())
        .output()
        .expect("run readelf");
    assert!(out.status.success(), "readelf failed");
    let text = String::from_utf8_lossy(&out.stdout);
    let needed: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("(NEEDED)"))
        .filter_map(|l| l.split('[').nth(1)?.split(']').next())
        .collect();
    // libgcc_s and std's code would add ~300 KB to every process's RSS.
    assert_eq!(needed, ["libc.so.6"], "{text}");
    assert!(
        !text.contains("_Unwind_"),
        "the unwinder is linked:\n{text}"
    );
}

#[test]
fn c_program_gets_every_malloc_family_symbol_from_us() {
    let bin = compile("gcc", "symbols.c", &["-ldl"]);
    assert_ok(
        &run(&mut Command::new(&bin), true),
        "symbols.c under the preload library",
    );
}

#[test]
fn cxx_operator_new_and_delete_forms_are_served() {
    let bin = compile("g++", "cxx.cpp", &[]);
    assert_ok(
        &run(&mut Command::new(&bin), true),
        "cxx.cpp under the preload library",
    );
}

#[test]
fn threads_that_exit_and_forks_mid_allocation_stay_consistent() {
    let bin = compile("gcc", "threads_fork.c", &["-pthread"]);
    assert_ok(
        &run(&mut Command::new(&bin), true),
        "threads_fork.c under the preload library",
    );
}

/// The modules a `python -m test` transcript reports as failed or crashed:
/// progress lines (`[3/7] test_x failed`), result lines (`test_x failed
/// (1 failure)`, `test test_x crashed`) and the closing summary
/// (`2 tests failed:` followed by the names).
fn failed_modules(text: &str) -> Vec<String> {
    let mut failed = Vec::new();
    let mut in_summary = false;
    for line in text.lines() {
        let l = line.trim();
        if in_summary {
            if l.is_empty() {
                in_summary = false;
            } else {
                failed.extend(
                    l.split_whitespace()
                        .filter(|w| w.starts_with("test_"))
                        .map(String::from),
                );
            }
            continue;
        }
        if l.ends_with("failed:") || l.ends_with("crashed:") {
            in_summary = true;
            continue;
        }
        let rest = l.rsplit("] ").next().unwrap_or(l);
        let rest = rest.strip_prefix("test ").unwrap_or(rest);
        let mut words = rest.split_whitespace();
        if let (Some(name), Some(verdict)) = (words.next(), words.next()) {
            if name.starts_with("test_") && (verdict == "failed" || verdict == "crashed") {
                failed.push(name.to_string());
            }
        }
    }
    failed.sort();
    failed.dedup();
    failed
}

#[test]
fn cpython_transcripts_yield_their_failed_modules() {
    let text = "0:00:00 load avg: 0.87 [1/3] test_json\n\
                0:00:01 load avg: 0.87 [2/3] test_threading\n\
                test test_threading failed -- Traceback (most recent call last):\n\
                test_threading failed (1 failure)\n\
                0:00:09 load avg: 0.9 [3/3/1] test_os crashed (Exit code -11)\n\
                \n\
                2 tests failed:\n    test_os test_threading\n\n1 test OK.\n";
    assert_eq!(failed_modules(text), ["test_os", "test_threading"]);
    assert!(failed_modules("Total tests: run=465\nResult: SUCCESS\n").is_empty());
}

#[test]
fn allocation_from_constructors_key_destructors_and_atexit_is_served() {
    let bin = compile("gcc", "reentrance.c", &["-pthread"]);
    assert_ok(
        &run(&mut Command::new(&bin), true),
        "reentrance.c under the preload library",
    );
}

/// Runs CPython's regression test modules; returns (finished, failed modules).
fn cpython_tests(modules: &[&str], preload: bool) -> (bool, Vec<String>) {
    let out = run(
        Command::new("python3")
            .args(["-m", "test"])
            .args(modules)
            .env("PYTHONMALLOC", "malloc")
            .current_dir(std::env::temp_dir()),
        preload,
    );
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let finished = out.status.code().is_some() && text.contains("Tests result:");
    if !finished {
        eprintln!("{text}");
    }
    (finished, failed_modules(&text))
}

fn assert_cpython_like_glibc(modules: &[&str]) {
    let (base_done, base_failed) = cpython_tests(modules, false);
    assert!(base_done, "the glibc run of {modules:?} did not finish");
    let (done, failed) = cpython_tests(modules, true);
    assert!(
        done,
        "CPython under the preload library did not finish {modules:?}"
    );
    let new: Vec<_> = failed.iter().filter(|f| !base_failed.contains(f)).collect();
    assert!(
        new.is_empty(),
        "modules failing only under the preload library: {new:?}"
    );
}

#[test]
fn cpython_test_modules_fail_no_more_than_under_glibc() {
    assert_cpython_like_glibc(&[
        "test_json",
        "test_dict",
        "test_list",
        "test_unicode",
        "test_set",
        "test_thread",
        "test_fork1",
    ]);
}

#[test]
#[ignore = "takes minutes; run by bench/run-preload-checks.sh"]
fn cpython_longer_test_module_list_fails_no_more_than_under_glibc() {
    assert_cpython_like_glibc(&[
        "test_json",
        "test_dict",
        "test_list",
        "test_unicode",
        "test_set",
        "test_thread",
        "test_fork1",
        "test_threading",
        "test_gc",
        "test_weakref",
        "test_re",
        "test_bytes",
        "test_subprocess",
        "test_os",
        "test_pickle",
        "test_collections",
        "test_functools",
        "test_itertools",
        "test_mmap",
        "test_zlib",
        "test_ctypes",
    ]);
}

#[test]
fn node_script_prints_the_same_digest_as_under_glibc() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/programs/node_workload.js");
    let base = run(Command::new("node").arg(&script), false);
    assert!(
        base.status.success(),
        "node under glibc failed: {}",
        String::from_utf8_lossy(&base.stderr)
    );
    let ours = run(Command::new("node").arg(&script), true);
    assert!(
        ours.status.success(),
        "node under the preload library failed: {}",
        String::from_utf8_lossy(&ours.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&ours.stdout),
        String::from_utf8_lossy(&base.stdout)
    );
}
