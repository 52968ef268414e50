//! The keep-alive, snapshot and harvest policies against values worked out
//! by hand (in the comments), plus seeded property loops for invariants.

use memento_platform::harvest::{
    GreedyConfig, HarvestDecision, HarvestError, HarvestPolicy, HarvestPool, InstanceMemory,
    SafeguardConfig, MIB,
};
use memento_platform::keepalive::{
    FixedKeepAlive, HybridConfig, HybridHistogram, KeepAlive, KeepAliveConfig, Rule, Windows,
    MINUTE_US,
};
use memento_platform::snapshot::{
    Pronghorn, PronghornConfig, Restore, SnapshotConfig, SnapshotId, SnapshotPolicy,
};
use memento_workloads::rng::Rng;

const SEC: u64 = 1_000_000;
const MIN: u64 = MINUTE_US;

/// Runs invocations of app 7 lasting one second each, the next arriving
/// `idle` after the previous one's end; returns the last windows (the
/// decision after `idles.len()` idle times).
fn feed(policy: &mut HybridHistogram, idles: &[u64]) -> Windows {
    let mut now = 0;
    policy.on_arrival(7, now);
    now += SEC;
    let mut windows = policy.on_end(7, now);
    for &idle in idles {
        now += idle;
        policy.on_arrival(7, now);
        now += SEC;
        windows = policy.on_end(7, now);
    }
    windows
}

fn hybrid() -> HybridHistogram {
    HybridHistogram::new(HybridConfig::default()).unwrap()
}

// ---- keep-alive ----

#[test]
fn fixed_keep_alive_is_ten_or_twenty_minutes_without_prewarm() {
    assert_eq!(
        FixedKeepAlive::ten_minutes().windows(),
        Windows {
            prewarm_us: 0,
            keep_alive_us: 600 * SEC
        }
    );
    assert_eq!(
        FixedKeepAlive::twenty_minutes().windows(),
        Windows {
            prewarm_us: 0,
            keep_alive_us: 1200 * SEC
        }
    );
    // The default is the 10-minute one, and the enum passes it through.
    let mut policy = KeepAlive::new(&KeepAliveConfig::default()).unwrap();
    policy.on_arrival(1, 0);
    assert_eq!(policy.on_end(1, SEC).keep_alive_us, 600 * SEC);
}

#[test]
fn windows_load_from_prewarm_until_prewarm_plus_keep_alive() {
    let w = Windows {
        prewarm_us: 60,
        keep_alive_us: 30,
    };
    // Unloaded at the end, loaded during [60, 90).
    assert!(!w.is_loaded_at(0));
    assert!(!w.is_loaded_at(59));
    assert!(w.is_loaded_at(60));
    assert!(w.is_loaded_at(89));
    assert!(!w.is_loaded_at(90));
    // Pre-warm 0: loaded from the end on.
    let keep = Windows {
        prewarm_us: 0,
        keep_alive_us: 30,
    };
    assert!(keep.is_loaded_at(0));
    assert!(!keep.is_loaded_at(30));
}

#[test]
fn hybrid_uses_head_and_tail_of_a_concentrated_histogram() {
    // 20 idle times: one in bin 2 (2 min 30 s), 18 in bin 10 (10 min 15 s),
    // one in bin 30 (30 min 10 s).
    let mut idles = vec![2 * MIN + 30 * SEC];
    idles.extend(std::iter::repeat_n(10 * MIN + 15 * SEC, 18));
    idles.push(30 * MIN + 10 * SEC);
    // CV of the 240 bin counts (1, 18, 1, 237 zeros): mean 20/240 = 1/12,
    // variance 326/240 - 1/144 = 1.3514, std 1.1625, CV 13.95 >= 2.
    // Head: rank ceil(5% x 20) = 1, the smallest, bin 2; pre-warm
    // floor(2 x 0.9 = 1.8) = 1 min. Tail: rank ceil(99% x 20 = 19.8) = 20,
    // bin 30, upper edge 31; ceil(31 x 1.1 = 34.1) = 35 min; keep-alive
    // 35 - 1 = 34 min.
    let mut policy = hybrid();
    let w = feed(&mut policy, &idles);
    assert_eq!(
        w,
        Windows {
            prewarm_us: MIN,
            keep_alive_us: 34 * MIN
        }
    );
    assert_eq!(policy.decide(7).1, Rule::Histogram);
    assert_eq!(policy.observations(7), (20, 0));
}

