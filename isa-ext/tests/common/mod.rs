//! A hardware object allocator with its page allocator, for the tests.

#![allow(dead_code)]

use memento_isa::{Effects, HardwareObjectAllocator, HardwarePageAllocator, HoaError, Params};

pub struct Machine {
    pub hoa: HardwareObjectAllocator,
    pub hpa: HardwarePageAllocator,
    pub fx: Effects,
}

impl Machine {
    pub fn new(params: &Params) -> Machine {
        Machine {
            hoa: HardwareObjectAllocator::new(params).unwrap(),
            hpa: HardwarePageAllocator::new(params).unwrap(),
            fx: Effects::new(),
        }
    }

    pub fn default() -> Machine {
        Machine::new(&Params::default())
    }

    pub fn alloc(&mut self, lane: usize, size: u64) -> u64 {
        self.hoa
            .alloc(lane, size, &mut self.hpa, &mut self.fx)
            .unwrap()
    }

    pub fn free(&mut self, lane: usize, addr: u64) -> Result<(), HoaError> {
        self.hoa.free(lane, addr, &mut self.hpa, &mut self.fx)
    }

    /// Slots of an arena of the class serving `size`.
    pub fn slots(&self, size: u64) -> u64 {
        let p = self.hoa.params();
        let class = p.size_classes.class_of(size).unwrap();
        p.layout(class).unwrap().slots
    }

    /// `count` objects of `size` bytes on `lane`.
    pub fn allocs(&mut self, lane: usize, size: u64, count: u64) -> Vec<u64> {
        (0..count).map(|_| self.alloc(lane, size)).collect()
    }

    /// Base of the arena holding `addr`.
    pub fn arena(&self, addr: u64) -> u64 {
        self.hoa.arena_of(addr).unwrap().base
    }

    /// Line addresses of the header of the arena at `base`.
    pub fn header(&self, base: u64) -> Vec<u64> {
        let class = self.hoa.arena_of(base).unwrap().class;
        let p = self.hoa.params();
        let lines = p.layout(class).unwrap().header_lines;
        (0..lines).map(|i| base + p.line_bytes * i).collect()
    }

    /// A context switch on `lane`.
    pub fn flush(&mut self, lane: usize) {
        self.hoa.flush(lane, &mut self.fx).unwrap();
    }
}
