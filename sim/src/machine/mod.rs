//! The machine: cores replaying event streams over the memory system,
//! interleaved by simulated time so that they contend for the LLC and DRAM.
//! Deterministic: the same streams and config give the same stats.

use std::cell::RefCell;
use std::rc::Rc;

use memento_trace::{Event, TraceError};

mod access;
mod brackets;
mod branches;
mod extension;
mod fallible;
mod fast;
mod replay;

use crate::allocator::{AllocatorModel, Baseline};
use crate::config::{AllocatorKind, Config, ConfigError};
use crate::core_timing::CoreTiming;
use crate::dram::{Dram, DramRequestSink};
use crate::extension::{IdealMallacc, Memento};
use crate::geometry::Geometry;
use crate::hierarchy::MemorySystem;
use crate::kernel::Kernel;
use crate::stats::{AllocStats, CoreStats, InvocationStats, MemoryStats, Stats};
use crate::tlb::Tlb;

use brackets::Brackets;
pub use branches::BranchClasses;
use branches::FrontEnd;
pub use fallible::{Chain, Drive, FallibleRunError, StreamError};
use fallible::{Driven, UntilError};

/// Requests of at most this many bytes go to Memento's object allocator.
const SMALL_OBJECT: u64 = 512;

/// A stream of events being replayed. Each kind of stream replays its
/// items itself, so that an event is matched where the stream yields it
/// (repacking a `Result<Event, E>` into an `Event` per event costs the
/// host a store-forwarding stall).
trait Stream<M: AllocatorModel> {
    /// Replays events on `core` until its simulated time passes `bound`;
    /// false once the stream has ended.
    fn step_until(&mut self, machine: &mut Machine<M>, core: usize, bound: u64) -> bool;
}

/// Replays items of `next` until the core passes `bound`: each item goes
/// to `step`, which says whether the stream goes on.
#[inline(always)]
fn step_each<T, M: AllocatorModel>(
    machine: &mut Machine<M>,
    core: usize,
    bound: u64,
    mut next: impl FnMut() -> Option<T>,
    mut step: impl FnMut(&mut Machine<M>, T) -> bool,
) -> bool {
    loop {
        let Some(item) = next() else { return false };
        if !step(machine, item) {
            return false;
        }
        if machine.passed(core, bound) {
            return true;
        }
    }
}

/// The address space of each of `n` streams: one each, or one for all
/// when they are threads of one process.
fn spaces(n: usize, shared: bool) -> Vec<usize> {
    if shared {
        vec![0; n]
    } else {
        (0..n).collect()
    }
}

/// An infallible stream.
struct Plain<I>(I);

impl<I: Iterator<Item = Event>, M: AllocatorModel> Stream<M> for Plain<I> {
    #[inline(always)]
    fn step_until(&mut self, machine: &mut Machine<M>, core: usize, bound: u64) -> bool {
        step_each(
            machine,
            core,
            bound,
            || self.0.next(),
            |machine, event| {
                machine.step(core, event);
                true
            },
        )
    }
}

/// Replays trace readers (one per core; threads of one process when
/// `shared`) on the machine `config` describes, with the allocator model
/// its `[memento]` section names (the baseline without one).
pub fn replay_driven<D: Drive>(
    config: &Config,
    streams: Vec<D>,
    shared: bool,
) -> Result<Stats, FallibleRunError<TraceError>> {
    replay_classified(config, streams, shared, Vec::new())
}

/// [`replay_driven`] with the provider of branch classes of each stream
/// (core `i` gets `classes[i]`; cores without one assume conditional
/// branches).
pub fn replay_classified<D: Drive>(
    config: &Config,
    streams: Vec<D>,
    shared: bool,
    classes: Vec<Rc<RefCell<dyn BranchClasses>>>,
) -> Result<Stats, FallibleRunError<TraceError>> {
    replay_logged(config, streams, shared, classes, None)
}

