//! Whatever order reads reach the controller in (the machine settles them in
//! batches, so a read can come after one that arrived later), the commands
//! the channel issues keep every DDR4 timing rule: checked pairwise over the
//! whole command log of random read streams served out of arrival order.

use memento_sim::dram::{Dram, DramStandard, Location, RowOutcome, Service, Timing};
use memento_sim::{Cause, Config};

struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) % n
    }
}

/// DDR4-3200 without refresh (its commands are not in the log).
fn dram() -> (Dram, Timing) {
    let c = Config::preset("small").unwrap();
    let mut s = DramStandard::built_in("ddr4-3200").unwrap();
    s.timing.refi = u32::MAX / 2;
    (
        Dram::new(&c.dram, &s, c.line_size, c.frequency_mhz),
        s.timing,
    )
}

/// Serves `n` reads whose arrivals come in batches of up to `batch`, each
/// batch served after the next one's first reads (as settled batches are),
/// and returns each read's location, arrival and commands.
fn serve(seed: u64, n: usize) -> (Vec<(Location, u64, Service)>, Timing) {
    let (mut d, t) = dram();
    let mut rng = SplitMix(seed);
    let mut log = Vec::new();
    let mut clock = 1000;
    for _ in 0..n {
        // Mostly forward in time, sometimes back by up to 600 cycles.
        clock += rng.next(40);
        let at = if rng.next(4) == 0 {
            clock.saturating_sub(rng.next(600))
        } else {
            clock
        };
        let loc = Location {
            channel: 0,
            rank: 0,
            bank_group: rng.next(4) as u32,
            bank: rng.next(4) as u32,
            row: rng.next(3) as u32,
            column: rng.next(16) as u32,
        };
        let s = d.read_dram(d.mapping().address(loc), Cause::Demand, at);
        log.push((loc, at, s));
    }
    (log, t)
}

fn check(log: &[(Location, u64, Service)], t: &Timing) {
    let u = u64::from;
    let mut acts = Vec::new();
    for (i, (l, at, s)) in log.iter().enumerate() {
        assert!(
            s.pre.or(s.act).unwrap_or(s.col) >= *at,
            "read {i} issued before it came"
        );
        assert_eq!(s.data_start, s.col + u(t.cl), "read {i}");
        if let Some(a) = s.act {
            acts.push((a, l.bank_group));
        }
        for (j, (m, _, r)) in log.iter().enumerate().take(i) {
            let same_bg = l.bank_group == m.bank_group;
            let ccd = u(if same_bg { t.ccd_l } else { t.ccd_s });
            assert!(s.col.abs_diff(r.col) >= ccd, "tCCD: reads {j} and {i}");
            assert!(
                s.data_end <= r.data_start || r.data_end <= s.data_start,
                "bus: reads {j} and {i}"
            );
            if let (Some(a), Some(b)) = (s.act, r.act) {
                let rrd = u(if same_bg { t.rrd_l } else { t.rrd_s });
                assert!(a.abs_diff(b) >= rrd, "tRRD: reads {j} and {i}");
            }
        }
    }
    acts.sort_unstable();
    for w in acts.windows(5) {
        assert!(w[4].0 - w[0].0 >= u(t.faw), "tFAW: activates at {w:?}");
    }
    // Each bank's commands, in time order, follow its state machine.
    for bg in 0..4 {
        for bank in 0..4 {
            let mut open: Option<u32> = None;
            let (mut last_act, mut last_col, mut last_pre) =
                (None::<u64>, None::<u64>, None::<u64>);
            let mut mine: Vec<_> = log
                .iter()
                .filter(|(l, _, _)| (l.bank_group, l.bank) == (bg, bank))
                .collect();
            mine.sort_by_key(|(_, _, s)| s.col);
            for (l, _, s) in mine {
                if let Some(p) = s.pre {
                    assert!(
                        open.is_some() && open != Some(l.row),
                        "precharge of a wrong row"
                    );
                    assert!(p >= last_act.unwrap() + u(t.ras), "tRAS");
                    assert!(p >= last_col.unwrap() + u(t.rtp), "tRTP");
                    last_pre = Some(p);
                    open = None;
                }
                if let Some(a) = s.act {
                    assert!(open.is_none(), "activate of an open bank");
                    if let Some(p) = last_pre {
                        assert!(a >= p + u(t.rp), "tRP");
                    }
                    assert!(
                        last_col.is_none_or(|c| a > c),
                        "activate before an earlier read"
                    );
                    open = Some(l.row);
                    last_act = Some(a);
                }
                assert_eq!(open, Some(l.row), "read of a row not open");
                assert!(s.col >= last_act.unwrap() + u(t.rcd), "tRCD");
                let expected = match (s.pre, s.act) {
                    (Some(_), Some(_)) => RowOutcome::Conflict,
                    (None, Some(_)) => RowOutcome::Miss,
                    _ => RowOutcome::Hit,
                };
                assert_eq!(s.row, expected);
                last_col = Some(s.col);
            }
        }
    }
}

#[test]
fn reads_served_out_of_arrival_order_keep_every_timing_rule() {
    for seed in 0..20 {
        let (log, t) = serve(seed, 400);
        check(&log, &t);
    }
}

#[test]
fn some_reads_served_late_do_fill_earlier_gaps() {
    // Not vacuous: reads served after a later one do issue before it.
    let (log, _) = serve(7, 400);
    let filled = log
        .iter()
        .enumerate()
        .filter(|(i, (_, _, s))| log[..*i].iter().any(|(_, _, r)| r.col > s.col))
        .count();
    assert!(filled > 20, "{filled} reads took an earlier gap");
}
