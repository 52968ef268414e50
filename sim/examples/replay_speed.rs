//! Replay speed outside criterion: `cargo run --release -p memento-sim
//! --example replay_speed -- [events] [--hot] [--trace FILE] [--preset NAME]
//! [--json FILE]` prints events per second of CPU time (wall time is
//! misleading on a shared machine).
//! Without `--trace` it replays the synthetic stream of the benchmark;
//! `--hot` keeps every data access in its 16 KiB hot region (L1D hits).
//! `--trace` replays a Memento trace file instead, as `memento replay` does.
//! `--preset` picks the machine (default `micro23`, one core).
//! `--repeat N` replays N times on fresh machines and reports the total (a
//! short trace is then timed over more than a few clock ticks).
//! `--json` writes the run's `report::json`, to check that a change to the
//! simulator's speed left its results bit-identical.

use memento_sim::{report, Config, Machine, Stats};
use memento_trace::TraceFile;
#[path = "../benches/support/synthetic.rs"]
mod synthetic;

use synthetic::Synthetic;

fn cpu_seconds() -> f64 {
    // /proc/self/stat fields 14 and 15: user and system time in clock ticks.
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

/// The value after `flag`, if given.
fn option<'a>(args: &'a [String], flag: &str) -> Option<&'a String> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let events: u64 = args
        .iter()
        .find_map(|a| a.parse().ok())
        .unwrap_or(20_000_000);
    let hot = args.iter().any(|a| a == "--hot");
    let json = option(&args, "--json");
    let trace = option(&args, "--trace");
    let preset = option(&args, "--preset").map_or("micro23", String::as_str);
    let repeat: u64 = option(&args, "--repeat").map_or(1, |n| n.parse().unwrap());
    let mut config = Config::preset(preset).unwrap();
    config.cores = 1;
    let wall = std::time::Instant::now();
    let cpu = cpu_seconds();
    let mut last = None;
    for _ in 0..repeat {
        last = Some(replay(&config, trace, hot, events));
    }
    let (what, stats) = last.expect("at least one run");
    let cpu = cpu_seconds() - cpu;
    let wall = wall.elapsed().as_secs_f64();
    let events = stats.events * repeat;
    println!(
        "{what}, {preset}: {events} events, {:.1} M events/s of CPU time ({cpu:.2} s), {:.1} M/s wall ({wall:.2} s); IPC {:.3}, DRAM reads {}",
        events as f64 / cpu / 1e6,
        events as f64 / wall / 1e6,
        stats.instructions as f64 / stats.cycles as f64,
        stats.dram.reads.transfers()
    );
    if let Some(path) = json {
        std::fs::write(path, report::json(&stats)).expect("the JSON file can be written");
    }
}

/// One replay of the trace file, or of the synthetic stream.
fn replay(config: &Config, trace: Option<&String>, hot: bool, events: u64) -> (String, Stats) {
    let machine = Machine::new(config).unwrap();
    match trace {
        Some(path) => {
            let file = TraceFile::open(path).unwrap();
            let stats = machine.run_fallible(vec![file.events()], false).unwrap();
            (path.clone(), stats)
        }
        None => {
            let stream = if hot {
                Synthetic::hot(events)
            } else {
                Synthetic::new(events)
            };
            let what = format!("synthetic{}", if hot { " (hot)" } else { "" });
            (what, machine.run(vec![stream]).unwrap())
        }
    }
}
