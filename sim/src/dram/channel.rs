//! One DRAM channel: the state of its banks, ranks and data bus, and the
//! earliest legal cycle of each command under the standard's timing.
//!
//! The command rules are DDR4's, and a standard file changes only their
//! values. A DDR5 standard (`presets/dram/ddr5-4800.toml`) runs on them
//! with its own timings, eight bank groups and BL16, but what DDR5 adds
//! would need code here:
//! - two independent 32-bit sub-channels per DIMM (today a channel is one
//!   bus; model one as a `channels` pair of half width);
//! - same-bank refresh (REFsb, tRFCsb) beside all-bank refresh: today
//!   `refresh_until` closes every bank of the rank for tRFC;
//! - write-to-write and read-to-read spacing that differ by bank group
//!   (tCCD_L_WR, tCCD_M) beyond the one tCCD_S/tCCD_L pair here;
//! - the on-die ECC's read-modify-write of partial writes (not modelled:
//!   a write is always a whole line).

use super::history::{History, Past};
use super::standard::Timing;

const NO_ROW: u32 = u32::MAX;

/// Whether an access found its row open, the bank closed, or another row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowOutcome {
    /// The row was open: one column command.
    Hit,
    /// The bank was precharged: activate, then column.
    Miss,
    /// Another row was open: precharge, activate, then column.
    Conflict,
}

/// The commands one access issued, in DRAM cycles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Service {
    /// Row-buffer outcome.
    pub row: RowOutcome,
    /// Cycle of the precharge, if one was needed.
    pub pre: Option<u64>,
    /// Cycle of the activate, if one was needed.
    pub act: Option<u64>,
    /// Cycle of the read or write command.
    pub col: u64,
    /// First cycle of data on the bus.
    pub data_start: u64,
    /// Cycle after the last data beat.
    pub data_end: u64,
}

#[derive(Clone, Copy, Debug)]
struct Bank {
    open: u32,
    ready_act: u64,
    ready_pre: u64,
    ready_col: u64,
}

#[derive(Clone, Debug)]
struct Rank {
    ready_act: u64,
    ready_act_bg: Vec<u64>,
    /// Recent activates (for tRRD and tFAW in a gap).
    acts: History,
    /// Recent column commands (for tCCD and turnarounds in a gap).
    cols: History,
    ready_rd: u64,
    ready_rd_bg: Vec<u64>,
    ready_wr: u64,
    ready_wr_bg: Vec<u64>,
    next_refresh: u64,
}

/// Bank, rank and bus state of one channel.
#[derive(Clone, Debug)]
pub struct Channel {
    t: Timing,
    closed_row: bool,
    bank_groups: usize,
    banks_per_group: usize,
    banks: Vec<Bank>,
    ranks: Vec<Rank>,
    /// The cycle after the latest data burst.
    bus_free: u64,
    /// Recent data bursts, by first cycle.
    bursts: History,
    /// Whether a command may take a gap before later committed ones.
    fill_gaps: bool,
    /// Refreshes performed so far.
    pub refreshes: u64,
}

fn max(a: u64, b: u64) -> u64 {
    a.max(b)
}

impl Channel {
    /// An idle channel with every bank precharged; the first refresh of each
    /// rank falls at tREFI, or with `staggered` that of rank r at
    /// (r + 1) tREFI / ranks.
    pub fn new(
        t: &Timing,
        ranks: u32,
        bank_groups: u32,
        banks_per_group: u32,
        closed_row: bool,
        staggered: bool,
    ) -> Channel {
        let bgs = bank_groups as usize;
        let rank = Rank {
            ready_act: 0,
            ready_act_bg: vec![0; bgs],
            acts: History::default(),
            cols: History::default(),
            ready_rd: 0,
            ready_rd_bg: vec![0; bgs],
            ready_wr: 0,
            ready_wr_bg: vec![0; bgs],
            next_refresh: u64::from(t.refi),
        };
        let per_rank = bgs * banks_per_group as usize;
        Channel {
            t: t.clone(),
            closed_row,
            bank_groups: bgs,
            banks_per_group: banks_per_group as usize,
            banks: vec![
                Bank {
                    open: NO_ROW,
                    ready_act: 0,
                    ready_pre: 0,
                    ready_col: 0
                };
                per_rank * ranks as usize
            ],
            ranks: (0..u64::from(ranks))
                .map(|r| Rank {
                    next_refresh: if staggered {
                        (r + 1) * (u64::from(t.refi) / u64::from(ranks))
                    } else {
                        u64::from(t.refi)
                    },
                    ..rank.clone()
                })
                .collect(),
            bus_free: 0,
            bursts: History::default(),
            fill_gaps: true,
            refreshes: 0,
        }
    }

