//! Every runtime's driver brackets the whole run with ROI markers and each
//! invocation with invocation markers, in order. Stand-ins for the capture
//! tool's marker library and modules write each call to a log file.

mod suite_common;

use std::path::Path;
use std::process::Command;
use suite_common::{root, setup};

const EXPECTED: &str = "roi_begin\ninvocation_begin 0\ninvocation_end 0\n\
                        invocation_begin 1\ninvocation_end 1\nroi_end\n";

const FAKE_LIB: &str = r#"
#include <stdio.h>
#include <stdlib.h>
static void log_line(const char* what, long long id, int with_id) {
    FILE* f = fopen(getenv("FAKE_ROI_LOG"), "a");
    if (with_id) fprintf(f, "%s %lld\n", what, id); else fprintf(f, "%s\n", what);
    fclose(f);
}
void memento_roi_begin(void) { log_line("roi_begin", 0, 0); }
void memento_roi_end(void) { log_line("roi_end", 0, 0); }
void memento_invocation_begin(unsigned long long id) { log_line("invocation_begin", id, 1); }
void memento_invocation_end(unsigned long long id) { log_line("invocation_end", id, 1); }
"#;

const FAKE_PY: &str = r#"
import os
def _log(line):
    with open(os.environ["FAKE_ROI_LOG"], "a") as f:
        f.write(line + "\n")
def roi_begin(): _log("roi_begin")
def roi_end(): _log("roi_end")
def invocation_begin(i): _log(f"invocation_begin {i}")
def invocation_end(i): _log(f"invocation_end {i}")
"#;

const FAKE_JS: &str = r#"
const fs = require('fs');
const log = (line) => fs.appendFileSync(process.env.FAKE_ROI_LOG, line + '\n');
module.exports = {
  roiBegin() { log('roi_begin'); },
  roiEnd() { log('roi_end'); },
  invocationBegin(i) { log(`invocation_begin ${i}`); },
  invocationEnd(i) { log(`invocation_end ${i}`); },
};
"#;

fn log_of(mut command: Command, log: &Path) -> String {
    let _ = std::fs::remove_file(log);
    let out = command.env("FAKE_ROI_LOG", log).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(log).unwrap_or_default()
}

#[test]
fn compiled_drivers_call_the_marker_library_named_by_memento_roi_lib() {
    setup();
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("fake_roi.c");
    std::fs::write(&source, FAKE_LIB).unwrap();
    let lib = dir.path().join("libfake_roi.so");
    let cc = Command::new("gcc")
        .args(["-shared", "-fPIC", "-o"])
        .arg(&lib)
        .arg(&source)
        .status()
        .unwrap();
    assert!(cc.success());
    let log = dir.path().join("log");
    for name in ["kv", "rsgraph"] {
        let mut run = Command::new(env!("CARGO_BIN_EXE_memento"));
        run.args(["workloads", "run", name, "--invocations", "2"])
            .env("MEMENTO_ROI_LIB", &lib);
        assert_eq!(log_of(run, &log), EXPECTED, "{name}");
    }
}

#[test]
fn python_and_node_drivers_call_the_memento_roi_module() {
    setup();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("memento_roi.py"), FAKE_PY).unwrap();
    std::fs::write(dir.path().join("memento_roi.js"), FAKE_JS).unwrap();
    let functions = root().join("workloads/functions");
    let log = dir.path().join("log");

    let mut python = Command::new(root().join("workloads/.venv/bin/python"));
    python
        .arg(functions.join("python/driver.py"))
        .args(["zlib_compress", "--invocations", "2"])
        .env(
            "PYTHONPATH",
            std::env::join_paths([functions.join("python"), dir.path().to_path_buf()]).unwrap(),
        );
    assert_eq!(log_of(python, &log), EXPECTED, "python");

    let mut node = Command::new("node");
    node.arg(functions.join("node/driver.js"))
        .args(["json_roundtrip", "--invocations", "2"])
        .env(
            "NODE_PATH",
            std::env::join_paths([
                functions.join("node/node_modules"),
                dir.path().to_path_buf(),
            ])
            .unwrap(),
        );
    assert_eq!(log_of(node, &log), EXPECTED, "node");
}

#[test]
fn without_a_marker_library_the_compiled_drivers_still_run() {
    setup();
    let run = Command::new(env!("CARGO_BIN_EXE_memento"))
        .env_remove("RUST_BACKTRACE")
        .args(["workloads", "run", "jsonpipe", "--invocations", "2"])
        .env("MEMENTO_ROI_LIB", "/nonexistent/libmemento_roi.so")
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}
