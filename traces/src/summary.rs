//! What a trace holds: counts by kind, allocation sizes, footprint, and the
//! inconsistencies it contains (as warning counts, not errors). Plain data;
//! printers live in `memento-analysis`.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::event::{Event, EventKind};

/// Allocation sizes up to this many bytes are the ones Memento's hardware
/// object allocator serves.
pub const SMALL_OBJECT_LIMIT: u64 = 512;

/// Upper bounds (inclusive) of the allocation-size histogram buckets; the
/// last bucket holds everything larger.
pub const SIZE_BUCKETS: [u64; 14] = [
    8,
    16,
    32,
    64,
    128,
    256,
    512,
    1024,
    4096,
    16384,
    65536,
    262_144,
    1_048_576,
    u64::MAX,
];

/// Upper bounds (inclusive) of the lifetime histogram, in allocations of
/// the same size class made while the object lived; the last is unbounded.
pub const LIFETIME_BUCKETS: [u64; 11] = [0, 1, 2, 4, 8, 16, 64, 256, 1024, 16384, u64::MAX];

/// Lifetimes up to this many same-class allocations count as short (the
/// characterisation behind Memento: 71% of objects die within 16).
pub const SHORT_LIFETIME: u64 = 16;

/// The size class used for lifetimes: 16-byte steps up to 512 B (the
/// hardware object allocator's range), powers of two above.
pub fn lifetime_class(size: u64) -> u32 {
    if size <= SMALL_OBJECT_LIMIT {
        (size.max(1).div_ceil(16)) as u32
    } else {
        32 + (64 - (size - 1).leading_zeros())
    }
}

/// Events that contradict each other; counted, never fatal.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Warnings {
    /// Frees (and reallocs) of an address no allocation returned.
    pub free_of_unknown_address: u64,
    /// Allocations returning an address that is already live.
    pub alloc_of_live_address: u64,
    /// Allocator exits with no open entry.
    pub unmatched_alloc_exit: u64,
    /// Allocator entries still open at the end.
    pub unclosed_alloc_enter: u64,
    /// ROI ends with no ROI open, or ROI begins inside one.
    pub unbalanced_roi: u64,
    /// Invocation ends that do not match the open invocation.
    pub unbalanced_invocation: u64,
}

impl Warnings {
    /// Sum of all warnings.
    pub fn total(&self) -> u64 {
        self.free_of_unknown_address
            + self.alloc_of_live_address
            + self.unmatched_alloc_exit
            + self.unclosed_alloc_enter
            + self.unbalanced_roi
            + self.unbalanced_invocation
    }
}

/// One bucket of the lifetime histogram.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LifetimeBucket {
    /// Longest lifetime in the bucket, in same-class allocations
    /// (`u64::MAX` for the last).
    pub up_to: u64,
    /// Objects freed with a lifetime in the bucket.
    pub count: u64,
}

/// One bucket of the allocation-size histogram.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SizeBucket {
    /// Largest size in the bucket (`u64::MAX` for the last).
    pub up_to: u64,
    /// Allocations in the bucket.
    pub count: u64,
}

/// The summary of a trace.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TraceSummary {
    /// Events by kind, in [`EventKind::ALL`] order, as `(name, count)`.
    pub events_by_kind: Vec<(&'static str, u64)>,
    /// All events.
    pub events: u64,
    /// Instructions retired (blocks and gaps).
    pub instructions: u64,
    /// Instructions inside allocator brackets.
    pub allocator_instructions: u64,
    /// Loads and stores.
    pub accesses: u64,
    /// Loads and stores inside allocator brackets.
    pub allocator_accesses: u64,
    /// Allocations (alloc events and reallocs that allocate).
    pub allocations: u64,
    /// Allocations of at most [`SMALL_OBJECT_LIMIT`] bytes.
    pub small_allocations: u64,
    /// Allocation-size histogram.
    pub size_histogram: Vec<SizeBucket>,
    /// Bytes requested in all allocations.
    pub allocated_bytes: u64,
    /// Most bytes live at once (by requested size).
    pub peak_live_bytes: u64,
    /// Bytes still live at the end.
    pub live_bytes_at_end: u64,
    /// Objects still live at the end (they live until the function exits).
    pub live_objects_at_end: u64,
    /// Freed objects by lifetime: how many allocations of the same size
    /// class ([`lifetime_class`]) were made while the object lived.
    pub lifetime_histogram: Vec<LifetimeBucket>,
    /// Objects freed within [`SHORT_LIFETIME`] same-class allocations.
    pub short_lived: u64,
    /// Distinct pages touched by loads and stores.
    pub data_pages: u64,
    /// Distinct pages holding instructions.
    pub code_pages: u64,
    /// Page size used for the footprint.
    pub page_size: u64,
    /// Threads seen in thread events (at least 1).
    pub threads: u64,
    /// Invocations begun.
    pub invocations: u64,
    /// Allocation events (alloc, free, realloc) of calls made inside
    /// another allocator call, e.g. the `malloc` under a `PyObject_Malloc`
    /// of more than 512 B: the outer call's event stands for the object, so
    /// these are left out of the allocation and lifetime statistics.
    pub nested_allocator_events: u64,
    /// Inconsistent events.
    pub warnings: Warnings,
}

