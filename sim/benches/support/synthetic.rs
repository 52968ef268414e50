//! The synthetic event stream of the replay-speed benchmark, shared with
//! the `replay_speed` example.

use memento_trace::Event;

/// A program-like stream: 8-instruction blocks over 16 KiB of code, each
/// followed by two loads and a store; 90% of data accesses go to a hot
/// 16 KiB region, 8% to 1 MiB, 2% to 256 MiB.
pub struct Synthetic {
    left: u64,
    hot_only: bool,
    rng: u64,
    phase: u8,
    pc: u64,
}

impl Synthetic {
    /// A stream of `events` events.
    pub fn new(events: u64) -> Synthetic {
        Synthetic {
            left: events,
            hot_only: false,
            rng: 0x9E37_79B9_7F4A_7C15,
            phase: 0,
            pc: 0x40_0000,
        }
    }

    /// The same stream with every data access in the hot 16 KiB region
    /// (L1D hits once warm): the cost of the hit paths alone.
    #[allow(dead_code)] // the benchmark uses only `new`
    pub fn hot(events: u64) -> Synthetic {
        Synthetic {
            hot_only: true,
            ..Synthetic::new(events)
        }
    }

    fn next_rng(&mut self) -> u64 {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        x
    }

    fn data_addr(&mut self) -> u64 {
        let r = self.next_rng();
        let pick = if self.hot_only { 0 } else { r % 100 };
        let (base, span) = match pick {
            0..=89 => (0x7fff_0000_0000, 16 << 10),
            90..=97 => (0x5500_0000_0000, 1 << 20),
            _ => (0x6000_0000_0000, 256 << 20),
        };
        // Every span is a power of two: a mask picks the same offset as `%`
        // without a division per access.
        base + (((r >> 8) & (span - 1)) & !7)
    }
}

impl Iterator for Synthetic {
    type Item = Event;

    #[inline]
    fn next(&mut self) -> Option<Event> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        self.phase = (self.phase + 1) % 4;
        Some(match self.phase {
            0 => {
                let r = self.next_rng();
                self.pc = if r.is_multiple_of(8) {
                    (0x40_0000 + (r >> 16) % (16 << 10)) & !31
                } else {
                    self.pc + 32
                };
                if self.pc >= 0x40_0000 + (16 << 10) {
                    self.pc = 0x40_0000;
                }
                Event::Block {
                    addr: self.pc,
                    len: 32,
                    count: 8,
                }
            }
            1 | 2 => Event::Load {
                addr: self.data_addr(),
                size: 8,
            },
            _ => Event::Store {
                addr: self.data_addr(),
                size: 8,
            },
        })
    }
}
