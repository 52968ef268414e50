//! `speedup-split`: Memento's speedup on each workload split among its
//! four features (the Shapley values of `compare --ablate`), as stacked
//! bars: positive parts stacked up from 0, negative ones down from 0, and
//! a marker for the total.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::frame::{self, Mark, Names, LABEL_SIZE, MARGIN};
use super::{Area, Drawn};
use crate::compare::print::pct;
use crate::compare::{Comparison, Split};

/// The plot's title.
pub const TITLE: &str = "Memento's speedup split among its four features";
/// What the plot says when no workload has a split.
pub const NO_SPLIT: &str = "no split: run compare with --ablate for the split";
/// Room for the y axis's numbers and description.
const Y_AREA: u32 = 80;
/// The parts, in [`Split::parts`]'s order, and their colours.
const PARTS: [(&str, RGBColor); 4] = [
    ("object alloc", frame::BLUE),
    ("object free", frame::ORANGE),
    ("page management", frame::GREEN),
    ("bypass", frame::PURPLE),
];

/// The tops of the positive and the bottoms of the negative parts, in %.
fn extent(s: &Split) -> (f64, f64) {
    let parts = s.parts().map(|p| 100.0 * p);
    let up: f64 = parts.iter().filter(|p| **p > 0.0).sum();
    let down: f64 = parts.iter().filter(|p| **p < 0.0).sum();
    let total = 100.0 * s.total();
    (up.max(total), down.min(total))
}

/// Draws the plot on `root`.
pub fn draw<DB: DrawingBackend>(c: &Comparison, root: &Area<DB>) -> Drawn
where
    DB::ErrorType: 'static,
{
    let mut bars: Vec<(&str, Split)> = c
        .workloads
        .iter()
        .filter_map(|w| Some((w.name.as_str(), w.figures.split?)))
        .collect();
    if bars.is_empty() {
        return frame::message(root, TITLE, NO_SPLIT);
    }
    let with_mean = bars.len() > 1 && c.summary.mean_split.is_some();
    if let (true, Some(m)) = (with_mean, c.summary.mean_split) {
        bars.push(("mean", m));
    }
    let (area, legend_area) = frame::frame(root, TITLE)?;
    let n = bars.len();
    let (x_range, slot) = frame::slots(n, Y_AREA);
    let names: Vec<&str> = bars.iter().map(|b| b.0).collect();
    let layout = Names::fit(root, &names, slot)?;

    let (hi, lo) = bars.iter().fold((0.0f64, 0.0f64), |(hi, lo), (_, s)| {
        let (up, down) = extent(s);
        (hi.max(up), lo.min(down))
    });
    let span = (hi - lo).max(1.0);
    let lo = if lo < 0.0 { lo - 0.1 * span } else { 0.0 };
    let mut chart = ChartBuilder::on(&area)
        .margin(MARGIN)
        .x_label_area_size(layout.height)
        .y_label_area_size(Y_AREA)
        .build_cartesian_2d(x_range.clone(), lo..hi + 0.12 * span)?;
    frame::mesh(&mut chart, "speedup over the baseline (%)", &|v| {
        frame::tick(*v)
    })?;
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(x_range.start, 0.0), (x_range.end, 0.0)],
        BLACK.stroke_width(1),
    )))?;
    if with_mean {
        let x = (n - 1) as f64;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(x, lo), (x, hi + 0.12 * span)],
            frame::GREY.stroke_width(1),
        )))?;
    }

    // A total's label above its bar, or below it when the total is negative.
    let above = frame::text(LABEL_SIZE - 1.0, HPos::Center, VPos::Bottom);
    let below = frame::text(LABEL_SIZE - 1.0, HPos::Center, VPos::Top);
    let mut centres = Vec::new();
    for (i, (_, s)) in bars.iter().enumerate() {
        let (x0, x1) = (i as f64 + 0.2, i as f64 + 0.8);
        let (mut up, mut down) = (0.0, 0.0);
        for (p, (_, colour)) in s.parts().iter().zip(PARTS) {
            let v = 100.0 * p;
            let (from, to) = if v >= 0.0 {
                up += v;
                (up - v, up)
            } else {
                down += v;
                (down, down - v)
            };
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x0, from), (x1, to)],
                colour.filled(),
            )))?;
        }
        for (from, to) in [(0.0, up), (down, 0.0)] {
            if from < to {
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x0, from), (x1, to)],
                    BLACK.stroke_width(1),
                )))?;
            }
        }
        let total = 100.0 * s.total();
        let centre = chart.backend_coord(&(i as f64 + 0.5, total));
        frame::mark(root, Mark::Diamond(BLACK), centre, 7)?;
        let label = pct(s.total());
        if frame::size_of(root, &label, &above)?.0 + 4 <= slot {
            let (up, down) = extent(s);
            let (y, gap, style) = if total >= 0.0 {
                (up, -8, &above)
            } else {
                (down, 8, &below)
            };
            let at = chart.backend_coord(&(i as f64 + 0.5, y));
            root.draw(&Text::new(label, (at.0, at.1 + gap), style.clone()))?;
        }
        centres.push(centre.0);
    }
    let bottom = chart.plotting_area().get_pixel_range().1.end;
    layout.draw(root, &centres, bottom)?;

    let mut entries = vec![("Part of the speedup".to_string(), Mark::Heading)];
    // Top of a positive stack first, as the bars show them.
    entries.extend(
        PARTS
            .iter()
            .rev()
            .map(|(name, colour)| (name.to_string(), Mark::Box(*colour))),
    );
    entries.push(("total: the speedup".into(), Mark::Diamond(BLACK)));
    entries.push((String::new(), Mark::Note));
    for line in [
        "Shapley values over the 16",
        "combinations of features:",
        "the parts add up to the total;",
        "a part can be negative",
    ] {
        entries.push((line.into(), Mark::Note));
    }
    if with_mean {
        entries.push(("mean: of the workloads".into(), Mark::Note));
    }
    frame::legend(&legend_area, &entries)?;
    Ok(())
}
