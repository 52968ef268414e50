//! Joining the folders of a plan's shards (run on one machine each) into
//! one. Every folder must come from the same experiment and plan (their
//! `experiment.toml` and `plan.json` the same); every run of the plan must
//! be in exactly one of them. A run missing is an error naming it and the
//! shard that should have had it; a run in two folders is an error naming
//! both, even when the two records are the same byte for byte (a folder
//! given twice, or shards numbered wrong), unless duplicates are allowed:
//! then copies the same byte for byte are taken once, and records that
//! differ are still an error.

use std::path::{Path, PathBuf};

use crate::folder::{parse_record, write_atomic, Folder, PlanFile};
use crate::{results, BatchError};

/// How a merge went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Merged {
    /// Runs in the plan (all now in the output folder).
    pub runs: usize,
    /// Of them, failed.
    pub failed: usize,
}

/// Joins the folders `dirs` into `out` (which may be one of them): copies
/// every run record, `experiment.toml` and `plan.json`, and writes
/// `results.csv` in plan order.
pub fn merge(dirs: &[PathBuf], out: &Path, allow_duplicates: bool) -> Result<Merged, BatchError> {
    let first = dirs
        .first()
        .ok_or_else(|| BatchError("give the shards' folders to merge".into()))?;
    let folders: Vec<Folder> = dirs.iter().map(|d| Folder::at(d)).collect();
    let read = |f: &Folder| -> Result<(String, PlanFile), BatchError> {
        let exp = std::fs::read_to_string(f.experiment()).map_err(|e| {
            BatchError::file(
                &f.experiment(),
                format!(
                    "cannot read it ({e}): is {} a batch folder?",
                    f.dir.display()
                ),
            )
        })?;
        Ok((exp, f.read_plan()?))
    };
    let (experiment, plan) = read(&folders[0])?;
    for f in &folders[1..] {
        let (e, p) = read(f)?;
        if e != experiment {
            return Err(BatchError::file(
                &f.dir,
                format!(
                    "its experiment.toml differs from that of {}: merge the shards of one experiment",
                    first.display()
                ),
            ));
        }
        if p != plan {
            return Err(BatchError::file(
                &f.dir,
                format!(
                    "its plan.json differs from that of {} (another shard count, or the inputs \
                     changed between shards): run every shard of one plan",
                    first.display()
                ),
            ));
        }
    }
    let mut missing = Vec::new();
    let mut chosen: Vec<(usize, Vec<u8>)> = Vec::new();
    for entry in &plan.runs {
        let mut found: Option<(usize, Vec<u8>)> = None;
        for (i, f) in folders.iter().enumerate() {
            let path = f.run(&entry.key);
            let bytes = match std::fs::read(&path) {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(BatchError::file(&path, format!("cannot read it: {e}"))),
            };
            parse_record(&path, &entry.key, &bytes)?;
            if let Some((j, old)) = &found {
                if !allow_duplicates || *old != bytes {
                    let how = if *old == bytes {
                        "the same record; pass --allow-duplicates to take it once"
                    } else {
                        "with different records"
                    };
                    return Err(BatchError(format!(
                        "{} is in both {} and {} ({how}): give each shard's folder once",
                        entry.describe(),
                        dirs[*j].display(),
                        dirs[i].display()
                    )));
                }
                continue;
            }
            found = Some((i, bytes));
        }
        match found {
            Some(f) => chosen.push(f),
            None => missing.push(entry),
        }
    }
    if let Some(m) = missing.first() {
        let more = match missing.len() {
            1 => String::new(),
            n => format!(" (and {} more run(s) missing)", n - 1),
        };
        return Err(BatchError(format!(
            "{} is missing: shard {}/{} should have it, and no folder given holds it{more}",
            m.describe(),
            m.shard,
            plan.shards
        )));
    }
    let target = Folder::create(out)?;
    let mut records = Vec::new();
    for (entry, (i, bytes)) in plan.runs.iter().zip(&chosen) {
        let record = parse_record(&folders[*i].run(&entry.key), &entry.key, bytes)?;
        if !same_file(&folders[*i].run(&entry.key), &target.run(&entry.key)) {
            write_atomic(&target.run(&entry.key), bytes)?;
        }
        records.push(record);
    }
    target.claim(&experiment)?;
    target.write_plan(&plan)?;
    write_atomic(&target.results(), results::csv(&records).as_bytes())?;
    Ok(Merged {
        runs: records.len(),
        failed: records.iter().filter(|r| r.failed()).count(),
    })
}

/// Whether `a` and `b` are the same existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