impl Warnings {
    fn add(&mut self, other: &Warnings) {
        self.free_of_unknown_address += other.free_of_unknown_address;
        self.alloc_of_live_address += other.alloc_of_live_address;
        self.unmatched_alloc_exit += other.unmatched_alloc_exit;
        self.unclosed_alloc_enter += other.unclosed_alloc_enter;
        self.unbalanced_roi += other.unbalanced_roi;
        self.unbalanced_invocation += other.unbalanced_invocation;
    }
}

impl TraceSummary {
    /// Pools `other` into this summary, as if its objects had been
    /// counted here too: every count and histogram bucket is summed;
    /// `peak_live_bytes` becomes the larger of the two (the peaks of
    /// separate runs do not add up), and the page counts are summed (pages
    /// are not told apart across traces).
    pub fn pool(&mut self, other: &TraceSummary) {
        // Every field named, so that a new one cannot be forgotten here.
        // Sums saturate: traces may claim any counts (found by fuzzing).
        let TraceSummary {
            events_by_kind,
            events,
            instructions,
            allocator_instructions,
            accesses,
            allocator_accesses,
            allocations,
            small_allocations,
            size_histogram,
            allocated_bytes,
            peak_live_bytes,
            live_bytes_at_end,
            live_objects_at_end,
            lifetime_histogram,
            short_lived,
            data_pages,
            code_pages,
            page_size: _,
            threads,
            invocations,
            nested_allocator_events,
            warnings,
        } = other;
        for ((_, mine), (_, theirs)) in self.events_by_kind.iter_mut().zip(events_by_kind) {
            *mine = mine.saturating_add(*theirs);
        }
        for (mine, theirs) in self.size_histogram.iter_mut().zip(size_histogram) {
            mine.count = mine.count.saturating_add(theirs.count);
        }
        for (mine, theirs) in self.lifetime_histogram.iter_mut().zip(lifetime_histogram) {
            mine.count = mine.count.saturating_add(theirs.count);
        }
        self.events = self.events.saturating_add(*events);
        self.instructions = self.instructions.saturating_add(*instructions);
        self.allocator_instructions = self
            .allocator_instructions
            .saturating_add(*allocator_instructions);
        self.accesses = self.accesses.saturating_add(*accesses);
        self.allocator_accesses = self.allocator_accesses.saturating_add(*allocator_accesses);
        self.allocations = self.allocations.saturating_add(*allocations);
        self.small_allocations = self.small_allocations.saturating_add(*small_allocations);
        self.allocated_bytes = self.allocated_bytes.saturating_add(*allocated_bytes);
        self.peak_live_bytes = self.peak_live_bytes.max(*peak_live_bytes);
        self.live_bytes_at_end = self.live_bytes_at_end.saturating_add(*live_bytes_at_end);
        self.live_objects_at_end = self
            .live_objects_at_end
            .saturating_add(*live_objects_at_end);
        self.short_lived = self.short_lived.saturating_add(*short_lived);
        self.data_pages = self.data_pages.saturating_add(*data_pages);
        self.code_pages = self.code_pages.saturating_add(*code_pages);
        self.threads = self.threads.saturating_add(*threads);
        self.invocations = self.invocations.saturating_add(*invocations);
        self.nested_allocator_events = self
            .nested_allocator_events
            .saturating_add(*nested_allocator_events);
        self.warnings.add(warnings);
    }
}

/// Spans of more pages than this are kept as runs, not page by page.
const RUN_PAGES: u64 = 64;

/// Distinct pages touched: a page at a time in a hash set, the pages of a
/// long span as one run (an access of 4 GiB is 4 billion pages of 1 byte,
/// which a trace may claim), so that the cost follows the events, not the
/// bytes they cover.
#[derive(Default)]
struct Pages {
    single: HashSet<u64>,
    /// Disjoint, non-adjacent runs: first page to last page, inclusive.
    runs: BTreeMap<u64, u64>,
}

