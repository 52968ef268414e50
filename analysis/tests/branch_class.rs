//! The branch classifier on a program gcc builds here (non-PIE, so its
//! link-time addresses are its run-time ones): the test finds the
//! instructions of its functions by their ELF symbols and capstone, makes
//! blocks that end at them and checks the class of each. The expected
//! classes come from capstone's mnemonics and operand text, not from the
//! groups the classifier uses.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;

use capstone::arch::x86::ArchMode;
use capstone::arch::BuildsCapstone;
use capstone::Capstone;
use goblin::elf::note::NT_GNU_BUILD_ID;
use goblin::elf::program_header::PT_LOAD;
use goblin::elf::Elf;
use memento_analysis::branch_class::{BlockClassifier, ClassifierStats};
use memento_trace::{BranchClass, ModuleInfo};

/// A loop, a jump table, direct calls, an indirect call through a function
/// pointer, unconditional jumps (gcc -O1 joins the two arms of `choose`
/// and leaves the loop of `sum_squares` with one) and returns.
const PROGRAM: &str = r#"
#include <stdio.h>

__attribute__((noinline)) long sum_squares(long n)
{
    long s = 0;
    for (long i = 0; i < n; i++)
        s += i * i;
    return s;
}

__attribute__((noinline)) long dispatch(long op, long x)
{
    switch (op) {
    case 0: return x + 3;
    case 1: return x * 7;
    case 2: return x ^ 0x55;
    case 3: return x - 11;
    case 4: return x << 3;
    case 5: return x / 5;
    case 6: return x % 13;
    case 7: return ~x;
    default: return 0;
    }
}

__attribute__((noinline)) long choose(long x)
{
    long r;
    if (x & 1)
        r = sum_squares(x) * 3;
    else
        r = dispatch(x & 7, x) - 5;
    printf("%ld\n", r);
    return r;
}

long (*volatile pick)(long) = choose;

int main(int argc, char **argv)
{
    (void)argv;
    return (int)pick(argc) & 1;
}
"#;

/// The functions of [`PROGRAM`] the tests look into.
const FUNCTIONS: [&str; 4] = ["sum_squares", "dispatch", "choose", "main"];

/// One instruction, as capstone lists it.
#[derive(Clone, Debug)]
struct Instruction {
    addr: u64,
    len: u32,
    mnemonic: String,
    operands: String,
}

impl Instruction {
    /// The target of a direct branch (capstone writes it as a hex address).
    fn direct_target(&self) -> Option<u64> {
        u64::from_str_radix(self.operands.strip_prefix("0x")?, 16).ok()
    }

    fn is_conditional_jump(&self) -> bool {
        ["j", "loop"].iter().any(|p| self.mnemonic.starts_with(p)) && self.mnemonic != "jmp"
    }
}

/// The built program: its file, the mappings a loader makes of it, and the
/// instructions of [`FUNCTIONS`].
struct Program {
    _dir: tempfile::TempDir,
    path: PathBuf,
    modules: Vec<ModuleInfo>,
    build_id: Vec<u8>,
    functions: HashMap<&'static str, Vec<Instruction>>,
    /// Start of the loadable segment that holds the read-only data.
    rodata: u64,
}

const PAGE: u64 = 4096;

/// Which instruction of a function a block ends at.
type Pick = fn(&Instruction) -> bool;

