//! `memento report`: a batch folder's runs (`DIR/runs/*.json`, each a
//! [`RunRecord`]) as a Markdown summary with plots.
//!
//! This file loads the records and groups them: the replayed runs of one
//! workload on one machine configuration and seed are compared as
//! `memento compare` compares them (baseline against Memento, and the
//! ideal Mallacc when it ran), so every figure is `compare`'s. `tables.rs`
//! writes the Markdown, `plots.rs` the plots, `hot.rs` the hot code.
//!
//! **Order.** Everything is sorted, so that the same runs give the same
//! report byte for byte: workloads by name; configurations by their swept
//! parameters' values (numbers by value, other values as text: `false`
//! before `true`), then by label; a parameter's values likewise.

pub mod hot;
pub mod plots;
pub mod tables;

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use crate::compare::{self, CompareError, Comparison, Measured, Mode, Run};
use crate::record::{Outcome, RunRecord, RUN_SCHEMA};

pub use hot::{of_trace, Attribution, HotBlock, HotCode, HotSite, Instruction, Traced};
pub use plots::{plot_names, Metric, Plot};

/// A batch folder or run file that cannot be used, and why: one line for
/// the user, naming the file.
pub type ReportError = CompareError;

/// One run file, read.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// Its file name in `runs/`.
    pub file: String,
    /// What it holds.
    pub record: RunRecord,
}

/// Reads every `runs/*.json` of the batch folder `dir`, in file name
/// order. A file that is no run record is an error naming it; a folder
/// with no run is an error telling the user to run the batch first.
pub fn load(dir: &Path) -> Result<Vec<Loaded>, ReportError> {
    let runs = dir.join("runs");
    let none = || {
        CompareError::new(
            &runs,
            format!(
                "no run results here: run `memento batch run EXP.toml --out {}` first",
                dir.display()
            ),
        )
    };
    let entries = fs::read_dir(&runs).map_err(|_| none())?;
    let mut files: Vec<PathBuf> = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| CompareError::new(&runs, format!("cannot list the folder: {e}")))?
            .path();
        if path.extension().is_some_and(|e| e == "json") && path.is_file() {
            files.push(path);
        }
    }
    if files.is_empty() {
        return Err(none());
    }
    files.sort();
    files
        .iter()
        .map(|path| {
            let text = fs::read_to_string(path)
                .map_err(|e| CompareError::new(path, format!("cannot read it: {e}")))?;
            let record: RunRecord = serde_json::from_str(&text).map_err(|e| {
                CompareError::new(path, format!("not a run record ({RUN_SCHEMA}): {e}"))
            })?;
            if record.schema != RUN_SCHEMA {
                return Err(CompareError::new(
                    path,
                    format!(
                        "schema `{}` is not {RUN_SCHEMA}: make the report with the memento that ran the batch",
                        record.schema
                    ),
                ));
            }
            let file = path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            Ok(Loaded { file, record })
        })
        .collect()
}

/// A machine configuration of the batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigInfo {
    /// Its label: the preset or file, then `name=value` per swept
    /// parameter.
    pub label: String,
    /// Its swept parameters and their values.
    pub params: BTreeMap<String, String>,
}

impl ConfigInfo {
    /// A short name for plots: the parameters only (`llc.sets=64,
    /// memento.bypass_alloc=true`), or the label when it has none.
    pub fn short(&self) -> String {
        if self.params.is_empty() {
            self.label.clone()
        } else {
            let parts: Vec<String> = self
                .params
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            parts.join(", ")
        }
    }
}

/// The workloads compared on one configuration and seed.
#[derive(Clone, Debug)]
pub struct Compared {
    /// Index of the configuration in [`Batch::configs`].
    pub config: usize,
    /// The seed.
    pub seed: u64,
    /// `memento compare`'s figures of every workload with both a baseline
    /// and a Memento run, by name; its machine is the configuration's
    /// label.
    pub comparison: Comparison,
}

/// Replayed runs of a workload that lack a baseline or a Memento run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unpaired {
    /// The workload.
    pub workload: String,
    /// The configuration's label.
    pub config: String,
    /// The seed.
    pub seed: u64,
    /// The modes it has.
    pub modes: Vec<String>,
}