impl Pages {
    fn touch(&mut self, first: u64, last: u64) {
        if last - first < RUN_PAGES {
            for page in first..=last {
                self.single.insert(page);
            }
            return;
        }
        let (mut first, mut last) = (first, last);
        // A run before that reaches this one, then the runs it reaches.
        if let Some((&start, &end)) = self.runs.range(..first).next_back() {
            if end.saturating_add(1) >= first {
                first = start;
                last = last.max(end);
            }
        }
        while let Some((&start, &end)) = self.runs.range(first..=last.saturating_add(1)).next() {
            self.runs.remove(&start);
            last = last.max(end);
        }
        self.runs.insert(first, last);
    }

    fn in_run(&self, page: u64) -> bool {
        self.runs
            .range(..=page)
            .next_back()
            .is_some_and(|(_, &last)| page <= last)
    }

    fn count(&self) -> u64 {
        let single = match self.runs.is_empty() {
            true => self.single.len() as u64,
            false => self.single.iter().filter(|&&p| !self.in_run(p)).count() as u64,
        };
        self.runs.iter().fold(single, |n, (&first, &last)| {
            n.saturating_add(last - first).saturating_add(1)
        })
    }
}

#[derive(Clone, Copy)]
struct LiveObject {
    size: u64,
    class: u32,
    /// Allocations of the class made before this one.
    birth: u64,
}

/// Builds a [`TraceSummary`] from events pushed one at a time. Memory grows
/// with the footprint and the live objects, not with the trace length.
pub struct Summarizer {
    by_kind: [u64; EventKind::COUNT],
    instructions: u64,
    allocator_instructions: u64,
    accesses: u64,
    allocator_accesses: u64,
    sizes: [u64; SIZE_BUCKETS.len()],
    allocated_bytes: u64,
    live: HashMap<u64, LiveObject>,
    class_allocations: HashMap<u32, u64>,
    lifetimes: [u64; LIFETIME_BUCKETS.len()],
    live_bytes: u64,
    peak_live_bytes: u64,
    data_pages: Pages,
    code_pages: Pages,
    page_shift: u32,
    threads: HashSet<u32>,
    alloc_depth: u64,
    nested: u64,
    in_roi: bool,
    invocation: Option<u64>,
    warnings: Warnings,
}

impl Summarizer {
    /// A summarizer counting footprint in pages of `page_size` bytes (a
    /// power of two; 4096 is used when it is not).
    pub fn new(page_size: u64) -> Self {
        let page_size = if page_size.is_power_of_two() {
            page_size
        } else {
            4096
        };
        Summarizer {
            by_kind: [0; EventKind::COUNT],
            instructions: 0,
            allocator_instructions: 0,
            accesses: 0,
            allocator_accesses: 0,
            sizes: [0; SIZE_BUCKETS.len()],
            allocated_bytes: 0,
            live: HashMap::new(),
            class_allocations: HashMap::new(),
            lifetimes: [0; LIFETIME_BUCKETS.len()],
            live_bytes: 0,
            peak_live_bytes: 0,
            data_pages: Pages::default(),
            code_pages: Pages::default(),
            page_shift: page_size.trailing_zeros(),
            threads: HashSet::new(),
            alloc_depth: 0,
            nested: 0,
            in_roi: false,
            invocation: None,
            warnings: Warnings::default(),
        }
    }

    fn allocate(&mut self, addr: u64, size: u64) {
        let bucket = SIZE_BUCKETS
            .iter()
            .position(|&up_to| size <= up_to)
            .expect("last bucket is unbounded");
        self.sizes[bucket] += 1;
        // Byte and instruction sums saturate: a trace may claim any sizes.
        self.allocated_bytes = self.allocated_bytes.saturating_add(size);
        if addr == 0 {
            return;
        }
        let class = lifetime_class(size);
        let made = self.class_allocations.entry(class).or_insert(0);
        let birth = *made;
        *made += 1;
        if let Some(old) = self.live.insert(addr, LiveObject { size, class, birth }) {
            self.warnings.alloc_of_live_address += 1;
            self.live_bytes = self.live_bytes.saturating_sub(old.size);
        }
        self.live_bytes = self.live_bytes.saturating_add(size);
        self.peak_live_bytes = self.peak_live_bytes.max(self.live_bytes);
    }

    fn release(&mut self, addr: u64) {
        if addr == 0 {
            return;
        }
        match self.live.remove(&addr) {
            Some(object) => {
                self.live_bytes = self.live_bytes.saturating_sub(object.size);
                // Allocations of the class made after this one, while it lived.
                let lifetime = self.class_allocations[&object.class] - object.birth - 1;
                let bucket = LIFETIME_BUCKETS
                    .iter()
                    .position(|&up_to| lifetime <= up_to)
                    .expect("last bucket is unbounded");
                self.lifetimes[bucket] += 1;
            }
            None => self.warnings.free_of_unknown_address += 1,
        }
    }

