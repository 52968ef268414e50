//! The allocation characterisation of traces (`memento workloads
//! profile`): one row per trace in three tables, the summary beside the
//! figures behind Memento (share of allocations <= 512 B, share dying
//! within 16 same-class allocations, share living until exit), the size
//! histogram and the lifetime histogram. Text, Markdown or JSON.

use memento_trace::summary::{TraceSummary, SHORT_LIFETIME, SMALL_OBJECT_LIMIT};

use crate::table::{bytes, percent, thousands, Align, Table};

/// One trace to characterise.
#[derive(Clone, Debug, serde::Serialize)]
pub struct TraceProfile {
    /// How the row is named (e.g. `json warm`).
    pub label: String,
    /// The runtime from the trace header.
    pub runtime: String,
    /// The summary of its events.
    pub summary: TraceSummary,
}

/// Rows pooling `profiles`: one per runtime (in first-seen order) when
/// there are several, and one for all, labelled `pooled RUNTIME` and
/// `pooled all`; their counts are the sums of the traces' (see
/// [`TraceSummary::pool`]), so each share is over all their allocations.
pub fn pooled(profiles: &[TraceProfile]) -> Vec<TraceProfile> {
    let mut runtimes: Vec<&str> = Vec::new();
    for p in profiles {
        if !runtimes.contains(&p.runtime.as_str()) {
            runtimes.push(&p.runtime);
        }
    }
    let pool = |label: String, runtime: &str, members: Vec<&TraceProfile>| {
        let (first, rest) = members.split_first()?;
        let mut summary = first.summary.clone();
        rest.iter().for_each(|p| summary.pool(&p.summary));
        Some(TraceProfile {
            label,
            runtime: runtime.to_string(),
            summary,
        })
    };
    let mut rows = Vec::new();
    if runtimes.len() > 1 {
        for runtime in &runtimes {
            let members = profiles.iter().filter(|p| p.runtime == *runtime).collect();
            rows.extend(pool(format!("pooled {runtime}"), runtime, members));
        }
    }
    rows.extend(pool("pooled all".into(), "all", profiles.iter().collect()));
    rows
}

/// Upper bounds of the size columns; each is a bound of
/// [`memento_trace::summary::SIZE_BUCKETS`], so columns sum whole buckets.
const SIZE_COLUMNS: [u64; 6] = [16, 64, SMALL_OBJECT_LIMIT, 4096, 65536, u64::MAX];

/// Upper bounds of the lifetime columns, bounds of
/// [`memento_trace::summary::LIFETIME_BUCKETS`].
const LIFETIME_COLUMNS: [u64; 5] = [1, SHORT_LIFETIME, 256, 16384, u64::MAX];

/// Labels of columns with the given upper bounds: `<= a`, `a+1..b`, `> y`.
fn range_labels(bounds: &[u64], show: impl Fn(u64) -> String) -> Vec<String> {
    let mut labels = Vec::new();
    let mut previous: Option<u64> = None;
    for &up_to in bounds {
        labels.push(match (previous, up_to) {
            (None, _) => format!("<= {}", show(up_to)),
            (Some(p), u64::MAX) => format!("> {}", show(p)),
            (Some(p), _) => format!("{}..{}", show(p + 1), show(up_to)),
        });
        previous = Some(up_to);
    }
    labels
}

/// Sums `(up_to, count)` buckets into columns with the given upper bounds.
fn group(buckets: impl Iterator<Item = (u64, u64)>, bounds: &[u64]) -> Vec<u64> {
    let mut sums = vec![0; bounds.len()];
    for (up_to, count) in buckets {
        let column = bounds
            .iter()
            .position(|&b| up_to <= b)
            .expect("last bound is unbounded");
        sums[column] += count;
    }
    sums
}

/// A table of a trace column, one right-aligned column per label, then
/// the `extra` columns.
fn histogram_table(labels: &[String], extra: &[&str]) -> Table {
    let mut columns = vec![("trace", Align::Left)];
    columns.extend(labels.iter().map(|l| (l.as_str(), Align::Right)));
    columns.extend(extra.iter().map(|&l| (l, Align::Right)));
    Table::new(&columns)
}

