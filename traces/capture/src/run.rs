//! Running a program under capture: the Valgrind tool or the preload shim,
//! a temporary folder beside the output, and a rename only on success.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use memento_trace::atomic::Unfinished;
use memento_trace::TraceFile;

use crate::artifacts;
use crate::error::CaptureError;

/// How to capture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaptureMode {
    /// Under Valgrind: instructions, accesses, allocator brackets, syscalls.
    Full,
    /// With the preload shim: allocations, libc's memory syscalls, markers.
    AllocOnly,
}

/// What to capture and where.
#[derive(Clone, Debug)]
pub struct CaptureOptions {
    /// The trace file to write (replaced only when the capture succeeds).
    pub out: PathBuf,
    /// The program and its arguments.
    pub command: Vec<OsString>,
    /// Write only the events between ROI begin and end markers.
    pub roi: bool,
    /// Full or allocation-only capture.
    pub mode: CaptureMode,
    /// Workload name for the header [default: the program's file name].
    pub workload: Option<String>,
}

/// A successful capture.
#[derive(Clone, Debug)]
pub struct CaptureReport {
    /// The trace written.
    pub out: PathBuf,
    /// Its size in bytes.
    pub file_bytes: u64,
    /// Wall-clock seconds the traced run took.
    pub seconds: f64,
}

/// Removes the temporary folder however the capture ends; listed as
/// unfinished so that an interrupt removes it too.
struct TempDir(PathBuf, Option<Unfinished>);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> CaptureError + '_ {
    move |source| CaptureError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Finds `program` as the shell would: a path as given, else on `PATH`.
pub fn find_program(program: &OsStr) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let executable = |p: &Path| {
        p.metadata()
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    };
    let given = Path::new(program);
    if given.components().count() > 1 {
        return executable(given).then(|| given.to_path_buf());
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|p| executable(p))
}

/// The runtime label of the header, guessed from the program's name.
fn runtime_of(program: &Path) -> &'static str {
    let name = program
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if name.starts_with("python") {
        "cpython"
    } else if name == "node" || name == "nodejs" {
        "node"
    } else {
        "native"
    }
}

fn describe(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(signal)) => format!("was killed by signal {signal}"),
        _ => "failed".to_string(),
    }
}

fn temp_dir_for(out: &Path) -> Result<TempDir, CaptureError> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "trace".into());
    let dir = parent.join(format!(".{name}.capture-{}", std::process::id()));
    let tracked = Unfinished::track(&dir);
    std::fs::create_dir_all(&dir).map_err(io_error(&dir))?;
    // absolute: traced children that change directory write here too
    let dir = dir.canonicalize().map_err(io_error(&dir))?;
    Ok(TempDir(dir, Some(tracked)))
}

/// Runs the command under capture and writes `options.out`. On any
/// failure nothing is left at `options.out` or beside it.
pub fn capture(options: &CaptureOptions) -> Result<CaptureReport, CaptureError> {
    let (program, args) = options
        .command
        .split_first()
        .ok_or(CaptureError::NoCommand)?;
    let resolved = find_program(program)
        .ok_or_else(|| CaptureError::CommandNotFound(program.to_string_lossy().into_owned()))?;
    let command_line = options
        .command
        .iter()
        .map(|a| a.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ");
    let workload = options.workload.clone().unwrap_or_else(|| {
        resolved
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    let runtime = runtime_of(&resolved);
    let time_ns = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);

    let mut temp = temp_dir_for(&options.out)?;
    let pattern = temp.0.join("trace.%p.mtrace");
    let mut command = match options.mode {
        CaptureMode::Full => {
            let lib = artifacts::valgrind_lib()?;
            let valgrind =
                find_program(OsStr::new("valgrind")).ok_or(CaptureError::ValgrindNotFound)?;
            let mut c = Command::new(valgrind);
            c.env("VALGRIND_LIB", lib)
                .arg("--tool=memento")
                .arg("-q")
                // a program started through a script (pyenv shims) is traced
                // in the exec'd image; forked children write their own file
                .arg("--trace-children=yes")
                .arg({
                    let mut a = OsString::from("--out=");
                    a.push(&pattern);
                    a
                })
                .arg(format!("--roi={}", if options.roi { "yes" } else { "no" }))
                .arg(format!("--workload={workload}"))
                .arg(format!("--runtime={runtime}"))
                .arg(format!("--cmdline={command_line}"))
                .arg(format!("--time-ns={time_ns}"))
                .arg(&resolved)
                .args(args);
            c
        }
        CaptureMode::AllocOnly => {
            let shim = artifacts::shim_library();
            let mut preload = OsString::from(shim);
            if let Some(existing) = std::env::var_os("LD_PRELOAD") {
                preload.push(":");
                preload.push(existing);
            }
            let mut c = Command::new(&resolved);
            c.args(args)
                .env("LD_PRELOAD", preload)
                .env("MEMENTO_SHIM_OUT", &pattern)
                .env("MEMENTO_SHIM_ROI", if options.roi { "1" } else { "0" })
                .env("MEMENTO_SHIM_WORKLOAD", &workload)
                .env("MEMENTO_SHIM_RUNTIME", runtime)
                .env("MEMENTO_SHIM_CMDLINE", &command_line)
                .env("MEMENTO_SHIM_TIME_NS", time_ns.to_string());
            c
        }
    };
    if let Ok(roi) = artifacts::roi_library() {
        command.env("MEMENTO_ROI_LIB", roi);
    }
    if let Some(addon) = artifacts::node_addon() {
        command.env("MEMENTO_ROI_NODE", addon);
    }
    for (var, dir) in [
        ("PYTHONPATH", artifacts::python_dir()),
        ("NODE_PATH", artifacts::node_dir()),
    ] {
        let mut path = OsString::from(dir);
        if let Some(existing) = std::env::var_os(var) {
            path.push(":");
            path.push(existing);
        }
        command.env(var, path);
    }

    let start = Instant::now();
    let mut child = command.spawn().map_err(io_error(&resolved))?;
    let pid = child.id();
    let status = child.wait().map_err(io_error(&resolved))?;
    let seconds = start.elapsed().as_secs_f64();
    if !status.success() {
        return Err(CaptureError::CommandFailed {
            command: command_line,
            status: describe(status),
        });
    }
    let written = temp.0.join(format!("trace.{pid}.mtrace"));
    if !written.exists() {
        return Err(CaptureError::NoTrace(command_line));
    }
    let trace = TraceFile::open(&written)?;
    trace.metadata()?;
    drop(trace);
    let tracked = temp.1.take().expect("tracked until renamed");
    tracked
        .finish(|| std::fs::rename(&written, &options.out))
        .map_err(io_error(&options.out))?;
    let file_bytes = std::fs::metadata(&options.out)
        .map_err(io_error(&options.out))?
        .len();
    Ok(CaptureReport {
        out: options.out.clone(),
        file_bytes,
        seconds,
    })
}