#[test]
fn hybrid_falls_back_to_the_whole_range_on_a_flat_histogram() {
    // 120 idle times, one in each of bins 0..120: counts are 120 ones and
    // 120 zeros, mean 0.5, variance 0.5 - 0.25 = 0.25, std 0.5, CV 1 < 2.
    let idles: Vec<u64> = (0..120).map(|i| i * MIN + 30 * SEC).collect();
    let mut policy = hybrid();
    let w = feed(&mut policy, &idles);
    assert_eq!(
        w,
        Windows {
            prewarm_us: 0,
            keep_alive_us: 240 * MIN
        }
    );
    assert_eq!(policy.decide(7).1, Rule::Fallback);
    // With the threshold at 1 the same histogram is trusted: head rank
    // ceil(6) = 6, bin 5, pre-warm floor(4.5) = 4 min; tail rank
    // ceil(118.8) = 119, bin 118, ceil(119 x 1.1 = 130.9) = 131 min.
    let mut lenient = HybridHistogram::new(HybridConfig {
        cv_threshold: 1.0,
        ..HybridConfig::default()
    })
    .unwrap();
    assert_eq!(
        feed(&mut lenient, &idles),
        Windows {
            prewarm_us: 4 * MIN,
            keep_alive_us: 127 * MIN
        }
    );
}

#[test]
fn hybrid_forecasts_when_most_idle_times_are_out_of_range() {
    // 4 idle times of 5 min, 6 beyond the 4 h range (5 h, 6 h, ...): the
    // out-of-range share 6/10 = 0.6 >= 0.5. Forecast: their mean, 5.5 h =
    // 330 min. Pre-warm 0.85 x 330 = 280.5 min; keep until 1.15 x 330 =
    // 379.5 min, so keep-alive 99 min.
    let idles = [
        5 * MIN,
        300 * MIN,
        5 * MIN,
        360 * MIN,
        5 * MIN,
        300 * MIN,
        360 * MIN,
        5 * MIN,
        300 * MIN,
        360 * MIN,
    ];
    let mut policy = hybrid();
    let w = feed(&mut policy, &idles);
    assert_eq!(
        w,
        Windows {
            prewarm_us: 280 * MIN + 30 * SEC,
            keep_alive_us: 99 * MIN
        }
    );
    assert_eq!(policy.decide(7).1, Rule::Forecast);
    assert_eq!(policy.observations(7), (4, 6));
}

#[test]
fn hybrid_forecast_averages_only_the_recent_out_of_range_idle_times() {
    // History of 2: of 5 h, 5 h, 7 h, 9 h only 7 h and 9 h count: 8 h =
    // 480 min; pre-warm 408 min, until 552 min, keep-alive 144 min.
    let mut policy = HybridHistogram::new(HybridConfig {
        forecast_history: 2,
        min_observations: 1,
        ..HybridConfig::default()
    })
    .unwrap();
    let w = feed(&mut policy, &[300 * MIN, 300 * MIN, 420 * MIN, 540 * MIN]);
    assert_eq!(
        w,
        Windows {
            prewarm_us: 408 * MIN,
            keep_alive_us: 144 * MIN
        }
    );
}

#[test]
fn hybrid_waits_for_enough_observations() {
    // 9 idle times of 10 min: below the 10 needed, so the whole range.
    let mut policy = hybrid();
    let w = feed(&mut policy, &[10 * MIN + 5 * SEC; 9]);
    assert_eq!(
        w,
        Windows {
            prewarm_us: 0,
            keep_alive_us: 240 * MIN
        }
    );
    // The 10th trusts the histogram: all in bin 10 (CV sqrt(239) = 15.5);
    // pre-warm floor(10 x 0.9) = 9 min; until ceil(11 x 1.1 = 12.1) = 13 min.
    policy.record_idle(7, 10 * MIN + 5 * SEC);
    let (w, rule) = policy.decide(7);
    assert_eq!(rule, Rule::Histogram);
    assert_eq!(policy.observations(7), (10, 0));
    assert_eq!(
        w,
        Windows {
            prewarm_us: 9 * MIN,
            keep_alive_us: 4 * MIN
        }
    );
}

#[test]
fn hybrid_rounds_an_exact_tail_to_its_own_bin_edge() {
    // 10 idle times in bin 49 (49 min 5 s): pre-warm floor(49 x 0.9 =
    // 44.1) = 44 min; the tail's upper edge 50 x 1.1 is exactly 55 min
    // (55.00000000000001 in binary floating point, which must not round up
    // to 56): keep-alive 55 - 44 = 11 min.
    let mut policy = hybrid();
    assert_eq!(
        feed(&mut policy, &[49 * MIN + 5 * SEC; 10]),
        Windows {
            prewarm_us: 44 * MIN,
            keep_alive_us: 11 * MIN
        }
    );
}

