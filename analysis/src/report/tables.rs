//! The report as Markdown: the configurations, a summary per
//! configuration, then per workload and configuration the cycles and
//! speedup, the DRAM traffic by cause and the memory; the sensitivity to
//! each swept parameter; the hot code; platform runs; failed runs and runs
//! that cannot be compared. Every figure is `memento compare`'s.

use std::fmt::Write;

use memento_sim::Cause;

use super::hot::{HotBlock, HotCode, Traced};
use super::plots::{Metric, Plot};
use super::{Batch, Compared};
use crate::compare::print::{base_memento, cause_short, opt_pct, pct, signed};
use crate::compare::{RunStats, Workload};
use crate::record::Outcome;
use crate::table::{bytes, thousands, Align, Table};

/// The whole report of `batch`, with the hot code of its traces; plots are
/// linked under `plot_link` (the plot folder as seen from the report's).
pub fn markdown(batch: &Batch, hot: &[Traced], plot_link: &str) -> String {
    let mut out = String::new();
    let count =
        |f: fn(&Outcome) -> bool| batch.loaded.iter().filter(|l| f(&l.record.outcome)).count();
    let _ = writeln!(out, "# Batch report: {}\n", batch.dir.display());
    let _ = writeln!(
        out,
        "{} runs read from `{}`: {} replayed, {} platform, {} failed.\n",
        batch.loaded.len(),
        batch.dir.join("runs").display(),
        count(|o| matches!(o, Outcome::Replayed { .. })),
        count(|o| matches!(o, Outcome::Platform { .. })),
        count(|o| matches!(o, Outcome::Failed { .. })),
    );
    out.push_str(
        "Speedup is baseline cycles / Memento cycles - 1, as `memento compare` gives it; \
         DRAM traffic is in lines read and written (by cause); memory is the peak of \
         resident pages times the page size (its change is given when the baseline's is \
         1 MiB or more). Plots show the first seed's runs.\n\n",
    );
    let plot = |p: Plot| {
        let name = p.name(batch);
        format!(
            "![{}]({plot_link}/{name}.png) ([SVG]({plot_link}/{name}.svg))\n\n",
            p.title(batch)
        )
    };

    if !batch.compared.is_empty() {
        section(&mut out, "Configurations", &configs(batch));
        section(&mut out, "Summary per configuration", &summary(batch));
        section(
            &mut out,
            "Cycles and speedup per workload and configuration",
            &speed(batch),
        );
        out.push_str(&plot(Plot::Speedup));
        section(&mut out, "DRAM traffic by cause", &dram(batch));
        for c in batch.first_seed() {
            out.push_str(&plot(Plot::Dram(c.config)));
        }
        section(&mut out, "Memory", &memory(batch));
        sensitivity(&mut out, batch, &plot);
        hot_code(&mut out, batch, hot);
    }
    platform(&mut out, batch);
    failed(&mut out, batch);
    if !batch.unpaired.is_empty() {
        let mut t = Table::new(&[
            ("workload", Align::Left),
            ("configuration", Align::Left),
            ("seed", Align::Right),
            ("modes run", Align::Left),
        ]);
        for u in &batch.unpaired {
            t.row(vec![
                u.workload.clone(),
                u.config.clone(),
                u.seed.to_string(),
                u.modes.join(", "),
            ]);
        }
        section(
            &mut out,
            "Runs that cannot be compared (no baseline or no Memento run)",
            &t,
        );
    }
    out
}

fn section(out: &mut String, title: &str, table: &Table) {
    let _ = write!(out, "## {title}\n\n{}\n", table.render_markdown());
}

/// Whether the report needs a seed column.
fn seeded(batch: &Batch) -> bool {
    batch.seeds.len() > 1
}

/// The leading cells of a row: workload, configuration and (with several
/// seeds) seed.
fn row_start(batch: &Batch, w: &str, c: &Compared) -> Vec<String> {
    let mut cells = vec![w.to_string(), batch.configs[c.config].label.clone()];
    if seeded(batch) {
        cells.push(c.seed.to_string());
    }
    cells
}

/// The leading columns matching [`row_start`], then `rest`.
fn columns<'a>(batch: &Batch, rest: &[(&'a str, Align)], workload: bool) -> Vec<(&'a str, Align)> {
    let mut c = Vec::new();
    if workload {
        c.push(("workload", Align::Left));
    }
    c.push(("configuration", Align::Left));
    if seeded(batch) {
        c.push(("seed", Align::Right));
    }
    c.extend_from_slice(rest);
    c
}