    /// Whether an access may take an idle gap before commands committed
    /// earlier (on by default): for requests served out of arrival order.
    /// Off, each access's commands come after everything committed at rank
    /// and bus level, so the order of service is the order of commands.
    pub fn set_fill_gaps(&mut self, on: bool) {
        self.fill_gaps = on;
    }

    /// The index of a bank among the channel's banks.
    #[inline]
    pub(crate) fn bank_index(&self, rank: u32, bg: u32, bank: u32) -> usize {
        (rank as usize * self.bank_groups + bg as usize) * self.banks_per_group + bank as usize
    }

    /// Performs every refresh of `rank` due at or before `t`: all banks are
    /// precharged, then blocked for tRFC.
    fn refresh_until(&mut self, rank: usize, t: u64) {
        let per_rank = self.bank_groups * self.banks_per_group;
        let (rp, rfc, refi) = (
            u64::from(self.t.rp),
            u64::from(self.t.rfc),
            u64::from(self.t.refi),
        );
        if self.ranks[rank].next_refresh > t {
            return;
        }
        let banks = &mut self.banks[rank * per_rank..(rank + 1) * per_rank];
        let mut start = self.ranks[rank].next_refresh;
        for b in banks.iter() {
            start = max(
                start,
                if b.open != NO_ROW {
                    b.ready_pre + rp
                } else {
                    b.ready_act
                },
            );
        }
        // After the first refresh every bank is closed and free again before
        // the next one is due (tRFC < tREFI): the rest follow in closed form.
        let later = (t - self.ranks[rank].next_refresh) / refi;
        let last_start = max(start, self.ranks[rank].next_refresh + later * refi);
        for b in banks.iter_mut() {
            b.open = NO_ROW;
            b.ready_act = max(b.ready_act, last_start + rfc);
        }
        self.ranks[rank].next_refresh += (later + 1) * refi;
        self.refreshes += later + 1;
    }

    /// Performs the refreshes of every rank due at or before `t` (at the end
    /// of a run, so that idle ranks are counted too).
    pub fn refresh_all_until(&mut self, t: u64) {
        for rank in 0..self.ranks.len() {
            self.refresh_until(rank, t);
        }
    }

    /// Issues the commands of one access arriving at cycle `at`, each at
    /// its earliest legal cycle, and returns when they happened.
    pub fn access(
        &mut self,
        rank: u32,
        bg: u32,
        bank: u32,
        row: u32,
        write: bool,
        at: u64,
    ) -> Service {
        let bi = self.bank_index(rank, bg, bank);
        let (r, g) = (rank as usize, bg as usize);
        loop {
            let s = self.plan(bi, r, g, row, write, at);
            let last = s.col;
            if last >= self.ranks[r].next_refresh {
                self.refresh_until(r, last);
                continue;
            }
            self.commit(bi, r, g, row, write, &s);
            return s;
        }
    }

    /// The cycle at which the first command (precharge, activate or
    /// column) of a read arriving at `at` could issue, without issuing
    /// anything (after the rank's next refresh when that comes first).
    pub fn first_read_command(&self, rank: u32, bg: u32, bank: u32, row: u32, at: u64) -> u64 {
        let s = self.plan_queued(rank, bg, bank, row, false, at);
        s.pre.or(s.act).unwrap_or(s.col)
    }

    /// The first cycle of the data of an access (a write when `write`)
    /// arriving at `at`, were it issued next (after the rank's next refresh
    /// when that comes first); nothing is issued.
    pub fn data_start(&self, rank: u32, bg: u32, bank: u32, row: u32, write: bool, at: u64) -> u64 {
        self.plan_queued(rank, bg, bank, row, write, at).data_start
    }

    /// The commands of an access, as [`Self::access`] would issue them next,
    /// for choosing among queued ones: when the rank's next refresh falls
    /// before the column command, the access waits until at least tRFC
    /// after the refresh is due, then opens its row in the closed bank.
    fn plan_queued(
        &self,
        rank: u32,
        bg: u32,
        bank: u32,
        row: u32,
        write: bool,
        at: u64,
    ) -> Service {
        let (r, g) = (rank as usize, bg as usize);
        let s = self.plan(self.bank_index(rank, bg, bank), r, g, row, write, at);
        let due = self.ranks[r].next_refresh;
        if s.col < due {
            return s;
        }
        let t = &self.t;
        let act = at.max(due + u64::from(t.rfc));
        let col = act + u64::from(t.rcd);
        let data_start = col + u64::from(if write { t.cwl } else { t.cl });
        Service {
            row: RowOutcome::Miss,
            pre: None,
            act: Some(act),
            col,
            data_start,
            data_end: data_start + u64::from(t.burst),
        }
    }

