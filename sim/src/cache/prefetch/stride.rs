//! Stride prefetching per 4 KiB region (trace events carry no PC, so the
//! region stands in for it): after the same non-zero line delta is seen
//! twice in a row, run `degree` strides ahead of the access.

use super::MAX_DEGREE;

const ENTRIES: usize = 16;
/// Lines per tracked region (4 KiB of 64-byte lines).
const REGION_SHIFT: u32 = 6;

#[derive(Clone, Copy, Debug, Default)]
struct Entry {
    region: u64,
    last: u64,
    stride: i64,
    confident: bool,
    used: u64,
    valid: bool,
}

/// Stride prefetcher: a small fully associative table of regions.
#[derive(Clone, Debug)]
pub struct Stride {
    degree: usize,
    table: [Entry; ENTRIES],
    clock: u64,
}

impl Stride {
    /// Proposes `degree` lines per trigger once a stride is confirmed.
    pub fn new(degree: usize) -> Stride {
        Stride {
            degree,
            table: [Entry::default(); ENTRIES],
            clock: 0,
        }
    }

    /// Trains on `line`; proposes lines along a confirmed stride.
    pub fn train(&mut self, line: u64, out: &mut [u64; MAX_DEGREE]) -> usize {
        self.clock += 1;
        let region = line >> REGION_SHIFT;
        let idx = match self
            .table
            .iter()
            .position(|e| e.valid && e.region == region)
        {
            Some(i) => i,
            None => {
                // Replace an invalid entry, else the least recently used.
                let i = (0..ENTRIES)
                    .min_by_key(|&i| (self.table[i].valid, self.table[i].used))
                    .expect("table is not empty");
                self.table[i] = Entry {
                    region,
                    last: line,
                    stride: 0,
                    confident: false,
                    used: self.clock,
                    valid: true,
                };
                return 0;
            }
        };
        let e = &mut self.table[idx];
        e.used = self.clock;
        let delta = line.wrapping_sub(e.last) as i64;
        if delta == 0 {
            return 0;
        }
        e.confident = delta == e.stride;
        e.stride = delta;
        e.last = line;
        if !e.confident {
            return 0;
        }
        for (k, slot) in out.iter_mut().take(self.degree).enumerate() {
            *slot = line.wrapping_add((delta * (k as i64 + 1)) as u64);
        }
        self.degree
    }
}
