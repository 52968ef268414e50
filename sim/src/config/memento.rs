//! The `[memento]` section: which memory management the machine models
//! (the traced software allocator, the Memento extension, or an ideal
//! Mallacc), the extension's switches for ablation, and its parameters.
//! The architectural parameters (classes, arenas, region) are checked by
//! `memento-isa`; the timing ones here.

use memento_isa::{ParamError, Params, SizeClasses};
use serde::{Deserialize, Serialize};

use super::Config;

/// The extension's parameters and switches.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MementoConfig {
    /// Which memory management replays the traces.
    pub allocator: AllocatorKind,
    /// Where the objects the extension serves live.
    pub placement: Placement,
    /// obj-alloc replaces the software allocation of objects up to 512 B
    /// (off: the traced allocation replays, the object still gets its place).
    pub object_alloc: bool,
    /// obj-free replaces the software free of the extension's objects.
    pub object_free: bool,
    /// The hardware page allocator backs the region from its pool without
    /// page faults (off: region pages fault and are zeroed by the kernel).
    pub page_alloc: bool,
    /// Lines of a new object that no other live object shares are
    /// installed without a DRAM read.
    pub bypass_alloc: bool,
    /// Dirty lines of a freed object (no live neighbour in the line) and of
    /// a released arena are dropped without a writeback.
    pub bypass_free: bool,
    /// Object sizes of the size classes, ascending, the largest at most
    /// 512 (`memento-isa` checks them).
    pub size_classes: Vec<u32>,
    /// Arena length of each class, in bytes (one per class).
    pub arena_bytes: Vec<u64>,
    /// MRS: start of the Memento region (virtual), aligned to `lane_bytes`.
    pub region_base: u64,
    /// Bytes of one of the region's 64 lanes (one per core).
    pub lane_bytes: u64,
    /// Entries of the Hardware Object Table, per core.
    pub hot_entries: u32,
    /// Cycles of a HOT lookup.
    pub hot_cycles: u32,
    /// Entries of the arena allocation cache, per core.
    pub aac_entries: u32,
    /// Cycles of an AAC lookup (after a HOT miss).
    pub aac_cycles: u32,
    /// Cycles obj-alloc adds to its lookup (bitmap search, address).
    pub obj_alloc_cycles: u32,
    /// Cycles obj-free adds to its lookup (bitmap update).
    pub obj_free_cycles: u32,
    /// Whether a context switch flushes the AAC too (the HOT always is).
    pub flush_aac_on_switch: bool,
    /// Release an arena that empties (and is not current): its pages go
    /// back to the pool.
    pub release_empty_arenas: bool,
    /// Cycles the page walker takes to fill an entry from the pool.
    pub walker_fill_cycles: u32,
    /// Pages in the pool at start, per address space.
    pub pool_pages: u64,
    /// When the pool falls below this many pages, the OS refills it to
    /// `pool_pages` (0: only when empty, through a page fault).
    pub refill_threshold: u64,
    /// Cycles of one refill (the OS entered).
    pub refill_cycles: u32,
    /// Cycles per page a refill adds.
    pub refill_page_cycles: u32,
    /// Whether a refill stalls the core that triggered it (false: another
    /// core or a kernel thread does it; its cost is counted, not charged).
    pub refill_on_critical_path: bool,
    /// Whether the OS zeroes refilled pages (its DRAM writes counted as
    /// `page_zeroing`); false models hardware that zero-fills new lines.
    pub zero_pool_pages: bool,
}

/// The memory management a run models.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AllocatorKind {
    /// The traced software allocator and kernel, as they ran.
    Baseline,
    /// The Memento extension: hardware object and page allocators, bypass.
    Memento,
    /// The paper's second baseline: user-space malloc and free cost nothing
    /// (Mallacc that always hits with no latency); addresses and the kernel
    /// path are unchanged.
    IdealMallacc,
}

impl AllocatorKind {
    /// The name as configs and reports spell it.
    pub fn name(self) -> &'static str {
        match self {
            AllocatorKind::Baseline => "baseline",
            AllocatorKind::Memento => "memento",
            AllocatorKind::IdealMallacc => "ideal-mallacc",
        }
    }
}

/// Where the extension's objects live.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Placement {
    /// Where the modelled allocator puts them: traced accesses inside an
    /// object are redirected to its new place.
    Memento,
    /// At their traced addresses (for ablation and speed); bypass applies
    /// to the whole lines inside each object.
    Trace,
}

impl MementoConfig {
    /// The architectural parameters of `memento-isa` for a machine of
    /// `config`, with Memento page-table pages at physical `table_base`,
    /// validated. The error is `(field, message)`, the field named as in
    /// the config (`memento.arena_bytes[3]`).
    pub fn params(&self, config: &Config, table_base: u64) -> Result<Params, (String, String)> {
        let classes = SizeClasses::from_sizes(&self.size_classes)
            .map_err(|e| ("memento.size_classes".to_string(), e.to_string()))?;
        let mut p = Params::with_classes(classes);
        p.arena_bytes = self.arena_bytes.clone();
        p.page_bytes = u64::from(config.page_size);
        p.line_bytes = u64::from(config.line_size);
        p.region_base = self.region_base;
        p.lane_bytes = self.lane_bytes;
        p.table_base = table_base;
        p.table_levels = config.tlb.walk_levels;
        p.hot_entries = self.hot_entries as usize;
        p.aac_entries = self.aac_entries as usize;
        // Without the page allocator the kernel backs the region: the
        // functional pool never runs dry.
        p.pool_pages = if self.page_alloc {
            self.pool_pages
        } else {
            u64::MAX / 4
        };
        p.release_empty_arenas = self.release_empty_arenas;
        p.flush_aac_on_switch = self.flush_aac_on_switch;
        p.validate().map_err(|e| param_error(&e))?;
        Ok(p)
    }
}

/// A `memento-isa` parameter error as `(field, message)`, the field named
/// as in the config.
pub fn param_error(e: &ParamError) -> (String, String) {
    (
        format!("memento.{}", e.field),
        format!("{} (got {:#x})", e.problem, e.value),
    )
}
