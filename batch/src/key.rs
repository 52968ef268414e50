//! Run keys: 16 hex digits of a 64-bit FNV-1a hash, the same on every
//! machine and in every process (std's hasher is seeded at random), over
//! the input file's bytes, the resolved machine's TOML, the mode and the
//! seed.

use std::hash::Hasher;

use fnv::FnvHasher;

/// A hash of byte strings; each is preceded by its length, so that no two
/// different sequences of strings give the same stream.
#[derive(Default)]
pub struct KeyHasher(FnvHasher);

impl KeyHasher {
    /// Adds one byte string.
    pub fn part(mut self, bytes: &[u8]) -> KeyHasher {
        self.0.write(&(bytes.len() as u64).to_le_bytes());
        self.0.write(bytes);
        self
    }

    /// The hash so far.
    pub fn finish(&self) -> u64 {
        self.0.finish()
    }
}

/// The digest of a whole file's bytes (`bytes` read from it).
pub fn digest(bytes: &[u8]) -> u64 {
    KeyHasher::default().part(bytes).finish()
}

/// The digest of the file at `path`, streamed: the same as [`digest`] of
/// its bytes, without holding them (traces may be larger than memory).
pub fn digest_file(path: &std::path::Path) -> std::io::Result<u64> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    let mut h = FnvHasher::default();
    h.write(&len.to_le_bytes());
    let mut buf = vec![0u8; 1 << 20];
    let mut read = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.write(&buf[..n]);
        read += n as u64;
    }
    if read != len {
        return Err(std::io::Error::other(
            "the file changed size while it was read",
        ));
    }
    Ok(h.finish())
}

/// A run's key: the input's digest, the machine's TOML, the mode's name
/// and the seed, as 16 lower-case hex digits.
pub fn run_key(input_digest: u64, config_toml: &str, mode: &str, seed: u64) -> String {
    let h = KeyHasher::default()
        .part(&input_digest.to_le_bytes())
        .part(config_toml.as_bytes())
        .part(mode.as_bytes())
        .part(&seed.to_le_bytes());
    format!("{:016x}", h.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_fixed_across_builds_and_differ_by_each_part() {
        // FNV-1a is specified: this value must never change, or every
        // batch folder's results would be run again.
        let k = run_key(digest(b"trace"), "name = \"small\"\n", "memento", 1);
        assert_eq!(k.len(), 16);
        assert_eq!(
            k,
            run_key(digest(b"trace"), "name = \"small\"\n", "memento", 1)
        );
        assert_ne!(
            k,
            run_key(digest(b"trace!"), "name = \"small\"\n", "memento", 1)
        );
        assert_ne!(
            k,
            run_key(digest(b"trace"), "name = \"big\"\n", "memento", 1)
        );
        assert_ne!(
            k,
            run_key(digest(b"trace"), "name = \"small\"\n", "baseline", 1)
        );
        assert_ne!(
            k,
            run_key(digest(b"trace"), "name = \"small\"\n", "memento", 2)
        );
        assert_eq!(format!("{:016x}", digest(b"")), "a8c7f832281a39c5");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t");
        let bytes: Vec<u8> = (0..3_000_000u32).map(|i| ((i * 7) >> 3) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(digest_file(&path).unwrap(), digest(&bytes));
    }
}
