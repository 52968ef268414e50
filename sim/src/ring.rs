//! A first-in first-out queue in a power-of-two ring: what `VecDeque` does
//! for the core's queues, without its general-purpose branches. It grows
//! only if pushed past its capacity, which the core's own limits prevent.

#[derive(Clone, Debug)]
pub(crate) struct Ring<T> {
    /// Never empty, its length a power of two.
    buf: Box<[T]>,
    head: usize,
    len: usize,
}

impl<T: Copy + Default> Ring<T> {
    /// An empty ring holding at least `capacity` items before it grows.
    pub(crate) fn with_capacity(capacity: usize) -> Ring<T> {
        Ring {
            buf: vec![T::default(); capacity.max(1).next_power_of_two()].into_boxed_slice(),
            head: 0,
            len: 0,
        }
    }

    #[inline(always)]
    fn at(&self, i: usize) -> T {
        let mask = self.buf.len() - 1;
        // SAFETY: `buf.len()` is a non-zero power of two, so `i & mask` is
        // always an index of `buf`.
        unsafe { *self.buf.get_unchecked(i & mask) }
    }

    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline(always)]
    pub(crate) fn front(&self) -> Option<T> {
        (self.len != 0).then(|| self.at(self.head))
    }

    #[inline(always)]
    pub(crate) fn pop_front(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        let item = self.at(self.head);
        self.head = (self.head + 1) & (self.buf.len() - 1);
        self.len -= 1;
        Some(item)
    }

    #[inline(always)]
    pub(crate) fn push_back(&mut self, item: T) {
        if self.len == self.buf.len() {
            self.grow();
        }
        let mask = self.buf.len() - 1;
        let i = (self.head + self.len) & mask;
        // SAFETY: as in `at`.
        unsafe { *self.buf.get_unchecked_mut(i) = item };
        self.len += 1;
    }

    #[cold]
    fn grow(&mut self) {
        let mut bigger = vec![T::default(); self.buf.len() * 2];
        for (i, slot) in bigger.iter_mut().take(self.len).enumerate() {
            *slot = self.at(self.head + i);
        }
        self.buf = bigger.into_boxed_slice();
        self.head = 0;
    }
}
