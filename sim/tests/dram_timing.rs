//! DRAM timing, Ramulator style: each constraint checked at its exact cycle
//! on the DDR4-3200 table (CL 22, tRCD 22, tRP 22, tRAS 52, tCWL 16, tWR 24,
//! tRTP 12, tCCD_S 4, tCCD_L 8, tRRD_S 4, tRRD_L 8, tFAW 34, tWTR_S 4,
//! tWTR_L 12, tRFC 560, tREFI 12480, tBURST 4). Times are DRAM cycles.

use memento_sim::config::{RefreshPolicy, RowPolicy};
use memento_sim::dram::{Dram, DramStandard, Location, RowOutcome};
use memento_sim::{Cause, Config};

fn dram_with(edit: impl FnOnce(&mut Config)) -> Dram {
    let mut c = Config::preset("small").unwrap();
    edit(&mut c);
    let s = c.dram.load_standard(None).unwrap();
    Dram::new(&c.dram, &s, c.line_size, c.frequency_mhz)
}

fn dram() -> Dram {
    dram_with(|_| {})
}

fn at(d: &Dram, bank_group: u32, bank: u32, row: u32, column: u32) -> u64 {
    d.mapping().address(Location {
        channel: 0,
        rank: 0,
        bank_group,
        bank,
        row,
        column,
    })
}

fn t() -> memento_sim::dram::Timing {
    DramStandard::built_in("ddr4-3200").unwrap().timing
}

#[test]
fn row_miss_costs_trcd_plus_tcl() {
    let mut d = dram();
    let a = at(&d, 0, 0, 5, 0);
    let s = d.read_dram(a, Cause::Demand, 100);
    assert_eq!(s.row, RowOutcome::Miss);
    assert_eq!(s.act, Some(100));
    assert_eq!(s.data_start - 100, u64::from(t().rcd + t().cl));
    assert_eq!(s.data_end - s.data_start, u64::from(t().burst));
}

#[test]
fn row_hit_costs_exactly_tcl() {
    let mut d = dram();
    d.read_dram(at(&d, 0, 0, 5, 0), Cause::Demand, 100);
    let s = d.read_dram(at(&d, 0, 0, 5, 3), Cause::Demand, 1000);
    assert_eq!(s.row, RowOutcome::Hit);
    assert_eq!((s.pre, s.act), (None, None));
    assert_eq!(s.data_start - 1000, u64::from(t().cl));
}

#[test]
fn row_conflict_costs_trp_plus_trcd_plus_tcl() {
    let mut d = dram();
    d.read_dram(at(&d, 0, 0, 5, 0), Cause::Demand, 100);
    let s = d.read_dram(at(&d, 0, 0, 6, 0), Cause::Demand, 1000);
    assert_eq!(s.row, RowOutcome::Conflict);
    assert_eq!(s.pre, Some(1000));
    assert_eq!(s.act, Some(1000 + u64::from(t().rp)));
    assert_eq!(s.data_start - 1000, u64::from(t().rp + t().rcd + t().cl));
    let c = d.counters();
    assert_eq!((c.row_misses, c.row_conflicts, c.row_hits), (1, 1, 0));
}

#[test]
fn closed_row_policy_makes_every_access_a_row_miss() {
    let mut d = dram_with(|c| c.dram.row_policy = RowPolicy::Closed);
    d.read_dram(at(&d, 0, 0, 5, 0), Cause::Demand, 100);
    let s = d.read_dram(at(&d, 0, 0, 5, 1), Cause::Demand, 1000);
    assert_eq!(s.row, RowOutcome::Miss);
    assert_eq!(s.data_start - 1000, u64::from(t().rcd + t().cl));
}

#[test]
fn refresh_blocks_a_bank_for_trfc() {
    let mut d = dram();
    d.read_dram(at(&d, 0, 0, 5, 0), Cause::Demand, 100);
    let refi = u64::from(t().refi);
    let s = d.read_dram(at(&d, 0, 0, 5, 1), Cause::Demand, refi);
    // The refresh closed the row and held the bank for tRFC.
    assert_eq!(s.row, RowOutcome::Miss);
    assert_eq!(s.act, Some(refi + u64::from(t().rfc)));
    assert_eq!(d.refreshes(), 1);
}

