//! Physical address to DRAM coordinates, by fields listed in the config from
//! most to least significant.

use super::config::MapField;

/// Where a line lives in DRAM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location {
    /// Channel.
    pub channel: u32,
    /// Rank within the channel.
    pub rank: u32,
    /// Bank group within the rank.
    pub bank_group: u32,
    /// Bank within the bank group.
    pub bank: u32,
    /// Row within the bank.
    pub row: u32,
    /// Line-sized column block within the row.
    pub column: u32,
}

/// Splits line addresses into [`Location`]s.
#[derive(Clone, Debug)]
pub struct AddressMapping {
    /// (shift, mask) of each field in a line number, by `MapField as usize`
    /// (the config lists each field once).
    place: [(u32, u64); 6],
    line_shift: u32,
    /// log2 of the frame size, when pages sit at random frames.
    frame_shift: Option<u32>,
}

impl AddressMapping {
    /// A mapping for `order` (most significant first); `count` gives how
    /// many values each field has (a power of two).
    pub fn new(
        order: &[MapField],
        line_size: u32,
        count: impl Fn(MapField) -> u32,
    ) -> AddressMapping {
        let mut place = [(0, 0); 6];
        let mut shift = 0;
        for &field in order.iter().rev() {
            let bits = count(field).trailing_zeros();
            place[field as usize] = (shift, (1u64 << bits) - 1);
            shift += bits;
        }
        AddressMapping {
            place,
            line_shift: line_size.trailing_zeros(),
            frame_shift: None,
        }
    }

    /// Puts each page of `page_size` bytes at a pseudo-random frame
    /// ([`super::PageFrames::Random`]): the page number goes through a fixed
    /// bijection of its 64 - log2(page_size) bits (multiplications by odd
    /// constants and xor-shifts), the offset in the page stays. Two pages
    /// never share a frame number; as without it, frame numbers beyond the
    /// DRAM's capacity wrap around.
    pub fn randomize_frames(&mut self, page_size: u32) {
        self.frame_shift = Some(page_size.trailing_zeros());
    }

    /// The byte address that `addr` is placed at: `addr` itself unless
    /// pages sit at random frames.
    #[inline]
    pub fn placed(&self, addr: u64) -> u64 {
        let Some(shift) = self.frame_shift else {
            return addr;
        };
        let bits = 64 - shift;
        let mask = u64::MAX >> shift;
        let mut p = addr >> shift;
        // Each step is a bijection of `bits`-bit numbers.
        for k in [0x9e37_79b9_7f4a_7c15u64, 0xbf58_476d_1ce4_e5b9] {
            p = p.wrapping_mul(k) & mask;
            p ^= p >> (bits / 2);
        }
        (p << shift) | (addr & ((1u64 << shift) - 1))
    }

    /// The location of the line holding byte address `addr`. Bits above the
    /// most significant field wrap around (the row field takes them modulo).
    pub fn locate(&self, addr: u64) -> Location {
        let line = self.placed(addr) >> self.line_shift;
        let field = |f: MapField| {
            let (shift, mask) = self.place[f as usize];
            (line.checked_shr(shift).unwrap_or(0) & mask) as u32
        };
        Location {
            channel: field(MapField::Channel),
            rank: field(MapField::Rank),
            bank_group: field(MapField::BankGroup),
            bank: field(MapField::Bank),
            row: field(MapField::Row),
            column: field(MapField::Column),
        }
    }

    /// The byte address of a location (the inverse of [`Self::locate`]
    /// when frames are as given).
    pub fn address(&self, loc: Location) -> u64 {
        let field = |f: MapField, value: u32| {
            let (shift, mask) = self.place[f as usize];
            (u64::from(value) & mask).checked_shl(shift).unwrap_or(0)
        };
        let line = field(MapField::Channel, loc.channel)
            | field(MapField::Rank, loc.rank)
            | field(MapField::BankGroup, loc.bank_group)
            | field(MapField::Bank, loc.bank)
            | field(MapField::Row, loc.row)
            | field(MapField::Column, loc.column);
        line << self.line_shift
    }
}
