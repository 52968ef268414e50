//! Printers for `memento trace info`.

use std::fmt::Write;

use memento_trace::summary::{SizeBucket, TraceSummary};
use memento_trace::{Header, Metadata};

use crate::table::{bytes, percent, thousands, Align, Table};

/// Everything `trace info` reports about one trace.
#[derive(Clone, Debug, serde::Serialize)]
pub struct TraceInfo {
    /// The file.
    pub path: String,
    /// Its size in bytes.
    pub file_bytes: u64,
    /// The header.
    pub header: Header,
    /// The metadata table.
    pub metadata: Metadata,
    /// Event chunks.
    pub chunks: u64,
    /// The summary of its events.
    pub summary: TraceSummary,
    /// Damaged chunks skipped with `--keep-going`.
    pub skipped_errors: Vec<String>,
}

fn bucket_label(bucket: &SizeBucket, previous: u64) -> String {
    match bucket.up_to {
        u64::MAX => format!("> {}", bytes(previous)),
        up_to => format!("{}..{}", bytes(previous + 1), bytes(up_to)),
    }
}

/// The report as text.
pub fn render_text(info: &TraceInfo) -> String {
    let s = &info.summary;
    let h = &info.header;
    let mut out = String::new();
    let _ = writeln!(out, "trace      {}", info.path);
    let _ = writeln!(
        out,
        "format     version {}, {} in {} chunks, {:.2} bytes/event",
        h.version,
        bytes(info.file_bytes),
        info.chunks,
        if s.events == 0 {
            0.0
        } else {
            info.file_bytes as f64 / s.events as f64
        }
    );
    let _ = writeln!(out, "workload   {} ({})", h.workload, h.runtime);
    if !h.command_line.is_empty() {
        let _ = writeln!(out, "command    {}", h.command_line);
    }
    let _ = writeln!(out, "producer   {}", h.producer);
    let deps = s
        .events_by_kind
        .iter()
        .find(|(k, _)| *k == "dep")
        .map_or(0, |(_, n)| *n);
    let _ = writeln!(
        out,
        "deps       {}",
        if h.dependences {
            format!(
                "recorded: {deps} dependent loads and stores of {}",
                s.accesses
            )
        } else {
            "not recorded (replay guesses: load_dependence = auto is pointer-chase)".to_string()
        }
    );
    let _ = writeln!(
        out,
        "threads    {} seen, {} in metadata; modules {}",
        s.threads,
        info.metadata.threads.len(),
        info.metadata.modules.len()
    );
    let _ = writeln!(
        out,
        "instructions {} ({} in the allocator), accesses {} ({} in the allocator)",
        thousands(s.instructions),
        percent(s.allocator_instructions, s.instructions),
        thousands(s.accesses),
        percent(s.allocator_accesses, s.accesses)
    );
    let _ = writeln!(
        out,
        "footprint  data {} ({} pages of {}), code {}",
        bytes(s.data_pages * s.page_size),
        thousands(s.data_pages),
        bytes(s.page_size),
        bytes(s.code_pages * s.page_size)
    );
    let _ = writeln!(out);
    let mut kinds = Table::new(&[
        ("event", Align::Left),
        ("count", Align::Right),
        ("share", Align::Right),
    ]);
    for (name, count) in s.events_by_kind.iter().filter(|(_, c)| *c > 0) {
        kinds.row(vec![
            name.to_string(),
            thousands(*count),
            percent(*count, s.events),
        ]);
    }
    kinds.row(vec![
        "total".into(),
        thousands(s.events),
        percent(s.events, s.events),
    ]);
    out.push_str(&kinds.render());
    let _ = writeln!(out);
    if s.allocations == 0 {
        let _ = writeln!(out, "allocations: none recorded (importers of memory-only formats see none; capture with `memento capture` to record them)");
    } else {
        let _ = writeln!(
            out,
            "allocations {} ({} requested), {} of at most 512 B; peak live {}, live at end {}",
            thousands(s.allocations),
            bytes(s.allocated_bytes),
            percent(s.small_allocations, s.allocations),
            bytes(s.peak_live_bytes),
            bytes(s.live_bytes_at_end)
        );
        if s.nested_allocator_events > 0 {
            let _ = writeln!(
                out,
                "{} events of calls nested in another allocator call, counted once by the outer call",
                thousands(s.nested_allocator_events)
            );
        }
        let mut sizes = Table::new(&[
            ("size", Align::Left),
            ("allocations", Align::Right),
            ("share", Align::Right),
        ]);
        let mut previous = 0;
        for bucket in &s.size_histogram {
            if bucket.count > 0 {
                sizes.row(vec![
                    bucket_label(bucket, previous),
                    thousands(bucket.count),
                    percent(bucket.count, s.allocations),
                ]);
            }
            previous = bucket.up_to;
        }
        out.push_str(&sizes.render());
        let _ = writeln!(out);
        let freed: u64 = s.lifetime_histogram.iter().map(|b| b.count).sum();
        let _ = writeln!(
            out,
            "lifetimes (same-class allocations while alive): {} of allocations die within 16, {} live until exit",
            percent(s.short_lived, s.allocations),
            percent(s.live_objects_at_end, s.allocations)
        );
        let mut lifetimes = Table::new(&[
            ("lifetime", Align::Left),
            ("objects", Align::Right),
            ("share of freed", Align::Right),
        ]);
        let mut previous: Option<u64> = None;
        for bucket in &s.lifetime_histogram {
            let label = match (previous, bucket.up_to) {
                (Some(p), u64::MAX) => format!("> {p}"),
                (None, up_to) => format!("{up_to}"),
                (Some(p), up_to) if up_to == p + 1 => format!("{up_to}"),
                (Some(p), up_to) => format!("{}..{up_to}", p + 1),
            };
            if bucket.count > 0 {
                lifetimes.row(vec![
                    label,
                    thousands(bucket.count),
                    percent(bucket.count, freed),
                ]);
            }
            previous = Some(bucket.up_to);
        }
        out.push_str(&lifetimes.render());
    }
    let w = &s.warnings;
    if w.total() > 0 {
        let _ = writeln!(out);
        let _ = writeln!(out, "warnings (inconsistent events, counted and ignored):");
        for (count, what) in [
            (
                w.free_of_unknown_address,
                "frees of an address never allocated",
            ),
            (
                w.alloc_of_live_address,
                "allocations of an address already live",
            ),
            (w.unmatched_alloc_exit, "allocator exits without an entry"),
            (w.unclosed_alloc_enter, "allocator entries never exited"),
            (w.unbalanced_roi, "unbalanced region-of-interest markers"),
            (w.unbalanced_invocation, "unbalanced invocation markers"),
        ] {
            if count > 0 {
                let _ = writeln!(out, "  {:>10}  {what}", thousands(count));
            }
        }
    }
    if !info.skipped_errors.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "skipped {} damaged chunk(s):",
            info.skipped_errors.len()
        );
        for error in &info.skipped_errors {
            let _ = writeln!(out, "  {error}");
        }
    }
    out
}

/// The report as pretty JSON.
pub fn render_json(info: &TraceInfo) -> String {
    serde_json::to_string_pretty(info).expect("plain data serialises")
}
