//! The PNG of a plot: plotters' bitmap backend, with text drawn by our own
//! ab_glyph code, then encoded by `png`.
//!
//! plotters 0.3.7 draws each glyph of an ab_glyph font at the integer
//! caret without the glyph's own offset in its box, so letters stand
//! unevenly ("Memen to"). [`Sharp`] draws the same font with every glyph
//! at its exact position, the text as wide as plotters measures it (so
//! that layouts computed with `estimate_text_size` hold).

use std::error::Error;
use std::sync::OnceLock;

use ab_glyph::{point, Font, FontRef, PxScale, ScaleFont};
use plotters::prelude::*;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};

use super::{Area, FONT, HEIGHT, WIDTH};

/// Where a text's baseline lies in the box plotters measures for it
/// (`size / 1.24` high), as a fraction of the box from its top.
const BASELINE: f32 = 0.8;

/// The embedded font, parsed once.
fn font() -> &'static FontRef<'static> {
    static PARSED: OnceLock<FontRef<'static>> = OnceLock::new();
    PARSED.get_or_init(|| FontRef::try_from_slice(FONT).expect("the embedded font parses"))
}

/// A bitmap backend whose text is drawn glyph by glyph at exact positions.
pub struct Sharp<'a>(BitMapBackend<'a>);

impl DrawingBackend for Sharp<'_> {
    type ErrorType = <BitMapBackend<'static> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.0.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.present()
    }

    fn draw_pixel(
        &mut self,
        at: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_pixel(at, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn blit_bitmap(
        &mut self,
        at: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.blit_bitmap(at, size, src)
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        at: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let size = style.size() as f32;
        let font = font().as_scaled(PxScale::from(size));
        let mut glyphs = Vec::new();
        let mut caret = 0.0f32;
        let mut previous = None;
        for c in text.chars() {
            let id = font.glyph_id(c);
            if let Some(p) = previous {
                caret += font.kern(p, id);
            }
            glyphs.push(id.with_scale_and_position(size, point(caret, 0.0)));
            caret += font.h_advance(id);
            previous = Some(id);
        }
        let height = size / 1.24;
        let anchor = style.anchor();
        let dx = match anchor.h_pos {
            HPos::Left => 0.0,
            HPos::Center => -caret / 2.0,
            HPos::Right => -caret,
        };
        let dy = BASELINE * height
            - match anchor.v_pos {
                VPos::Top => 0.0,
                VPos::Center => height / 2.0,
                VPos::Bottom => height,
            };
        let turn = style.transform();
        let mut pixels = Vec::new();
        for g in glyphs {
            let Some(outline) = font.outline_glyph(g) else {
                continue;
            };
            let b = outline.px_bounds();
            outline.draw(|x, y, cover| {
                let local = (b.min.x + x as f32 + dx, b.min.y + y as f32 + dy);
                let (tx, ty) = turn.transform(local.0.round() as i32, local.1.round() as i32);
                pixels.push(((at.0 + tx, at.1 + ty), cover));
            });
        }
        for (p, cover) in pixels {
            self.0.draw_pixel(p, color.mix(f64::from(cover.min(1.0))))?;
        }
        Ok(())
    }
}

/// Draws a plot with `draw` and encodes it as PNG.
pub fn render(draw: impl FnOnce(&Area<Sharp>) -> super::Drawn) -> Result<Vec<u8>, Box<dyn Error>> {
    let mut rgb = vec![0u8; WIDTH as usize * HEIGHT as usize * 3];
    draw(&Sharp(BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT))).into_drawing_area())?;
    let mut out = Vec::new();
    let mut encoder = ::png::Encoder::new(&mut out, WIDTH, HEIGHT);
    encoder.set_color(::png::ColorType::Rgb);
    encoder.set_depth(::png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&rgb)?;
    writer.finish()?;
    Ok(out)
}