/// [`replay_classified`] that also reports every request reaching the
/// memory controller to `dram_log`, as it arrives
/// ([`Dram::record_requests`]; `memento replay --dram-trace`).
pub fn replay_logged<D: Drive>(
    config: &Config,
    streams: Vec<D>,
    shared: bool,
    classes: Vec<Rc<RefCell<dyn BranchClasses>>>,
    dram_log: Option<Rc<RefCell<dyn DramRequestSink>>>,
) -> Result<Stats, FallibleRunError<TraceError>> {
    struct Driving<D> {
        streams: Vec<D>,
        shared: bool,
        classes: Vec<Rc<RefCell<dyn BranchClasses>>>,
        dram_log: Option<Rc<RefCell<dyn DramRequestSink>>>,
    }
    impl<D: Drive> WithMachine for Driving<D> {
        type Output = Result<Stats, FallibleRunError<TraceError>>;
        fn run<M: AllocatorModel>(self, mut machine: Machine<M>) -> Self::Output {
            for (core, classes) in self.classes.into_iter().enumerate() {
                machine.set_branch_classes(core, classes);
            }
            if let Some(log) = self.dram_log {
                machine.memory_mut().dram.record_requests(log);
            }
            machine.run_driven(self.streams, self.shared)
        }
    }
    let work = Driving {
        streams,
        shared,
        classes,
        dram_log,
    };
    with_machine(config, work)?
}

/// [`replay_driven`] for streams that may fail (any iterator of results).
pub fn replay<I, E>(
    config: &Config,
    streams: Vec<I>,
    shared: bool,
) -> Result<Stats, FallibleRunError<E>>
where
    I: Iterator<Item = Result<Event, E>>,
    E: std::error::Error,
{
    struct Falling<I>(Vec<I>, bool);
    impl<I: Iterator<Item = Result<Event, E>>, E: std::error::Error> WithMachine for Falling<I> {
        type Output = Result<Stats, FallibleRunError<E>>;
        fn run<M: AllocatorModel>(self, machine: Machine<M>) -> Self::Output {
            machine.run_fallible(self.0, self.1)
        }
    }
    with_machine(config, Falling(streams, shared))?
}

/// Work to do with a machine whose allocator model is known only at run
/// time: [`with_machine`] builds it and calls [`WithMachine::run`].
pub trait WithMachine {
    /// What the work gives.
    type Output;
    /// Does the work on `machine`.
    fn run<M: AllocatorModel>(self, machine: Machine<M>) -> Self::Output;
}

/// Builds the machine `config` describes, with the allocator model its
/// `[memento]` section names, and hands it to `work`.
pub fn with_machine<W: WithMachine>(config: &Config, work: W) -> Result<W::Output, ConfigError> {
    Ok(match config.allocator() {
        AllocatorKind::Baseline => work.run(Machine::new(config)?),
        AllocatorKind::Memento => work.run(Machine::<Memento>::with_model(config)?),
        AllocatorKind::IdealMallacc => work.run(Machine::<IdealMallacc>::with_model(config)?),
    })
}

/// Why a run could not start.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    /// A stream ended before its core's warm-up did.
    #[error(
        "core {core} replayed only {instructions} instructions, fewer than the \
         warm-up of {warmup}: lower --warmup (or warmup_instructions)"
    )]
    WarmupLongerThanTrace {
        /// The core.
        core: usize,
        /// Instructions it replayed.
        instructions: u64,
        /// The warm-up asked for.
        warmup: u64,
    },
    /// More streams than cores.
    #[error(
        "{streams} event streams but the machine has {cores} cores (set `cores` in the config)"
    )]
    TooManyStreams {
        /// Streams given.
        streams: usize,
        /// Cores configured.
        cores: u32,
    },
}

#[derive(Clone, Debug)]
struct Core {
    timing: CoreTiming,
    tlb: Tlb,
    space: usize,
    brackets: Brackets,
    /// Brackets open inside the one the allocator model took (0: none).
    held: u32,
    /// Replaying events the model held: their brackets are not offered to
    /// it again.
    replaying: bool,
    /// The invocation in progress and the counters at its begin.
    invocation: Option<InvocationStats>,
    stats: CoreStats,
    front: FrontEnd,
    /// The instruction count at which the warm-up ends (`u64::MAX`: none
    /// left).
    warm_until: u64,
    /// The cycle and instruction count at the end of the warm-up.
    warm_cycle: u64,
    warm_instructions: u64,
}

