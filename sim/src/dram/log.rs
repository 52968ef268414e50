//! The requests a controller receives, written as a DRAMsim3 trace
//! (`memento replay --dram-trace`), which `memento dram` reads back.

use std::io::{self, Write};

use memento_trace::dram_trace::{write_request, DramStyle};

use super::controller::DramRequestSink;

/// Writes each request the controller receives as a DRAMsim3 line
/// (`0xADDR READ|WRITE CYCLE`, arrival in DRAM cycles), in the order they
/// arrive. The first write error stops the writing and is returned by
/// [`Self::finish`].
#[derive(Debug)]
pub struct RequestWriter<W: Write> {
    out: W,
    error: Option<io::Error>,
    requests: u64,
}

impl<W: Write> RequestWriter<W> {
    /// A writer of DRAMsim3 lines to `out`.
    pub fn new(out: W) -> Self {
        RequestWriter {
            out,
            error: None,
            requests: 0,
        }
    }

    /// Flushes, and returns the output and the number of requests written,
    /// or the first error.
    pub fn finish(mut self) -> io::Result<(W, u64)> {
        if let Some(e) = self.error {
            return Err(e);
        }
        self.out.flush()?;
        Ok((self.out, self.requests))
    }
}

impl<W: Write> DramRequestSink for RequestWriter<W> {
    fn request(&mut self, addr: u64, write: bool, at: u64) {
        if self.error.is_some() {
            return;
        }
        match write_request(&mut self.out, DramStyle::Dramsim3, addr, write, at) {
            Ok(()) => self.requests += 1,
            Err(e) => self.error = Some(e),
        }
    }
}
