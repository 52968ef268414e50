//! Results of a run as plain data (serde), kept apart from the model's
//! logic and from the printers in `report.rs`.

use serde::{Deserialize, Serialize};

use crate::cause::CauseCounts;
pub use crate::extension::stats::{
    ExtensionStats, FallbackStats, HitMiss, MementoStats, PageStats, RemovedWork, Switches,
};

/// Everything a run measured.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Name of the machine configuration.
    pub config: String,
    /// What was replayed, one per stream (set by the caller: `memento
    /// replay` names each trace file).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub traces: Vec<TraceId>,
    /// Core clock in MHz.
    pub frequency_mhz: u32,
    /// Cycles until the last core finished.
    pub cycles: u64,
    /// Instructions retired by all cores.
    pub instructions: u64,
    /// Trace events replayed by all cores.
    pub events: u64,
    /// Per core, in core order (cores without a stream included).
    pub cores: Vec<CoreStats>,
    /// Each invocation that ended, in the order they ended.
    pub invocations: Vec<InvocationStats>,
    /// The shared last-level cache, all slices together.
    pub llc: CacheStats,
    /// Main memory.
    pub dram: DramStats,
    /// Physical memory in use.
    pub memory: MemoryStats,
    /// The allocator model's work (absent for the baseline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<ExtensionStats>,
}

/// A replayed trace, as reports name it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceId {
    /// The trace's file name without extension (`json-warm`).
    pub name: String,
    /// The runtime its header names (`python`, `cpp`, ...), or `unknown`.
    pub runtime: String,
}

/// Physical memory the run used: the data pages it accessed and has not
/// given back (pages resident before the trace began are counted once
/// accessed; those never accessed are not known), plus, with the
/// extension, the Memento page-table pages.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryStats {
    /// Page size in bytes.
    pub page_size: u32,
    /// The most pages resident at once, all address spaces together.
    pub peak_resident_pages: u64,
    /// Pages resident at the end.
    pub resident_pages: u64,
}

/// One core and its private caches.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CoreStats {
    /// Core number.
    pub core: u32,
    /// Cycle at which the core's last instruction retired.
    pub cycles: u64,
    /// Instructions retired.
    pub instructions: u64,
    /// Events replayed.
    pub events: u64,
    /// Load events.
    pub loads: u64,
    /// Store events.
    pub stores: u64,
    /// Instruction blocks fetched.
    pub blocks: u64,
    /// `Thread` events (switches between traced threads).
    pub thread_switches: u64,
    /// Region-of-interest begin and end markers seen.
    pub roi_markers: u64,
    /// Invocations begun.
    pub invocations: u64,
    /// Where dispatch waited.
    pub stalls: StallStats,
    /// Private L1 instruction cache.
    pub l1i: CacheStats,
    /// Private L1 data cache.
    pub l1d: CacheStats,
    /// Private L2 (unified).
    pub l2: CacheStats,
    /// Data TLBs and page walks.
    pub tlb: TlbStats,
    /// Branches that ended blocks, by class, and their mispredictions.
    #[serde(default)]
    pub branch: crate::branch::BranchStats,
    /// Kernel work on this core.
    pub kernel: KernelStats,
    /// Software allocator work on this core.
    pub alloc: AllocStats,
}

/// Cycles dispatch was held back, by reason.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StallStats {
    /// The ROB was full behind an unfinished load.
    pub rob_full: u64,
    /// The load queue was full.
    pub load_queue_full: u64,
    /// The store queue was full.
    pub store_queue_full: u64,
    /// The store buffer was full at a store's retirement.
    pub store_buffer_full: u64,
    /// Instruction fetch missed in the L1I.
    pub fetch: u64,
    /// Page faults and system calls.
    pub kernel: u64,
    /// Front-end refills after mispredicted branches.
    #[serde(default)]
    pub branch_mispredict: u64,
}

