//! Printers of [`Stats`]: a text table for people, JSON and CSV for tools.
//! Nothing here changes a number; derived figures (IPC, miss rates) are
//! computed only for display.

use std::fmt::Write;

use serde::Serialize;

use crate::cause::{Cause, CauseCounts};
use crate::stats::{CacheStats, DramRunStats, DramStats, ExtensionStats, HitMiss, Stats};

/// The stats as pretty JSON.
pub fn json(stats: &Stats) -> String {
    pretty(stats)
}

/// The stats as CSV rows `scope,metric,value` (one row per number).
pub fn csv(stats: &Stats) -> String {
    rows(stats, "machine")
}

/// The results of `memento dram` as pretty JSON.
pub fn dram_json(stats: &DramRunStats) -> String {
    pretty(stats)
}

/// The results of `memento dram` as CSV rows `scope,metric,value`, scope
/// `dram` (one row per number; the latency histogram left out).
pub fn dram_csv(stats: &DramRunStats) -> String {
    rows(stats, "dram")
}

fn pretty(stats: &impl Serialize) -> String {
    serde_json::to_string_pretty(stats).expect("stats always serialise")
}

fn rows(stats: &impl Serialize, scope: &str) -> String {
    let mut out = String::from("scope,metric,value\n");
    let value = serde_json::to_value(stats).expect("stats always serialise");
    flatten(&mut out, scope, "", &value);
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
        let b = &c.branch;
        if b.total_branches() > 0 {
            let _ = write!(out, "  branches {}:", b.total_branches());
            for class in memento_trace::BranchClass::ALL.into_iter().skip(1) {
                let _ = write!(
                    out,
                    " {} {}/{}",
                    class.name(),
                    b.mispredictions_of(class),
                    b.branches_of(class)
                );
            }
            let _ = writeln!(
                out,
                " mispredicted  MPKI {:.2}  refill cycles {}",
                b.mpki(c.instructions),
                c.stalls.branch_mispredict
            );
        }
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
    rows_row(&mut out, d);
    let _ = writeln!(
        out,
        "  read latency avg {:.1} ns  p50 {:.1} ns  p99 {:.1} ns  bandwidth {:.3} GB/s ({} bytes)",
        d.avg_read_latency_ns,
        d.p50_read_latency_ns,
        d.p99_read_latency_ns,
        d.bandwidth_gb_s,
        d.bytes
    );
    let m = &stats.memory;
    let _ = writeln!(
        out,
        "\nmemory: peak {} resident pages ({:.1} MiB), {} at the end (pages first touched in the run)",
        m.peak_resident_pages,
        (m.peak_resident_pages * u64::from(m.page_size)) as f64 / (1 << 20) as f64,
        m.resident_pages
    );
    if let Some(e) = &stats.extension {
        extension(&mut out, e);
    }
    out
}

/// Row-buffer outcomes and refreshes of `d`, as one line.
fn rows_row(out: &mut String, d: &DramStats) {
    let _ = writeln!(
        out,
        "  row hits {}  misses {}  conflicts {}  refreshes {}",
        d.row_hits, d.row_misses, d.row_conflicts, d.refreshes
    );
}

