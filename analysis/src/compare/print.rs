//! Printers of a [`Comparison`]: text tables that fit 100 columns (or
//! Markdown, for `RESULTS.md`), CSV with one row per workload, and the JSON
//! schema. Nothing here changes a number.

use std::fmt::Write;

use memento_sim::{Cause, CauseCounts};

use super::mode::Mode;
use super::model::{Comparison, Split, Workload};
use crate::table::{thousands, Align, Table};

/// A fraction as a signed percentage: `0.048` -> `+4.8%`.
pub fn pct(f: f64) -> String {
    format!("{:+.1}%", 100.0 * f)
}

pub(crate) fn opt_pct(f: Option<f64>) -> String {
    f.map_or_else(|| "-".into(), pct)
}

pub(crate) fn signed(n: i64) -> String {
    if n < 0 {
        format!("-{}", thousands(n.unsigned_abs()))
    } else {
        thousands(n as u64)
    }
}

/// The comparison as JSON (schema `memento-compare/1`).
pub fn json(c: &Comparison) -> String {
    serde_json::to_string_pretty(c).expect("a comparison always serialises")
}

/// How tables are rendered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Aligned plain text.
    Text,
    /// Markdown tables.
    Markdown,
}

fn render(t: &Table, style: Style) -> String {
    match style {
        Style::Text => t.render(),
        Style::Markdown => t.render_markdown(),
    }
}

/// The comparison as tables: speed, DRAM and memory, DRAM by cause, the
/// split, and ours beside the paper's.
pub fn text(c: &Comparison, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "memento compare on {}: {} workloads; speedup = baseline cycles / cycles - 1;\n\
         peak memory: pages first touched in the run, resident at once (a change is\n\
         given when the baseline's is 1 MiB or more)\n",
        c.machine,
        c.workloads.len()
    );
    out += &render(&speed(c), style);
    out.push('\n');
    out += &render(&work(c), style);
    out.push('\n');
    out += &render(&memory(c), style);
    out.push('\n');
    out += &render(&causes(c), style);
    if c.workloads.iter().any(|w| w.figures.split.is_some()) {
        let _ = writeln!(
            out,
            "\nspeedup split: Shapley values over the 16 combinations of the four features \
             (each\nfeature's marginal speedup averaged over every order of switching them on); \
             the parts\nadd up to the speedup"
        );
        out += &render(&split(c), style);
    }
    out.push('\n');
    out += &render(&paper(c), style);
    out
}

fn speed(c: &Comparison) -> Table {
    let mut t = Table::new(&[
        ("workload", Align::Left),
        ("runtime", Align::Left),
        ("base cycles", Align::Right),
        ("Memento", Align::Right),
        ("speedup", Align::Right),
        ("ideal Mallacc", Align::Right),
        ("alloc share", Align::Right),
    ]);
    for w in &c.workloads {
        let (b, m) = base_memento(w);
        let f = &w.figures;
        t.row(vec![
            w.name.clone(),
            w.runtime.clone(),
            thousands(b.cycles),
            thousands(m.cycles),
            pct(f.speedup),
            opt_pct(f.ideal_mallacc_speedup),
            format!("{:.1}%", 100.0 * f.allocator_share),
        ]);
    }
    let s = &c.summary;
    t.row(vec![
        "mean".into(),
        String::new(),
        String::new(),
        String::new(),
        pct(s.mean_speedup),
        opt_pct(s.mean_ideal_mallacc_speedup),
        String::new(),
    ]);
    t
}

pub(crate) fn base_memento(w: &Workload) -> (&super::RunStats, &super::RunStats) {
    let find = |mode| {
        &w.runs
            .iter()
            .find(|r| r.mode == mode)
            .expect("a compared workload has both runs")
            .stats
    };
    (find(Mode::BASELINE), find(Mode::MEMENTO))
}

fn work(c: &Comparison) -> Table {
    let mut t = Table::new(&[
        ("workload", Align::Left),
        ("instr. removed", Align::Right),
        ("faults saved", Align::Right),
        ("kernel cycles saved", Align::Right),
        ("HOT hits alloc", Align::Right),
        ("free", Align::Right),
    ]);
    let rate = |r: Option<f64>| r.map_or_else(|| "-".into(), |r| format!("{:.1}%", 100.0 * r));
    for w in &c.workloads {
        let f = &w.figures;
        t.row(vec![
            w.name.clone(),
            signed(f.instructions_removed),
            signed(f.page_faults_avoided),
            signed(f.kernel_cycles_avoided),
            rate(f.hot_alloc_hit_rate),
            rate(f.hot_free_hit_rate),
        ]);
    }
    t
}

