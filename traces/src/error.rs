//! Errors of the trace format: every one names the file and byte offset.

/// A byte that does not name any value of an enumeration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{value} is not a valid {what}")]
pub struct InvalidValue {
    /// What the byte should have named.
    pub what: &'static str,
    /// The value found.
    pub value: u64,
}
