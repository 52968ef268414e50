//! `speedup-vs-allocator-share`: one point per workload, Memento's speedup
//! against the software allocator's share of the baseline's instructions,
//! labelled with the workload's name; the ideal Mallacc's speedup, when it
//! was run, as a second series joined to Memento's by a line.

use plotters::prelude::*;

use super::frame::{self, Mark, DESC_SIZE, LABEL_SIZE, MARGIN};
use super::{Area, Drawn, FAMILY};
use crate::compare::Comparison;

/// The plot's title.
pub const TITLE: &str = "Speedup against the allocator's share of instructions";
/// Radius of a point's marker, in pixels.
const R: i32 = 7;

/// A rectangle in pixels: left, top, right, bottom.
type Rect = (i32, i32, i32, i32);

/// The area `a` and `b` share, in pixels.
fn overlap(a: Rect, b: Rect) -> i64 {
    let w = (a.2.min(b.2) - a.0.max(b.0)).max(0) as i64;
    let h = (a.3.min(b.3) - a.1.max(b.1)).max(0) as i64;
    w * h
}

/// Small boxes along the segment from `a` to `b`, leaving out the first
/// `skip` pixels: what a line covers, for [`place`].
pub fn along(a: (i32, i32), b: (i32, i32), skip: i32) -> Vec<Rect> {
    let (dx, dy) = ((b.0 - a.0) as f64, (b.1 - a.1) as f64);
    let length = dx.hypot(dy);
    let steps = (length / 5.0).ceil().max(1.0) as i32;
    (0..=steps)
        .map(|k| f64::from(k) / f64::from(steps))
        .filter(|t| t * length >= f64::from(skip))
        .map(|t| {
            let (x, y) = (a.0 + (t * dx) as i32, a.1 + (t * dy) as i32);
            (x - 2, y - 2, x + 2, y + 2)
        })
        .collect()
}

/// How much covering a pixel of a label or a point costs, against one of
/// a line (a label may cross a grey line rather than move far away).
const HARD: i64 = 100;
/// What moving a label one pixel further from its point costs.
const DISTANCE: i64 = 3;

/// Where to put labels of `sizes` beside the points `at`, so that none
/// covers another label or a point (`obstacles`), nor leaves `bounds`, and
/// crosses as few `lines` as it can: of the spots in rings of eight
/// around the point, the cheapest, where covering a label or a point costs
/// [`HARD`] a pixel, a line 1, and distance [`DISTANCE`] a pixel; a label
/// away from its point gets a leader line, which must not cross anything
/// either. Points with the most neighbours are labelled first (those
/// standing apart find room anyway); a point whose every spot would cover
/// a label or a point (inside a dense cluster) gets no label rather than
/// an overlapping one. Each label's rectangle and whether it sits
/// away from its point, or None.
pub fn place(
    at: &[(i32, i32)],
    sizes: &[(i32, i32)],
    obstacles: &[Rect],
    lines: &[Rect],
    bounds: Rect,
) -> Vec<Option<(Rect, bool)>> {
    let crowd = |p: (i32, i32)| {
        at.iter()
            .filter(|q| (q.0 - p.0).abs() < 80 && (q.1 - p.1).abs() < 40)
            .count()
    };
    let mut order: Vec<usize> = (0..at.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(crowd(at[i])));
    let mut taken: Vec<(Rect, i64)> = obstacles.iter().map(|r| (*r, HARD)).collect();
    taken.extend(lines.iter().map(|r| (*r, 1)));
    let cost_of = |taken: &[(Rect, i64)], r: Rect| -> i64 {
        taken.iter().map(|(t, w)| w * overlap(r, *t)).sum()
    };
    let mut placed = vec![None; at.len()];
    // What a label must not cover at all: points and labels.
    let mut hard: Vec<Rect> = obstacles.to_vec();
    for i in order {
        let ((x, y), (w, h)) = (at[i], sizes[i]);
        let g = R + 4;
        let mut best: Option<(i64, Rect, Vec<Rect>)> = None;
        for d in [0, 16, 34, 56, 84, 120] {
            let spots = [
                (x + g + d, y - h / 2),
                (x - g - d - w, y - h / 2),
                (x - w / 2, y - g - d - h),
                (x - w / 2, y + g + d),
                (x + g / 2 + d, y - g / 2 - d - h),
                (x + g / 2 + d, y + g / 2 + d),
                (x - g / 2 - d - w, y - g / 2 - d - h),
                (x - g / 2 - d - w, y + g / 2 + d),
            ];
            for (left, top) in spots {
                let r = (left, top, left + w, top + h);
                let leader = if d > 0 {
                    along((x, y), nearest(r, (x, y)), R + 2)
                } else {
                    Vec::new()
                };
                let outside = r.0 < bounds.0 || r.1 < bounds.1 || r.2 > bounds.2 || r.3 > bounds.3;
                let cost = cost_of(&taken, r)
                    + leader.iter().map(|l| cost_of(&taken, *l)).sum::<i64>()
                    + DISTANCE * i64::from(d)
                    + if outside { 1 << 40 } else { 0 };
                if best.as_ref().is_none_or(|b| cost < b.0) {
                    best = Some((cost, r, leader));
                }
            }
        }
        let (_, r, leader) = best.expect("eight spots per ring");
        let covers = |r: Rect| hard.iter().map(|o| overlap(r, *o)).sum::<i64>();
        let outside = r.0 < bounds.0 || r.1 < bounds.1 || r.2 > bounds.2 || r.3 > bounds.3;
        if outside || covers(r) > 0 {
            continue; // every spot covers a label or a point: no label
        }
        taken.push(((r.0 - 2, r.1 - 1, r.2 + 2, r.3 + 1), HARD));
        hard.push(r);
        placed[i] = Some((r, !leader.is_empty()));
        taken.extend(leader.into_iter().map(|l| (l, HARD)));
    }
    placed
}

