//! The synthetic trace generator: allocations drawn from a profile's size
//! distribution, each given a lifetime in allocations of its size class,
//! the allocator's own work bracketed as a software malloc would do it
//! (free-list head load, link load or store, head store), the program's
//! initialisation of new objects and its accesses to live ones, and the
//! kernel calls that grow the heap. Seeded: the same profile and seed give
//! the same events.

pub mod heap;
pub mod profile;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io;

use memento_trace::summary::lifetime_class;
use memento_trace::{AllocFn, Event, EventSink};

use crate::rng::Rng;
use heap::{head_address, Heap, KernelCall};
pub use profile::{Pattern, Profile, ProfileError};

/// Where the program's code lives.
pub const PROGRAM_CODE: u64 = 0x0040_1000;
/// Where malloc's code lives.
pub const MALLOC_CODE: u64 = 0x7f10_0000_1000;
/// Where free's code lives.
pub const FREE_CODE: u64 = 0x7f10_0000_2000;
/// Call site stamped on the generator's allocations (one per size bucket).
pub const CALL_SITE_BASE: u64 = 0x0040_8000;

/// Call site stamped on the generator's frees.
pub const FREE_SITE: u64 = 0x0040_9000;

const BYTES_PER_INSTRUCTION: u64 = 4;

#[derive(Clone, Copy)]
struct Object {
    addr: u64,
    size: u64,
}

/// What the generator produced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SynthSummary {
    /// Events written.
    pub events: u64,
    /// Allocations made.
    pub allocations: u64,
    /// Frees made.
    pub frees: u64,
}

struct Generator<'a> {
    profile: &'a Profile,
    rng: Rng,
    heap: Heap,
    sink: &'a mut dyn EventSink,
    summary: SynthSummary,
    live: HashMap<u64, Object>,
    live_list: Vec<u64>,
    live_index: HashMap<u64, usize>,
    recent: VecDeque<u64>,
    class_count: HashMap<u32, u64>,
    deaths: BTreeMap<(u32, u64, u64), u64>,
    sequence: u64,
    program_block: u64,
    walk: Option<(Object, u64)>,
}

