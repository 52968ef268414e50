//! Arbitrary bytes as the payload of an event chunk, straight to the event
//! decoder (a chunk whose checksum held): `decode` and `decode_with` must
//! agree, and what decodes must encode and decode again to the same events.

#![no_main]

use libfuzzer_sys::fuzz_target;
use memento_trace::codec::{self, Decoder, Encoder, Visit};
use memento_trace::{DecodeError, Event};

/// Builds the event `decode_with` hands over, by the visitor's own methods.
struct Build;

impl Visit for Build {
    type Out = Event;

    fn event(&mut self, event: Event) -> Event {
        event
    }

    fn access(&mut self, store: bool, addr: u64, size: u32) -> Event {
        Event::access(store, addr, size)
    }

    fn block(&mut self, addr: u64, len: u32, count: u32) -> Event {
        Event::Block { addr, len, count }
    }
}

/// Every event of `payload`, and the error (with its offset) that ends it.
fn decode_all(
    payload: &[u8],
    mut next: impl FnMut(&mut Decoder) -> Result<Event, DecodeError>,
) -> (Vec<Event>, Option<(usize, DecodeError)>) {
    let mut decoder = Decoder::new(payload);
    let mut events = Vec::new();
    while !decoder.is_done() {
        let at = decoder.position();
        match next(&mut decoder) {
            Ok(event) => events.push(event),
            Err(error) => return (events, Some((at, error))),
        }
    }
    (events, None)
}

fuzz_target!(|data: &[u8]| {
    let (events, error) = decode_all(data, |d| d.decode());
    let visited = decode_all(data, |d| d.decode_with(&mut Build));
    assert_eq!(
        (&events, &error),
        (&visited.0, &visited.1),
        "decode and decode_with disagree"
    );
    let mut encoder = Encoder::default();
    let mut payload = Vec::new();
    for event in &events {
        assert_eq!(codec::check(event), Ok(()), "decoded {event:?}");
        encoder.encode(event, &mut payload);
    }
    let (again, error) = decode_all(&payload, |d| d.decode());
    assert_eq!(error, None, "re-encoded events fail to decode");
    assert_eq!(events, again, "events change through encode and decode");
});
