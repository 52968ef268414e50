//! Branch prediction: the front end's guess at where each block goes next,
//! checked against where the trace went.
//!
//! A trace gives blocks; the last instruction of each is a branch of some
//! [`BranchClass`], identified by the block's end address `pc` (the address
//! just past it, which is also the return address of a call). Its outcome
//! comes from the next block: taken when that block does not start at
//! `pc`, its target the next block's start. [`BranchUnit::resolve`] takes
//! one such branch, says whether the front end would have mispredicted it,
//! and trains the predictors.
//!
//! The parts, one file each: the direction predictors of conditional
//! branches ([`Bimodal`], [`Gshare`] and a small [`Tage`], chosen through
//! [`DirectionPredictor`], on a shared table of 2-bit counters), the branch
//! target buffer ([`Btb`]), the return-address stack ([`ReturnStack`]) and
//! the counts ([`BranchStats`]). Tables are allocated once, at
//! construction; `resolve` allocates nothing and hashes with one multiply.

mod bimodal;
mod btb;
mod counters;
mod direction;
mod gshare;
mod index;
mod ras;
mod stats;
mod tage;

pub use bimodal::Bimodal;
pub use btb::Btb;
pub use direction::DirectionPredictor;
pub use gshare::Gshare;
pub use ras::ReturnStack;
pub use stats::BranchStats;
pub use tage::Tage;

use memento_trace::BranchClass;

use crate::config::{BranchConfig, PredictorKind};

/// The branch predictor of one core and its counts.
#[derive(Clone, Debug)]
pub struct BranchUnit {
    /// `None` for the perfect predictor, which needs no state.
    predictors: Option<Predictors>,
    stats: BranchStats,
}

/// What a real (not perfect) front end learns.
#[derive(Clone, Debug)]
struct Predictors {
    direction: DirectionPredictor,
    btb: Btb,
    ras: ReturnStack,
}

impl BranchUnit {
    /// A cold unit as `config` describes (validated: see
    /// [`BranchConfig::validate`]).
    pub fn new(config: &BranchConfig) -> BranchUnit {
        let entries = config.table_entries as usize;
        let direction = match config.predictor {
            PredictorKind::Perfect => None,
            PredictorKind::Bimodal => Some(DirectionPredictor::Bimodal(Bimodal::new(entries))),
            PredictorKind::Gshare => Some(DirectionPredictor::Gshare(Gshare::new(
                entries,
                config.history_bits,
            ))),
            PredictorKind::Tage => Some(DirectionPredictor::Tage(Tage::new(
                entries,
                config.history_bits,
            ))),
        };
        BranchUnit {
            predictors: direction.map(|direction| Predictors {
                direction,
                btb: Btb::new(config.btb_sets as usize, config.btb_ways as usize),
                ras: ReturnStack::new(config.ras_entries as usize),
            }),
            stats: BranchStats::default(),
        }
    }

    /// Resolves the branch that ends the block whose end address is `pc`:
    /// whether it was `taken` and the `target` it went to (the next block's
    /// start). Returns whether the front end mispredicted it, after
    /// training the predictors and counting it:
    ///
    /// - `None` (no branch): never mispredicted, nothing learned.
    /// - `Conditional`: mispredicted if the predicted direction is wrong,
    ///   or if it is taken and the BTB holds no target or another one.
    /// - `DirectJump`, `DirectCall`: never mispredicted (the decoder
    ///   computes the target), but they train the BTB.
    /// - `IndirectJump`, `IndirectCall`: mispredicted if the BTB holds no
    ///   target or another one.
    /// - Calls push `pc` on the return-address stack; `Return` pops it and
    ///   is mispredicted if the stack was empty or held another address.
    ///
    /// `taken` matters only to conditional branches: the other classes
    /// always go to `target` (a call to the next instruction has
    /// `target == pc`). The perfect predictor mispredicts nothing.
    #[inline]
    pub fn resolve(&mut self, pc: u64, class: BranchClass, taken: bool, target: u64) -> bool {
        let stats = &mut self.stats;
        stats.branches[class.index()] += 1;
        let Some(p) = &mut self.predictors else {
            return false;
        };
        let mut btb = |pc: u64, target: u64| {
            let held = p.btb.predict_and_train(pc, target);
            stats.btb_misses += u64::from(held.is_none());
            held
        };
        let mispredicted = match class {
            BranchClass::None => false,
            BranchClass::Conditional => {
                let predicted = p.direction.predict_and_train(pc, taken);
                // A not-taken branch needs no target: the BTB is neither
                // consulted nor trained.
                let target_known = !taken || btb(pc, target) == Some(target);
                predicted != taken || !target_known
            }
            BranchClass::DirectJump => {
                btb(pc, target);
                false
            }
            BranchClass::DirectCall => {
                btb(pc, target);
                p.ras.push(pc);
                false
            }
            BranchClass::IndirectJump => btb(pc, target) != Some(target),
            BranchClass::IndirectCall => {
                let mispredicted = btb(pc, target) != Some(target);
                p.ras.push(pc);
                mispredicted
            }
            BranchClass::Return => p.ras.pop() != Some(target),
        };
        stats.mispredictions[class.index()] += u64::from(mispredicted);
        mispredicted
    }

    /// Clears the counts and keeps what the predictors learned (for a
    /// warm-up).
    pub fn reset_stats(&mut self) {
        self.stats = BranchStats::default();
    }

    /// The counts since construction or the last [`Self::reset_stats`].
    pub fn stats(&self) -> &BranchStats {
        &self.stats
    }
}
