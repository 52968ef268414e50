//! Random interleavings of obj-alloc and obj-free against a map of live
//! objects: live objects never overlap, frees of live objects succeed,
//! frees of anything else are refused, and the counts agree.

mod common;

use common::Machine;
use memento_isa::{Fallback, Params, SizeClasses};
use proptest::prelude::*;
use std::collections::BTreeMap;

#[derive(Debug, Clone)]
enum Op {
    Alloc {
        lane: usize,
        size: u64,
    },
    /// Frees the live object at this position (modulo their count).
    Free {
        lane: usize,
        pick: usize,
    },
    /// Frees an address that is not a live object's start.
    BadFree {
        lane: usize,
        pick: usize,
        offset: u64,
    },
    Flush {
        lane: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let lane = 0usize..4;
    prop_oneof![
        6 => (lane.clone(), 0u64..600).prop_map(|(lane, size)| Op::Alloc { lane, size }),
        4 => (lane.clone(), any::<usize>()).prop_map(|(lane, pick)| Op::Free { lane, pick }),
        1 => (lane.clone(), any::<usize>(), 1u64..8).prop_map(|(lane, pick, offset)| Op::BadFree { lane, pick, offset }),
        1 => lane.prop_map(|lane| Op::Flush { lane }),
    ]
}

fn params() -> impl Strategy<Value = Params> {
    let flags = (any::<bool>(), any::<bool>(), any::<bool>());
    (flags, 1usize..64, 0usize..8).prop_map(|((uniform, small, release), hot, aac)| {
        let classes = if uniform {
            SizeClasses::uniform(16).unwrap()
        } else {
            SizeClasses::default()
        };
        let mut p = Params {
            hot_entries: hot,
            aac_entries: aac,
            release_empty_arenas: release,
            pool_pages: 1 << 20,
            ..Params::with_classes(classes)
        };
        if small {
            // Arenas of 8 to 16 objects, so that they fill and empty often.
            for (bytes, &size) in p.arena_bytes.iter_mut().zip(p.size_classes.sizes()) {
                *bytes = (u64::from(size) * 8 + 512).next_power_of_two().max(4096);
            }
        }
        p
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_allocs_and_frees_agree_with_a_map_of_live_objects(
        p in params(),
        ops in prop::collection::vec(op(), 1..1500),
    ) {
        let mut m = Machine::new(&p);
        let classes = p.size_classes.clone();
        let mut live: BTreeMap<u64, u64> = BTreeMap::new();
        let (mut allocs, mut frees) = (0u64, 0u64);
        for op in ops {
            match op {
                Op::Alloc { lane, size } => {
                    let a = m.alloc(lane, size);
                    let Some(class) = classes.class_of(size) else {
                        prop_assert_eq!(a, 0);
                        let why = if size == 0 { Fallback::ZeroSize } else { Fallback::TooLarge };
                        prop_assert_eq!(m.fx.fallback, Some(why));
                        continue;
                    };
                    prop_assert_ne!(a, 0);
                    let csize = u64::from(classes.size(class).unwrap());
                    if let Some((&b, &bs)) = live.range(..a + csize).next_back() {
                        prop_assert!(b + bs <= a, "{:#x}+{} overlaps {:#x}+{}", a, csize, b, bs);
                    }
                    live.insert(a, csize);
                    allocs += 1;
                }
                Op::Free { lane, pick } if !live.is_empty() => {
                    let a = *live.keys().nth(pick % live.len()).unwrap();
                    prop_assert_eq!(m.free(lane, a), Ok(()));
                    live.remove(&a);
                    frees += 1;
                }
                Op::Free { .. } => {}
                Op::BadFree { lane, pick, offset } => {
                    let bad = match live.keys().nth(pick % live.len().max(1)) {
                        Some(&a) if pick % 2 == 0 => a + offset,
                        _ => p.region_base + (pick as u64 % (1 << 30)) * 8,
                    };
                    if !live.contains_key(&bad) {
                        let before = m.hoa.live_objects();
                        prop_assert!(m.free(lane, bad).is_err(), "free of {:#x} accepted", bad);
                        prop_assert_eq!(m.hoa.live_objects(), before);
                    }
                }
                Op::Flush { lane } => m.hoa.flush(lane, &mut m.fx).unwrap(),
            }
        }
        prop_assert_eq!(m.hoa.live_objects(), live.len() as u64);
        let s = m.hoa.stats();
        prop_assert_eq!((s.allocs, s.frees), (allocs, frees));
        prop_assert_eq!(s.alloc_hot.hits + s.alloc_hot.misses, allocs);
        prop_assert_eq!(s.free_hot.hits + s.free_hot.misses, frees);
        for &a in live.keys() {
            prop_assert!(m.hoa.is_live(a));
        }
        let h = m.hpa.stats();
        prop_assert_eq!(m.hpa.pool_len() + m.hpa.resident_pages() - 1, p.pool_pages);
        prop_assert_eq!(h.pages_taken - h.pages_released, m.hpa.data_pages());
        for &a in live.keys() {
            prop_assert_eq!(m.free(0, a), Ok(()));
        }
        prop_assert_eq!(m.hoa.live_objects(), 0);
    }
}
