//! A line assembler and a disassembler for Memento instructions.
//!
//! Text: one instruction per line, `mnemonic reg[, reg]`, case-insensitive;
//! `;` or `#` starts a comment; `.byte v[, v...]` emits raw bytes (decimal
//! or `0x` hex), for the x86 code around them. The disassembler writes the
//! same syntax, so `assemble(disassemble(b)) == b` for any bytes.

use crate::encoding::{decode, Instruction, Reg};
use std::fmt::Write;
use thiserror::Error;

/// What is wrong with one line of assembler text.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AsmErrorKind {
    /// The first word is no mnemonic or directive we know.
    #[error("unknown mnemonic `{0}`")]
    UnknownMnemonic(String),
    /// An operand is no register name.
    #[error("unknown register `{0}`")]
    UnknownRegister(String),
    /// The wrong number of operands.
    #[error("`{mnemonic}` takes {expected} operand(s), found {found}")]
    Operands {
        /// The mnemonic.
        mnemonic: String,
        /// Operands it takes.
        expected: usize,
        /// Operands given.
        found: usize,
    },
    /// A `.byte` value that is not a number from 0 to 255.
    #[error("bad byte value `{0}`")]
    BadByte(String),
}

/// An assembler error with the line (from 1) it is on.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("line {line}: {kind}")]
pub struct AsmError {
    /// Line number, from 1.
    pub line: usize,
    /// What is wrong.
    pub kind: AsmErrorKind,
}

/// Assembles `text` into bytes.
pub fn assemble(text: &str) -> Result<Vec<u8>, AsmError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let fail = |kind| AsmError { line: i + 1, kind };
        let code = raw.split([';', '#']).next().unwrap_or("").trim();
        if code.is_empty() {
            continue;
        }
        let (word, rest) = code.split_once(char::is_whitespace).unwrap_or((code, ""));
        let operands: Vec<&str> = rest
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if word.eq_ignore_ascii_case(".byte") {
            for v in &operands {
                out.push(parse_byte(v).ok_or_else(|| fail(AsmErrorKind::BadByte(v.to_string())))?);
            }
            continue;
        }
        if !Instruction::is_mnemonic(word) {
            return Err(fail(AsmErrorKind::UnknownMnemonic(word.to_string())));
        }
        let regs = operands
            .iter()
            .map(|r| {
                Reg::from_name(r).ok_or_else(|| fail(AsmErrorKind::UnknownRegister(r.to_string())))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let insn = Instruction::from_parts(word, &regs).ok_or_else(|| {
            let expected = if word.eq_ignore_ascii_case("obj-alloc") {
                2
            } else {
                1
            };
            fail(AsmErrorKind::Operands {
                mnemonic: word.to_string(),
                expected,
                found: regs.len(),
            })
        })?;
        insn.encode_into(&mut out);
    }
    Ok(out)
}

fn parse_byte(v: &str) -> Option<u8> {
    match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        Some(hex) => u8::from_str_radix(hex, 16).ok(),
        None => v.parse().ok(),
    }
}

/// Most raw bytes on one `.byte` line.
const BYTES_PER_LINE: usize = 8;

/// Disassembles `bytes`: one Memento instruction a line, other bytes as
/// `.byte` lines of up to eight.
pub fn disassemble(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut raw: Vec<u8> = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        if let Ok((insn, len)) = decode(&bytes[at..]) {
            flush_bytes(&mut out, &mut raw);
            let _ = writeln!(out, "{insn}");
            at += len;
        } else {
            raw.push(bytes[at]);
            if raw.len() == BYTES_PER_LINE {
                flush_bytes(&mut out, &mut raw);
            }
            at += 1;
        }
    }
    flush_bytes(&mut out, &mut raw);
    out
}

fn flush_bytes(out: &mut String, raw: &mut Vec<u8>) {
    if raw.is_empty() {
        return;
    }
    let list: Vec<String> = raw.iter().map(|b| format!("{b:#04x}")).collect();
    let _ = writeln!(out, ".byte {}", list.join(", "));
    raw.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_program_assembles_with_comments_and_raw_bytes() {
        let text = "; malloc fast path\n  OBJ-ALLOC rax, RDI  # size in rdi\n.byte 0xc3, 195\nobj-free r8\n";
        let bytes = assemble(text).unwrap();
        assert_eq!(
            bytes,
            [0x48, 0x0F, 0x0A, 0x00, 0xC7, 0xC3, 0xC3, 0x49, 0x0F, 0x0A, 0x01, 0xC0]
        );
        assert_eq!(
            disassemble(&bytes),
            "obj-alloc rax, rdi\n.byte 0xc3, 0xc3\nobj-free r8\n"
        );
    }

    #[test]
    fn errors_carry_their_line_number() {
        let e = assemble("obj-free rdi\n\nobj-free rdx, rax\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(matches!(
            e.kind,
            AsmErrorKind::Operands {
                expected: 1,
                found: 2,
                ..
            }
        ));
        let e = assemble("rdmrs eax").unwrap_err();
        assert_eq!(
            e,
            AsmError {
                line: 1,
                kind: AsmErrorKind::UnknownRegister("eax".into())
            }
        );
        assert_eq!(assemble("\nmov rax, rbx").unwrap_err().line, 2);
        assert_eq!(
            assemble(".byte 256").unwrap_err().kind,
            AsmErrorKind::BadByte("256".into())
        );
        assert!(assemble("obj-alloc rax")
            .unwrap_err()
            .to_string()
            .starts_with("line 1:"));
    }

    #[test]
    fn long_runs_of_raw_bytes_split_into_lines_of_eight() {
        let text = disassemble(&[0x90; 10]);
        assert_eq!(text.lines().count(), 2);
        assert_eq!(assemble(&text).unwrap(), vec![0x90; 10]);
    }
}
