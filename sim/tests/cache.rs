//! Caches: replacement order, write-back, inclusion, MSHRs, prefetchers,
//! and a property test against plain reference models.

use memento_sim::cache::replacement::Access;
use memento_sim::cache::Cache;
use memento_sim::config::{CacheConfig, PrefetcherKind, Replacement};
use memento_sim::hierarchy::{MemorySystem, L1};
use memento_sim::{Cause, Config};
use proptest::prelude::*;

fn level(sets: u32, ways: u32, replacement: Replacement) -> CacheConfig {
    CacheConfig {
        sets,
        ways,
        latency: 1,
        replacement,
        mshrs: 4,
        prefetcher: PrefetcherKind::None,
        prefetch_degree: 1,
        inclusive: false,
    }
}

/// Accesses `line`: a hit updates replacement, a miss fills; returns the
/// evicted line on a miss.
fn touch(c: &mut Cache, line: u64) -> (bool, Option<u64>) {
    match c.probe(line) {
        Some(slot) => {
            c.hit(slot, false, 0, Access::demand(0, Cause::Demand));
            (true, None)
        }
        None => (
            false,
            c.fill(line, None, 0, Access::demand(0, Cause::Demand))
                .map(|e| e.line),
        ),
    }
}

fn memory(edit: impl FnOnce(&mut Config)) -> MemorySystem {
    let mut c = Config::preset("small").unwrap();
    edit(&mut c);
    c.validate().unwrap();
    let s = c.dram.load_standard(None).unwrap();
    let dram = memento_sim::dram::Dram::new(&c.dram, &s, c.line_size, c.frequency_mhz);
    MemorySystem::new(&c, dram)
}

#[test]
fn lru_evicts_in_least_recently_used_order() {
    let mut c = Cache::new(&level(1, 4, Replacement::Lru), 0);
    for line in [10, 11, 12, 13] {
        touch(&mut c, line);
    }
    touch(&mut c, 10);
    assert_eq!(touch(&mut c, 14), (false, Some(11)));
    assert_eq!(touch(&mut c, 15), (false, Some(12)));
    touch(&mut c, 13);
    assert_eq!(touch(&mut c, 16), (false, Some(10)));
}

#[test]
fn tree_plru_evicts_away_from_the_last_touched_half() {
    let mut c = Cache::new(&level(1, 4, Replacement::TreePlru), 0);
    for line in [0, 1, 2, 3] {
        touch(&mut c, line);
    }
    // After 0,1,2,3 the tree points at the left pair, then at way 0.
    assert_eq!(touch(&mut c, 4), (false, Some(0)));
    // 4 now sits in way 0: the root points right, whose last touch was 3.
    assert_eq!(touch(&mut c, 5), (false, Some(2)));
}

#[test]
fn srrip_evicts_lines_never_reused_before_reused_ones() {
    let mut c = Cache::new(&level(1, 4, Replacement::Srrip), 0);
    for line in [0, 1, 2, 3] {
        touch(&mut c, line);
    }
    touch(&mut c, 0);
    touch(&mut c, 2);
    assert_eq!(touch(&mut c, 4), (false, Some(1)));
    assert_eq!(touch(&mut c, 5), (false, Some(3)));
}

#[test]
fn random_replacement_repeats_with_the_same_seed() {
    let run = |seed| {
        let mut c = Cache::new(&level(1, 8, Replacement::Random), seed);
        (0..200u64)
            .map(|i| touch(&mut c, (i * 7919) % 50).1)
            .collect::<Vec<_>>()
    };
    assert_eq!(run(3), run(3));
    assert_ne!(run(3), run(4));
}

#[test]
fn dirty_eviction_writes_back_once() {
    let mut m = memory(|_| {});
    m.access(0, L1::Data, 1_000_000, true, 0, Cause::Demand);
    // Read 4096 other lines: the dirty line leaves every level.
    for i in 0..4096u64 {
        m.access(0, L1::Data, 2_000_000 + i, false, 10 + i, Cause::Demand);
    }
    assert!(!m.private[0].l1d.contains(1_000_000));
    assert!(!m.private[0].l2.contains(1_000_000));
    assert!(m.llc.iter().all(|s| !s.contains(1_000_000)));
    m.dram.flush(1 << 30);
    assert_eq!(m.dram.counters().writes.writeback, 1);
    assert_eq!(m.dram.counters().writes.transfers(), 1);
    assert_eq!(m.private[0].l1d.stats.writebacks, 1);
}

