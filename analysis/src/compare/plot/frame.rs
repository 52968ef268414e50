//! What the plots share: the palette, text, the title and the legend strip,
//! markers, and workload names under a categorical x axis.

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{Area, Drawn, FAMILY, WIDTH};

/// The Okabe-Ito palette, distinct for every common colour blindness.
pub const ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
/// Okabe-Ito sky blue.
pub const SKY_BLUE: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
/// Okabe-Ito bluish green.
pub const GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
/// Okabe-Ito yellow.
pub const YELLOW: RGBColor = RGBColor(0xF0, 0xE4, 0x42);
/// Okabe-Ito blue.
pub const BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
/// Okabe-Ito vermillion.
pub const VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
/// Okabe-Ito reddish purple.
pub const PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
/// Grid lines and leader lines.
pub const GREY: RGBColor = RGBColor(0x99, 0x99, 0x99);

/// Width of the legend strip at the right of every plot.
pub const LEGEND_WIDTH: u32 = 230;
/// Space around the chart.
pub const MARGIN: u32 = 16;
/// Height of the title line.
pub const TITLE_HEIGHT: u32 = 44;
/// Size of tick labels and workload names.
pub const LABEL_SIZE: f64 = 16.0;
/// Size of axis descriptions and legend entries.
pub const DESC_SIZE: f64 = 18.0;

/// Black text of `size` pixels, anchored by `h` and `v`.
pub fn text(size: f64, h: HPos, v: VPos) -> TextStyle<'static> {
    (FAMILY, size).into_font().color(&BLACK).pos(Pos::new(h, v))
}

/// Black text of `size` anchored at its top left.
pub fn plain(size: f64) -> TextStyle<'static> {
    text(size, HPos::Left, VPos::Top)
}

/// Width and height of `s` in `style`, in pixels.
pub fn size_of<DB: DrawingBackend>(
    root: &Area<DB>,
    s: &str,
    style: &TextStyle,
) -> Result<(i32, i32), Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    let (w, h) = root.estimate_text_size(s, style)?;
    Ok((w as i32, h as i32))
}

/// Draws the title of a plot and returns the area for its chart (left)
/// and for its legend (right).
pub fn frame<DB: DrawingBackend>(
    root: &Area<DB>,
    title: &str,
) -> Result<(Area<DB>, Area<DB>), Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    root.draw(&Text::new(
        title.to_string(),
        (WIDTH as i32 / 2, 12),
        text(22.0, HPos::Center, VPos::Top),
    ))?;
    let below = root.margin(TITLE_HEIGHT, 0, 0, 0);
    Ok(below.split_horizontally(WIDTH - LEGEND_WIDTH))
}

/// How a legend entry or a data point is marked.
#[derive(Clone, Copy, Debug)]
pub enum Mark {
    /// A filled square (a bar's colour).
    Box(RGBColor),
    /// A filled circle.
    Circle(RGBColor),
    /// A filled triangle, point up.
    Triangle(RGBColor),
    /// A filled diamond.
    Diamond(RGBColor),
    /// No mark: a line of explanation.
    Note,
    /// No mark, the line in a larger font: a heading.
    Heading,
}

/// Draws `mark` centred on `(x, y)`, `r` pixels from centre to edge.
pub fn mark<DB: DrawingBackend>(root: &Area<DB>, m: Mark, (x, y): (i32, i32), r: i32) -> Drawn
where
    DB::ErrorType: 'static,
{
    let edge = BLACK.stroke_width(1);
    match m {
        Mark::Box(c) => {
            root.draw(&Rectangle::new(
                [(x - r, y - r), (x + r, y + r)],
                c.filled(),
            ))?;
            root.draw(&Rectangle::new([(x - r, y - r), (x + r, y + r)], edge))?;
        }
        Mark::Circle(c) => {
            root.draw(&Circle::new((x, y), r, c.filled()))?;
            root.draw(&Circle::new((x, y), r, edge))?;
        }
        Mark::Triangle(c) | Mark::Diamond(c) => {
            let points: Vec<(i32, i32)> = if let Mark::Triangle(_) = m {
                let h = r * 2 / 3;
                vec![
                    (x, y - r - h / 2),
                    (x + r, y + r - h / 2),
                    (x - r, y + r - h / 2),
                ]
            } else {
                vec![(x, y - r), (x + r, y), (x, y + r), (x - r, y)]
            };
            root.draw(&Polygon::new(points.clone(), c.filled()))?;
            let mut closed = points.clone();
            closed.push(points[0]);
            root.draw(&PathElement::new(closed, edge))?;
        }
        Mark::Note | Mark::Heading => {}
    }
    Ok(())
}

