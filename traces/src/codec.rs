//! Event encoding and decoding inside one chunk: opcodes, delta bases,
//! varints. The state resets at every chunk so chunks decode independently.

use crate::error::DecodeError;
use crate::event::{Alloc, AllocFn, AllocLevel, Event, Free, Realloc};
use crate::varint;

/// Opcodes of the first byte of an event (see `FORMAT.md`).
pub mod op {
    /// A gap with a varint count.
    pub const GAP: u8 = 0x01;
    /// A block with a varint count.
    pub const BLOCK: u8 = 0x02;
    /// A load of any size.
    pub const LOAD_EXT: u8 = 0x03;
    /// A store of any size.
    pub const STORE_EXT: u8 = 0x04;
    /// An allocation.
    pub const ALLOC: u8 = 0x05;
    /// A free.
    pub const FREE: u8 = 0x06;
    /// A resize.
    pub const REALLOC: u8 = 0x07;
    /// Entry into an allocator function.
    pub const ALLOC_ENTER: u8 = 0x08;
    /// Exit from an allocator function.
    pub const ALLOC_EXIT: u8 = 0x09;
    /// `mmap`.
    pub const MMAP: u8 = 0x0a;
    /// `munmap`.
    pub const MUNMAP: u8 = 0x0b;
    /// `brk`.
    pub const BRK: u8 = 0x0c;
    /// `madvise`.
    pub const MADVISE: u8 = 0x0d;
    /// `mremap`.
    pub const MREMAP: u8 = 0x0e;
    /// Thread switch.
    pub const THREAD: u8 = 0x0f;
    /// Region of interest begins.
    pub const ROI_BEGIN: u8 = 0x10;
    /// Region of interest ends.
    pub const ROI_END: u8 = 0x11;
    /// Invocation begins.
    pub const INVOCATION_BEGIN: u8 = 0x12;
    /// Invocation ends.
    pub const INVOCATION_END: u8 = 0x13;
    /// A dependence with a `u8` distance (format version 2).
    pub const DEP: u8 = 0x14;
    /// Dependences of distance 1..=3: `DEP + distance` (0x15..=0x17).
    pub const DEP_SHORT_MAX: u8 = 0x17;
    /// Gaps of 1..=8 instructions: `GAP_SHORT | (count - 1)`.
    pub const GAP_SHORT: u8 = 0x18;
    /// A block equal to the one in slot s of the block table: `BLOCK_REPEAT | s`.
    pub const BLOCK_REPEAT: u8 = 0x20;
    /// Blocks of 1..=64 instructions: `BLOCK_SHORT | (count - 1)`.
    pub const BLOCK_SHORT: u8 = 0x40;
    /// Loads and stores of 1, 2, 4 or 8 bytes: `1 s zz bb ff`.
    pub const MEM: u8 = 0x80;
    /// Store bit of a short memory opcode.
    pub const MEM_STORE: u8 = 0x40;
}

/// Number of address bases short memory opcodes choose from.
pub const MEM_BASES: usize = 4;

/// Longest encoding of one event (an alloc: 3 bytes and four varints).
pub const MAX_EVENT_BYTES: usize = 3 + 4 * varint::MAX_VARINT_LEN;

/// Slots of the table of recent blocks that repeat opcodes refer to.
pub const BLOCK_SLOTS: usize = 32;

/// The block-table slot of a block starting at `addr`.
#[inline(always)]
pub fn block_slot(addr: u64) -> usize {
    (addr.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 59) as usize
}

/// A block as kept in the block table: start, byte length, instructions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct BlockEntry {
    addr: u64,
    len: u32,
    count: u32,
}

const FORM_VARINT: u8 = 0;
const FORM_SAME: u8 = 1;
const FORM_NEXT: u8 = 2;
const FORM_PREV: u8 = 3;

/// Checks the invariants the format relies on (non-zero counts and sizes).
pub fn check(event: &Event) -> Result<(), &'static str> {
    match *event {
        Event::Block { count: 0, .. } => Err("block of zero instructions"),
        Event::Block { len: 0, .. } => Err("block of zero bytes"),
        Event::Gap { count: 0 } => Err("gap of zero instructions"),
        Event::Dep { distance: 0 } => Err("dependence of distance zero"),
        Event::Load { size: 0, .. } | Event::Store { size: 0, .. } => {
            Err("memory access of zero bytes")
        }
        _ => Ok(()),
    }
}