fn back_invalidation_case(inclusive: bool) -> (bool, u64) {
    let mut m = memory(|c| {
        c.cores = 1;
        c.llc.ways = 2;
        c.llc.inclusive = inclusive;
    });
    // Lines 0, 64 and 128 share an LLC set (64 sets) and an L1D set, which
    // has 4 ways: all three fit in the L1D, not in the 2-way LLC.
    for line in [0u64, 64, 128] {
        m.access(0, L1::Data, line, false, 0, Cause::Demand);
    }
    (
        m.private[0].l1d.contains(0),
        m.private[0].l1d.stats.back_invalidations,
    )
}

#[test]
fn inclusive_llc_eviction_back_invalidates() {
    assert_eq!(back_invalidation_case(true), (false, 1));
}

#[test]
fn non_inclusive_llc_eviction_leaves_private_copies() {
    assert_eq!(back_invalidation_case(false), (true, 0));
}

#[test]
fn mshr_merges_two_misses_to_one_line() {
    let mut m = memory(|_| {});
    let first = m.access(0, L1::Data, 5000, false, 0, Cause::Demand);
    let second = m.access(0, L1::Data, 5000, false, 1, Cause::Demand);
    assert_eq!(first, second);
    let l1 = &m.private[0].l1d.stats;
    assert_eq!((l1.misses, l1.mshr_merges, l1.hits), (1, 1, 0));
    assert_eq!(m.dram.counters().reads.demand, 1);
    // Once the data has arrived it is a plain hit.
    m.access(0, L1::Data, 5000, false, first, Cause::Demand);
    assert_eq!(m.private[0].l1d.stats.hits, 1);
}

#[test]
fn full_mshrs_stall_the_next_miss() {
    let mut m = memory(|c| c.l1d.mshrs = 2);
    let a = m.access(0, L1::Data, 100, false, 0, Cause::Demand);
    let b = m.access(0, L1::Data, 200, false, 0, Cause::Demand);
    let c = m.access(0, L1::Data, 300, false, 0, Cause::Demand);
    assert!(c > a.min(b), "third miss waits for a register");
    assert_eq!(m.private[0].l1d.stats.mshr_stall_cycles, a.min(b));
}

#[test]
fn next_line_prefetcher_turns_a_stream_into_hits() {
    let run = |kind| {
        let mut m = memory(|c| {
            c.l2.prefetcher = kind;
            c.l2.prefetch_degree = 4;
        });
        let mut t = 0;
        for line in 10_000..10_512u64 {
            t = m.access(0, L1::Data, line, false, t, Cause::Demand);
        }
        (m.private[0].l2.stats.clone(), m.dram.counters().reads)
    };
    let (off, _) = run(PrefetcherKind::None);
    let (on, reads) = run(PrefetcherKind::NextLine);
    assert_eq!(off.misses, 512);
    assert!(on.misses < 200, "{} misses", on.misses);
    assert!(on.prefetch_useful > 300);
    assert_eq!(reads.demand + reads.prefetch, reads.transfers());
    assert!(reads.prefetch > 300);
}

#[test]
fn stride_prefetcher_follows_a_constant_stride() {
    let mut m = memory(|c| {
        c.l1d.prefetcher = PrefetcherKind::Stride;
        c.l1d.prefetch_degree = 2;
    });
    let mut t = 0;
    for i in 0..20u64 {
        t = m.access(0, L1::Data, 64_000 + 3 * i, false, t, Cause::Demand);
    }
    let s = &m.private[0].l1d.stats;
    assert!(s.prefetches >= 17, "{} prefetches", s.prefetches);
    assert!(s.prefetch_useful >= 16, "{} useful", s.prefetch_useful);
    assert!(s.misses <= 4, "{} misses", s.misses);
}

#[test]
fn installed_lines_are_not_read_from_dram_and_dropped_lines_not_written() {
    let mut m = memory(|_| {});
    assert_eq!(m.install_lines(0, 777..779, 0), 2);
    let t = m.access(0, L1::Data, 777, true, 5, Cause::Demand);
    assert_eq!(t, 5 + m.private[0].l1d.latency());
    assert_eq!(m.dram.counters().reads.transfers(), 0);
    assert_eq!(m.drop_lines(777..779), 2);
    m.dram.flush(1000);
    assert_eq!(m.dram.counters().writes.transfers(), 0);
    assert_eq!(m.bypass.reads_avoided, 2);
    assert_eq!(m.bypass.writes_avoided, 2);
    assert_eq!(m.bypass.lines_dropped, 2);
}

