//! Why a line moved between DRAM and the caches: every DRAM read and write is
//! counted under one cause.
//!
//! Each cause is declared once, in the `causes!` list below: its variant,
//! its number (what a cache line's state stores), its name in reports and
//! its field in [`CauseCounts`]. Adding one is one line there; a
//! compile-time check says whether the causes still fit the cache's bit
//! field (`cache::CAUSE_BITS`).

use serde::{Deserialize, Serialize};

/// Declares [`Cause`], [`Cause::ALL`], [`Cause::name`] and [`CauseCounts`]
/// from one list.
macro_rules! causes {
    ($($(#[$doc:meta])* $variant:ident = $value:literal => $field:ident,)*) => {
        /// The reason for a memory transfer.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum Cause {
            $($(#[$doc])* $variant = $value,)*
        }

        impl Cause {
            /// Every cause, in report order.
            pub const ALL: [Cause; [$(Cause::$variant),*].len()] = [$(Cause::$variant),*];

            /// The cause's name as reports print it.
            pub fn name(self) -> &'static str {
                match self {
                    $(Cause::$variant => stringify!($field),)*
                }
            }
        }

        /// A count per [`Cause`].
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
        pub struct CauseCounts {
            $($(#[$doc])* pub $field: u64,)*
        }

        impl CauseCounts {
            /// The count of one cause.
            pub fn get(&self, cause: Cause) -> u64 {
                match cause {
                    $(Cause::$variant => self.$field,)*
                }
            }

            fn slot(&mut self, cause: Cause) -> &mut u64 {
                match cause {
                    $(Cause::$variant => &mut self.$field,)*
                }
            }
        }
    };
}

causes! {
    /// A load, store or instruction fetch of the program.
    Demand = 0 => demand,
    /// A dirty line leaving the last-level cache.
    Writeback = 1 => writeback,
    /// A hardware prefetch.
    Prefetch = 2 => prefetch,
    /// The kernel zeroing a freshly faulted page.
    PageZeroing = 3 => page_zeroing,
    /// The page walker reading page-table entries.
    PageWalk = 4 => page_walk,
    /// An access made inside an allocator call (its metadata and free lists),
    /// or by the Memento extension's units (arena headers).
    AllocMetadata = 5 => alloc_metadata,
}

// A line's state keeps its cause in `CAUSE_BITS` bits, and the numbers
// index `ALL`.
const _: () = {
    assert!(Cause::ALL.len() <= 1 << crate::cache::CAUSE_BITS);
    let mut i = 0;
    while i < Cause::ALL.len() {
        assert!(
            Cause::ALL[i] as usize == i,
            "causes are numbered 0, 1, 2, ..."
        );
        i += 1;
    }
};

impl Cause {
    /// The cause under which dirty data made by an access of this cause is
    /// later written: its own for page zeroing and allocator metadata, a
    /// plain writeback for everything else.
    #[inline(always)]
    pub fn dirty_cause(self) -> Cause {
        match self {
            Cause::AllocMetadata | Cause::PageZeroing => self,
            _ => Cause::Writeback,
        }
    }

    /// The cause numbered `bits` (as a cache line stores it).
    pub(crate) fn from_bits(bits: u8) -> Cause {
        Cause::ALL[usize::from(bits) % Cause::ALL.len()]
    }
}

impl CauseCounts {
    /// Adds `n` under `cause`.
    #[inline]
    pub fn add(&mut self, cause: Cause, n: u64) {
        *self.slot(cause) += n;
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
}
