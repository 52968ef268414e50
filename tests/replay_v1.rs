//! Version 1 traces still replay identically: a version 1 sample and the
//! same events rewritten as a version 2 trace (`memento trace convert`,
//! which writes the current version) give the same report, in the baseline
//! and in Memento mode. (Against the build before version 2, commit
//! 3ef374d, every figure of the samples' reports was equal with prediction
//! off at commit 8226136; the DRAM scheduler of issue 23 has since moved a
//! few reorderings, so that comparison is no longer one of formats.)

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn memento(args: &[&std::ffi::OsStr]) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_memento"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn a_version_one_trace_replays_exactly_as_its_version_two_copy() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    for sample in ["json-warm", "wordfreq-lackey"] {
        let v1 = root.join(format!("traces/samples/{sample}.mtrace"));
        let v2 = dir.path().join(format!("{sample}.mtrace"));
        memento(&[
            "trace".as_ref(),
            "convert".as_ref(),
            v1.as_os_str(),
            v2.as_os_str(),
        ]);
        let info: Value = serde_json::from_slice(&memento(&[
            "trace".as_ref(),
            "info".as_ref(),
            "--json".as_ref(),
            v2.as_os_str(),
        ]))
        .unwrap();
        assert_eq!(info["header"]["version"], 2, "{sample}");
        assert_eq!(info["header"]["dependences"], false, "{sample}");
        for allocator in ["baseline", "memento"] {
            let replay = |trace: &PathBuf| -> Value {
                serde_json::from_slice(&memento(&[
                    "replay".as_ref(),
                    "--json".as_ref(),
                    "--allocator".as_ref(),
                    allocator.as_ref(),
                    trace.as_os_str(),
                ]))
                .unwrap()
            };
            let (old, new) = (replay(&v1), replay(&v2));
            assert!(old["cycles"].as_u64().unwrap() > 0);
            assert_eq!(old, new, "{sample} ({allocator})");
        }
    }
}
