//! The trace's module map and the ELF files behind it: which module holds
//! a code address and at what file offset, the loadable segments of a
//! file, and the code bytes of a block ([`Code`]). Shared by the
//! symbolizer, the branch classifier and the report's hot code.

use std::collections::HashMap;

use goblin::elf::header::EM_X86_64;
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

/// The executable segments of one file, read once.
struct CodeFile {
    /// Each executable loadable segment and its bytes in the file.
    code: Vec<(Segment, Vec<u8>)>,
}

/// Why a block's code bytes are not known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum NoCode {
    /// The block is in no module of the map (code generated at run time),
    /// or runs past its module's end, or is empty.
    NoModule,
    /// The module's file (this path) is missing here, unreadable or no ELF
    /// file.
    Missing(String),
    /// The module's file (this path) is not x86-64, or of another build
    /// than the trace's.
    Mismatched(String),
    /// The file's executable segments do not hold the block's bytes.
    OutsideCode(String),
}

impl CodeFile {
    fn read(module: &ModuleInfo) -> Result<CodeFile, NoCode> {
        let missing = || NoCode::Missing(module.path.clone());
        let bytes = std::fs::read(&module.path).map_err(|_| missing())?;
        let elf = Elf::parse(&bytes).map_err(|_| missing())?;
        let mismatched = || NoCode::Mismatched(module.path.clone());
        if !elf.is_64 || elf.header.e_machine != EM_X86_64 {
            return Err(mismatched());
        }
        if !module.build_id.is_empty()
            && gnu_build_id(&elf, &bytes) != Some(module.build_id.as_slice())
        {
            return Err(mismatched());
        }
        let code = load_segments(&elf)
            .into_iter()
            .filter(|s| s.executable)
            .filter_map(|s| {
                let start = usize::try_from(s.offset).ok()?;
                let end = start.checked_add(usize::try_from(s.file_size).ok()?)?;
                Some((s, bytes.get(start..end)?.to_vec()))
            })
            .collect();
        Ok(CodeFile { code })
    }

    /// The file bytes `[file_offset, file_offset + len)`, if an executable
    /// segment holds them all.
    fn bytes(&self, file_offset: u64, len: u32) -> Option<&[u8]> {
        let (segment, bytes) = self
            .code
            .iter()
            .find(|(s, _)| s.holds(file_offset, u64::from(len)))?;
        let start = usize::try_from(file_offset - segment.offset).ok()?;
        bytes.get(start..start.checked_add(usize::try_from(len).ok()?)?)
    }
}

/// The code of one traced process: the bytes of a block, read from its
/// module's ELF file (each file once, at its first block, and kept).
pub(crate) struct Code {
    modules: Vec<ModuleInfo>,
    /// Each module file read so far, or why it gives no code.
    files: HashMap<String, Result<CodeFile, NoCode>>,
    /// Module files that could not be read or are not ELF files.
    pub files_missing: u64,
    /// Module files read but not usable (not x86-64, another build id).
    pub files_mismatched: u64,
}

impl Code {
    /// The code of a trace's module map; no file is read yet.
    pub fn new(modules: &[ModuleInfo]) -> Code {
        Code {
            modules: modules.to_vec(),
            files: HashMap::new(),
            files_missing: 0,
            files_mismatched: 0,
        }
    }

    /// The bytes of the block `[addr, addr + len)`, or why they are not
    /// known.
    pub fn block(&mut self, addr: u64, len: u32) -> Result<&[u8], NoCode> {
        let (module, file_offset) = module_at(&self.modules, addr).ok_or(NoCode::NoModule)?;
        let end = addr.checked_add(u64::from(len)).ok_or(NoCode::NoModule)?;
        if len == 0 || end - module.start > module.len {
            return Err(NoCode::NoModule);
        }
        if !self.files.contains_key(&module.path) {
            let file = CodeFile::read(module);
            match &file {
                Err(NoCode::Mismatched(_)) => self.files_mismatched += 1,
                Err(_) => self.files_missing += 1,
                Ok(_) => {}
            }
            self.files.insert(module.path.clone(), file);
        }
        match &self.files[&module.path] {
            Ok(file) => file
                .bytes(file_offset, len)
                .ok_or_else(|| NoCode::OutsideCode(module.path.clone())),
            Err(problem) => Err(problem.clone()),
        }
    }
}