#[test]
fn hybrid_records_no_idle_time_for_an_arrival_while_busy() {
    let mut policy = hybrid();
    policy.on_arrival(3, 0);
    policy.on_arrival(3, SEC); // overlaps the first: no idle period
    policy.on_end(3, 2 * SEC);
    policy.on_end(3, 3 * SEC);
    policy.on_arrival(3, 3 * SEC + 5 * MIN); // 5 min after the last end
    assert_eq!(policy.observations(3), (1, 0));
    // Apps are separate.
    assert_eq!(policy.observations(4), (0, 0));
}

// ---- snapshots ----

#[test]
fn pronghorn_w_follows_the_moving_average() {
    let mut p = Pronghorn::new(PronghornConfig::default(), 1).unwrap();
    assert_eq!(p.w(3), None);
    p.record_latency(3, 100);
    assert_eq!(p.w(3), Some(100.0)); // the first sets it
    p.record_latency(3, 200);
    assert_eq!(p.w(3), Some(150.0)); // 0.5 x 200 + 0.5 x 100
    p.record_latency(3, 50);
    assert_eq!(p.w(3), Some(100.0)); // 0.5 x 50 + 0.5 x 150
    assert_eq!(p.w(4), None);
    // Out of range: ignored, no panic.
    p.record_latency(0, 5);
    p.record_latency(101, 5);
    assert_eq!(p.w(0), None);
    assert_eq!(p.w(101), None);

    let mut q = Pronghorn::new(
        PronghornConfig {
            alpha: 0.25,
            ..PronghornConfig::default()
        },
        1,
    )
    .unwrap();
    q.record_latency(1, 100);
    q.record_latency(1, 200);
    assert_eq!(q.w(1), Some(125.0)); // 0.25 x 200 + 0.75 x 100
}

#[test]
fn pronghorn_score_is_the_mean_inverse_latency_of_the_next_window() {
    let mut p = Pronghorn::new(PronghornConfig::default(), 1).unwrap();
    // Requests 5..=8 at 999, 999, 1999, 1999 us: 1e6 / 1000 = 1000 and
    // 1e6 / 2000 = 500, mean 750.
    for (r, lat) in [(5, 999), (6, 999), (7, 1999), (8, 1999)] {
        p.record_latency(r, lat);
    }
    assert_eq!(p.score(4), 750.0);
    // Unseen requests count as w = 0, score 1e6: 1..=4 never recorded.
    assert_eq!(p.score(0), 1e6);
    // Past max_requests nothing follows.
    assert_eq!(p.score(100), 0.0);
}

#[test]
fn pronghorn_chooses_cold_when_the_pool_is_empty() {
    let mut p = Pronghorn::new(PronghornConfig::default(), 9).unwrap();
    for _ in 0..50 {
        assert_eq!(p.choose_restore(), Restore::Cold);
    }
}

#[test]
fn pronghorn_restore_prefers_the_fastest_start() {
    let mut p = Pronghorn::new(PronghornConfig::default(), 3).unwrap();
    // Cold start: requests 1..=4 at 99_999 us, score 1e6/1e5 = 10. After a
    // snapshot at 4: requests 5..=8 at 999 us, score 1000. Softmax weight of
    // cold exp(10 - 1000) ~ 1e-430: never drawn.
    for r in 1..=4 {
        p.record_latency(r, 99_999);
    }
    for r in 5..=8 {
        p.record_latency(r, 999);
    }
    let id = p.add_snapshot(4);
    for _ in 0..200 {
        assert_eq!(p.choose_restore(), Restore::Snapshot(id));
    }
}

#[test]
fn pronghorn_softmax_choice_is_seed_deterministic() {
    // A high temperature makes the softmax nearly uniform over cold and 5
    // snapshots, so the draws depend on the seed.
    let run = |seed: u64| {
        let mut p = Pronghorn::new(
            PronghornConfig {
                temperature: 1e9,
                ..PronghornConfig::default()
            },
            seed,
        )
        .unwrap();
        for n in 1..=5 {
            p.add_snapshot(n);
        }
        (0..64).map(|_| p.choose_restore()).collect::<Vec<_>>()
    };
    let a = run(42);
    assert_eq!(a, run(42));
    assert_ne!(a, run(43));
    assert!(a.contains(&Restore::Cold));
    assert!(a.contains(&Restore::Snapshot(SnapshotId(4))));
}

