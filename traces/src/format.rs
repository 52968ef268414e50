//! The file header, chunk header and metadata table (see `FORMAT.md`).

use crate::error::ErrorKind;
use crate::varint;

/// First bytes of every trace file (PNG-style: catches text-mode mangling).
pub const MAGIC: [u8; 8] = *b"\x89MTR\r\n\x1a\n";
/// The format version this build writes (and the newest it reads).
pub const VERSION: u16 = 2;
/// The oldest format version this build reads (version 1 has no
/// dependences; its files read as they always did).
pub const OLDEST_VERSION: u16 = 1;
/// Header flag (version 2): the producer recorded load dependences
/// ([`crate::Event::Dep`]), so a load without one depends on no load.
pub const FLAG_DEPENDENCES: u16 = 1;
/// Bytes before the header body: magic, version, flags, body length.
pub const HEADER_PREFIX_LEN: usize = 16;
/// Marker at the start of every chunk.
pub const CHUNK_MARKER: [u8; 4] = *b"MCHK";
/// Bytes of a chunk header.
pub const CHUNK_HEADER_LEN: usize = 32;
/// Chunk payloads the writer aims for.
pub const DEFAULT_CHUNK_BYTES: usize = 64 * 1024;

/// What a trace says about itself: the file header.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Header {
    /// The format version of the file.
    pub version: u16,
    /// The program that wrote the trace (e.g. `memento-capture 0.1`).
    pub producer: String,
    /// Name of the traced workload.
    pub workload: String,
    /// The runtime that ran it (e.g. `cpython-3.11`, `c`, `lackey-import`).
    pub runtime: String,
    /// The traced command line.
    pub command_line: String,
    /// Page size of the traced machine in bytes.
    pub page_size: u64,
    /// Wall-clock time of the capture, nanoseconds since the Unix epoch
    /// (0 when unknown).
    pub capture_time_ns: u64,
    /// Whether the producer recorded load dependences: then a load or
    /// store without an [`crate::Event::Dep`] before it depends on no load
    /// (header flag [`FLAG_DEPENDENCES`]). False for version 1 files and
    /// for producers that see no registers (Lackey, Dinero).
    pub dependences: bool,
}

/// One thread of the traced process.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ThreadInfo {
    /// Thread id as used in [`crate::Event::Thread`].
    pub tid: u32,
    /// Thread name, may be empty.
    pub name: String,
}

/// One module (executable or shared object) mapped into the traced process.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ModuleInfo {
    /// First address of the mapping.
    pub start: u64,
    /// Length of the mapping in bytes.
    pub len: u64,
    /// File offset the mapping starts at.
    pub file_offset: u64,
    /// Path of the file on the traced machine.
    pub path: String,
    /// GNU build id, empty when unknown.
    pub build_id: Vec<u8>,
}

/// The metadata table: threads and modules, for reports and symbolisation.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Metadata {
    /// Threads seen by the capture.
    pub threads: Vec<ThreadInfo>,
    /// Modules mapped by the traced process.
    pub modules: Vec<ModuleInfo>,
    /// Classes of the branches that end blocks, where the producer knew
    /// them without the code (imported ChampSim traces); captured traces
    /// leave this empty and replay reads their code instead.
    pub branches: Vec<crate::branch::BranchInfo>,
}

/// The two kinds of chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ChunkKind {
    /// Encoded events.
    Events = 0,
    /// Metadata table entries.
    Metadata = 1,
}

const META_THREAD: u8 = 1;
const META_MODULE: u8 = 2;
const META_BRANCH: u8 = 3;

fn put_str(out: &mut Vec<u8>, s: &[u8]) {
    varint::put(out, s.len() as u64);
    out.extend_from_slice(s);
}

fn get_bytes<'a>(
    bytes: &'a [u8],
    pos: &mut usize,
    what: &'static str,
) -> Result<&'a [u8], ErrorKind> {
    let len = varint::get(bytes, pos).map_err(ErrorKind::from)?;
    let start = *pos;
    let end = usize::try_from(len)
        .ok()
        .and_then(|len| start.checked_add(len))
        .filter(|&end| end <= bytes.len())
        .ok_or(ErrorKind::BadString(what))?;
    *pos = end;
    Ok(&bytes[start..end])
}

fn get_str(bytes: &[u8], pos: &mut usize, what: &'static str) -> Result<String, ErrorKind> {
    let raw = get_bytes(bytes, pos, what)?;
    String::from_utf8(raw.to_vec()).map_err(|_| ErrorKind::BadString(what))
}

