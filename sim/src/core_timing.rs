//! The core's timing: an interval / ROB-window model. Instructions dispatch
//! at `1 / base_cpi` per cycle; loads occupy the ROB and the load queue until
//! they retire in order, so misses closer together than the ROB overlap and
//! a full ROB or load queue stalls dispatch. Stores retire into a store
//! buffer that drains in order. A dependent load issues only when its
//! producer's data arrives, so a chain serialises: the producer is named by
//! the trace (`load_dependence = "trace"`: the distance back, in loads, of
//! an `Event::Dep`, whose producer's data cycle is kept in a ring of the
//! last 256 loads) or guessed (`pointer-chase`: the load before, when it
//! read an aligned pointer). A store whose address depends on a load
//! issues when that load's data arrives.
//!
//! A load or store whose data cycle is still a token (its DRAM read is
//! queued with the other misses of its window, see `pending.rs`) is kept
//! aside, with every memory operation after it, and retired in program
//! order once the batch is settled. The machine settles first whenever the
//! core would need such a cycle: a full ROB, load or store queue behind a
//! deferred operation, a load that depends on a deferred one, kernel work,
//! the end of the run.

use crate::config::{CoreConfig, LoadDependence, StoreWrite};
use crate::pending::is_token;
use crate::ring::Ring;
use crate::stats::StallStats;

/// Fractional bits of the dispatch clock (base CPI can be below one).
const FRAC: u32 = 16;

/// Loads whose data cycles are kept for dependences: one more than the
/// farthest distance a trace can name.
const PRODUCERS: usize = memento_trace::event::MAX_DEP_DISTANCE as usize + 1;

#[derive(Clone, Copy, Debug, Default)]
struct LastLoad {
    addr: u64,
    size: u32,
    done: u64,
    delta: u64,
}

/// A memory operation whose retirement waits for a settled batch.
#[derive(Clone, Copy, Debug, Default)]
struct Deferred {
    /// A store's dispatch cycle, or a load's instruction number.
    at: u64,
    /// The cycle its data is ready: a token or, behind one, a cycle.
    done: u64,
    store: bool,
}

/// Timing state of one core.
#[derive(Clone, Debug)]
pub struct CoreTiming {
    /// log2 of the line size: a load in the previous one's line is not a
    /// pointer-chase step.
    line_shift: u32,
    now: u64,
    seq: u64,
    cpi: u64,
    rob: u64,
    lq: usize,
    sq: usize,
    sb: usize,
    dependence: LoadDependence,
    /// Stores write once retired (else as soon as they issue).
    write_at_retire: bool,
    /// Loads in the ROB: (instruction number, retire cycle).
    loads: Ring<(u64, u64)>,
    /// Retire cycle of the youngest memory operation (retirement is in
    /// order, so no later one retires before it).
    retired: u64,
    store_queue: Ring<u64>,
    store_buffer: Ring<u64>,
    last_drain: u64,
    /// The previous load, if `has_last_load`.
    last_load: LastLoad,
    has_last_load: bool,
    /// Loads and stores waiting for a settled batch, in program order.
    deferred: Ring<Deferred>,
    deferred_loads: usize,
    deferred_stores: usize,
    /// Instruction number of the oldest deferred load.
    first_deferred_load: u64,
    /// Data cycle of each of the last [`PRODUCERS`] loads of the trace, by
    /// load number modulo the ring size (trace dependences only).
    producers: Box<[u64; PRODUCERS]>,
    /// Loads of the trace so far, executed or removed by an allocator model.
    trace_loads: u64,
    /// Trace load number of the oldest deferred load (or one before it).
    first_deferred_trace_load: u64,
    /// The distance named by the last `Event::Dep`, for the next load or
    /// store (0: none).
    pending_dep: u8,
    /// Stall counters.
    pub stalls: StallStats,
}