#[test]
fn pronghorn_snapshot_point_lies_in_the_next_window() {
    let mut p = Pronghorn::new(PronghornConfig::default(), 5).unwrap();
    for _ in 0..100 {
        let n = p.choose_snapshot_point(0).unwrap();
        assert!((1..=4).contains(&n), "{n}");
        let n = p.choose_snapshot_point(98).unwrap();
        assert!((99..=100).contains(&n), "{n}");
    }
    assert_eq!(p.choose_snapshot_point(100), None);
    // Points are drawn in proportion to their scores. Requests 2..=100 are
    // slow (w = 999_999 us, 1e6 / 1e6 = 1 each) except 5..=8, never
    // recorded (w = 0, 1e6 each).
    let mut q = Pronghorn::new(PronghornConfig::default(), 5).unwrap();
    for r in 2..=100 {
        if !(5..=8).contains(&r) {
            q.record_latency(r, 999_999);
        }
    }
    // From served 3: point 4 scores (1e6 x 4)/4 = 1e6; point 5: (3e6 + 1)/4;
    // point 6: (2e6 + 2)/4; point 7: (1e6 + 3)/4. Weights 4, 3, 2, 1 (in
    // units of 2.5e5): point 4 has probability 0.4, point 7 0.1.
    let mut counts = [0u32; 4];
    for _ in 0..10_000 {
        let n = q.choose_snapshot_point(3).unwrap();
        counts[(n - 4) as usize] += 1;
    }
    // Expected 4000, 3000, 2000, 1000; a 5-sigma band is +-250 at most.
    for (i, expected) in [4000, 3000, 2000, 1000].into_iter().enumerate() {
        assert!(counts[i].abs_diff(expected) < 250, "{counts:?}");
    }
}

#[test]
fn pronghorn_prunes_a_full_pool_to_the_best_40_percent_plus_10_percent_at_random() {
    let mut p = Pronghorn::new(PronghornConfig::default(), 11).unwrap();
    // w[r] = 1000 r - 1 us: score of a snapshot at n = mean of 1/r over the
    // next 4 requests, in ms: strictly decreasing in n, so the snapshot
    // at 1 is best.
    for r in 1..=100u32 {
        p.record_latency(r, 1000 * u64::from(r) - 1);
    }
    for n in 1..=12 {
        p.add_snapshot(n);
    }
    assert_eq!(p.len(), 12);
    assert_eq!(p.capacity(), 12);
    // The 13th add prunes first: round(0.4 x 12 = 4.8) = 5 best (ids 0..=4,
    // snapshots at 1..=5), plus round(0.1 x 7 = 0.7) = 1 of ids 5..=11, then
    // the new one: 7.
    let new = p.add_snapshot(50);
    assert_eq!(p.len(), 7);
    let ids: Vec<u64> = p.snapshots().iter().map(|s| s.id.0).collect();
    assert_eq!(&ids[..5], &[0, 1, 2, 3, 4]);
    assert!((5..=11).contains(&ids[5]), "{ids:?}");
    assert_eq!(ids[6], new.0);
}

#[test]
fn pronghorn_prune_rounds_half_away_from_zero() {
    // Capacity 10, keep half by score, half of the rest at random:
    // round(5) = 5 best, round(0.5 x 5 = 2.5) = 3 random, plus the new: 9.
    let mut p = Pronghorn::new(
        PronghornConfig {
            capacity: 10,
            keep_best: 0.5,
            keep_random: 0.5,
            ..PronghornConfig::default()
        },
        2,
    )
    .unwrap();
    for n in 1..=11 {
        p.add_snapshot(n);
    }
    assert_eq!(p.len(), 9);
    // Even keeping everything, a prune frees one slot: capacity 4, keep all
    // by score -> min(round(4), 4 - 1) = 3 kept, plus the new: 4.
    let mut q = Pronghorn::new(
        PronghornConfig {
            capacity: 4,
            keep_best: 1.0,
            ..PronghornConfig::default()
        },
        2,
    )
    .unwrap();
    for n in 1..=5 {
        q.add_snapshot(n);
    }
    assert_eq!(q.len(), 4);
}

/// A long seeded run of Pronghorn's decisions, as a node would make them.
fn pronghorn_run(seed: u64) -> (Vec<(Restore, Option<u32>)>, usize) {
    let mut p = Pronghorn::new(PronghornConfig::default(), seed).unwrap();
    let mut env = Rng::new(seed ^ 0x5eed);
    let mut starts: Vec<u32> = Vec::new();
    let mut decisions = Vec::new();
    let mut max_len = 0;
    for _ in 0..5_000 {
        let restore = p.choose_restore();
        let mut served = match restore {
            Restore::Cold => 0,
            Restore::Snapshot(id) => {
                p.snapshots()
                    .iter()
                    .find(|s| s.id == id)
                    .expect("a chosen snapshot is in the pool")
                    .request_number
            }
        };
        starts.push(served);
        let point = p.choose_snapshot_point(served);
        decisions.push((restore, point));
        for _ in 0..env.between(1, 6) {
            served += 1;
            p.record_latency(served, env.between(500, 50_000));
            if Some(served) == point {
                p.add_snapshot(served);
            }
            max_len = max_len.max(p.len());
        }
    }
    (decisions, max_len)
}