/// Every compared workload, by workload then configuration then seed.
fn by_workload(batch: &Batch) -> Vec<(&Workload, &Compared)> {
    let mut rows = Vec::new();
    for name in batch.workloads() {
        for c in &batch.compared {
            if let Some(w) = c.comparison.workloads.iter().find(|w| w.name == name) {
                rows.push((w, c));
            }
        }
    }
    rows
}

/// A table with rows per compared workload and configuration: the
/// leading cells of [`row_start`], then each row of `rows` of the
/// workload (none to leave it out).
fn per_workload(
    batch: &Batch,
    rest: &[(&str, Align)],
    rows: impl Fn(&Workload) -> Vec<Vec<String>>,
) -> Table {
    let mut t = Table::new(&columns(batch, rest, true));
    for (w, c) in by_workload(batch) {
        for cells in rows(w) {
            let mut row = row_start(batch, &w.name, c);
            row.extend(cells);
            t.row(row);
        }
    }
    t
}

fn configs(batch: &Batch) -> Table {
    let mut t = Table::new(&[("#", Align::Right), ("configuration", Align::Left)]);
    for (i, c) in batch.configs.iter().enumerate() {
        t.row(vec![(i + 1).to_string(), c.label.clone()]);
    }
    t
}

fn summary(batch: &Batch) -> Table {
    let mut t = Table::new(&columns(
        batch,
        &[
            ("workloads", Align::Right),
            ("geomean speedup", Align::Right),
            ("mean speedup", Align::Right),
            ("lowest", Align::Right),
            ("highest", Align::Right),
            ("mean DRAM traffic change", Align::Right),
            ("mean ideal Mallacc", Align::Right),
        ],
        false,
    ));
    for c in &batch.compared {
        let s = &c.comparison.summary;
        let mut cells = row_start(batch, "", c);
        cells.remove(0);
        cells.extend([
            s.workloads.to_string(),
            pct(s.geomean_speedup),
            pct(s.mean_speedup),
            pct(s.speedup_range.0),
            pct(s.speedup_range.1),
            pct(s.mean_dram_traffic_change),
            opt_pct(s.mean_ideal_mallacc_speedup),
        ]);
        t.row(cells);
    }
    t
}

fn speed(batch: &Batch) -> Table {
    let rest = [
        ("baseline cycles", Align::Right),
        ("Memento cycles", Align::Right),
        ("speedup", Align::Right),
        ("ideal Mallacc", Align::Right),
        ("instructions removed", Align::Right),
    ];
    per_workload(batch, &rest, |w| {
        let (b, m) = base_memento(w);
        vec![vec![
            thousands(b.cycles),
            thousands(m.cycles),
            pct(w.figures.speedup),
            opt_pct(w.figures.ideal_mallacc_speedup),
            signed(w.figures.instructions_removed),
        ]]
    })
}

fn dram(batch: &Batch) -> Table {
    let mut rest = vec![("mode", Align::Left)];
    rest.extend(Cause::ALL.iter().map(|&x| (cause_short(x), Align::Right)));
    rest.push(("total", Align::Right));
    rest.push(("change", Align::Right));
    per_workload(batch, &rest, |w| {
        let (b, m) = base_memento(w);
        [
            ("baseline", b, String::new()),
            ("Memento", m, pct(w.figures.dram_traffic_change)),
        ]
        .into_iter()
        .map(|(mode, s, change)| {
            let mut cells = vec![mode.to_string()];
            cells.extend(
                Cause::ALL
                    .iter()
                    .map(|&x| thousands(s.dram_reads.get(x) + s.dram_writes.get(x))),
            );
            cells.push(thousands(s.dram_traffic()));
            cells.push(change);
            cells
        })
        .collect()
    })
}

fn memory(batch: &Batch) -> Table {
    let rest = [
        ("page size", Align::Right),
        ("baseline peak", Align::Right),
        ("Memento peak", Align::Right),
        ("change", Align::Right),
    ];
    let peak = |s: &RunStats| bytes(s.peak_resident_pages * u64::from(s.page_size));
    per_workload(batch, &rest, |w| {
        let (b, m) = base_memento(w);
        vec![vec![
            bytes(u64::from(b.page_size)),
            peak(b),
            peak(m),
            opt_pct(w.figures.peak_memory_change),
        ]]
    })
}