/// Counters of one cache level.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheStats {
    /// Demand and prefetch lookups from the level above (or the core).
    pub accesses: u64,
    /// Lookups that found the line with its data present.
    pub hits: u64,
    /// Lookups that found no line.
    pub misses: u64,
    /// Misses by the cause of the access.
    pub misses_by_cause: CauseCounts,
    /// Lookups that found the line still in flight (merged into its MSHR).
    pub mshr_merges: u64,
    /// Cycles misses waited for a free MSHR.
    pub mshr_stall_cycles: u64,
    /// Lines installed (by misses, prefetches, writebacks and installs).
    pub fills: u64,
    /// Lines displaced by fills.
    pub evictions: u64,
    /// Dirty lines sent to the level below (or DRAM).
    pub writebacks: u64,
    /// Writebacks by who made the data dirty (program stores under
    /// `writeback`, page zeroing, allocator metadata).
    pub writebacks_by_cause: CauseCounts,
    /// Lines removed because the inclusive LLC evicted them.
    pub back_invalidations: u64,
    /// Prefetches issued into this level.
    pub prefetches: u64,
    /// Prefetched lines used by a demand access.
    pub prefetch_useful: u64,
    /// Prefetched lines evicted or invalidated unused.
    pub prefetch_useless: u64,
}

impl CacheStats {
    /// Adds every counter of `o` (to sum LLC slices).
    pub fn merge(&mut self, o: &CacheStats) {
        self.accesses += o.accesses;
        self.hits += o.hits;
        self.misses += o.misses;
        self.misses_by_cause.merge(&o.misses_by_cause);
        self.mshr_merges += o.mshr_merges;
        self.mshr_stall_cycles += o.mshr_stall_cycles;
        self.fills += o.fills;
        self.evictions += o.evictions;
        self.writebacks += o.writebacks;
        self.writebacks_by_cause.merge(&o.writebacks_by_cause);
        self.back_invalidations += o.back_invalidations;
        self.prefetches += o.prefetches;
        self.prefetch_useful += o.prefetch_useful;
        self.prefetch_useless += o.prefetch_useless;
    }
}

/// TLB lookups and page walks.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlbStats {
    /// Translations asked of the DTLB.
    pub dtlb_accesses: u64,
    /// DTLB misses.
    pub dtlb_misses: u64,
    /// DTLB misses that hit the STLB.
    pub stlb_hits: u64,
    /// STLB misses, each a page walk.
    pub walks: u64,
    /// Walks that skipped levels thanks to the walk cache.
    pub walk_cache_hits: u64,
    /// Page-table entries read by walks (through the caches).
    pub walk_accesses: u64,
    /// Cycles spent walking.
    pub walk_cycles: u64,
    /// TLB hits on a translation whose walk had not finished: they wait
    /// for it, as an access to a line in flight waits for its miss.
    #[serde(default)]
    pub in_flight_hits: u64,
}

/// The kernel cost model's work.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KernelStats {
    /// First touches of a known mapping's page.
    pub page_faults: u64,
    /// Pages zeroed after a fault.
    pub zeroed_pages: u64,
    /// `mmap` calls.
    pub mmaps: u64,
    /// `munmap` calls.
    pub munmaps: u64,
    /// `brk` calls.
    pub brks: u64,
    /// `madvise` calls.
    pub madvises: u64,
    /// `mremap` calls.
    pub mremaps: u64,
    /// Touched pages dropped by `munmap`, `madvise` or a shrinking `brk`.
    pub dropped_pages: u64,
    /// Cycles of kernel work (faults, zeroing, system calls).
    pub cycles: u64,
}

/// Work of the software allocator, from allocation events and the
/// instructions and accesses inside allocator-enter/exit brackets.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllocStats {
    /// Allocation events.
    pub allocs: u64,
    /// Allocation events that returned 0.
    pub failed_allocs: u64,
    /// Bytes requested by allocation and resize events.
    pub bytes_requested: u64,
    /// Allocations of at most 512 bytes (what Memento's object allocator
    /// would serve).
    pub small_allocs: u64,
    /// Free events.
    pub frees: u64,
    /// Resize events.
    pub reallocs: u64,
    /// Allocation, free and resize events made inside another allocator
    /// call (`operator new` -> `malloc`, `PyObject_Malloc` -> `malloc`):
    /// counted here instead of above, so each object counts once.
    pub nested_events: u64,
    /// Outermost allocator brackets entered.
    pub calls: u64,
    /// Deepest nesting of brackets seen.
    pub max_depth: u32,
    /// Exits without a matching enter (ignored).
    pub unmatched_exits: u64,
    /// Instructions retired inside brackets.
    pub instructions: u64,
    /// Loads inside brackets.
    pub loads: u64,
    /// Stores inside brackets.
    pub stores: u64,
    /// L1D misses of bracketed accesses (their LLC misses and DRAM reads
    /// are under the `alloc_metadata` cause of the LLC and DRAM stats).
    pub l1d_misses: u64,
    /// Cycles between outermost enter and exit.
    pub cycles: u64,
}

