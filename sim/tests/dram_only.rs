//! The DRAM model alone (`memento dram`): requests fed at their arrival
//! cycles on the `dramsim3-ddr4` preset (DDR4-3200, CL 22, tRCD 22, tRP 22,
//! BL8: 4 cycles of data), latencies from arrival to the last data beat, in
//! DRAM cycles.

use std::path::Path;

use memento_sim::dram::{Dram, Location};
use memento_sim::dram_only::{run_dram, Schedule};
use memento_sim::{Config, DramRunStats};
use memento_trace::dram_trace::{DramRequest, DramTraceReader};

fn config() -> Config {
    Config::preset("dramsim3-ddr4").unwrap()
}

/// The byte address of a line of rank 0, bank group `bg`, bank 0.
fn line(bg: u32, row: u32, column: u32) -> u64 {
    let c = config();
    let s = c.dram_standard().unwrap();
    Dram::new(&c.dram, &s, c.line_size, 3000)
        .mapping()
        .address(Location {
            channel: 0,
            rank: 0,
            bank_group: bg,
            bank: 0,
            row,
            column,
        })
}

fn run(text: &str, schedule: Schedule) -> DramRunStats {
    let reader = DramTraceReader::new(text.as_bytes(), Path::new("t.trace"), None);
    run_dram(&config(), schedule, reader).unwrap()
}

fn read(addr: u64, cycle: u64) -> String {
    format!("{addr:#x} READ {cycle}\n")
}

#[test]
fn a_row_miss_a_row_hit_and_a_row_conflict_take_their_exact_cycles() {
    // Miss: ACT, tRCD, CL, burst = 22 + 22 + 4; hit: CL + burst = 26;
    // conflict: PRE, tRP, then a miss = 22 + 48 = 70. The hit and the
    // conflict follow a miss that opens row 1: their latency is what the
    // mean adds to the miss's 48.
    let miss = read(line(0, 1, 0), 0);
    for (text, latency, (hits, misses, conflicts)) in [
        (read(line(0, 1, 0), 100), 48.0, (0, 1, 0)),
        (miss.clone() + &read(line(0, 1, 1), 1000), 26.0, (1, 1, 0)),
        (miss.clone() + &read(line(0, 2, 0), 1000), 70.0, (0, 1, 1)),
    ] {
        let s = run(&text, Schedule::FrFcfs);
        let d = &s.dram;
        let reads = hits + misses + conflicts;
        assert_eq!(
            (d.row_hits, d.row_misses, d.row_conflicts),
            (hits, misses, conflicts)
        );
        let last = s.avg_read_latency_cycles * reads as f64 - 48.0 * (reads - 1) as f64;
        assert_eq!(last, latency, "{text}");
        assert_eq!(s.avg_read_queue_wait_cycles, 0.0);
    }
    let s = run(
        &(read(line(0, 1, 0), 0) + &read(line(0, 1, 1), 1000) + &read(line(0, 2, 0), 2000)),
        Schedule::FrFcfs,
    );
    assert_eq!(s.avg_read_latency_cycles, (48.0 + 26.0 + 70.0) / 3.0);
    assert_eq!(
        (s.p50_read_latency_cycles, s.p99_read_latency_cycles),
        (48, 70)
    );
    // ns at the preset's 1587 MHz clock (tCK 0.63 ns).
    assert!((s.dram.p99_read_latency_ns - 70.0 * 1000.0 / 1587.0).abs() < 1e-9);
}

#[test]
fn ramulator_requests_arrive_one_cycle_apart() {
    // The hit arrives at cycle 1 and follows the miss by tCCD_L (8 cycles).
    let text = format!("{:#x} R\n{:#x} R\n", line(0, 1, 0), line(0, 1, 1));
    let s = run(&text, Schedule::FrFcfs);
    assert_eq!(s.requests, 2);
    assert_eq!(
        s.avg_read_latency_cycles,
        (48.0 + (22.0 + 8.0 + 26.0 - 1.0)) / 2.0
    );
}

#[test]
fn an_empty_trace_reports_nothing_done() {
    let s = run("\n\n", Schedule::FrFcfs);
    assert_eq!((s.requests, s.cycles, s.dram.bytes), (0, 0, 0));
    assert_eq!(s.avg_read_latency_cycles, 0.0);
    assert_eq!(s.dram.bandwidth_gb_s, 0.0);
}