fn sensitivity(out: &mut String, batch: &Batch, plot: &dyn Fn(Plot) -> String) {
    if batch.swept.is_empty() {
        return;
    }
    out.push_str(
        "## Sensitivity to each swept parameter\n\n\
         Each parameter's values in order (numbers by value), every other swept parameter \
         held at its first value; a cell is Memento's speedup, then its change in DRAM \
         traffic. `-`: that configuration was not run or not compared.\n\n",
    );
    let workloads = batch.workloads();
    for (i, s) in batch.swept.iter().enumerate() {
        let others: Vec<String> = batch
            .swept
            .iter()
            .filter(|o| o.name != s.name)
            .map(|o| format!("`{}={}`", o.name, o.values[0]))
            .collect();
        let _ = writeln!(out, "### {}\n", s.name);
        if !others.is_empty() {
            let _ = writeln!(out, "Held: {}.\n", others.join(", "));
        }
        let mut columns = vec![("workload".to_string(), Align::Left)];
        columns.extend(
            s.values
                .iter()
                .map(|v| (format!("{}={v}", s.name), Align::Right)),
        );
        let columns: Vec<(&str, Align)> = columns.iter().map(|(n, a)| (n.as_str(), *a)).collect();
        let mut t = Table::new(&columns);
        for w in &workloads {
            let mut cells = vec![w.to_string()];
            for v in &s.values {
                cells.push(
                    batch
                        .config_along(s, v)
                        .and_then(|c| batch.figures(c, w))
                        .map_or_else(
                            || "-".into(),
                            |f| format!("{} ({})", pct(f.speedup), pct(f.dram_traffic_change)),
                        ),
                );
            }
            t.row(cells);
        }
        let _ = writeln!(out, "{}", t.render_markdown());
        out.push_str(&plot(Plot::Sensitivity(i, Metric::Speedup)));
        out.push_str(&plot(Plot::Sensitivity(i, Metric::DramTraffic)));
    }
}

fn hot_code(out: &mut String, batch: &Batch, hot: &[Traced]) {
    if hot.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "## Hot code\n\n\
         What the extension removes: the software allocator's instructions inside the \
         traced allocator brackets, attributed to the call site of each outermost bracket \
         (as `memento trace sites` counts sites) and to the code blocks run inside them. \
         Requests over 512 B keep the software path under Memento, so the trace's figure is \
         an upper bound; beside it, the instructions Memento's replay removed (baseline \
         less Memento) per configuration. The top {} sites and {} blocks per trace; each \
         block disassembled from its module's file.\n\n",
        super::hot::TOP_SITES,
        super::hot::TOP_BLOCKS
    );
    for traced in hot {
        let _ = writeln!(
            out,
            "### {} (`{}`)\n",
            traced.workloads.join(", "),
            traced.input
        );
        let h = match &traced.hot {
            Ok(h) => h,
            Err(e) => {
                let _ = writeln!(out, "The trace cannot be read here: {e}\n");
                continue;
            }
        };
        let _ = writeln!(
            out,
            "{} allocator calls (outermost brackets), {} instructions inside them.\n",
            thousands(h.brackets),
            thousands(h.instructions)
        );
        agreement(out, batch, traced, h);
        sites(out, h);
        for (i, b) in h.blocks.iter().enumerate() {
            block(out, i + 1, b, h.instructions);
        }
    }
}

/// The trace's bracketed instructions beside the replays' figures.
fn agreement(out: &mut String, batch: &Batch, traced: &Traced, h: &HotCode) {
    let rest = [
        ("in brackets (trace)", Align::Right),
        ("allocator instructions (baseline replay)", Align::Right),
        ("removed by Memento (replay)", Align::Right),
    ];
    let t = per_workload(batch, &rest, |w| {
        if !traced.workloads.contains(&w.name) {
            return Vec::new();
        }
        let (b, _) = base_memento(w);
        vec![vec![
            thousands(h.instructions),
            thousands(b.allocator_instructions),
            signed(w.figures.instructions_removed),
        ]]
    });
    let _ = writeln!(out, "{}", t.render_markdown());
}

fn share(part: u64, whole: u64) -> String {
    crate::table::percent(part, whole)
}

