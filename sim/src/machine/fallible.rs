//! Runs over streams that may fail (a trace reader's): the first error ends
//! its stream and is returned instead of the stats.

use memento_trace::Event;

use super::RunError;

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

/// Passes events on until the first error, which it keeps.
pub(super) struct UntilError<'a, I, E: std::error::Error> {
    pub(super) inner: I,
    pub(super) stream: usize,
    pub(super) error: &'a std::cell::RefCell<Option<StreamError<E>>>,
}

impl<I: Iterator<Item = Result<Event, E>>, E: std::error::Error> Iterator for UntilError<'_, I, E> {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        match self.inner.next()? {
            Ok(event) => Some(event),
            Err(error) => {
                let mut slot = self.error.borrow_mut();
                if slot.is_none() {
                    *slot = Some(StreamError {
                        stream: self.stream,
                        error,
                    });
                }
                None
            }
        }
    }
}
