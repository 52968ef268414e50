//! The experiment file (TOML): what to run. Every field is checked, an
//! unknown one is an error, and every error names the file and the field
//! (`exp.toml: sweep."llc.sets": ...`). Paths and globs are relative to
//! the file's folder.
//!
//! ```toml
//! traces = ["../traces/samples/*-warm.mtrace"]   # globs; each must match
//! scenarios = ["node.toml"]                      # platform scenarios (mode `platform`)
//! modes = ["baseline", "memento"]                # default; any of memento compare's
//! seeds = [1, 2]                                 # default: each machine's own seed
//!
//! [machine]
//! presets = ["small"]                            # default ["micro23"] when no file
//! files = ["my-machine.toml"]
//!
//! [sweep]                                        # dotted config paths -> values
//! "llc.sets" = [2048, 8192]
//! "memento.bypass_alloc" = [true, false]
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use memento_analysis::compare::Mode;
use serde::Deserialize;

use crate::BatchError;

/// The longest experiment file read: 1 MiB (a list of globs is short).
const MAX_BYTES: u64 = 1 << 20;

/// The file as it is spelled.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    traces: Vec<String>,
    #[serde(default)]
    scenarios: Vec<String>,
    #[serde(default)]
    machine: MachineSection,
    #[serde(default)]
    sweep: BTreeMap<String, toml::Value>,
    #[serde(default = "default_modes")]
    modes: Vec<String>,
    seeds: Option<Vec<u64>>,
}

fn default_modes() -> Vec<String> {
    vec!["baseline".into(), "memento".into()]
}

/// `[machine]`: where the machines start from.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MachineSection {
    /// Built-in presets (`memento config show NAME`).
    #[serde(default)]
    pub presets: Vec<String>,
    /// Machine config files, relative to the experiment's folder.
    #[serde(default)]
    pub files: Vec<String>,
}

/// An experiment, read and checked; its machines are resolved by
/// [`crate::machines`].
#[derive(Clone, Debug)]
pub struct Experiment {
    /// The file it was read from.
    pub path: PathBuf,
    /// Its text, as read (copied into each output folder).
    pub text: String,
    /// The trace files the globs matched, in the globs' order, each file
    /// once, each glob's matches in name order.
    pub traces: Vec<PathBuf>,
    /// The platform scenario files.
    pub scenarios: Vec<PathBuf>,
    /// `[machine]`, with presets defaulting to `micro23` when it names
    /// nothing.
    pub machine: MachineSection,
    /// The swept parameters (dotted config paths) and their values, in
    /// key order.
    pub sweep: Vec<(String, Vec<toml::Value>)>,
    /// The modes of each trace.
    pub modes: Vec<Mode>,
    /// The seeds; `None`: each machine's own.
    pub seeds: Option<Vec<u64>>,
}

impl Experiment {
    /// Reads and checks the experiment at `path`.
    pub fn load(path: &Path) -> Result<Experiment, BatchError> {
        let size = std::fs::metadata(path)
            .map_err(|e| BatchError::file(path, format!("cannot read it: {e}")))?
            .len();
        if size > MAX_BYTES {
            return Err(BatchError::file(
                path,
                format!("{size} bytes is too long for an experiment file (at most {MAX_BYTES})"),
            ));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| BatchError::file(path, format!("cannot read it: {e}")))?;
        Experiment::parse(path, text)
    }

