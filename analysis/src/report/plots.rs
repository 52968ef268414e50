//! The report's plots, each as SVG and PNG in `memento compare`'s style
//! (its drawing kit: frame, legend, palette, embedded font):
//!
//! - `dram-traffic-N`: DRAM lines moved by cause, baseline beside Memento,
//!   per workload, on configuration N (compare's own plot);
//! - `speedup`: Memento's speedup per workload, one bar per configuration;
//! - `sensitivity-speedup-P` and `sensitivity-dram-P` for each swept
//!   parameter P: Memento's speedup (or change in DRAM traffic) against
//!   P's values, in order, one line per workload, with every other swept
//!   parameter at its first value.
//!
//! Only the first seed's runs are plotted.

use std::path::{Path, PathBuf};

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{Batch, ReportError, Swept};
use crate::compare::plot::kit::{self, Area, Drawn, Mark, Names};
use crate::compare::{CompareError, Figures};

/// Colours of configurations and workloads, in turn.
const COLOURS: [RGBColor; 7] = [
    kit::BLUE,
    kit::ORANGE,
    kit::GREEN,
    kit::VERMILLION,
    kit::SKY_BLUE,
    kit::PURPLE,
    kit::YELLOW,
];
/// Room for the y axis's numbers and description.
const Y_AREA: u32 = 80;
/// The longest legend line, in characters; longer labels wrap.
const LEGEND_CHARS: usize = 22;

/// What a sensitivity curve shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// Memento's speedup.
    Speedup,
    /// Memento's change in DRAM lines moved.
    DramTraffic,
}

impl Metric {
    fn value(self, f: &Figures) -> f64 {
        match self {
            Metric::Speedup => f.speedup,
            Metric::DramTraffic => f.dram_traffic_change,
        }
    }

    fn axis(self) -> &'static str {
        match self {
            Metric::Speedup => "Memento's speedup over the baseline (%)",
            Metric::DramTraffic => "change in DRAM lines moved (%)",
        }
    }
}

/// One plot of a report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Plot {
    /// DRAM traffic by cause on the configuration of this index.
    Dram(usize),
    /// Speedup bars, per workload and configuration.
    Speedup,
    /// A sensitivity curve of the swept parameter of this index.
    Sensitivity(usize, Metric),
}

impl Plot {
    /// Its file name, without extension.
    pub fn name(&self, batch: &Batch) -> String {
        match self {
            Plot::Dram(c) => format!("dram-traffic-{}", c + 1),
            Plot::Speedup => "speedup".into(),
            Plot::Sensitivity(s, m) => format!(
                "sensitivity-{}-{}",
                match m {
                    Metric::Speedup => "speedup",
                    Metric::DramTraffic => "dram",
                },
                slug(&batch.swept[*s].name)
            ),
        }
    }

    /// What it shows, as its title says.
    pub fn title(&self, batch: &Batch) -> String {
        match self {
            Plot::Dram(c) => format!("DRAM traffic by cause on {}", batch.configs[*c].short()),
            Plot::Speedup => "Memento's speedup per workload and configuration".into(),
            Plot::Sensitivity(s, Metric::Speedup) => {
                format!("Memento's speedup against {}", batch.swept[*s].name)
            }
            Plot::Sensitivity(s, Metric::DramTraffic) => {
                format!("Change in DRAM traffic against {}", batch.swept[*s].name)
            }
        }
    }
}