/// Draws a legend: one line per entry, top down, in the legend strip.
pub fn legend<DB: DrawingBackend>(area: &Area<DB>, entries: &[(String, Mark)]) -> Drawn
where
    DB::ErrorType: 'static,
{
    // Coordinates on a sub-area are relative to its top left.
    let (x0, mut y) = (8, 10);
    for (label, m) in entries {
        let (size, x, step) = match m {
            Mark::Heading => (DESC_SIZE, x0, 30),
            Mark::Note => (LABEL_SIZE - 1.0, x0, 22),
            _ => (DESC_SIZE - 1.0, x0 + 26, 28),
        };
        mark(area, *m, (x0 + 9, y + 9), 8)?;
        area.draw(&Text::new(label.clone(), (x, y), plain(size)))?;
        y += step;
    }
    Ok(())
}

/// A number for a tick label: at most two decimals, no trailing zeros.
pub fn tick(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}

/// The fewest slots a categorical x axis shows: fewer workloads are
/// centred among empty slots rather than drawn as very wide bars.
pub const MIN_SLOTS: usize = 4;

/// The slots of a categorical x axis of `n` workloads, beside a y axis
/// `y_area` pixels wide: the axis's range (workload `i` in `i..i + 1`) and
/// a slot's width in pixels.
pub fn slots(n: usize, y_area: u32) -> (std::ops::Range<f64>, i32) {
    let shown = n.max(MIN_SLOTS);
    let pad = (shown - n) as f64 / 2.0;
    let width = (WIDTH - LEGEND_WIDTH - 2 * MARGIN - y_area) as i32;
    (-pad..n as f64 + pad, width / shown as i32)
}

/// Workload names laid out under the slots of a categorical x axis:
/// on one line when every name fits its slot, else on two lines (split at
/// the `-` or `_` nearest the middle) when that fits, else upright
/// (reading upwards), shortened with `…` past [`UPRIGHT_MAX`] pixels.
pub struct Names {
    /// Each name's lines.
    lines: Vec<Vec<String>>,
    /// Whether the names stand upright.
    upright: bool,
    /// Pixels from one line to the next.
    line_height: i32,
    /// Pixels the names take below the axis.
    pub height: u32,
}

/// The longest an upright name may be, in pixels.
pub const UPRIGHT_MAX: i32 = 200;

impl Names {
    /// The layout of `names` under slots `slot` pixels wide.
    pub fn fit<DB: DrawingBackend>(
        root: &Area<DB>,
        names: &[&str],
        slot: i32,
    ) -> Result<Names, Box<dyn std::error::Error>>
    where
        DB::ErrorType: 'static,
    {
        let style = plain(LABEL_SIZE);
        let line_height = size_of(root, "Ag", &style)?.1 + 4;
        let room = slot - 6;
        let widest = |lines: &[Vec<String>]| -> Result<i32, Box<dyn std::error::Error>> {
            let mut w = 0;
            for s in lines.iter().flatten() {
                w = w.max(size_of(root, s, &style)?.0);
            }
            Ok(w)
        };
        let flat: Vec<Vec<String>> = names.iter().map(|n| vec![n.to_string()]).collect();
        if widest(&flat)? <= room {
            return Ok(Names {
                lines: flat,
                upright: false,
                line_height,
                height: line_height as u32 + 8,
            });
        }
        let two: Vec<Vec<String>> = names.iter().map(|n| halves(n)).collect();
        if widest(&two)? <= room {
            return Ok(Names {
                lines: two,
                upright: false,
                line_height,
                height: 2 * line_height as u32 + 8,
            });
        }
        let mut upright = Vec::new();
        for n in names {
            upright.push(vec![shorten(root, n, &style)?]);
        }
        let height = widest(&upright)? as u32 + 12;
        Ok(Names {
            lines: upright,
            upright: true,
            line_height,
            height,
        })
    }

