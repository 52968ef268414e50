//! The kernel model's page bookkeeping and the DRAM address mapping.

use memento_sim::config::MapField;
use memento_sim::dram::{AddressMapping, Location};
use memento_sim::kernel::{Fault, Kernel, MAP_ANONYMOUS};
use proptest::prelude::*;

const PAGE: u64 = 4096;

#[test]
fn pages_outside_known_mappings_never_fault() {
    let mut k = Kernel::new(4096);
    assert_eq!(k.touch(0x1234), None);
}

#[test]
fn file_mappings_fault_without_zeroing() {
    let mut k = Kernel::new(4096);
    let mut dropped = Vec::new();
    k.mmap(0x10 * PAGE, 4 * PAGE, 0x2, &mut dropped);
    assert_eq!(k.touch(0x11), Some(Fault::File));
    assert_eq!(k.touch(0x11), None);
}

#[test]
fn munmap_of_the_middle_keeps_both_ends_mapped() {
    let mut k = Kernel::new(4096);
    let mut dropped = Vec::new();
    k.mmap(0x10 * PAGE, 8 * PAGE, MAP_ANONYMOUS, &mut dropped);
    for p in 0x10..0x18 {
        assert_eq!(k.touch(p), Some(Fault::Anonymous));
    }
    k.munmap(0x12 * PAGE, 2 * PAGE, &mut dropped);
    assert_eq!(dropped, vec![0x12, 0x13]);
    // Still-mapped pages stay touched; the hole is unknown memory now.
    assert_eq!(k.touch(0x11), None);
    assert_eq!(k.touch(0x12), None);
    assert_eq!(k.touch(0x15), None);
    // Mapping the hole again makes it fault again.
    k.mmap(0x12 * PAGE, 2 * PAGE, MAP_ANONYMOUS, &mut dropped);
    assert_eq!(k.touch(0x12), Some(Fault::Anonymous));
}

#[test]
fn mremap_moves_touched_pages_without_new_faults() {
    let mut k = Kernel::new(4096);
    let mut dropped = Vec::new();
    k.mmap(0x10 * PAGE, 2 * PAGE, MAP_ANONYMOUS, &mut dropped);
    k.touch(0x10);
    k.touch(0x11);
    k.mremap(0x10 * PAGE, 2 * PAGE, 0x40 * PAGE, 4 * PAGE, &mut dropped);
    assert_eq!(k.touch(0x40), None);
    assert_eq!(k.touch(0x41), None);
    assert_eq!(k.touch(0x42), Some(Fault::Anonymous));
    assert_eq!(k.touch(0x10), None, "the old range is gone");
}

#[test]
fn madvise_other_than_dontneed_keeps_pages() {
    let mut k = Kernel::new(4096);
    let mut dropped = Vec::new();
    k.mmap(0x10 * PAGE, 2 * PAGE, MAP_ANONYMOUS, &mut dropped);
    k.touch(0x10);
    k.madvise(0x10 * PAGE, PAGE, 3, &mut dropped); // MADV_WILLNEED
    assert!(dropped.is_empty());
    k.madvise(0x10 * PAGE, PAGE, 4, &mut dropped);
    assert_eq!(dropped, vec![0x10]);
}

fn mapping() -> AddressMapping {
    let order = [
        MapField::Row,
        MapField::Rank,
        MapField::Bank,
        MapField::Column,
        MapField::BankGroup,
        MapField::Channel,
    ];
    AddressMapping::new(&order, 64, |f| match f {
        MapField::Channel => 2,
        MapField::Rank => 4,
        MapField::BankGroup => 4,
        MapField::Bank => 4,
        MapField::Row => 65536,
        MapField::Column => 128,
    })
}

#[test]
fn consecutive_lines_alternate_channels_then_bank_groups() {
    let m = mapping();
    let l: Vec<Location> = (0..4).map(|i| m.locate(i * 64)).collect();
    assert_eq!((l[0].channel, l[1].channel, l[2].channel), (0, 1, 0));
    assert_eq!((l[0].bank_group, l[2].bank_group), (0, 1));
    assert_eq!(m.locate(8 * 64).column, 1);
}

proptest! {
    #[test]
    fn address_and_locate_are_inverse(line in 0u64..(1 << 30)) {
        let m = mapping();
        let addr = line * 64;
        prop_assert_eq!(m.address(m.locate(addr)), addr);
    }
}

#[test]
fn random_frames_keep_a_page_together_and_scatter_consecutive_pages() {
    let mut m = mapping();
    let plain = m.clone();
    m.randomize_frames(4096);
    // The offset in the page stays: its 64 lines (channel, bank group and
    // the column's low 3 bits here) are laid out as in any frame, and the
    // rest of the location is the frame's.
    let base = m.locate(7 << 12);
    for line in 0..64u64 {
        let (a, b) = (m.locate((7 << 12) + line * 64), plain.locate(line * 64));
        assert_eq!(
            (a.channel, a.bank_group, a.column % 8),
            (b.channel, b.bank_group, b.column % 8),
            "line {line}"
        );
        assert_eq!(
            (a.row, a.rank, a.bank, a.column / 8),
            (base.row, base.rank, base.bank, base.column / 8),
            "line {line}"
        );
    }
    // 1024 consecutive pages: as given they fill 4 rows (of 1 MiB across
    // the banks); at random frames nearly every page is in a row of its
    // own.
    let rows = |m: &AddressMapping| {
        let mut r: Vec<u32> = (0..1024u64).map(|p| m.locate(p << 12).row).collect();
        r.sort_unstable();
        r.dedup();
        r.len()
    };
    assert_eq!(rows(&plain), 4);
    assert!(rows(&m) > 1000, "{} rows", rows(&m));
}

proptest! {
    #[test]
    fn random_frames_never_put_two_pages_at_one_frame(a in any::<u64>(), b in any::<u64>()) {
        let mut m = mapping();
        m.randomize_frames(4096);
        prop_assume!(a >> 12 != b >> 12);
        prop_assert_ne!(m.placed(a) >> 12, m.placed(b) >> 12);
        prop_assert_eq!(m.placed(a) & 4095, a & 4095);
    }
}
