//! The hardware object allocator: what obj-alloc and obj-free hand out,
//! which lists arenas move between, what the HOT and AAC cost.

mod common;

use common::Machine;
use memento_isa::{
    ArenaState, Fallback, HoaError, LineSpan, ListKind, Lookup, Params, SizeClasses, LANES,
};
use std::collections::BTreeSet;

#[test]
fn no_address_is_handed_out_twice_while_live() {
    let mut m = Machine::default();
    let mut live = BTreeSet::new();
    for i in 0..20_000u64 {
        let a = m.alloc((i % 3) as usize, 1 + (i * 37) % 512);
        assert!(live.insert(a), "{a:#x} twice");
        if i % 3 == 0 {
            let victim = *live.iter().nth((i as usize * 7) % live.len()).unwrap();
            m.free(0, victim).unwrap();
            live.remove(&victim);
        }
    }
    assert_eq!(m.hoa.live_objects(), live.len() as u64);
}

#[test]
fn every_address_is_aligned_in_its_arena_body_lane_and_class_span() {
    let mut m = Machine::default();
    let p = Params::default();
    for lane in [0, 7, LANES - 1] {
        for size in 1..=512u64 {
            let a = m.alloc(lane, size);
            let class = p.size_classes.class_of(size).unwrap();
            let csize = u64::from(p.size_classes.size(class).unwrap());
            assert_eq!(a % if csize == 8 { 8 } else { 16 }, 0, "size {size}");
            let loc = m.hoa.region().locate(a).unwrap();
            assert_eq!((loc.lane, loc.class), (lane, class));
            let span = m.hoa.region().span_base(lane, class).unwrap();
            assert!(a >= span && a + csize <= span + p.span_bytes());
            let layout = p.layout(class).unwrap();
            assert!(
                a >= loc.arena + layout.body_offset && a + csize <= loc.arena + layout.arena_bytes
            );
            assert!(loc.slot.is_some());
        }
    }
}

#[test]
fn freeing_an_address_never_given_out_is_reported_and_changes_nothing() {
    let mut m = Machine::default();
    let a = m.alloc(0, 48);
    let b = m.alloc(0, 48);
    m.free(0, b).unwrap();
    let p = Params::default();
    let arena = m.arena(a);
    let before = (*m.hoa.stats(), m.hoa.live_objects(), m.hpa.pool_len());
    let cases = [
        (
            p.region_base - 16,
            HoaError::OutsideRegion(p.region_base - 16),
        ),
        (0, HoaError::OutsideRegion(0)),
        (a + 16, HoaError::NotObjectStart(a + 16)),
        (arena, HoaError::NotObjectStart(arena)),
        (b, HoaError::NotAllocated(b)),
        (b + 48, HoaError::NotAllocated(b + 48)),
        (arena + (1 << 20), HoaError::NoArena(arena + (1 << 20))),
        (
            p.region_base + 30 * p.span_bytes(),
            HoaError::NoArena(p.region_base + 30 * p.span_bytes()),
        ),
    ];
    for (addr, err) in cases {
        assert_eq!(m.free(0, addr), Err(err), "{addr:#x}");
    }
    assert_eq!(m.free(LANES, a), Err(HoaError::InvalidLane(LANES)));
    assert_eq!(
        m.hoa.alloc(LANES, 8, &mut m.hpa, &mut m.fx),
        Err(HoaError::InvalidLane(LANES))
    );
    assert_eq!(
        (*m.hoa.stats(), m.hoa.live_objects(), m.hpa.pool_len()),
        before
    );
    assert!(m.hoa.is_live(a));
    m.free(0, a).unwrap();
}

#[test]
fn a_full_arena_moves_to_the_full_list_and_the_next_one_is_used() {
    let mut m = Machine::default();
    let n = m.slots(256);
    let first = m.allocs(0, 256, n);
    let a1 = m.arena(first[0]);
    assert_eq!(
        m.fx.list_ops, 1,
        "the last slot moves the arena to the full list"
    );
    assert_eq!(m.hoa.list(0, 16, ListKind::Full), vec![a1]);
    assert_eq!(m.hoa.current_arena(0, 16), None);
    let next = m.alloc(0, 256);
    let a2 = m.arena(next);
    assert_ne!(a1, a2);
    assert_eq!(m.fx.new_arena, Some(a2));
    assert_eq!(
        m.fx.hot,
        Some(Lookup::Miss {
            evicted_dirty: Some(a1)
        })
    );
    assert_eq!(m.hoa.current_arena(0, 16), Some(a2));
    assert_eq!(m.hoa.arena_of(a1).unwrap().state, ArenaState::Full);
}