impl Header {
    /// Encodes the whole header: prefix, body and body checksum.
    pub fn encode(&self) -> Vec<u8> {
        let mut body = Vec::new();
        varint::put(&mut body, self.page_size);
        varint::put(&mut body, self.capture_time_ns);
        for field in [
            &self.producer,
            &self.workload,
            &self.runtime,
            &self.command_line,
        ] {
            put_str(&mut body, field.as_bytes());
        }
        let mut out = Vec::with_capacity(HEADER_PREFIX_LEN + body.len() + 4);
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        let flags = if self.dependences {
            FLAG_DEPENDENCES
        } else {
            0
        };
        out.extend_from_slice(&flags.to_le_bytes());
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
        out
    }

    /// Decodes the header at the start of `bytes`; returns it and its length.
    /// On failure, returns the offset of the fault with the error.
    pub fn decode(bytes: &[u8]) -> Result<(Header, usize), (u64, ErrorKind)> {
        let truncated = |needed: usize| {
            (
                bytes.len() as u64,
                ErrorKind::TruncatedHeader {
                    needed: needed as u64,
                    available: bytes.len() as u64,
                },
            )
        };
        if bytes.len() < MAGIC.len() {
            return Err(if MAGIC.starts_with(bytes) {
                truncated(HEADER_PREFIX_LEN)
            } else {
                (0, ErrorKind::BadMagic)
            });
        }
        if bytes[..MAGIC.len()] != MAGIC {
            return Err((0, ErrorKind::BadMagic));
        }
        if bytes.len() < HEADER_PREFIX_LEN {
            return Err(truncated(HEADER_PREFIX_LEN));
        }
        let version = u16::from_le_bytes([bytes[8], bytes[9]]);
        if !(OLDEST_VERSION..=VERSION).contains(&version) {
            return Err((8, ErrorKind::UnknownVersion(version)));
        }
        let flags = u16::from_le_bytes([bytes[10], bytes[11]]);
        let known = if version >= 2 { FLAG_DEPENDENCES } else { 0 };
        if flags & !known != 0 {
            return Err((
                10,
                ErrorKind::UnknownFlags {
                    what: "header",
                    flags: u32::from(flags),
                },
            ));
        }
        let body_len = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]) as usize;
        let total = HEADER_PREFIX_LEN + body_len + 4;
        if bytes.len() < total {
            return Err(truncated(total));
        }
        let body = &bytes[HEADER_PREFIX_LEN..HEADER_PREFIX_LEN + body_len];
        let stored = u32::from_le_bytes(bytes[total - 4..total].try_into().expect("4 bytes"));
        let computed = crc32fast::hash(body);
        if stored != computed {
            return Err((
                (total - 4) as u64,
                ErrorKind::Checksum {
                    what: "header",
                    stored,
                    computed,
                },
            ));
        }
        let mut pos = 0;
        let at = |pos: usize, e: ErrorKind| ((HEADER_PREFIX_LEN + pos) as u64, e);
        let mut header = Header {
            version,
            dependences: flags & FLAG_DEPENDENCES != 0,
            ..Header::default()
        };
        header.page_size = varint::get(body, &mut pos).map_err(|e| at(pos, e.into()))?;
        header.capture_time_ns = varint::get(body, &mut pos).map_err(|e| at(pos, e.into()))?;
        header.producer = get_str(body, &mut pos, "producer").map_err(|e| at(pos, e))?;
        header.workload = get_str(body, &mut pos, "workload").map_err(|e| at(pos, e))?;
        header.runtime = get_str(body, &mut pos, "runtime").map_err(|e| at(pos, e))?;
        header.command_line = get_str(body, &mut pos, "command line").map_err(|e| at(pos, e))?;
        Ok((header, total))
    }
}

/// A chunk header as stored before each payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkHeader {
    /// Events or metadata.
    pub kind: ChunkKind,
    /// Payload bytes after the header.
    pub payload_len: u32,
    /// Events (or metadata entries) in the payload.
    pub count: u32,
    /// Thread current at the start of the chunk.
    pub thread: u32,
    /// Instructions retired in the trace before this chunk.
    pub instructions_before: u64,
    /// CRC-32 of the payload.
    pub crc: u32,
}

impl ChunkHeader {
    /// Encodes the header into its 32 bytes.
    pub fn encode(&self) -> [u8; CHUNK_HEADER_LEN] {
        let mut out = [0u8; CHUNK_HEADER_LEN];
        out[0..4].copy_from_slice(&CHUNK_MARKER);
        out[4] = self.kind as u8;
        out[8..12].copy_from_slice(&self.payload_len.to_le_bytes());
        out[12..16].copy_from_slice(&self.count.to_le_bytes());
        out[16..20].copy_from_slice(&self.thread.to_le_bytes());
        out[20..28].copy_from_slice(&self.instructions_before.to_le_bytes());
        out[28..32].copy_from_slice(&self.crc.to_le_bytes());
        out
    }