fn build() -> Program {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("branches.c");
    std::fs::write(&source, PROGRAM).unwrap();
    let path = dir.path().join("branches");
    let status = Command::new("gcc")
        .args(["-O1", "-fno-pie", "-no-pie", "-o"])
        .arg(&path)
        .arg(&source)
        .status()
        .expect("gcc is needed for this test");
    assert!(status.success(), "gcc failed");

    let bytes = std::fs::read(&path).unwrap();
    let elf = Elf::parse(&bytes).unwrap();
    let loads: Vec<_> = elf
        .program_headers
        .iter()
        .filter(|p| p.p_type == PT_LOAD)
        .collect();
    // One mapping a loadable segment, whole pages, as in /proc/PID/maps.
    let modules = loads
        .iter()
        .map(|p| {
            let start = p.p_vaddr / PAGE * PAGE;
            let end = (p.p_vaddr + p.p_memsz).div_ceil(PAGE) * PAGE;
            ModuleInfo {
                start,
                len: end - start,
                file_offset: p.p_offset / PAGE * PAGE,
                path: path.display().to_string(),
                build_id: Vec::new(),
            }
        })
        .collect();
    let rodata = loads
        .iter()
        .find(|p| !p.is_executable() && !p.is_write() && p.p_offset > 0)
        .expect("a read-only data segment")
        .p_vaddr;
    let build_id = elf
        .iter_note_headers(&bytes)
        .expect("notes")
        .map_while(Result::ok)
        .find(|n| n.n_type == NT_GNU_BUILD_ID)
        .expect("gcc writes a build id")
        .desc
        .to_vec();

    let capstone = Capstone::new()
        .x86()
        .mode(ArchMode::Mode64)
        .build()
        .unwrap();
    let mut functions = HashMap::new();
    for name in FUNCTIONS {
        let symbol = elf
            .syms
            .iter()
            .find(|s| s.is_function() && elf.strtab.get_at(s.st_name) == Some(name))
            .unwrap_or_else(|| panic!("no symbol {name}"));
        let segment = loads
            .iter()
            .find(|p| p.vm_range().contains(&(symbol.st_value as usize)))
            .unwrap();
        let offset = (symbol.st_value - segment.p_vaddr + segment.p_offset) as usize;
        let code = &bytes[offset..offset + symbol.st_size as usize];
        let listing = capstone.disasm_all(code, symbol.st_value).unwrap();
        let instructions: Vec<Instruction> = listing
            .iter()
            .map(|i| Instruction {
                addr: i.address(),
                len: i.len() as u32,
                mnemonic: i.mnemonic().unwrap_or_default().to_string(),
                operands: i.op_str().unwrap_or_default().to_string(),
            })
            .collect();
        let end = instructions.last().map(|i| i.addr + u64::from(i.len));
        assert_eq!(end, Some(symbol.st_value + symbol.st_size), "{name}");
        functions.insert(name, instructions);
    }
    Program {
        _dir: dir,
        path,
        modules,
        build_id,
        functions,
        rodata,
    }
}

impl Program {
    /// A block of up to `before + 1` instructions of `function` that ends
    /// at the first instruction `pick` accepts: `(start, length)`.
    fn block_ending_at(&self, function: &str, before: usize, pick: Pick) -> (u64, u32) {
        let instructions = &self.functions[function];
        let last = instructions
            .iter()
            .position(pick)
            .unwrap_or_else(|| panic!("no such instruction in {function}: {instructions:#?}"));
        let first = &instructions[last.saturating_sub(before)];
        let end = instructions[last].addr + u64::from(instructions[last].len);
        (first.addr, (end - first.addr) as u32)
    }

    /// Two blocks: one ending in `sum_squares`'s return, one in `main`'s
    /// indirect call.
    fn a_return_and_a_call(&self) -> [(u64, u32); 2] {
        [
            self.block_ending_at("sum_squares", 1, |i| i.mnemonic == "ret"),
            self.block_ending_at("main", 1, |i| i.mnemonic == "call"),
        ]
    }
}

#[test]
fn the_last_instruction_of_each_block_is_classified() {
    let program = build();
    let cases: [(&str, &str, Pick, BranchClass); 7] = [
        (
            "the loop's backward branch",
            "sum_squares",
            |i| i.is_conditional_jump() && i.direct_target().is_some_and(|t| t < i.addr),
            BranchClass::Conditional,
        ),
        (
            "a jmp to a label",
            "sum_squares",
            |i| i.mnemonic == "jmp" && i.direct_target().is_some(),
            BranchClass::DirectJump,
        ),
        (
            "the switch's jump through its table",
            "dispatch",
            |i| i.mnemonic == "jmp" && i.operands.contains("ptr ["),
            BranchClass::IndirectJump,
        ),
        (
            "a call of a function",
            "choose",
            |i| i.mnemonic == "call" && i.direct_target().is_some(),
            BranchClass::DirectCall,
        ),
        (
            "the call through a function pointer",
            "main",
            |i| i.mnemonic == "call" && i.direct_target().is_none(),
            BranchClass::IndirectCall,
        ),
        (
            "a return",
            "sum_squares",
            |i| i.mnemonic == "ret",
            BranchClass::Return,
        ),
        (
            "an instruction that is no branch",
            "sum_squares",
            |i| i.mnemonic == "test",
            BranchClass::None,
        ),
    ];
    let mut classifier = BlockClassifier::new(&program.modules);
    for (what, function, pick, expected) in cases {
        for before in [0, 3] {
            let (addr, len) = program.block_ending_at(function, before, pick);
            assert_eq!(
                classifier.classify(addr, len),
                Some(expected),
                "{what} ({function}, block {addr:#x}+{len})"
            );
        }
    }
    let stats = classifier.stats();
    assert_eq!((stats.unknown, stats.files_missing), (0, 0), "{stats:?}");
    assert!(stats.classified >= 10, "{stats:?}");
}