#[test]
fn an_empty_available_list_makes_a_new_arena_with_its_header_page_from_the_pool() {
    let mut m = Machine::default();
    let pool = m.hpa.pool_len();
    let a = m.alloc(2, 100);
    let arena = m.arena(a);
    assert_eq!(m.fx.new_arena, Some(arena));
    assert_eq!(m.fx.pages_taken, vec![arena], "only the header page");
    assert_eq!(m.fx.table_pages_zeroed.len(), 3);
    assert!(
        m.fx.header_reads.is_empty(),
        "a new header is made, not read"
    );
    assert_eq!(m.hpa.pool_len(), pool - 4);
    assert!(m.hpa.is_backed(arena));
    assert!(!m.hpa.is_backed(arena + 4096));
    assert_eq!(m.hoa.stats().arenas_created, 1);
}

#[test]
fn an_empty_pool_makes_alloc_fall_back_and_say_so() {
    let mut m = Machine::new(&Params {
        pool_pages: 3,
        ..Params::default()
    });
    assert_eq!(m.alloc(0, 64), 0);
    assert_eq!(m.fx.fallback, Some(Fallback::PoolEmpty));
    assert_eq!(m.fx.object, 0);
    assert_eq!(m.hoa.stats().fallbacks.pool_empty, 1);
    assert!(m.hoa.arenas(ArenaState::Current).is_empty());
    m.hpa.refill(1);
    assert_ne!(m.alloc(0, 64), 0);
}

#[test]
fn zero_and_oversized_requests_fall_back() {
    let mut m = Machine::default();
    assert_eq!(m.alloc(0, 0), 0);
    assert_eq!(m.fx.fallback, Some(Fallback::ZeroSize));
    assert_eq!(m.alloc(0, 513), 0);
    assert_eq!(m.fx.fallback, Some(Fallback::TooLarge));
    assert_eq!(m.alloc(0, u64::MAX), 0);
    let f = m.hoa.stats().fallbacks;
    assert_eq!((f.zero_size, f.too_large, f.total()), (1, 2, 3));
}

#[test]
fn a_class_span_without_room_falls_back() {
    // 1 GiB lanes: 32 MiB spans, so 2048 arenas of 16 KiB for 8 B objects.
    let mut p = Params {
        lane_bytes: 1 << 30,
        pool_pages: 1 << 20,
        ..Params::default()
    };
    p.region_base = 0x6000_0000_0000;
    let mut m = Machine::new(&p);
    let n = m.slots(8) * (p.span_bytes() / p.arena_bytes[0]);
    for _ in 0..n {
        assert_ne!(m.alloc(0, 8), 0);
    }
    assert_eq!(m.alloc(0, 8), 0);
    assert_eq!(m.fx.fallback, Some(Fallback::SpanExhausted));
    assert_ne!(m.alloc(1, 8), 0, "other lanes have their own span");
}

#[test]
fn a_free_into_a_full_arena_returns_it_to_the_available_list() {
    let mut m = Machine::default();
    let n = m.slots(64);
    let objs = m.allocs(0, 64, 2 * n);
    let (a1, a2) = (m.arena(objs[0]), m.arena(objs[n as usize]));
    assert_eq!(m.hoa.list(0, 4, ListKind::Full), vec![a2, a1]);
    m.free(0, objs[3]).unwrap();
    assert_eq!(
        m.fx.list_ops, 2,
        "off the full list, onto the available one"
    );
    // a2 heads the full list and is the HOT's, so only a2's cached header changes.
    assert!(m.fx.header_writes.is_empty() || m.fx.header_writes.contains(&a2));
    assert_eq!(m.hoa.list(0, 4, ListKind::Full), vec![a2]);
    assert_eq!(m.hoa.list(0, 4, ListKind::Available), vec![a1]);
    assert_eq!(
        m.alloc(0, 64),
        objs[3],
        "the next alloc takes the freed slot"
    );
    assert_eq!(m.hoa.current_arena(0, 4), None, "a1 is full again");
}

#[test]
fn a_list_operation_touches_the_link_line_of_uncached_neighbours() {
    let mut m = Machine::default();
    let n = m.slots(32) as usize;
    let objs = m.allocs(0, 32, (3 * n) as u64);
    let arenas: Vec<u64> = (0..3).map(|i| m.arena(objs[i * n])).collect();
    assert_eq!(
        m.hoa.list(0, 2, ListKind::Full),
        vec![arenas[2], arenas[1], arenas[0]]
    );
    m.flush(0);
    m.free(0, objs[n]).unwrap(); // the middle arena
    assert_eq!(
        m.fx.aac,
        Some(Lookup::Miss {
            evicted_dirty: None
        })
    );
    let mut reads = m.header(arenas[1]);
    reads.extend([arenas[2], arenas[0]]); // unlink: prev and next links
    assert_eq!(m.fx.header_reads, reads);
    assert_eq!(m.fx.header_writes, vec![arenas[2], arenas[0]]);
    assert_eq!(m.hoa.list(0, 2, ListKind::Full), vec![arenas[2], arenas[0]]);
}

