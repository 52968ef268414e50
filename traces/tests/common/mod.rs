//! Random events for property tests.
#![allow(dead_code)]

use memento_trace::{Alloc, AllocFn, AllocLevel, Event, Free, Realloc};
use proptest::prelude::*;

fn addr() -> impl Strategy<Value = u64> {
    prop_oneof![
        any::<u64>(),
        0x7ff0_0000_0000u64..0x7ff0_0010_0000,
        0x5555_0000_0000u64..0x5555_0001_0000,
        Just(0u64),
    ]
}

fn func() -> impl Strategy<Value = AllocFn> {
    prop::sample::select(AllocFn::ALL)
}

fn level() -> impl Strategy<Value = AllocLevel> {
    prop::sample::select(AllocLevel::ALL)
}

/// Any event the format can hold.
pub fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        6 => (addr(), prop_oneof![Just(1u32), Just(2), Just(4), Just(8), 1u32..300])
            .prop_map(|(addr, size)| Event::Load { addr, size }),
        6 => (addr(), prop_oneof![Just(1u32), Just(2), Just(4), Just(8), 1u32..300])
            .prop_map(|(addr, size)| Event::Store { addr, size }),
        4 => (addr(), 1u32..100, 1u32..200).prop_map(|(addr, len, count)| Event::Block { addr, len, count }),
        // A few blocks that repeat, as loops do, so repeat opcodes are used.
        4 => (0u64..6, 0u32..2).prop_map(|(i, n)| Event::Block { addr: 0x40_1000 + i * 0x20, len: 0x20, count: 5 + n }),
        3 => (0u64..64, prop::sample::select(vec![1u32, 2, 4, 8])).prop_map(|(i, size)| Event::Load { addr: 0x7ffe_0000 + i * 4, size }),
        2 => (1u64..100_000).prop_map(|count| Event::Gap { count }),
        1 => (func(), level(), any::<u64>(), any::<u64>(), addr(), addr())
            .prop_map(|(func, level, size, align, addr, site)| Event::Alloc(Alloc { func, level, size, align, addr, site })),
        1 => (func(), level(), addr(), addr()).prop_map(|(func, level, addr, site)| Event::Free(Free { func, level, addr, site })),
        1 => (func(), level(), addr(), addr(), any::<u64>(), addr())
            .prop_map(|(func, level, old_addr, new_addr, size, site)| Event::Realloc(Realloc { func, level, old_addr, new_addr, size, site })),
        1 => func().prop_map(|func| Event::AllocEnter { func }),
        1 => Just(Event::AllocExit),
        1 => (addr(), any::<u64>(), any::<u32>(), any::<u32>()).prop_map(|(addr, len, prot, flags)| Event::Mmap { addr, len, prot, flags }),
        1 => (addr(), any::<u64>()).prop_map(|(addr, len)| Event::Munmap { addr, len }),
        1 => (addr(), addr()).prop_map(|(old, new)| Event::Brk { old, new }),
        1 => (addr(), any::<u64>(), any::<u32>()).prop_map(|(addr, len, advice)| Event::Madvise { addr, len, advice }),
        1 => (addr(), any::<u64>(), addr(), any::<u64>()).prop_map(|(old_addr, old_len, new_addr, new_len)| Event::Mremap { old_addr, old_len, new_addr, new_len }),
        1 => any::<u32>().prop_map(|tid| Event::Thread { tid }),
        1 => Just(Event::RoiBegin),
        1 => Just(Event::RoiEnd),
        1 => any::<u64>().prop_map(|id| Event::InvocationBegin { id }),
        1 => any::<u64>().prop_map(|id| Event::InvocationEnd { id }),
        3 => (1u8..=255).prop_map(|distance| Event::Dep { distance }),
    ]
}