#[test]
fn a_block_that_does_not_end_at_an_instruction_end_is_unknown() {
    let program = build();
    let (addr, len) = program.block_ending_at("choose", 2, |i| i.mnemonic == "call");
    let mut classifier = BlockClassifier::new(&program.modules);
    assert_eq!(classifier.classify(addr, len - 1), None);
    assert_eq!(
        classifier.classify(addr, len),
        Some(BranchClass::DirectCall)
    );
    assert_eq!(
        classifier.stats(),
        ClassifierStats {
            classified: 1,
            unknown: 1,
            files_missing: 0,
            files_mismatched: 0,
        }
    );
}

#[test]
fn an_address_outside_every_module_is_unknown() {
    let program = build();
    let mut classifier = BlockClassifier::new(&program.modules);
    assert_eq!(classifier.classify(0x10, 2), None);
    let end = program
        .modules
        .iter()
        .map(|m| m.start + m.len)
        .max()
        .unwrap();
    assert_eq!(classifier.classify(end, 1), None);
    // Inside a module, but not its code: the read-only data (the jump table).
    assert_eq!(classifier.classify(program.rodata, 1), None);
    let stats = classifier.stats();
    assert_eq!((stats.classified, stats.unknown), (0, 3), "{stats:?}");
}

#[test]
fn a_missing_file_makes_its_blocks_unknown() {
    let program = build();
    let [ret, call] = program.a_return_and_a_call();
    std::fs::remove_file(&program.path).unwrap();
    let mut classifier = BlockClassifier::new(&program.modules);
    assert_eq!(classifier.classify(ret.0, ret.1), None);
    assert_eq!(classifier.classify(call.0, call.1), None);
    let stats = classifier.stats();
    assert_eq!(
        (stats.unknown, stats.files_missing),
        (2, 1),
        "the file is looked for once: {stats:?}"
    );
}

#[test]
fn a_file_is_read_once_and_kept() {
    let program = build();
    let [ret, call] = program.a_return_and_a_call();
    let mut classifier = BlockClassifier::new(&program.modules);
    assert_eq!(classifier.classify(ret.0, ret.1), Some(BranchClass::Return));
    std::fs::remove_file(&program.path).unwrap();
    assert_eq!(
        classifier.classify(call.0, call.1),
        Some(BranchClass::IndirectCall)
    );
    assert_eq!(classifier.classify(ret.0, ret.1), Some(BranchClass::Return));
    let stats = classifier.stats();
    assert_eq!((stats.classified, stats.files_missing), (2, 0), "{stats:?}");
}

#[test]
fn a_file_of_another_build_than_the_traced_one_is_unknown() {
    let program = build();
    let [ret, _] = program.a_return_and_a_call();
    let with_build_id = |build_id: &[u8]| -> Vec<ModuleInfo> {
        let mut modules = program.modules.clone();
        for m in &mut modules {
            m.build_id = build_id.to_vec();
        }
        modules
    };

    let mut traced = BlockClassifier::new(&with_build_id(&program.build_id));
    assert_eq!(traced.classify(ret.0, ret.1), Some(BranchClass::Return));

    let mut other = BlockClassifier::new(&with_build_id(&[0xde, 0xad, 0xbe, 0xef]));
    assert_eq!(other.classify(ret.0, ret.1), None);
    assert_eq!(other.stats().files_mismatched, 1);
}
