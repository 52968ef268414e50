//! Symbolisation of code addresses of a captured process: the module map
//! of the trace gives the file and its mapping; `goblin` reads the ELF
//! symbols and program headers, `gimli` (through `addr2line`) the DWARF
//! line table. Files that are missing or unreadable give bare addresses.

use std::collections::HashMap;
use std::rc::Rc;

use goblin::elf::{section_header::SHT_NOBITS, Elf};
use memento_trace::ModuleInfo;

use crate::module_map::{load_segments, module_at, segment_at, Segment};

type Reader = gimli::EndianRcSlice<gimli::RunTimeEndian>;

/// Where a code address is, as far as the files tell.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Location {
    /// The address looked up.
    pub addr: u64,
    /// Path of the module holding it.
    pub module: Option<String>,
    /// The function (ELF symbol) holding it.
    pub function: Option<String>,
    /// Offset of the address in that function.
    pub offset: u64,
    /// Source file, from DWARF.
    pub file: Option<String>,
    /// Source line, from DWARF.
    pub line: Option<u32>,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.function {
            Some(name) => write!(f, "{name}+{:#x}", self.offset)?,
            None => write!(f, "{:#x}", self.addr)?,
        }
        if let (Some(file), Some(line)) = (&self.file, self.line) {
            let short = file.rsplit('/').next().unwrap_or(file);
            write!(f, " ({short}:{line})")?;
        }
        if let Some(module) = &self.module {
            let short = module.rsplit('/').next().unwrap_or(module);
            write!(f, " [{short}]")?;
        }
        Ok(())
    }
}

/// One ELF file, read once.
struct ElfFile {
    /// The loadable segments.
    segments: Vec<Segment>,
    /// Function symbols sorted by address: `(address, size, name)`.
    symbols: Vec<(u64, u64, String)>,
    /// DWARF line lookup, when the file carries debug info.
    lines: Option<addr2line::Context<Reader>>,
}

impl ElfFile {
    fn read(path: &str) -> Option<ElfFile> {
        let bytes = std::fs::read(path).ok()?;
        let elf = Elf::parse(&bytes).ok()?;
        let segments = load_segments(&elf);
        let mut symbols: Vec<(u64, u64, String)> = elf
            .syms
            .iter()
            .map(|s| (s, &elf.strtab))
            .chain(elf.dynsyms.iter().map(|s| (s, &elf.dynstrtab)))
            .filter(|(s, _)| s.is_function() && s.st_value != 0)
            .filter_map(|(s, table)| {
                let name = table.get_at(s.st_name)?;
                Some((s.st_value, s.st_size, name.to_string()))
            })
            .collect();
        symbols.sort();
        symbols.dedup_by_key(|s| s.0);
        let lines = Self::dwarf(&elf, &bytes);
        Some(ElfFile {
            segments,
            symbols,
            lines,
        })
    }

    fn dwarf(elf: &Elf, bytes: &[u8]) -> Option<addr2line::Context<Reader>> {
        let endian = if elf.little_endian {
            gimli::RunTimeEndian::Little
        } else {
            gimli::RunTimeEndian::Big
        };
        let section = |id: gimli::SectionId| -> Result<Reader, gimli::Error> {
            let data = elf
                .section_headers
                .iter()
                .find(|sh| elf.shdr_strtab.get_at(sh.sh_name) == Some(id.name()))
                .filter(|sh| sh.sh_type != SHT_NOBITS)
                .and_then(|sh| {
                    let start = usize::try_from(sh.sh_offset).ok()?;
                    let end = start.checked_add(usize::try_from(sh.sh_size).ok()?)?;
                    bytes.get(start..end)
                })
                .unwrap_or(&[]);
            Ok(gimli::EndianRcSlice::new(Rc::from(data), endian))
        };
        let has_debug_info = elf
            .section_headers
            .iter()
            .any(|sh| elf.shdr_strtab.get_at(sh.sh_name) == Some(".debug_info"));
        if !has_debug_info {
            return None;
        }
        let dwarf = gimli::Dwarf::load(section).ok()?;
        addr2line::Context::from_dwarf(dwarf).ok()
    }

