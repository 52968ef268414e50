//! Run-time configuration: when free slots are purged.

use core::sync::atomic::{AtomicU64, AtomicU8, Ordering::Relaxed};

/// When the page pool returns the pages of free slots to the OS.
///
/// Decay is evaluated whenever the pool hands out or takes back an arena;
/// an idle process keeps its free pages until the next pool operation or a
/// [`crate::harvest()`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decay {
    /// Purge a slot as soon as its arena is released.
    Immediate,
    /// Purge a free slot once it has been free for this many milliseconds.
    AfterMillis(u64),
    /// Purge a free slot once this many other arenas were released after it.
    AfterReleases(u64),
    /// Never purge on its own; only [`crate::harvest()`] does.
    Never,
}

/// The default decay: one second. Shorter delays purged pages that the
/// next request of a function faulted straight back in (on the JSON
/// stand-in, 10 ms cost 2.3x the page faults of 1 s for 7% less peak RSS);
/// platforms that want memory back sooner call [`crate::harvest()`].
pub const DEFAULT_DECAY: Decay = Decay::AfterMillis(1000);

static KIND: AtomicU8 = AtomicU8::new(1);
static VALUE: AtomicU64 = AtomicU64::new(1000);

/// Sets the decay policy for the whole process.
pub fn set_decay(decay: Decay) {
    let (k, v) = match decay {
        Decay::Immediate => (0, 0),
        Decay::AfterMillis(ms) => (1, ms),
        Decay::AfterReleases(n) => (2, n),
        Decay::Never => (3, 0),
    };
    VALUE.store(v, Relaxed);
    KIND.store(k, Relaxed);
}

/// The current decay policy.
pub fn decay() -> Decay {
    let v = VALUE.load(Relaxed);
    match KIND.load(Relaxed) {
        0 => Decay::Immediate,
        1 => Decay::AfterMillis(v),
        2 => Decay::AfterReleases(v),
        _ => Decay::Never,
    }
}

/// Parses a `MEMENTO_DECAY` value: `immediate`, `never`, `<n>ms` or
/// `<n>releases`.
pub fn parse_decay(s: &[u8]) -> Option<Decay> {
    fn number(d: &[u8]) -> Option<u64> {
        if d.is_empty() {
            return None;
        }
        d.iter().try_fold(0u64, |acc, &c| {
            c.is_ascii_digit()
                .then(|| acc.checked_mul(10)?.checked_add(u64::from(c - b'0')))?
        })
    }
    match s {
        b"immediate" => Some(Decay::Immediate),
        b"never" => Some(Decay::Never),
        _ if s.ends_with(b"releases") => number(&s[..s.len() - 8]).map(Decay::AfterReleases),
        _ if s.ends_with(b"ms") => number(&s[..s.len() - 2]).map(Decay::AfterMillis),
        _ => None,
    }
}

/// Applies `MEMENTO_DECAY` from the environment, once, at the first
/// allocation of the process. A malformed value is reported and ignored.
pub(crate) fn load_env() {
    if let Some(v) = crate::os::getenv(b"MEMENTO_DECAY\0") {
        match parse_decay(v) {
            Some(d) => set_decay(d),
            None => crate::os::write_stderr(
                b"memento-alloc: ignoring MEMENTO_DECAY (expected immediate, never, <n>ms or <n>releases)\n",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decay_values_parse_in_all_four_forms() {
        assert_eq!(parse_decay(b"immediate"), Some(Decay::Immediate));
        assert_eq!(parse_decay(b"never"), Some(Decay::Never));
        assert_eq!(parse_decay(b"250ms"), Some(Decay::AfterMillis(250)));
        assert_eq!(parse_decay(b"64releases"), Some(Decay::AfterReleases(64)));
    }

    #[test]
    fn malformed_decay_values_are_rejected() {
        for bad in [
            &b""[..],
            b"ms",
            b"10",
            b"1x0ms",
            b"releases",
            b"99999999999999999999999ms",
        ] {
            assert_eq!(parse_decay(bad), None, "{:?}", std::str::from_utf8(bad));
        }
    }
}
