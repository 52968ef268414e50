//! Replay speed outside criterion: `cargo run --release -p memento-sim
//! --example replay_speed -- [events]` prints events per second of CPU
//! time (wall time is misleading on a shared machine).

use memento_sim::{Config, Machine};
use memento_trace::Event;

/// A program-like stream: 8-instruction blocks over 16 KiB of code, each
/// followed by two loads and a store; 90% of data accesses go to a hot
/// 16 KiB region, 8% to 1 MiB, 2% to 256 MiB.
struct Synthetic {
    left: u64,
    rng: u64,
    phase: u8,
    pc: u64,
}

impl Synthetic {
    fn new(events: u64) -> Synthetic {
        Synthetic {
            left: events,
            rng: 0x9E37_79B9_7F4A_7C15,
            phase: 0,
            pc: 0x40_0000,
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
        let (base, span) = match r % 100 {
            0..=89 => (0x7fff_0000_0000, 16 << 10),
            90..=97 => (0x5500_0000_0000, 1 << 20),
            _ => (0x6000_0000_0000, 256 << 20),
        };
        base + ((r >> 8) % span & !7)
    }
}

impl Iterator for Synthetic {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        self.phase = (self.phase + 1) % 4;
        Some(match self.phase {
            0 => {
                let r = self.next_rng();
                self.pc = if r % 8 == 0 {
                    0x40_0000 + (r >> 16) % (16 << 10) & !31
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

fn cpu_seconds() -> f64 {
    // /proc/self/stat fields 14 and 15: user and system time in clock ticks.
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

fn main() {
    let events: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000_000);
    let config = Config::preset("micro23").unwrap();
    let wall = std::time::Instant::now();
    let cpu = cpu_seconds();
    let stats = Machine::new(&config)
        .unwrap()
        .run(vec![Synthetic::new(events)])
        .unwrap();
    let cpu = cpu_seconds() - cpu;
    let wall = wall.elapsed().as_secs_f64();
    println!(
        "{events} events: {:.1} M events/s of CPU time ({cpu:.2} s), {:.1} M/s wall ({wall:.2} s); IPC {:.3}, DRAM reads {}",
        events as f64 / cpu / 1e6,
        events as f64 / wall / 1e6,
        stats.instructions as f64 / stats.cycles as f64,
        stats.dram.reads.transfers()
    );
}
