//! Size classes: which object size serves a request, up to [`MAX_OBJECT`].
//!
//! The default table is the small classes of the software allocator
//! `memento-alloc` (8 B, 16 B steps to 256 B, 32 B steps to 512 B), so an
//! object moves between the hardware and the software path without changing
//! its block size. Finer or coarser tables are for experiments.

use thiserror::Error;

/// Largest request the extension serves; larger ones take the software path.
pub const MAX_OBJECT: u32 = 512;

/// Every class size is a multiple of this. 4 B (not 8) so that a uniform
/// table can have 128 classes, enough to thrash a 64-entry HOT; such a table
/// breaks malloc's 8 B alignment and is for experiments only.
pub const GRANULE: u32 = 4;

/// Most classes a table can have (`MAX_OBJECT / GRANULE`).
pub const MAX_CLASSES: usize = (MAX_OBJECT / GRANULE) as usize;

/// Entries of the request-size lookup table: one per granule up to 512 B.
const LOOKUP_LEN: usize = MAX_CLASSES + 1;

/// Why a size-class table was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SizeClassError {
    /// The table has no class.
    #[error("the size-class table is empty")]
    Empty,
    /// A class size is zero.
    #[error("class {index} has size 0")]
    Zero {
        /// Position of the class in the table.
        index: usize,
    },
    /// A class size is not a multiple of [`GRANULE`].
    #[error("class {index} has size {size}, not a multiple of {GRANULE} B")]
    NotMultiple {
        /// Position of the class in the table.
        index: usize,
        /// Its size in bytes.
        size: u32,
    },
    /// A class is not larger than the one before it.
    #[error("class {index} has size {size}, not above the previous class ({previous} B)")]
    NotAscending {
        /// Position of the class in the table.
        index: usize,
        /// Its size in bytes.
        size: u32,
        /// Size of the class before it.
        previous: u32,
    },
    /// A class is larger than [`MAX_OBJECT`].
    #[error("class {index} has size {size}, above the {MAX_OBJECT} B limit")]
    TooLarge {
        /// Position of the class in the table.
        index: usize,
        /// Its size in bytes.
        size: u32,
    },
    /// A uniform step that is zero, not a multiple of [`GRANULE`], or above
    /// [`MAX_OBJECT`].
    #[error(
        "uniform step {0} B is not a multiple of {GRANULE} B between {GRANULE} and {MAX_OBJECT}"
    )]
    BadStep(u32),
}

/// A table of object sizes, smallest first, with a constant-time lookup
/// from request size to class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SizeClasses {
    sizes: Vec<u32>,
    /// Class of each request size rounded up to a granule; `u8::MAX` where
    /// no class serves it (above the last class).
    by_granule: [u8; LOOKUP_LEN],
}

impl SizeClasses {
    /// The classes of `memento-alloc` up to 512 B: 8, 16..=256 by 16,
    /// 288..=512 by 32 (25 classes). Fine below 256 B, where 93% of
    /// serverless requests fall (98% in Python), and never wasting more than
    /// 31 B of an object.
    pub fn memento_alloc() -> SizeClasses {
        let sizes = std::iter::once(8)
            .chain((16..=256).step_by(16))
            .chain((288..=512).step_by(32))
            .collect();
        Self::build(sizes)
    }

    /// Classes `step, 2*step, ...` up to [`MAX_OBJECT`] (`uniform(8)` gives
    /// 64 classes, `uniform(4)` 128). Requests above the last class fall
    /// back when `step` does not divide 512.
    pub fn uniform(step: u32) -> Result<SizeClasses, SizeClassError> {
        if step == 0 || !step.is_multiple_of(GRANULE) || step > MAX_OBJECT {
            return Err(SizeClassError::BadStep(step));
        }
        Ok(Self::build(
            (step..=MAX_OBJECT).step_by(step as usize).collect(),
        ))
    }

    /// Classes from an explicit list: not empty, each a non-zero multiple of
    /// [`GRANULE`], strictly ascending, the last at most [`MAX_OBJECT`].
    /// Requests above the last class fall back.
    pub fn from_sizes(sizes: &[u32]) -> Result<SizeClasses, SizeClassError> {
        if sizes.is_empty() {
            return Err(SizeClassError::Empty);
        }
        for (index, &size) in sizes.iter().enumerate() {
            if size == 0 {
                return Err(SizeClassError::Zero { index });
            }
            if !size.is_multiple_of(GRANULE) {
                return Err(SizeClassError::NotMultiple { index, size });
            }
            if size > MAX_OBJECT {
                return Err(SizeClassError::TooLarge { index, size });
            }
            if index > 0 && size <= sizes[index - 1] {
                let previous = sizes[index - 1];
                return Err(SizeClassError::NotAscending {
                    index,
                    size,
                    previous,
                });
            }
        }
        Ok(Self::build(sizes.to_vec()))
    }