    fn plan(&self, bi: usize, r: usize, g: usize, row: u32, write: bool, at: u64) -> Service {
        let t = &self.t;
        let bank = &self.banks[bi];
        let outcome = if bank.open == row {
            RowOutcome::Hit
        } else if bank.open == NO_ROW {
            RowOutcome::Miss
        } else {
            RowOutcome::Conflict
        };
        let mut pre = None;
        let mut act = None;
        let mut col_min = at;
        if outcome != RowOutcome::Hit {
            let mut act_min = max(at, bank.ready_act);
            if outcome == RowOutcome::Conflict {
                let p = max(at, bank.ready_pre);
                pre = Some(p);
                act_min = max(act_min, p + u64::from(t.rp));
            }
            let a = self.earliest_act(r, g, act_min, write);
            act = Some(a);
            col_min = a + u64::from(t.rcd);
        }
        let cas = u64::from(if write { t.cwl } else { t.cl });
        let col = self.earliest_col(r, g, write, max(col_min, bank.ready_col));
        let data_start = col + cas;
        Service {
            row: outcome,
            pre,
            act,
            col,
            data_start,
            data_end: data_start + u64::from(t.burst),
        }
    }

    /// The earliest legal activate of rank `r`, bank group `g`, at or
    /// after `lb`: after everything committed when that allows (the usual
    /// case), otherwise, for a read, in the earliest gap between committed
    /// activates that keeps tRRD and tFAW. Writes (posted, then drained
    /// back to back) always go after.
    fn earliest_act(&self, r: usize, g: usize, lb: u64, write: bool) -> u64 {
        let t = &self.t;
        let rank = &self.ranks[r];
        let faw = u64::from(t.faw);
        let after_all = max(rank.ready_act, rank.ready_act_bg[g])
            .max(rank.acts.nth_latest(4).map_or(0, |a| a + faw));
        if lb >= after_all || !self.fill_gaps || write {
            return lb.max(after_all);
        }
        let (s, l) = (u64::from(t.rrd_s), u64::from(t.rrd_l));
        let mut a = lb;
        loop {
            a = rank.acts.earliest(a, l.max(s), |e| {
                let d = if e.bg == g as u32 { l } else { s };
                (d, d)
            });
            match faw_violation(rank.acts.near(a, faw), a, faw) {
                None => return a,
                Some(next) => a = next,
            }
        }
    }

    /// The earliest legal column command (a write when `write`) of rank
    /// `r`, bank group `g`, at or after `lb`, whose burst finds the data
    /// bus free: after everything committed when that allows, otherwise,
    /// for a read, in the earliest gap that keeps tCCD, the turnarounds and
    /// the bus.
    fn earliest_col(&self, r: usize, g: usize, write: bool, lb: u64) -> u64 {
        let t = &self.t;
        let rank = &self.ranks[r];
        let cas = u64::from(if write { t.cwl } else { t.cl });
        let (ready, ready_bg) = if write {
            (rank.ready_wr, rank.ready_wr_bg[g])
        } else {
            (rank.ready_rd, rank.ready_rd_bg[g])
        };
        let after_all = max(ready, ready_bg).max(self.bus_free.saturating_sub(cas));
        if lb >= after_all || !self.fill_gaps || write {
            return lb.max(after_all);
        }
        let burst = u64::from(t.burst);
        let mut c = lb;
        loop {
            c = rank
                .cols
                .earliest(c, column_reach(t), |e| column_gap(t, e, g as u32, write));
            let d = self.bursts.earliest(c + cas, burst, |_| (burst, burst));
            if d == c + cas {
                return c;
            }
            c = d - cas;
        }
    }