fn sites(out: &mut String, h: &HotCode) {
    let mut t = Table::new(&[
        ("#", Align::Right),
        ("call site", Align::Left),
        ("calls", Align::Right),
        ("allocator instructions", Align::Right),
        ("share", Align::Right),
    ]);
    for (i, s) in h.sites.iter().enumerate() {
        t.row(vec![
            (i + 1).to_string(),
            s.location
                .as_ref()
                .map_or_else(|| "unknown (no site)".into(), |l| format!("`{l}`")),
            thousands(s.calls),
            thousands(s.instructions),
            share(s.instructions, h.instructions),
        ]);
    }
    let _ = writeln!(out, "{}", t.render_markdown());
}

fn block(out: &mut String, rank: usize, b: &HotBlock, total: u64) {
    let place = b
        .location
        .as_ref()
        .map_or_else(|| format!("{:#x}", b.addr), |l| l.to_string());
    let _ = writeln!(
        out,
        "Block {rank}: `{place}`, {} bytes, {} instructions, run {} times: {} instructions ({} of the bracketed).\n",
        b.len,
        b.count,
        thousands(b.executions),
        thousands(b.instructions()),
        share(b.instructions(), total)
    );
    match &b.code {
        Ok(code) => {
            let width = code.iter().map(|i| i.bytes.len()).max().unwrap_or(0) * 3;
            out.push_str("```\n");
            for i in code {
                let hex: Vec<String> = i.bytes.iter().map(|x| format!("{x:02x}")).collect();
                let line = format!(
                    "{:>12}  {:#x}:  {:<width$} {} {}",
                    thousands(b.executions),
                    i.addr,
                    hex.join(" "),
                    i.mnemonic,
                    i.operands
                );
                let _ = writeln!(out, "{}", line.trim_end());
            }
            out.push_str("```\n\n");
        }
        Err(why) => {
            let _ = writeln!(out, "Not disassembled: {why}.\n");
        }
    }
}

/// A number of the platform report at `pointer`, formatted by `f`.
fn number(report: &serde_json::Value, pointer: &str, f: impl Fn(f64) -> String) -> String {
    report
        .pointer(pointer)
        .and_then(serde_json::Value::as_f64)
        .map_or_else(|| "-".into(), f)
}

fn platform(out: &mut String, batch: &Batch) {
    let mut t = Table::new(&[
        ("scenario", Align::Left),
        ("configuration", Align::Left),
        ("mode", Align::Left),
        ("invocations", Align::Right),
        ("cold starts", Align::Right),
        ("p50 ms", Align::Right),
        ("p99 ms", Align::Right),
        ("peak MiB", Align::Right),
        ("cost $", Align::Right),
    ]);
    let mut any = false;
    for l in &batch.loaded {
        let Outcome::Platform { report } = &l.record.outcome else {
            continue;
        };
        any = true;
        let modes = report
            .get("modes")
            .and_then(serde_json::Value::as_array)
            .cloned()
            .unwrap_or_default();
        for m in &modes {
            let count = |p| number(m, p, |v| thousands(v as u64));
            let fixed = |p, d: usize| number(m, p, move |v| format!("{v:.d$}"));
            t.row(vec![
                l.record.workload.clone(),
                l.record.config.clone(),
                m.get("mode")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("-")
                    .to_string(),
                count("/all/invocations"),
                count("/all/cold"),
                fixed("/all/p50_ms", 2),
                fixed("/all/p99_ms", 2),
                fixed("/peak_memory_mib", 1),
                fixed("/cost_usd", 6),
            ]);
        }
    }
    if any {
        section(out, "Platform runs", &t);
    }
}

fn failed(out: &mut String, batch: &Batch) {
    let mut t = Table::new(&[
        ("workload", Align::Left),
        ("configuration", Align::Left),
        ("mode", Align::Left),
        ("seed", Align::Right),
        ("run file", Align::Left),
        ("error", Align::Left),
    ]);
    let mut any = false;
    for l in &batch.loaded {
        let Outcome::Failed { error } = &l.record.outcome else {
            continue;
        };
        any = true;
        t.row(vec![
            l.record.workload.clone(),
            l.record.config.clone(),
            l.record.mode.clone(),
            l.record.seed.to_string(),
            format!("runs/{}", l.file),
            error.clone(),
        ]);
    }
    if any {
        section(out, "Failed runs", &t);
    }
}
