//! The operations the Memento extension adds to the hierarchy: install
//! lines without reading them from DRAM, and drop lines without writing
//! them back. Both take whole lines; `Geometry::lines_within` rounds a
//! byte range inward, so that a line shared with another object is never
//! touched. What they avoid is counted in [`crate::stats::BypassStats`], apart from the
//! DRAM traffic.

use std::ops::Range;

use super::MemorySystem;
use crate::cache::replacement::Access;
use crate::cause::Cause;

impl MemorySystem {
    /// Puts `line` in `core`'s L1D, dirty under `cause`, without reading it
    /// from below (a full-line write: page zeroing, or Memento's bypass for
    /// a new object). With an inclusive LLC the line is placed there too.
    pub fn install(&mut self, core: usize, line: u64, cause: Cause, now: u64) {
        if self.inclusive {
            let s = self.slice(line);
            if !self.llc[s].contains(line) {
                if let Some(v) = self.llc[s].fill(line, None, now, Access::install(core, cause)) {
                    self.llc_evicted(v, now);
                }
            }
        }
        let c = &mut self.private[core].l1d;
        if c.absorb_writeback(line, cause) {
            return;
        }
        if let Some(v) = c.fill(line, Some(cause), now, Access::install(core, cause)) {
            self.l1_evicted(core, v, now);
        }
    }

    /// Installs each of `lines` that `core` does not already reach in its
    /// L1D, L2 or LLC slice, dirty and without a DRAM read (the lines of a
    /// new object that no other live object shares). Each is counted as a
    /// read avoided. Returns how many were installed.
    pub fn install_lines(&mut self, core: usize, lines: Range<u64>, now: u64) -> u64 {
        let mut installed = 0;
        for line in lines {
            let p = &self.private[core];
            let cached = p.l1d.contains(line)
                || p.l2.contains(line)
                || self.llc[self.slice(line)].contains(line);
            if !cached {
                self.install(core, line, Cause::Writeback, now);
                installed += 1;
            }
        }
        self.bypass.lines_installed += installed;
        self.bypass.reads_avoided += installed;
        installed
    }

    /// Removes each of `lines` from every cache without writing it back
    /// (the dead lines of a freed object or arena); a line dirty anywhere
    /// is counted as a write avoided. Returns how many dirty lines were
    /// dropped.
    pub fn drop_lines(&mut self, lines: Range<u64>) -> u64 {
        let mut avoided = 0;
        for line in lines {
            let mut present = false;
            let mut dirty = false;
            for p in &mut self.private {
                for c in [&mut p.l1i, &mut p.l1d, &mut p.l2] {
                    if let Some(e) = c.invalidate(line) {
                        present = true;
                        dirty |= e.dirty;
                    }
                }
            }
            let s = self.slice(line);
            if let Some(e) = self.llc[s].invalidate(line) {
                present = true;
                dirty |= e.dirty;
            }
            self.bypass.lines_dropped += u64::from(present);
            avoided += u64::from(dirty);
        }
        self.bypass.writes_avoided += avoided;
        avoided
    }
}
