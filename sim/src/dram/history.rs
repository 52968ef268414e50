//! Recent commands of a rank and recent bursts of a data bus, so that a
//! request arriving before the latest committed command can take an idle
//! gap instead of queueing behind everything committed so far.
//!
//! The machine settles demand reads in batches: a batch's reads are served,
//! and a read that arrives earlier but is issued in program order after
//! them (a load dispatched before a store's read-for-ownership that waited
//! for data, another core's read) would otherwise wait for the whole batch
//! on the rank's command spacing and the bus. A real controller would have
//! slotted it in between.

use std::collections::VecDeque;

/// Entries kept per history; an older one folds into a floor that no new
/// command may precede.
const KEEP: usize = 64;

/// One past command (or burst): its cycle and what spacing rules need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Past {
    /// Cycle of the command (or first cycle of the burst).
    pub at: u64,
    /// Its bank group.
    pub bg: u32,
    /// A write (column commands only).
    pub write: bool,
}

/// Past commands of one kind, oldest first.
#[derive(Clone, Debug, Default)]
pub(super) struct History {
    entries: VecDeque<Past>,
    floor: u64,
}

impl History {
    /// The earliest cycle `t >= lb` outside every entry's exclusion zone:
    /// `gap(e)` is `(before, after)`, meaning `e` needs `t + before <= e.at`
    /// (the new command first) or `t >= e.at + after` (the new one second).
    /// `reach` bounds every `before` and `after`: entries farther than
    /// that from `t` are skipped.
    pub fn earliest(&self, lb: u64, reach: u64, gap: impl Fn(&Past) -> (u64, u64)) -> u64 {
        let mut t = lb.max(self.floor);
        loop {
            let mut moved = false;
            let from = self.entries.partition_point(|e| e.at + reach <= t);
            for e in self.entries.range(from..) {
                if e.at >= t + reach {
                    break;
                }
                let (before, after) = gap(e);
                if t + before > e.at && t < e.at + after {
                    t = e.at + after;
                    moved = true;
                }
            }
            if !moved {
                return t;
            }
        }
    }

    /// The `n`th most recent entry's cycle (1: the latest), if there are
    /// that many.
    pub fn nth_latest(&self, n: usize) -> Option<u64> {
        self.entries
            .len()
            .checked_sub(n)
            .map(|i| self.entries[i].at)
    }

    /// The entries within `window` cycles of `t` either side, in order.
    pub fn near(&self, t: u64, window: u64) -> impl Iterator<Item = u64> + '_ {
        let from = self.entries.partition_point(|e| e.at + window <= t);
        self.entries
            .range(from..)
            .take_while(move |e| e.at < t + window)
            .map(|e| e.at)
    }

    /// Records `p`; the oldest entry beyond [`KEEP`] becomes the floor
    /// `its cycle + fold`.
    pub fn push(&mut self, p: Past, fold: u64) {
        let i = self.entries.partition_point(|e| e.at <= p.at);
        self.entries.insert(i, p);
        if self.entries.len() > KEEP {
            let old = self.entries.pop_front().expect("over the limit");
            self.floor = self.floor.max(old.at + fold);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(at: u64) -> Past {
        Past {
            at,
            bg: 0,
            write: false,
        }
    }

    #[test]
    fn a_command_fits_a_gap_wide_enough_for_its_spacing() {
        let mut h = History::default();
        h.push(at(100), 10);
        h.push(at(200), 10);
        // 4 cycles either way from each command.
        assert_eq!(h.earliest(150, 4, |_| (4, 4)), 150);
        assert_eq!(h.earliest(98, 4, |_| (4, 4)), 104);
        // 60 before the next command: 110 leaves room, 150 does not.
        assert_eq!(h.earliest(110, 60, |_| (60, 4)), 110);
        assert_eq!(h.earliest(150, 60, |_| (60, 4)), 204);
    }

    #[test]
    fn entries_beyond_the_limit_fold_into_a_floor() {
        let mut h = History::default();
        for i in 0..=KEEP as u64 {
            h.push(at(1000 + 10 * i), 7);
        }
        assert_eq!(h.earliest(0, 1, |_| (1, 1)), 1007);
        assert_eq!(h.nth_latest(1), Some(1000 + 10 * KEEP as u64));
    }

    #[test]
    fn near_lists_the_entries_within_the_window() {
        let mut h = History::default();
        for c in [10, 50, 60, 90] {
            h.push(at(c), 0);
        }
        assert_eq!(h.near(55, 10).collect::<Vec<_>>(), vec![50, 60]);
    }
}
