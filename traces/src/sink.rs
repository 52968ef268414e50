//! Where events go: a trace writer, an exporter, or a collector in tests.

use std::io::{self, Write};

use crate::event::Event;
use crate::writer::{TraceFileWriter, TraceWriter};

/// A consumer of events, in order.
pub trait EventSink {
    /// Takes one event.
    fn push(&mut self, event: &Event) -> io::Result<()>;
}

impl<W: Write> EventSink for TraceWriter<W> {
    fn push(&mut self, event: &Event) -> io::Result<()> {
        TraceWriter::push(self, event)
    }
}

impl EventSink for TraceFileWriter {
    fn push(&mut self, event: &Event) -> io::Result<()> {
        TraceFileWriter::push(self, event)
    }
}

impl EventSink for Vec<Event> {
    fn push(&mut self, event: &Event) -> io::Result<()> {
        Vec::push(self, *event);
        Ok(())
    }
}
