//! `compare` on a trace of known structure: exact counts and signs in each
//! mode, the split adding up, determinism, and the JSON schema pinned.

use std::path::{Path, PathBuf};

use memento_analysis::compare::{self, print, Comparison, Mode};
use memento_sim::Config;
use memento_trace::{Alloc, AllocFn, AllocLevel, Event, Free, Header, TraceFileWriter};

/// Objects the trace allocates (then frees), and the instructions of each
/// traced allocator call.
const OBJECTS: u64 = 300;
const CALL: u64 = 40;
const HEAP: u64 = 0x5555_0000_0000;

fn call(func: AllocFn, event: Event, first: bool) -> Vec<Event> {
    let mut events = vec![Event::AllocEnter { func }, Event::Gap { count: CALL }];
    if first {
        // The allocator maps its heap in its first call, as malloc does.
        events.push(Event::Mmap {
            addr: HEAP,
            len: 1 << 20,
            prot: 3,
            flags: 0x22,
        });
    }
    events.extend([
        Event::Load {
            addr: HEAP + 8,
            size: 8,
        },
        Event::Store {
            addr: HEAP + 16,
            size: 8,
        },
        event,
        Event::AllocExit,
    ]);
    events
}

/// A function that allocates `OBJECTS` objects of 64 B, writes each, works
/// a little, then frees them all.
fn trace(dir: &Path) -> PathBuf {
    let path = dir.join("known.mtrace");
    let header = Header {
        workload: "known".into(),
        runtime: "cpp".into(),
        page_size: 4096,
        ..Header::default()
    };
    let mut w = TraceFileWriter::create(&path, &header).unwrap();
    let mut push = |e: Event| w.push(&e).unwrap();
    for i in 0..OBJECTS {
        let addr = HEAP + 4096 + 64 * i;
        let alloc = Alloc {
            func: AllocFn::Malloc,
            level: AllocLevel::Libc,
            size: 64,
            align: 0,
            addr,
            site: 0,
        };
        call(AllocFn::Malloc, Event::Alloc(alloc), i == 0)
            .into_iter()
            .for_each(&mut push);
        for k in 0..8 {
            push(Event::Store {
                addr: addr + 8 * k,
                size: 8,
            });
        }
        push(Event::Gap { count: 100 });
    }
    for i in 0..OBJECTS {
        let free = Free {
            func: AllocFn::Free,
            level: AllocLevel::Libc,
            addr: HEAP + 4096 + 64 * i,
            site: 0,
        };
        call(AllocFn::Free, Event::Free(free), false)
            .into_iter()
            .for_each(&mut push);
    }
    w.finish().unwrap();
    path
}

fn run(traces: &[PathBuf], ablate: bool) -> Comparison {
    let config = Config::preset("small").unwrap();
    let runtime = |f: &memento_trace::TraceFile| f.header().runtime.clone();
    let measured = compare::measure(&config, traces, ablate, &runtime, &|| {}).unwrap();
    compare::compare(&config.name, measured).unwrap()
}

fn stats(c: &Comparison, mode: Mode) -> &compare::RunStats {
    &c.workloads[0]
        .runs
        .iter()
        .find(|r| r.mode == mode)
        .unwrap()
        .stats
}

#[test]
fn a_trace_of_known_structure_gives_exact_counts_and_signs_in_each_mode() {
    let dir = tempfile::tempdir().unwrap();
    let c = run(&[trace(dir.path())], false);
    let (b, m, i) = (
        stats(&c, Mode::BASELINE),
        stats(&c, Mode::MEMENTO),
        stats(&c, Mode::IdealMallacc),
    );
    let calls = 2 * OBJECTS;
    assert_eq!(b.allocator_instructions, calls * CALL);
    // The ideal Mallacc removes every bracketed instruction; Memento puts
    // one obj-alloc or obj-free in place of each call.
    assert_eq!(b.instructions - i.instructions, calls * CALL);
    assert_eq!(
        c.workloads[0].figures.instructions_removed,
        (calls * (CALL - 1)) as i64
    );
    assert_eq!((m.allocator_instructions, i.allocator_instructions), (0, 0));
    // The heap's pages fault in the baseline (its metadata page and the
    // objects' 5 pages) and in the ideal Mallacc (the objects' only); the
    // region's pages come from the pool.
    assert_eq!(b.page_faults, 6);
    assert_eq!(i.page_faults, 5);
    assert_eq!(m.page_faults, 0);
    assert_eq!(
        m.hot_alloc.unwrap().hits + m.hot_alloc.unwrap().misses,
        OBJECTS
    );
    // Every new object's line is installed, so no demand read reaches DRAM.
    assert_eq!(m.dram_reads.demand, 0);
    assert_eq!(m.reads_avoided, OBJECTS);
    let f = &c.workloads[0].figures;
    assert!(f.speedup > 0.0, "{f:?}");
    assert!(f.ideal_mallacc_speedup.unwrap() > 0.0);
    assert!(f.dram_traffic_change < 0.0, "{f:?}");
    assert_eq!(f.page_faults_avoided, 6);
    assert!(f.kernel_cycles_avoided > 0);
    assert_eq!(c.workloads[0].runtime, "cpp");
    assert_eq!(c.summary.cpp_speedups.map(|s| s.0), Some(f.speedup));
}

#[test]
fn the_ablation_parts_add_up_to_the_speedup() {
    let dir = tempfile::tempdir().unwrap();
    let c = run(&[trace(dir.path())], true);
    let w = &c.workloads[0];
    assert_eq!(w.runs.len(), 17, "16 combinations and the ideal Mallacc");
    let split = w.figures.split.expect("a split with the ablation");
    assert!(
        (split.total() - w.figures.speedup).abs() < 1e-12,
        "{split:?}"
    );
    assert!(
        split.object_alloc > 0.0 && split.object_free > 0.0,
        "{split:?}"
    );
    let mean = c.summary.mean_split.unwrap();
    assert!((mean.total() - c.summary.mean_speedup).abs() < 1e-12);
    let shares = print::shares(&mean);
    assert!((shares.iter().sum::<f64>() - 1.0).abs() < 1e-12);
}

#[test]
fn results_do_not_depend_on_the_number_of_threads() {
    let dir = tempfile::tempdir().unwrap();
    let t = trace(dir.path());
    let traces = vec![t.clone(), t];
    let with = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| run(&traces, true))
    };
    assert_eq!(with(1), with(3));
}

/// Every key path of a JSON value, arrays as `[]`.
fn paths(v: &serde_json::Value, prefix: &str, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, x) in map {
                let p = format!("{prefix}.{k}");
                out.push(p.clone());
                paths(x, &p, out);
            }
        }
        serde_json::Value::Array(items) => {
            for x in items {
                paths(x, &format!("{prefix}[]"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn the_json_schema_is_pinned() {
    let dir = tempfile::tempdir().unwrap();
    let c = run(&[trace(dir.path())], true);
    let value: serde_json::Value = serde_json::from_str(&print::json(&c)).unwrap();
    let mut found = Vec::new();
    paths(&value, "", &mut found);
    found.sort();
    found.dedup();
    let pinned = include_str!("compare-schema.txt")
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect::<Vec<_>>();
    assert_eq!(
        found, pinned,
        "the JSON of `memento compare` changed: update analysis/README.md, bump \
         compare::SCHEMA if a field was renamed or removed, and this list"
    );
    assert_eq!(value["schema"], compare::SCHEMA);
    // And it reads back as it was.
    let back: Comparison = serde_json::from_value(value).unwrap();
    assert_eq!(back, c);
}