/// The three tables (summary, sizes, lifetimes), each with its title.
fn tables(profiles: &[TraceProfile]) -> Vec<(&'static str, Table)> {
    let mut summary = Table::new(&[
        ("trace", Align::Left),
        ("runtime", Align::Left),
        ("invocations", Align::Right),
        ("allocations", Align::Right),
        ("<= 512 B", Align::Right),
        ("die within 16", Align::Right),
        ("live until exit", Align::Right),
        ("peak live", Align::Right),
        ("allocator instructions", Align::Right),
        ("allocator accesses", Align::Right),
    ]);
    let mut sizes = histogram_table(&range_labels(&SIZE_COLUMNS, bytes), &[]);
    let lifetime_labels = range_labels(&LIFETIME_COLUMNS, |n| n.to_string());
    let mut lifetimes = histogram_table(&lifetime_labels, &["until exit"]);
    for p in profiles {
        let s = &p.summary;
        summary.row(vec![
            p.label.clone(),
            p.runtime.clone(),
            thousands(s.invocations),
            thousands(s.allocations),
            percent(s.small_allocations, s.allocations),
            percent(s.short_lived, s.allocations),
            percent(s.live_objects_at_end, s.allocations),
            bytes(s.peak_live_bytes),
            percent(s.allocator_instructions, s.instructions),
            percent(s.allocator_accesses, s.accesses),
        ]);
        // The label, then each count as a share of the allocations.
        let shares = |counts: Vec<u64>| {
            let mut row = vec![p.label.clone()];
            row.extend(counts.iter().map(|&n| percent(n, s.allocations)));
            row
        };
        let by_size = s.size_histogram.iter().map(|b| (b.up_to, b.count));
        sizes.row(shares(group(by_size, &SIZE_COLUMNS)));
        let by_lifetime = s.lifetime_histogram.iter().map(|b| (b.up_to, b.count));
        let mut row = shares(group(by_lifetime, &LIFETIME_COLUMNS));
        row.push(percent(s.live_objects_at_end, s.allocations));
        lifetimes.row(row);
    }
    vec![
        ("allocations", summary),
        ("allocation sizes (share of allocations)", sizes),
        (
            "lifetimes in same-class allocations (share of allocations)",
            lifetimes,
        ),
    ]
}

/// The tables as aligned text.
pub fn render_text(profiles: &[TraceProfile]) -> String {
    render(profiles, |title| format!("{title}\n"), Table::render)
}

/// The tables as Markdown (for `workloads/README.md`).
pub fn render_markdown(profiles: &[TraceProfile]) -> String {
    render(
        profiles,
        |title| format!("{}{}:\n\n", &title[..1].to_uppercase(), &title[1..]),
        Table::render_markdown,
    )
}

/// Each table under its heading, a blank line between tables.
fn render(
    profiles: &[TraceProfile],
    heading: impl Fn(&str) -> String,
    body: impl Fn(&Table) -> String,
) -> String {
    let parts: Vec<String> = tables(profiles)
        .iter()
        .map(|(title, table)| heading(title) + &body(table))
        .collect();
    parts.join("\n")
}

/// The profiles as pretty JSON (the whole summaries).
pub fn render_json(profiles: &[TraceProfile]) -> String {
    serde_json::to_string_pretty(profiles).expect("plain data serialises")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_sum_whole_buckets() {
        let buckets = [
            (8, 1),
            (16, 2),
            (32, 4),
            (512, 8),
            (1024, 16),
            (u64::MAX, 32),
        ];
        assert_eq!(
            group(buckets.into_iter(), &SIZE_COLUMNS),
            vec![3, 4, 8, 16, 0, 32]
        );
    }

    #[test]
    fn pooled_rows_come_per_runtime_then_for_all() {
        let empty = memento_trace::Summarizer::new(4096).finish();
        let row = |label: &str, runtime: &str| TraceProfile {
            label: label.into(),
            runtime: runtime.into(),
            summary: empty.clone(),
        };
        let labels = |rows: Vec<TraceProfile>| -> Vec<String> {
            rows.into_iter().map(|r| r.label).collect()
        };
        let two = [row("a", "cpython"), row("b", "native"), row("c", "cpython")];
        assert_eq!(
            labels(pooled(&two)),
            ["pooled cpython", "pooled native", "pooled all"]
        );
        assert_eq!(labels(pooled(&two[..1])), ["pooled all"]);
        assert!(pooled(&[]).is_empty());
    }

    #[test]
    fn range_labels_name_each_column() {
        assert_eq!(
            range_labels(&LIFETIME_COLUMNS, |n| n.to_string()),
            vec!["<= 1", "2..16", "17..256", "257..16384", "> 16384"]
        );
    }
}