/// The delta bases shared by encoder and decoder.
#[derive(Clone, Debug, Default)]
struct Bases {
    mem: [u64; MEM_BASES],
    blocks: [BlockEntry; BLOCK_SLOTS],
    block_end: u64,
    heap: u64,
    site: u64,
}

/// Encodes events into a chunk payload.
#[derive(Clone, Debug, Default)]
pub struct Encoder {
    bases: Bases,
    last_use: [u64; MEM_BASES],
    clock: u64,
}

impl Encoder {
    /// Forgets all bases: call at the start of every chunk.
    pub fn reset(&mut self) {
        *self = Encoder::default();
    }

    /// Appends `event` to `out`. The event must pass [`check`].
    // Forced inline, as `mem` and `choose_base`: see `TraceWriter::push`.
    #[inline(always)]
    pub fn encode(&mut self, event: &Event, out: &mut Vec<u8>) {
        // One capacity check per event instead of one per byte pushed.
        out.reserve(MAX_EVENT_BYTES);
        match *event {
            Event::Load { addr, size } => self.mem(false, addr, size, out),
            Event::Store { addr, size } => self.mem(true, addr, size, out),
            Event::Block { addr, len, count } => {
                let slot = block_slot(addr);
                let entry = BlockEntry { addr, len, count };
                if self.bases.blocks[slot] == entry {
                    out.push(op::BLOCK_REPEAT | slot as u8);
                    self.bases.block_end = addr.wrapping_add(u64::from(len));
                    return;
                }
                self.bases.blocks[slot] = entry;
                if count <= 64 {
                    out.push(op::BLOCK_SHORT | (count - 1) as u8);
                } else {
                    out.push(op::BLOCK);
                    varint::put(out, u64::from(count));
                }
                varint::put_signed(out, addr.wrapping_sub(self.bases.block_end) as i64);
                varint::put(out, u64::from(len));
                self.bases.block_end = addr.wrapping_add(u64::from(len));
            }
            Event::Gap { count } => {
                if count <= 8 {
                    out.push(op::GAP_SHORT | (count - 1) as u8);
                } else {
                    out.push(op::GAP);
                    varint::put(out, count);
                }
            }
            Event::Alloc(a) => {
                out.extend_from_slice(&[op::ALLOC, a.func as u8, a.level as u8]);
                varint::put(out, a.size);
                varint::put(out, a.align);
                self.heap_delta(a.addr, out);
                self.site_delta(a.site, out);
            }
            Event::Free(f) => {
                out.extend_from_slice(&[op::FREE, f.func as u8, f.level as u8]);
                self.heap_delta(f.addr, out);
                self.site_delta(f.site, out);
            }
            Event::Realloc(r) => {
                out.extend_from_slice(&[op::REALLOC, r.func as u8, r.level as u8]);
                varint::put_signed(out, r.old_addr.wrapping_sub(self.bases.heap) as i64);
                varint::put_signed(out, r.new_addr.wrapping_sub(r.old_addr) as i64);
                varint::put(out, r.size);
                self.site_delta(r.site, out);
                self.bases.heap = if r.new_addr != 0 {
                    r.new_addr
                } else {
                    r.old_addr
                };
            }
            Event::AllocEnter { func } => out.extend_from_slice(&[op::ALLOC_ENTER, func as u8]),
            Event::AllocExit => out.push(op::ALLOC_EXIT),
            Event::Mmap {
                addr,
                len,
                prot,
                flags,
            } => {
                out.push(op::MMAP);
                for v in [addr, len, u64::from(prot), u64::from(flags)] {
                    varint::put(out, v);
                }
            }
            Event::Munmap { addr, len } => {
                out.push(op::MUNMAP);
                varint::put(out, addr);
                varint::put(out, len);
            }
            Event::Brk { old, new } => {
                out.push(op::BRK);
                varint::put(out, old);
                varint::put(out, new);
            }
            Event::Madvise { addr, len, advice } => {
                out.push(op::MADVISE);
                for v in [addr, len, u64::from(advice)] {
                    varint::put(out, v);
                }
            }
            Event::Mremap {
                old_addr,
                old_len,
                new_addr,
                new_len,
            } => {
                out.push(op::MREMAP);
                for v in [old_addr, old_len, new_addr, new_len] {
                    varint::put(out, v);
                }
            }
            Event::Thread { tid } => {
                out.push(op::THREAD);
                varint::put(out, u64::from(tid));
            }
            Event::RoiBegin => out.push(op::ROI_BEGIN),
            Event::RoiEnd => out.push(op::ROI_END),
            Event::InvocationBegin { id } => {
                out.push(op::INVOCATION_BEGIN);
                varint::put(out, id);
            }
            Event::InvocationEnd { id } => {
                out.push(op::INVOCATION_END);
                varint::put(out, id);
            }
            Event::Dep { distance } => {
                if distance <= op::DEP_SHORT_MAX - op::DEP {
                    out.push(op::DEP + distance);
                } else {
                    out.extend_from_slice(&[op::DEP, distance]);
                }
            }
        }
    }