/// `name` with every character but letters, digits, `.` and `_` as `-`.
fn slug(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// The plots of `batch`, in the report's order: one DRAM plot per
/// configuration compared, the speedup bars, then two sensitivity curves
/// per swept parameter. None without a comparison.
pub fn list(batch: &Batch) -> Vec<Plot> {
    let mut plots: Vec<Plot> = batch.first_seed().map(|c| Plot::Dram(c.config)).collect();
    if plots.is_empty() {
        return plots;
    }
    plots.push(Plot::Speedup);
    for s in 0..batch.swept.len() {
        plots.push(Plot::Sensitivity(s, Metric::Speedup));
        plots.push(Plot::Sensitivity(s, Metric::DramTraffic));
    }
    plots
}

/// The file names (without extension) of the plots of `batch`.
pub fn plot_names(batch: &Batch) -> Vec<String> {
    list(batch).iter().map(|p| p.name(batch)).collect()
}

/// Writes every plot of `batch` into `dir` as SVG and PNG; the files
/// written, or an error naming the file at fault.
pub fn write_all(batch: &Batch, dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let mut written = Vec::new();
    for plot in list(batch) {
        let name = plot.name(batch);
        kit::write_pair(
            dir,
            &name,
            |root| draw(batch, &plot, root),
            |root| draw(batch, &plot, root),
        )
        .map_err(|e| match e.split_once(": ") {
            Some((file, message)) => CompareError::new(Path::new(file), message),
            None => CompareError::new(dir, e),
        })?;
        written.push(dir.join(format!("{name}.svg")));
        written.push(dir.join(format!("{name}.png")));
    }
    Ok(written)
}

/// Draws `plot` on `root`.
fn draw<DB: DrawingBackend>(batch: &Batch, plot: &Plot, root: &Area<DB>) -> Drawn
where
    DB::ErrorType: 'static,
{
    let title = plot.title(batch);
    match plot {
        Plot::Dram(config) => {
            let compared = batch
                .first_seed()
                .find(|c| c.config == *config)
                .ok_or("no comparison of the configuration")?;
            kit::dram_traffic(&compared.comparison, &title, root)
        }
        Plot::Speedup => speedup_bars(batch, &title, root),
        Plot::Sensitivity(s, metric) => sensitivity(batch, &batch.swept[*s], *metric, &title, root),
    }
}

/// `label` as legend lines: one per `, `-separated part, a part longer
/// than [`LEGEND_CHARS`] broken after a `.`.
fn wrap(label: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for part in label.split(", ") {
        let mut rest = part;
        while rest.chars().count() > LEGEND_CHARS {
            let cut = rest
                .char_indices()
                .take(LEGEND_CHARS)
                .filter(|&(_, c)| c == '.')
                .last()
                .map_or(0, |(i, _)| i + 1);
            if cut == 0 {
                break;
            }
            lines.push(rest[..cut].to_string());
            rest = &rest[cut..];
        }
        lines.push(rest.to_string());
    }
    lines
}

/// The y range that shows `values` (in %) and 0, with room above and
/// below for labels.
fn y_range(values: impl Iterator<Item = f64>) -> std::ops::Range<f64> {
    let (lo, hi) = values.fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let span = (hi - lo).max(1.0);
    let lo = if lo < 0.0 { lo - 0.12 * span } else { 0.0 };
    lo..hi + 0.12 * span
}

fn speedup_bars<DB: DrawingBackend>(batch: &Batch, title: &str, root: &Area<DB>) -> Drawn
where
    DB::ErrorType: 'static,
{
    let (area, legend_area) = kit::frame(root, title)?;
    let workloads = batch.workloads();
    let configs: Vec<usize> = batch.first_seed().map(|c| c.config).collect();
    let value = |c: usize, w: &str| batch.figures(c, w).map(|f| 100.0 * f.speedup);
    let range = y_range(
        configs
            .iter()
            .flat_map(|&c| workloads.iter().filter_map(move |w| value(c, w))),
    );
    let (x_range, slot) = kit::slots(workloads.len(), Y_AREA);
    let layout = Names::fit(root, &workloads, slot)?;
    let mut chart = ChartBuilder::on(&area)
        .margin(kit::MARGIN)
        .x_label_area_size(layout.height)
        .y_label_area_size(Y_AREA)
        .build_cartesian_2d(x_range.clone(), range.clone())?;
    kit::mesh(&mut chart, Metric::Speedup.axis(), &|v| kit::tick(*v))?;
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(x_range.start, 0.0), (x_range.end, 0.0)],
        BLACK.stroke_width(1),
    )))?;
    let width = 0.8 / configs.len() as f64;
    let mut centres = Vec::new();
    for (i, w) in workloads.iter().enumerate() {
        for (k, &c) in configs.iter().enumerate() {
            let Some(v) = value(c, w) else { continue };
            let x0 = i as f64 + 0.1 + k as f64 * width;
            let bar = [(x0, 0.0), (x0 + width, v)];
            chart.draw_series(std::iter::once(Rectangle::new(
                bar,
                COLOURS[k % COLOURS.len()].filled(),
            )))?;
            chart.draw_series(std::iter::once(Rectangle::new(bar, BLACK.stroke_width(1))))?;
        }
        centres.push(chart.backend_coord(&(i as f64 + 0.5, 0.0)).0);
    }
    let bottom = chart.plotting_area().get_pixel_range().1.end;
    layout.draw(root, &centres, bottom)?;

    let mut entries = vec![("configuration".to_string(), Mark::Heading)];
    for (k, &c) in configs.iter().enumerate() {
        for (j, line) in wrap(&batch.configs[c].short()).into_iter().enumerate() {
            let mark = if j == 0 {
                Mark::Box(COLOURS[k % COLOURS.len()])
            } else {
                Mark::Note
            };
            entries.push((if j == 0 { line } else { format!("  {line}") }, mark));
        }
    }
    entries.push((String::new(), Mark::Note));
    entries.push(("speedup: baseline cycles".into(), Mark::Note));
    entries.push(("/ Memento cycles - 1".into(), Mark::Note));
    kit::legend(&legend_area, &entries)
}

