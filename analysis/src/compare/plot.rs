//! Plots of a comparison (SVG and PNG).

use std::path::Path;

use super::{CompareError, Comparison};

/// Writes every plot of `c` into `dir`.
pub fn all(_c: &Comparison, dir: &Path) -> Result<(), CompareError> {
    Err(CompareError::new(dir, "plots are not written yet"))
}
