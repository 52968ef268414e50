//! A listing of x86-64 code with Memento instructions in it: ours decoded by
//! [`crate::decode`], everything else by capstone (x86-64, Intel syntax).

use crate::asm::assemble;
use crate::encoding::decode;
use capstone::arch::x86::{ArchMode, ArchSyntax};
use capstone::arch::{BuildsCapstone, BuildsCapstoneSyntax};
use capstone::Capstone;
use std::fmt::Write;
use thiserror::Error;

/// Capstone could not be set up.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("capstone: {0}")]
pub struct ListingError(pub String);

/// A capstone disassembler for x86-64 in Intel syntax.
pub fn x86_64() -> Result<Capstone, ListingError> {
    Capstone::new()
        .x86()
        .mode(ArchMode::Mode64)
        .syntax(ArchSyntax::Intel)
        .build()
        .map_err(|e| ListingError(e.to_string()))
}

/// Capstone's text for the instruction at the start of `bytes` and its
/// length; `None` where capstone finds no valid instruction.
pub fn capstone_decode(cs: &Capstone, bytes: &[u8], address: u64) -> Option<(String, usize)> {
    let insns = cs.disasm_count(bytes, address, 1).ok()?;
    let i = insns.iter().next()?;
    let text = format!(
        "{} {}",
        i.mnemonic().unwrap_or("?"),
        i.op_str().unwrap_or("")
    );
    Some((text.trim_end().to_string(), i.len()))
}

/// One line per instruction of `bytes` loaded at `base`: address, bytes in
/// hex, text. A byte neither decoder takes is listed as `(bad)`.
pub fn listing(bytes: &[u8], base: u64) -> Result<String, ListingError> {
    let cs = x86_64()?;
    let mut out = String::new();
    let mut at = 0;
    while at < bytes.len() {
        let address = base.wrapping_add(at as u64);
        let (text, len) = match decode(&bytes[at..]) {
            Ok((insn, len)) => (insn.to_string(), len),
            Err(_) => {
                capstone_decode(&cs, &bytes[at..], address).unwrap_or_else(|| ("(bad)".into(), 1))
            }
        };
        let hex: Vec<String> = bytes[at..at + len]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let _ = writeln!(out, "{address:016x}  {:<21} {text}", hex.join(" "));
        at += len;
    }
    Ok(out)
}

/// The malloc fast path of a runtime using the extension, at `base`, with
/// the software malloc at `slow_malloc`:
///
/// ```text
///     cmp rdi, 512        ; larger than a class: software
///     ja slow
///     obj-alloc rax, rdi  ; 0 when the extension cannot serve it
///     test rax, rax
///     jz slow
///     ret
/// slow:
///     jmp slow_malloc
/// ```
pub fn malloc_fast_path(base: u64, slow_malloc: u64) -> Vec<u8> {
    // The jmp rel32 ends 25 bytes after `base`.
    let rel = slow_malloc.wrapping_sub(base.wrapping_add(25)) as i64 as i32;
    let r = rel.to_le_bytes();
    let text = format!(
        ".byte 0x48, 0x81, 0xff, 0x00, 0x02, 0x00, 0x00 ; cmp rdi, 0x200\n\
         .byte 0x77, 0x0b                               ; ja slow (+11)\n\
         obj-alloc rax, rdi\n\
         .byte 0x48, 0x85, 0xc0                         ; test rax, rax\n\
         .byte 0x74, 0x01                               ; jz slow (+1)\n\
         .byte 0xc3                                     ; ret\n\
         .byte 0xe9, {}, {}, {}, {}                     ; slow: jmp slow_malloc\n",
        r[0], r[1], r[2], r[3]
    );
    assemble(&text).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_path_lists_capstones_instructions_and_ours() {
        let base = 0x401000;
        let l = listing(&malloc_fast_path(base, 0x402000), base).unwrap();
        let lines: Vec<&str> = l.lines().collect();
        assert_eq!(lines.len(), 7, "{l}");
        assert!(
            lines[0].starts_with("0000000000401000  48 81 ff 00 02 00 00")
                && lines[0].ends_with("cmp rdi, 0x200")
        );
        assert!(lines[1].ends_with("ja 0x401014"), "{l}");
        assert!(
            lines[2].contains(" 48 0f 0a 00 c7 ") && lines[2].ends_with(" obj-alloc rax, rdi"),
            "{l}"
        );
        assert!(lines[3].ends_with("test rax, rax"));
        assert!(lines[4].ends_with("je 0x401014"), "{l}");
        assert!(lines[5].ends_with("ret"));
        assert!(lines[6].ends_with("jmp 0x402000"), "{l}");
    }

    #[test]
    fn capstone_alone_finds_no_instruction_in_ours() {
        let cs = x86_64().unwrap();
        let bytes = malloc_fast_path(0x401000, 0x402000);
        assert_eq!(
            capstone_decode(&cs, &bytes[..9], 0x401000).map(|t| t.1),
            Some(7)
        );
        assert_eq!(capstone_decode(&cs, &bytes[9..], 0x401009), None);
    }
}
