//! The `[branch]` section: the front end's branch predictor (direction
//! predictor, branch target buffer, return-address stack) and what a
//! misprediction costs. [`crate::branch::BranchUnit`] is built from it.

use serde::{Deserialize, Serialize};

use super::validate::{fail, power_of_two, Check, MAX_ENTRIES};

/// The direction predictor of conditional branches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PredictorKind {
    /// An oracle: no branch of any class is ever mispredicted (the BTB and
    /// the return-address stack are not modelled either).
    Perfect,
    /// A table of 2-bit saturating counters indexed by a hash of the
    /// branch's address.
    Bimodal,
    /// 2-bit counters indexed by the global history of conditional
    /// outcomes XOR a hash of the branch's address (McFarling's gshare).
    Gshare,
    /// A small TAGE-like predictor: a bimodal base and four tagged tables
    /// indexed by global histories of geometric lengths, the longest
    /// `history_bits`.
    Tage,
}

/// The branch predictor of one core (each core has its own).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BranchConfig {
    /// How conditional branches are predicted (`perfect` also makes every
    /// target right).
    pub predictor: PredictorKind,
    /// Entries (2-bit counters) of the direction predictor's table: a power
    /// of two, at most 2^24. `tage`: its base table (at least 16), each of
    /// its four tagged tables having a quarter as many entries.
    pub table_entries: u32,
    /// Bits of global history (outcomes of the last conditional branches).
    /// `gshare` folds them into its index: at most log2(`table_entries`).
    /// `tage`: the longest of its histories, 8 to 64. Ignored by the other
    /// predictors.
    pub history_bits: u32,
    /// Sets of the branch target buffer: a power of two.
    pub btb_sets: u32,
    /// Ways (entries per set, LRU) of the branch target buffer, 1 to 64;
    /// `btb_sets` x `btb_ways` is at most 2^24 entries.
    pub btb_ways: u32,
    /// Entries (return addresses) of the return-address stack, at most
    /// 1024; a call beyond them drops the oldest. 0: no stack, every return
    /// is mispredicted.
    pub ras_entries: u32,
    /// Core cycles lost to a mispredicted branch: from its resolution to
    /// the first instruction of the right path entering the pipeline
    /// (at most 1000).
    pub mispredict_penalty: u32,
}

/// The most entries of the return-address stack: real ones have 16 to 64.
const MAX_RAS_ENTRIES: u32 = 1024;

/// The longest mispredict penalty accepted, in cycles (a typo guard: real
/// ones are 10 to 25).
const MAX_PENALTY: u32 = 1000;

impl BranchConfig {
    /// The branch predictor of the `micro23` machine, a 4-wide
    /// Skylake-class core:
    ///
    /// - `gshare` with 2^14 = 16,384 2-bit counters and 14 bits of history:
    ///   ChampSim's `gshare` defaults (its `bimodal` also has 16K
    ///   counters). Intel does not document Skylake's direction predictor,
    ///   which is far better than gshare (a TAGE-like design, by reverse
    ///   engineering); gshare of this size is the customary stand-in of
    ///   trace-driven studies.
    /// - BTB of 1,024 sets x 4 ways = 4,096 entries: Skylake's BTB as
    ///   commonly reported (about 4K entries, not documented by Intel).
    ///   ChampSim's `basic_btb` is twice as large (1,024 sets x 8 ways).
    /// - Return-address stack of 32 entries: Skylake's return stack buffer
    ///   is commonly reported as 16 entries and ChampSim's has 64; 32 sits
    ///   between, so that call chains deeper than 16 (frequent in
    ///   interpreters) are not all charged to the stack's size.
    /// - Mispredict penalty of 17 cycles: the front-end refill of a
    ///   Skylake-class core, commonly reported as 15 to 20 cycles (Agner
    ///   Fog's microarchitecture manual gives 15-20 for Skylake), taken
    ///   near the low end since the core here has a 4-wide front end and
    ///   a hit in the decoded-uop cache shortens the refill.
    pub fn micro23() -> BranchConfig {
        BranchConfig {
            predictor: PredictorKind::Gshare,
            table_entries: 1 << 14,
            history_bits: 14,
            btb_sets: 1024,
            btb_ways: 4,
            ras_entries: 32,
            mispredict_penalty: 17,
        }
    }

    /// No misprediction at all (the micro23 table sizes, unused): what a
    /// config without a `[branch]` section gets.
    pub fn perfect() -> BranchConfig {
        BranchConfig {
            predictor: PredictorKind::Perfect,
            ..BranchConfig::micro23()
        }
    }

    /// Checks every value; the message names the field at fault
    /// (`branch.table_entries: 1000 is not a power of two`).
    pub fn validate(&self) -> Result<(), String> {
        self.check()
            .map_err(|(field, message)| format!("{field}: {message}"))
    }

    /// [`Self::validate`] as [`crate::Config::validate`] reports it:
    /// `(field, message)`, the field a dotted path (`branch.btb_ways`).
    pub fn check(&self) -> Result<(), (String, String)> {
        power_of_two("branch.table_entries", self.table_entries.into())?;
        if u64::from(self.table_entries) > MAX_ENTRIES {
            fail(
                "branch.table_entries",
                format!("{} is more than 2^24 entries", self.table_entries),
            )?;
        }
        let index_bits = self.table_entries.trailing_zeros();
        match self.predictor {
            PredictorKind::Gshare if self.history_bits > index_bits => fail(
                "branch.history_bits",
                format!(
                    "{} bits of history for a table of 2^{index_bits} entries: \
                     gshare uses at most log2(table_entries)",
                    self.history_bits
                ),
            )?,
            PredictorKind::Tage if self.table_entries < 16 => fail(
                "branch.table_entries",
                format!(
                    "{}: tage needs at least 16 (its tagged tables have a quarter each)",
                    self.table_entries
                ),
            )?,
            PredictorKind::Tage if !(8..=64).contains(&self.history_bits) => fail(
                "branch.history_bits",
                format!(
                    "{}: tage's longest history must be 8 to 64 outcomes",
                    self.history_bits
                ),
            )?,
            _ => {}
        }
        if self.history_bits > 64 {
            fail("branch.history_bits", "must be at most 64")?;
        }
        power_of_two("branch.btb_sets", self.btb_sets.into())?;
        if !(1..=64).contains(&self.btb_ways) {
            fail("branch.btb_ways", "must be between 1 and 64")?;
        }
        let btb = u64::from(self.btb_sets) * u64::from(self.btb_ways);
        if btb > MAX_ENTRIES {
            fail(
                "branch.btb_sets",
                format!(
                    "{} sets x {} ways is more than 2^24 entries",
                    self.btb_sets, self.btb_ways
                ),
            )?;
        }
        bounded("branch.ras_entries", self.ras_entries, MAX_RAS_ENTRIES)?;
        bounded(
            "branch.mispredict_penalty",
            self.mispredict_penalty,
            MAX_PENALTY,
        )
    }
}

fn bounded(field: &str, value: u32, most: u32) -> Check {
    if value > most {
        return fail(field, format!("{value} is more than {most}"));
    }
    Ok(())
}
