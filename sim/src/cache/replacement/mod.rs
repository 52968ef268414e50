//! Replacement policies, one file each, behind one trait and chosen by a
//! config value. Every policy is declared once, in the `policies!` list
//! below: its config name, its type and what it needs of the ways; the
//! config enum ([`Replacement`]) and the dispatch ([`Policy`], by `match`,
//! no virtual call on the hot path) come from that list.
//!
//! To add a policy: write `replacement/NAME.rs` with a type that implements
//! [`ReplacementPolicy`], add one line to `policies!`, and copy a test of
//! `tests/cache.rs` (`srrip_*` shows one against a plain reference model).

mod lru;
mod random;
mod srrip;
mod tree_plru;

use serde::{Deserialize, Serialize};

use crate::cause::Cause;

pub use lru::Lru;
pub use random::RandomPolicy;
pub use srrip::Srrip;
pub use tree_plru::TreePlru;

/// How a line came to be accessed or filled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// An access of a core that needs the data (a hit, or the fill of its
    /// miss): a load, store, fetch, page walk or allocator access.
    Demand,
    /// A prefetcher's fill.
    Prefetch,
    /// A dirty line written back from the level above.
    Writeback,
    /// A line written whole without a fetch: page zeroing, or the Memento
    /// extension installing a new object's line.
    Install,
}

/// What a policy is told of an access besides the line's slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Access {
    /// The core whose access it is (the LLC is shared).
    pub core: u32,
    /// Why the access was made; for a writeback or an install, who made
    /// the data dirty.
    pub cause: Cause,
    /// How the line came.
    pub origin: Origin,
}

impl Access {
    /// An access of `core` for `cause`.
    #[inline(always)]
    pub fn demand(core: usize, cause: Cause) -> Access {
        Access {
            core: core as u32,
            cause,
            origin: Origin::Demand,
        }
    }

    /// A prefetch into a cache of `core`.
    #[inline(always)]
    pub fn prefetch(core: usize) -> Access {
        Access {
            core: core as u32,
            cause: Cause::Prefetch,
            origin: Origin::Prefetch,
        }
    }

    /// A dirty line of `core` written back from above, dirty because of
    /// `cause`.
    #[inline(always)]
    pub fn writeback(core: usize, cause: Cause) -> Access {
        Access {
            core: core as u32,
            cause,
            origin: Origin::Writeback,
        }
    }

    /// A line installed whole without a fetch.
    #[inline(always)]
    pub fn install(core: usize, cause: Cause) -> Access {
        Access {
            core: core as u32,
            cause,
            origin: Origin::Install,
        }
    }
}

/// A replacement policy: its own per-line state, told of hits and fills,
/// asked for a victim when a set has no invalid way. Slots are
/// `set * ways + way`.
pub trait ReplacementPolicy: Clone + std::fmt::Debug {
    /// State for `sets` x `ways` lines; `seed` drives randomised policies.
    fn new(sets: usize, ways: usize, seed: u64) -> Self;

    /// Whether the policy works with `ways` ways; the error says why not.
    fn supports(_ways: u32) -> Result<(), String> {
        Ok(())
    }

    /// The line in `slot` was hit.
    fn on_hit(&mut self, slot: usize, access: &Access);

    /// A line was put in `slot`; by default, as a hit (recency policies
    /// treat a fill as a use).
    #[inline(always)]
    fn on_fill(&mut self, slot: usize, access: &Access) {
        self.on_hit(slot, access);
    }

    /// The way of the full `set` to evict.
    fn victim(&mut self, set: usize) -> usize;
}

/// Declares [`Replacement`] (the config's names) and [`Policy`] (the
/// dispatch) from one list of `Variant = "config-name" => Type`.
macro_rules! policies {
    ($($(#[$doc:meta])* $variant:ident = $name:literal => $ty:ty,)*) => {
        /// A cache replacement policy, as the config names it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
        pub enum Replacement {
            $($(#[$doc])* #[serde(rename = $name)] $variant,)*
        }

        impl Replacement {
            /// Every policy.
            pub const ALL: &'static [Replacement] = &[$(Replacement::$variant),*];

            /// The policy's name in configs.
            pub fn name(self) -> &'static str {
                match self {
                    $(Replacement::$variant => $name,)*
                }
            }

            /// Whether the policy works with `ways` ways.
            pub fn supports(self, ways: u32) -> Result<(), String> {
                match self {
                    $(Replacement::$variant => <$ty as ReplacementPolicy>::supports(ways),)*
                }
            }
        }

        /// One of the policies, dispatched by `match`. An explicit tag: a
        /// niche-encoded discriminant costs a few instructions to decode at
        /// every hit.
        #[derive(Clone, Debug)]
        #[repr(u8)]
        pub enum Policy {
            $($(#[$doc])* $variant($ty),)*
        }

        impl Policy {
            /// A policy of `kind` for `sets` x `ways` lines.
            pub fn new(kind: Replacement, sets: usize, ways: usize, seed: u64) -> Policy {
                match kind {
                    $(Replacement::$variant => Policy::$variant(<$ty>::new(sets, ways, seed)),)*
                }
            }

            /// The line in `slot` was hit.
            #[inline(always)]
            pub fn on_hit(&mut self, slot: usize, access: &Access) {
                match self {
                    $(Policy::$variant(p) => p.on_hit(slot, access),)*
                }
            }

            /// A line was put in `slot`.
            #[inline(always)]
            pub fn on_fill(&mut self, slot: usize, access: &Access) {
                match self {
                    $(Policy::$variant(p) => p.on_fill(slot, access),)*
                }
            }

            /// The way of a full `set` to evict.
            #[inline]
            pub fn victim(&mut self, set: usize) -> usize {
                match self {
                    $(Policy::$variant(p) => p.victim(set),)*
                }
            }
        }
    };
}

policies! {
    /// Least recently used.
    Lru = "lru" => Lru,
    /// Tree pseudo-LRU (ways must be a power of two).
    TreePlru = "tree-plru" => TreePlru,
    /// Static re-reference interval prediction, 2-bit.
    Srrip = "srrip" => Srrip,
    /// Uniformly random victim from a seeded generator.
    Random = "random" => RandomPolicy,
}
