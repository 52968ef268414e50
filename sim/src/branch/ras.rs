//! The return-address stack: calls push their return address, returns pop
//! the address they are predicted to go to. It has a fixed depth; a call
//! that finds it full overwrites the oldest entry (a circular buffer), so
//! the returns of a chain deeper than the stack find it empty at the end.

/// A circular stack of return addresses.
#[derive(Clone, Debug)]
pub struct ReturnStack {
    entries: Vec<u64>,
    /// The slot the next push writes.
    top: usize,
    /// Addresses held, at most `entries.len()`.
    len: usize,
}

impl ReturnStack {
    /// An empty stack of `depth` entries (0: no stack, every pop misses).
    pub fn new(depth: usize) -> ReturnStack {
        ReturnStack {
            entries: vec![0; depth],
            top: 0,
            len: 0,
        }
    }

    /// Pushes the return address of a call; when the stack is full, the
    /// oldest address is lost.
    #[inline]
    pub fn push(&mut self, address: u64) {
        let depth = self.entries.len();
        if depth == 0 {
            return;
        }
        self.entries[self.top] = address;
        self.top = if self.top + 1 == depth {
            0
        } else {
            self.top + 1
        };
        self.len = (self.len + 1).min(depth);
    }

    /// Pops the newest return address, if any.
    #[inline]
    pub fn pop(&mut self) -> Option<u64> {
        if self.len == 0 {
            return None;
        }
        self.len -= 1;
        self.top = self.top.checked_sub(1).unwrap_or(self.entries.len() - 1);
        Some(self.entries[self.top])
    }

    /// Addresses on the stack.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the stack holds no address.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}