    fn heap_delta(&mut self, addr: u64, out: &mut Vec<u8>) {
        varint::put_signed(out, addr.wrapping_sub(self.bases.heap) as i64);
        if addr != 0 {
            self.bases.heap = addr;
        }
    }

    fn site_delta(&mut self, site: u64, out: &mut Vec<u8>) {
        varint::put_signed(out, site.wrapping_sub(self.bases.site) as i64);
        self.bases.site = site;
    }

    /// Picks the base that encodes `addr` cheapest: the first that gives a
    /// one-byte form, else the nearest; far from all of them, the least
    /// recently used one, so that near streams survive. Computed for all
    /// bases at once: a loop that stops at the first fit mispredicts.
    #[inline(always)]
    fn choose_base(&self, addr: u64, size: u32) -> (usize, u8) {
        let size = u64::from(size);
        let delta = self.bases.mem.map(|base| addr.wrapping_sub(base));
        let distance = delta.map(|d| (d as i64).unsigned_abs());
        let short = (0..MEM_BASES).fold(0u32, |bits, b| {
            bits | u32::from(distance[b] == 0 || distance[b] == size) << b
        });
        if short != 0 {
            let b = short.trailing_zeros() as usize;
            let form = match delta[b] {
                0 => FORM_SAME,
                d if d == size => FORM_NEXT,
                _ => FORM_PREV,
            };
            return (b, form);
        }
        let nearest = first_min(distance);
        if distance[nearest] >= 1 << 12 {
            return (first_min(self.last_use), FORM_VARINT);
        }
        (nearest, FORM_VARINT)
    }

    #[inline(always)]
    fn mem(&mut self, store: bool, addr: u64, size: u32, out: &mut Vec<u8>) {
        let (base, form) = self.choose_base(addr, size);
        let size_code = match size {
            1 => Some(0u8),
            2 => Some(1),
            4 => Some(2),
            8 => Some(3),
            _ => None,
        };
        let delta = addr.wrapping_sub(self.bases.mem[base]) as i64;
        match size_code {
            Some(code) => {
                let store_bit = if store { op::MEM_STORE } else { 0 };
                out.push(op::MEM | store_bit | code << 4 | (base as u8) << 2 | form);
                if form == FORM_VARINT {
                    varint::put_signed(out, delta);
                }
            }
            None => {
                out.push(if store { op::STORE_EXT } else { op::LOAD_EXT });
                out.push(base as u8);
                varint::put(out, u64::from(size));
                varint::put_signed(out, delta);
            }
        }
        self.bases.mem[base] = addr;
        self.clock += 1;
        self.last_use[base] = self.clock;
    }
}

/// The index of the smallest of four values, the first of equal ones.
#[inline(always)]
fn first_min(v: [u64; MEM_BASES]) -> usize {
    let low = usize::from(v[1] < v[0]);
    let high = 2 + usize::from(v[3] < v[2]);
    if v[high] < v[low] {
        high
    } else {
        low
    }
}

/// What [`Decoder::decode_with`] hands an event to. Loads, stores and
/// blocks, nearly every event of a trace, come to their own methods as
/// plain values: an [`Event`] built for them stays in memory, its fields
/// stored and read back, because its variants lay the same bytes out
/// differently. By default they come to [`Visit::event`] like the rest.
pub trait Visit {
    /// What each method returns.
    type Out;

    /// Any event (loads, stores and blocks too, unless their methods are
    /// overridden).
    fn event(&mut self, event: Event) -> Self::Out;

    /// A load (`store` false) or a store of `size` bytes at `addr`. One
    /// method for both, so that building an event picks its kind without a
    /// branch.
    #[inline(always)]
    fn access(&mut self, store: bool, addr: u64, size: u32) -> Self::Out {
        self.event(Event::access(store, addr, size))
    }