/// A machine built from a [`Config`]: cores, caches, TLBs, kernel model
/// and DRAM, ready to replay event streams once, with the memory
/// management of allocator model `M` (the traced software allocator and
/// kernel by default).
#[derive(Clone, Debug)]
pub struct Machine<M: AllocatorModel = Baseline> {
    config: Config,
    mem: MemorySystem,
    cores: Vec<Core>,
    /// The kernel model of each address space (one per core; streams of
    /// one process share the first).
    kernels: Vec<Kernel>,
    geometry: Geometry,
    dropped: Vec<u64>,
    invocations: Vec<InvocationStats>,
    /// The cycle the shared statistics started (the end of the last
    /// core's warm-up; 0 without one).
    warm_cycle: u64,
    /// The memory made resident, updated as pages come and go.
    memory: MemoryStats,
    /// The allocator model.
    pub(crate) model: M,
}

impl Machine<Baseline> {
    /// The baseline machine for `config`, validated first.
    pub fn new(config: &Config) -> Result<Machine, ConfigError> {
        Machine::with_model(config)
    }
}

impl<M: AllocatorModel> Machine<M> {
    /// A machine for `config` with allocator model `M`, validated first.
    pub fn with_model(config: &Config) -> Result<Machine<M>, ConfigError> {
        config.validate().map_err(|(field, message)| ConfigError {
            source_name: config.name.clone(),
            field,
            message,
        })?;
        let standard = config.dram_standard()?;
        let mut dram = Dram::new(
            &config.dram,
            &standard,
            config.line_size,
            config.frequency_mhz,
        );
        if config.dram.page_frames == crate::dram::PageFrames::Random {
            dram.randomize_frames(config.page_size);
        }
        let cores = (0..config.cores)
            .map(|i| Core {
                timing: CoreTiming::new(&config.core, config.line_size),
                tlb: Tlb::new(&config.tlb),
                space: i as usize,
                brackets: Brackets::default(),
                held: 0,
                replaying: false,
                invocation: None,
                stats: CoreStats {
                    core: i,
                    ..CoreStats::default()
                },
                front: FrontEnd::new(&config.branch),
                warm_until: if config.warmup_instructions == 0 {
                    u64::MAX
                } else {
                    config.warmup_instructions
                },
                warm_cycle: 0,
                warm_instructions: 0,
            })
            .collect();
        let model = M::new(config)?;
        Ok(Machine {
            model,
            config: config.clone(),
            mem: MemorySystem::new(config, dram),
            cores,
            kernels: (0..config.cores)
                .map(|_| Kernel::new(config.page_size))
                .collect(),
            geometry: Geometry::new(config.line_size, config.page_size),
            dropped: Vec::new(),
            invocations: Vec::new(),
            warm_cycle: 0,
            memory: MemoryStats {
                page_size: config.page_size,
                ..MemoryStats::default()
            },
        })
    }

    /// Tells core `core` what kind of branch ends each block (without a
    /// provider every block is taken to end in a conditional branch).
    pub fn set_branch_classes(&mut self, core: usize, classes: Rc<RefCell<dyn BranchClasses>>) {
        if let Some(c) = self.cores.get_mut(core) {
            c.front.set_classes(classes);
        }
    }

    /// The configuration the machine was built from.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The memory system (caches and DRAM), for inspection.
    pub fn memory(&self) -> &MemorySystem {
        &self.mem
    }

    /// The memory system, for extensions that install or drop lines.
    pub fn memory_mut(&mut self) -> &mut MemorySystem {
        &mut self.mem
    }

    /// The allocator model.
    pub fn model(&self) -> &M {
        &self.model
    }

    /// Replays one stream per core, each its own process (address space);
    /// stream `i` runs on core `i`. Returns the stats of the whole run.
    pub fn run<I: Iterator<Item = Event>>(self, streams: Vec<I>) -> Result<Stats, RunError> {
        let spaces = spaces(streams.len(), false);
        self.run_in(streams.into_iter().map(Plain).collect(), spaces)
    }

