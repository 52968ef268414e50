//! memento-alloc's classes up to 512 B are the hardware's: an object moves
//! between the extension and the software path without changing its block
//! size. Changing either table breaks this test.

use memento_alloc::size_class::{class_of, class_size, MAX_SMALL_SIZE};
use memento_isa::size_class::{SizeClasses, MAX_OBJECT};

#[test]
fn software_classes_up_to_512_bytes_are_the_hardware_default_table() {
    assert_eq!(MAX_SMALL_SIZE as u64, u64::from(MAX_OBJECT));
    let hw = SizeClasses::default();
    let sw: Vec<u32> = (0..)
        .map(class_size)
        .take_while(|&s| s <= MAX_SMALL_SIZE)
        .map(|s| s as u32)
        .collect();
    assert_eq!(hw.sizes(), &sw[..]);
}

#[test]
fn every_small_request_gets_the_same_class_from_both() {
    let hw = SizeClasses::default();
    for size in 1..=MAX_SMALL_SIZE {
        assert_eq!(
            hw.class_of(size as u64),
            Some(class_of(size)),
            "size {size}"
        );
    }
    assert_eq!(hw.class_of(MAX_SMALL_SIZE as u64 + 1), None);
}
