//! Runs over streams that may fail (a trace reader's): the first error ends
//! its stream and is returned instead of the stats.

use memento_trace::Event;

use super::{Machine, RunError, Stream};

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
    /// The run could not start.
    #[error(transparent)]
    Run(#[from] RunError),
    /// A stream failed part way.
    #[error(transparent)]
    Stream(StreamError<E>),
}

/// Replays events until the first error, which it keeps.
pub(super) struct UntilError<'a, I, E: std::error::Error> {
    pub(super) inner: I,
    pub(super) stream: usize,
    pub(super) error: &'a std::cell::RefCell<Option<StreamError<E>>>,
}

impl<I: Iterator<Item = Result<Event, E>>, E: std::error::Error> Stream for UntilError<'_, I, E> {
    #[inline(always)]
    fn step_next(&mut self, machine: &mut Machine, core: usize) -> bool {
        match self.inner.next() {
            Some(Ok(event)) => {
                machine.step(core, event);
                true
            }
            Some(Err(error)) => self.keep(error),
            None => false,
        }
    }
}

impl<I, E: std::error::Error> UntilError<'_, I, E> {
    /// Keeps the first error of the run; the stream ends.
    #[cold]
    #[inline(never)]
    fn keep(&mut self, error: E) -> bool {
        let mut slot = self.error.borrow_mut();
        if slot.is_none() {
            *slot = Some(StreamError {
                stream: self.stream,
                error,
            });
        }
        false
    }
}