#[test]
fn pronghorn_pool_never_exceeds_its_capacity() {
    let (decisions, max_len) = pronghorn_run(7);
    assert_eq!(max_len, 12);
    // Restores from snapshots did happen.
    assert!(decisions
        .iter()
        .any(|(r, _)| matches!(r, Restore::Snapshot(_))));
}

#[test]
fn identical_seeds_give_identical_decision_sequences() {
    let (a, _) = pronghorn_run(123);
    let (b, _) = pronghorn_run(123);
    assert_eq!(a, b);
    let (c, _) = pronghorn_run(124);
    assert_ne!(a, c);
    assert_eq!(harvest_run(99), harvest_run(99));
}

#[test]
fn after_first_snapshots_exactly_once() {
    let mut policy = SnapshotPolicy::new(&SnapshotConfig::AfterFirst {}, 0).unwrap();
    assert_eq!(policy.capacity(), 1);
    // Two cold instances start before any snapshot exists: both are asked
    // to snapshot after request 1, and only the first offer is kept.
    assert_eq!(policy.choose_restore(), Restore::Cold);
    assert_eq!(policy.choose_snapshot_point(0), Some(1));
    assert_eq!(policy.choose_restore(), Restore::Cold);
    assert_eq!(policy.choose_snapshot_point(0), Some(1));
    let id = policy.add_snapshot(1).expect("the first snapshot is kept");
    assert_eq!(policy.add_snapshot(1), None);
    let mut kept = 1;
    for _ in 0..100 {
        assert_eq!(policy.choose_restore(), Restore::Snapshot(id));
        assert_eq!(policy.choose_snapshot_point(1), None);
        kept += usize::from(policy.add_snapshot(1).is_some());
    }
    assert_eq!(kept, 1);
    assert_eq!(policy.len(), 1);
}

#[test]
fn never_always_starts_cold() {
    let mut policy = SnapshotPolicy::new(&SnapshotConfig::Never {}, 0).unwrap();
    assert_eq!(policy.choose_restore(), Restore::Cold);
    assert_eq!(policy.choose_snapshot_point(0), None);
    assert_eq!(policy.add_snapshot(1), None);
    assert!(policy.is_empty());
}

// ---- harvesting ----

const U: u64 = 64 * MIB;

#[test]
fn greedy_steps_by_one_unit() {
    let policy = HarvestPolicy::Greedy(GreedyConfig::default());
    let mut pool = HarvestPool::new();
    let mut mem = InstanceMemory::new(1024 * MIB);
    // Peak 300 MiB <= 0.9 x 1024 = 921.6: shrink one unit to 960 MiB.
    let d = policy
        .decide(&mut mem, 300 * MIB, 100 * MIB, &mut pool)
        .unwrap();
    assert_eq!(d.allocation_bytes, 960 * MIB);
    assert_eq!(d.released_bytes, U);
    assert_eq!(pool.available_bytes(), U);
    // Peak 900 MiB > 0.9 x 960 = 864: grow one unit, back to 1024 MiB.
    let d = policy
        .decide(&mut mem, 900 * MIB, 100 * MIB, &mut pool)
        .unwrap();
    assert_eq!(d.allocation_bytes, 1024 * MIB);
    assert_eq!(d.acquired_bytes, U);
    // Peak 1000 MiB > 921.6: grow, but never above the user's size.
    let d = policy
        .decide(&mut mem, 1000 * MIB, 100 * MIB, &mut pool)
        .unwrap();
    assert_eq!(d.allocation_bytes, 1024 * MIB);
    assert_eq!(pool.available_bytes(), 0);
}

#[test]
fn greedy_never_shrinks_below_live_bytes() {
    let policy = HarvestPolicy::Greedy(GreedyConfig::default());
    let mut pool = HarvestPool::new();
    let mut mem = InstanceMemory::new(128 * MIB);
    // Peak = live = 100 MiB <= 0.9 x 128 = 115.2: shrink to 64 MiB would
    // lose 36 MiB of live objects, so it stops at 100 MiB.
    let d = policy
        .decide(&mut mem, 100 * MIB, 100 * MIB, &mut pool)
        .unwrap();
    assert_eq!(d.allocation_bytes, 100 * MIB);
    assert_eq!(pool.available_bytes(), 28 * MIB);
}

