//! A spin lock that never allocates and can be reset in a `fork` child.
//!
//! std's `Mutex` cannot be forcibly released after `fork`, when the thread
//! that held it no longer exists; this one can. It guards only short,
//! rare sections (arena hand-out, heap hand-over), so spinning then
//! yielding is enough.

use core::sync::atomic::{AtomicBool, Ordering};

/// A spin lock (see the module documentation).
pub(crate) struct SpinLock {
    locked: AtomicBool,
}

impl SpinLock {
    /// An unlocked lock.
    pub const fn new() -> Self {
        SpinLock {
            locked: AtomicBool::new(false),
        }
    }

    /// Takes the lock, spinning then yielding while it is held.
    pub fn lock(&self) {
        let mut spins = 0u32;
        while self
            .locked
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            while self.locked.load(Ordering::Relaxed) {
                spins += 1;
                if spins < 64 {
                    core::hint::spin_loop();
                } else {
                    crate::os::yield_now();
                }
            }
        }
    }

    /// Releases the lock.
    pub fn unlock(&self) {
        self.locked.store(false, Ordering::Release);
    }

    /// Releases the lock whoever holds it: only for a `fork` child, where
    /// the holder was a thread that does not exist any more.
    pub fn force_unlock(&self) {
        self.locked.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_excludes_other_threads() {
        static LOCK: SpinLock = SpinLock::new();
        static mut COUNT: u64 = 0;
        let threads: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(|| {
                    for _ in 0..10_000 {
                        LOCK.lock();
                        // SAFETY: COUNT is only touched with LOCK held.
                        unsafe {
                            let c = core::ptr::addr_of_mut!(COUNT);
                            c.write(c.read() + 1);
                        }
                        LOCK.unlock();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        // SAFETY: all writers have been joined.
        assert_eq!(unsafe { core::ptr::addr_of!(COUNT).read() }, 40_000);
    }

    #[test]
    fn force_unlock_frees_a_lock_held_by_nobody() {
        let l = SpinLock::new();
        l.lock();
        l.force_unlock();
        l.lock();
        l.unlock();
    }
}
