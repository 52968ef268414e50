//! The trace's module map and the ELF files behind it: which module holds
//! a code address and at what file offset, and the loadable segments of a
//! file. Shared by the symbolizer and the branch classifier.

use goblin::elf::note::NT_GNU_BUILD_ID;
use goblin::elf::program_header::{PF_X, PT_LOAD};
use goblin::elf::Elf;
use memento_trace::ModuleInfo;

/// The module mapping `addr`, and the file offset `addr` maps.
pub(crate) fn module_at(modules: &[ModuleInfo], addr: u64) -> Option<(&ModuleInfo, u64)> {
    let module = modules
        .iter()
        .find(|m| addr >= m.start && addr - m.start < m.len)?;
    let file_offset = (addr - module.start).checked_add(module.file_offset)?;
    Some((module, file_offset))
}

/// One loadable segment of an ELF file (its bytes in the file; the rest
/// of its memory size is zeros).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Segment {
    /// File offset of the segment's first byte.
    pub offset: u64,
    /// Link-time address of that byte.
    pub vaddr: u64,
    /// Bytes of the segment the file holds.
    pub file_size: u64,
    /// Whether the segment is mapped executable.
    pub executable: bool,
}

impl Segment {
    /// Whether the file bytes `[file_offset, file_offset + len)` all lie
    /// in this segment.
    pub fn holds(&self, file_offset: u64, len: u64) -> bool {
        file_offset >= self.offset
            && file_offset
                .checked_add(len)
                .is_some_and(|end| end <= self.offset.saturating_add(self.file_size))
    }
}

/// The loadable segments of `elf`, in program header order.
pub(crate) fn load_segments(elf: &Elf) -> Vec<Segment> {
    elf.program_headers
        .iter()
        .filter(|p| p.p_type == PT_LOAD)
        .map(|p| Segment {
            offset: p.p_offset,
            vaddr: p.p_vaddr,
            file_size: p.p_filesz,
            executable: p.p_flags & PF_X != 0,
        })
        .collect()
}

/// The segment holding the byte at `file_offset`.
pub(crate) fn segment_at(segments: &[Segment], file_offset: u64) -> Option<&Segment> {
    segments.iter().find(|s| s.holds(file_offset, 1))
}

/// The GNU build id of `elf` (the `NT_GNU_BUILD_ID` note), if it has one.
pub(crate) fn gnu_build_id<'a>(elf: &Elf<'a>, bytes: &'a [u8]) -> Option<&'a [u8]> {
    // map_while, not filter_map: goblin's note iterator does not advance
    // past a malformed note and would yield its error forever.
    elf.iter_note_headers(bytes)?
        .map_while(Result::ok)
        .find(|note| note.n_type == NT_GNU_BUILD_ID && note.name == "GNU")
        .map(|note| note.desc)
}
