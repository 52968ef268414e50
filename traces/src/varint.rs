//! LEB128 varints and zigzag deltas, the integer encoding of the format.

use crate::error::DecodeError;

/// Longest encoding of a `u64`.
pub const MAX_VARINT_LEN: usize = 10;

/// Appends `value` as an unsigned LEB128 varint.
#[inline]
pub fn put(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Appends a signed delta as a zigzag varint.
#[inline]
pub fn put_signed(out: &mut Vec<u8>, delta: i64) {
    put(out, zigzag(delta));
}

/// Maps small magnitudes of either sign to small unsigned values.
#[inline]
pub fn zigzag(delta: i64) -> u64 {
    ((delta << 1) ^ (delta >> 63)) as u64
}

/// Inverse of [`zigzag`].
#[inline]
pub fn unzigzag(value: u64) -> i64 {
    ((value >> 1) as i64) ^ -((value & 1) as i64)
}

/// Reads a varint at `*pos` in `bytes`, advancing `*pos`.
#[inline(always)]
pub fn get(bytes: &[u8], pos: &mut usize) -> Result<u64, DecodeError> {
    let p = *pos;
    let Some(&first) = bytes.get(p) else {
        return Err(DecodeError::TruncatedEvent);
    };
    if first < 0x80 {
        *pos = p + 1;
        return Ok(u64::from(first));
    }
    // Up to 8 bytes at once, without a branch per byte: find the first
    // byte with its high bit clear, then squeeze out the continuation bits.
    if let Some(chunk) = bytes.get(p..p + 8) {
        let word = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        let stops = !word & 0x8080_8080_8080_8080;
        if stops != 0 {
            // Bits up to and including the first stop bit: the varint's bytes.
            let value = word & (stops ^ (stops - 1));
            *pos = p + (stops.trailing_zeros() / 8 + 1) as usize;
            return Ok(compact(value));
        }
    }
    get_slow(bytes, pos)
}

/// Drops the continuation bit of each of the 8 bytes of `x`: merges 7-bit
/// groups pairwise into 14, 28 and 56 bits (three steps, not eight).
#[inline(always)]
fn compact(x: u64) -> u64 {
    let x = (x & 0x007f_007f_007f_007f) | ((x >> 1) & 0x3f80_3f80_3f80_3f80);
    let x = (x & 0x0000_3fff_0000_3fff) | ((x >> 2) & 0x0fff_c000_0fff_c000);
    (x & 0x0000_0000_0fff_ffff) | ((x >> 4) & 0x00ff_ffff_f000_0000)
}

/// Byte by byte: near the end of a chunk, and for 9- and 10-byte values.
#[cold]
#[inline(never)]
fn get_slow(bytes: &[u8], pos: &mut usize) -> Result<u64, DecodeError> {
    let mut value = 0;
    let mut shift = 0;
    loop {
        let Some(&byte) = bytes.get(*pos) else {
            return Err(DecodeError::TruncatedEvent);
        };
        *pos += 1;
        // The tenth byte may only carry the 64th bit.
        if shift == 63 && byte > 1 {
            return Err(DecodeError::VarintOverflow);
        }
        value |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Ok(value);
        }
        shift += 7;
    }
}

/// Reads a zigzag varint delta.
#[inline(always)]
pub fn get_signed(bytes: &[u8], pos: &mut usize) -> Result<i64, DecodeError> {
    get(bytes, pos).map(unzigzag)
}

/// Reads a varint that must fit in 32 bits.
#[inline(always)]
pub fn get_u32(bytes: &[u8], pos: &mut usize, what: &'static str) -> Result<u32, DecodeError> {
    let value = get(bytes, pos)?;
    u32::try_from(value).map_err(|_| DecodeError::FieldTooLarge { what, value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_width_round_trips() {
        for shift in 0..64 {
            for value in [1u64 << shift, (1u64 << shift) - 1, u64::MAX >> shift] {
                let mut out = Vec::new();
                put(&mut out, value);
                assert!(out.len() <= MAX_VARINT_LEN);
                let mut pos = 0;
                assert_eq!(get(&out, &mut pos).unwrap(), value);
                assert_eq!(pos, out.len());
            }
        }
    }

    #[test]
    fn zigzag_keeps_small_deltas_small() {
        for delta in [-64i64, -1, 0, 1, 63] {
            assert!(zigzag(delta) < 128, "{delta}");
            assert_eq!(unzigzag(zigzag(delta)), delta);
        }
        assert_eq!(unzigzag(zigzag(i64::MIN)), i64::MIN);
        assert_eq!(unzigzag(zigzag(i64::MAX)), i64::MAX);
    }

    #[test]
    fn every_width_round_trips_at_the_end_of_a_buffer_and_before_more_bytes() {
        for shift in 0..64 {
            let value = (1u64 << shift) | 1;
            let mut out = Vec::new();
            put(&mut out, value);
            let len = out.len();
            out.extend_from_slice(&[0xff; 12]);
            let mut pos = 0;
            assert_eq!(get(&out, &mut pos).unwrap(), value);
            assert_eq!(pos, len);
            let mut pos = 0;
            assert_eq!(get(&out[..len], &mut pos).unwrap(), value);
        }
    }

    #[test]
    fn eleven_byte_varint_overflows() {
        let bytes = [0xff; 11];
        assert!(matches!(
            get(&bytes, &mut 0),
            Err(DecodeError::VarintOverflow)
        ));
    }

    #[test]
    fn tenth_byte_above_one_overflows() {
        let mut bytes = vec![0x80; 9];
        bytes.push(0x02);
        assert!(matches!(
            get(&bytes, &mut 0),
            Err(DecodeError::VarintOverflow)
        ));
        bytes[9] = 0x01;
        assert_eq!(get(&bytes, &mut 0).unwrap(), 1 << 63);
    }

    #[test]
    fn varint_cut_short_is_truncated() {
        assert!(matches!(
            get(&[0x80, 0x80], &mut 0),
            Err(DecodeError::TruncatedEvent)
        ));
        assert!(matches!(get(&[], &mut 0), Err(DecodeError::TruncatedEvent)));
    }
}