#[test]
fn an_arena_that_empties_is_released_and_its_pages_go_back_to_the_pool() {
    let mut m = Machine::default();
    let n = m.slots(128) as usize;
    let objs = m.allocs(0, 128, (n + 1) as u64);
    let a1 = m.arena(objs[0]);
    let bytes = Params::default().arena_bytes[8];
    for p in (a1..a1 + bytes).step_by(4096) {
        m.hpa.touch(p, &mut m.fx).unwrap();
    }
    let pool = m.hpa.pool_len();
    for &o in &objs[..n] {
        m.free(0, o).unwrap();
    }
    assert_eq!(m.fx.released_arena, Some(a1));
    assert_eq!(m.fx.pages_released.len() as u64, bytes / 4096);
    assert_eq!(
        m.fx.lines_to_drop,
        vec![LineSpan {
            start: a1,
            end: a1 + bytes
        }]
    );
    assert_eq!(m.hpa.pool_len(), pool + bytes / 4096);
    assert!(m.hoa.arena_of(a1).is_none());
    assert_eq!(m.free(0, objs[0]), Err(HoaError::NoArena(objs[0])));
    assert_eq!(m.hoa.stats().arenas_released, 1);
    assert!(m.hoa.list(0, 8, ListKind::Available).is_empty());
    // The current arena stays even when empty; the released one is reused.
    m.free(0, objs[n]).unwrap();
    assert_eq!(m.fx.released_arena, None);
    let more = m.allocs(0, 128, (n + 1) as u64);
    assert_eq!(m.arena(more[n]), a1, "released arena slot reused");
}

#[test]
fn empty_arenas_stay_when_release_is_off() {
    let mut m = Machine::new(&Params {
        release_empty_arenas: false,
        ..Params::default()
    });
    let n = m.slots(128) as usize;
    let objs = m.allocs(0, 128, (n + 1) as u64);
    for &o in &objs[..n] {
        m.free(0, o).unwrap();
    }
    assert_eq!(m.hoa.arenas(ArenaState::Available).len(), 1);
    assert_eq!(m.hoa.stats().arenas_released, 0);
}

/// Lines of live objects other than `except`, as byte ranges.
fn overlaps_live(span: LineSpan, live: &BTreeSet<(u64, u64)>, except: u64) -> bool {
    live.iter()
        .any(|&(a, size)| a != except && a < span.end && span.start < a + size)
}

#[test]
fn lines_to_install_and_drop_never_hold_another_live_object() {
    let mut m = Machine::default();
    let mut live = BTreeSet::new();
    let (mut installs, mut drops) = (0, 0);
    for i in 0..3000u64 {
        let size = [8, 24, 48, 80, 96, 160, 288][(i % 7) as usize];
        let csize = u64::from(
            m.hoa
                .params()
                .size_classes
                .size(m.hoa.params().size_classes.class_of(size).unwrap())
                .unwrap(),
        );
        let a = m.alloc(0, size);
        if let Some(s) = m.fx.lines_to_install {
            installs += 1;
            assert!(!overlaps_live(s, &live, a), "install {s:x?} for {a:#x}");
            assert!(
                s.start <= a + csize && s.end >= a,
                "install lies over the object"
            );
        }
        live.insert((a, csize));
        if i % 2 == 1 {
            let victim = *live.iter().nth((i as usize * 13) % live.len()).unwrap();
            m.free(0, victim.0).unwrap();
            live.remove(&victim);
            for s in m.fx.lines_to_drop.clone() {
                drops += 1;
                assert!(!overlaps_live(s, &live, 0), "drop {s:x?}");
            }
        }
    }
    assert!(installs > 1000 && drops > 500, "{installs} {drops}");
}

#[test]
fn the_hot_hits_for_a_class_in_steady_state() {
    let mut m = Machine::default();
    for _ in 0..10 {
        let a = m.alloc(0, 40);
        m.free(0, a).unwrap();
    }
    let s = m.hoa.stats();
    assert_eq!((s.alloc_hot.hits, s.alloc_hot.misses), (9, 1));
    assert_eq!((s.free_hot.hits, s.free_hot.misses), (10, 0));
    let a = m.alloc(0, 40);
    assert_eq!(m.fx.hot, Some(Lookup::Hit));
    assert!(m.fx.header_reads.is_empty() && m.fx.header_writes.is_empty());
    m.free(0, a).unwrap();
    assert_eq!(m.fx.hot, Some(Lookup::Hit));
}