/// The marks of the workloads' lines, in turn.
fn line_mark(i: usize) -> Mark {
    let colour = COLOURS[i % COLOURS.len()];
    match (i / COLOURS.len()) % 3 {
        0 => Mark::Circle(colour),
        1 => Mark::Triangle(colour),
        _ => Mark::Diamond(colour),
    }
}

fn sensitivity<DB: DrawingBackend>(
    batch: &Batch,
    swept: &Swept,
    metric: Metric,
    title: &str,
    root: &Area<DB>,
) -> Drawn
where
    DB::ErrorType: 'static,
{
    let (area, legend_area) = kit::frame(root, title)?;
    let workloads = batch.workloads();
    let configs: Vec<Option<usize>> = swept
        .values
        .iter()
        .map(|v| batch.config_along(swept, v))
        .collect();
    let lines: Vec<Vec<Option<f64>>> = workloads
        .iter()
        .map(|w| {
            configs
                .iter()
                .map(|c| Some(100.0 * metric.value(batch.figures((*c)?, w)?)))
                .collect()
        })
        .collect();
    let range = y_range(lines.iter().flatten().flatten().copied());
    let n = swept.values.len();
    let label_height = kit::size_of(
        root,
        "Ag",
        &kit::text(kit::LABEL_SIZE, HPos::Left, VPos::Top),
    )?
    .1;
    let mut chart = ChartBuilder::on(&area)
        .margin(kit::MARGIN)
        .x_label_area_size(2 * label_height as u32 + 24)
        .y_label_area_size(Y_AREA)
        .build_cartesian_2d(-0.5..n as f64 - 0.5, range.clone())?;
    kit::mesh(&mut chart, metric.axis(), &|v| kit::tick(*v))?;
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(-0.5, 0.0), (n as f64 - 0.5, 0.0)],
        BLACK.stroke_width(1),
    )))?;
    for (i, line) in lines.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        // A missing value breaks the line.
        let mut run: Vec<(f64, f64)> = Vec::new();
        for (k, v) in line.iter().chain(std::iter::once(&None)).enumerate() {
            match v {
                Some(v) => run.push((k as f64, *v)),
                None => {
                    if run.len() > 1 {
                        chart.draw_series(std::iter::once(PathElement::new(
                            run.clone(),
                            colour.stroke_width(2),
                        )))?;
                    }
                    run.clear();
                }
            }
        }
        for (k, v) in line.iter().enumerate() {
            if let Some(v) = v {
                let at = chart.backend_coord(&(k as f64, *v));
                kit::mark(root, line_mark(i), at, 6)?;
            }
        }
    }
    // The values under the axis, then what they are.
    let bottom = chart.plotting_area().get_pixel_range().1.end;
    let under = kit::text(kit::LABEL_SIZE, HPos::Center, VPos::Top);
    for (k, v) in swept.values.iter().enumerate() {
        let x = chart.backend_coord(&(k as f64, range.start)).0;
        let label = if configs[k].is_some() {
            v.clone()
        } else {
            format!("{v} (not run)")
        };
        root.draw(&Text::new(label, (x, bottom + 6), under.clone()))?;
    }
    let x_pixels = chart.plotting_area().get_pixel_range().0;
    let (left, right) = (x_pixels.start, x_pixels.end);
    root.draw(&Text::new(
        swept.name.clone(),
        ((left + right) / 2, bottom + label_height + 14),
        kit::text(kit::DESC_SIZE, HPos::Center, VPos::Top),
    ))?;

    let mut entries = vec![("workload".to_string(), Mark::Heading)];
    for (i, w) in workloads.iter().enumerate() {
        entries.push((w.to_string(), line_mark(i)));
    }
    entries.push((String::new(), Mark::Note));
    let others: Vec<&Swept> = batch
        .swept
        .iter()
        .filter(|s| s.name != swept.name)
        .collect();
    if !others.is_empty() {
        entries.push(("other parameters held".into(), Mark::Note));
        entries.push(("at their first value:".into(), Mark::Note));
        for s in others {
            for line in wrap(&format!("{}={}", s.name, s.values[0])) {
                entries.push((format!("  {line}"), Mark::Note));
            }
        }
    }
    kit::legend(&legend_area, &entries)
}
