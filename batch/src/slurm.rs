//! The Slurm job array of a sharded plan: task `i` of `N` runs shard
//! `i/N` into a folder of its own, `DIR/shard-i`, so that no two tasks
//! write the same file; `memento batch merge DIR/shard-* --out DIR` joins
//! them once every task has ended. `DIR` must be on a file system every
//! node sees, and the binary and the experiment's files at the same
//! paths on every node.

use std::fmt::Write;
use std::path::Path;

/// What the script runs.
pub struct Script<'a> {
    /// The `memento` binary, an absolute path.
    pub binary: &'a Path,
    /// The experiment file, an absolute path.
    pub experiment: &'a Path,
    /// The output folder, an absolute path.
    pub out: &'a Path,
    /// Shards: array tasks.
    pub shards: u32,
    /// Threads per task (`--cpus-per-task` and `--jobs`), or Slurm's
    /// default of one.
    pub jobs: Option<u32>,
}

/// Quotes `text` for bash (single quotes).
fn sh(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

impl Script<'_> {
    /// The bash script for `sbatch`.
    pub fn render(&self) -> String {
        let path = |p: &Path| sh(&p.display().to_string());
        let out = self.out.display().to_string();
        let mut s = String::new();
        s += "#!/bin/bash\n";
        s += "# A memento batch as a Slurm job array: task i runs shard i of the plan\n";
        s += "# into its own folder. Submit with `sbatch THIS`; when every task has\n";
        s += "# ended, join the shards with\n";
        let _ = writeln!(
            s,
            "#   {} batch merge {}/shard-* --out {}",
            path(self.binary),
            sh(&out),
            sh(&out)
        );
        s += "#SBATCH --job-name=memento-batch\n";
        let _ = writeln!(s, "#SBATCH --array=0-{}", self.shards - 1);
        let _ = writeln!(s, "#SBATCH --output={out}/slurm-%A_%a.out");
        if let Some(j) = self.jobs {
            let _ = writeln!(s, "#SBATCH --cpus-per-task={j}");
        }
        s += "set -euo pipefail\n";
        let jobs = self.jobs.map_or(String::new(), |j| format!(" --jobs {j}"));
        let _ = writeln!(
            s,
            "exec {} batch run {} --shard \"$SLURM_ARRAY_TASK_ID/{}\" --out {}/\"shard-$SLURM_ARRAY_TASK_ID\"{jobs}",
            path(self.binary),
            path(self.experiment),
            self.shards,
            sh(&out)
        );
        s
    }
}
