//! The Valgrind client requests of Memento's capture tool, from Rust.
//!
//! The request numbers are those of `../c/memento_requests.h`; the tool
//! reads six words per request. Outside Valgrind a request is a few
//! instructions that change nothing, so code can issue them always. No
//! allocation and no `std`: a global allocator may use them.

#![no_std]
#![warn(missing_docs)]

/// First request number of the capture tool: `VG_USERREQ_TOOL_BASE('M','E')`.
pub const TOOL_BASE: u64 = (b'M' as u64) << 24 | (b'E' as u64) << 16;
/// Enter an allocator call: `[ENTER, entry point, call site, level, 0, 0]`.
pub const ENTER: u64 = TOOL_BASE;
/// Leave an allocation: `[LEAVE_ALLOC, size, alignment, address, 0, 0]`.
pub const LEAVE_ALLOC: u64 = TOOL_BASE + 1;
/// Leave a free: `[LEAVE_FREE, address, 0, 0, 0, 0]`.
pub const LEAVE_FREE: u64 = TOOL_BASE + 2;
/// Leave a resize: `[LEAVE_REALLOC, old address, new address, size, 0, 0]`.
pub const LEAVE_REALLOC: u64 = TOOL_BASE + 3;
/// The region of interest begins: `[ROI_BEGIN, 0, ...]`.
pub const ROI_BEGIN: u64 = TOOL_BASE + 4;
/// The region of interest ends.
pub const ROI_END: u64 = TOOL_BASE + 5;
/// Invocation `id` begins: `[INVOCATION_BEGIN, id, 0, ...]`.
pub const INVOCATION_BEGIN: u64 = TOOL_BASE + 6;
/// Invocation `id` ends.
pub const INVOCATION_END: u64 = TOOL_BASE + 7;

/// Issues the client request whose six words are `args` (`valgrind.h`,
/// amd64): a sequence of rotations that adds up to nothing, which Valgrind
/// recognises.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub fn request(args: &[u64; 6]) {
    // SAFETY: the four rotations of rdi add up to 128 bits and
    // `xchg rbx, rbx` changes nothing, so natively no register changes;
    // Valgrind reads the six words at rax and writes its answer to rdx.
    unsafe {
        core::arch::asm!(
            "rol rdi, 3",
            "rol rdi, 13",
            "rol rdi, 61",
            "rol rdi, 51",
            "xchg rbx, rbx",
            in("rax") args.as_ptr(),
            inout("rdx") 0u64 => _,
            inout("rdi") 0u64 => _,
            options(nostack, readonly),
        );
    }
}

/// Elsewhere the tool does not exist: nothing to do.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub fn request(_args: &[u64; 6]) {}

#[cfg(test)]
extern crate std;

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    #[test]
    fn a_request_outside_valgrind_is_harmless() {
        let args = [ENTER, 7, 8, 9, 10, 11];
        let copy = args;
        for _ in 0..3 {
            request(&args);
        }
        assert_eq!(args, copy);
    }

    #[test]
    fn numbers_follow_the_order_of_the_c_header() {
        // The header's enum counts up from MEMENTO_REQ_ENTER = TOOL_BASE.
        let header = include_str!("../../c/memento_requests.h");
        let names: Vec<&str> = header
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| w.starts_with("MEMENTO_REQ_"))
            .collect();
        for (name, value) in [
            ("ENTER", ENTER),
            ("LEAVE_ALLOC", LEAVE_ALLOC),
            ("LEAVE_FREE", LEAVE_FREE),
            ("LEAVE_REALLOC", LEAVE_REALLOC),
            ("ROI_BEGIN", ROI_BEGIN),
            ("ROI_END", ROI_END),
            ("INVOCATION_BEGIN", INVOCATION_BEGIN),
            ("INVOCATION_END", INVOCATION_END),
        ] {
            let at = (value - TOOL_BASE) as usize;
            assert_eq!(names.get(at).map(|n| &n[12..]), Some(name), "{names:?}");
        }
    }
}
