//! The machine: cores replaying event streams over the memory system,
//! interleaved by simulated time so that they contend for the LLC and DRAM.
//! Deterministic: the same streams and config give the same stats.

use memento_trace::Event;

use crate::cause::Cause;
use crate::config::{Config, ConfigError};
use crate::core::CoreTiming;
use crate::dram::Dram;
use crate::hierarchy::{MemorySystem, L1};
use crate::kernel::{Fault, Kernel};
use crate::stats::{AllocStats, CoreStats, InvocationStats, Stats};
use crate::tlb::{Lookup, Tlb};

/// Virtual addresses keep this many bits; above them sits the address
/// space, so that two processes never share a line.
const VA_BITS: u32 = 47;
/// Requests of at most this many bytes go to Memento's object allocator.
const SMALL_OBJECT: u64 = 512;

/// A stream of a run yielded an error (a damaged trace); the run stopped
/// there.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("event stream {stream}: {error}")]
pub struct StreamError<E: std::error::Error> {
    /// Index of the stream (and core) that failed.
    pub stream: usize,
    /// The stream's error.
    pub error: E,
}

/// Why a run of fallible streams failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FallibleRunError<E: std::error::Error> {
    /// The run could not start.
    #[error(transparent)]
    Run(#[from] RunError),
    /// A stream failed part way.
    #[error(transparent)]
    Stream(StreamError<E>),
}

/// Passes events on until the first error, which it keeps.
struct UntilError<'a, I, E: std::error::Error> {
    inner: I,
    stream: usize,
    error: &'a std::cell::RefCell<Option<StreamError<E>>>,
}

impl<I: Iterator<Item = Result<Event, E>>, E: std::error::Error> Iterator for UntilError<'_, I, E> {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        match self.inner.next()? {
            Ok(event) => Some(event),
            Err(error) => {
                let mut slot = self.error.borrow_mut();
                if slot.is_none() {
                    *slot = Some(StreamError {
                        stream: self.stream,
                        error,
                    });
                }
                None
            }
        }
    }
}

/// Why a run could not start.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    /// More streams than cores.
    #[error(
        "{streams} event streams but the machine has {cores} cores (set `cores` in the config)"
    )]
    TooManyStreams {
        /// Streams given.
        streams: usize,
        /// Cores configured.
        cores: u32,
    },
}

#[derive(Clone, Debug)]
struct Core {
    timing: CoreTiming,
    tlb: Tlb,
    space: usize,
    alloc_depth: u32,
    alloc_entered_at: u64,
    /// The invocation in progress and the counters at its begin.
    invocation: Option<InvocationStats>,
    stats: CoreStats,
}

/// A machine built from a [`Config`]: cores, caches, TLBs, kernel model
/// and DRAM, ready to replay event streams once.
#[derive(Clone, Debug)]
pub struct Machine {
    config: Config,
    mem: MemorySystem,
    cores: Vec<Core>,
    spaces: Vec<Kernel>,
    page_shift: u32,
    line_shift: u32,
    dropped: Vec<u64>,
    invocations: Vec<InvocationStats>,
}

impl Machine {
    /// A machine for `config`, validated first.
    pub fn new(config: &Config) -> Result<Machine, ConfigError> {
        config.validate().map_err(|(field, message)| ConfigError {
            source_name: config.name.clone(),
            field,
            message,
        })?;
        let standard = config.dram_standard()?;
        let dram = Dram::new(
            &config.dram,
            &standard,
            config.line_size,
            config.frequency_mhz,
        );
        let cores = (0..config.cores)
            .map(|i| Core {
                timing: CoreTiming::new(&config.core),
                tlb: Tlb::new(&config.tlb),
                space: i as usize,
                alloc_depth: 0,
                alloc_entered_at: 0,
                invocation: None,
                stats: CoreStats {
                    core: i,
                    ..CoreStats::default()
                },
            })
            .collect();
        Ok(Machine {
            config: config.clone(),
            mem: MemorySystem::new(config, dram),
            cores,
            spaces: (0..config.cores)
                .map(|_| Kernel::new(config.page_size))
                .collect(),
            page_shift: config.page_size.trailing_zeros(),
            line_shift: config.line_size.trailing_zeros(),
            dropped: Vec::new(),
            invocations: Vec::new(),
        })
    }

    /// The configuration the machine was built from.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The memory system (caches and DRAM), for inspection.
    pub fn memory(&self) -> &MemorySystem {
        &self.mem
    }

