//! The parameters of the extension, with the choices the paper leaves open.

use crate::layout::{ArenaLayout, MAX_ARENA_BYTES};
use crate::size_class::SizeClasses;
use thiserror::Error;

/// Lanes the Memento region is split into: one per core (paper: 64).
pub const LANES: usize = 64;

/// Bytes of one Memento page-table entry.
pub const ENTRY_BYTES: u64 = 8;

/// Top of the canonical lower half of a 48-bit x86-64 address space.
const USER_TOP: u64 = 1 << 47;

/// A parameter that cannot work, with the field that holds it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("parameter {field} = {value:#x}: {problem}")]
pub struct ParamError {
    /// The field, e.g. `lane_bytes` or `arena_bytes[3]`.
    pub field: String,
    /// Its value (for `arena_bytes`, the length when the count is wrong).
    pub value: u64,
    /// What is wrong with it.
    pub problem: &'static str,
}

/// Everything the models need to know about the machine and the region.
/// Build with `Default` (or [`Params::with_classes`]), change fields, then
/// [`Params::validate`] before handing it to a model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    /// Object sizes served. Default: the 25 classes of `memento-alloc`.
    pub size_classes: SizeClasses,
    /// Arena length per class, a power of two of at least one page holding
    /// at least 8 objects. Default ([`default_arena_bytes`]): the smallest
    /// power of two of 4 pages or more holding 64 objects, so a new arena is
    /// worth its header page and list operations stay under 2% of allocs.
    pub arena_bytes: Vec<u64>,
    /// Page size. Default 4096.
    pub page_bytes: u64,
    /// Cache-line size. Default 64.
    pub line_bytes: u64,
    /// MRS, the start of the Memento region, aligned to `lane_bytes`.
    /// Default 0x6000_0000_0000 (96 TiB), far above where Linux places the
    /// heap and below the stack and mmap area near 128 TiB.
    pub region_base: u64,
    /// Bytes of one lane, a power of two. Default 64 GiB: 64 lanes make a
    /// 4 TiB region, and each class span (64 GiB / 32 = 2 GiB) outlasts any
    /// function's lifetime of allocations.
    pub lane_bytes: u64,
    /// Physical address of the first Memento page-table page; table pages
    /// are laid from there in allocation order, in a range the OS reserves.
    /// Default 0xF_0000_0000 (60 GiB, the top 4 GiB of the paper's 64 GB
    /// machine).
    pub table_base: u64,
    /// Levels of the Memento page table (each indexes 9 bits with 4 KiB
    /// pages). Default 4, covering 48 bits like x86-64's.
    pub table_levels: u32,
    /// HOT entries per core. Default 64 (paper).
    pub hot_entries: usize,
    /// AAC entries per core. Default 32 (paper).
    pub aac_entries: usize,
    /// Pages in the pool at start. Default 4096 (16 MiB).
    pub pool_pages: u64,
    /// Release an arena that empties (and is not current) to the page
    /// allocator. Default true: functions are short and memory is billed.
    pub release_empty_arenas: bool,
    /// Flush the AAC too on a context switch. Default false: the AAC is
    /// taken to be tagged by address space (the paper names only the HOT).
    pub flush_aac_on_switch: bool,
}

/// The default arena length for `object_bytes` objects: the smallest power
/// of two of at least 4 pages whose body holds at least 64 objects.
pub fn default_arena_bytes(object_bytes: u64, page_bytes: u64, line_bytes: u64) -> u64 {
    let mut bytes = page_bytes.saturating_mul(4).max(1);
    while ArenaLayout::new(bytes, object_bytes, line_bytes).slots < 64 && bytes < 1 << 40 {
        bytes *= 2;
    }
    bytes
}

impl Default for Params {
    fn default() -> Self {
        Self::with_classes(SizeClasses::default())
    }
}

impl Params {
    /// The defaults with `classes`, and arena lengths made for them.
    pub fn with_classes(size_classes: SizeClasses) -> Params {
        let (page_bytes, line_bytes) = (4096, 64);
        let arena_bytes = size_classes
            .sizes()
            .iter()
            .map(|&s| default_arena_bytes(u64::from(s), page_bytes, line_bytes))
            .collect();
        Params {
            size_classes,
            arena_bytes,
            page_bytes,
            line_bytes,
            region_base: 0x6000_0000_0000,
            lane_bytes: 64 << 30,
            table_base: 0xF_0000_0000,
            table_levels: 4,
            hot_entries: 64,
            aac_entries: 32,
            pool_pages: 4096,
            release_empty_arenas: true,
            flush_aac_on_switch: false,
        }
    }

    /// MRE: the end of the region (exclusive).
    pub fn region_end(&self) -> u64 {
        self.region_base
            .saturating_add((LANES as u64).saturating_mul(self.lane_bytes))
    }

    /// Bytes of one class span: the lane split in a power-of-two number of
    /// equal spans, one per class.
    pub fn span_bytes(&self) -> u64 {
        let spans = (self.size_classes.len() as u64).next_power_of_two();
        self.lane_bytes / spans
    }

    /// Bits of a virtual address one table level indexes.
    pub fn bits_per_level(&self) -> u32 {
        (self.page_bytes / ENTRY_BYTES).trailing_zeros()
    }

    /// The layout of an arena of `class`; `None` past the last class.
    pub fn layout(&self, class: usize) -> Option<ArenaLayout> {
        let size = self.size_classes.size(class)?;
        let bytes = *self.arena_bytes.get(class)?;
        Some(ArenaLayout::new(bytes, u64::from(size), self.line_bytes))
    }