pub(crate) fn mib(pages: u64, page_size: u32) -> String {
    format!(
        "{:.1}",
        (pages * u64::from(page_size)) as f64 / f64::from(1 << 20)
    )
}

fn memory(c: &Comparison) -> Table {
    let mut t = Table::new(&[
        ("workload", Align::Left),
        ("DRAM lines", Align::Right),
        ("Memento", Align::Right),
        ("change", Align::Right),
        ("peak MiB", Align::Right),
        ("Memento", Align::Right),
        ("change", Align::Right),
    ]);
    for w in &c.workloads {
        let (b, m) = base_memento(w);
        let f = &w.figures;
        t.row(vec![
            w.name.clone(),
            thousands(b.dram_traffic()),
            thousands(m.dram_traffic()),
            pct(f.dram_traffic_change),
            mib(b.peak_resident_pages, b.page_size),
            mib(m.peak_resident_pages, m.page_size),
            opt_pct(f.peak_memory_change),
        ]);
    }
    let s = &c.summary;
    t.row(vec![
        "mean".into(),
        String::new(),
        String::new(),
        pct(s.mean_dram_traffic_change),
        String::new(),
        String::new(),
        opt_pct(s.mean_peak_memory_change),
    ]);
    t
}

/// Short names of the causes, for narrow columns.
pub(crate) fn cause_short(c: Cause) -> &'static str {
    match c {
        Cause::Demand => "demand",
        Cause::Writeback => "writeback",
        Cause::Prefetch => "prefetch",
        Cause::PageZeroing => "zeroing",
        Cause::PageWalk => "walk",
        Cause::AllocMetadata => "alloc meta",
    }
}

fn causes(c: &Comparison) -> Table {
    let mut columns = vec![("DRAM lines", Align::Left), ("", Align::Left)];
    columns.extend(Cause::ALL.iter().map(|&x| (cause_short(x), Align::Right)));
    columns.push(("total", Align::Right));
    let mut t = Table::new(&columns);
    let row = |t: &mut Table, name: String, what: &str, counts: &CauseCounts| {
        let mut cells = vec![name, what.to_string()];
        cells.extend(Cause::ALL.iter().map(|&x| thousands(counts.get(x))));
        cells.push(thousands(counts.transfers()));
        t.row(cells);
    };
    for w in &c.workloads {
        let (b, m) = base_memento(w);
        row(&mut t, w.name.clone(), "base reads", &b.dram_reads);
        row(&mut t, String::new(), "Memento", &m.dram_reads);
        row(&mut t, String::new(), "base writes", &b.dram_writes);
        row(&mut t, String::new(), "Memento", &m.dram_writes);
    }
    t
}

fn split_cells(s: &Split) -> Vec<String> {
    let mut cells: Vec<String> = s.parts().iter().map(|p| pct(*p)).collect();
    cells.push(pct(s.total()));
    cells
}

fn split(c: &Comparison) -> Table {
    let mut t = Table::new(&[
        ("workload", Align::Left),
        ("object alloc", Align::Right),
        ("object free", Align::Right),
        ("page mgmt", Align::Right),
        ("bypass", Align::Right),
        ("total", Align::Right),
    ]);
    for w in &c.workloads {
        if let Some(s) = &w.figures.split {
            let mut cells = vec![w.name.clone()];
            cells.extend(split_cells(s));
            t.row(cells);
        }
    }
    if let Some(s) = &c.summary.mean_split {
        let mut cells = vec!["mean".into()];
        cells.extend(split_cells(s));
        t.row(cells);
        let mut cells = vec!["share of the mean".into()];
        cells.extend(shares(s).iter().map(|x| format!("{:.0}%", 100.0 * x)));
        t.row(cells);
    }
    t
}

/// The parts of `s` as shares of its total (0 when the total is 0).
pub fn shares(s: &Split) -> [f64; 4] {
    let total = s.total();
    s.parts()
        .map(|p| if total == 0.0 { 0.0 } else { p / total })
}