    fn touch(pages: &mut Pages, shift: u32, addr: u64, len: u64) {
        let first = addr >> shift;
        let last = addr.saturating_add(len.max(1) - 1) >> shift;
        pages.touch(first, last);
    }

    /// Counts one event.
    pub fn push(&mut self, event: &Event) {
        self.by_kind[event.kind() as usize] += 1;
        let in_allocator = self.alloc_depth > 0;
        match *event {
            Event::Block { addr, len, count } => {
                self.instructions = self.instructions.saturating_add(count.into());
                if in_allocator {
                    self.allocator_instructions =
                        self.allocator_instructions.saturating_add(count.into());
                }
                Self::touch(&mut self.code_pages, self.page_shift, addr, len.into());
            }
            Event::Gap { count } => {
                self.instructions = self.instructions.saturating_add(count);
                if in_allocator {
                    self.allocator_instructions = self.allocator_instructions.saturating_add(count);
                }
            }
            Event::Load { addr, size } | Event::Store { addr, size } => {
                self.accesses += 1;
                if in_allocator {
                    self.allocator_accesses += 1;
                }
                Self::touch(&mut self.data_pages, self.page_shift, addr, size.into());
            }
            _ if event.is_nested_allocation(self.alloc_depth) => self.nested += 1,
            Event::Alloc(a) => self.allocate(a.addr, a.size),
            Event::Free(f) => self.release(f.addr),
            Event::Realloc(r) => {
                if r.old_addr != 0 {
                    self.release(r.old_addr);
                }
                if r.new_addr != 0 || r.old_addr == 0 {
                    self.allocate(r.new_addr, r.size);
                }
            }
            Event::AllocEnter { .. } => self.alloc_depth += 1,
            Event::AllocExit => match self.alloc_depth {
                0 => self.warnings.unmatched_alloc_exit += 1,
                _ => self.alloc_depth -= 1,
            },
            Event::Thread { tid } => {
                self.threads.insert(tid);
            }
            Event::RoiBegin | Event::RoiEnd => {
                let begin = matches!(event, Event::RoiBegin);
                if self.in_roi == begin {
                    self.warnings.unbalanced_roi += 1;
                }
                self.in_roi = begin;
            }
            Event::InvocationBegin { id } => {
                if self.invocation.is_some() {
                    self.warnings.unbalanced_invocation += 1;
                }
                self.invocation = Some(id);
            }
            Event::InvocationEnd { id } => {
                if self.invocation != Some(id) {
                    self.warnings.unbalanced_invocation += 1;
                }
                self.invocation = None;
            }
            Event::Mmap { .. }
            | Event::Munmap { .. }
            | Event::Brk { .. }
            | Event::Madvise { .. }
            | Event::Mremap { .. }
            | Event::Dep { .. } => {}
        }
    }

    /// The summary of everything pushed.
    pub fn finish(self) -> TraceSummary {
        let mut warnings = self.warnings;
        warnings.unclosed_alloc_enter = self.alloc_depth;
        let allocations: u64 = self.sizes.iter().sum();
        let small = SIZE_BUCKETS
            .iter()
            .zip(self.sizes)
            .filter(|(&up_to, _)| up_to <= SMALL_OBJECT_LIMIT)
            .map(|(_, count)| count)
            .sum();
        TraceSummary {
            events_by_kind: EventKind::ALL
                .iter()
                .map(|&k| (k.name(), self.by_kind[k as usize]))
                .collect(),
            events: self.by_kind.iter().sum(),
            instructions: self.instructions,
            allocator_instructions: self.allocator_instructions,
            accesses: self.accesses,
            allocator_accesses: self.allocator_accesses,
            allocations,
            small_allocations: small,
            size_histogram: SIZE_BUCKETS
                .iter()
                .zip(self.sizes)
                .map(|(&up_to, count)| SizeBucket { up_to, count })
                .collect(),
            allocated_bytes: self.allocated_bytes,
            peak_live_bytes: self.peak_live_bytes,
            live_bytes_at_end: self.live_bytes,
            live_objects_at_end: self.live.len() as u64,
            lifetime_histogram: LIFETIME_BUCKETS
                .iter()
                .zip(self.lifetimes)
                .map(|(&up_to, count)| LifetimeBucket { up_to, count })
                .collect(),
            short_lived: LIFETIME_BUCKETS
                .iter()
                .zip(self.lifetimes)
                .filter(|(&up_to, _)| up_to <= SHORT_LIFETIME)
                .map(|(_, count)| count)
                .sum(),
            data_pages: self.data_pages.count(),
            code_pages: self.code_pages.count(),
            page_size: 1 << self.page_shift,
            threads: self.threads.len().max(1) as u64,
            invocations: self.by_kind[EventKind::InvocationBegin as usize],
            nested_allocator_events: self.nested,
            warnings,
        }
    }
}