impl CoreTiming {
    /// An idle core at cycle 0.
    pub fn new(c: &CoreConfig, line_size: u32) -> CoreTiming {
        CoreTiming {
            line_shift: line_size.trailing_zeros(),
            now: 0,
            seq: 0,
            cpi: (c.base_cpi * f64::from(1u32 << FRAC)).round() as u64,
            // Every instruction in flight holds a register (see the config).
            rob: u64::from(match c.register_file {
                0 => c.rob,
                registers => c.rob.min(registers),
            }),
            lq: c.load_queue as usize,
            sq: c.store_queue as usize,
            sb: c.store_buffer as usize,
            // `auto` unresolved (a machine built without looking at the
            // traces' headers) guesses, as before version 2.
            dependence: match c.load_dependence {
                LoadDependence::Auto => LoadDependence::PointerChase,
                mode => mode,
            },
            write_at_retire: c.store_write == StoreWrite::AtRetire,
            loads: Ring::with_capacity(c.load_queue as usize),
            retired: 0,
            store_queue: Ring::with_capacity(c.store_queue as usize),
            store_buffer: Ring::with_capacity(c.store_buffer as usize),
            last_drain: 0,
            last_load: LastLoad::default(),
            has_last_load: false,
            deferred: Ring::with_capacity((c.load_queue + c.store_queue) as usize),
            deferred_loads: 0,
            deferred_stores: 0,
            first_deferred_load: 0,
            producers: Box::new([0; PRODUCERS]),
            trace_loads: 0,
            first_deferred_trace_load: 0,
            pending_dep: 0,
            stalls: StallStats::default(),
        }
    }

    /// The dispatch cycle of the next instruction.
    #[inline]
    pub fn now(&self) -> u64 {
        self.now >> FRAC
    }

    /// Instructions dispatched so far.
    pub fn instructions(&self) -> u64 {
        self.seq
    }

    fn wait_until(&mut self, cycle: u64) -> u64 {
        let target = cycle << FRAC;
        if target > self.now {
            let waited = (target - self.now) >> FRAC;
            self.now = target;
            waited
        } else {
            0
        }
    }

    /// Dispatches `n` instructions, waiting whenever the ROB is full behind
    /// a load that has not retired.
    #[inline]
    pub fn dispatch(&mut self, n: u64) {
        let end = self.seq + n;
        let mut cur = self.seq;
        while let Some((s, retire)) = self.loads.front() {
            let blocked = s + self.rob;
            if blocked >= end {
                break;
            }
            if blocked > cur {
                self.now += (blocked - cur) * self.cpi;
                cur = blocked;
            }
            self.stalls.rob_full += self.wait_until(retire);
            self.loads.pop_front();
        }
        self.now += (end - cur) * self.cpi;
        self.seq = end;
    }

    /// Instruction fetch: dispatch waits until cycle `ready`.
    pub fn fetch_stall(&mut self, ready: u64) {
        self.stalls.fetch += self.wait_until(ready);
    }

    /// A mispredicted branch: dispatch waits `cycles` for the front end
    /// to refill.
    pub fn branch_stall(&mut self, cycles: u64) {
        self.now += cycles << FRAC;
        self.stalls.branch_mispredict += cycles;
    }

    /// Kernel work: the pipeline drains, then `cycles` pass.
    pub fn serialise(&mut self, cycles: u64) {
        let drained = self.retired.max(self.last_drain);
        self.stalls.kernel += self.wait_until(drained);
        self.now += cycles << FRAC;
        self.stalls.kernel += cycles;
    }

    /// A load of `size` bytes at `addr` is about to issue: takes a load
    /// queue entry and returns the cycle it issues.
    #[inline]
    pub fn load_issue(&mut self, addr: u64) -> u64 {
        let now = self.unit_issue();
        if self.dependence == LoadDependence::Trace {
            return now.max(self.take_producer());
        }
        if !self.has_last_load {
            return now;
        }
        let prev = self.last_load;
        if self.depends_on_last(addr) {
            debug_assert!(!is_token(prev.done), "settled before a dependent load");
            now.max(prev.done)
        } else {
            now
        }
    }