#[test]
fn safeguard_harvests_to_just_above_the_peak_then_reverts_when_usage_crosses_its_threshold() {
    let policy = HarvestPolicy::Safeguard(SafeguardConfig::default());
    let mut pool = HarvestPool::new();
    let mut mem = InstanceMemory::new(1024 * MIB);
    // Peak 200 MiB < 0.9 x 1024 = 921.6 (allocation): harvest to
    // round_up(200 + 64 = 264 MiB, 64 MiB) = 320 MiB; 704 MiB to the pool.
    let d = policy
        .decide(&mut mem, 200 * MIB, 50 * MIB, &mut pool)
        .unwrap();
    assert_eq!(d.allocation_bytes, 320 * MIB);
    assert_eq!(pool.available_bytes(), 704 * MIB);
    assert_eq!(mem.harvested_bytes(), 704 * MIB);
    // Peak 300 MiB: >= 0.9 x 320 = 288 and <= 921.6: revert to 1024 MiB.
    let d = policy
        .decide(&mut mem, 300 * MIB, 50 * MIB, &mut pool)
        .unwrap();
    assert_eq!(d.allocation_bytes, 1024 * MIB);
    assert_eq!(d.acquired_bytes, 704 * MIB);
    assert_eq!(pool.available_bytes(), 0);
    // Peak 280 MiB would not have crossed it (< 288) from 320 MiB.
    let mut other = InstanceMemory::new(1024 * MIB);
    let mut pool2 = HarvestPool::new();
    policy
        .decide(&mut other, 200 * MIB, 50 * MIB, &mut pool2)
        .unwrap();
    let d = policy
        .decide(&mut other, 280 * MIB, 50 * MIB, &mut pool2)
        .unwrap();
    // round_up(280 + 64 = 344, 64) = 384 MiB.
    assert_eq!(d.allocation_bytes, 384 * MIB);
}

#[test]
fn pool_lending_conserves_memory() {
    // Two instances of 1024 MiB: A harvests, B under pressure borrows.
    let policy = HarvestPolicy::Safeguard(SafeguardConfig::default());
    let mut pool = HarvestPool::new();
    let mut a = InstanceMemory::new(1024 * MIB);
    let mut b = InstanceMemory::new(1024 * MIB);
    let total = |a: &InstanceMemory, b: &InstanceMemory, p: &HarvestPool| {
        a.allocation_bytes() + b.allocation_bytes() + p.available_bytes()
    };
    // A: peak 200 -> 320 MiB, pool 704.
    policy
        .decide(&mut a, 200 * MIB, 50 * MIB, &mut pool)
        .unwrap();
    assert_eq!(total(&a, &b, &pool), 2048 * MIB);
    // B: peak 1000 MiB > 921.6, so no revert: round_up(1064, 64) = 1088 MiB,
    // 64 borrowed; pool 640. 320 + 1088 + 640 = 2048.
    let d = policy
        .decide(&mut b, 1000 * MIB, 500 * MIB, &mut pool)
        .unwrap();
    assert_eq!(d.allocation_bytes, 1088 * MIB);
    assert_eq!(b.borrowed_bytes(), 64 * MIB);
    assert_eq!(pool.available_bytes(), 640 * MIB);
    assert_eq!(total(&a, &b, &pool), 2048 * MIB);
    // A reverts (300 >= 288) and wants 704 MiB back, but B holds 64 of it:
    // it gets 640 and is short 64; A = 960, pool 0.
    let d = policy
        .decide(&mut a, 300 * MIB, 50 * MIB, &mut pool)
        .unwrap();
    assert_eq!(
        d,
        HarvestDecision {
            allocation_bytes: 960 * MIB,
            released_bytes: 0,
            acquired_bytes: 640 * MIB,
            short_bytes: 64 * MIB
        }
    );
    assert_eq!(pool.available_bytes(), 0);
    assert_eq!(total(&a, &b, &pool), 2048 * MIB);
    // B calms down, peak 400 < 0.9 x 1088 = 979.2: harvest to
    // round_up(464, 64) = 512 MiB, 576 MiB back to the pool.
    let d = policy
        .decide(&mut b, 400 * MIB, 100 * MIB, &mut pool)
        .unwrap();
    assert_eq!(d.released_bytes, 576 * MIB);
    assert_eq!(pool.available_bytes(), 576 * MIB);
    assert_eq!(total(&a, &b, &pool), 2048 * MIB);
    // Totals: 704 + 576 lent, 64 + 640 borrowed.
    assert_eq!(pool.total_lent_bytes(), 1280 * MIB);
    assert_eq!(pool.total_borrowed_bytes(), 704 * MIB);
    // The pool never grants more than it has.
    let mut empty = HarvestPool::new();
    assert_eq!(empty.borrow(10), 0);
    empty.give_back(4);
    assert_eq!(empty.borrow(10), 4);
    assert_eq!(empty.available_bytes(), 0);
}