impl Generator<'_> {
    fn emit(&mut self, event: Event) -> io::Result<()> {
        self.summary.events += 1;
        self.sink.push(&event)
    }

    fn block(&mut self, base: u64, count: u64) -> io::Result<()> {
        let mut left = count;
        let mut addr = base;
        while left > 0 {
            let n = left.min(self.profile.instructions.block);
            self.emit(Event::Block {
                addr,
                len: (n * BYTES_PER_INSTRUCTION) as u32,
                count: n as u32,
            })?;
            addr += n * BYTES_PER_INSTRUCTION;
            left -= n;
        }
        Ok(())
    }

    fn kernel(&mut self, call: Option<KernelCall>) -> io::Result<()> {
        match call {
            Some(KernelCall::Brk { old, new }) => self.emit(Event::Brk { old, new }),
            Some(KernelCall::Mmap { addr, len }) => self.emit(Event::Mmap {
                addr,
                len,
                prot: 3,     // PROT_READ | PROT_WRITE
                flags: 0x22, // MAP_PRIVATE | MAP_ANONYMOUS
            }),
            Some(KernelCall::Munmap { addr, len }) => self.emit(Event::Munmap { addr, len }),
            None => Ok(()),
        }
    }

    fn draw_size(&mut self) -> (u64, usize) {
        let total: f64 = self.profile.sizes.iter().map(|b| b.weight).sum();
        let mut pick = self.rng.unit() * total;
        let last = self.profile.sizes.len() - 1;
        for (i, bucket) in self.profile.sizes.iter().enumerate() {
            if pick < bucket.weight || i == last {
                return (self.rng.between(bucket.min, bucket.max), i);
            }
            pick -= bucket.weight;
        }
        unreachable!("the last bucket is always taken")
    }

    /// Same-class allocations the object will outlive, `None` for never.
    fn draw_lifetime(&mut self) -> Option<u64> {
        let l = &self.profile.lifetimes;
        let u = self.rng.unit();
        if u < l.short_share {
            Some(self.rng.between(1, l.short_max))
        } else if u < l.short_share + l.long_share {
            None
        } else {
            Some(self.rng.between(l.short_max + 1, l.medium_max))
        }
    }

    fn malloc(&mut self, size: u64, site: u64) -> io::Result<Object> {
        self.emit(Event::AllocEnter {
            func: AllocFn::Malloc,
        })?;
        self.block(MALLOC_CODE, self.profile.instructions.malloc)?;
        let (addr, reused, call) = self.heap.allocate(size);
        self.kernel(call)?;
        let head = head_address(size);
        self.emit(Event::Load {
            addr: head,
            size: 8,
        })?;
        if reused {
            // Pop: the link word inside the free slot gives the new head.
            self.emit(Event::Load { addr, size: 8 })?;
        }
        self.emit(Event::Store {
            addr: head,
            size: 8,
        })?;
        self.emit(Event::malloc(addr, size, site))?;
        self.emit(Event::AllocExit)?;
        self.summary.allocations += 1;
        Ok(Object { addr, size })
    }

    fn free(&mut self, object: Object) -> io::Result<()> {
        self.emit(Event::AllocEnter {
            func: AllocFn::Free,
        })?;
        self.block(FREE_CODE, self.profile.instructions.free)?;
        let head = head_address(object.size);
        self.emit(Event::Load {
            addr: head,
            size: 8,
        })?;
        let call = self.heap.free(object.addr, object.size);
        if call.is_none() {
            // Push: link the slot to the old head.
            self.emit(Event::Store {
                addr: object.addr,
                size: 8,
            })?;
            self.emit(Event::Store {
                addr: head,
                size: 8,
            })?;
        }
        self.kernel(call)?;
        self.emit(Event::free(object.addr, FREE_SITE))?;
        self.emit(Event::AllocExit)?;
        self.summary.frees += 1;
        let index = self.live_index.remove(&object.addr).expect("live object");
        self.live_list.swap_remove(index);
        if let Some(&moved) = self.live_list.get(index) {
            self.live_index.insert(moved, index);
        }
        self.live.remove(&object.addr);
        Ok(())
    }

    fn pick_object(&mut self) -> Option<Object> {
        if self.live_list.is_empty() {
            return None;
        }
        if self.profile.access.pattern == Pattern::Recent && !self.recent.is_empty() {
            // Geometric over recency: the newest objects are the hottest.
            let mut i = 0;
            while i + 1 < self.recent.len() && self.rng.unit() < 0.5 {
                i += 1;
            }
            let addr = self.recent[self.recent.len() - 1 - i];
            if let Some(&object) = self.live.get(&addr) {
                return Some(object);
            }
        }
        let addr = self.live_list[self.rng.below(self.live_list.len() as u64) as usize];
        Some(self.live[&addr])
    }

    fn access(&mut self, store: bool) -> io::Result<()> {
        let target = if self.profile.access.pattern == Pattern::Sequential {
            let (object, offset) = match self.walk {
                Some((o, off)) if off + 8 <= o.size && self.live.contains_key(&o.addr) => (o, off),
                _ => match self.pick_object() {
                    Some(o) => (o, 0),
                    None => return Ok(()),
                },
            };
            self.walk = Some((object, offset + 8));
            Some((object, offset))
        } else {
            self.pick_object().map(|o| {
                let words = (o.size / 8).max(1);
                (o, 8 * self.rng.below(words))
            })
        };
        let Some((object, offset)) = target else {
            return Ok(());
        };
        let size = object.size.min(8) as u32;
        let addr = object.addr + offset.min(object.size - u64::from(size));
        self.emit(if store {
            Event::Store { addr, size }
        } else {
            Event::Load { addr, size }
        })
    }

    fn step(&mut self) -> io::Result<()> {
        let (size, bucket) = self.draw_size();
        let object = self.malloc(size, CALL_SITE_BASE + 0x10 * bucket as u64)?;
        let class = lifetime_class(size);
        let count = self.class_count.entry(class).or_insert(0);
        let birth = *count;
        *count += 1;
        let now = *count - 1;
        self.live.insert(object.addr, object);
        self.live_index.insert(object.addr, self.live_list.len());
        self.live_list.push(object.addr);
        self.recent.push_back(object.addr);
        if self.recent.len() as u64 > self.profile.access.recent_window {
            self.recent.pop_front();
        }
        if let Some(lifetime) = self.draw_lifetime() {
            self.sequence += 1;
            self.deaths
                .insert((class, birth + lifetime, self.sequence), object.addr);
        }
        // The program initialises the new object.
        let init = object.size.min(self.profile.access.init_bytes);
        let mut offset = 0;
        while offset < init {
            let size = (init - offset).min(8);
            self.emit(Event::Store {
                addr: object.addr + offset,
                size: size as u32,
            })?;
            offset += size;
        }
        // Program work and accesses to live objects.
        let code = PROGRAM_CODE + (self.program_block % 16) * 0x100;
        self.program_block += 1;
        self.block(code, self.profile.instructions.per_allocation)?;
        for _ in 0..self.profile.access.loads_per_allocation {
            self.access(false)?;
        }
        for _ in 0..self.profile.access.stores_per_allocation {
            self.access(true)?;
        }
        // Objects of this class whose lifetime ends with this allocation.
        while let Some((&key, &addr)) = self
            .deaths
            .range((class, 0, 0)..=(class, now, u64::MAX))
            .next()
        {
            self.deaths.remove(&key);
            let object = self.live[&addr];
            self.free(object)?;
        }
        Ok(())
    }
}

/// Writes the events of `profile` with `seed` into `sink`.
pub fn generate(
    profile: &Profile,
    seed: u64,
    sink: &mut dyn EventSink,
) -> io::Result<SynthSummary> {
    let mut g = Generator {
        profile,
        rng: Rng::new(seed),
        heap: Heap::default(),
        sink,
        summary: SynthSummary::default(),
        live: HashMap::new(),
        live_list: Vec::new(),
        live_index: HashMap::new(),
        recent: VecDeque::new(),
        class_count: HashMap::new(),
        deaths: BTreeMap::new(),
        sequence: 0,
        program_block: 0,
        walk: None,
    };
    g.emit(Event::Thread { tid: 1 })?;
    g.emit(Event::RoiBegin)?;
    let per_invocation = profile.allocations / profile.invocations;
    for invocation in 0..profile.invocations {
        let count = if invocation + 1 == profile.invocations {
            profile.allocations - per_invocation * (profile.invocations - 1)
        } else {
            per_invocation
        };
        g.emit(Event::InvocationBegin { id: invocation })?;
        for _ in 0..count {
            g.step()?;
        }
        g.emit(Event::InvocationEnd { id: invocation })?;
    }
    g.emit(Event::RoiEnd)?;
    Ok(g.summary)
}