fn paper(c: &Comparison) -> Table {
    let (s, p) = (&c.summary, &c.paper);
    let mut t = Table::new(&[
        ("", Align::Left),
        ("ours", Align::Right),
        ("the paper (MICRO 2023)", Align::Right),
    ]);
    let share_text = |x: [f64; 4]| {
        x.iter()
            .map(|v| format!("{:.0}", 100.0 * v))
            .collect::<Vec<_>>()
            .join("/")
    };
    t.row(vec![
        "mean speedup".into(),
        pct(s.mean_speedup),
        pct(p.mean_speedup),
    ]);
    t.row(vec![
        "speedup range".into(),
        format!("{} .. {}", pct(s.speedup_range.0), pct(s.speedup_range.1)),
        format!("{} .. {}", pct(p.speedup_range.0), pct(p.speedup_range.1)),
    ]);
    t.row(vec![
        "DRAM traffic".into(),
        pct(s.mean_dram_traffic_change),
        pct(p.dram_traffic_change),
    ]);
    t.row(vec![
        "physical memory".into(),
        opt_pct(s.mean_peak_memory_change),
        pct(p.memory_change),
    ]);
    t.row(vec![
        "split alloc/free/page/bypass".into(),
        s.mean_split.map_or_else(
            || "(--ablate)".into(),
            |m| format!("{} %", share_text(shares(&m))),
        ),
        format!("{} %", share_text(p.split_shares)),
    ]);
    t.row(vec![
        "C++: Memento / ideal Mallacc".into(),
        s.cpp_speedups
            .map_or_else(|| "-".into(), |(m, i)| format!("{} / {}", pct(m), pct(i))),
        format!("{} / {}", pct(p.cpp_speedups.0), pct(p.cpp_speedups.1)),
    ]);
    t
}

/// The columns of [`csv`].
pub const CSV_COLUMNS: &[&str] = &[
    "workload",
    "runtime",
    "baseline_cycles",
    "memento_cycles",
    "speedup",
    "ideal_mallacc_speedup",
    "instructions_removed",
    "allocator_share",
    "baseline_dram_reads",
    "memento_dram_reads",
    "baseline_dram_writes",
    "memento_dram_writes",
    "dram_traffic_change",
    "page_faults_avoided",
    "kernel_cycles_avoided",
    "baseline_peak_pages",
    "memento_peak_pages",
    "peak_memory_change",
    "hot_alloc_hit_rate",
    "hot_free_hit_rate",
    "split_object_alloc",
    "split_object_free",
    "split_page_management",
    "split_bypass",
];

/// The comparison as CSV, one row per workload ([`CSV_COLUMNS`]); empty
/// cells for figures a run did not give.
pub fn csv(c: &Comparison) -> String {
    let mut out = CSV_COLUMNS.join(",");
    out.push('\n');
    let num = |v: Option<f64>| v.map_or_else(String::new, |v| format!("{v:.6}"));
    for w in &c.workloads {
        let (b, m) = base_memento(w);
        let f = &w.figures;
        let parts = f.split.map(|s| s.parts());
        let cells = [
            quote(&w.name),
            quote(&w.runtime),
            b.cycles.to_string(),
            m.cycles.to_string(),
            num(Some(f.speedup)),
            num(f.ideal_mallacc_speedup),
            f.instructions_removed.to_string(),
            num(Some(f.allocator_share)),
            b.dram_reads.transfers().to_string(),
            m.dram_reads.transfers().to_string(),
            b.dram_writes.transfers().to_string(),
            m.dram_writes.transfers().to_string(),
            num(Some(f.dram_traffic_change)),
            f.page_faults_avoided.to_string(),
            f.kernel_cycles_avoided.to_string(),
            b.peak_resident_pages.to_string(),
            m.peak_resident_pages.to_string(),
            num(f.peak_memory_change),
            num(f.hot_alloc_hit_rate),
            num(f.hot_free_hit_rate),
            num(parts.map(|p| p[0])),
            num(parts.map(|p| p[1])),
            num(parts.map(|p| p[2])),
            num(parts.map(|p| p[3])),
        ];
        out += &cells.join(",");
        out.push('\n');
    }
    out
}

/// A CSV cell: `s` as it is, or quoted when it holds a comma, a quote or
/// a line break.
pub fn quote(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