/// The results of `memento dram` as a human-readable table.
pub fn dram_text(stats: &DramRunStats) -> String {
    let mut out = String::new();
    let d = &stats.dram;
    let ns = |cycles: f64| cycles * 1000.0 / f64::from(stats.clock_mhz.max(1));
    let _ = writeln!(
        out,
        "DRAM {} alone ({} MHz), the [dram] section of {}",
        d.standard, stats.clock_mhz, stats.config
    );
    let _ = writeln!(out, "trace {} ({})", stats.trace, stats.format);
    let _ = writeln!(
        out,
        "  requests {}  reads {}  writes {}  cycles {} ({:.1} us)",
        stats.requests,
        d.reads.transfers(),
        d.writes.transfers() + d.merged_writes,
        stats.cycles,
        ns(stats.cycles as f64) / 1000.0
    );
    let _ = writeln!(
        out,
        "  read latency  mean {:.1} cycles ({:.1} ns)  p50 {} ({:.1} ns)  p99 {} ({:.1} ns)  \
         of which queue wait {:.1} cycles",
        stats.avg_read_latency_cycles,
        d.avg_read_latency_ns,
        stats.p50_read_latency_cycles,
        d.p50_read_latency_ns,
        stats.p99_read_latency_cycles,
        d.p99_read_latency_ns,
        stats.avg_read_queue_wait_cycles
    );
    let _ = writeln!(
        out,
        "  bandwidth {:.3} GB/s ({} bytes)",
        d.bandwidth_gb_s, d.bytes
    );
    rows_row(&mut out, d);
    let _ = writeln!(
        out,
        "  forwarded reads {}  merged writes {}  write drains {}  reordered reads {}  reordered writes {}",
        d.forwarded_reads, d.merged_writes, d.write_drains, d.reordered_reads, d.reordered_writes
    );
    out
}

/// `n / d` as a percentage with both counts, or `-` with no lookup.
fn rate(h: &HitMiss) -> String {
    let n = h.hits + h.misses;
    if n == 0 {
        "-".into()
    } else {
        format!("{:.1}% ({}/{})", 100.0 * h.rate(), h.hits, n)
    }
}

fn extension(out: &mut String, e: &ExtensionStats) {
    let r = &e.removed;
    let _ = writeln!(out);
    if let Some(m) = &e.memento {
        let _ = writeln!(out, "Memento extension (objects placed: {})", m.placement);
        let _ = writeln!(
            out,
            "  obj-alloc {:>9}  avg {:>5.1} cycles  HOT {:<24} AAC {}",
            m.obj_allocs,
            ratio(m.obj_alloc_cycles, m.obj_allocs),
            rate(&m.hot_alloc),
            rate(&m.aac_alloc)
        );
        let _ = writeln!(
            out,
            "  obj-free  {:>9}  avg {:>5.1} cycles  HOT {:<24} AAC {}",
            m.obj_frees,
            ratio(m.obj_free_cycles, m.obj_frees),
            rate(&m.hot_free),
            rate(&m.aac_free)
        );
        let _ = writeln!(
            out,
            "  list ops {}  header lines read {} written {}  arenas created {} released {}  \
             peak live objects {}",
            m.list_ops,
            m.header_reads,
            m.header_writes,
            m.arenas_created,
            m.arenas_released,
            m.peak_live_objects
        );
        let f = &m.fallbacks;
        let _ = writeln!(
            out,
            "  software served {}: {} over 512 B, {} of 0 B or failed, {} with a full class span",
            f.total, f.too_large, f.zero_size, f.span_exhausted
        );
        let p = &m.pages;
        let _ = writeln!(
            out,
            "  pages: {} taken from the pool ({} by walker fills), {} released; {} refills of {} \
             pages ({} cycles); {} empty-pool faults; {} table pages zeroed",
            p.pages_taken,
            p.walker_fills,
            p.pages_released,
            p.refills,
            p.pages_refilled,
            p.refill_cycles,
            p.empty_pool_faults,
            p.table_pages_zeroed
        );
        let b = &m.bypass;
        let _ = writeln!(
            out,
            "  bypass: {} DRAM reads avoided ({} lines installed), {} writes avoided ({} lines dropped)",
            b.reads_avoided, b.lines_installed, b.writes_avoided, b.lines_dropped
        );
        if m.rejected_frees > 0 {
            let _ = writeln!(
                out,
                "  warning: {} frees of extension objects were rejected by the model",
                m.rejected_frees
            );
        }
    } else {
        let _ = writeln!(
            out,
            "{}: user-space malloc and free cost nothing",
            e.allocator
        );
    }
    let _ = writeln!(
        out,
        "  removed: {} allocator calls, {} instructions, {} loads, {} stores, {} system calls; \
         {} calls replayed as software, {} too long to hold",
        r.brackets,
        r.instructions,
        r.loads,
        r.stores,
        r.kernel_events,
        e.replayed_brackets,
        e.oversized_brackets
    );
}
