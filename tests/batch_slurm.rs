//! `memento batch` on a real Slurm: a one-node cluster (munged, slurmctld
//! and slurmd from Debian's packages, started by
//! `scripts/slurm-one-node.sh`, which installs them when missing) runs a
//! small experiment as a job array through `sbatch`; the shards, merged,
//! give the table a local `batch run` gives. The daemons are stopped by
//! the PIDs the script kept, whatever happens. Needs root, as Slurm's
//! daemons run as root here. About 15 s.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::{memento, sample_file, stderr, stdout};

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/slurm-one-node.sh")
}

/// The cluster of the script, stopped when dropped.
struct Cluster {
    dir: PathBuf,
    conf: PathBuf,
}

impl Cluster {
    fn start(dir: &Path) -> Cluster {
        let out = Command::new("bash")
            .arg(script())
            .args(["start", dir.to_str().unwrap()])
            .output()
            .expect("bash runs");
        let cluster = Cluster {
            dir: dir.to_path_buf(),
            conf: dir.join("slurm.conf"),
        };
        assert!(
            out.status.success(),
            "scripts/slurm-one-node.sh start failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        cluster
    }

    /// A Slurm client command against this cluster.
    fn client(&self, program: &str, args: &[&str]) -> Output {
        Command::new(program)
            .env("SLURM_CONF", &self.conf)
            .env(
                "PATH",
                format!("{}:/usr/sbin", std::env::var("PATH").unwrap()),
            )
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{program} runs: {e}"))
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(script())
            .args(["stop", self.dir.to_str().unwrap()])
            .status();
    }
}

fn pid_alive(file: &Path) -> Option<bool> {
    let pid = std::fs::read_to_string(file).ok()?;
    Some(Path::new("/proc").join(pid.trim()).exists())
}

#[test]
fn a_job_array_of_shards_merged_gives_the_local_batch_table() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let exp = root.join("exp.toml");
    std::fs::write(
        &exp,
        format!(
            "traces = [{:?}, {:?}]\nmodes = [\"baseline\", \"memento\"]\n\
             [machine]\npresets = [\"small\"]\n[sweep]\n\"llc.sets\" = [64, 256]\n",
            sample_file("json-warm.mtrace"),
            sample_file("rsjson-warm.mtrace"),
        ),
    )
    .unwrap();
    let sharded = root.join("sharded");
    let job = root.join("job.sh");
    let plan = memento(&[
        "batch",
        "plan",
        exp.to_str().unwrap(),
        "--shards",
        "3",
        "--emit",
        "slurm",
        "--out",
        sharded.to_str().unwrap(),
        "--script",
        job.to_str().unwrap(),
    ]);
    assert!(plan.status.success(), "{}", stderr(&plan));

    let cluster = Cluster::start(&root.join("cluster"));
    let submitted = cluster.client("sbatch", &["--parsable", job.to_str().unwrap()]);
    assert!(submitted.status.success(), "sbatch: {}", stderr(&submitted));
    let job_id = stdout(&submitted).trim().to_string();
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let queue = cluster.client("squeue", &["-h", "-j", &job_id]);
        if stdout(&queue).trim().is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "job {job_id} still queued after 180 s:\n{}",
            stdout(&queue)
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    let shown = stdout(&cluster.client("scontrol", &["show", "job", &job_id]));
    let states: Vec<&str> = shown
        .split_whitespace()
        .filter(|w| w.starts_with("JobState=") || w.starts_with("ExitCode="))
        .collect();
    assert_eq!(
        states,
        ["JobState=COMPLETED", "ExitCode=0:0"].repeat(3),
        "{shown}"
    );
    let pids: Vec<PathBuf> = ["slurmd", "slurmctld"]
        .iter()
        .map(|d| cluster.dir.join(format!("{d}.started")))
        .collect();
    drop(cluster);
    for pid in &pids {
        assert_eq!(pid_alive(pid), None, "{} left behind", pid.display());
    }

    let shards: Vec<String> = (0..3)
        .map(|i| sharded.join(format!("shard-{i}")).display().to_string())
        .collect();
    let merged = root.join("merged");
    let mut args = vec!["batch", "merge"];
    args.extend(shards.iter().map(String::as_str));
    args.extend(["--out", merged.to_str().unwrap()]);
    let merge = memento(&args);
    assert!(merge.status.success(), "merge: {}", stderr(&merge));

    let local = root.join("local");
    let run = memento(&[
        "batch",
        "run",
        exp.to_str().unwrap(),
        "--out",
        local.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let table = |d: &Path| std::fs::read_to_string(d.join("results.csv")).unwrap();
    assert_eq!(table(&merged), table(&local));
    assert_eq!(table(&local).lines().count(), 1 + 2 * 2 * 2);
}