    /// Replays one stream per core, all threads of one process: they share
    /// the address space, so the same address is the same line and a page
    /// faults once.
    pub fn run_shared<I: Iterator<Item = Event>>(self, streams: Vec<I>) -> Result<Stats, RunError> {
        let spaces = spaces(streams.len(), true);
        self.run_in(streams.into_iter().map(Plain).collect(), spaces)
    }

    /// Like [`Self::run`] (or [`Self::run_shared`] when `shared`) for
    /// streams that may fail, as a trace reader's do: a stream that yields
    /// an error ends there, and the first such error is returned instead of
    /// the stats.
    pub fn run_fallible<I, E>(
        self,
        streams: Vec<I>,
        shared: bool,
    ) -> Result<Stats, FallibleRunError<E>>
    where
        I: Iterator<Item = Result<Event, E>>,
        E: std::error::Error,
    {
        self.run_until_error(streams, shared, |s| s)
    }

    /// [`Self::run_fallible`] for trace readers that hand their events
    /// to the machine themselves ([`Drive`]): the same results, read with
    /// less work per event.
    pub fn run_driven<D: Drive>(
        self,
        streams: Vec<D>,
        shared: bool,
    ) -> Result<Stats, FallibleRunError<TraceError>> {
        self.run_until_error(streams, shared, Driven)
    }

    /// Runs `streams`, each ended by its first error, wrapped as `wrap`
    /// makes them streams; returns the first error of the run if any.
    fn run_until_error<I, E: std::error::Error, S: Stream<M>>(
        self,
        streams: Vec<I>,
        shared: bool,
        wrap: impl Fn(UntilError<I, E>) -> S,
    ) -> Result<Stats, FallibleRunError<E>> {
        let error = Rc::new(RefCell::new(None));
        let wrapped: Vec<S> = streams
            .into_iter()
            .enumerate()
            .map(|(stream, inner)| {
                wrap(UntilError {
                    inner,
                    stream,
                    error: Rc::clone(&error),
                })
            })
            .collect();
        let spaces = spaces(wrapped.len(), shared);
        let stats = self.run_in(wrapped, spaces)?;
        match error.take() {
            Some(e) => Err(FallibleRunError::Stream(e)),
            None => Ok(stats),
        }
    }

    /// Whether the allocator model holds the events of `core` now.
    #[inline(always)]
    fn holding(&self, core: usize) -> bool {
        let c = &self.cores[core];
        c.held > 0 && !c.replaying
    }

    /// Recounts the resident pages after the kernel or the model changed
    /// them, keeping the peak.
    pub(crate) fn note_resident(&mut self) {
        let pages = self.kernels.iter().map(Kernel::resident_pages).sum::<u64>()
            + self.model.resident_pages();
        self.memory.resident_pages = pages;
        self.memory.peak_resident_pages = self.memory.peak_resident_pages.max(pages);
    }

    /// Whether `core`'s simulated time has passed `bound`: where a stream
    /// hands the machine to the next core.
    #[inline(always)]
    fn passed(&self, core: usize, bound: u64) -> bool {
        self.cores[core].timing.now() > bound
    }

    fn run_in<S: Stream<M>>(
        mut self,
        mut streams: Vec<S>,
        spaces: Vec<usize>,
    ) -> Result<Stats, RunError> {
        if streams.len() > self.cores.len() {
            return Err(RunError::TooManyStreams {
                streams: streams.len(),
                cores: self.config.cores,
            });
        }
        for (core, space) in self.cores.iter_mut().zip(spaces) {
            core.space = space;
        }
        // Cores without a stream have nothing to warm up.
        for c in self.cores.iter_mut().skip(streams.len()) {
            c.warm_until = u64::MAX;
        }
        let mut active: Vec<bool> = vec![true; streams.len()];
        if streams.len() == 1 {
            streams[0].step_until(&mut self, 0, u64::MAX);
        } else {
            // The core furthest behind in simulated time runs until it
            // passes the next one; ties go to the lower core number.
            loop {
                let mut order = (0..streams.len()).filter(|&i| active[i]);
                let Some(first) = order.next() else { break };
                let mut best = first;
                for i in order {
                    if self.cores[i].timing.now() < self.cores[best].timing.now() {
                        best = i;
                    }
                }
                let bound = (0..streams.len())
                    .filter(|&i| active[i] && i != best)
                    .map(|i| self.cores[i].timing.now())
                    .min()
                    .unwrap_or(u64::MAX);
                active[best] = streams[best].step_until(&mut self, best, bound);
            }
        }
        if let Some((core, c)) = self
            .cores
            .iter()
            .enumerate()
            .take(streams.len())
            .find(|(_, c)| c.warm_until != u64::MAX)
        {
            return Err(RunError::WarmupLongerThanTrace {
                core,
                instructions: c.timing.instructions(),
                warmup: self.config.warmup_instructions,
            });
        }
        Ok(self.finish())
    }

