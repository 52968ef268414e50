//! Plots of a comparison, each written as SVG and as PNG:
//!
//! - `dram-traffic`: DRAM lines moved by the baseline and by Memento on
//!   each workload, stacked by cause;
//! - `speedup-split`: Memento's speedup on each workload split among its
//!   four features (with `--ablate`; without it the plot says so);
//! - `speedup-vs-allocator-share`: Memento's speedup (and the ideal
//!   Mallacc's) against the allocator's share of the baseline's
//!   instructions.
//!
//! Text is drawn with DejaVu Sans, embedded in the binary
//! (`analysis/fonts/`), so the PNGs need no font on the machine. Plots are
//! drawn in memory and each file is written to `NAME.EXT.tmp`, then renamed:
//! a failed write leaves no partial file behind.

mod bitmap;
mod dram;
mod frame;
mod scatter;
mod split_bars;

use std::error::Error;
use std::fs;
use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};

use super::{CompareError, Comparison};

/// Width of every plot, in pixels (the PNG's size; the SVG's view box).
pub const WIDTH: u32 = 1200;
/// Height of every plot, in pixels.
pub const HEIGHT: u32 = 700;

/// The file names (without extension) of the plots [`all`] writes.
pub const NAMES: [&str; 3] = [
    "dram-traffic",
    "speedup-split",
    "speedup-vs-allocator-share",
];

/// The font every text is drawn in: DejaVu Sans.
const FONT: &[u8] = include_bytes!("../../fonts/DejaVuSans.ttf");
/// The family name [`FONT`] is registered under with plotters.
pub const FAMILY: &str = "sans-serif";

/// A whole plot's drawing area.
pub type Area<DB> = DrawingArea<DB, Shift>;
/// What drawing gives: plotters' errors and ours, as text.
pub type Drawn = Result<(), Box<dyn Error>>;

/// Writes every plot of `c` into `dir`, which it creates if needed: for
/// each name of [`NAMES`], `NAME.svg` and `NAME.png`. With no workload
/// split (a comparison run without `--ablate`), `speedup-split` is a plot
/// that says how to get one. An error names the folder or file at fault.
pub fn all(c: &Comparison, dir: &Path) -> Result<(), CompareError> {
    fs::create_dir_all(dir)
        .map_err(|e| CompareError::new(dir, format!("cannot create the plot folder: {e}")))?;
    for name in NAMES {
        let path = |ext: &str| dir.join(format!("{name}.{ext}"));
        let (svg, png) = (path("svg"), path("png"));
        let failed = |p: &Path| {
            let p = p.to_path_buf();
            move |e: Box<dyn Error>| CompareError::new(&p, format!("cannot draw the plot: {e}"))
        };
        write_atomic(&svg, render_svg(c, name).map_err(failed(&svg))?.as_bytes())?;
        write_atomic(&png, &render_png(c, name).map_err(failed(&png))?)?;
    }
    Ok(())
}

/// Draws the plot `name` on `root`.
fn draw<DB: DrawingBackend>(c: &Comparison, name: &str, root: &Area<DB>) -> Drawn
where
    DB::ErrorType: 'static,
{
    type Plot<DB> = fn(&Comparison, &Area<DB>) -> Drawn;
    let (title, plot): (&str, Plot<DB>) = match name {
        "dram-traffic" => (dram::TITLE, dram::draw),
        "speedup-split" => (split_bars::TITLE, split_bars::draw),
        "speedup-vs-allocator-share" => (scatter::TITLE, scatter::draw),
        other => return Err(format!("no plot is named {other}").into()),
    };
    register();
    root.fill(&WHITE)?;
    if c.workloads.is_empty() {
        frame::message(root, title, "no workload to plot")?;
    } else {
        plot(c, root)?;
    }
    root.present()?;
    Ok(())
}

