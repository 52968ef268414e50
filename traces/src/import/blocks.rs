//! Groups instructions that execute one after another into blocks, and
//! keeps each block's data accesses behind it, so imported traces use the
//! compact block events.

use std::io;

use crate::event::Event;
use crate::sink::EventSink;

/// Longest block the builder makes (fits the short block opcode).
pub const MAX_BLOCK_INSTRUCTIONS: u32 = 64;

/// Builds blocks from single instructions.
#[derive(Default)]
pub struct BlockBuilder {
    start: u64,
    end: u64,
    count: u32,
    pending: Vec<Event>,
}

impl BlockBuilder {
    /// An instruction of `len` bytes at `addr`.
    pub fn instruction(&mut self, addr: u64, len: u32, sink: &mut dyn EventSink) -> io::Result<()> {
        if self.count > 0 && (addr != self.end || self.count == MAX_BLOCK_INSTRUCTIONS) {
            self.flush(sink)?;
        }
        if self.count == 0 {
            self.start = addr;
            self.end = addr;
        }
        self.end = self.end.wrapping_add(u64::from(len));
        self.count += 1;
        Ok(())
    }

    /// A data access (or any other event) of the current instruction.
    pub fn data(&mut self, event: Event, sink: &mut dyn EventSink) -> io::Result<()> {
        if self.count == 0 {
            sink.push(&event)
        } else {
            self.pending.push(event);
            Ok(())
        }
    }

    /// Emits the open block, then the accesses made inside it; the next
    /// instruction starts a new block even if it is adjacent (an importer
    /// calls this after a branch, so that the branch ends its block).
    pub fn flush(&mut self, sink: &mut dyn EventSink) -> io::Result<()> {
        if self.count > 0 {
            sink.push(&Event::Block {
                addr: self.start,
                len: self.end.wrapping_sub(self.start) as u32,
                count: self.count,
            })?;
            self.count = 0;
        }
        for event in self.pending.drain(..) {
            sink.push(&event)?;
        }
        Ok(())
    }
}
