//! Next-line prefetching: a miss to line L proposes L+1 .. L+degree.

use super::MAX_DEGREE;

/// Next-line prefetcher.
#[derive(Clone, Debug)]
pub struct NextLine {
    degree: usize,
}

impl NextLine {
    /// Proposes `degree` lines per trigger.
    pub fn new(degree: usize) -> NextLine {
        NextLine { degree }
    }

    /// The `degree` lines after `line`.
    pub fn train(&mut self, line: u64, out: &mut [u64; MAX_DEGREE]) -> usize {
        for (k, slot) in out.iter_mut().take(self.degree).enumerate() {
            *slot = line + 1 + k as u64;
        }
        self.degree
    }
}
