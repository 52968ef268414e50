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
    faw: [Option<u64>; 4],
    faw_next: usize,
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
    bus_free: u64,
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
            faw: [None; 4],
            faw_next: 0,
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
            refreshes: 0,
        }
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
        let rank = &self.ranks[r];
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
            let mut a = max(act_min, max(rank.ready_act, rank.ready_act_bg[g]));
            if let Some(oldest) = rank.faw[rank.faw_next] {
                a = max(a, oldest + u64::from(t.faw));
            }
            act = Some(a);
            col_min = a + u64::from(t.rcd);
        }
        let (cas, ready, ready_bg) = if write {
            (t.cwl, rank.ready_wr, rank.ready_wr_bg[g])
        } else {
            (t.cl, rank.ready_rd, rank.ready_rd_bg[g])
        };
        let cas = u64::from(cas);
        let mut col = max(col_min, max(bank.ready_col, max(ready, ready_bg)));
        col = max(col, self.bus_free.saturating_sub(cas));
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
            rank.faw[rank.faw_next] = Some(a);
            rank.faw_next = (rank.faw_next + 1) % 4;
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
        self.bus_free = s.data_end;
        if self.closed_row {
            // Auto-precharge at the first legal cycle.
            let p = bank.ready_pre;
            bank.open = NO_ROW;
            bank.ready_act = max(bank.ready_act, p + u(t.rp));
        }
    }
}