/// A parameter that takes more than one value in the batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Swept {
    /// Its dotted config path (`llc.sets`).
    pub name: String,
    /// Its values, in order (see the module documentation).
    pub values: Vec<String>,
}

/// A batch's runs, grouped.
#[derive(Clone, Debug)]
pub struct Batch {
    /// The batch folder.
    pub dir: PathBuf,
    /// Every run file read, in file name order.
    pub loaded: Vec<Loaded>,
    /// The configurations of replayed runs, in order.
    pub configs: Vec<ConfigInfo>,
    /// The comparisons, by configuration then seed.
    pub compared: Vec<Compared>,
    /// Workloads whose runs on a configuration cannot be compared.
    pub unpaired: Vec<Unpaired>,
    /// The swept parameters, by name.
    pub swept: Vec<Swept>,
    /// The seeds of replayed runs, in order.
    pub seeds: Vec<u64>,
}

/// Compares two parameter values: as numbers when both are, else as text.
pub fn natural(a: &str, b: &str) -> Ordering {
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.total_cmp(&y).then_with(|| a.cmp(b)),
        _ => a.cmp(b),
    }
}

/// The mode a record names, as `compare` names them.
fn mode_of(name: &str) -> Option<Mode> {
    name.parse().ok()
}

impl Batch {
    /// Groups the runs of `loaded`, read from the batch folder `dir`.
    /// A replayed run of an unknown mode, or two runs of the same
    /// workload, configuration, seed and mode, is an error naming the
    /// file.
    pub fn group(dir: &Path, loaded: Vec<Loaded>) -> Result<Batch, ReportError> {
        let runs_dir = dir.join("runs");
        // (config label, seed, workload) -> runs, runtime, first file.
        type Key = (String, u64, String);
        let mut groups: BTreeMap<Key, (Vec<Run>, String, String)> = BTreeMap::new();
        let mut configs: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        let mut seeds = BTreeSet::new();
        for l in &loaded {
            let r = &l.record;
            let Outcome::Replayed { stats, .. } = &r.outcome else {
                continue;
            };
            let at = runs_dir.join(&l.file);
            let mode = mode_of(&r.mode)
                .ok_or_else(|| CompareError::new(&at, format!("unknown mode `{}`", r.mode)))?;
            configs.insert(r.config.clone(), r.params.clone());
            seeds.insert(r.seed);
            let group = groups
                .entry((r.config.clone(), r.seed, r.workload.clone()))
                .or_insert_with(|| (Vec::new(), r.runtime.clone(), l.file.clone()));
            if group.0.iter().any(|run| run.mode == mode) {
                return Err(CompareError::new(
                    &at,
                    format!(
                        "the same run as runs/{} ({} on {}, mode {}, seed {}): remove one",
                        group.2, r.workload, r.config, r.mode, r.seed
                    ),
                ));
            }
            group.0.push(Run {
                mode,
                stats: stats.clone(),
            });
        }

        let mut configs: Vec<ConfigInfo> = configs
            .into_iter()
            .map(|(label, params)| ConfigInfo { label, params })
            .collect();
        configs.sort_by(|a, b| {
            let values = |c: &ConfigInfo| c.params.clone().into_iter().collect::<Vec<_>>();
            let (va, vb) = (values(a), values(b));
            va.iter()
                .zip(&vb)
                .map(|((ka, a), (kb, b))| ka.cmp(kb).then_with(|| natural(a, b)))
                .find(|o| o.is_ne())
                .unwrap_or_else(|| va.len().cmp(&vb.len()))
                .then_with(|| a.label.cmp(&b.label))
        });

        let mut compared = Vec::new();
        let mut unpaired = Vec::new();
        for (index, config) in configs.iter().enumerate() {
            for &seed in &seeds {
                let mut measured = Vec::new();
                for ((label, s, workload), (runs, runtime, file)) in &groups {
                    if *label != config.label || *s != seed {
                        continue;
                    }
                    let has = |m| runs.iter().any(|r| r.mode == m);
                    if has(Mode::BASELINE) && has(Mode::MEMENTO) {
                        let mut runs = runs.clone();
                        runs.sort_by_key(|r| r.mode);
                        measured.push(Measured {
                            name: workload.clone(),
                            runtime: runtime.clone(),
                            runs,
                            source: runs_dir.join(file),
                        });
                    } else {
                        let mut modes: Vec<String> =
                            runs.iter().map(|r| r.mode.to_string()).collect();
                        modes.sort();
                        unpaired.push(Unpaired {
                            workload: workload.clone(),
                            config: label.clone(),
                            seed,
                            modes,
                        });
                    }
                }
                if !measured.is_empty() {
                    compared.push(Compared {
                        config: index,
                        seed,
                        comparison: compare::compare(&config.label, measured)?,
                    });
                }
            }
        }

        let mut values: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for c in &configs {
            for (k, v) in &c.params {
                let list = values.entry(k.clone()).or_default();
                if !list.contains(v) {
                    list.push(v.clone());
                }
            }
        }
        let swept = values
            .into_iter()
            .filter(|(_, v)| v.len() > 1)
            .map(|(name, mut values)| {
                values.sort_by(|a, b| natural(a, b));
                Swept { name, values }
            })
            .collect();
        Ok(Batch {
            dir: dir.to_path_buf(),
            loaded,
            configs,
            compared,
            unpaired,
            swept,
            seeds: seeds.into_iter().collect(),
        })
    }

