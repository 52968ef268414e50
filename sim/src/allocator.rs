//! The allocator seam: where a model of memory management other than the
//! traced software allocator plugs into the machine. The machine is
//! generic over an [`AllocatorModel`]; the [`Baseline`] does nothing, and
//! its `ACTIVE = false` lets the compiler remove every hook, so the
//! baseline replay costs what it did before the seam.
//!
//! A model sees:
//! - each outermost allocator bracket as it opens ([`AllocatorModel::on_enter`]):
//!   if it takes the bracket, every event up to the matching exit goes to
//!   [`AllocatorModel::on_held`] instead of being replayed, and
//!   [`AllocatorModel::on_exit`] follows; the model may then replay them
//!   ([`Machine::replay_events`]), drop them, or put its own operations in
//!   their place;
//! - the allocation, free and resize events the machine replays outside
//!   any taken bracket, at the outermost level;
//! - every data address, which it may move ([`AllocatorModel::redirect`]);
//! - every TLB miss, which it may translate itself ([`AllocatorModel::on_walk`]);
//! - thread switches and the end of the run.

use memento_trace::{Alloc, AllocFn, Event, Free, Realloc};

use crate::config::{Config, ConfigError};
use crate::machine::Machine;
use crate::stats::Stats;

/// A model of memory management plugged into the machine. Hooks are
/// associated functions that get the whole machine, so that a model can
/// issue accesses, charge cycles and count.
pub trait AllocatorModel: Clone + std::fmt::Debug + Sized {
    /// Whether the model has any hook: false compiles them all out.
    const ACTIVE: bool;

    /// The model for a machine of `config` (validated).
    fn new(config: &Config) -> Result<Self, ConfigError>;

    /// The outermost allocator bracket opens on `core` (calling `func`):
    /// whether the model takes its events.
    #[inline(always)]
    fn on_enter(_m: &mut Machine<Self>, _core: usize, _func: AllocFn) -> bool {
        false
    }

    /// An event of a taken bracket, the opening `AllocEnter` and the
    /// closing `AllocExit` included; `depth` is the number of brackets open
    /// when it is seen (1 for the outermost call's own allocation event).
    #[inline(always)]
    fn on_held(_m: &mut Machine<Self>, _core: usize, _event: Event, _depth: u32) {}

    /// The taken bracket on `core` has closed.
    #[inline(always)]
    fn on_exit(_m: &mut Machine<Self>, _core: usize) {}

    /// An allocation replayed outside any taken bracket, at the outermost
    /// level (a trace without brackets, or alloc-only).
    #[inline(always)]
    fn on_alloc(_m: &mut Machine<Self>, _core: usize, _alloc: &Alloc) {}

    /// A free replayed outside any taken bracket, at the outermost level.
    #[inline(always)]
    fn on_free(_m: &mut Machine<Self>, _core: usize, _free: &Free) {}

    /// A resize replayed outside any taken bracket, at the outermost level.
    #[inline(always)]
    fn on_realloc(_m: &mut Machine<Self>, _core: usize, _realloc: &Realloc) {}

    /// Where a data access of address space `space` to `addr` goes.
    #[inline(always)]
    fn redirect(&mut self, _space: usize, addr: u64) -> u64 {
        addr
    }

    /// A TLB miss on `core` for `vaddr`, whose walk would start at cycle
    /// `start`: the cycle the translation is known if the model translated
    /// it (its own pages), or `None` for the machine's walk and the kernel.
    #[inline(always)]
    fn on_walk(_m: &mut Machine<Self>, _core: usize, _vaddr: u64, _start: u64) -> Option<u64> {
        None
    }

    /// `core` switched to another traced thread.
    #[inline(always)]
    fn on_thread_switch(_m: &mut Machine<Self>, _core: usize) {}

    /// Every stream has ended: brackets still taken are dealt with.
    fn on_finish(_m: &mut Machine<Self>) {}

    /// Pages the model holds resident that no access touches (its page
    /// tables), counted with the pages the run accessed in its memory.
    #[inline(always)]
    fn resident_pages(&self) -> u64 {
        0
    }

    /// Adds the model's results to the run's stats.
    fn report(&self, _stats: &mut Stats) {}

    /// Starts the model's counters again at the end of a warm-up (its
    /// state, arenas and pages, stays).
    fn reset_stats(&mut self) {}
}

/// The baseline: the traced software allocator and the kernel, replayed as
/// they ran.
#[derive(Clone, Copy, Debug, Default)]
pub struct Baseline;

impl AllocatorModel for Baseline {
    const ACTIVE: bool = false;

    fn new(_config: &Config) -> Result<Baseline, ConfigError> {
        Ok(Baseline)
    }
}