#[test]
fn harvest_refuses_live_bytes_above_the_allocation() {
    let policy = HarvestPolicy::Safeguard(SafeguardConfig::default());
    let mut pool = HarvestPool::new();
    let mut mem = InstanceMemory::new(256 * MIB);
    let before = mem.clone();
    assert_eq!(
        policy.decide(&mut mem, 300 * MIB, 300 * MIB, &mut pool),
        Err(HarvestError::LiveAboveAllocation {
            live_bytes: 300 * MIB,
            allocation_bytes: 256 * MIB
        })
    );
    assert_eq!(mem, before);
    assert_eq!(pool.available_bytes(), 0);
}

/// Four instances sharing a pool, each a list of live object sizes that
/// invocations allocate into (only while they fit) and free from; after
/// each invocation the policy decides. Checks the invariants after every
/// decision and returns the decisions.
fn harvest_run_with(policy: &HarvestPolicy, seed: u64) -> Vec<HarvestDecision> {
    let mut rng = Rng::new(seed);
    let mut pool = HarvestPool::new();
    let users = [256 * MIB, 512 * MIB, 1024 * MIB, 2048 * MIB];
    let mut mems: Vec<InstanceMemory> = users.iter().map(|&u| InstanceMemory::new(u)).collect();
    let mut objects: Vec<Vec<u64>> = vec![Vec::new(); users.len()];
    let node_total: u64 = users.iter().sum();
    let mut decisions = Vec::new();
    for _ in 0..3_000 {
        let i = rng.below(users.len() as u64) as usize;
        let live = |objs: &Vec<u64>| objs.iter().sum::<u64>();
        let mut peak = live(&objects[i]);
        // Some invocations are heavy: allocate up to ~1.5x the user's size.
        let heavy = rng.below(4) == 0;
        for _ in 0..rng.between(1, 40) {
            if rng.below(3) == 0 && !objects[i].is_empty() {
                let k = rng.below(objects[i].len() as u64) as usize;
                objects[i].swap_remove(k);
            } else {
                let max = if heavy { users[i] / 8 } else { users[i] / 64 };
                let size = rng.between(1, max.max(1));
                // An object is placed only if it fits the allocation.
                if live(&objects[i]) + size <= mems[i].allocation_bytes() {
                    objects[i].push(size);
                }
            }
            peak = peak.max(live(&objects[i]));
        }
        // Temporaries: the peak may be above what stays live.
        let live_now = live(&objects[i]);
        let d = policy
            .decide(&mut mems[i], peak, live_now, &mut pool)
            .unwrap();
        // Every live byte still fits.
        assert!(live_now <= mems[i].allocation_bytes(), "lost objects");
        assert_eq!(d.allocation_bytes, mems[i].allocation_bytes());
        // Never above the user's size plus what it borrowed, and borrowing
        // only through the pool.
        assert!(mems[i].allocation_bytes() <= mems[i].user_bytes() + mems[i].borrowed_bytes());
        assert!(mems[i].allocation_bytes() <= 2 * users[i]);
        let allocated: u64 = mems.iter().map(|m| m.allocation_bytes()).sum();
        assert_eq!(allocated + pool.available_bytes(), node_total);
        decisions.push(d);
    }
    decisions
}

fn harvest_run(seed: u64) -> Vec<HarvestDecision> {
    harvest_run_with(&HarvestPolicy::Safeguard(SafeguardConfig::default()), seed)
}

#[test]
fn harvesting_never_goes_below_live_bytes_nor_loses_an_allocation() {
    for policy in [
        HarvestPolicy::Fixed {},
        HarvestPolicy::Greedy(GreedyConfig::default()),
        HarvestPolicy::Safeguard(SafeguardConfig::default()),
        HarvestPolicy::Safeguard(SafeguardConfig {
            margin_bytes: 0,
            unit_bytes: MIB,
            peak_window: 3,
            ..SafeguardConfig::default()
        }),
    ] {
        for seed in 0..4 {
            let decisions = harvest_run_with(&policy, seed);
            if !matches!(policy, HarvestPolicy::Fixed {}) {
                // The loop did move memory both ways.
                assert!(decisions.iter().any(|d| d.released_bytes > 0));
                assert!(decisions.iter().any(|d| d.acquired_bytes > 0));
            }
        }
    }
}

#[test]
fn fixed_harvesting_never_changes_the_allocation() {
    let mut pool = HarvestPool::new();
    let mut mem = InstanceMemory::new(512 * MIB);
    for peak in [0, 10 * MIB, 500 * MIB] {
        let d = HarvestPolicy::Fixed {}
            .decide(&mut mem, peak, 0, &mut pool)
            .unwrap();
        assert_eq!(d.allocation_bytes, 512 * MIB);
    }
    assert_eq!(pool.available_bytes(), 0);
}

// ---- configuration ----

