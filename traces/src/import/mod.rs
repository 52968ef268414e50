//! Importers: other tools' traces turned into Memento events.
//!
//! Each importer streams its input (constant memory) into an
//! [`EventSink`](crate::sink::EventSink) and returns what it saw.

mod blocks;
pub mod champsim;
pub mod din;
pub mod lackey;

pub use blocks::{BlockBuilder, MAX_BLOCK_INSTRUCTIONS};

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use crate::error::{ErrorKind, TraceError};

/// What an importer read and wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    /// Input lines or records read.
    pub records: u64,
    /// Instructions imported.
    pub instructions: u64,
    /// Loads imported.
    pub loads: u64,
    /// Stores imported.
    pub stores: u64,
    /// Input records skipped because the format has no counterpart
    /// (Valgrind's `==pid==` lines, Dinero escape and flush records).
    pub skipped: u64,
}

/// Options shared by the importers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportOptions {
    /// Size given to data accesses when the input records none
    /// (ChampSim, and Dinero lines without a size field).
    pub access_size: u32,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions { access_size: 8 }
    }
}

/// Opens `path` for reading (`-` is standard input), undoing xz or gzip
/// compression when the first bytes say so.
pub fn open_input(path: &Path) -> Result<Box<dyn BufRead>, TraceError> {
    let io_error = |e: io::Error| TraceError::file(path, ErrorKind::Io(e));
    let raw: Box<dyn Read> = if path.as_os_str() == "-" {
        Box::new(io::stdin().lock())
    } else {
        Box::new(File::open(path).map_err(io_error)?)
    };
    let mut buffered = BufReader::with_capacity(1 << 20, raw);
    let head = buffered.fill_buf().map_err(io_error)?;
    const XZ: &[u8] = &[0xfd, b'7', b'z', b'X', b'Z', 0x00];
    const GZIP: &[u8] = &[0x1f, 0x8b];
    Ok(if head.starts_with(XZ) {
        Box::new(BufReader::with_capacity(
            1 << 20,
            xz2::read::XzDecoder::new_multi_decoder(buffered),
        ))
    } else if head.starts_with(GZIP) {
        Box::new(BufReader::with_capacity(
            1 << 20,
            flate2::read::MultiGzDecoder::new(buffered),
        ))
    } else {
        Box::new(buffered)
    })
}
