//! The CI-sized sanitizer subset: `scripts/sanitize.sh --quick` runs the
//! allocator's stress and poisoning tests under AddressSanitizer, and the
//! preload library, built with ASan, under the C test programs and seven
//! CPython test modules, with a use-after-free canary that must be
//! reported. About 2 minutes on 2 cores, cold. The full run (std rebuilt
//! instrumented, ThreadSanitizer, Miri, 19 CPython modules) is
//! `scripts/sanitize.sh` without `--quick`.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn the_allocator_and_the_preload_library_run_clean_under_asan() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("bash")
        .arg(root.join("scripts/sanitize.sh"))
        .arg("--quick")
        .env_remove("RUSTFLAGS")
        .output()
        .expect("bash runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "scripts/sanitize.sh --quick failed ({}); exit status 3 means no nightly \
         toolchain or no libasan, 1 a report:\n{text}",
        out.status
    );
    // The canaries prove poisoning is live: a build that poisons nothing
    // would otherwise pass as clean. tests/asan_poison.rs has 3 cases.
    assert!(
        text.contains("canary reported") && text.contains("CPython 7 modules clean"),
        "{text}"
    );
    assert!(text.contains("test result: ok. 3 passed"), "{text}");
    assert!(text.contains("address preload: no reports"), "{text}");
}
