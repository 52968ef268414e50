//! What each kind of start costs a function, memoised: one replay of its
//! cold trace and one of its warm trace per mode give the cycles, DRAM
//! traffic and memory of a cold and of a warm invocation, and a restore is
//! a warm invocation plus the costs of mapping a snapshot back
//! ([`RestoreCosts`]). The node model then charges these per start instead
//! of replaying every invocation (see the crate README, "Approximation").

use serde::{Deserialize, Serialize};

use crate::keepalive::ParamError;

/// Bytes of DRAM traffic by cause: the machine model's causes plus the
/// restore's own.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Traffic {
    /// Demand reads and writebacks of the program's own data.
    pub demand: u64,
    /// Writebacks of dirty lines.
    pub writeback: u64,
    /// Prefetches.
    pub prefetch: u64,
    /// The kernel zeroing fresh pages.
    pub page_zeroing: u64,
    /// Page-table walks.
    pub page_walk: u64,
    /// The allocator's own metadata.
    pub alloc_metadata: u64,
    /// Copy-on-write copies of snapshot pages at their first write.
    pub restore_copy: u64,
    /// A restore's working-set prefetch (REAP).
    pub restore_prefetch: u64,
}

impl Traffic {
    /// The sum of every cause.
    pub fn total(&self) -> u64 {
        self.demand
            + self.writeback
            + self.prefetch
            + self.page_zeroing
            + self.page_walk
            + self.alloc_metadata
            + self.restore_copy
            + self.restore_prefetch
    }

    /// Adds `other`, cause by cause.
    pub fn add(&mut self, other: &Traffic) {
        self.demand += other.demand;
        self.writeback += other.writeback;
        self.prefetch += other.prefetch;
        self.page_zeroing += other.page_zeroing;
        self.page_walk += other.page_walk;
        self.alloc_metadata += other.alloc_metadata;
        self.restore_copy += other.restore_copy;
        self.restore_prefetch += other.restore_prefetch;
    }

    /// `(cause, bytes)` pairs in a fixed order, for printers.
    pub fn by_cause(&self) -> [(&'static str, u64); 8] {
        [
            ("demand", self.demand),
            ("writeback", self.writeback),
            ("prefetch", self.prefetch),
            ("page_zeroing", self.page_zeroing),
            ("page_walk", self.page_walk),
            ("alloc_metadata", self.alloc_metadata),
            ("restore_copy", self.restore_copy),
            ("restore_prefetch", self.restore_prefetch),
        ]
    }
}

/// One of our captured functions in one mode (baseline or Memento), as
/// the node charges it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FunctionCost {
    /// Its name (`bfs`, `json`, ...).
    pub name: String,
    /// The memory size the user configured for it.
    pub user_bytes: u64,
    /// Start-up and first invocation (the cold trace), in microseconds.
    pub cold_us: u64,
    /// An instance's first warm invocation (right after its cold start),
    /// in microseconds, alone on the machine.
    pub warm_us: u64,
    /// A later warm invocation, in microseconds, alone on the machine: by
    /// then the allocator reuses what the first one freed, so it touches
    /// fewer new lines and pages.
    pub steady_us: u64,
    /// One warm invocation while every other core of the node runs other
    /// functions (their cold then warm traces): what sharing the LLC and
    /// DRAM costs it. The node charges between the two by how many other
    /// cores are busy.
    pub warm_us_shared: u64,
    /// Peak resident memory of an invocation.
    pub peak_bytes: u64,
    /// Memory still resident when a warm invocation ends: what harvesting
    /// cannot take. In Memento mode the pages of free arenas have gone
    /// back to the hardware page pool by then, so it can be below the
    /// peak where the software allocator keeps them.
    pub live_bytes: u64,
    /// DRAM traffic of a cold start.
    pub cold_traffic: Traffic,
    /// DRAM traffic of an instance's first warm invocation (and of the
    /// invocation a restore runs).
    pub warm_traffic: Traffic,
    /// DRAM traffic of a later warm invocation.
    pub steady_traffic: Traffic,
    /// Distinct pages a warm invocation touches (a restore's first-touch
    /// faults).
    pub pages_touched: u64,
    /// Of them, pages it writes (a restore's copy-on-write copies).
    pub pages_written: u64,
}

