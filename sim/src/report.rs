//! Printers of [`Stats`]: a text table for people, JSON and CSV for tools.
//! Nothing here changes a number; derived figures (IPC, miss rates) are
//! computed only for display.

use std::fmt::Write;

use crate::cause::{Cause, CauseCounts};
use crate::stats::{CacheStats, Stats};

/// The stats as pretty JSON.
pub fn json(stats: &Stats) -> String {
    serde_json::to_string_pretty(stats).expect("stats always serialise")
}

/// The stats as CSV rows `scope,metric,value` (one row per number).
pub fn csv(stats: &Stats) -> String {
    let mut out = String::from("scope,metric,value\n");
    let value = serde_json::to_value(stats).expect("stats always serialise");
    flatten(&mut out, "machine", "", &value);
    out
}

fn flatten(out: &mut String, scope: &str, prefix: &str, v: &serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                match (k.as_str(), x) {
                    ("cores", Value::Array(cores)) => {
                        for (i, c) in cores.iter().enumerate() {
                            flatten(out, &format!("core{i}"), "", c);
                        }
                    }
                    ("read_latency_histogram", _) => {}
                    _ => {
                        let name = if prefix.is_empty() {
                            k.clone()
                        } else {
                            format!("{prefix}.{k}")
                        };
                        flatten(out, scope, &name, x);
                    }
                }
            }
        }
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                flatten(out, scope, &format!("{prefix}[{i}]"), x);
            }
        }
        Value::String(s) => {
            let quoted = if s.contains([',', '"', '\n']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.clone()
            };
            let _ = writeln!(out, "{scope},{prefix},{quoted}");
        }
        other => {
            let _ = writeln!(out, "{scope},{prefix},{other}");
        }
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

fn cache_row(out: &mut String, name: &str, c: &CacheStats) {
    let _ = writeln!(
        out,
        "  {name:<8} {:>12} {:>12} {:>12} {:>7.2}% {:>10} {:>10} {:>10}",
        c.accesses,
        c.hits,
        c.misses,
        100.0 * ratio(c.misses, c.accesses),
        c.mshr_merges,
        c.writebacks,
        c.prefetches,
    );
}

fn causes_row(out: &mut String, name: &str, c: &CauseCounts) {
    let _ = write!(out, "  {name:<8}");
    for cause in Cause::ALL {
        let _ = write!(out, " {:>14}", c.get(cause));
    }
    let _ = writeln!(out);
}

/// The stats as a human-readable table.
pub fn text(stats: &Stats) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "machine {}  ({} MHz)",
        stats.config, stats.frequency_mhz
    );
    let _ = writeln!(
        out,
        "cycles {}  instructions {}  events {}  IPC {:.3}",
        stats.cycles,
        stats.instructions,
        stats.events,
        ratio(stats.instructions, stats.cycles)
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "  {:<8} {:>12} {:>12} {:>12} {:>8} {:>10} {:>10} {:>10}",
        "cache", "accesses", "hits", "misses", "miss%", "merges", "writebacks", "prefetches"
    );
    for c in &stats.cores {
        cache_row(&mut out, &format!("c{}.l1i", c.core), &c.l1i);
        cache_row(&mut out, &format!("c{}.l1d", c.core), &c.l1d);
        cache_row(&mut out, &format!("c{}.l2", c.core), &c.l2);
    }
    cache_row(&mut out, "llc", &stats.llc);
    let _ = writeln!(out);
    for c in &stats.cores {
        let _ = writeln!(
            out,
            "core {}: cycles {} instructions {} IPC {:.3}  loads {} stores {}  dtlb misses {} walks {}  \
             page faults {} kernel cycles {}  allocs {} frees {} allocator instructions {}",
            c.core,
            c.cycles,
            c.instructions,
            ratio(c.instructions, c.cycles),
            c.loads,
            c.stores,
            c.tlb.dtlb_misses,
            c.tlb.walks,
            c.kernel.page_faults,
            c.kernel.cycles,
            c.alloc.allocs,
            c.alloc.frees,
            c.alloc.instructions,
        );
    }
    let d = &stats.dram;
    let _ = writeln!(out);
    let _ = writeln!(out, "DRAM {}", d.standard);
    let _ = write!(out, "  {:<8}", "lines");
    for cause in Cause::ALL {
        let _ = write!(out, " {:>14}", cause.name());
    }
    let _ = writeln!(out);
    causes_row(&mut out, "reads", &d.reads);
    causes_row(&mut out, "writes", &d.writes);
    let _ = writeln!(
        out,
        "  row hits {}  misses {}  conflicts {}  refreshes {}",
        d.row_hits, d.row_misses, d.row_conflicts, d.refreshes
    );
    let _ = writeln!(
        out,
        "  read latency avg {:.1} ns  p99 {:.1} ns  bandwidth {:.3} GB/s ({} bytes)",
        d.avg_read_latency_ns, d.p99_read_latency_ns, d.bandwidth_gb_s, d.bytes
    );
    out
}
