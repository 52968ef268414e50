//! Why a line moved between DRAM and the caches: every DRAM read and write is
//! counted under one cause.

use serde::{Deserialize, Serialize};

/// The reason for a memory transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Cause {
    /// A load, store or instruction fetch of the program.
    Demand = 0,
    /// A dirty line leaving the last-level cache.
    Writeback = 1,
    /// A hardware prefetch.
    Prefetch = 2,
    /// The kernel zeroing a freshly faulted page.
    PageZeroing = 3,
    /// The page walker reading page-table entries.
    PageWalk = 4,
    /// An access made inside an allocator call (its metadata and free lists),
    /// or by the Memento extension's units (arena headers).
    AllocMetadata = 5,
}

impl Cause {
    /// Every cause, in report order.
    pub const ALL: [Cause; 6] = [
        Cause::Demand,
        Cause::Writeback,
        Cause::Prefetch,
        Cause::PageZeroing,
        Cause::PageWalk,
        Cause::AllocMetadata,
    ];

    /// The cause's name as reports print it.
    pub fn name(self) -> &'static str {
        match self {
            Cause::Demand => "demand",
            Cause::Writeback => "writeback",
            Cause::Prefetch => "prefetch",
            Cause::PageZeroing => "page_zeroing",
            Cause::PageWalk => "page_walk",
            Cause::AllocMetadata => "alloc_metadata",
        }
    }

    pub(crate) fn from_bits(bits: u8) -> Cause {
        Cause::ALL[usize::from(bits) % Cause::ALL.len()]
    }
}

/// A count per [`Cause`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[allow(missing_docs)] // one field per Cause variant, same meaning
pub struct CauseCounts {
    pub demand: u64,
    pub writeback: u64,
    pub prefetch: u64,
    pub page_zeroing: u64,
    pub page_walk: u64,
    pub alloc_metadata: u64,
}

impl CauseCounts {
    /// Adds `n` under `cause`.
    #[inline]
    pub fn add(&mut self, cause: Cause, n: u64) {
        *self.slot(cause) += n;
    }

    /// The count of one cause.
    pub fn get(&self, cause: Cause) -> u64 {
        match cause {
            Cause::Demand => self.demand,
            Cause::Writeback => self.writeback,
            Cause::Prefetch => self.prefetch,
            Cause::PageZeroing => self.page_zeroing,
            Cause::PageWalk => self.page_walk,
            Cause::AllocMetadata => self.alloc_metadata,
        }
    }

    /// Sum over every cause.
    pub fn transfers(&self) -> u64 {
        Cause::ALL.iter().map(|c| self.get(*c)).sum()
    }

    /// Adds every count of `other`.
    pub fn merge(&mut self, other: &CauseCounts) {
        for c in Cause::ALL {
            self.add(c, other.get(c));
        }
    }

    fn slot(&mut self, cause: Cause) -> &mut u64 {
        match cause {
            Cause::Demand => &mut self.demand,
            Cause::Writeback => &mut self.writeback,
            Cause::Prefetch => &mut self.prefetch,
            Cause::PageZeroing => &mut self.page_zeroing,
            Cause::PageWalk => &mut self.page_walk,
            Cause::AllocMetadata => &mut self.alloc_metadata,
        }
    }
}
