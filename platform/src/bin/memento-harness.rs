//! The platform layer's native side: a Rust function of the suite
//! (`rs_json`'s serde_json transform) run many times in one process on
//! `memento-alloc`, under each memory policy the node model applies:
//!
//! - `plain`: invocation after invocation;
//! - `harvest`: `memento_alloc::harvest` between invocations (Freyr-style);
//! - `snapshot`: an allocator snapshot after a warm-up invocation, restored
//!   after every invocation (a hot start's rollback of ephemeral memory);
//! - `snapshot-harvest`: both.
//!
//! Each policy runs in a child process of its own (so that their RSS do
//! not mix); the parent prints latency and RSS per policy.
//!
//! ```sh
//! cargo run --release -p memento-platform --bin memento-harness -- --invocations 200 [--json]
//! ```

use std::process::{Command, ExitCode};
use std::time::Instant;

use memento_alloc::{Memento, Snapshot};
use memento_platform::node::percentile;
use memento_platform::report::mib;
use memento_rust_functions::json_transform;

#[global_allocator]
static GLOBAL: Memento = Memento;

const POLICIES: [&str; 4] = ["plain", "harvest", "snapshot", "snapshot-harvest"];

/// Resident memory of this process, bytes.
fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    // SAFETY: sysconf(_SC_PAGESIZE) only reads a constant.
    pages * unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as u64
}

/// One policy, in this process: prints one JSON line.
fn run_policy(policy: &str, n: usize) -> Result<(), String> {
    let (snapshot, harvest) = match policy {
        "plain" => (false, false),
        "harvest" => (false, true),
        "snapshot" => (true, false),
        "snapshot-harvest" => (true, true),
        other => {
            return Err(format!(
                "--policy: unknown policy '{other}' (one of {})",
                POLICIES.join(", ")
            ))
        }
    };
    let input = json_transform::make_input();
    // The warm-up invocation; its answer is what every later one must give.
    let first = json_transform::handler(&input);
    // Everything the loop keeps is allocated before the snapshot: a restore
    // frees whatever was allocated after it.
    let mut latencies = Vec::with_capacity(n);
    let mut rss = Vec::with_capacity(n);
    let mut harvested = 0u64;
    let mut mismatches = 0u64;
    let snap = snapshot.then(Snapshot::take);
    let rss_at_snapshot = rss_bytes();
    for _ in 0..n {
        let start = Instant::now();
        let out = json_transform::handler(&input);
        latencies.push(start.elapsed().as_micros() as u64);
        mismatches += u64::from(out != first);
        drop(out);
        if let Some(s) = &snap {
            // SAFETY: every block allocated since the snapshot (the
            // invocation's) is dropped, and this thread took the snapshot.
            unsafe { s.restore() }.map_err(|e| format!("restore: {e:?}"))?;
        }
        if harvest {
            harvested += memento_alloc::harvest(usize::MAX) as u64;
        }
        rss.push(rss_bytes());
    }
    drop(snap);
    latencies.sort_unstable();
    println!(
        "{{\"policy\":\"{policy}\",\"invocations\":{n},\"p50_us\":{},\"p99_us\":{},\"rss_mib_mean\":{:.2},\"rss_mib_max\":{:.2},\"rss_mib_at_snapshot\":{:.2},\"harvested_mib\":{:.2},\"mismatches\":{mismatches}}}",
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        mib(rss.iter().sum::<u64>() / n as u64),
        mib(*rss.iter().max().expect("n >= 1")),
        mib(rss_at_snapshot),
        mib(harvested),
    );
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let mut n = 100usize;
    let mut policy = None;
    let mut json = false;
    let mut i = 1;
    while i < args.len() {
        match args[i].as_str() {
            "--invocations" => {
                match args
                    .get(i + 1)
                    .and_then(|v| v.parse().ok())
                    .filter(|&v| v >= 1)
                {
                    Some(v) => n = v,
                    None => {
                        eprintln!("memento-harness: --invocations takes a number >= 1");
                        return ExitCode::from(2);
                    }
                }
                i += 1;
            }
            "--policy" => {
                policy = args.get(i + 1).cloned();
                i += 1;
            }
            "--json" => json = true,
            other => {
                eprintln!("memento-harness: unknown argument '{other}' (--invocations N, --policy P, --json)");
                return ExitCode::from(2);
            }
        }
        i += 1;
    }
    if let Some(p) = policy {
        return match run_policy(&p, n) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("memento-harness: {e}");
                ExitCode::from(2)
            }
        };
    }
    let me = std::env::current_exe().expect("own path");
    if !json {
        println!("rs_json x {n} on memento-alloc, one process per policy");
        println!(
            "{:<18} {:>8} {:>8} {:>10} {:>10} {:>12} {:>10}",
            "policy", "p50 us", "p99 us", "RSS MiB", "max MiB", "harvested", "wrong"
        );
    }
    for p in POLICIES {
        let out = Command::new(&me)
            .args(["--policy", p, "--invocations", &n.to_string()])
            .output()
            .expect("the harness runs itself");
        if !out.status.success() {
            eprint!("{}", String::from_utf8_lossy(&out.stderr));
            return ExitCode::FAILURE;
        }
        let line = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if json {
            println!("{line}");
        } else {
            let field = |k: &str| {
                let at = line
                    .find(&format!("\"{k}\":"))
                    .map(|i| i + k.len() + 3)
                    .unwrap_or(0);
                line[at..]
                    .split([',', '}'])
                    .next()
                    .unwrap_or("")
                    .to_string()
            };
            println!(
                "{:<18} {:>8} {:>8} {:>10} {:>10} {:>12} {:>10}",
                p,
                field("p50_us"),
                field("p99_us"),
                field("rss_mib_mean"),
                field("rss_mib_max"),
                field("harvested_mib"),
                field("mismatches")
            );
        }
    }
    ExitCode::SUCCESS
}
