//! Encodings round-trip through the decoder, the assembler and the
//! disassembler, and capstone sees none of them as x86.

use memento_isa::listing::{capstone_decode, x86_64};
use memento_isa::{assemble, decode, disassemble, encode, Instruction, Reg};
use proptest::prelude::*;

/// Every instruction with every register (256 obj-allocs, 16 of each other).
fn every_instruction() -> Vec<Instruction> {
    let mut all = vec![];
    for a in Reg::ALL {
        for b in Reg::ALL {
            all.push(Instruction::ObjAlloc { dst: a, size: b });
        }
        all.push(Instruction::ObjFree { ptr: a });
        all.push(Instruction::WrMrs { src: a });
        all.push(Instruction::WrMre { src: a });
        all.push(Instruction::RdMrs { dst: a });
        all.push(Instruction::RdMre { dst: a });
    }
    all
}

#[test]
fn every_instruction_and_register_decodes_to_itself() {
    for i in every_instruction() {
        let bytes = encode(&i);
        assert_eq!(decode(&bytes), Ok((i, 5)), "{i}");
        assert_eq!(disassemble(&bytes), format!("{i}\n"));
        assert_eq!(assemble(&i.to_string()).unwrap(), bytes, "{i}");
    }
}

#[test]
fn capstone_decodes_none_of_our_instructions() {
    let cs = x86_64().unwrap();
    for i in every_instruction() {
        let bytes = encode(&i);
        assert_eq!(
            capstone_decode(&cs, &bytes, 0x1000),
            None,
            "{i} = {bytes:02x?}"
        );
    }
}

fn instruction() -> impl Strategy<Value = Instruction> {
    let reg = || (0u8..16).prop_map(Reg::from_number);
    prop_oneof![
        (reg(), reg()).prop_map(|(dst, size)| Instruction::ObjAlloc { dst, size }),
        reg().prop_map(|ptr| Instruction::ObjFree { ptr }),
        reg().prop_map(|src| Instruction::WrMrs { src }),
        reg().prop_map(|src| Instruction::WrMre { src }),
        reg().prop_map(|dst| Instruction::RdMrs { dst }),
        reg().prop_map(|dst| Instruction::RdMre { dst }),
    ]
}

/// A line of text for `i` as a person might write it: any case, any
/// spacing, maybe a comment.
fn written(i: &Instruction, upper: bool, pad: usize, comment: bool) -> String {
    let mut s = i
        .to_string()
        .replace(", ", &format!(",{}", " ".repeat(pad)));
    if upper {
        s = s.to_uppercase();
    }
    if comment {
        s.push_str(" ; note");
    }
    format!("{}{s}", " ".repeat(pad))
}

proptest! {
    #[test]
    fn assembled_text_disassembles_to_its_canonical_form(
        prog in prop::collection::vec((instruction(), any::<bool>(), 0usize..3, any::<bool>()), 0..40)
    ) {
        let text: String = prog.iter().map(|(i, u, p, c)| written(i, *u, *p, *c) + "\n").collect();
        let canonical: String = prog.iter().map(|(i, ..)| format!("{i}\n")).collect();
        let bytes = assemble(&text).unwrap();
        prop_assert_eq!(bytes.len(), 5 * prog.len());
        prop_assert_eq!(disassemble(&bytes), canonical);
    }

    #[test]
    fn any_bytes_survive_disassembly_and_reassembly(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        prop_assert_eq!(assemble(&disassemble(&bytes)).unwrap(), bytes);
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics_and_reencodes_exactly(bytes in prop::collection::vec(any::<u8>(), 0..8)) {
        if let Ok((i, len)) = decode(&bytes) {
            prop_assert_eq!(&encode(&i)[..], &bytes[..len]);
        }
    }
}
