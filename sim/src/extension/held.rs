//! The allocator bracket a core is inside, held until it closes: whether
//! the extension serves the call is known only from its allocation event,
//! which comes last, so the bracket's events wait here, then are dropped
//! (the extension's operation replaces them) or replayed (the software
//! path). A bracket longer than [`HOLD_LIMIT`] events is released and
//! replayed as it runs, so memory stays bounded.

use memento_trace::Event;

/// Most events held for one bracket (about 3 MiB).
pub const HOLD_LIMIT: usize = 1 << 16;

/// One core's held bracket.
#[derive(Clone, Debug, Default)]
pub struct Held {
    /// The events since the outermost `AllocEnter`, with the brackets open
    /// at each.
    pub events: Vec<(Event, u32)>,
    /// The outermost call's own allocation event, once seen.
    pub outermost: Option<Event>,
    /// The bracket outgrew [`HOLD_LIMIT`] and replays as it runs: its
    /// allocation event will reach the model as a replayed one.
    pub released: bool,
}

impl Held {
    /// Keeps `event`, seen with `depth` brackets open; false once the
    /// bracket is too long to hold.
    pub fn push(&mut self, event: Event, depth: u32) -> bool {
        if depth == 1 && matches!(event, Event::Alloc(_) | Event::Free(_) | Event::Realloc(_)) {
            self.outermost = Some(event);
        }
        self.events.push((event, depth));
        self.events.len() < HOLD_LIMIT
    }

    /// Starts a new bracket.
    pub fn begin(&mut self) {
        self.events.clear();
        self.outermost = None;
        self.released = false;
    }
}