    fn commit(&mut self, bi: usize, r: usize, g: usize, row: u32, write: bool, s: &Service) {
        let u = u64::from;
        let t = &self.t;
        let bank = &mut self.banks[bi];
        let rank = &mut self.ranks[r];
        if let Some(p) = s.pre {
            bank.ready_act = max(bank.ready_act, p + u(t.rp));
        }
        if let Some(a) = s.act {
            bank.open = row;
            bank.ready_pre = max(bank.ready_pre, a + u(t.ras));
            bank.ready_col = max(bank.ready_col, a + u(t.rcd));
            rank.ready_act = max(rank.ready_act, a + u(t.rrd_s));
            rank.ready_act_bg[g] = max(rank.ready_act_bg[g], a + u(t.rrd_l));
            let past = Past {
                at: a,
                bg: g as u32,
                write: false,
            };
            rank.acts.push(past, u(t.faw).max(u(t.rrd_l)));
        }
        let c = s.col;
        if write {
            bank.ready_pre = max(bank.ready_pre, c + u(t.cwl) + u(t.burst) + u(t.wr));
            rank.ready_wr = max(rank.ready_wr, c + u(t.ccd_s));
            rank.ready_wr_bg[g] = max(rank.ready_wr_bg[g], c + u(t.ccd_l));
            let end = c + u(t.cwl) + u(t.burst);
            rank.ready_rd = max(rank.ready_rd, end + u(t.wtr_s));
            rank.ready_rd_bg[g] = max(rank.ready_rd_bg[g], end + u(t.wtr_l));
        } else {
            bank.ready_pre = max(bank.ready_pre, c + u(t.rtp));
            rank.ready_rd = max(rank.ready_rd, c + u(t.ccd_s));
            rank.ready_rd_bg[g] = max(rank.ready_rd_bg[g], c + u(t.ccd_l));
            let turn = (c + u(t.cl) + u(t.burst) + u(t.rtw)).saturating_sub(u(t.cwl));
            rank.ready_wr = max(rank.ready_wr, turn);
            for w in rank.ready_wr_bg.iter_mut() {
                *w = max(*w, turn);
            }
        }
        // Only a gap search reads these (tFAW reads the activates always).
        if self.fill_gaps {
            let past = Past {
                at: c,
                bg: g as u32,
                write,
            };
            rank.cols.push(past, column_reach(t));
            let burst = Past {
                at: s.data_start,
                ..past
            };
            self.bursts.push(burst, u(t.burst));
        }
        self.bus_free = self.bus_free.max(s.data_end);
        if self.closed_row {
            // Auto-precharge at the first legal cycle.
            let p = bank.ready_pre;
            bank.open = NO_ROW;
            bank.ready_act = max(bank.ready_act, p + u(t.rp));
        }
    }
}

/// The widest spacing between two column commands of a rank.
fn column_reach(t: &Timing) -> u64 {
    let u = u64::from;
    (u(t.cwl) + u(t.burst) + u(t.wtr_l))
        .max(u(t.cl) + u(t.burst) + u(t.rtw))
        .max(u(t.ccd_l))
}

/// The spacing a column command (a write when `write`, bank group `g`)
/// needs from the past one `e`, as `(before, after)` for
/// [`History::earliest`]: tCCD between two of a kind, and the write-to-read
/// and read-to-write turnarounds, as [`Channel::commit`] sets them.
fn column_gap(t: &Timing, e: &Past, g: u32, write: bool) -> (u64, u64) {
    let u = u64::from;
    let same = e.bg == g;
    let wtr = u(if same { t.wtr_l } else { t.wtr_s });
    let write_then_read = u(t.cwl) + u(t.burst) + wtr;
    let read_then_write = (u(t.cl) + u(t.burst) + u(t.rtw)).saturating_sub(u(t.cwl));
    match (e.write, write) {
        (false, false) | (true, true) => {
            let ccd = u(if same { t.ccd_l } else { t.ccd_s });
            (ccd, ccd)
        }
        (true, false) => (read_then_write, write_then_read),
        (false, true) => (write_then_read, read_then_write),
    }
}

/// Whether an activate at `a` would put five activates in a window of
/// `faw` cycles, given the committed ones `near` it (in order); if so, a
/// later cycle to try.
fn faw_violation(near: impl Iterator<Item = u64>, a: u64, faw: u64) -> Option<u64> {
    // Only the four activates either side of `a` can share a window with it.
    let mut times = [0u64; 9];
    let mut n = 0;
    let mut i = None;
    for x in near {
        if i.is_none() && x > a {
            i = Some(n);
            times[n] = a;
            n += 1;
        }
        if i.is_none() && n == 4 {
            times.copy_within(1..4, 0);
            n = 3;
        }
        if n == times.len() {
            break;
        }
        times[n] = x;
        n += 1;
    }
    let i = i.unwrap_or_else(|| {
        times[n] = a;
        n += 1;
        n - 1
    });
    for start in i.saturating_sub(4)..=i {
        if start + 4 >= n {
            break;
        }
        if times[start + 4] - times[start] < faw {
            let first_other = if start == i {
                times[start + 1]
            } else {
                times[start]
            };
            return Some((first_other + faw).max(a + 1));
        }
    }
    None
}