    /// The memory system, for extensions that install or drop lines.
    pub fn memory_mut(&mut self) -> &mut MemorySystem {
        &mut self.mem
    }

    /// Replays one stream per core, each its own process (address space);
    /// stream `i` runs on core `i`. Returns the stats of the whole run.
    pub fn run<I: Iterator<Item = Event>>(self, streams: Vec<I>) -> Result<Stats, RunError> {
        let spaces = (0..streams.len()).collect();
        self.run_in(streams, spaces)
    }

    /// Replays one stream per core, all threads of one process: they share
    /// the address space, so the same address is the same line and a page
    /// faults once.
    pub fn run_shared<I: Iterator<Item = Event>>(self, streams: Vec<I>) -> Result<Stats, RunError> {
        let spaces = vec![0; streams.len()];
        self.run_in(streams, spaces)
    }

    /// Like [`Self::run`] (or [`Self::run_shared`] when `shared`) for
    /// streams that may fail, as a trace reader's do: a stream that yields
    /// an error ends there, and the first such error is returned instead of
    /// the stats.
    pub fn run_fallible<I, E>(
        self,
        streams: Vec<I>,
        shared: bool,
    ) -> Result<Stats, FallibleRunError<E>>
    where
        I: Iterator<Item = Result<Event, E>>,
        E: std::error::Error,
    {
        let error = std::cell::RefCell::new(None);
        let wrapped: Vec<_> = streams
            .into_iter()
            .enumerate()
            .map(|(stream, inner)| UntilError {
                inner,
                stream,
                error: &error,
            })
            .collect();
        let stats = if shared {
            self.run_shared(wrapped)?
        } else {
            self.run(wrapped)?
        };
        match error.into_inner() {
            Some(e) => Err(FallibleRunError::Stream(e)),
            None => Ok(stats),
        }
    }

    fn run_in<I: Iterator<Item = Event>>(
        mut self,
        mut streams: Vec<I>,
        spaces: Vec<usize>,
    ) -> Result<Stats, RunError> {
        if streams.len() > self.cores.len() {
            return Err(RunError::TooManyStreams {
                streams: streams.len(),
                cores: self.config.cores,
            });
        }
        for (core, space) in self.cores.iter_mut().zip(spaces) {
            core.space = space;
        }
        let mut active: Vec<bool> = vec![true; streams.len()];
        if streams.len() == 1 {
            for event in streams[0].by_ref() {
                self.step(0, event);
            }
        } else {
            // The core furthest behind in simulated time runs until it
            // passes the next one; ties go to the lower core number.
            loop {
                let mut order = (0..streams.len()).filter(|&i| active[i]);
                let Some(first) = order.next() else { break };
                let mut best = first;
                for i in order {
                    if self.cores[i].timing.now() < self.cores[best].timing.now() {
                        best = i;
                    }
                }
                let bound = (0..streams.len())
                    .filter(|&i| active[i] && i != best)
                    .map(|i| self.cores[i].timing.now())
                    .min()
                    .unwrap_or(u64::MAX);
                loop {
                    match streams[best].next() {
                        Some(event) => {
                            self.step(best, event);
                            if self.cores[best].timing.now() > bound {
                                break;
                            }
                        }
                        None => {
                            active[best] = false;
                            break;
                        }
                    }
                }
            }
        }
        Ok(self.finish())
    }

    #[inline]
    fn physical(&self, core: usize, vaddr: u64) -> u64 {
        ((self.cores[core].space as u64) << (VA_BITS + 1)) | (vaddr & ((1u64 << VA_BITS) - 1))
    }

    /// Base of the page tables of an address space: above user space.
    fn page_table_base(&self, core: usize) -> u64 {
        ((self.cores[core].space as u64) << (VA_BITS + 1)) | (1u64 << VA_BITS)
    }