#[test]
fn more_classes_than_hot_entries_in_rotation_thrash_the_hot() {
    let p = Params::with_classes(SizeClasses::uniform(4).unwrap());
    let mut m = Machine::new(&Params {
        pool_pages: 1 << 20,
        ..p
    });
    for _ in 0..3 {
        for size in (4..=512).step_by(4) {
            m.alloc(0, size);
        }
    }
    let s = m.hoa.stats();
    assert_eq!(s.alloc_hot.hits, 0, "classes c and c+64 evict each other");
    assert_eq!(s.alloc_hot.misses, 3 * 128);
    // Only the first half: every other access hits again.
    let mut m = Machine::new(&Params {
        pool_pages: 1 << 20,
        ..Params::with_classes(SizeClasses::uniform(4).unwrap())
    });
    for _ in 0..3 {
        for size in (4..=256).step_by(4) {
            m.alloc(0, size);
        }
    }
    assert_eq!(m.hoa.stats().alloc_hot.hits, 2 * 64);
}

#[test]
fn a_free_that_misses_the_hot_fills_the_aac_and_hits_it_next_time() {
    let mut m = Machine::default();
    let n = m.slots(16) as usize;
    let objs = m.allocs(0, 16, (n + 1) as u64);
    let a1 = m.arena(objs[0]);
    m.free(0, objs[0]).unwrap();
    assert_eq!(
        m.fx.hot,
        Some(Lookup::Miss {
            evicted_dirty: None
        })
    );
    assert_eq!(
        m.fx.aac,
        Some(Lookup::Miss {
            evicted_dirty: None
        })
    );
    assert_eq!(m.fx.header_reads.first(), Some(&a1));
    m.free(0, objs[1]).unwrap();
    assert_eq!(m.fx.aac, Some(Lookup::Hit));
    assert!(m.fx.header_reads.is_empty());
    assert_eq!(m.hoa.aac(0).unwrap().lru_order(), vec![a1]);
    let s = m.hoa.stats();
    assert_eq!((s.free_aac.hits, s.free_aac.misses), (1, 1));
}

#[test]
fn the_aac_evicts_its_least_recently_used_header() {
    let p = Params {
        aac_entries: 2,
        ..Params::default()
    };
    let mut m = Machine::new(&p);
    // Three full arenas of 8 B objects are not current: frees go to the AAC.
    let n = m.slots(8) as usize;
    let objs = m.allocs(0, 8, (3 * n + 1) as u64);
    let arena = |i: usize| m.arena(objs[i * n]);
    let (a0, a1, a2) = (arena(0), arena(1), arena(2));
    m.free(0, objs[0]).unwrap();
    m.free(0, objs[n]).unwrap();
    m.free(0, objs[1]).unwrap();
    assert_eq!(m.hoa.aac(0).unwrap().lru_order(), vec![a0, a1]);
    m.free(0, objs[2 * n]).unwrap();
    assert_eq!(
        m.fx.aac,
        Some(Lookup::Miss {
            evicted_dirty: Some(a1)
        })
    );
    // The victim's header is written back, then a1's link line, as a2
    // goes on the available list ahead of it.
    let mut writes = m.header(a1);
    writes.push(a1);
    assert_eq!(m.fx.header_writes, writes);
    assert_eq!(m.hoa.aac(0).unwrap().lru_order(), vec![a2, a0]);
}

#[test]
fn flush_writes_back_exactly_the_dirty_hot_headers() {
    let mut m = Machine::default();
    let a = m.alloc(0, 8);
    m.alloc(0, 512);
    m.alloc(0, 100);
    let arenas: Vec<u64> = m.hoa.arenas(ArenaState::Current);
    m.flush(0);
    let expected: Vec<u64> = arenas.iter().flat_map(|&a| m.header(a)).collect();
    let mut got = m.fx.header_writes.clone();
    got.sort_unstable();
    assert_eq!(got, expected);
    m.flush(0);
    assert!(m.fx.header_writes.is_empty(), "nothing left to write");
    m.free(0, a).unwrap();
    assert_eq!(
        m.fx.hot,
        Some(Lookup::Miss {
            evicted_dirty: None
        })
    );
    assert_eq!(m.hoa.stats().flushes, 2);
}

#[test]
fn a_free_from_another_core_goes_to_the_owners_lists() {
    let mut m = Machine::default();
    let n = m.slots(64) as usize;
    let objs = m.allocs(3, 64, (n + 1) as u64);
    m.free(5, objs[0]).unwrap();
    assert_eq!(
        m.fx.hot,
        Some(Lookup::Miss {
            evicted_dirty: None
        })
    );
    let a = m.hoa.arena_of(objs[0]).unwrap();
    assert_eq!((a.lane, a.state), (3, ArenaState::Available));
    assert_eq!(m.hoa.list(3, 4, ListKind::Available), vec![a.base]);
    assert_eq!(m.hoa.aac(5).unwrap().lru_order(), vec![a.base]);
}
