//! An output folder: `experiment.toml` (a copy of the experiment file),
//! `plan.json` (every run's key in plan order with its shard, schema
//! `memento-batch-plan/1`), `runs/KEY.json` (one record per finished run,
//! schema `memento-batch-run/1`) and `results.csv`. Every file is written
//! under a temporary name and renamed when complete.

use std::io::Write;
use std::path::{Path, PathBuf};

use memento_analysis::record::{RunRecord, RUN_SCHEMA};
use memento_trace::atomic::AtomicFile;
use serde::{Deserialize, Serialize};

use crate::plan::{Plan, Shard};
use crate::BatchError;

/// The schema name and version of `plan.json`.
pub const PLAN_SCHEMA: &str = "memento-batch-plan/1";

/// `plan.json`: the whole plan, whichever shard the folder holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanFile {
    /// [`PLAN_SCHEMA`].
    pub schema: String,
    /// Shards the plan was split into.
    pub shards: u32,
    /// Every run, in plan order.
    pub runs: Vec<PlanEntry>,
}

/// One run of `plan.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanEntry {
    /// Its key.
    pub key: String,
    /// The shard that runs it.
    pub shard: u32,
    /// Its workload.
    pub workload: String,
    /// Its machine's label.
    pub config: String,
    /// Its mode.
    pub mode: String,
    /// Its seed.
    pub seed: u64,
}

impl PlanFile {
    /// The plan split into `shards`.
    pub fn of(plan: &Plan, shards: u32) -> PlanFile {
        PlanFile {
            schema: PLAN_SCHEMA.into(),
            shards,
            runs: plan
                .runs
                .iter()
                .map(|r| PlanEntry {
                    key: r.key.clone(),
                    shard: Shard::of(r.index, shards),
                    workload: r.workload.clone(),
                    config: plan.label(r).to_string(),
                    mode: r.kind.mode_name(),
                    seed: r.seed,
                })
                .collect(),
        }
    }
}

impl PlanEntry {
    /// The run as messages name it.
    pub fn describe(&self) -> String {
        format!(
            "run {} (workload {}, config {}, mode {}, seed {})",
            self.key, self.workload, self.config, self.mode, self.seed
        )
    }
}

/// A batch output folder.
#[derive(Clone, Debug)]
pub struct Folder {
    /// Its path.
    pub dir: PathBuf,
}

impl Folder {
    /// The folder at `dir` (nothing is read or created).
    pub fn at(dir: &Path) -> Folder {
        Folder {
            dir: dir.to_path_buf(),
        }
    }

    /// Creates the folder and its `runs/`.
    pub fn create(dir: &Path) -> Result<Folder, BatchError> {
        let f = Folder::at(dir);
        std::fs::create_dir_all(f.runs())
            .map_err(|e| BatchError::file(dir, format!("cannot create it: {e}")))?;
        Ok(f)
    }

    /// `runs/`.
    pub fn runs(&self) -> PathBuf {
        self.dir.join("runs")
    }

    /// `runs/KEY.json`.
    pub fn run(&self, key: &str) -> PathBuf {
        self.runs().join(format!("{key}.json"))
    }

    /// `experiment.toml`.
    pub fn experiment(&self) -> PathBuf {
        self.dir.join("experiment.toml")
    }

    /// `plan.json`.
    pub fn plan(&self) -> PathBuf {
        self.dir.join("plan.json")
    }

    /// `results.csv`.
    pub fn results(&self) -> PathBuf {
        self.dir.join("results.csv")
    }

    /// Makes the folder hold the experiment of `text`: copies it in, or
    /// checks that the copy already there is the same (a folder holds one
    /// experiment's runs).
    pub fn claim(&self, text: &str) -> Result<(), BatchError> {
        match std::fs::read_to_string(self.experiment()) {
            Ok(old) if old == text => Ok(()),
            Ok(_) => Err(BatchError::file(
                &self.dir,
                "holds the runs of another experiment (its experiment.toml differs): \
                 give another --out, or remove the folder",
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                write_atomic(&self.experiment(), text.as_bytes())
            }
            Err(e) => Err(BatchError::file(
                &self.experiment(),
                format!("cannot read it: {e}"),
            )),
        }
    }

    /// Writes `plan.json`.
    pub fn write_plan(&self, plan: &PlanFile) -> Result<(), BatchError> {
        write_atomic(&self.plan(), json(plan).as_bytes())
    }

    /// Reads `plan.json`.
    pub fn read_plan(&self) -> Result<PlanFile, BatchError> {
        let path = self.plan();
        let text = std::fs::read_to_string(&path).map_err(|e| {
            BatchError::file(
                &path,
                format!("cannot read it ({e}): is this a batch folder?"),
            )
        })?;
        let plan: PlanFile = serde_json::from_str(&text)
            .map_err(|e| BatchError::file(&path, format!("not a batch plan: {e}")))?;
        if plan.schema != PLAN_SCHEMA {
            return Err(BatchError::at(
                &path,
                "schema",
                format!("`{}` is not {PLAN_SCHEMA}", plan.schema),
            ));
        }
        Ok(plan)
    }

    /// The record of run `key`, when its file exists.
    pub fn read_record(&self, key: &str) -> Option<Result<RunRecord, BatchError>> {
        let path = self.run(key);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => return Some(Err(BatchError::file(&path, format!("cannot read it: {e}")))),
        };
        Some(parse_record(&path, key, &bytes))
    }

    /// Writes a run's record to `runs/KEY.json`.
    pub fn write_record(&self, record: &RunRecord) -> Result<(), BatchError> {
        write_atomic(&self.run(&record.key), json(record).as_bytes())
    }
}

/// The record in `bytes`, read from `path`, which must be run `key`'s.
pub fn parse_record(path: &Path, key: &str, bytes: &[u8]) -> Result<RunRecord, BatchError> {
    let r: RunRecord = serde_json::from_slice(bytes)
        .map_err(|e| BatchError::file(path, format!("not a run record: {e}")))?;
    if r.schema != RUN_SCHEMA {
        return Err(BatchError::at(
            path,
            "schema",
            format!("`{}` is not {RUN_SCHEMA}", r.schema),
        ));
    }
    if r.key != key {
        return Err(BatchError::at(
            path,
            "key",
            format!("`{}` is not the file's name {key}", r.key),
        ));
    }
    Ok(r)
}

/// Pretty JSON with a final line break.
fn json<T: Serialize>(value: &T) -> String {
    let mut s = serde_json::to_string_pretty(value).expect("plain data serialises");
    s.push('\n');
    s
}

/// Writes `bytes` to `path` under a temporary name, renamed when complete.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), BatchError> {
    let mut f = AtomicFile::create(path).map_err(|e| BatchError(e.to_string()))?;
    f.write_all(bytes)
        .map_err(|e| BatchError::file(path, format!("cannot write it: {e}")))?;
    f.commit().map_err(|e| BatchError(e.to_string()))
}