    /// Translates the page of `vaddr` at cycle `now`; returns the cycle the
    /// translation is known (after a walk and a fault if needed).
    #[inline(always)]
    fn translate(&mut self, core: usize, vaddr: u64, now: u64, l1_latency: u64) -> u64 {
        let vpn = (vaddr & ((1u64 << VA_BITS) - 1)) >> self.page_shift;
        let c = &mut self.cores[core];
        match c.tlb.lookup(vpn) {
            // A DTLB lookup overlaps the L1D tag check (VIPT).
            Lookup::Dtlb => now + c.tlb.dtlb_latency.saturating_sub(l1_latency),
            Lookup::Stlb => now + c.tlb.dtlb_latency + c.tlb.stlb_latency,
            Lookup::Miss => {
                let start = now + c.tlb.dtlb_latency + c.tlb.stlb_latency;
                let t = self.walk(core, vpn, start);
                let c = &mut self.cores[core];
                c.tlb.stats.walk_cycles += t - start;
                c.tlb.fill(vpn);
                self.fault_if_first_touch(core, vpn, t)
            }
        }
    }

    #[inline(never)]
    /// Reads one entry per level, each depending on the one before,
    /// starting below the deepest upper-level entry the walk cache holds.
    fn walk(&mut self, core: usize, vpn: u64, start: u64) -> u64 {
        let levels = self.config.tlb.walk_levels;
        let prefix = |level: u32| vpn >> (9 * (levels - 1 - level));
        let wc = &mut self.cores[core].tlb.walk_cache;
        let first = (0..levels - 1)
            .rev()
            .find(|&l| wc.lookup(l, prefix(l)))
            .map_or(0, |l| l + 1);
        let base = self.page_table_base(core);
        let mut t = start;
        for level in first..levels {
            let entry = base + (u64::from(level) << (VA_BITS - 8)) + prefix(level) * 8;
            t = self.mem.access(
                core,
                L1::Data,
                entry >> self.line_shift,
                false,
                t,
                Cause::PageWalk,
            );
        }
        let tlb = &mut self.cores[core].tlb;
        for level in first..levels - 1 {
            tlb.walk_cache.insert(level, prefix(level));
        }
        tlb.stats.walk_accesses += u64::from(levels - first);
        tlb.stats.walk_cache_hits += u64::from(first > 0);
        t
    }

    #[inline(never)]
    fn fault_if_first_touch(&mut self, core: usize, vpn: u64, t: u64) -> u64 {
        let space = self.cores[core].space;
        let Some(fault) = self.spaces[space].touch(vpn) else {
            return t;
        };
        let k = &self.config.kernel;
        let mut cost = u64::from(k.page_fault_cycles);
        let stats = &mut self.cores[core].stats.kernel;
        stats.page_faults += 1;
        if fault == Fault::Anonymous && k.zero_pages {
            stats.zeroed_pages += 1;
            let lines = 1u64 << (self.page_shift - self.line_shift);
            let first = self.physical(core, vpn << self.page_shift) >> self.line_shift;
            for i in 0..lines {
                self.mem
                    .install(core, first + i, Cause::PageZeroing, t + cost);
                cost += u64::from(k.zero_line_cycles);
            }
        }
        self.kernel_work(core, cost);
        self.cores[core].timing.now().max(t)
    }

    fn kernel_work(&mut self, core: usize, cycles: u64) {
        let c = &mut self.cores[core];
        c.stats.kernel.cycles += cycles;
        c.timing.serialise(cycles);
    }

    /// A data access of `size` bytes at `vaddr`, issued at `now`; returns
    /// when the last line's data is ready.
    #[inline(always)]
    fn data_access(&mut self, core: usize, vaddr: u64, size: u32, write: bool, now: u64) -> u64 {
        let cause = if self.cores[core].alloc_depth > 0 {
            Cause::AllocMetadata
        } else {
            Cause::Demand
        };
        let l1_latency = self.mem.private[core].l1d.latency();
        let last = vaddr.wrapping_add(u64::from(size.max(1)) - 1);
        let mut done = now;
        let mut addr = vaddr;
        loop {
            let t = self.translate(core, addr, now, l1_latency);
            let line = self.physical(core, addr) >> self.line_shift;
            done = done.max(self.mem.access(core, L1::Data, line, write, t, cause));
            let next = ((addr >> self.line_shift) + 1) << self.line_shift;
            if next == 0 || next > last {
                break;
            }
            addr = next;
        }
        done
    }

    fn unmap(&mut self, core: usize) {
        let space = self.cores[core].space;
        let pages = self.dropped.len() as u64;
        for &vpn in &self.dropped {
            for c in self.cores.iter_mut().filter(|c| c.space == space) {
                c.tlb.invalidate(vpn);
            }
        }
        self.dropped.clear();
        self.cores[core].stats.kernel.dropped_pages += pages;
        let cycles = pages * u64::from(self.config.kernel.unmap_page_cycles);
        self.kernel_work(core, cycles);
    }