    /// An instruction of an allocator model's unit (obj-alloc, obj-free) is
    /// about to issue: like a load it takes a load-queue entry, but no
    /// dependence on the previous load is assumed (its operand is a size or
    /// a pointer in a register). Returns the cycle it issues.
    #[inline]
    pub fn unit_issue(&mut self) -> u64 {
        if self.loads.len() + self.deferred_loads >= self.lq {
            let (_, retire) = self
                .loads
                .pop_front()
                .expect("queue is full (settled first when only deferred loads hold it)");
            self.stalls.load_queue_full += self.wait_until(retire);
        }
        self.now()
    }

    /// The unit instruction issued by [`Self::unit_issue`] is done at
    /// `done`: it holds the ROB until then, like a load, without being the
    /// load later ones are judged to depend on.
    #[inline]
    pub fn unit_done(&mut self, done: u64) {
        if is_token(done) || self.has_deferred() {
            if self.deferred_loads == 0 {
                self.first_deferred_load = self.seq;
                self.first_deferred_trace_load = self.trace_loads.saturating_sub(1);
            }
            self.deferred_loads += 1;
            self.deferred.push_back(Deferred {
                at: self.seq,
                done,
                store: false,
            });
        } else {
            self.retire_load(self.seq, done);
        }
    }

    /// The next load or store depends on the load `distance` loads back
    /// (an `Event::Dep`).
    #[inline]
    pub fn set_dep(&mut self, distance: u8) {
        self.pending_dep = distance;
    }

    /// The data cycle of the load the pending dependence names (0 when
    /// none, or when it lies before the first load); clears it.
    #[inline(always)]
    fn take_producer(&mut self) -> u64 {
        let cycle = self.producer();
        self.pending_dep = 0;
        cycle
    }

    /// The data cycle of the pending dependence's producer, 0 when none.
    #[inline(always)]
    fn producer(&self) -> u64 {
        let d = u64::from(self.pending_dep);
        if d == 0 || d > self.trace_loads {
            return 0;
        }
        self.producers[((self.trace_loads - d) % PRODUCERS as u64) as usize]
    }

    /// A load of the trace that an allocator model removed: it counts for
    /// the distances of later dependences, with its data at once.
    #[inline]
    pub fn skip_load(&mut self) {
        self.pending_dep = 0;
        self.record_producer(0);
    }

    #[inline(always)]
    fn record_producer(&mut self, done: u64) {
        self.producers[(self.trace_loads % PRODUCERS as u64) as usize] = done;
        self.trace_loads += 1;
    }

    /// Whether a load at `addr` is judged to depend on the previous one.
    #[inline(always)]
    fn depends_on_last(&self, addr: u64) -> bool {
        let prev = self.last_load;
        let delta = addr.wrapping_sub(prev.addr);
        self.has_last_load
            && self.dependence == LoadDependence::PointerChase
            && prev.size == 8
            && prev.addr.is_multiple_of(8)
            && delta != prev.delta
            && (addr >> self.line_shift) != (prev.addr >> self.line_shift)
    }

    /// Whether memory operations wait for a settled batch.
    #[inline(always)]
    pub fn has_deferred(&self) -> bool {
        self.deferred.len() != 0
    }

    /// Whether the batch must be settled before a load at `addr` issues:
    /// it depends on a deferred load, or deferred loads fill the load queue.
    #[inline(always)]
    pub fn load_needs_settle(&self, addr: u64) -> bool {
        let waits_for_token = if self.dependence == LoadDependence::Trace {
            is_token(self.producer())
        } else {
            is_token(self.last_load.done) && self.depends_on_last(addr)
        };
        waits_for_token || self.unit_needs_settle()
    }

    /// Whether the batch must be settled before a unit instruction issues:
    /// deferred loads fill the load queue.
    #[inline(always)]
    pub fn unit_needs_settle(&self) -> bool {
        self.loads.len() == 0 && self.deferred_loads >= self.lq
    }

    /// Whether the batch must be settled before a store issues: deferred
    /// stores fill the store queue.
    #[inline(always)]
    pub fn store_needs_settle(&self) -> bool {
        (self.store_queue.len() == 0 && self.deferred_stores >= self.sq)
            || is_token(self.producer())
            // Writing at retirement needs the older operations' cycles.
            || (self.write_at_retire && self.has_deferred())
    }

