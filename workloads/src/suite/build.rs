//! Turns a manifest entry into a command line, building what needs building:
//! C++ with g++ into `workloads/.build/cpp`, Rust with cargo into
//! `workloads/.build/rust` (its own target folder: a nested cargo on the
//! caller's target folder would wait on its lock).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::manifest::{Allocator, Function, Runtime};
use super::run::RunError;

/// A function ready to run: program, arguments before `--invocations`, and
/// environment additions.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The executable.
    pub program: PathBuf,
    /// Its leading arguments.
    pub args: Vec<String>,
    /// Extra environment variables.
    pub env: Vec<(String, String)>,
}

impl Prepared {
    /// The command that runs the function for `invocations` invocations.
    pub fn command(&self, invocations: u32) -> Command {
        let mut command = Command::new(&self.program);
        self.append_args(&mut command, invocations);
        command
    }

    /// Appends the program's arguments for `invocations` invocations and
    /// its environment to `command` (the program itself, or a tool that
    /// runs it after its own arguments).
    pub fn append_args(&self, command: &mut Command, invocations: u32) {
        command
            .args(&self.args)
            .arg("--invocations")
            .arg(invocations.to_string())
            .envs(self.env.iter().map(|(k, v)| (k, v)));
    }
}

const SETUP_HINT: &str = "run scripts/setup-workloads.sh first";

/// Builds `function` if needed and returns how to run it natively.
pub fn prepare(function: &Function, dir: &Path) -> Result<Prepared, RunError> {
    match function.runtime {
        Runtime::Python => prepare_python(function, dir),
        Runtime::Cpp => prepare_cpp(function, dir),
        Runtime::Rust => prepare_rust(function, dir),
        Runtime::Node => prepare_node(function, dir),
    }
}

fn missing(what: String) -> RunError {
    RunError::Setup(format!("{what}: {SETUP_HINT}"))
}

/// The capture tool's marker modules live in `traces/capture/<lang>`; they
/// are put on the search path only when that folder exists.
fn capture_folder(dir: &Path, lang: &str) -> Option<PathBuf> {
    let folder = dir.parent()?.join("traces/capture").join(lang);
    folder.is_dir().then_some(folder)
}

fn search_path(first: PathBuf, extra: Option<PathBuf>) -> String {
    let mut parts = vec![first];
    parts.extend(extra);
    std::env::join_paths(parts)
        .expect("paths without separators")
        .to_string_lossy()
        .into_owned()
}

fn stem(entry: &str) -> String {
    Path::new(entry)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| entry.to_string())
}

fn prepare_python(function: &Function, dir: &Path) -> Result<Prepared, RunError> {
    let python = dir.join(".venv/bin/python");
    if !python.exists() {
        return Err(missing(format!("{} not found", python.display())));
    }
    let folder = dir.join("functions/python");
    Ok(Prepared {
        program: python,
        args: vec![
            folder.join("driver.py").display().to_string(),
            stem(&function.entry),
        ],
        env: vec![
            (
                "PYTHONPATH".into(),
                search_path(folder, capture_folder(dir, "python")),
            ),
            // Fixed string hashing: the same dict and set layouts, hence
            // the same allocations and accesses, in every run.
            ("PYTHONHASHSEED".into(), "0".into()),
        ],
    })
}

fn prepare_node(function: &Function, dir: &Path) -> Result<Prepared, RunError> {
    let folder = dir.join("functions/node");
    if !folder.join("node_modules").is_dir() {
        return Err(missing(format!(
            "{}/node_modules not found",
            folder.display()
        )));
    }
    Ok(Prepared {
        program: PathBuf::from("node"),
        args: vec![
            folder.join("driver.js").display().to_string(),
            stem(&function.entry),
        ],
        env: vec![(
            "NODE_PATH".into(),
            search_path(folder.join("node_modules"), capture_folder(dir, "node")),
        )],
    })
}

fn newer(source: &Path, target: &Path) -> bool {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    match (modified(source), modified(target)) {
        (Some(s), Some(t)) => s > t,
        _ => true,
    }
}

fn run_build(mut command: Command, what: &str) -> Result<(), RunError> {
    let output = command
        .output()
        .map_err(|e| RunError::Build(format!("{what}: cannot start: {e}")))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first = stderr.lines().find(|l| l.contains("error")).unwrap_or("");
        return Err(RunError::Build(format!(
            "{what} failed ({}): {first}",
            output.status
        )));
    }
    Ok(())
}

fn prepare_cpp(function: &Function, dir: &Path) -> Result<Prepared, RunError> {
    let source = dir.join(&function.entry);
    let header = dir.join("functions/cpp/driver.hpp");
    let out_dir = dir.join(".build/cpp");
    let binary = out_dir.join(&function.name);
    if newer(&source, &binary) || newer(&header, &binary) {
        std::fs::create_dir_all(&out_dir)
            .map_err(|e| RunError::Build(format!("{}: {e}", out_dir.display())))?;
        // Written under a per-process name and renamed, so that a concurrent
        // run never executes a half-written binary.
        let partial = out_dir.join(format!("{}.{}.tmp", function.name, std::process::id()));
        let mut gxx = Command::new("nice");
        gxx.args(["-n", "10", "g++", "-O2", "-g", "-std=c++17", "-I"])
            .arg(dir.join("functions/cpp"))
            .arg("-o")
            .arg(&partial)
            .arg(&source)
            .arg("-ldl");
        for lib in &function.link {
            gxx.arg(format!("-l{lib}"));
        }
        run_build(gxx, &format!("g++ {}", source.display()))?;
        std::fs::rename(&partial, &binary)
            .map_err(|e| RunError::Build(format!("{}: {e}", binary.display())))?;
    }
    Ok(Prepared {
        program: binary,
        args: Vec::new(),
        env: Vec::new(),
    })
}

fn prepare_rust(function: &Function, dir: &Path) -> Result<Prepared, RunError> {
    // One target folder per allocator: the binaries have the same names.
    let (target, features) = match function.allocator {
        Allocator::System => (dir.join(".build/rust"), ""),
        Allocator::Memento => (dir.join(".build/rust-memento"), "memento-alloc"),
    };
    let mut cargo = Command::new("nice");
    cargo
        .args(["-n", "10", "cargo", "build", "--quiet", "--release"])
        .args(["-p", "memento-rust-functions", "--bin", &function.entry])
        .args(["--features", features])
        .arg("--manifest-path")
        .arg(dir.join("rust-functions/Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target);
    run_build(cargo, &format!("cargo build --bin {}", function.entry))?;
    Ok(Prepared {
        program: target.join("release").join(&function.entry),
        args: Vec::new(),
        env: Vec::new(),
    })
}