/// What a cold start costs beside its trace: the sandbox that the traced
/// process starts in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ColdCosts {
    /// Creating and booting the sandbox, microseconds: 125,000 for a
    /// Firecracker microVM (Agache et al., NSDI 2020: "boots in as little
    /// as 125 ms"), the starting point a snapshot restore's 5-8 ms is
    /// measured against. 0 charges the cold trace alone.
    pub boot_us: u64,
}

impl Default for ColdCosts {
    fn default() -> Self {
        ColdCosts { boot_us: 125_000 }
    }
}

impl ColdCosts {
    /// Checks the fields; the error names the bad one.
    pub fn check(&self) -> Result<(), ParamError> {
        if self.boot_us > 600_000_000 {
            return Err(ParamError::new(
                "cold.boot_us",
                self.boot_us,
                "at most 600,000,000 (10 minutes)",
            ));
        }
        Ok(())
    }
}

/// What mapping a snapshot back costs, beside the warm invocation itself.
/// Defaults and sources in the crate README ("Restore costs").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RestoreCosts {
    /// Fixed cost of a restore (VMM or process set-up), microseconds:
    /// 6,500 for a Firecracker microVM (5-8 ms); a CRIU restore takes
    /// 30,000-80,000.
    pub restore_us: u64,
    /// A first touch of a snapshot page found in the page cache.
    pub minor_fault_us: f64,
    /// A first touch that reads the page from the snapshot file.
    pub major_fault_us: f64,
    /// Share of first touches that find their page in the page cache.
    pub page_cache_hit_ratio: f64,
    /// Copying one page at its first write.
    pub copy_us: f64,
    /// Prefetch the working set in one bulk read (REAP) instead of faulting
    /// page by page.
    pub prefetch: bool,
    /// Bandwidth of that bulk read, MB/s.
    pub prefetch_mb_per_s: f64,
    /// Page size of the snapshot, bytes.
    pub page_bytes: u64,
}

impl Default for RestoreCosts {
    fn default() -> Self {
        RestoreCosts {
            restore_us: 6_500,
            minor_fault_us: 1.0,
            major_fault_us: 60.0,
            page_cache_hit_ratio: 0.9,
            copy_us: 0.5,
            prefetch: false,
            prefetch_mb_per_s: 1_000.0,
            page_bytes: 4096,
        }
    }
}

impl RestoreCosts {
    /// Checks every field; the error names the bad one.
    pub fn check(&self) -> Result<(), ParamError> {
        let bad = |field: &'static str, value: String, allowed: &str| {
            Err(ParamError::new(field, value, allowed))
        };
        for (field, v) in [
            ("restore.minor_fault_us", self.minor_fault_us),
            ("restore.major_fault_us", self.major_fault_us),
            ("restore.copy_us", self.copy_us),
        ] {
            if !(0.0..=1e6).contains(&v) {
                return bad(field, v.to_string(), "0 to 1e6 microseconds");
            }
        }
        if !(0.0..=1.0).contains(&self.page_cache_hit_ratio) {
            return bad(
                "restore.page_cache_hit_ratio",
                self.page_cache_hit_ratio.to_string(),
                "0 to 1",
            );
        }
        if !(self.prefetch_mb_per_s > 0.0 && self.prefetch_mb_per_s <= 1e6) {
            return bad(
                "restore.prefetch_mb_per_s",
                self.prefetch_mb_per_s.to_string(),
                "above 0, at most 1e6 MB/s",
            );
        }
        if !self.page_bytes.is_power_of_two() || self.page_bytes < 512 {
            return bad(
                "restore.page_bytes",
                self.page_bytes.to_string(),
                "a power of two, at least 512",
            );
        }
        Ok(())
    }

    /// Microseconds a restore of `f` adds before its warm invocation's own
    /// time, and the DRAM traffic it adds.
    pub fn overhead(&self, f: &FunctionCost) -> (u64, Traffic) {
        let page = self.page_bytes;
        let touched = f.pages_touched as f64;
        let mut traffic = Traffic {
            restore_copy: 2 * f.pages_written * page,
            ..Traffic::default()
        };
        let faults_us = if self.prefetch {
            traffic.restore_prefetch = f.pages_touched * page;
            // MB/s is bytes per microsecond.
            (f.pages_touched * page) as f64 / self.prefetch_mb_per_s
        } else {
            let hit = self.page_cache_hit_ratio;
            touched * (hit * self.minor_fault_us + (1.0 - hit) * self.major_fault_us)
        };
        let copies_us = f.pages_written as f64 * self.copy_us;
        let us = self.restore_us + (faults_us + copies_us).round() as u64;
        (us, traffic)
    }
}