    /// Whether the batch must be settled before `n` more instructions
    /// dispatch: the ROB would fill behind a deferred load.
    #[inline(always)]
    pub fn dispatch_needs_settle(&self, n: u64) -> bool {
        self.deferred_loads > 0 && self.first_deferred_load + self.rob < self.seq + n
    }

    /// Retires the deferred operations in program order, `resolve` giving
    /// the cycle of each token.
    pub fn retire_deferred(&mut self, resolve: impl Fn(u64) -> u64) {
        while let Some(d) = self.deferred.pop_front() {
            let done = resolve(d.done);
            debug_assert!(!is_token(done), "a batch is settled whole");
            if d.store {
                self.retire_store(d.at, done);
            } else {
                self.retire_load(d.at, done);
            }
        }
        // Only loads since the oldest deferred one can hold tokens.
        if self.deferred_loads > 0 {
            let from = self
                .first_deferred_trace_load
                .max(self.trace_loads.saturating_sub(PRODUCERS as u64));
            for n in from..self.trace_loads {
                let i = (n % PRODUCERS as u64) as usize;
                self.producers[i] = resolve(self.producers[i]);
            }
        }
        self.deferred_loads = 0;
        self.deferred_stores = 0;
        self.last_load.done = resolve(self.last_load.done);
    }

    /// The load issued by [`Self::load_issue`] has its data at `done`.
    #[inline]
    pub fn load_done(&mut self, addr: u64, size: u32, done: u64) {
        let prev = self.last_load;
        let delta = if self.has_last_load {
            addr.wrapping_sub(prev.addr)
        } else {
            0
        };
        self.has_last_load = true;
        self.last_load = LastLoad {
            addr,
            size,
            done,
            delta,
        };
        self.record_producer(done);
        self.unit_done(done);
    }

    /// Load number `seq` has its data at `done`: it retires in order.
    #[inline(always)]
    fn retire_load(&mut self, seq: u64, done: u64) {
        self.retired = self.retired.max(done);
        self.loads.push_back((seq, self.retired));
    }

    /// A store is about to issue: takes a store-queue entry and returns the
    /// cycle its write (read-for-ownership) starts.
    #[inline]
    pub fn store_issue(&mut self) -> u64 {
        if self.store_queue.len() + self.deferred_stores >= self.sq {
            let retire = self
                .store_queue
                .pop_front()
                .expect("queue is full (settled first when only deferred stores hold it)");
            self.stalls.store_queue_full += self.wait_until(retire);
        }
        // Its address waits for the load it was computed from.
        let issue = self.now().max(self.take_producer());
        if self.write_at_retire {
            // Retirement is in order: after every older operation.
            issue.max(self.now() + 1).max(self.retired)
        } else {
            issue
        }
    }

    /// The store's line is owned at `done`: it retires in order, waits for a
    /// store-buffer entry, and drains to the L1D in order.
    #[inline]
    pub fn store_done(&mut self, done: u64) {
        if is_token(done) || self.has_deferred() {
            self.deferred_stores += 1;
            self.deferred.push_back(Deferred {
                at: self.now(),
                done,
                store: true,
            });
        } else {
            self.retire_store(self.now(), done);
        }
    }

    /// The store dispatched at cycle `now` owns its line at `done`.
    #[inline(always)]
    fn retire_store(&mut self, now: u64, done: u64) {
        let mut retire = (now + 1).max(self.retired);
        while self.store_buffer.front().is_some_and(|d| d <= retire) {
            self.store_buffer.pop_front();
        }
        if self.store_buffer.len() >= self.sb {
            let d = self.store_buffer.pop_front().expect("buffer is full");
            self.stalls.store_buffer_full += d.saturating_sub(retire);
            retire = retire.max(d);
        }
        self.retired = retire;
        let drain = retire.max(done).max(self.last_drain + 1);
        self.last_drain = drain;
        self.store_buffer.push_back(drain);
        self.store_queue.push_back(retire);
    }

    /// The cycle at which everything dispatched so far has retired and
    /// drained.
    pub fn finish(&self) -> u64 {
        debug_assert!(!self.has_deferred(), "settled before the end");
        self.now().max(self.retired).max(self.last_drain)
    }
}
