//! `dram-traffic`: DRAM lines moved (reads and writes) by the baseline and
//! by Memento on each workload, side by side, stacked by cause.

use memento_sim::{Cause, CauseCounts};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::frame::{self, Mark, Names, LABEL_SIZE, MARGIN};
use super::{Area, Drawn};
use crate::compare::figures::find;
use crate::compare::mode::Mode;
use crate::compare::print::pct;
use crate::compare::Comparison;
use crate::table::thousands;

/// The plot's title.
pub const TITLE: &str = "DRAM traffic by cause: baseline and Memento";
/// Where a bar starts in its workload's slot, and its width (slot = 1).
const BARS: [(f64, f64); 2] = [(0.1, 0.39), (0.51, 0.39)];
/// The two modes, left bar and right bar.
const MODES: [Mode; 2] = [Mode::BASELINE, Mode::MEMENTO];
/// The names of the modes under their bars, longest first: the first pair
/// that fits the bars is used.
const MODE_NAMES: [[&str; 2]; 3] = [["baseline", "Memento"], ["base", "Mem."], ["B", "M"]];

/// The colour of each cause, in [`Cause::ALL`]'s order.
fn colour(c: Cause) -> RGBColor {
    match c {
        Cause::Demand => frame::BLUE,
        Cause::Writeback => frame::VERMILLION,
        Cause::Prefetch => frame::GREEN,
        Cause::PageZeroing => frame::YELLOW,
        Cause::PageWalk => frame::SKY_BLUE,
        Cause::AllocMetadata => frame::ORANGE,
    }
}

/// Lines moved for `cause`, read and written.
fn lines(reads: &CauseCounts, writes: &CauseCounts, cause: Cause) -> u64 {
    reads.get(cause) + writes.get(cause)
}

/// Draws the plot of `c` (with at least one workload) on `root`.
pub fn draw<DB: DrawingBackend>(c: &Comparison, root: &Area<DB>) -> Drawn
where
    DB::ErrorType: 'static,
{
    draw_titled(c, TITLE, root)
}

/// Draws the plot of `c` (with at least one workload) on `root`, titled
/// `title`.
pub fn draw_titled<DB: DrawingBackend>(c: &Comparison, title: &str, root: &Area<DB>) -> Drawn
where
    DB::ErrorType: 'static,
{
    let (area, legend_area) = frame::frame(root, title)?;
    let runs: Vec<[Option<(CauseCounts, CauseCounts)>; 2]> = c
        .workloads
        .iter()
        .map(|w| MODES.map(|m| find(&w.runs, m).map(|s| (s.dram_reads, s.dram_writes))))
        .collect();
    let top = runs
        .iter()
        .flatten()
        .flatten()
        .map(|(r, w)| r.transfers() + w.transfers())
        .max()
        .unwrap_or(0)
        .max(1) as f64
        * 1.12;

    // Room for the widest tick and the axis's description beside it.
    let tick_style = frame::plain(LABEL_SIZE);
    let y_area = (frame::size_of(root, &thousands(top as u64), &tick_style)?.0 + 50).max(80);
    let (x_range, slot) = frame::slots(c.workloads.len(), y_area as u32);
    let names: Vec<&str> = c.workloads.iter().map(|w| w.name.as_str()).collect();
    let layout = Names::fit(root, &names, slot)?;
    // The names of the modes under their bars, if any fit.
    let small = frame::text(LABEL_SIZE - 2.0, HPos::Center, VPos::Top);
    let bar_px = (f64::from(slot) * BARS[0].1) as i32;
    let mut mode_names = None;
    for pair in MODE_NAMES {
        let w0 = frame::size_of(root, pair[0], &small)?.0;
        let w1 = frame::size_of(root, pair[1], &small)?.0;
        if w0.max(w1) + 2 <= bar_px {
            mode_names = Some(pair);
            break;
        }
    }
    let mode_row = match mode_names {
        Some(_) => frame::size_of(root, "Ag", &small)?.1 + 8,
        None => 0,
    };

    let mut chart = ChartBuilder::on(&area)
        .margin(MARGIN)
        .x_label_area_size(layout.height + mode_row as u32)
        .y_label_area_size(y_area as u32)
        .build_cartesian_2d(x_range, 0.0..top)?;
    frame::mesh(&mut chart, "DRAM lines (64 B)", &|v| thousands(*v as u64))?;

    let mut used = [false; 6];
    for (i, pair) in runs.iter().enumerate() {
        for ((start, width), run) in BARS.iter().zip(pair) {
            let Some((reads, writes)) = run else { continue };
            let (x0, x1) = (i as f64 + start, i as f64 + start + width);
            let mut bottom = 0.0;
            for (k, cause) in Cause::ALL.into_iter().enumerate() {
                let v = lines(reads, writes, cause) as f64;
                used[k] |= v > 0.0;
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x0, bottom), (x1, bottom + v)],
                    colour(cause).filled(),
                )))?;
                bottom += v;
            }
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x0, 0.0), (x1, bottom)],
                BLACK.stroke_width(1),
            )))?;
        }
    }

    // Under each bar its mode; under each pair the workload's name; above
    // each pair the change in lines moved.
    let px = |x: f64, y: f64| chart.backend_coord(&(x, y));
    let axis_y = px(0.0, 0.0).1;
    let change_style = frame::text(LABEL_SIZE - 1.0, HPos::Center, VPos::Bottom);
    let mut centres = Vec::new();
    for (i, w) in c.workloads.iter().enumerate() {
        for ((start, width), name) in BARS.iter().zip(mode_names.unwrap_or_default()) {
            let x = px(i as f64 + start + width / 2.0, 0.0).0;
            root.draw(&Text::new(name, (x, axis_y + 4), small.clone()))?;
        }
        centres.push(px(i as f64 + 0.5, 0.0).0);
        let highest = runs[i]
            .iter()
            .flatten()
            .map(|(r, w)| r.transfers() + w.transfers())
            .max()
            .unwrap_or(0);
        let label = pct(w.figures.dram_traffic_change);
        if frame::size_of(root, &label, &change_style)?.0 + 4 <= slot {
            let (x, y) = px(i as f64 + 0.5, highest as f64);
            root.draw(&Text::new(label, (x, y - 4), change_style.clone()))?;
        }
    }
    layout.draw(root, &centres, axis_y + mode_row)?;

    let mut entries = vec![("DRAM lines moved by".to_string(), Mark::Heading)];
    // Top of the stack first, as the bars show them.
    for (k, cause) in Cause::ALL.into_iter().enumerate().rev() {
        let mut label = cause.name().replace('_', " ");
        if !used[k] {
            label += " (none)";
        }
        entries.push((label, Mark::Box(colour(cause))));
    }
    entries.push((String::new(), Mark::Note));
    entries.push(("Two bars per workload:".into(), Mark::Heading));
    let short = |i: usize| match mode_names {
        Some(names) if names != MODE_NAMES[0] => format!(" ({})", names[i]),
        _ => String::new(),
    };
    entries.push((format!("left: baseline{}", short(0)), Mark::Note));
    entries.push((format!("right: Memento{}", short(1)), Mark::Note));
    entries.push(("above: change in lines".into(), Mark::Note));
    entries.push(("(reads + writes)".into(), Mark::Note));
    frame::legend(&legend_area, &entries)?;
    Ok(())
}
