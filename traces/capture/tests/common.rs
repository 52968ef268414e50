//! Helpers for the capture tests: build C programs, capture, read events.

#![allow(dead_code)]

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use memento_capture::{artifacts, capture, CaptureMode, CaptureOptions};
use memento_trace::{Event, Metadata, TraceFile};

/// Installs the Debian packages the tests need (Valgrind, g++, jemalloc)
/// once per test process, through the project's script.
pub fn install_deps() {
    static DONE: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    DONE.get_or_init(|| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/install-deps.sh");
        let status = Command::new(&script)
            .status()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        assert!(status.success(), "{} failed", script.display());
    });
}

/// Compiles `source` with gcc into `dir/name`, linking `libmemento_roi`.
pub fn build_c(dir: &Path, name: &str, source: &str, extra: &[&str]) -> PathBuf {
    build(("gcc", "c"), dir, name, source, extra)
}

/// Compiles C++ `source` with g++ into `dir/name`, linking `libmemento_roi`
/// (and, before libstdc++, the libraries in `extra`).
pub fn build_cxx(dir: &Path, name: &str, source: &str, extra: &[&str]) -> PathBuf {
    build(("g++", "cpp"), dir, name, source, extra)
}

fn build(
    (compiler, ext): (&str, &str),
    dir: &Path,
    name: &str,
    source: &str,
    extra: &[&str],
) -> PathBuf {
    install_deps();
    let roi = artifacts::roi_library().unwrap_or_else(|e| {
        panic!("these tests need Valgrind's headers (apt-get install valgrind): {e}")
    });
    let src = dir.join(format!("{name}.{ext}"));
    std::fs::write(&src, source).unwrap();
    let exe = dir.join(name);
    let roi_dir = roi.parent().unwrap();
    let status = Command::new(compiler)
        .args(["-O0", "-g", "-o"])
        .arg(&exe)
        .arg(&src)
        .arg("-I")
        .arg(artifacts::include_dir())
        .arg("-L")
        .arg(roi_dir)
        .arg(format!("-Wl,-rpath,{}", roi_dir.display()))
        .arg("-lmemento_roi")
        .args(extra)
        .status()
        .unwrap_or_else(|e| panic!("{compiler} runs: {e}"));
    assert!(status.success(), "{compiler} failed on {name}.{ext}");
    exe
}

/// Captures `command` into `dir/name.mtrace`, panicking on failure.
pub fn capture_to(
    dir: &Path,
    name: &str,
    command: &[&Path],
    roi: bool,
    mode: CaptureMode,
) -> PathBuf {
    let out = dir.join(format!("{name}.mtrace"));
    let options = CaptureOptions {
        out: out.clone(),
        command: command
            .iter()
            .map(|p| OsString::from(p.as_os_str()))
            .collect(),
        roi,
        mode,
        workload: None,
    };
    capture(&options).unwrap_or_else(|e| panic!("capture of {name} failed: {e}"));
    out
}

/// All events of a trace, with the metadata.
pub fn read(path: &Path) -> (Vec<Event>, Metadata) {
    let trace = TraceFile::open(path).unwrap();
    let events = trace.events().map(|e| e.unwrap()).collect();
    (events, trace.metadata().unwrap())
}

/// The address range of the executable `exe` in the module map.
pub fn module_range(meta: &Metadata, exe: &Path) -> Vec<(u64, u64)> {
    let exe = exe.canonicalize().unwrap();
    meta.modules
        .iter()
        .filter(|m| Path::new(&m.path).canonicalize().ok().as_deref() == Some(exe.as_path()))
        .map(|m| (m.start, m.start + m.len))
        .collect()
}

/// The thread of each event, following thread switches.
pub fn threads_of(events: &[Event]) -> Vec<u32> {
    let mut tid = 0;
    events
        .iter()
        .map(|e| {
            if let Event::Thread { tid: t } = e {
                tid = *t;
            }
            tid
        })
        .collect()
}

/// The allocator-bracket depth at each event (after an enter, before an exit).
pub fn depths(events: &[Event]) -> Vec<u32> {
    let mut depth = 0u32;
    events
        .iter()
        .map(|e| match e {
            Event::AllocEnter { .. } => {
                depth += 1;
                depth
            }
            Event::AllocExit => {
                let d = depth;
                depth = depth.saturating_sub(1);
                d
            }
            _ => depth,
        })
        .collect()
}
