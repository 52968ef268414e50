//! Helpers shared by the whole-machine tests.
#![allow(dead_code)] // each test file uses a different subset

use memento_sim::{Config, Machine, Stats};
use memento_trace::Event;

pub fn small() -> Config {
    Config::preset("small").unwrap()
}

pub fn run(config: &Config, events: Vec<Event>) -> Stats {
    Machine::new(config)
        .unwrap()
        .run(vec![events.into_iter()])
        .unwrap()
}

/// A deterministic scatter of `n` line-aligned addresses over `span` bytes.
pub fn scattered(n: usize, span: u64) -> Vec<u64> {
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            0x4000_0000 + (x % (span / 64)) * 64
        })
        .collect()
}

pub fn loads(addrs: &[u64], size: u32, gap: u64) -> Vec<Event> {
    addrs
        .iter()
        .flat_map(|&addr| [Event::Load { addr, size }, Event::Gap { count: gap }])
        .collect()
}

/// Lines spread over 192 KiB: three times the small LLC, within the STLB's
/// reach, so that after the first touch of each page only the caches and
/// DRAM matter.
pub const SPAN: u64 = 192 << 10;

pub fn dram_floor(c: &Config) -> u64 {
    let t = c.dram.load_standard(None).unwrap().timing;
    u64::from(t.rcd + t.cl + t.burst) * 3000 / 1600
}

pub const ANON: u32 = 0x22; // MAP_PRIVATE | MAP_ANONYMOUS

pub fn mmap(addr: u64, len: u64) -> Event {
    Event::Mmap {
        addr,
        len,
        prot: 3,
        flags: ANON,
    }
}

pub fn touch_pages(base: u64, pages: u64) -> Vec<Event> {
    (0..pages)
        .map(|p| Event::Store {
            addr: base + p * 4096,
            size: 8,
        })
        .collect()
}
