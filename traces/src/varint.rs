//! LEB128 varints and zigzag deltas, the integer encoding of the format.

use crate::error::ErrorKind;

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
pub fn get(bytes: &[u8], pos: &mut usize) -> Result<u64, ErrorKind> {
    let Some(&first) = bytes.get(*pos) else {
        return Err(ErrorKind::TruncatedEvent);
    };
    *pos += 1;
    if first < 0x80 {
        return Ok(u64::from(first));
    }
    // Two-byte values (deltas up to +-8 KiB) are common enough to inline.
    if let Some(&second) = bytes.get(*pos) {
        if second < 0x80 {
            *pos += 1;
            return Ok(u64::from(first & 0x7f) | u64::from(second) << 7);
        }
    }
    get_slow(bytes, pos, u64::from(first & 0x7f))
}

#[cold]
#[inline(never)]
fn get_slow(bytes: &[u8], pos: &mut usize, mut value: u64) -> Result<u64, ErrorKind> {
    let mut shift = 7;
    loop {
        let Some(&byte) = bytes.get(*pos) else {
            return Err(ErrorKind::TruncatedEvent);
        };
        *pos += 1;
        // The tenth byte may only carry the 64th bit.
        if shift == 63 && byte > 1 {
            return Err(ErrorKind::VarintOverflow);
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
pub fn get_signed(bytes: &[u8], pos: &mut usize) -> Result<i64, ErrorKind> {
    get(bytes, pos).map(unzigzag)
}

/// Reads a varint that must fit in 32 bits.
#[inline(always)]
pub fn get_u32(bytes: &[u8], pos: &mut usize, what: &'static str) -> Result<u32, ErrorKind> {
    let value = get(bytes, pos)?;
    u32::try_from(value).map_err(|_| ErrorKind::FieldTooLarge { what, value })
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
    fn eleven_byte_varint_overflows() {
        let bytes = [0xff; 11];
        assert!(matches!(
            get(&bytes, &mut 0),
            Err(ErrorKind::VarintOverflow)
        ));
    }

    #[test]
    fn tenth_byte_above_one_overflows() {
        let mut bytes = vec![0x80; 9];
        bytes.push(0x02);
        assert!(matches!(
            get(&bytes, &mut 0),
            Err(ErrorKind::VarintOverflow)
        ));
        bytes[9] = 0x01;
        assert_eq!(get(&bytes, &mut 0).unwrap(), 1 << 63);
    }

    #[test]
    fn varint_cut_short_is_truncated() {
        assert!(matches!(
            get(&[0x80, 0x80], &mut 0),
            Err(ErrorKind::TruncatedEvent)
        ));
        assert!(matches!(get(&[], &mut 0), Err(ErrorKind::TruncatedEvent)));
    }
}
