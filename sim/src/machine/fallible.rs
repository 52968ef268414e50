//! Runs over streams that may fail (a trace reader's): the first error ends
//! its stream and is returned instead of the stats.

use std::cell::RefCell;
use std::ops::ControlFlow;
use std::rc::Rc;

use memento_trace::{Drain, Event, TraceError};

use super::{Machine, RunError, Stream};
use crate::allocator::AllocatorModel;
use crate::config::ConfigError;

/// A stream of a run yielded an error (a damaged trace); the run stopped
/// there.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("event stream {stream}: {error}")]
pub struct StreamError<E: std::error::Error> {
    /// Index of the stream (and core) that failed.
    pub stream: usize,
    /// The stream's error.
    pub error: E,
}

/// Why a run of fallible streams failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FallibleRunError<E: std::error::Error> {
    /// The machine could not be built (its allocator model's parameters).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The run could not start.
    #[error(transparent)]
    Run(#[from] RunError),
    /// A stream failed part way.
    #[error(transparent)]
    Stream(StreamError<E>),
}

/// Replays events until the first error, which it keeps.
pub(super) struct UntilError<I, E: std::error::Error> {
    pub(super) inner: I,
    pub(super) stream: usize,
    /// The run's first error, shared by its streams.
    pub(super) error: Rc<RefCell<Option<StreamError<E>>>>,
}

impl<I: Iterator<Item = Result<Event, E>>, E: std::error::Error, M: AllocatorModel> Stream<M>
    for UntilError<I, E>
{
    #[inline(always)]
    fn step_until(&mut self, machine: &mut Machine<M>, core: usize, bound: u64) -> bool {
        let (stream, error) = (self.stream, &*self.error);
        let inner = &mut self.inner;
        super::step_each(
            machine,
            core,
            bound,
            || inner.next(),
            |machine, item| match item {
                Ok(event) => {
                    machine.step(core, event);
                    true
                }
                Err(e) => keep(error, stream, e),
            },
        )
    }
}

/// Keeps the first error of the run; the stream ends.
#[cold]
#[inline(never)]
fn keep<E: std::error::Error>(
    slot: &RefCell<Option<StreamError<E>>>,
    stream: usize,
    error: E,
) -> bool {
    let mut slot = slot.borrow_mut();
    if slot.is_none() {
        *slot = Some(StreamError { stream, error });
    }
    false
}

/// A trace reader that hands its events to a [`Drain`] itself, faster than
/// `Iterator::next`, which copies each one out (see
/// [`memento_trace::Events::drive`]). Wrappers (a progress counter) pass
/// the drain on.
pub trait Drive {
    /// Hands items to `drain`, in order, until it breaks or the trace ends;
    /// false once it has ended.
    fn drive(&mut self, drain: &mut impl Drain) -> bool;
}

/// Streams one after the other on one core, as one process: a process's
/// cold trace and then its warm ones, each finding the state (caches,
/// TLBs, allocator, extension) the ones before it left.
pub struct Chain<D> {
    parts: Vec<D>,
    at: usize,
}

impl<D> Chain<D> {
    /// `parts`, in order.
    pub fn new(parts: Vec<D>) -> Chain<D> {
        Chain { parts, at: 0 }
    }
}

impl<D: Drive> Drive for Chain<D> {
    fn drive(&mut self, drain: &mut impl Drain) -> bool {
        while let Some(part) = self.parts.get_mut(self.at) {
            if part.drive(drain) {
                return true;
            }
            self.at += 1;
        }
        false
    }
}

/// No stream: ended at once.
impl<D: Drive> Drive for Option<D> {
    fn drive(&mut self, drain: &mut impl Drain) -> bool {
        self.as_mut().is_some_and(|d| d.drive(drain))
    }
}

impl Drive for memento_trace::Events<'_> {
    #[inline(always)]
    fn drive(&mut self, drain: &mut impl Drain) -> bool {
        memento_trace::Events::drive(self, drain)
    }
}

/// A [`Drive`] stream in a run, ended by its first error.
pub(super) struct Driven<D>(pub(super) UntilError<D, TraceError>);

/// Replays what a trace hands over on one core until it passes a bound.
struct Replay<'m, 'e, M: AllocatorModel> {
    machine: &'m mut Machine<M>,
    core: usize,
    bound: u64,
    stream: usize,
    error: &'e RefCell<Option<StreamError<TraceError>>>,
    failed: bool,
}

impl<M: AllocatorModel> Replay<'_, '_, M> {
    /// Whether the core has passed its bound after an event.
    #[inline(always)]
    fn after(&self) -> ControlFlow<()> {
        if self.machine.passed(self.core, self.bound) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }
}

impl<M: AllocatorModel> Drain for Replay<'_, '_, M> {
    #[inline(always)]
    fn event(&mut self, event: Event) -> ControlFlow<()> {
        self.machine.step(self.core, event);
        self.after()
    }

    #[inline(always)]
    fn access(&mut self, store: bool, addr: u64, size: u32) -> ControlFlow<()> {
        if store {
            self.machine.data::<true>(self.core, addr, size);
        } else {
            self.machine.data::<false>(self.core, addr, size);
        }
        self.after()
    }

    #[inline(always)]
    fn block(&mut self, addr: u64, len: u32, count: u32) -> ControlFlow<()> {
        self.machine.block(self.core, addr, len, count);
        self.after()
    }

    fn error(&mut self, error: TraceError) -> ControlFlow<()> {
        keep(self.error, self.stream, error);
        self.failed = true;
        ControlFlow::Break(())
    }
}

impl<D: Drive, M: AllocatorModel> Stream<M> for Driven<D> {
    #[inline(always)]
    fn step_until(&mut self, machine: &mut Machine<M>, core: usize, bound: u64) -> bool {
        let mut replay = Replay {
            machine,
            core,
            bound,
            stream: self.0.stream,
            error: &self.0.error,
            failed: false,
        };
        let more = self.0.inner.drive(&mut replay);
        more && !replay.failed
    }
}
