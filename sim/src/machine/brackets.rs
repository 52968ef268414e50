//! Allocator brackets: which instructions and accesses of a core belong to
//! the software allocator. A traced allocator call is an `AllocEnter` ..
//! `AllocExit` pair; calls nest (`operator new` -> `malloc`), and only the
//! outermost call stands for the program's request.

use memento_trace::Event;

use crate::cause::Cause;
use crate::stats::AllocStats;

/// The allocator brackets open on one core.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Brackets {
    depth: u32,
    entered_at: u64,
}

impl Brackets {
    /// Whether the core is inside an allocator call.
    #[inline(always)]
    pub(crate) fn inside(&self) -> bool {
        self.depth > 0
    }

    /// The cause of an access made now: the allocator's metadata inside a
    /// bracket, the program's demand outside.
    #[inline(always)]
    pub(crate) fn cause(&self) -> Cause {
        if self.inside() {
            Cause::AllocMetadata
        } else {
            Cause::Demand
        }
    }

    /// Whether `event` is an allocation event made by a call inside
    /// another (counted apart, so that each object counts once).
    #[inline]
    pub(crate) fn is_nested(&self, event: &Event) -> bool {
        event.is_nested_allocation(u64::from(self.depth))
    }

    /// An allocator entry point was entered at cycle `now`.
    pub(crate) fn enter(&mut self, now: u64, stats: &mut AllocStats) {
        if self.depth == 0 {
            stats.calls += 1;
            self.entered_at = now;
        }
        self.depth += 1;
        stats.max_depth = stats.max_depth.max(self.depth);
    }

    /// The entry point entered last returned at cycle `now`.
    pub(crate) fn exit(&mut self, now: u64, stats: &mut AllocStats) {
        match self.depth {
            0 => stats.unmatched_exits += 1,
            1 => {
                self.depth = 0;
                stats.cycles += now - self.entered_at;
            }
            _ => self.depth -= 1,
        }
    }
}
