//! The direction predictor of conditional branches, one of several kinds
//! chosen by the config: an enum, so that the call in the replay's hot
//! loop is a `match` the compiler can inline, not a virtual call.

use super::bimodal::Bimodal;
use super::gshare::Gshare;
use super::tage::Tage;

/// A direction predictor.
#[derive(Clone, Debug)]
pub enum DirectionPredictor {
    /// Per-address 2-bit counters.
    Bimodal(Bimodal),
    /// Global history XOR address, 2-bit counters.
    Gshare(Gshare),
    /// Tagged tables of geometric history lengths over a bimodal base.
    Tage(Tage),
}

impl DirectionPredictor {
    /// The direction predicted for the conditional branch at `pc`.
    #[inline]
    pub fn predict(&self, pc: u64) -> bool {
        match self {
            DirectionPredictor::Bimodal(p) => p.predict(pc),
            DirectionPredictor::Gshare(p) => p.predict(pc),
            DirectionPredictor::Tage(p) => p.predict(pc),
        }
    }

    /// The direction predicted for the conditional branch at `pc`; the
    /// predictor then learns that it went `taken`.
    #[inline]
    pub fn predict_and_train(&mut self, pc: u64, taken: bool) -> bool {
        match self {
            DirectionPredictor::Bimodal(p) => p.predict_and_train(pc, taken),
            DirectionPredictor::Gshare(p) => p.predict_and_train(pc, taken),
            DirectionPredictor::Tage(p) => p.predict_and_train(pc, taken),
        }
    }
}