    /// Replays one event on `core`.
    #[inline]
    fn step(&mut self, core: usize, event: Event) {
        self.cores[core].stats.events += 1;
        let in_alloc = self.cores[core].alloc_depth > 0;
        match event {
            Event::Block { addr, len, count } => {
                let first = self.physical(core, addr) >> self.line_shift;
                let last = self.physical(core, addr.wrapping_add(u64::from(len.max(1)) - 1))
                    >> self.line_shift;
                let c = &mut self.cores[core];
                c.stats.blocks += 1;
                let now = c.timing.now();
                let hit = now + self.mem.private[core].l1i.latency();
                let mut ready = now;
                for line in first..=last.max(first) {
                    ready = ready.max(self.mem.access(
                        core,
                        L1::Instruction,
                        line,
                        false,
                        now,
                        Cause::Demand,
                    ));
                }
                let c = &mut self.cores[core];
                if ready > hit {
                    c.timing.fetch_stall(ready);
                }
                self.retire(core, u64::from(count), in_alloc);
            }
            Event::Gap { count } => self.retire(core, count, in_alloc),
            Event::Load { addr, size } => {
                let t = self.cores[core].timing.load_issue(addr);
                let done = self.data_access(core, addr, size, false, t);
                let c = &mut self.cores[core];
                c.timing.load_done(addr, size, done);
                c.stats.loads += 1;
                c.stats.alloc.loads += u64::from(in_alloc);
            }
            Event::Store { addr, size } => {
                let t = self.cores[core].timing.store_issue();
                let done = self.data_access(core, addr, size, true, t);
                let c = &mut self.cores[core];
                c.timing.store_done(done);
                c.stats.stores += 1;
                c.stats.alloc.stores += u64::from(in_alloc);
            }
            Event::Alloc(a) => {
                let s = &mut self.cores[core].stats.alloc;
                s.allocs += 1;
                s.bytes_requested += a.size;
                s.small_allocs += u64::from(a.size <= SMALL_OBJECT);
                s.failed_allocs += u64::from(a.addr == 0);
            }
            Event::Free(_) => self.cores[core].stats.alloc.frees += 1,
            Event::Realloc(r) => {
                let s = &mut self.cores[core].stats.alloc;
                s.reallocs += 1;
                s.bytes_requested += r.size;
            }
            Event::AllocEnter { .. } => {
                let c = &mut self.cores[core];
                if c.alloc_depth == 0 {
                    c.stats.alloc.calls += 1;
                    c.alloc_entered_at = c.timing.now();
                }
                c.alloc_depth += 1;
                c.stats.alloc.max_depth = c.stats.alloc.max_depth.max(c.alloc_depth);
            }
            Event::AllocExit => {
                let c = &mut self.cores[core];
                match c.alloc_depth {
                    0 => c.stats.alloc.unmatched_exits += 1,
                    1 => {
                        c.alloc_depth = 0;
                        c.stats.alloc.cycles += c.timing.now() - c.alloc_entered_at;
                    }
                    _ => c.alloc_depth -= 1,
                }
            }
            Event::Mmap {
                addr, len, flags, ..
            } => {
                let space = self.cores[core].space;
                self.spaces[space].mmap(addr, len, flags, &mut self.dropped);
                self.cores[core].stats.kernel.mmaps += 1;
                self.kernel_work(core, u64::from(self.config.kernel.mmap_cycles));
                self.unmap(core);
            }
            Event::Munmap { addr, len } => {
                let space = self.cores[core].space;
                self.spaces[space].munmap(addr, len, &mut self.dropped);
                self.cores[core].stats.kernel.munmaps += 1;
                self.kernel_work(core, u64::from(self.config.kernel.munmap_cycles));
                self.unmap(core);
            }
            Event::Brk { old, new } => {
                let space = self.cores[core].space;
                self.spaces[space].brk(old, new, &mut self.dropped);
                self.cores[core].stats.kernel.brks += 1;
                self.kernel_work(core, u64::from(self.config.kernel.brk_cycles));
                self.unmap(core);
            }
            Event::Madvise { addr, len, advice } => {
                let space = self.cores[core].space;
                self.spaces[space].madvise(addr, len, advice, &mut self.dropped);
                self.cores[core].stats.kernel.madvises += 1;
                self.kernel_work(core, u64::from(self.config.kernel.madvise_cycles));
                self.unmap(core);
            }
            Event::Mremap {
                old_addr,
                old_len,
                new_addr,
                new_len,
            } => {
                let space = self.cores[core].space;
                self.spaces[space].mremap(old_addr, old_len, new_addr, new_len, &mut self.dropped);
                self.cores[core].stats.kernel.mremaps += 1;
                self.kernel_work(core, u64::from(self.config.kernel.mremap_cycles));
                // Moved pages keep their frames but change address: the old
                // translations go.
                self.unmap(core);
            }
            Event::Thread { .. } => self.cores[core].stats.thread_switches += 1,
            Event::RoiBegin | Event::RoiEnd => self.cores[core].stats.roi_markers += 1,
            Event::InvocationBegin { id } => {
                self.cores[core].stats.invocations += 1;
                let at = self.snapshot(core, id);
                self.cores[core].invocation = Some(at);
            }
            Event::InvocationEnd { id } => {
                if let Some(begin) = self.cores[core].invocation.take_if(|b| b.id == id) {
                    let end = self.snapshot(core, id);
                    self.invocations.push(InvocationStats {
                        core: end.core,
                        id,
                        cycles: end.cycles - begin.cycles,
                        instructions: end.instructions - begin.instructions,
                        loads: end.loads - begin.loads,
                        stores: end.stores - begin.stores,
                        l1d_misses: end.l1d_misses - begin.l1d_misses,
                        l2_misses: end.l2_misses - begin.l2_misses,
                        page_faults: end.page_faults - begin.page_faults,
                        kernel_cycles: end.kernel_cycles - begin.kernel_cycles,
                        allocs: end.allocs - begin.allocs,
                        alloc_instructions: end.alloc_instructions - begin.alloc_instructions,
                        dram_reads: end.dram_reads - begin.dram_reads,
                        dram_writes: end.dram_writes - begin.dram_writes,
                    });
                }
            }
        }
    }

