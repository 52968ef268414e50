//! Prints the listing of a malloc fast path using obj-alloc: capstone
//! decodes the x86 around it, our disassembler the Memento instruction.
//!
//! `cargo run -p memento-isa --example listing`

use memento_isa::listing::{listing, malloc_fast_path};

fn main() {
    let (base, slow_malloc) = (0x401000, 0x402000);
    match listing(&malloc_fast_path(base, slow_malloc), base) {
        Ok(text) => print!("{text}"),
        Err(e) => {
            eprintln!("listing: {e}");
            std::process::exit(1);
        }
    }
}