#[test]
fn activates_to_different_bank_groups_are_trrd_s_apart() {
    let mut d = dram();
    let a = d.read_dram(at(&d, 0, 0, 1, 0), Cause::Demand, 100);
    let b = d.read_dram(at(&d, 1, 0, 1, 0), Cause::Demand, 100);
    assert_eq!(b.act.unwrap() - a.act.unwrap(), u64::from(t().rrd_s));
}

#[test]
fn activates_in_one_bank_group_are_trrd_l_apart() {
    let mut d = dram();
    let a = d.read_dram(at(&d, 0, 0, 1, 0), Cause::Demand, 100);
    let b = d.read_dram(at(&d, 0, 1, 1, 0), Cause::Demand, 100);
    assert_eq!(b.act.unwrap() - a.act.unwrap(), u64::from(t().rrd_l));
}

#[test]
fn a_fifth_activate_waits_for_tfaw() {
    let mut d = dram();
    let banks = [(0, 0), (1, 0), (2, 0), (3, 0), (0, 1)];
    let acts: Vec<u64> = banks
        .iter()
        .map(|&(g, b)| {
            d.read_dram(at(&d, g, b, 1, 0), Cause::Demand, 100)
                .act
                .unwrap()
        })
        .collect();
    assert_eq!(&acts[..4], &[100, 104, 108, 112]);
    assert_eq!(acts[4], 100 + u64::from(t().faw));
}

#[test]
fn reads_to_one_bank_group_are_tccd_l_apart_and_another_groups_read_takes_the_gap() {
    let mut d = dram();
    for (g, b) in [(0, 0), (0, 1), (1, 0)] {
        d.read_dram(at(&d, g, b, 1, 0), Cause::Demand, 100);
    }
    let a = d.read_dram(at(&d, 0, 0, 1, 1), Cause::Demand, 5000);
    let same_group = d.read_dram(at(&d, 0, 1, 1, 1), Cause::Demand, 5000);
    assert_eq!(same_group.col - a.col, u64::from(t().ccd_l));
    // tCCD_S (4) from both, its burst between theirs on the bus.
    let other_group = d.read_dram(at(&d, 1, 0, 1, 1), Cause::Demand, 5000);
    assert_eq!(other_group.col - a.col, u64::from(t().ccd_s));
    assert_eq!(same_group.col - other_group.col, u64::from(t().ccd_s));
}

#[test]
fn precharge_waits_for_tras_after_activate() {
    let mut d = dram();
    let a = d.read_dram(at(&d, 0, 0, 1, 0), Cause::Demand, 100);
    let b = d.read_dram(at(&d, 0, 0, 2, 0), Cause::Demand, 101);
    assert_eq!(b.pre.unwrap(), a.act.unwrap() + u64::from(t().ras));
}

#[test]
fn precharge_waits_for_trtp_after_a_read() {
    let mut d = dram();
    d.read_dram(at(&d, 0, 0, 1, 0), Cause::Demand, 100);
    let hit = d.read_dram(at(&d, 0, 0, 1, 1), Cause::Demand, 200);
    let b = d.read_dram(at(&d, 0, 0, 2, 0), Cause::Demand, 201);
    assert_eq!(b.pre.unwrap(), hit.col + u64::from(t().rtp));
}

#[test]
fn precharge_waits_for_twr_after_a_write() {
    let mut d = dram();
    d.read_dram(at(&d, 0, 0, 1, 0), Cause::Demand, 100);
    d.write_dram(at(&d, 0, 0, 1, 1), Cause::Writeback, 200);
    d.flush(200); // the write's column command issues at 200
    let b = d.read_dram(at(&d, 0, 0, 2, 0), Cause::Demand, 201);
    let tt = t();
    assert_eq!(b.pre.unwrap(), 200 + u64::from(tt.cwl + tt.burst + tt.wr));
}

