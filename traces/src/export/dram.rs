//! DRAM request traces for DRAMsim3 and Ramulator.
//!
//! These are the program's raw data accesses, before any cache: each load
//! or store becomes one request per 64-byte line it touches, at the line's
//! address. DRAMsim3 lines also carry a time stamp, which is the number of
//! instructions retired before the access (one instruction per cycle).
//! Replay the trace with `memento replay` to see what reaches DRAM.

use std::io::{self, Write};

use crate::dram_trace::write_request;
pub use crate::dram_trace::DramStyle;
use crate::event::Event;
use crate::sink::EventSink;

/// Bytes per DRAM request.
pub const LINE_BYTES: u64 = 64;

/// Writes loads and stores as DRAM requests.
pub struct DramExporter<W: Write> {
    out: W,
    style: DramStyle,
    instructions: u64,
    requests: u64,
}

impl<W: Write> DramExporter<W> {
    /// An exporter writing `style` text to `out`.
    pub fn new(out: W, style: DramStyle) -> Self {
        DramExporter {
            out,
            style,
            instructions: 0,
            requests: 0,
        }
    }

    /// Requests written so far.
    pub fn requests(&self) -> u64 {
        self.requests
    }

    /// Flushes and returns the sink.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }

    fn request(&mut self, addr: u64, size: u32, write: bool) -> io::Result<()> {
        let first = addr / LINE_BYTES;
        let last = addr.saturating_add(u64::from(size) - 1) / LINE_BYTES;
        for line in first..=last {
            let cycle = self.instructions;
            write_request(&mut self.out, self.style, line * LINE_BYTES, write, cycle)?;
            self.requests = self.requests.saturating_add(1);
        }
        Ok(())
    }
}

impl<W: Write> EventSink for DramExporter<W> {
    fn push(&mut self, event: &Event) -> io::Result<()> {
        match *event {
            Event::Load { addr, size } => self.request(addr, size, false),
            Event::Store { addr, size } => self.request(addr, size, true),
            _ => {
                self.instructions = self.instructions.saturating_add(event.instructions());
                Ok(())
            }
        }
    }
}