    /// A block of `count` instructions at `addr..addr + len`.
    #[inline(always)]
    fn block(&mut self, addr: u64, len: u32, count: u32) -> Self::Out {
        self.event(Event::Block { addr, len, count })
    }
}

/// The gap of a short gap opcode.
#[inline(always)]
fn short_gap(opcode: u8) -> Event {
    Event::Gap {
        count: u64::from(opcode & 0x07) + 1,
    }
}

/// Decodes the events of one chunk payload.
#[derive(Clone, Debug)]
pub struct Decoder<'a> {
    bytes: &'a [u8],
    pos: usize,
    bases: Bases,
}

impl<'a> Decoder<'a> {
    /// A decoder at the start of `payload`.
    pub fn new(payload: &'a [u8]) -> Self {
        Decoder {
            bytes: payload,
            pos: 0,
            bases: Bases::default(),
        }
    }

    /// Offset of the next event in the payload.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// True when the whole payload has been decoded.
    pub fn is_done(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    /// Decodes the next event. On error the position is left at the fault.
    // The same ladder as `decode_with`, written out: through a visitor that
    // builds events, the compiler kept fewer of their fields in registers
    // and chunk decoding ran 10% slower.
    #[inline(always)]
    pub fn decode(&mut self) -> Result<Event, DecodeError> {
        let opcode = self.opcode()?;
        if opcode >= op::MEM {
            let (addr, size) = self.short_access(opcode)?;
            return Ok(Event::access(opcode & op::MEM_STORE != 0, addr, size));
        }
        if opcode >= op::BLOCK_SHORT {
            let count = u32::from(opcode & 0x3f) + 1;
            let (addr, len) = self.block(count)?;
            return Ok(Event::Block { addr, len, count });
        }
        if opcode >= op::BLOCK_REPEAT {
            let BlockEntry { addr, len, count } = self.block_repeat(opcode)?;
            return Ok(Event::Block { addr, len, count });
        }
        if opcode >= op::GAP_SHORT {
            return Ok(short_gap(opcode));
        }
        if opcode >= op::DEP {
            return self.dep(opcode);
        }
        self.decode_rare(opcode)
    }

    /// Decodes the next event into `visit`: loads, stores and blocks go to
    /// their own methods as plain values, so that a consumer inlined here
    /// never builds an [`Event`] for them. On error the position is left at
    /// the fault and `visit` has seen nothing.
    #[inline(always)]
    pub fn decode_with<V: Visit>(&mut self, visit: &mut V) -> Result<V::Out, DecodeError> {
        let opcode = self.opcode()?;
        if opcode >= op::MEM {
            let (addr, size) = self.short_access(opcode)?;
            return Ok(visit.access(opcode & op::MEM_STORE != 0, addr, size));
        }
        if opcode >= op::BLOCK_SHORT {
            let count = u32::from(opcode & 0x3f) + 1;
            let (addr, len) = self.block(count)?;
            return Ok(visit.block(addr, len, count));
        }
        if opcode >= op::BLOCK_REPEAT {
            let BlockEntry { addr, len, count } = self.block_repeat(opcode)?;
            return Ok(visit.block(addr, len, count));
        }
        if opcode >= op::GAP_SHORT {
            return Ok(visit.event(short_gap(opcode)));
        }
        if opcode >= op::DEP {
            return self.dep(opcode).map(|event| visit.event(event));
        }
        self.decode_rare(opcode).map(|event| visit.event(event))
    }

    /// The opcode of the next event.
    #[inline(always)]
    fn opcode(&mut self) -> Result<u8, DecodeError> {
        let Some(&opcode) = self.bytes.get(self.pos) else {
            return Err(DecodeError::TruncatedEvent);
        };
        self.pos += 1;
        Ok(opcode)
    }

    /// The rest of a load or store of a short opcode: address and size.
    #[inline(always)]
    fn short_access(&mut self, opcode: u8) -> Result<(u64, u32), DecodeError> {
        let size = 1u32 << ((opcode >> 4) & 3);
        let base = usize::from((opcode >> 2) & 3);
        let form = opcode & 3;
        // Same / next / previous address without a branch between them.
        let delta = if form == FORM_VARINT {
            varint::get_signed(self.bytes, &mut self.pos)? as u64
        } else {
            let step = u64::from(size);
            [0, 0, step, step.wrapping_neg()][usize::from(form)]
        };
        let addr = self.bases.mem[base].wrapping_add(delta);
        self.bases.mem[base] = addr;
        Ok((addr, size))
    }

    /// A dependence: its distance inline (short form) or in the next byte.
    #[inline(always)]
    fn dep(&mut self, opcode: u8) -> Result<Event, DecodeError> {
        let distance = if opcode == op::DEP {
            self.byte()?
        } else {
            opcode - op::DEP
        };
        if distance == 0 {
            return Err(DecodeError::Inconsistent("dependence of distance zero"));
        }
        Ok(Event::Dep { distance })
    }

    /// The block a repeat opcode refers to.
    #[inline(always)]
    fn block_repeat(&mut self, opcode: u8) -> Result<BlockEntry, DecodeError> {
        let entry = self.bases.blocks[usize::from(opcode & 0x1f)];
        if entry.count == 0 {
            return Err(DecodeError::Inconsistent("repeat of an empty block slot"));
        }
        self.bases.block_end = entry.addr.wrapping_add(u64::from(entry.len));
        Ok(entry)
    }

    /// The rest of a block of `count` instructions: its address and length.
    #[inline(always)]
    fn block(&mut self, count: u32) -> Result<(u64, u32), DecodeError> {
        let delta = varint::get_signed(self.bytes, &mut self.pos)?;
        let len = varint::get_u32(self.bytes, &mut self.pos, "block length")?;
        if len == 0 {
            return Err(DecodeError::Inconsistent("block of zero bytes"));
        }
        let addr = self.bases.block_end.wrapping_add(delta as u64);
        self.bases.block_end = addr.wrapping_add(u64::from(len));
        self.bases.blocks[block_slot(addr)] = BlockEntry { addr, len, count };
        Ok((addr, len))
    }

    fn byte(&mut self) -> Result<u8, DecodeError> {
        let byte = *self
            .bytes
            .get(self.pos)
            .ok_or(DecodeError::TruncatedEvent)?;
        self.pos += 1;
        Ok(byte)
    }

    fn varint(&mut self) -> Result<u64, DecodeError> {
        varint::get(self.bytes, &mut self.pos)
    }

    fn varint_u32(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        varint::get_u32(self.bytes, &mut self.pos, what)
    }

    fn signed(&mut self) -> Result<i64, DecodeError> {
        varint::get_signed(self.bytes, &mut self.pos)
    }

    fn func_level(&mut self) -> Result<(AllocFn, AllocLevel), DecodeError> {
        let func = AllocFn::try_from(self.byte()?)?;
        let level = AllocLevel::try_from(self.byte()?)?;
        Ok((func, level))
    }

    fn heap_addr(&mut self) -> Result<u64, DecodeError> {
        let addr = self.bases.heap.wrapping_add(self.signed()? as u64);
        if addr != 0 {
            self.bases.heap = addr;
        }
        Ok(addr)
    }

    fn site(&mut self) -> Result<u64, DecodeError> {
        let site = self.bases.site.wrapping_add(self.signed()? as u64);
        self.bases.site = site;
        Ok(site)
    }

    fn mem_ext(&mut self, store: bool) -> Result<Event, DecodeError> {
        let base = usize::from(self.byte()?);
        if base >= MEM_BASES {
            return Err(DecodeError::InvalidValue(crate::error::InvalidValue {
                what: "address base",
                value: base as u64,
            }));
        }
        let size = self.varint_u32("access size")?;
        if size == 0 {
            return Err(DecodeError::Inconsistent("memory access of zero bytes"));
        }
        let addr = self.bases.mem[base].wrapping_add(self.signed()? as u64);
        self.bases.mem[base] = addr;
        Ok(Event::access(store, addr, size))
    }

    #[inline(never)]
    fn decode_rare(&mut self, opcode: u8) -> Result<Event, DecodeError> {
        Ok(match opcode {
            op::GAP => {
                let count = self.varint()?;
                if count == 0 {
                    return Err(DecodeError::Inconsistent("gap of zero instructions"));
                }
                Event::Gap { count }
            }
            op::BLOCK => {
                let count = self.varint_u32("block instruction count")?;
                if count == 0 {
                    return Err(DecodeError::Inconsistent("block of zero instructions"));
                }
                let (addr, len) = self.block(count)?;
                Event::Block { addr, len, count }
            }
            op::LOAD_EXT => return self.mem_ext(false),
            op::STORE_EXT => return self.mem_ext(true),
            op::ALLOC => {
                let (func, level) = self.func_level()?;
                let size = self.varint()?;
                let align = self.varint()?;
                let addr = self.heap_addr()?;
                let site = self.site()?;
                Event::Alloc(Alloc {
                    func,
                    level,
                    size,
                    align,
                    addr,
                    site,
                })
            }
            op::FREE => {
                let (func, level) = self.func_level()?;
                let addr = self.heap_addr()?;
                let site = self.site()?;
                Event::Free(Free {
                    func,
                    level,
                    addr,
                    site,
                })
            }
            op::REALLOC => {
                let (func, level) = self.func_level()?;
                let old_addr = self.bases.heap.wrapping_add(self.signed()? as u64);
                let new_addr = old_addr.wrapping_add(self.signed()? as u64);
                let size = self.varint()?;
                let site = self.site()?;
                self.bases.heap = if new_addr != 0 { new_addr } else { old_addr };
                Event::Realloc(Realloc {
                    func,
                    level,
                    old_addr,
                    new_addr,
                    size,
                    site,
                })
            }
            op::ALLOC_ENTER => Event::AllocEnter {
                func: AllocFn::try_from(self.byte()?)?,
            },
            op::ALLOC_EXIT => Event::AllocExit,
            op::MMAP => Event::Mmap {
                addr: self.varint()?,
                len: self.varint()?,
                prot: self.varint_u32("mmap prot")?,
                flags: self.varint_u32("mmap flags")?,
            },
            op::MUNMAP => Event::Munmap {
                addr: self.varint()?,
                len: self.varint()?,
            },
            op::BRK => Event::Brk {
                old: self.varint()?,
                new: self.varint()?,
            },
            op::MADVISE => Event::Madvise {
                addr: self.varint()?,
                len: self.varint()?,
                advice: self.varint_u32("madvise advice")?,
            },
            op::MREMAP => Event::Mremap {
                old_addr: self.varint()?,
                old_len: self.varint()?,
                new_addr: self.varint()?,
                new_len: self.varint()?,
            },
            op::THREAD => Event::Thread {
                tid: self.varint_u32("thread id")?,
            },
            op::ROI_BEGIN => Event::RoiBegin,
            op::ROI_END => Event::RoiEnd,
            op::INVOCATION_BEGIN => Event::InvocationBegin { id: self.varint()? },
            op::INVOCATION_END => Event::InvocationEnd { id: self.varint()? },
            other => {
                self.pos -= 1;
                return Err(DecodeError::UnknownOpcode(other));
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The base choice written as the plain loop it replaces.
    fn choose_base_by_loop(encoder: &Encoder, addr: u64, size: u32) -> (usize, u8) {
        let size = u64::from(size);
        for (b, &base) in encoder.bases.mem.iter().enumerate() {
            let delta = addr.wrapping_sub(base);
            if delta == 0 {
                return (b, FORM_SAME);
            }
            if delta == size {
                return (b, FORM_NEXT);
            }
            if delta == size.wrapping_neg() {
                return (b, FORM_PREV);
            }
        }
        let distance = |b: usize| (addr.wrapping_sub(encoder.bases.mem[b]) as i64).unsigned_abs();
        let nearest = (0..MEM_BASES).min_by_key(|&b| distance(b)).unwrap();
        if distance(nearest) >= 1 << 12 {
            let lru = (0..MEM_BASES).min_by_key(|&b| encoder.last_use[b]).unwrap();
            return (lru, FORM_VARINT);
        }
        (nearest, FORM_VARINT)
    }

    /// Addresses near each other and near a few bases, so every form and
    /// ties between bases occur.
    fn near(seed: u64) -> impl Strategy<Value = u64> {
        prop_oneof![
            (0u64..64).prop_map(move |d| seed.wrapping_add(d * 4)),
            (0u64..8192).prop_map(move |d| seed.wrapping_sub(d)),
            any::<u64>(),
        ]
    }

    proptest! {
        #[test]
        fn the_base_is_the_first_one_byte_form_else_the_nearest_else_the_least_recent(
            mem in proptest::array::uniform4(near(0x7f00_0000_1000)),
            last_use in proptest::array::uniform4(0u64..4),
            addr in near(0x7f00_0000_1000),
            size in prop_oneof![Just(1u32), Just(2), Just(4), Just(8), 1u32..100],
        ) {
            let mut encoder = Encoder::default();
            encoder.bases.mem = mem;
            encoder.last_use = last_use;
            prop_assert_eq!(
                encoder.choose_base(addr, size),
                choose_base_by_loop(&encoder, addr, size)
            );
        }
    }
}