#[test]
fn a_read_after_a_write_waits_for_twtr() {
    let tt = t();
    let end_of_write = 200 + u64::from(tt.cwl + tt.burst);
    for (group, wtr) in [(0, tt.wtr_l), (1, tt.wtr_s)] {
        let mut d = dram();
        d.read_dram(at(&d, 0, 0, 1, 0), Cause::Demand, 100);
        d.read_dram(at(&d, group, 1, 1, 0), Cause::Demand, 100);
        d.write_dram(at(&d, 0, 0, 1, 1), Cause::Writeback, 200);
        d.flush(200);
        let r = d.read_dram(at(&d, group, 1, 1, 1), Cause::Demand, 201);
        assert_eq!(r.col, end_of_write + u64::from(wtr), "bank group {group}");
    }
}

#[test]
fn writes_drain_between_the_watermarks() {
    // small: write queue 16, drain at 12 down to 4.
    let mut d = dram();
    for i in 0..11 {
        d.write_dram(at(&d, 0, 0, 10 + i, 0), Cause::Writeback, 100);
    }
    assert_eq!(d.queued_writes(), 11);
    let c = d.counters();
    assert_eq!(
        c.row_hits + c.row_misses + c.row_conflicts,
        0,
        "nothing issued below the high watermark"
    );
    d.write_dram(at(&d, 0, 0, 30, 0), Cause::Writeback, 100);
    assert_eq!(d.queued_writes(), 4);
    let c = d.counters();
    assert_eq!(c.write_drains, 1);
    assert_eq!(c.row_hits + c.row_misses + c.row_conflicts, 8);
    assert_eq!(c.writes.writeback, 12);
}

#[test]
fn write_drain_serves_row_hits_first() {
    let mut d = dram();
    d.read_dram(at(&d, 0, 0, 1, 0), Cause::Demand, 100);
    d.write_dram(at(&d, 0, 0, 2, 0), Cause::Writeback, 200); // conflict, older
    d.write_dram(at(&d, 0, 0, 1, 1), Cause::Writeback, 200); // row hit
    d.flush(200);
    assert_eq!(d.counters().reordered_writes, 1);
    // The conflicting write went last, so its row is the open one.
    let r = d.read_dram(at(&d, 0, 0, 2, 5), Cause::Demand, 5000);
    assert_eq!(r.row, RowOutcome::Hit);
}

#[test]
fn starvation_cap_bounds_how_often_a_write_is_passed_over() {
    let open_row_after = |cap: u32| {
        let mut d = dram_with(|c| c.dram.starvation_cap = cap);
        d.read_dram(at(&d, 0, 0, 1, 0), Cause::Demand, 100);
        d.write_dram(at(&d, 0, 0, 2, 0), Cause::Writeback, 200); // conflict, oldest
        d.write_dram(at(&d, 0, 0, 1, 1), Cause::Writeback, 200); // hit
        d.write_dram(at(&d, 0, 0, 1, 2), Cause::Writeback, 200); // hit
        d.flush(200);
        d.read_dram(at(&d, 0, 0, 1, 7), Cause::Demand, 5000).row
    };
    // Passed over once, the old write goes next; the last hit then reopens row 1.
    assert_eq!(open_row_after(1), RowOutcome::Hit);
    // With a loose cap both hits go first and row 2 stays open.
    assert_eq!(open_row_after(16), RowOutcome::Conflict);
}

#[test]
fn a_read_of_a_queued_write_is_forwarded() {
    let mut d = dram();
    let a = at(&d, 0, 0, 1, 0);
    d.write_dram(a, Cause::Writeback, 100);
    let s = d.read_dram(a, Cause::Demand, 101);
    assert_eq!(s.data_end, 102);
    assert_eq!(d.counters().forwarded_reads, 1);
}