/// Main-memory results.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DramStats {
    /// Standard name (`DDR4-3200`).
    pub standard: String,
    /// Line reads by cause.
    pub reads: CauseCounts,
    /// Line writes by cause (what the extension's bypass avoided is in
    /// `extension.memento.bypass`, never here).
    pub writes: CauseCounts,
    /// Reads served from the write queue.
    pub forwarded_reads: u64,
    /// Writes merged into a queued write of the same line.
    pub merged_writes: u64,
    /// Column accesses to an open row.
    pub row_hits: u64,
    /// Column accesses to a precharged bank.
    pub row_misses: u64,
    /// Column accesses that closed another row.
    pub row_conflicts: u64,
    /// Refresh commands.
    pub refreshes: u64,
    /// Write drains started at the high watermark.
    pub write_drains: u64,
    /// Writes served ahead of older ones for a row hit.
    pub reordered_writes: u64,
    /// Reads served ahead of older queued ones for a row hit.
    #[serde(default)]
    pub reordered_reads: u64,
    /// Mean read latency (arrival at the controller to last beat), in ns.
    pub avg_read_latency_ns: f64,
    /// Median read latency, in ns.
    #[serde(default)]
    pub p50_read_latency_ns: f64,
    /// 99th-percentile read latency, in ns.
    pub p99_read_latency_ns: f64,
    /// Bytes moved (reads and writes).
    pub bytes: u64,
    /// Bytes moved per second of simulated time, in GB/s.
    pub bandwidth_gb_s: f64,
}

/// The results of the DRAM model alone on a request trace (`memento dram`).
/// Times are DRAM clock cycles unless named in ns.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DramRunStats {
    /// Name of the machine configuration whose `[dram]` section ran.
    pub config: String,
    /// The trace (set by the caller: `memento dram` names the file).
    pub trace: String,
    /// Its format (`dramsim3`, `ramulator`; set by the caller).
    pub format: String,
    /// DRAM clock in MHz.
    pub clock_mhz: u32,
    /// Requests in the trace (reads and writes, merged and forwarded ones
    /// included).
    pub requests: u64,
    /// Cycles from 0 to the last data beat (or the last arrival, if
    /// later): the time the bandwidth is measured over.
    pub cycles: u64,
    /// Mean read latency (arrival to last data beat).
    pub avg_read_latency_cycles: f64,
    /// Median read latency.
    pub p50_read_latency_cycles: u64,
    /// 99th-percentile read latency.
    pub p99_read_latency_cycles: u64,
    /// Mean of the part of a read's latency spent waiting for a slot of a
    /// full read queue.
    pub avg_read_queue_wait_cycles: f64,
    /// The controller's counters and the same latencies in ns; reads count
    /// under `demand`, writes under `writeback`.
    pub dram: DramStats,
}

/// One function invocation: what changed between its begin and end markers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvocationStats {
    /// Core that replayed it.
    pub core: u32,
    /// Invocation number from the trace.
    pub id: u64,
    /// Cycles from begin to end.
    pub cycles: u64,
    /// Instructions retired between the markers.
    pub instructions: u64,
    /// Load events between the markers.
    pub loads: u64,
    /// Store events between the markers.
    pub stores: u64,
    /// L1D misses between the markers.
    pub l1d_misses: u64,
    /// L2 misses between the markers.
    pub l2_misses: u64,
    /// Page faults between the markers.
    pub page_faults: u64,
    /// Cycles of kernel work between the markers.
    pub kernel_cycles: u64,
    /// Allocation events between the markers.
    pub allocs: u64,
    /// Instructions inside allocator brackets.
    pub alloc_instructions: u64,
    /// DRAM line reads of the whole machine meanwhile (all cores).
    pub dram_reads: u64,
    /// DRAM line writes of the whole machine meanwhile (all cores).
    pub dram_writes: u64,
}

/// DRAM transfers the extension's bypass avoided, counted apart from the
/// DRAM traffic (nothing here was a transfer).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BypassStats {
    /// Lines of new objects installed without a DRAM read.
    pub lines_installed: u64,
    /// DRAM reads those installs avoided (one per installed line).
    pub reads_avoided: u64,
    /// Lines of freed objects or arenas removed from the caches.
    pub lines_dropped: u64,
    /// Dirty lines among them, whose writeback was avoided.
    pub writes_avoided: u64,
}
