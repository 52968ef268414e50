//! Errors of the trace format: every one names the file and byte offset.

use std::fmt;
use std::path::{Path, PathBuf};

/// A byte that does not name any value of an enumeration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{value} is not a valid {what}")]
pub struct InvalidValue {
    /// What the byte should have named.
    pub what: &'static str,
    /// The value found.
    pub value: u64,
}

/// What can go wrong decoding one event: small and `Copy`, so the decoding
/// hot path carries no drop glue. Becomes an [`ErrorKind`] when reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// An event ends past the end of its chunk.
    #[error("event runs past the end of its chunk")]
    TruncatedEvent,
    /// A varint longer than 64 bits.
    #[error("varint overflows 64 bits")]
    VarintOverflow,
    /// A value does not fit the field it is stored in.
    #[error("{what} {value} does not fit in 32 bits")]
    FieldTooLarge {
        /// The field.
        what: &'static str,
        /// The value found.
        value: u64,
    },
    /// An event opcode outside the format.
    #[error("unknown event opcode {0:#04x}")]
    UnknownOpcode(u8),
    /// An enumerated field holds no valid value.
    #[error("{0}")]
    InvalidValue(#[from] InvalidValue),
    /// An event whose fields contradict the format.
    #[error("inconsistent event: {0}")]
    Inconsistent(&'static str),
}

impl From<DecodeError> for ErrorKind {
    fn from(error: DecodeError) -> Self {
        match error {
            DecodeError::TruncatedEvent => ErrorKind::TruncatedEvent,
            DecodeError::VarintOverflow => ErrorKind::VarintOverflow,
            DecodeError::FieldTooLarge { what, value } => ErrorKind::FieldTooLarge { what, value },
            DecodeError::UnknownOpcode(op) => ErrorKind::UnknownOpcode(op),
            DecodeError::InvalidValue(v) => ErrorKind::InvalidValue(v),
            DecodeError::Inconsistent(why) => ErrorKind::Inconsistent(why),
        }
    }
}

/// What went wrong, without where.
#[derive(Debug, thiserror::Error)]
pub enum ErrorKind {
    /// The operating system refused a read or write.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The file does not start with the trace magic.
    #[error("not a Memento trace (bad magic bytes); convert other formats with `memento trace convert --from lackey|champsim|din`")]
    BadMagic,
    /// The format version is newer (or older) than this reader.
    #[error("unknown trace format version {0} (this build reads versions {oldest} to {current}; convert the trace with a build that reads it)", oldest = crate::format::OLDEST_VERSION, current = crate::format::VERSION)]
    UnknownVersion(u16),
    /// Flag bits this reader does not know are set.
    #[error("unknown {what} flags {flags:#x}")]
    UnknownFlags {
        /// Which flags (header or chunk).
        what: &'static str,
        /// The flag bits found.
        flags: u32,
    },
    /// The file ends inside the header.
    #[error("truncated header: needs {needed} bytes, the file has {available}")]
    TruncatedHeader {
        /// Bytes the header needs.
        needed: u64,
        /// Bytes present.
        available: u64,
    },
    /// A checksum does not match its bytes.
    #[error("{what} checksum mismatch (stored {stored:#010x}, computed {computed:#010x}): the file is damaged")]
    Checksum {
        /// What the checksum covers.
        what: &'static str,
        /// The stored CRC-32.
        stored: u32,
        /// The CRC-32 of the bytes as read.
        computed: u32,
    },
    /// A string field is not valid UTF-8 or runs past its container.
    #[error("{0} is not a valid string")]
    BadString(&'static str),
    /// The file ends inside a chunk.
    #[error("truncated chunk: needs {needed} bytes, the file has {available}")]
    TruncatedChunk {
        /// Bytes the chunk needs.
        needed: u64,
        /// Bytes present.
        available: u64,
    },
    /// No chunk marker where a chunk should start.
    #[error("no chunk marker where a chunk should start")]
    BadChunkMarker,
    /// A chunk kind this reader does not know.
    #[error("unknown chunk kind {0}")]
    UnknownChunkKind(u8),
    /// A varint longer than 64 bits.
    #[error("varint overflows 64 bits")]
    VarintOverflow,
    /// A value does not fit the field it is stored in.
    #[error("{what} {value} does not fit in 32 bits")]
    FieldTooLarge {
        /// The field.
        what: &'static str,
        /// The value found.
        value: u64,
    },
    /// An event ends past the end of its chunk.
    #[error("event runs past the end of its chunk")]
    TruncatedEvent,
    /// An event opcode outside the format.
    #[error("unknown event opcode {0:#04x}")]
    UnknownOpcode(u8),
    /// An enumerated field holds no valid value.
    #[error("{0}")]
    InvalidValue(#[from] InvalidValue),
    /// An event whose fields contradict the format (a zero count or size).
    #[error("inconsistent event: {0}")]
    Inconsistent(&'static str),
    /// A chunk decodes to a different number of events than it declares.
    #[error("chunk declares {declared} events but holds {decoded}")]
    EventCount {
        /// The count in the chunk header.
        declared: u64,
        /// The count decoded from the payload.
        decoded: u64,
    },
    /// A metadata entry tag this reader does not know.
    #[error("unknown metadata entry tag {0}")]
    UnknownMetadataTag(u8),
    /// A line of a text trace that does not parse.
    #[error("line {line}: {message}")]
    BadLine {
        /// 1-based line number.
        line: u64,
        /// What is wrong with it.
        message: String,
    },
    /// A record of a binary trace that does not parse.
    #[error("record {record}: {message}")]
    BadRecord {
        /// 0-based record number.
        record: u64,
        /// What is wrong with it.
        message: String,
    },
}

/// An error in a trace file, with the file and byte offset it refers to.
///
/// Boxed inside so that `Result<Event, TraceError>` stays small on the
/// decoding hot path.
pub struct TraceError(Box<Located>);

#[derive(Debug)]
struct Located {
    path: PathBuf,
    offset: Option<u64>,
    kind: ErrorKind,
}

impl TraceError {
    /// An error at `offset` in `path`.
    pub fn at(path: impl Into<PathBuf>, offset: u64, kind: impl Into<ErrorKind>) -> Self {
        TraceError(Box::new(Located {
            path: path.into(),
            offset: Some(offset),
            kind: kind.into(),
        }))
    }

    /// An error about `path` as a whole (opening, creating, renaming).
    pub fn file(path: impl Into<PathBuf>, kind: impl Into<ErrorKind>) -> Self {
        TraceError(Box::new(Located {
            path: path.into(),
            offset: None,
            kind: kind.into(),
        }))
    }

    /// The file the error is about.
    pub fn path(&self) -> &Path {
        &self.0.path
    }

    /// The byte offset in the file, when the error is about a place in it.
    pub fn offset(&self) -> Option<u64> {
        self.0.offset
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.offset {
            Some(offset) => write!(
                f,
                "{}: byte {}: {}",
                self.0.path.display(),
                offset,
                self.0.kind
            ),
            None => write!(f, "{}: {}", self.0.path.display(), self.0.kind),
        }
    }
}

impl fmt::Debug for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for TraceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0.kind {
            ErrorKind::Io(e) => Some(e),
            _ => None,
        }
    }
}