    /// The counters of `core` now, as an invocation's begin or end.
    fn snapshot(&self, core: usize, id: u64) -> InvocationStats {
        let c = &self.cores[core];
        let p = &self.mem.private[core];
        let d = self.mem.dram.counters();
        InvocationStats {
            core: core as u32,
            id,
            cycles: c.timing.now(),
            instructions: c.timing.instructions(),
            loads: c.stats.loads,
            stores: c.stats.stores,
            l1d_misses: p.l1d.stats.misses,
            l2_misses: p.l2.stats.misses,
            page_faults: c.stats.kernel.page_faults,
            kernel_cycles: c.stats.kernel.cycles,
            allocs: c.stats.alloc.allocs,
            alloc_instructions: c.stats.alloc.instructions,
            dram_reads: d.reads.transfers(),
            dram_writes: d.writes.transfers(),
        }
    }

    #[inline]
    fn retire(&mut self, core: usize, count: u64, in_alloc: bool) {
        let c = &mut self.cores[core];
        c.timing.dispatch(count);
        if in_alloc {
            c.stats.alloc.instructions += count;
        }
    }

    fn finish(mut self) -> Stats {
        let mut end = 0;
        for c in &mut self.cores {
            c.stats.cycles = c.timing.finish();
            c.stats.instructions = c.timing.instructions();
            end = end.max(c.stats.cycles);
        }
        let at = self.mem.dram.to_dram_cycle(end);
        self.mem.dram.flush(at);
        let mut stats = Stats {
            invocations: std::mem::take(&mut self.invocations),
            config: self.config.name.clone(),
            frequency_mhz: self.config.frequency_mhz,
            cycles: end,
            ..Stats::default()
        };
        for slice in &self.mem.llc {
            stats.llc.merge(&slice.stats);
        }
        for (i, c) in self.cores.into_iter().enumerate() {
            let mut s = c.stats;
            let p = &self.mem.private[i];
            s.stalls = c.timing.stalls.clone();
            s.l1i = p.l1i.stats.clone();
            s.l1d = p.l1d.stats.clone();
            s.l2 = p.l2.stats.clone();
            s.tlb = c.tlb.stats.clone();
            s.alloc = AllocStats {
                l1d_misses: s.l1d.misses_by_cause.alloc_metadata,
                ..s.alloc
            };
            stats.instructions += s.instructions;
            stats.events += s.events;
            stats.cores.push(s);
        }
        stats.dram = self.mem.dram.stats(end);
        stats
    }
}
