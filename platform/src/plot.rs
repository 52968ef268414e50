//! Plots of a report, each as SVG and PNG (in the style and with the font
//! of `memento compare`'s): `memory`, the memory loaded over time per mode,
//! and `latency-cdf`, the distribution of invocation latencies per mode on
//! a logarithmic axis.

use std::path::Path;

use memento_analysis::compare::plot::kit::{self, Area, Drawn, Mark, FAMILY};
use plotters::coord::ranged1d::ValueFormatter;
use plotters::prelude::*;

use crate::report::Report;

/// The file names (without extension) [`all`] writes.
pub const NAMES: [&str; 2] = ["memory", "latency-cdf"];

const COLOURS: [RGBColor; 4] = [kit::BLUE, kit::VERMILLION, kit::GREEN, kit::PURPLE];

/// Line width of mode `i`: wider for the earlier modes, so that a line
/// drawn over an equal one leaves it visible on both sides.
fn width(i: usize) -> u32 {
    if i == 0 {
        3
    } else {
        1
    }
}

/// Writes every plot of `r` into `dir`; the error names the file at fault.
pub fn all(r: &Report, dir: &Path) -> Result<(), String> {
    kit::write_pair(dir, "memory", |a| memory(r, a), |a| memory(r, a))?;
    kit::write_pair(dir, "latency-cdf", |a| latency(r, a), |a| latency(r, a))
}

/// Draws the grid and the axes, labelled `x` and `y`, in the house style.
fn axes<DB, X, Y>(chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>, x: &str, y: &str) -> Drawn
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    chart
        .configure_mesh()
        .max_light_lines(0)
        .bold_line_style(kit::GREY.mix(0.35))
        .x_desc(x)
        .y_desc(y)
        .x_label_formatter(&|v| kit::tick(*v))
        .y_label_formatter(&|v| kit::tick(*v))
        .label_style((FAMILY, kit::LABEL_SIZE))
        .axis_desc_style((FAMILY, kit::DESC_SIZE))
        .draw()?;
    Ok(())
}

fn legend<DB: DrawingBackend>(r: &Report, area: &Area<DB>, heading: &str) -> Drawn
where
    DB::ErrorType: 'static,
{
    let mut entries = vec![(heading.to_string(), Mark::Heading)];
    for (i, m) in r.modes.iter().enumerate() {
        entries.push((m.mode.clone(), Mark::Box(COLOURS[i % COLOURS.len()])));
    }
    kit::legend(area, &entries)
}

fn memory<DB: DrawingBackend>(r: &Report, root: &Area<DB>) -> Drawn
where
    DB::ErrorType: 'static,
{
    let (area, side) = kit::frame(root, "Memory loaded on the node over time")?;
    legend(r, &side, "mode")?;
    let end_h = r
        .modes
        .iter()
        .map(|m| m.memory_step_s * m.memory_mib.len() as f64 / 3600.0)
        .fold(0.0, f64::max)
        .max(1e-3);
    let top = r
        .modes
        .iter()
        .flat_map(|m| m.memory_mib.iter().copied())
        .fold(0.0, f64::max)
        .max(1.0);
    let mut chart = ChartBuilder::on(&area)
        .margin(kit::MARGIN)
        .x_label_area_size(60)
        .y_label_area_size(90)
        .build_cartesian_2d(0.0..end_h, 0.0..top * 1.1)?;
    axes(&mut chart, "time (hours)", "memory loaded (MiB)")?;
    for (i, m) in r.modes.iter().enumerate() {
        let step = m.memory_step_s / 3600.0;
        // A step function: each sample holds until the next.
        let mut points = Vec::with_capacity(2 * m.memory_mib.len());
        for (k, &v) in m.memory_mib.iter().enumerate() {
            points.push((k as f64 * step, v));
            points.push(((k + 1) as f64 * step, v));
        }
        chart.draw_series(std::iter::once(PathElement::new(
            points,
            COLOURS[i % COLOURS.len()].stroke_width(width(i)),
        )))?;
    }
    Ok(())
}

fn latency<DB: DrawingBackend>(r: &Report, root: &Area<DB>) -> Drawn
where
    DB::ErrorType: 'static,
{
    let (area, side) = kit::frame(root, "Invocation latency, cumulative distribution")?;
    legend(r, &side, "mode")?;
    let values = || {
        r.modes
            .iter()
            .flat_map(|m| m.latency_quantiles_ms.iter().copied())
    };
    let lo = values().filter(|v| *v > 0.0).fold(f64::INFINITY, f64::min);
    let lo = if lo.is_finite() { lo / 2.0 } else { 1e-3 };
    let hi = values().fold(lo * 10.0, f64::max) * 2.0;
    let mut chart = ChartBuilder::on(&area)
        .margin(kit::MARGIN)
        .x_label_area_size(60)
        .y_label_area_size(90)
        .build_cartesian_2d((lo..hi).log_scale(), 0.0..100.0)?;
    axes(
        &mut chart,
        "latency (ms, log scale)",
        "invocations at or below (%)",
    )?;
    for (i, m) in r.modes.iter().enumerate() {
        let points: Vec<(f64, f64)> = m
            .latency_quantiles_ms
            .iter()
            .enumerate()
            .map(|(k, &v)| (v.max(lo), k as f64 / 2.0))
            .collect();
        chart.draw_series(std::iter::once(PathElement::new(
            points,
            COLOURS[i % COLOURS.len()].stroke_width(width(i)),
        )))?;
    }
    Ok(())
}