#[test]
fn full_read_queue_delays_new_reads() {
    let mut d = dram_with(|c| c.dram.read_queue = 1);
    let a = d.read_dram(at(&d, 0, 0, 1, 0), Cause::Demand, 100);
    let b = d.read_dram(at(&d, 1, 0, 1, 0), Cause::Demand, 100);
    // The second read enters the queue only when the first issues its column.
    assert_eq!(b.act, Some(a.col));
}

#[test]
fn ddr5_row_miss_costs_its_own_trcd_plus_tcl() {
    let mut d = dram_with(|c| c.dram.standard = Some("ddr5-4800".into()));
    let s = d.read_dram(at(&d, 0, 0, 5, 0), Cause::Demand, 100);
    assert_eq!(s.data_start - 100, 39 + 40);
    assert_eq!(s.data_end - s.data_start, 8);
}

#[test]
fn clock_conversion_rounds_up_both_ways() {
    let d = dram(); // 3000 MHz cores, 1600 MHz DRAM clock
    assert_eq!(d.to_dram_cycle(3), 2);
    assert_eq!(d.to_core_cycle(8), 15);
    assert_eq!(d.to_core_cycle(1), 2);
    assert_eq!(d.to_dram_cycle(0), 0);
}

#[test]
fn reads_and_writes_are_counted_by_cause() {
    let mut d = dram();
    d.read_dram(at(&d, 0, 0, 1, 0), Cause::PageWalk, 100);
    d.read_dram(at(&d, 0, 0, 1, 1), Cause::Prefetch, 200);
    d.write_dram(at(&d, 0, 0, 1, 2), Cause::PageZeroing, 300);
    let c = d.counters();
    assert_eq!(
        (c.reads.page_walk, c.reads.prefetch, c.reads.demand),
        (1, 1, 0)
    );
    assert_eq!(c.writes.page_zeroing, 1);
    assert_eq!(c.writes.transfers(), 1);
}

#[test]
fn every_rank_refreshes_once_per_trefi_even_when_idle() {
    let mut d = dram_with(|c| c.dram.ranks = 2);
    d.read_dram(at(&d, 0, 0, 1, 0), Cause::Demand, 100);
    d.flush(5 * u64::from(t().refi) + 10);
    assert_eq!(d.refreshes(), 2 * 5);
}

#[test]
fn a_write_after_a_read_waits_for_the_bus_turnaround_and_takes_tcwl() {
    let tt = t();
    let mut d = dram();
    d.read_dram(at(&d, 0, 0, 1, 0), Cause::Demand, 100);
    let r = d.read_dram(at(&d, 0, 0, 1, 1), Cause::Demand, 200);
    assert_eq!(r.col, 200);
    d.write_dram(at(&d, 0, 0, 1, 2), Cause::Writeback, 200);
    let end = d.flush(200);
    // Write command at read + CL + burst + turnaround - CWL, data CWL later.
    let write_col = 200 + u64::from(tt.cl + tt.burst + tt.rtw - tt.cwl);
    assert_eq!(end, write_col + u64::from(tt.cwl + tt.burst));
}

#[test]
fn a_long_idle_rank_catches_up_on_refresh_at_once() {
    let mut d = dram();
    let refi = u64::from(t().refi);
    d.read_dram(at(&d, 0, 0, 1, 0), Cause::Demand, 100);
    // Ten billion DRAM cycles later: every refresh counted, the bank free.
    let later = 10_000_000_000u64;
    let s = d.read_dram(at(&d, 0, 0, 1, 1), Cause::Demand, later);
    assert_eq!(d.refreshes(), later / refi);
    assert_eq!(s.row, RowOutcome::Miss);
    let last_refresh = later / refi * refi;
    let free = last_refresh + u64::from(t().rfc);
    assert_eq!(s.act, Some(later.max(free)));
}

