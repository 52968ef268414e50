//! The hardware page allocator: pool, backing on first touch, the Memento
//! page table.

use memento_isa::params::ENTRY_BYTES;
use memento_isa::{Effects, HardwarePageAllocator, OutsideRegion, Params, Touch};

fn setup(pool: u64) -> (Params, HardwarePageAllocator, Effects) {
    let p = Params {
        pool_pages: pool,
        ..Params::default()
    };
    let hpa = HardwarePageAllocator::new(&p).unwrap();
    (p, hpa, Effects::new())
}

#[test]
fn first_touch_fills_from_the_pool_with_its_missing_table_pages() {
    let (p, mut hpa, mut fx) = setup(100);
    assert_eq!(hpa.table_pages(), 1, "the root is set up with the region");
    let a = p.region_base + 0x1234;
    assert_eq!(hpa.touch(a, &mut fx), Ok(Touch::Filled));
    assert_eq!(fx.pages_taken, vec![p.region_base + 0x1000]);
    let t = p.table_base;
    assert_eq!(
        fx.table_pages_zeroed,
        vec![t + 4096, t + 2 * 4096, t + 3 * 4096]
    );
    assert_eq!(hpa.pool_len(), 96);
    assert_eq!(hpa.resident_pages(), 5);
    assert_eq!(hpa.table_pages_per_level(), &[1, 1, 1, 1]);
    assert!(hpa.is_backed(a));
}

#[test]
fn table_pages_are_allocated_once() {
    let (p, mut hpa, mut fx) = setup(100);
    hpa.touch(p.region_base, &mut fx).unwrap();
    fx.clear();
    assert_eq!(hpa.touch(p.region_base + 4096, &mut fx), Ok(Touch::Filled));
    assert!(fx.table_pages_zeroed.is_empty(), "same leaf table");
    assert_eq!(hpa.touch(p.region_base + 8, &mut fx), Ok(Touch::Backed));
    fx.clear();
    hpa.touch(p.region_base + (2 << 20), &mut fx).unwrap();
    assert_eq!(
        fx.table_pages_zeroed.len(),
        1,
        "a new 2 MiB range needs a new leaf only"
    );
    fx.clear();
    hpa.touch(p.region_base + (1 << 30), &mut fx).unwrap();
    assert_eq!(
        fx.table_pages_zeroed.len(),
        2,
        "a new 1 GiB range needs two"
    );
    assert_eq!(hpa.stats().table_pages_zeroed, 6);
    assert_eq!(hpa.table_pages_per_level(), &[1, 1, 2, 3]);
}

#[test]
fn the_walker_reads_real_entry_addresses_once_tables_exist() {
    let (p, mut hpa, mut fx) = setup(100);
    let v = p.region_base + (5 << 12) + (3 << 21);
    let root = hpa.table_entry_address(0, v).unwrap();
    assert_eq!(root, p.table_base + ((v >> 39) & 511) * ENTRY_BYTES);
    assert_eq!(hpa.table_entry_address(3, v), None);
    hpa.touch(v, &mut fx).unwrap();
    let leaf_table = fx.table_pages_zeroed[2];
    assert_eq!(
        hpa.table_entry_address(3, v),
        Some(leaf_table + 5 * ENTRY_BYTES)
    );
    assert_eq!(
        hpa.table_entry_address(2, v),
        Some(fx.table_pages_zeroed[1] + 3 * ENTRY_BYTES)
    );
    assert_eq!(hpa.table_entry_address(4, v), None);
}

#[test]
fn release_returns_a_backed_page_to_the_pool() {
    let (p, mut hpa, mut fx) = setup(10);
    hpa.touch(p.region_base, &mut fx).unwrap();
    fx.clear();
    assert_eq!(hpa.release(p.region_base + 100, &mut fx), Ok(true));
    assert_eq!(fx.pages_released, vec![p.region_base]);
    assert_eq!(hpa.pool_len(), 7, "table pages stay");
    assert_eq!(hpa.release(p.region_base, &mut fx), Ok(false));
    assert!(!hpa.is_backed(p.region_base));
    assert_eq!(hpa.stats().pages_released, 1);
}

#[test]
fn an_empty_pool_is_reported_and_changes_nothing() {
    let (p, mut hpa, mut fx) = setup(3);
    assert_eq!(hpa.touch(p.region_base, &mut fx), Ok(Touch::PoolEmpty));
    assert!(fx.pages_taken.is_empty() && fx.table_pages_zeroed.is_empty());
    assert_eq!((hpa.pool_len(), hpa.table_pages()), (3, 1));
    assert_eq!(hpa.stats().empty_pool_events, 1);
    hpa.refill(1);
    assert_eq!(hpa.touch(p.region_base, &mut fx), Ok(Touch::Filled));
    assert_eq!(hpa.pool_len(), 0);
    assert_eq!(hpa.stats().refills, 1);
}

#[test]
fn parameters_that_do_not_validate_build_no_model() {
    let p = Params {
        lane_bytes: 3,
        ..Params::default()
    };
    assert_eq!(
        HardwarePageAllocator::new(&p).unwrap_err().field,
        "lane_bytes"
    );
    assert!(memento_isa::HardwareObjectAllocator::new(&p).is_err());
}

#[test]
fn addresses_outside_the_region_are_refused() {
    let (p, mut hpa, mut fx) = setup(10);
    let out = p.region_end();
    assert_eq!(hpa.touch(out, &mut fx), Err(OutsideRegion(out)));
    assert_eq!(hpa.release(0, &mut fx), Err(OutsideRegion(0)));
    assert!(!hpa.is_backed(out));
}
