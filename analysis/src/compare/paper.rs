//! The paper's published figures (MICRO 2023; see
//! `shared/memento-facts.md`), printed beside ours.

use serde::{Deserialize, Serialize};

/// What the paper reports, as fractions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Paper {
    /// Function speedups, smallest and largest (abstract: 8-28%).
    pub speedup_range: (f64, f64),
    /// Mean speedup (abstract: 16%).
    pub mean_speedup: f64,
    /// Mean change in DRAM traffic (abstract: "drastically"; a secondary
    /// summary: -30%).
    pub dram_traffic_change: f64,
    /// Shares of the speedup: object alloc, object free, page management,
    /// bypass (a secondary summary: 33/32/33/2%).
    pub split_shares: [f64; 4],
    /// Change in physical memory of functions (a secondary summary: -15%).
    pub memory_change: f64,
    /// Mean speedups on the C++ functions: (Memento, ideal Mallacc) (a
    /// secondary summary: 16% and 8%).
    pub cpp_speedups: (f64, f64),
}

impl Paper {
    /// The paper's figures.
    pub fn micro23() -> Paper {
        Paper {
            speedup_range: (0.08, 0.28),
            mean_speedup: 0.16,
            dram_traffic_change: -0.30,
            split_shares: [0.33, 0.32, 0.33, 0.02],
            memory_change: -0.15,
            cpp_speedups: (0.16, 0.08),
        }
    }
}