    /// The table of checked `sizes` (at most [`MAX_CLASSES`], ascending).
    fn build(sizes: Vec<u32>) -> SizeClasses {
        let mut by_granule = [u8::MAX; LOOKUP_LEN];
        let mut class = 0;
        for (g, slot) in by_granule.iter_mut().enumerate().skip(1) {
            let request = g as u32 * GRANULE;
            while class < sizes.len() && sizes[class] < request {
                class += 1;
            }
            if class < sizes.len() {
                *slot = class as u8;
            }
        }
        SizeClasses { sizes, by_granule }
    }

    /// The smallest class holding `size` bytes; `None` for 0 B and for sizes
    /// above the last class (the software path serves them).
    #[inline]
    pub fn class_of(&self, size: u64) -> Option<usize> {
        if size == 0 || size > u64::from(MAX_OBJECT) {
            return None;
        }
        let g = size.div_ceil(u64::from(GRANULE)) as usize;
        match self.by_granule[g] {
            u8::MAX => None,
            c => Some(c as usize),
        }
    }

    /// Object size of `class` in bytes; `None` past the last class.
    #[inline]
    pub fn size(&self, class: usize) -> Option<u32> {
        self.sizes.get(class).copied()
    }

    /// Number of classes.
    #[inline]
    pub fn len(&self) -> usize {
        self.sizes.len()
    }

    /// Always false: a table has at least one class.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.sizes.is_empty()
    }

    /// All class sizes, smallest first.
    pub fn sizes(&self) -> &[u32] {
        &self.sizes
    }

    /// Largest size served (the last class).
    pub fn max_size(&self) -> u32 {
        self.sizes.last().copied().unwrap_or(0)
    }
}

impl Default for SizeClasses {
    fn default() -> Self {
        Self::memento_alloc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_table_has_the_25_classes_of_memento_alloc() {
        let t = SizeClasses::default();
        assert_eq!(t.len(), 25);
        assert_eq!(&t.sizes()[..3], &[8, 16, 32]);
        assert_eq!(t.size(16), Some(256));
        assert_eq!(t.size(17), Some(288));
        assert_eq!(t.size(24), Some(512));
        assert_eq!(t.size(25), None);
    }

    #[test]
    fn every_size_gets_the_smallest_class_that_fits() {
        for t in [SizeClasses::default(), SizeClasses::uniform(4).unwrap()] {
            for size in 1..=u64::from(MAX_OBJECT) {
                let c = t.class_of(size).unwrap();
                assert!(u64::from(t.size(c).unwrap()) >= size);
                if c > 0 {
                    assert!(u64::from(t.size(c - 1).unwrap()) < size);
                }
            }
        }
    }

    #[test]
    fn zero_and_oversized_requests_have_no_class() {
        let t = SizeClasses::default();
        assert_eq!(t.class_of(0), None);
        assert_eq!(t.class_of(513), None);
        assert_eq!(t.class_of(u64::MAX), None);
        let short = SizeClasses::from_sizes(&[16, 100]).unwrap();
        assert_eq!(short.class_of(100), Some(1));
        assert_eq!(short.class_of(101), None);
    }

    #[test]
    fn uniform_tables_count_their_classes() {
        assert_eq!(SizeClasses::uniform(8).unwrap().len(), 64);
        assert_eq!(SizeClasses::uniform(4).unwrap().len(), MAX_CLASSES);
        assert_eq!(SizeClasses::uniform(96).unwrap().max_size(), 480);
        assert_eq!(SizeClasses::uniform(6), Err(SizeClassError::BadStep(6)));
        assert_eq!(SizeClasses::uniform(0), Err(SizeClassError::BadStep(0)));
        assert_eq!(SizeClasses::uniform(516), Err(SizeClassError::BadStep(516)));
    }

    #[test]
    fn explicit_tables_name_the_class_they_refuse() {
        use SizeClassError::*;
        assert_eq!(SizeClasses::from_sizes(&[]), Err(Empty));
        assert_eq!(SizeClasses::from_sizes(&[0, 8]), Err(Zero { index: 0 }));
        assert_eq!(
            SizeClasses::from_sizes(&[8, 10]),
            Err(NotMultiple { index: 1, size: 10 })
        );
        assert_eq!(
            SizeClasses::from_sizes(&[16, 16]),
            Err(NotAscending {
                index: 1,
                size: 16,
                previous: 16
            })
        );
        assert_eq!(
            SizeClasses::from_sizes(&[8, 520]),
            Err(TooLarge {
                index: 1,
                size: 520
            })
        );
        let msg = SizeClasses::from_sizes(&[8, 10]).unwrap_err().to_string();
        assert!(msg.contains("class 1") && msg.contains("10"), "{msg}");
    }
}