/// The point of `r` nearest to `(x, y)`.
fn nearest(r: Rect, (x, y): (i32, i32)) -> (i32, i32) {
    (x.clamp(r.0, r.2), y.clamp(r.1, r.3))
}

/// Draws the plot of `c` (with at least one workload) on `root`.
pub fn draw<DB: DrawingBackend>(c: &Comparison, root: &Area<DB>) -> Drawn
where
    DB::ErrorType: 'static,
{
    let (area, legend_area) = frame::frame(root, TITLE)?;
    let points: Vec<(&str, f64, f64, Option<f64>)> = c
        .workloads
        .iter()
        .map(|w| {
            let f = &w.figures;
            let ideal = f.ideal_mallacc_speedup.map(|s| 100.0 * s);
            (
                w.name.as_str(),
                100.0 * f.allocator_share,
                100.0 * f.speedup,
                ideal,
            )
        })
        .collect();
    let ys = points
        .iter()
        .flat_map(|p| std::iter::once(p.2).chain(p.3))
        .collect::<Vec<_>>();
    let x_hi = points.iter().map(|p| p.1).fold(0.0, f64::max).max(1.0);
    let y_hi = ys.iter().copied().fold(0.0, f64::max);
    let y_lo = ys.iter().copied().fold(0.0, f64::min);
    let span = (y_hi - y_lo).max(1.0);
    let y_lo = if y_lo < 0.0 { y_lo - 0.08 * span } else { 0.0 };
    let mut chart = ChartBuilder::on(&area)
        .margin(MARGIN)
        .x_label_area_size(60)
        .y_label_area_size(80)
        .build_cartesian_2d(0.0..x_hi * 1.12, y_lo..y_hi + 0.1 * span)?;
    chart
        .configure_mesh()
        .max_light_lines(0)
        .bold_line_style(frame::GREY.mix(0.35))
        .x_desc("allocator share of the baseline's instructions (%)")
        .y_desc("speedup over the baseline (%)")
        .x_label_formatter(&|v| frame::tick(*v))
        .y_label_formatter(&|v| frame::tick(*v))
        .label_style((FAMILY, LABEL_SIZE))
        .axis_desc_style((FAMILY, DESC_SIZE))
        .draw()?;
    if y_lo < 0.0 {
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0.0, 0.0), (x_hi * 1.12, 0.0)],
            BLACK.stroke_width(1),
        )))?;
    }

    let px = |x: f64, y: f64| chart.backend_coord(&(x, y));
    let (mut obstacles, mut lines) = (Vec::new(), Vec::new());
    let mut at = Vec::new();
    for &(_, x, y, ideal) in &points {
        let p = px(x, y);
        if let Some(i) = ideal {
            let q = px(x, i);
            root.draw(&PathElement::new(vec![p, q], frame::GREY.stroke_width(2)))?;
            obstacles.push((q.0 - R, q.1 - R - 2, q.0 + R, q.1 + R));
            lines.extend(along(p, q, 0));
        }
        obstacles.push((p.0 - R, p.1 - R, p.0 + R, p.1 + R));
        at.push(p);
    }
    for &(_, x, _, ideal) in &points {
        if let Some(i) = ideal {
            frame::mark(root, Mark::Triangle(frame::VERMILLION), px(x, i), R)?;
        }
    }
    for &p in &at {
        frame::mark(root, Mark::Circle(frame::BLUE), p, R)?;
    }

    let style = frame::plain(LABEL_SIZE);
    let mut sizes = Vec::new();
    for p in &points {
        sizes.push(frame::size_of(root, p.0, &style)?);
    }
    let (xs, ys) = chart.plotting_area().get_pixel_range();
    let bounds = (xs.start + 2, ys.start + 2, xs.end - 2, ys.end - 2);
    let placed = place(&at, &sizes, &obstacles, &lines, bounds);
    let unlabelled = placed.iter().filter(|p| p.is_none()).count();
    for (placed, (p, point)) in placed.into_iter().zip(points.iter().zip(&at)) {
        let Some((r, far)) = placed else { continue };
        if far {
            let to = nearest(r, *point);
            root.draw(&PathElement::new(
                vec![*point, to],
                frame::GREY.stroke_width(1),
            ))?;
        }
        root.draw(&Rectangle::new(
            [(r.0 - 1, r.1 - 1), (r.2 + 1, r.3 + 1)],
            WHITE.mix(0.8).filled(),
        ))?;
        root.draw(&Text::new(p.0.to_string(), (r.0, r.1), style.clone()))?;
    }

    let mut entries = vec![
        ("One point per workload".to_string(), Mark::Heading),
        ("Memento".to_string(), Mark::Circle(frame::BLUE)),
    ];
    if points.iter().any(|p| p.3.is_some()) {
        entries.push(("ideal Mallacc".into(), Mark::Triangle(frame::VERMILLION)));
        entries.push((String::new(), Mark::Note));
        entries.push(("a grey line joins the two".into(), Mark::Note));
        entries.push(("points of a workload".into(), Mark::Note));
    }
    if unlabelled > 0 {
        entries.push((String::new(), Mark::Note));
        entries.push((format!("{unlabelled} points in crowds"), Mark::Note));
        entries.push(("are not named: the tables".into(), Mark::Note));
        entries.push(("give every workload".into(), Mark::Note));
    }
    frame::legend(&legend_area, &entries)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_of_close_points_do_not_overlap() {
        let at: Vec<(i32, i32)> = (0..12).map(|i| (400 + 3 * i, 300 + 2 * i)).collect();
        let sizes = vec![(120, 14); 12];
        let bounds = (0, 0, 1000, 600);
        let placed: Vec<Rect> = place(&at, &sizes, &[], &[], bounds)
            .into_iter()
            .flatten()
            .map(|(r, _)| r)
            .collect();
        assert_eq!(placed.len(), 12, "room enough for every label");
        for (i, a) in placed.iter().enumerate() {
            assert!(a.0 >= 0 && a.1 >= 0 && a.2 <= 1000 && a.3 <= 600);
            for b in &placed[i + 1..] {
                assert_eq!(overlap(*a, *b), 0, "{a:?} and {b:?}");
            }
        }
    }

    #[test]
    fn a_point_in_a_crowd_too_dense_to_label_goes_unnamed_not_overlapped() {
        // 60 points within a 40-pixel square: no room for 60 labels.
        let at: Vec<(i32, i32)> = (0..60)
            .map(|i| (400 + (i % 8) * 5, 300 + (i / 8) * 5))
            .collect();
        let sizes = vec![(120, 14); 60];
        let obstacles: Vec<Rect> = at
            .iter()
            .map(|p| (p.0 - R, p.1 - R, p.0 + R, p.1 + R))
            .collect();
        let placed: Vec<Rect> = place(&at, &sizes, &obstacles, &[], (0, 0, 1000, 600))
            .into_iter()
            .flatten()
            .map(|(r, _)| r)
            .collect();
        assert!(
            !placed.is_empty() && placed.len() < 60,
            "{} labelled",
            placed.len()
        );
        for (i, a) in placed.iter().enumerate() {
            for b in &placed[i + 1..] {
                assert_eq!(overlap(*a, *b), 0, "{a:?} and {b:?}");
            }
            for o in &obstacles {
                assert_eq!(overlap(*a, *o), 0, "{a:?} covers a point");
            }
        }
    }
}