    /// The link-time address of a file offset.
    fn vaddr_of(&self, file_offset: u64) -> Option<u64> {
        segment_at(&self.segments, file_offset).map(|s| file_offset - s.offset + s.vaddr)
    }

    fn symbol_at(&self, vaddr: u64) -> Option<(&str, u64)> {
        let i = self.symbols.partition_point(|s| s.0 <= vaddr);
        let (start, size, name) = self.symbols.get(i.checked_sub(1)?)?;
        (size == &0 || vaddr < start + size).then(|| (name.as_str(), vaddr - start))
    }
}

/// Looks up code addresses of one traced process.
pub struct Symbolizer {
    modules: Vec<ModuleInfo>,
    files: HashMap<String, Option<ElfFile>>,
}

impl Symbolizer {
    /// A symbolizer for a trace's module map.
    pub fn new(modules: &[ModuleInfo]) -> Self {
        Symbolizer {
            modules: modules.to_vec(),
            files: HashMap::new(),
        }
    }

    /// Where `addr` is. For a return address (a call site), pass the
    /// address itself: the line looked up is that of the call before it.
    pub fn lookup_return_address(&mut self, addr: u64) -> Location {
        let mut location = self.lookup(addr.saturating_sub(1));
        location.addr = addr;
        location.offset += 1;
        location
    }

    /// Where the instruction at `addr` is.
    pub fn lookup(&mut self, addr: u64) -> Location {
        let mut location = Location {
            addr,
            ..Location::default()
        };
        let Some((module, file_offset)) = module_at(&self.modules, addr) else {
            return location;
        };
        location.module = Some(module.path.clone());
        let file = self
            .files
            .entry(module.path.clone())
            .or_insert_with(|| ElfFile::read(&module.path));
        let Some(file) = file else {
            return location;
        };
        let Some(vaddr) = file.vaddr_of(file_offset) else {
            return location;
        };
        if let Some((name, offset)) = file.symbol_at(vaddr) {
            location.function = Some(name.to_string());
            location.offset = offset;
        }
        if let Some(lines) = &file.lines {
            if let Ok(Some(found)) = lines.find_location(vaddr) {
                location.file = found.file.map(str::to_string);
                location.line = found.line;
            }
        }
        location
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The executable mappings of this test process, as a capture records them.
    fn own_modules() -> Vec<ModuleInfo> {
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        maps.lines()
            .filter_map(|line| {
                let f: Vec<&str> = line.split_whitespace().collect();
                if f.len() < 6 || !f[1].contains('x') || !f[5].starts_with('/') {
                    return None;
                }
                let (start, end) = f[0].split_once('-')?;
                let start = u64::from_str_radix(start, 16).ok()?;
                Some(ModuleInfo {
                    start,
                    len: u64::from_str_radix(end, 16).ok()? - start,
                    file_offset: u64::from_str_radix(f[2], 16).ok()?,
                    path: f[5].to_string(),
                    build_id: Vec::new(),
                })
            })
            .collect()
    }

    // No inlined callee (such as black_box) inside: its DWARF lines would
    // name the callee's file at opt-level >= 1.
    #[inline(never)]
    fn a_function_to_find(x: u64) -> u64 {
        (x ^ 0x5a) | (x << 7)
    }

    #[test]
    fn a_runtime_address_resolves_to_its_function_and_source_file() {
        assert_eq!(a_function_to_find(2), (2 ^ 0x5a) | (2 << 7));
        let addr = a_function_to_find as fn(u64) -> u64 as usize as u64;
        let mut symbolizer = Symbolizer::new(&own_modules());
        let found = symbolizer.lookup(addr + 1);
        let name = found.function.as_deref().unwrap_or_default();
        assert!(name.contains("a_function_to_find"), "{found:?}");
        assert_eq!(found.offset, 1);
        assert!(
            found
                .file
                .as_deref()
                .unwrap_or_default()
                .ends_with("symbols.rs"),
            "{found:?}"
        );
        assert!(found.line.is_some());
    }

    #[test]
    fn an_address_outside_every_module_stays_bare() {
        let mut symbolizer = Symbolizer::new(&own_modules());
        let found = symbolizer.lookup(8);
        assert_eq!(
            (&found.module, &found.function, found.line),
            (&None, &None, None)
        );
        assert_eq!(found.to_string(), "0x8");
    }
}