#[test]
fn check_names_the_bad_field() {
    let bad = HybridConfig {
        cv_threshold: -1.0,
        ..HybridConfig::default()
    };
    let e = bad.check().unwrap_err();
    assert_eq!(e.field, "cv_threshold");
    assert!(e.to_string().starts_with("cv_threshold = -1: "), "{e}");

    let bad = HybridConfig {
        range_us: 90 * SEC, // not a multiple of the 60 s bin
        ..HybridConfig::default()
    };
    assert_eq!(bad.check().unwrap_err().field, "range_us");
    let bad = HybridConfig {
        oob_share: 0.0,
        ..HybridConfig::default()
    };
    assert_eq!(bad.check().unwrap_err().field, "oob_share");
    assert!(HybridHistogram::new(bad).is_err());

    let bad = PronghornConfig {
        capacity: 0,
        ..PronghornConfig::default()
    };
    assert_eq!(bad.check().unwrap_err().field, "capacity");
    let bad = PronghornConfig {
        temperature: 0.0,
        ..PronghornConfig::default()
    };
    assert_eq!(bad.check().unwrap_err().field, "temperature");

    let bad = HarvestPolicy::Greedy(GreedyConfig {
        unit_bytes: 0,
        ..GreedyConfig::default()
    });
    assert_eq!(bad.check().unwrap_err().field, "unit_bytes");
    let bad = HarvestPolicy::Safeguard(SafeguardConfig {
        threshold: 1.5,
        ..SafeguardConfig::default()
    });
    assert_eq!(bad.check().unwrap_err().field, "threshold");

    for ok in [
        HybridConfig::default().check(),
        PronghornConfig::default().check(),
        HarvestPolicy::Safeguard(SafeguardConfig::default()).check(),
        FixedKeepAlive::twenty_minutes().check(),
    ] {
        ok.unwrap();
    }
}

#[test]
fn scenario_toml_sets_any_field_and_rejects_unknown_ones() {
    let k: KeepAliveConfig = toml::from_str("policy = \"hybrid\"\ncv_threshold = 3.0").unwrap();
    assert_eq!(
        k,
        KeepAliveConfig::Hybrid(HybridConfig {
            cv_threshold: 3.0,
            ..HybridConfig::default()
        })
    );
    let k: KeepAliveConfig =
        toml::from_str("policy = \"fixed\"\nkeep_alive_us = 1200000000").unwrap();
    assert_eq!(k, KeepAliveConfig::Fixed(FixedKeepAlive::twenty_minutes()));
    assert!(toml::from_str::<KeepAliveConfig>("policy = \"hybrid\"\ncv_treshold = 3.0").is_err());

    let s: SnapshotConfig = toml::from_str("policy = \"pronghorn\"\ncapacity = 8").unwrap();
    assert_eq!(
        s,
        SnapshotConfig::Pronghorn(PronghornConfig {
            capacity: 8,
            ..PronghornConfig::default()
        })
    );
    let s: SnapshotConfig = toml::from_str("policy = \"after-first\"").unwrap();
    assert_eq!(s, SnapshotConfig::AfterFirst {});
    assert!(toml::from_str::<SnapshotConfig>("policy = \"pronghorn\"\ncapasity = 8").is_err());
    assert!(toml::from_str::<SnapshotConfig>("policy = \"never\"\ncapacity = 8").is_err());

    let h: HarvestPolicy =
        toml::from_str("policy = \"safeguard\"\nmargin_bytes = 0\npeak_window = 4").unwrap();
    assert_eq!(
        h,
        HarvestPolicy::Safeguard(SafeguardConfig {
            margin_bytes: 0,
            peak_window: 4,
            ..SafeguardConfig::default()
        })
    );
    assert!(toml::from_str::<HarvestPolicy>("policy = \"greedy\"\nunit = 1").is_err());
    assert!(toml::from_str::<HarvestPolicy>("policy = \"fixed\"\nunit_bytes = 1").is_err());
    assert!(toml::from_str::<HarvestPolicy>("policy = \"lazy\"").is_err());
}

#[test]
fn an_unloaded_instance_returns_what_it_borrowed() {
    use memento_platform::harvest::InstanceMemory;
    let mut pool = HarvestPool::new();
    pool.lend(64 << 20);
    let mut m = InstanceMemory::new(256 << 20);
    // Under pressure (peak above the allocation) the safeguard borrows.
    let policy = HarvestPolicy::Safeguard(Default::default());
    policy
        .decide(&mut m, 300 << 20, 200 << 20, &mut pool)
        .unwrap();
    let borrowed = m.borrowed_bytes();
    assert!(borrowed > 0, "borrowed {borrowed}");
    assert_eq!(m.return_borrowed(), borrowed);
    assert_eq!((m.borrowed_bytes(), m.allocation_bytes()), (0, 256 << 20));
}