#[test]
fn reads_of_another_bank_group_fill_the_gaps_tccd_l_leaves_in_either_order() {
    // One read a cycle over the lines of two bank groups, interleaved 8 by
    // 8: tCCD_L (8) spaces the reads of one group, and the other group's
    // take the gaps at tCCD_S (4), one burst every 4 cycles, whether the
    // controller picks them (FR-FCFS) or serves them as they come, each
    // at its earliest legal cycles.
    let mut two = String::new();
    let mut one = String::new();
    for i in 0..512u32 {
        let (bg, column) = (i / 8 % 2, i / 16 * 8 + i % 8);
        two += &read(line(bg, 1, column % 128), u64::from(i));
        one += &read(line(0, 1 + i / 128, i % 128), u64::from(i));
    }
    for schedule in [Schedule::FrFcfs, Schedule::InOrder] {
        let s = run(&two, schedule);
        assert!(
            s.cycles <= 512 * 4 + 100,
            "{schedule:?}: {} cycles",
            s.cycles
        );
    }
    let s = run(&one, Schedule::InOrder);
    assert!(s.cycles >= 512 * 8, "one bank group: {} cycles", s.cycles);
}

#[test]
fn fr_fcfs_serves_a_row_hit_before_an_older_conflict_where_in_order_cannot() {
    // A opens row 1; B (row 2, same bank) arrives before C (row 1 again).
    let text = read(line(0, 1, 0), 0) + &read(line(0, 2, 0), 1) + &read(line(0, 1, 1), 2);
    // In order: B precharges at tRAS (52), activates at 74, reads at 96
    // (data 118-122); C precharges again at B's activate + tRAS (126),
    // activates at 148, reads at 170: its data ends at 196.
    let in_order = run(&text, Schedule::InOrder);
    assert_eq!(in_order.cycles, 196);
    assert_eq!(in_order.dram.reordered_reads, 0);
    // FR-FCFS: C hits the open row at A's column + tCCD_L (30, data
    // 52-56), then B as before, ending at 122.
    let fr_fcfs = run(&text, Schedule::FrFcfs);
    assert_eq!(fr_fcfs.cycles, 122);
    assert_eq!(fr_fcfs.dram.reordered_reads, 1);
    assert_eq!(fr_fcfs.dram.row_hits, 1);
}

#[test]
fn a_write_passes_no_queued_read_of_its_line() {
    // The read arrived first: it must get the old data from DRAM, not the
    // queued write's.
    let a = line(0, 1, 0);
    let text = read(line(0, 2, 0), 0) + &read(a, 1) + &format!("{a:#x} WRITE 2\n");
    let s = run(&text, Schedule::FrFcfs);
    assert_eq!(s.dram.forwarded_reads, 0);
    let later = text + &read(a, 3);
    assert_eq!(run(&later, Schedule::FrFcfs).dram.forwarded_reads, 1);
}

#[test]
fn requests_parsed_and_fed_are_counted_once_each() {
    let requests = [
        DramRequest {
            addr: line(0, 1, 0),
            write: false,
            cycle: Some(0),
        },
        DramRequest {
            addr: line(0, 1, 1),
            write: true,
            cycle: Some(5),
        },
    ];
    let s = run_dram(&config(), Schedule::InOrder, requests.map(Ok)).unwrap();
    assert_eq!(s.requests, 2);
    assert_eq!((s.dram.reads.demand, s.dram.writes.writeback), (1, 1));
}

#[test]
fn fr_fcfs_takes_the_requests_in_the_order_of_their_cycles() {
    // A dump of `replay --dram-trace` lists requests in the order they
    // were served, not always that of arrival: FR-FCFS sorts them first.
    // Listed in this order, the read at 1000 would have the one at 300
    // served before the one at 100 even came.
    let (a, b, c, d) = (line(0, 1, 0), line(1, 2, 0), line(2, 3, 0), line(3, 4, 0));
    let sorted = read(a, 100) + &read(b, 200) + &read(c, 300) + &read(d, 1000);
    let shuffled = read(c, 300) + &read(d, 1000) + &read(a, 100) + &read(b, 200);
    let (x, y) = (
        run(&sorted, Schedule::FrFcfs),
        run(&shuffled, Schedule::FrFcfs),
    );
    assert_eq!(x.avg_read_latency_cycles, y.avg_read_latency_cycles);
    assert_eq!(x.cycles, y.cycles);
    // Each to an idle bank: a row miss, 48 cycles.
    assert_eq!(x.avg_read_latency_cycles, 48.0);
}
