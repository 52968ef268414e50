//! The front end on replay: the branch that ends each block is resolved
//! when the next block arrives (taken when that block does not start where
//! this one ends, its target the next block's start), and a misprediction
//! delays the next block's dispatch by the refill penalty. What kind of
//! branch ends a block comes from a [`BranchClasses`] provider, looked up
//! once per distinct block through a small direct-mapped cache.

use std::cell::RefCell;
use std::rc::Rc;

use memento_trace::BranchClass;

use crate::branch::BranchUnit;
use crate::config::BranchConfig;

/// Where the machine learns what kind of branch ends each block: the
/// module's code (captured traces), the trace's metadata (imported ones),
/// or, when it answers `None`, the fallback: a conditional branch, taken
/// when the next block is elsewhere. Returns and indirect branches are
/// then predicted as conditionals (see `sim/README.md`).
pub trait BranchClasses {
    /// The class of the last instruction of the block at `addr..addr+len`.
    fn class_of(&mut self, addr: u64, len: u32) -> Option<BranchClass>;
}

impl<F: FnMut(u64, u32) -> Option<BranchClass>> BranchClasses for F {
    fn class_of(&mut self, addr: u64, len: u32) -> Option<BranchClass> {
        self(addr, len)
    }
}

/// Blocks whose classes are cached per core.
const CACHE: usize = 4096;

/// One core's branch prediction.
#[derive(Clone)]
pub(super) struct FrontEnd {
    pub(super) unit: BranchUnit,
    classes: Option<Rc<RefCell<dyn BranchClasses>>>,
    /// `(addr, len, class)` of recently seen blocks, by address hash;
    /// `len` 0 marks an empty entry.
    cache: Box<[(u64, u32, BranchClass)]>,
    /// The end of the previous block and the class of its branch.
    last: Option<(u64, BranchClass)>,
    /// Cycles a misprediction costs.
    pub(super) penalty: u64,
}

impl std::fmt::Debug for FrontEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrontEnd")
            .field("stats", self.unit.stats())
            .field("last", &self.last)
            .finish_non_exhaustive()
    }
}

impl FrontEnd {
    pub(super) fn new(config: &BranchConfig) -> FrontEnd {
        FrontEnd {
            unit: BranchUnit::new(config),
            classes: None,
            cache: vec![(0, 0, BranchClass::None); CACHE].into_boxed_slice(),
            last: None,
            penalty: u64::from(config.mispredict_penalty),
        }
    }

    pub(super) fn set_classes(&mut self, classes: Rc<RefCell<dyn BranchClasses>>) {
        self.classes = Some(classes);
    }

    /// The block at `addr..addr+len` arrives: resolves the branch that
    /// ended the previous one; true when it was mispredicted.
    #[inline(always)]
    pub(super) fn next_block(&mut self, addr: u64, len: u32) -> bool {
        let miss = match self.last {
            Some((end, class)) => self.unit.resolve(end, class, addr != end, addr),
            None => false,
        };
        let class = self.class_of(addr, len);
        self.last = Some((addr.wrapping_add(u64::from(len)), class));
        miss
    }

    /// Another thread's blocks follow: the pending branch's outcome is not
    /// the next block's address.
    pub(super) fn forget_last(&mut self) {
        self.last = None;
    }

    #[inline(always)]
    fn class_of(&mut self, addr: u64, len: u32) -> BranchClass {
        let slot = (addr.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 52) as usize % CACHE;
        let (a, l, class) = self.cache[slot];
        if a == addr && l == len {
            return class;
        }
        self.classify(slot, addr, len)
    }

    #[cold]
    #[inline(never)]
    fn classify(&mut self, slot: usize, addr: u64, len: u32) -> BranchClass {
        let class = self
            .classes
            .as_ref()
            .and_then(|c| c.borrow_mut().class_of(addr, len))
            .unwrap_or(BranchClass::Conditional);
        self.cache[slot] = (addr, len, class);
        class
    }
}