    /// The comparisons of the first seed, one per configuration that has
    /// one, in configuration order.
    pub fn first_seed(&self) -> impl Iterator<Item = &Compared> {
        let first = self.seeds.first().copied();
        self.compared.iter().filter(move |c| Some(c.seed) == first)
    }

    /// The workloads compared on any configuration, by name.
    pub fn workloads(&self) -> Vec<&str> {
        let names: BTreeSet<&str> = self
            .compared
            .iter()
            .flat_map(|c| c.comparison.workloads.iter().map(|w| w.name.as_str()))
            .collect();
        names.into_iter().collect()
    }

    /// The configuration where `swept`'s parameter has `value` and every
    /// other swept parameter its first value, if the batch ran it.
    pub fn config_along(&self, swept: &Swept, value: &str) -> Option<usize> {
        self.configs.iter().position(|c| {
            self.swept.iter().all(|s| {
                let want = if s.name == swept.name {
                    value
                } else {
                    s.values[0].as_str()
                };
                c.params.get(&s.name).is_none_or(|v| v == want)
            }) && c.params.get(&swept.name).is_some_and(|v| v == value)
        })
    }

    /// The figures of `workload` on configuration `config` (first seed).
    pub fn figures(&self, config: usize, workload: &str) -> Option<&compare::Figures> {
        self.first_seed()
            .find(|c| c.config == config)?
            .comparison
            .workloads
            .iter()
            .find(|w| w.name == workload)
            .map(|w| &w.figures)
    }
}

/// Where a report was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    /// The Markdown file.
    pub markdown: PathBuf,
    /// The plot files, SVG and PNG.
    pub plots: Vec<PathBuf>,
}

/// Builds the report of the batch folder `dir`: the Markdown into `out`
/// (default `DIR/report.md`) and the plots into `plot_dir` (default
/// `DIR/plots`), every file written atomically. Hot code is read from
/// each distinct trace the runs name, once; a trace or module file that
/// is missing is said in the report, not an error.
pub fn write(
    dir: &Path,
    out: Option<&Path>,
    plot_dir: Option<&Path>,
) -> Result<Written, ReportError> {
    let batch = Batch::group(dir, load(dir)?)?;
    let out = out.map_or_else(|| dir.join("report.md"), Path::to_path_buf);
    let plot_dir = plot_dir.map_or_else(|| dir.join("plots"), Path::to_path_buf);
    let plots = plots::write_all(&batch, &plot_dir)?;
    let hot = hot::of_batch(&batch);
    let link_base = relative(&plot_dir, out.parent().unwrap_or(Path::new("")));
    let markdown = tables::markdown(&batch, &hot, &link_base);
    memento_trace::atomic::write_atomically(&out, markdown.as_bytes())
        .map_err(|e| CompareError::new(&out, format!("cannot write the report: {e}")))?;
    Ok(Written {
        markdown: out,
        plots,
    })
}

/// `path` as the report links it from the folder `from`: relative when
/// `path` lies inside `from`, else as given.
fn relative(path: &Path, from: &Path) -> String {
    let inside = if from.as_os_str().is_empty() {
        Some(path)
    } else {
        path.strip_prefix(from).ok()
    };
    inside.unwrap_or(path).display().to_string()
}
