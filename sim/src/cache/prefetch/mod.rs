//! Hardware prefetchers, one small module each, chosen by a config value.
//! A prefetcher sees a level's demand misses (and hits on lines it brought)
//! and proposes lines to fetch into that level.

mod next_line;
mod stride;

use crate::config::PrefetcherKind;

pub use next_line::NextLine;
pub use stride::Stride;

/// Most lines one trigger may propose.
pub const MAX_DEGREE: usize = 16;

/// One of the prefetchers.
#[derive(Clone, Debug)]
pub enum Prefetcher {
    /// No prefetching.
    None,
    /// Next-line.
    NextLine(NextLine),
    /// Region-based stride.
    Stride(Box<Stride>),
}

impl Prefetcher {
    /// A prefetcher of `kind` proposing up to `degree` lines per trigger.
    pub fn new(kind: PrefetcherKind, degree: u32) -> Prefetcher {
        let degree = (degree as usize).min(MAX_DEGREE);
        match kind {
            PrefetcherKind::None => Prefetcher::None,
            PrefetcherKind::NextLine => Prefetcher::NextLine(NextLine::new(degree)),
            PrefetcherKind::Stride => Prefetcher::Stride(Box::new(Stride::new(degree))),
        }
    }

    /// Whether this prefetcher ever proposes anything.
    #[inline]
    pub fn is_active(&self) -> bool {
        !matches!(self, Prefetcher::None)
    }

    /// Trains on a demand access to `line`; writes proposals to `out` and
    /// returns how many.
    pub fn train(&mut self, line: u64, out: &mut [u64; MAX_DEGREE]) -> usize {
        match self {
            Prefetcher::None => 0,
            Prefetcher::NextLine(p) => p.train(line, out),
            Prefetcher::Stride(p) => p.train(line, out),
        }
    }
}