    /// Checks `text`, the experiment file at `path` (globs and files are
    /// resolved against its folder).
    pub fn parse(path: &Path, text: String) -> Result<Experiment, BatchError> {
        let de = toml::Deserializer::parse(&text)
            .map_err(|e| BatchError::at(path, "(syntax)", one_line(&e.to_string())))?;
        let file: File = serde_path_to_error::deserialize(de).map_err(|e| {
            let field = e.path().to_string();
            let field = if field == "." {
                "(top level)".into()
            } else {
                field
            };
            BatchError::at(path, &field, one_line(e.inner().message()))
        })?;
        let dir = path.parent().unwrap_or(Path::new(""));
        let traces = expand(path, dir, "traces", &file.traces)?;
        let scenarios = expand(path, dir, "scenarios", &file.scenarios)?;
        if traces.is_empty() && scenarios.is_empty() {
            return Err(BatchError::at(
                path,
                "traces",
                "nothing to run: give trace globs (traces = [...]) or scenarios",
            ));
        }
        if file.modes.is_empty() {
            return Err(BatchError::at(path, "modes", "give at least one mode"));
        }
        let mut modes = Vec::new();
        for (i, m) in file.modes.iter().enumerate() {
            let mode: Mode = m
                .parse()
                .map_err(|e| BatchError::at(path, &format!("modes[{i}]"), e))?;
            if modes.contains(&mode) {
                return Err(BatchError::at(
                    path,
                    &format!("modes[{i}]"),
                    format!("`{m}` is named twice"),
                ));
            }
            modes.push(mode);
        }
        if let Some(seeds) = &file.seeds {
            if seeds.is_empty() {
                return Err(BatchError::at(
                    path,
                    "seeds",
                    "give at least one seed, or leave seeds out for each machine's own",
                ));
            }
            if let Some(i) = (1..seeds.len()).find(|&i| seeds[..i].contains(&seeds[i])) {
                return Err(BatchError::at(
                    path,
                    &format!("seeds[{i}]"),
                    format!("{} is named twice", seeds[i]),
                ));
            }
        }
        let mut machine = file.machine;
        if machine.presets.is_empty() && machine.files.is_empty() {
            machine.presets.push("micro23".into());
        }
        let mut sweep = Vec::new();
        for (key, values) in file.sweep {
            let field = format!("sweep.{key:?}");
            let values = match values {
                toml::Value::Array(v) if !v.is_empty() => v,
                toml::Value::Array(_) => {
                    return Err(BatchError::at(path, &field, "give at least one value"))
                }
                other => {
                    return Err(BatchError::at(
                        path,
                        &field,
                        format!("give a list of values ([{other}]), not one value"),
                    ))
                }
            };
            if let Some(i) = (1..values.len()).find(|&i| values[..i].contains(&values[i])) {
                return Err(BatchError::at(
                    path,
                    &format!("{field}[{i}]"),
                    format!("{} is named twice", values[i]),
                ));
            }
            sweep.push((key, values));
        }
        Ok(Experiment {
            path: path.to_path_buf(),
            text,
            traces,
            scenarios,
            machine,
            sweep,
            modes,
            seeds: file.seeds,
        })
    }

    /// The experiment's folder, where its relative paths start.
    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new(""))
    }
}

/// The files that each glob of `field` matches, relative to `dir`: each
/// glob must match at least one file; a file matched twice is kept once.
fn expand(
    exp: &Path,
    dir: &Path,
    field: &str,
    globs: &[String],
) -> Result<Vec<PathBuf>, BatchError> {
    let mut files: Vec<PathBuf> = Vec::new();
    for (i, pattern) in globs.iter().enumerate() {
        let at = format!("{field}[{i}]");
        let full = dir.join(pattern);
        let full = full
            .to_str()
            .ok_or_else(|| BatchError::at(exp, &at, "the path is not UTF-8"))?;
        let matches = glob::glob(full)
            .map_err(|e| BatchError::at(exp, &at, format!("bad glob {pattern:?}: {e}")))?;
        let mut found = 0;
        for m in matches {
            let m = m.map_err(|e| BatchError::at(exp, &at, e))?;
            if !m.is_file() {
                continue;
            }
            found += 1;
            if !files.contains(&m) {
                files.push(m);
            }
        }
        if found == 0 {
            return Err(BatchError::at(
                exp,
                &at,
                format!("{pattern:?} matches no file (in {})", shown(dir)),
            ));
        }
    }
    Ok(files)
}

/// A folder as messages show it: `.` for the working folder.
fn shown(dir: &Path) -> String {
    if dir.as_os_str().is_empty() {
        ".".into()
    } else {
        dir.display().to_string()
    }
}

/// A message of several lines (a TOML parse error shows the line at fault
/// and a caret) as one: its first line, which says where, and its last,
/// which says what.
pub(crate) fn one_line(message: &str) -> String {
    let mut lines = message.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("").trim_end_matches(':');
    match lines.next_back() {
        Some(last) if last != first => format!("{first}: {last}"),
        _ => first.to_string(),
    }
}