    /// Decodes a chunk header; the error's offset is relative to `bytes`.
    pub fn decode(bytes: &[u8]) -> Result<ChunkHeader, (u64, ErrorKind)> {
        if bytes.len() < CHUNK_HEADER_LEN {
            return Err((
                0,
                ErrorKind::TruncatedChunk {
                    needed: CHUNK_HEADER_LEN as u64,
                    available: bytes.len() as u64,
                },
            ));
        }
        if bytes[0..4] != CHUNK_MARKER {
            return Err((0, ErrorKind::BadChunkMarker));
        }
        let kind = match bytes[4] {
            0 => ChunkKind::Events,
            1 => ChunkKind::Metadata,
            other => return Err((4, ErrorKind::UnknownChunkKind(other))),
        };
        let flags = u32::from(bytes[5]) | u32::from(bytes[6]) << 8 | u32::from(bytes[7]) << 16;
        if flags != 0 {
            return Err((
                5,
                ErrorKind::UnknownFlags {
                    what: "chunk",
                    flags,
                },
            ));
        }
        let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().expect("4 bytes"));
        Ok(ChunkHeader {
            kind,
            payload_len: u32_at(8),
            count: u32_at(12),
            thread: u32_at(16),
            instructions_before: u64::from_le_bytes(bytes[20..28].try_into().expect("8 bytes")),
            crc: u32_at(28),
        })
    }
}

impl Metadata {
    /// Number of entries (threads and modules).
    pub fn entries(&self) -> usize {
        self.threads.len() + self.modules.len() + self.branches.len()
    }

    /// Encodes the entries as a metadata chunk payload.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for thread in &self.threads {
            out.push(META_THREAD);
            varint::put(&mut out, u64::from(thread.tid));
            put_str(&mut out, thread.name.as_bytes());
        }
        for module in &self.modules {
            out.push(META_MODULE);
            varint::put(&mut out, module.start);
            varint::put(&mut out, module.len);
            varint::put(&mut out, module.file_offset);
            put_str(&mut out, module.path.as_bytes());
            put_str(&mut out, &module.build_id);
        }
        for branch in &self.branches {
            out.push(META_BRANCH);
            varint::put(&mut out, branch.end);
            out.push(branch.class as u8);
        }
        out
    }

    /// Appends the `count` entries of a metadata payload to `self`; the
    /// error's offset is relative to `payload`.
    pub fn decode_into(&mut self, payload: &[u8], count: u32) -> Result<(), (u64, ErrorKind)> {
        let mut pos = 0;
        for _ in 0..count {
            let entry = pos;
            let at = |pos: usize, e: ErrorKind| (pos as u64, e);
            let Some(&tag) = payload.get(pos) else {
                return Err(at(pos, ErrorKind::TruncatedEvent));
            };
            pos += 1;
            match tag {
                META_THREAD => {
                    let tid = varint::get_u32(payload, &mut pos, "thread id")
                        .map_err(|e| at(pos, e.into()))?;
                    let name = get_str(payload, &mut pos, "thread name").map_err(|e| at(pos, e))?;
                    self.threads.push(ThreadInfo { tid, name });
                }
                META_MODULE => {
                    let start = varint::get(payload, &mut pos).map_err(|e| at(pos, e.into()))?;
                    let len = varint::get(payload, &mut pos).map_err(|e| at(pos, e.into()))?;
                    let file_offset =
                        varint::get(payload, &mut pos).map_err(|e| at(pos, e.into()))?;
                    let path = get_str(payload, &mut pos, "module path").map_err(|e| at(pos, e))?;
                    let build_id = get_bytes(payload, &mut pos, "module build id")
                        .map_err(|e| at(pos, e))?
                        .to_vec();
                    self.modules.push(ModuleInfo {
                        start,
                        len,
                        file_offset,
                        path,
                        build_id,
                    });
                }
                META_BRANCH => {
                    let end = varint::get(payload, &mut pos).map_err(|e| at(pos, e.into()))?;
                    let Some(&byte) = payload.get(pos) else {
                        return Err(at(pos, ErrorKind::TruncatedEvent));
                    };
                    let class = crate::branch::BranchClass::try_from(byte)
                        .map_err(|e| at(pos, e.into()))?;
                    pos += 1;
                    self.branches.push(crate::branch::BranchInfo { end, class });
                }
                other => return Err(at(entry, ErrorKind::UnknownMetadataTag(other))),
            }
        }
        if pos != payload.len() {
            return Err((
                pos as u64,
                ErrorKind::EventCount {
                    declared: u64::from(count),
                    decoded: u64::from(count) + 1,
                },
            ));
        }
        Ok(())
    }
}