    /// Draws the names, each centred on its slot's `centres[i]`, from `top`
    /// down.
    pub fn draw<DB: DrawingBackend>(&self, root: &Area<DB>, centres: &[i32], top: i32) -> Drawn
    where
        DB::ErrorType: 'static,
    {
        for (lines, &x) in self.lines.iter().zip(centres) {
            for (k, line) in lines.iter().enumerate() {
                let style = if self.upright {
                    text(LABEL_SIZE, HPos::Right, VPos::Center).transform(FontTransform::Rotate270)
                } else {
                    text(LABEL_SIZE, HPos::Center, VPos::Top)
                };
                let at = (x, top + 4 + k as i32 * self.line_height);
                root.draw(&Text::new(line.clone(), at, style))?;
            }
        }
        Ok(())
    }
}

/// `name` on two lines, split at the separator nearest its middle (or in
/// the middle when it has none).
fn halves(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mid = chars.len() / 2;
    let cut = (0..chars.len())
        .filter(|&i| chars[i] == '-' || chars[i] == '_')
        .min_by_key(|&i| i.abs_diff(mid))
        .map_or(mid, |i| i + 1);
    let (a, b) = chars.split_at(cut);
    [a, b]
        .iter()
        .map(|s| s.iter().collect::<String>())
        .filter(|s| !s.is_empty())
        .collect()
}

/// `name`, with characters from its middle replaced by `…` until it is at
/// most [`UPRIGHT_MAX`] pixels long.
fn shorten<DB: DrawingBackend>(
    root: &Area<DB>,
    name: &str,
    style: &TextStyle,
) -> Result<String, Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    let chars: Vec<char> = name.chars().collect();
    let mut drop = 0;
    loop {
        let s: String = if drop == 0 {
            name.to_string()
        } else {
            let keep = chars.len().saturating_sub(drop);
            let head = keep.div_ceil(2);
            let tail = keep - head;
            let mut s: String = chars[..head].iter().collect();
            s.push('…');
            s.extend(&chars[chars.len() - tail..]);
            s
        };
        if drop >= chars.len() || size_of(root, &s, style)?.0 <= UPRIGHT_MAX {
            return Ok(s);
        }
        drop += 1;
    }
}

/// A plot with nothing to show: its title and, in the middle, `why`.
pub fn message<DB: DrawingBackend>(root: &Area<DB>, title: &str, why: &str) -> Drawn
where
    DB::ErrorType: 'static,
{
    frame(root, title)?;
    root.draw(&Text::new(
        why.to_string(),
        (WIDTH as i32 / 2, super::HEIGHT as i32 / 2),
        text(DESC_SIZE + 2.0, HPos::Center, VPos::Center),
    ))?;
    Ok(())
}

/// The chart's y axis and grid: light horizontal lines, no x labels (the
/// caller draws the workload names), `desc` beside the axis and `format`
/// for its ticks.
pub fn mesh<DB: DrawingBackend>(
    chart: &mut ChartContext<DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    desc: &str,
    format: &dyn Fn(&f64) -> String,
) -> Drawn
where
    DB::ErrorType: 'static,
{
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(8)
        .max_light_lines(0)
        .bold_line_style(GREY.mix(0.35))
        .y_desc(desc)
        .y_label_formatter(format)
        .label_style((FAMILY, LABEL_SIZE))
        .axis_desc_style((FAMILY, DESC_SIZE))
        .draw()?;
    Ok(())
}