/// The plot `name` as SVG.
fn render_svg(c: &Comparison, name: &str) -> Result<String, Box<dyn Error>> {
    let mut out = String::new();
    draw(
        c,
        name,
        &SVGBackend::with_string(&mut out, (WIDTH, HEIGHT)).into_drawing_area(),
    )?;
    Ok(out)
}

/// The plot `name` as PNG.
fn render_png(c: &Comparison, name: &str) -> Result<Vec<u8>, Box<dyn Error>> {
    bitmap::render(|root| draw(c, name, root))
}

/// Writes `bytes` to `path` atomically (see [`memento_trace::atomic`]);
/// the error names `path`.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), CompareError> {
    memento_trace::atomic::write_atomically(path, bytes)
        .map_err(|e| CompareError::new(path, format!("cannot write the plot: {e}")))
}

/// The drawing kit of these plots, for plots drawn elsewhere (the platform
/// layer's) in the same style: the font, the frame and legend, the
/// palette, and the writing of a plot as SVG and PNG.
pub mod kit {
    use std::path::Path;

    use plotters::prelude::*;

    pub use super::bitmap::Sharp;
    pub use super::frame::{
        frame, legend, mark, mesh, size_of, slots, text, tick, Mark, Names, BLUE, DESC_SIZE, GREEN,
        GREY, LABEL_SIZE, MARGIN, ORANGE, PURPLE, SKY_BLUE, VERMILLION, YELLOW,
    };
    pub use super::{Area, Drawn, FAMILY, HEIGHT, WIDTH};

    /// Draws `memento compare`'s `dram-traffic` plot of `c` on `root`,
    /// titled `title` (a message when `c` has no workload).
    pub fn dram_traffic<DB: DrawingBackend>(
        c: &crate::compare::Comparison,
        title: &str,
        root: &Area<DB>,
    ) -> Drawn
    where
        DB::ErrorType: 'static,
    {
        if c.workloads.is_empty() {
            super::frame::message(root, title, "no workload to plot")
        } else {
            super::dram::draw_titled(c, title, root)
        }
    }

    /// Writes `NAME.svg` and `NAME.png` into `dir` (created if needed),
    /// each drawn by `draw` on a white page with the embedded font, each
    /// file written atomically; the error names the folder or file at
    /// fault.
    pub fn write_pair(
        dir: &Path,
        name: &str,
        svg: impl FnOnce(&Area<SVGBackend>) -> Drawn,
        png: impl FnOnce(&Area<Sharp>) -> Drawn,
    ) -> Result<(), String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("{}: cannot create the plot folder: {e}", dir.display()))?;
        super::register();
        let (svg_path, png_path) = (
            dir.join(format!("{name}.svg")),
            dir.join(format!("{name}.png")),
        );
        let failed = |p: &Path, e: Box<dyn std::error::Error>| {
            format!("{}: cannot draw the plot: {e}", p.display())
        };
        let mut text = String::new();
        {
            let root = SVGBackend::with_string(&mut text, (WIDTH, HEIGHT)).into_drawing_area();
            root.fill(&WHITE).map_err(|e| failed(&svg_path, e.into()))?;
            svg(&root).map_err(|e| failed(&svg_path, e))?;
            root.present().map_err(|e| failed(&svg_path, e.into()))?;
        }
        let bytes = super::bitmap::render(|root| {
            root.fill(&WHITE)?;
            png(root)?;
            root.present()?;
            Ok(())
        })
        .map_err(|e| failed(&png_path, e))?;
        for (path, data) in [(&svg_path, text.as_bytes()), (&png_path, &bytes[..])] {
            memento_trace::atomic::write_atomically(path, data)
                .map_err(|e| format!("{}: cannot write the plot: {e}", path.display()))?;
        }
        Ok(())
    }
}

/// Registers the embedded font with plotters, once per process.
fn register() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if register_font(FAMILY, FontStyle::Normal, FONT).is_err() {
            panic!("the embedded DejaVu Sans is a valid TrueType font");
        }
    });
}