    /// Ends `core`'s warm-up once it has dispatched its warm-up
    /// instructions.
    #[inline(always)]
    fn check_warm(&mut self, core: usize) {
        if self.cores[core].timing.instructions() >= self.cores[core].warm_until {
            self.end_warmup(core);
        }
    }

    /// The statistics of `core` (and, once every core is warm, of the
    /// shared LLC and DRAM) start again; what the caches, TLBs and
    /// predictors hold stays.
    #[cold]
    #[inline(never)]
    fn end_warmup(&mut self, core: usize) {
        // Misses of the warm-up waiting in a batch are counted now, not
        // in the statistics about to start.
        self.settle_batch();
        let c = &mut self.cores[core];
        c.warm_until = u64::MAX;
        c.warm_cycle = c.timing.now();
        c.warm_instructions = c.timing.instructions();
        c.stats = CoreStats {
            core: core as u32,
            ..CoreStats::default()
        };
        c.timing.stalls = Default::default();
        c.tlb.stats = Default::default();
        c.front.unit.reset_stats();
        c.invocation = None;
        let p = &mut self.mem.private[core];
        p.l1i.stats = Default::default();
        p.l1d.stats = Default::default();
        p.l2.stats = Default::default();
        self.invocations.retain(|i| i.core != core as u32);
        if self.cores.iter().all(|c| c.warm_until == u64::MAX) {
            for slice in &mut self.mem.llc {
                slice.stats = Default::default();
            }
            self.mem.dram.reset_stats();
            self.model.reset_stats();
            self.warm_cycle = self.cores.iter().map(|c| c.warm_cycle).max().unwrap_or(0);
        }
    }

    fn finish(mut self) -> Stats {
        if M::ACTIVE {
            M::on_finish(&mut self);
        }
        self.settle_batch();
        let mut end = 0;
        for c in &mut self.cores {
            let finished = c.timing.finish();
            c.stats.cycles = finished - c.warm_cycle;
            c.stats.instructions = c.timing.instructions() - c.warm_instructions;
            end = end.max(finished);
        }
        let at = self.mem.dram.to_dram_cycle(end);
        self.mem.dram.flush(at);
        let mut stats = Stats {
            invocations: std::mem::take(&mut self.invocations),
            config: self.config.name.clone(),
            frequency_mhz: self.config.frequency_mhz,
            cycles: end - self.warm_cycle,
            ..Stats::default()
        };
        for slice in &self.mem.llc {
            stats.llc.merge(&slice.stats);
        }
        for (i, c) in self.cores.into_iter().enumerate() {
            let mut s = c.stats;
            let p = &self.mem.private[i];
            s.stalls = c.timing.stalls.clone();
            s.l1i = p.l1i.stats.clone();
            s.l1d = p.l1d.stats.clone();
            s.l2 = p.l2.stats.clone();
            s.tlb = c.tlb.stats.clone();
            s.branch = c.front.unit.stats().clone();
            s.alloc = AllocStats {
                l1d_misses: s.l1d.misses_by_cause.alloc_metadata,
                ..s.alloc
            };
            stats.instructions += s.instructions;
            stats.events += s.events;
            stats.cores.push(s);
        }
        stats.dram = self.mem.dram.stats(end - self.warm_cycle);
        stats.memory = self.memory.clone();
        self.model.report(&mut stats);
        stats
    }
}
