//! The baseline kernel's costs on the whole machine: first-touch faults,
//! zeroing traffic, pages dropped by munmap, madvise and brk.

mod common;

use common::*;
use memento_trace::Event;

#[test]
fn first_touch_of_an_anonymous_page_faults_once() {
    let base = 0x5000_0000;
    let mut events = vec![mmap(base, 4 * 4096)];
    events.extend(touch_pages(base, 4));
    events.extend(touch_pages(base, 4));
    let s = run(&small(), events);
    let k = &s.cores[0].kernel;
    assert_eq!((k.page_faults, k.zeroed_pages, k.mmaps), (4, 4, 1));
    let cfg = small().kernel;
    let expected = u64::from(cfg.mmap_cycles)
        + 4 * u64::from(cfg.page_fault_cycles + 64 * cfg.zero_line_cycles);
    assert_eq!(k.cycles, expected);
}

#[test]
fn munmapped_pages_fault_again() {
    let base = 0x5000_0000;
    let mut events = vec![mmap(base, 4 * 4096)];
    events.extend(touch_pages(base, 4));
    events.push(Event::Munmap {
        addr: base,
        len: 4 * 4096,
    });
    events.push(mmap(base, 4 * 4096));
    events.extend(touch_pages(base, 4));
    let s = run(&small(), events);
    assert_eq!(s.cores[0].kernel.page_faults, 8);
    assert_eq!(s.cores[0].kernel.dropped_pages, 4);
}

#[test]
fn madvise_dontneed_drops_pages_so_they_fault_again() {
    let base = 0x5000_0000;
    let mut events = vec![mmap(base, 4 * 4096)];
    events.extend(touch_pages(base, 4));
    events.push(Event::Madvise {
        addr: base,
        len: 2 * 4096,
        advice: 4,
    });
    events.extend(touch_pages(base, 4));
    let s = run(&small(), events);
    assert_eq!(s.cores[0].kernel.page_faults, 6);
}

#[test]
fn brk_growth_is_anonymous_memory() {
    let mut events = vec![Event::Brk {
        old: 0x60_0000,
        new: 0x60_3000,
    }];
    events.extend(touch_pages(0x60_0000, 3));
    events.push(Event::Brk {
        old: 0x60_3000,
        new: 0x60_1000,
    });
    events.push(Event::Brk {
        old: 0x60_1000,
        new: 0x60_3000,
    });
    events.extend(touch_pages(0x60_0000, 3));
    let s = run(&small(), events);
    assert_eq!(s.cores[0].kernel.page_faults, 5);
}

#[test]
fn zeroed_pages_reach_dram_as_zeroing_writes_when_evicted() {
    let c = small();
    let base = 0x5000_0000;
    let mut events = vec![mmap(base, 64 * 4096)];
    events.extend((0..64).map(|p| Event::Load {
        addr: base + p * 4096,
        size: 8,
    }));
    // Sweep memory outside any mapping (no faults) to evict everything.
    let llc_bytes = u64::from(c.llc.sets * c.llc.ways * c.line_size * c.cores);
    events.extend((0..4 * llc_bytes / 64).map(|i| Event::Load {
        addr: 0x9000_0000 + i * 64,
        size: 8,
    }));
    let s = run(&c, events);
    assert_eq!(s.dram.writes.page_zeroing, 64 * 64);
    assert_eq!(s.dram.writes.writeback, 0);
}