#[test]
fn a_younger_row_hit_read_is_served_before_an_older_row_miss_read_to_the_same_bank() {
    let mut d = dram();
    d.read_dram(at(&d, 0, 0, 1, 0), Cause::Demand, 100); // opens row 1; precharge not before 152
    let older = d.queue_read_dram(at(&d, 0, 0, 2, 0), Cause::Demand, 110);
    let younger = d.queue_read_dram(at(&d, 0, 0, 1, 1), Cause::Demand, 120);
    let a = d.finish_read_dram(older);
    let b = d.finish_read_dram(younger);
    assert_eq!(b.row, RowOutcome::Hit);
    assert_eq!(a.row, RowOutcome::Conflict);
    assert!(b.col < a.pre.unwrap(), "{b:?} then {a:?}");
    assert_eq!(d.counters().reordered_reads, 1);
}

#[test]
fn a_row_hit_read_arriving_after_the_older_read_could_start_does_not_pass_it() {
    let mut d = dram();
    d.read_dram(at(&d, 0, 0, 1, 0), Cause::Demand, 100);
    let older = d.queue_read_dram(at(&d, 0, 0, 2, 0), Cause::Demand, 200); // precharge at 200
    let younger = d.queue_read_dram(at(&d, 0, 0, 1, 1), Cause::Demand, 201);
    let a = d.finish_read_dram(older);
    let b = d.finish_read_dram(younger);
    assert_eq!(a.pre, Some(200));
    assert_eq!(b.row, RowOutcome::Conflict);
    assert_eq!(d.counters().reordered_reads, 0);
}

#[test]
fn a_read_passed_over_read_starvation_cap_times_is_served_next() {
    // The older read to row 2, then three row hits to row 1 behind it.
    let order = |cap: u32| {
        let mut d = dram_with(|c| c.dram.read_starvation_cap = cap);
        d.read_dram(at(&d, 0, 0, 1, 0), Cause::Demand, 100);
        let older = d.queue_read_dram(at(&d, 0, 0, 2, 0), Cause::Demand, 110);
        let hits: Vec<_> = (1..=3)
            .map(|i| d.queue_read_dram(at(&d, 0, 0, 1, i), Cause::Demand, 110 + u64::from(i)))
            .collect();
        let a = d.finish_read_dram(older).col;
        let h: Vec<u64> = hits
            .into_iter()
            .map(|t| d.finish_read_dram(t).col)
            .collect();
        (a, h)
    };
    let (a, h) = order(2);
    assert!(
        h[0] < h[1] && h[1] < a && a < h[2],
        "cap 2: {a} among {h:?}"
    );
    let (a, h) = order(16);
    assert!(h[2] < a, "cap 16: {a} among {h:?}");
}

#[test]
fn fr_fcfs_read_schedules_repeat_exactly_across_runs_and_threads() {
    // Bursts of reads over a few banks and rows, completed newest first.
    let run = || {
        let mut d = dram();
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut out = Vec::new();
        for burst in 0..200u64 {
            let tickets: Vec<_> = (0..8)
                .map(|i| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let a = at(
                        &d,
                        (x % 2) as u32,
                        (x >> 8) as u32 % 2,
                        (x >> 16) as u32 % 3,
                        i,
                    );
                    d.queue_read_dram(a, Cause::Demand, burst * 300 + (x >> 32) % 40)
                })
                .collect();
            for t in tickets.into_iter().rev() {
                out.push(d.finish_read_dram(t));
            }
        }
        (out, d.counters().reordered_reads)
    };
    let first = run();
    assert!(first.1 > 0, "the pattern must make the scheduler reorder");
    assert_eq!(run(), first);
    let threads: Vec<_> = (0..2).map(|_| std::thread::spawn(run)).collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), first);
    }
}

#[test]
fn a_read_to_another_bank_group_passes_an_older_row_hit_waiting_for_tccd_l() {
    let tt = t();
    let mut d = dram();
    d.read_dram(at(&d, 0, 0, 1, 0), Cause::Demand, 100);
    d.read_dram(at(&d, 1, 0, 1, 0), Cause::Demand, 100);
    let first = d.read_dram(at(&d, 0, 0, 1, 2), Cause::Demand, 300);
    assert_eq!(first.col, 300);
    // Both row hits; the older one waits tCCD_L behind `first`, the
    // younger, in another bank group, only tCCD_S.
    let older = d.queue_read_dram(at(&d, 0, 0, 1, 3), Cause::Demand, 300);
    let younger = d.queue_read_dram(at(&d, 1, 0, 1, 3), Cause::Demand, 300);
    let a = d.finish_read_dram(older);
    let b = d.finish_read_dram(younger);
    assert_eq!(b.col, 300 + u64::from(tt.ccd_s));
    assert_eq!(a.col, 300 + u64::from(tt.ccd_l));
    assert_eq!(d.counters().reordered_reads, 1);
}