#[test]
fn installing_a_cached_line_avoids_nothing() {
    let mut m = memory(|_| {});
    m.access(0, L1::Data, 900, false, 0, Cause::Demand);
    assert_eq!(m.install_lines(0, 900..901, 10), 0);
    assert_eq!(m.bypass.reads_avoided, 0);
    // A clean line dropped is no write avoided.
    assert_eq!(m.drop_lines(900..901), 0);
    assert_eq!((m.bypass.lines_dropped, m.bypass.writes_avoided), (1, 0));
}

// ---- property test against plain reference models ----

/// Reference LRU: each set is a list, most recent last.
fn reference_lru(sets: usize, ways: usize, stream: &[u64]) -> Vec<bool> {
    let mut s: Vec<Vec<u64>> = vec![Vec::new(); sets];
    stream
        .iter()
        .map(|&line| {
            let set = &mut s[line as usize % sets];
            if let Some(i) = set.iter().position(|&l| l == line) {
                set.remove(i);
                set.push(line);
                true
            } else {
                if set.len() == ways {
                    set.remove(0);
                }
                set.push(line);
                false
            }
        })
        .collect()
}

/// Reference tree-PLRU: an explicit tree of "go left / go right" flags.
fn reference_plru(sets: usize, ways: usize, stream: &[u64]) -> Vec<bool> {
    let mut lines: Vec<Vec<Option<u64>>> = vec![vec![None; ways]; sets];
    let mut go_right: Vec<Vec<bool>> = vec![vec![false; ways]; sets];
    let depth = ways.trailing_zeros();
    let point_away = |tree: &mut Vec<bool>, way: usize| {
        let mut node = 1;
        for level in (0..depth).rev() {
            let right = (way >> level) & 1 == 1;
            tree[node] = !right;
            node = node * 2 + usize::from(right);
        }
    };
    stream
        .iter()
        .map(|&line| {
            let set = line as usize % sets;
            if let Some(w) = lines[set].iter().position(|&l| l == Some(line)) {
                point_away(&mut go_right[set], w);
                return true;
            }
            let way = match lines[set].iter().position(|l| l.is_none()) {
                Some(w) => w,
                None => {
                    let mut node = 1;
                    let mut way = 0;
                    for _ in 0..depth {
                        let right = go_right[set][node];
                        way = way * 2 + usize::from(right);
                        node = node * 2 + usize::from(right);
                    }
                    way
                }
            };
            lines[set][way] = Some(line);
            point_away(&mut go_right[set], way);
            false
        })
        .collect()
}

/// Reference SRRIP: age the whole set by one until a distant line exists.
fn reference_srrip(sets: usize, ways: usize, stream: &[u64]) -> Vec<bool> {
    let mut lines: Vec<Vec<Option<(u64, u8)>>> = vec![vec![None; ways]; sets];
    stream
        .iter()
        .map(|&line| {
            let set = &mut lines[line as usize % sets];
            if let Some(e) = set.iter_mut().flatten().find(|e| e.0 == line) {
                e.1 = 0;
                return true;
            }
            let way = match set.iter().position(|l| l.is_none()) {
                Some(w) => w,
                None => loop {
                    if let Some(w) = set.iter().position(|l| l.unwrap().1 == 3) {
                        break w;
                    }
                    for e in set.iter_mut().flatten() {
                        e.1 += 1;
                    }
                },
            };
            set[way] = Some((line, 2));
            false
        })
        .collect()
}

fn model(replacement: Replacement, sets: u32, ways: u32, stream: &[u64]) -> Vec<bool> {
    let mut c = Cache::new(&level(sets, ways, replacement), 0);
    stream.iter().map(|&l| touch(&mut c, l).0).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn cache_hits_match_reference_models(
        sets_log in 0u32..4,
        ways_log in 0u32..4,
        stream in prop::collection::vec(0u64..64, 1..400),
    ) {
        let (sets, ways) = (1u32 << sets_log, 1u32 << ways_log);
        let (s, w) = (sets as usize, ways as usize);
        prop_assert_eq!(model(Replacement::Lru, sets, ways, &stream), reference_lru(s, w, &stream));
        prop_assert_eq!(model(Replacement::TreePlru, sets, ways, &stream), reference_plru(s, w, &stream));
        prop_assert_eq!(model(Replacement::Srrip, sets, ways, &stream), reference_srrip(s, w, &stream));
    }

    #[test]
    fn lru_matches_reference_with_odd_associativity(
        ways in 1u32..13,
        stream in prop::collection::vec(0u64..96, 1..300),
    ) {
        prop_assert_eq!(model(Replacement::Lru, 4, ways, &stream), reference_lru(4, ways as usize, &stream));
        prop_assert_eq!(model(Replacement::Srrip, 4, ways, &stream), reference_srrip(4, ways as usize, &stream));
    }
}