    /// Checks that the parameters make a working region; the error names
    /// the first field that does not.
    pub fn validate(&self) -> Result<(), ParamError> {
        let err = |field: &str, value: u64, problem| {
            Err(ParamError {
                field: field.to_string(),
                value,
                problem,
            })
        };
        let pow2 = |v: u64| v.is_power_of_two();
        if !pow2(self.line_bytes) || self.line_bytes < 8 {
            return err(
                "line_bytes",
                self.line_bytes,
                "must be a power of two of at least 8",
            );
        }
        if !pow2(self.page_bytes) || self.page_bytes < 64.max(self.line_bytes) {
            return err(
                "page_bytes",
                self.page_bytes,
                "must be a power of two, >= 64 and >= line_bytes",
            );
        }
        if self.arena_bytes.len() != self.size_classes.len() {
            let n = self.arena_bytes.len() as u64;
            return err("arena_bytes", n, "needs one length per size class");
        }
        if !pow2(self.lane_bytes) {
            return err("lane_bytes", self.lane_bytes, "must be a power of two");
        }
        for (class, &bytes) in self.arena_bytes.iter().enumerate() {
            let field = format!("arena_bytes[{class}]");
            let slots = self.layout(class).map_or(0, |l| l.slots);
            if !pow2(bytes) || bytes < self.page_bytes {
                return err(&field, bytes, "must be a power of two of at least one page");
            }
            if slots < 8 {
                return err(&field, bytes, "must hold at least 8 objects of its class");
            }
            if bytes > MAX_ARENA_BYTES {
                return err(&field, bytes, "must be at most 4 GiB");
            }
            if bytes > self.span_bytes() {
                return err(
                    &field,
                    bytes,
                    "must fit in one class span (lane_bytes / classes)",
                );
            }
        }
        if self.region_base == 0 || !self.region_base.is_multiple_of(self.lane_bytes) {
            return err(
                "region_base",
                self.region_base,
                "must be non-zero and aligned to lane_bytes",
            );
        }
        if self.region_end() > USER_TOP || self.region_base >= USER_TOP {
            return err(
                "region_base",
                self.region_base,
                "region must end below 2^47 (canonical user half)",
            );
        }
        if !self.table_base.is_multiple_of(self.page_bytes) {
            return err("table_base", self.table_base, "must be page aligned");
        }
        let covered = u64::from(self.page_bytes.trailing_zeros())
            + u64::from(self.bits_per_level()) * u64::from(self.table_levels);
        if self.table_levels == 0
            || self.table_levels > 6
            || covered < 64 && self.region_end() > 1 << covered
        {
            let v = u64::from(self.table_levels);
            return err("table_levels", v, "must be 1..=6 and cover the region");
        }
        if self.hot_entries == 0 || self.hot_entries > 4096 {
            return err("hot_entries", self.hot_entries as u64, "must be 1..=4096");
        }
        if self.aac_entries > 4096 {
            return err("aac_entries", self.aac_entries as u64, "must be 0..=4096");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_give_4_tib_of_region() {
        let p = Params::default();
        p.validate().unwrap();
        assert_eq!(p.region_end() - p.region_base, 4 << 40);
        assert_eq!(p.span_bytes(), 2 << 30);
        assert_eq!(p.bits_per_level(), 9);
    }

    #[test]
    fn default_arenas_are_the_smallest_power_of_two_holding_64_objects() {
        let p = Params::default();
        for class in 0..p.size_classes.len() {
            let l = p.layout(class).unwrap();
            assert!(l.arena_bytes >= 4 * 4096 && l.arena_bytes.is_power_of_two());
            assert!(l.slots >= 64, "class {class}");
            let half = ArenaLayout::new(l.arena_bytes / 2, l.object_bytes, 64);
            assert!(
                l.arena_bytes == 4 * 4096 || half.slots < 64,
                "class {class}"
            );
        }
        assert_eq!(p.arena_bytes[0], 16384);
        assert_eq!(p.arena_bytes[24], 65536); // 32 KiB holds 63 x 512 B
    }

    /// A change to the defaults and the field it breaks.
    type Case = (fn(&mut Params), &'static str);

    #[test]
    fn a_bad_parameter_is_named() {
        let cases: [Case; 9] = [
            (|p| p.lane_bytes = 3 << 30, "lane_bytes"),
            (|p| p.arena_bytes[2] = 12288, "arena_bytes[2]"),
            (|p| p.arena_bytes[24] = 4096, "arena_bytes[24]"),
            (|p| p.arena_bytes.pop().map_or((), drop), "arena_bytes"),
            (|p| p.region_base = 0x6000_0000_1000, "region_base"),
            (
                |p| p.region_base = 0x7fff_0000_0000 & !((64 << 30) - 1),
                "region_base",
            ),
            (|p| p.table_levels = 3, "table_levels"),
            (|p| p.hot_entries = 0, "hot_entries"),
            (|p| p.page_bytes = 100, "page_bytes"),
        ];
        for (change, field) in cases {
            let mut p = Params::default();
            change(&mut p);
            let e = p.validate().unwrap_err();
            assert_eq!(e.field, field, "{e}");
            assert!(e.to_string().contains(field));
        }
    }

    #[test]
    fn a_table_of_128_classes_gets_its_own_arenas() {
        let p = Params::with_classes(SizeClasses::uniform(4).unwrap());
        p.validate().unwrap();
        assert_eq!(p.arena_bytes.len(), 128);
        assert_eq!(p.span_bytes(), 512 << 20);
    }
}
