//! What one operation of the models did, as addresses the simulator turns
//! into cache, TLB and DRAM traffic. No cycles here.
//!
//! A caller keeps one [`Effects`] and passes it to every call; each call
//! clears it first, so its vectors keep their capacity and the common path
//! allocates nothing.

/// Outcome of a lookup in the HOT or the AAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// The header was cached.
    Hit,
    /// The header was not cached (its lines are in `header_reads` unless it
    /// came from the other structure or was new). `evicted_dirty` is the
    /// base of the arena whose dirty header the fill pushed out; its lines
    /// are in `header_writes`.
    Miss {
        /// Arena base of a dirty victim written back, if any.
        evicted_dirty: Option<u64>,
    },
}

/// Why obj-alloc returned 0 and software must serve the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fallback {
    /// A request of 0 bytes.
    ZeroSize,
    /// A request above the largest class (512 B by default).
    TooLarge,
    /// The class span of this lane has no room for another arena.
    SpanExhausted,
    /// The page pool had no page for a new arena's header (or its table
    /// pages).
    PoolEmpty,
}

/// A run of whole lines, `start..end`, both line aligned (`start == end`
/// for none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineSpan {
    /// Address of the first line.
    pub start: u64,
    /// Address just past the last line.
    pub end: u64,
}

impl LineSpan {
    /// Number of lines of `line_bytes` in the span.
    pub fn count(&self, line_bytes: u64) -> u64 {
        (self.end - self.start) / line_bytes
    }

    /// Line addresses of the span, lowest first.
    pub fn lines(&self, line_bytes: u64) -> impl Iterator<Item = u64> {
        (self.start..self.end).step_by(line_bytes.max(1) as usize)
    }

    /// Whether the span has no line.
    pub fn is_empty(&self) -> bool {
        self.start >= self.end
    }
}

/// The effects of one call, filled by the models. Line and page addresses
/// are virtual except `table_pages_zeroed` (physical, from `table_base`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Effects {
    /// Address of the new object, 0 when none (a free, or a fallback).
    pub object: u64,
    /// Why the extension did not serve an allocation.
    pub fallback: Option<Fallback>,
    /// The HOT lookup, if one was made.
    pub hot: Option<Lookup>,
    /// The AAC lookup, if one was made.
    pub aac: Option<Lookup>,
    /// Header lines read from memory, in the order the hardware reads them.
    pub header_reads: Vec<u64>,
    /// Header lines written to memory, in order (victim write-backs, link
    /// updates of list neighbours, flushes).
    pub header_writes: Vec<u64>,
    /// Arena list insertions and removals (a move is two).
    pub list_ops: u32,
    /// Lines of the new object that no other live object shares: they can
    /// be installed in the cache without a DRAM read.
    pub lines_to_install: Option<LineSpan>,
    /// Lines that hold no live object any more: those of a freed object, or
    /// the whole of a released arena. Dirty copies need no write-back.
    pub lines_to_drop: Vec<LineSpan>,
    /// Base of an arena created by this call.
    pub new_arena: Option<u64>,
    /// Base of an arena released by this call.
    pub released_arena: Option<u64>,
    /// Region pages backed from the pool by this call.
    pub pages_taken: Vec<u64>,
    /// Region pages returned to the pool (their TLB entries must go).
    pub pages_released: Vec<u64>,
    /// Physical addresses of page-table pages allocated and zeroed.
    pub table_pages_zeroed: Vec<u64>,
}

impl Effects {
    /// Empty effects with room for a typical call.
    pub fn new() -> Effects {
        Effects {
            header_reads: Vec::with_capacity(16),
            header_writes: Vec::with_capacity(16),
            lines_to_drop: Vec::with_capacity(2),
            pages_taken: Vec::with_capacity(4),
            pages_released: Vec::with_capacity(16),
            table_pages_zeroed: Vec::with_capacity(4),
            ..Effects::default()
        }
    }

    /// Forgets the last call, keeping the vectors' capacity.
    #[inline]
    pub fn clear(&mut self) {
        self.object = 0;
        self.fallback = None;
        self.hot = None;
        self.aac = None;
        self.header_reads.clear();
        self.header_writes.clear();
        self.list_ops = 0;
        self.lines_to_install = None;
        self.lines_to_drop.clear();
        self.new_arena = None;
        self.released_arena = None;
        self.pages_taken.clear();
        self.pages_released.clear();
        self.table_pages_zeroed.clear();
    }
}

/// Appends the `lines` header lines of the arena at `base` to `out`.
#[inline]
pub(crate) fn push_header(out: &mut Vec<u64>, base: u64, lines: u64, line_bytes: u64) {
    out.extend((0..lines).map(|i| base + i * line_bytes));
}