#[test]
fn a_read_waiting_for_its_ranks_refresh_is_passed_by_a_read_of_another_rank() {
    let mut d = dram_with(|c| {
        c.dram.ranks = 2;
        c.dram.refresh = RefreshPolicy::Staggered;
    });
    let rank = |d: &Dram, rank: u32| {
        d.mapping().address(Location {
            channel: 0,
            rank,
            bank_group: 0,
            bank: 0,
            row: 1,
            column: 0,
        })
    };
    let due = u64::from(t().refi) / 2; // rank 0's first refresh
    let older = d.queue_read_dram(rank(&d, 0), Cause::Demand, due - 5);
    let younger = d.queue_read_dram(rank(&d, 1), Cause::Demand, due - 4);
    let a = d.finish_read_dram(older);
    let b = d.finish_read_dram(younger);
    assert_eq!(a.act, Some(due + u64::from(t().rfc)));
    assert_eq!(b.act, Some(due - 4));
    assert_eq!(d.counters().reordered_reads, 1);
}

#[test]
fn staggered_refresh_takes_the_ranks_in_turn_every_trefi_over_ranks() {
    let refi = u64::from(t().refi);
    let refreshes_by = |policy: RefreshPolicy, cycle: u64| {
        let mut d = dram_with(|c| {
            c.dram.ranks = 2;
            c.dram.refresh = policy;
        });
        d.flush(cycle);
        d.refreshes()
    };
    assert_eq!(refreshes_by(RefreshPolicy::Staggered, refi / 2 - 1), 0);
    assert_eq!(refreshes_by(RefreshPolicy::Staggered, refi / 2), 1);
    assert_eq!(refreshes_by(RefreshPolicy::Staggered, refi), 2);
    assert_eq!(refreshes_by(RefreshPolicy::AllRanks, refi / 2), 0);
    assert_eq!(refreshes_by(RefreshPolicy::AllRanks, refi), 2);
    // Either way, each rank once per tREFI.
    assert_eq!(refreshes_by(RefreshPolicy::Staggered, 10 * refi), 20);
}

#[test]
fn a_drain_serves_a_write_to_an_idle_bank_before_an_older_one_to_a_busy_bank() {
    let mut d = dram();
    d.read_dram(at(&d, 0, 0, 1, 0), Cause::Demand, 100); // row 1 open until tRAS
    d.write_dram(at(&d, 0, 0, 2, 0), Cause::Writeback, 110); // conflict, older
    d.write_dram(at(&d, 1, 0, 1, 0), Cause::Writeback, 110); // idle bank
    d.flush(110);
    assert_eq!(d.counters().reordered_writes, 1);
}

#[test]
fn a_read_served_after_a_later_one_takes_the_idle_gap_before_it() {
    // The machine settles reads in batches: one arriving at 100 can be
    // served after one arriving at 1000. To an idle bank it is not delayed
    // by the later read's commands or burst.
    let mut d = dram();
    let later = d.read_dram(at(&d, 0, 0, 1, 0), Cause::Demand, 1000);
    let earlier = d.read_dram(at(&d, 1, 0, 1, 0), Cause::Demand, 100);
    assert_eq!(later.act, Some(1000));
    assert_eq!(earlier.act, Some(100));
    assert_eq!(earlier.data_end - 100, 48);
    // The bank the later read used stays ordered: a read of it arriving
    // earlier still waits for that read's row.
    let same_bank = d.read_dram(at(&d, 0, 0, 1, 1), Cause::Demand, 200);
    assert!(same_bank.col > later.col);
}
