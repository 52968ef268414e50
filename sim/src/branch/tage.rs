//! A small TAGE-like predictor (after Seznec and Michaud's TAGE, 2006): a
//! bimodal base table and [`TABLES`] tagged tables indexed by the branch's
//! address hashed with global histories of geometrically growing lengths.
//! The longest history whose entry's tag matches gives the prediction, so
//! a branch is predicted from the shortest context that tells its cases
//! apart: a loop's exit (a run of takens longer than a gshare history),
//! branches correlated with ones far back.
//!
//! Kept small on purpose: no alternate-prediction chooser, no loop
//! predictor or statistical corrector, and the history holds conditional
//! outcomes only (no path history). A wrong prediction allocates an entry
//! in one longer table whose entry is not useful; the useful bits age by
//! halving every [`AGING_PERIOD`] branches.

use super::counters::Counters;
use super::index::HashIndex;

/// Tagged tables.
const TABLES: usize = 4;

/// History length of the first tagged table; the others grow
/// geometrically up to the configured longest.
const SHORTEST: u32 = 4;

/// Bits of a tag.
const TAG_BITS: u32 = 11;

/// Conditional branches between two halvings of every useful counter.
const AGING_PERIOD: u64 = 1 << 18;

/// A second multiplier, for tags, so that they are not the index bits of
/// the address hash again.
const TAG_MULTIPLIER: u64 = 0xff51_afd7_ed55_8ccd;

/// An entry of a tagged table.
#[derive(Clone, Copy, Debug, Default)]
struct Entry {
    /// Tag plus one (0: never allocated).
    tag: u16,
    /// Signed 3-bit counter, -4 to 3: taken when at least 0.
    counter: i8,
    /// 2-bit usefulness: whether the entry predicted right where a shorter
    /// history did not.
    useful: u8,
}

/// The last `length` outcomes of the history folded (XORed) into `width`
/// bits, kept up to date one outcome at a time.
#[derive(Clone, Copy, Debug)]
struct Folded {
    value: u32,
    width: u32,
    /// Where the outcome leaving the window sits in the fold once shifted:
    /// `length mod width`.
    leaving_at: u32,
}

impl Folded {
    fn new(length: u32, width: u32) -> Folded {
        debug_assert!((1..=64).contains(&length) && (1..32).contains(&width));
        Folded {
            value: 0,
            width,
            leaving_at: length % width,
        }
    }

    /// Shifts `taken` in, and `leaving` (the outcome `length - 1` old
    /// before the shift) out.
    #[inline(always)]
    fn push(&mut self, taken: bool, leaving: bool) {
        let mut v = (self.value << 1) | u32::from(taken);
        v ^= u32::from(leaving) << self.leaving_at;
        v ^= v >> self.width;
        self.value = v & ((1 << self.width) - 1);
    }
}

/// A TAGE-like direction predictor.
#[derive(Clone, Debug)]
pub struct Tage {
    base: Counters,
    /// The tagged tables, one after the other.
    tagged: Vec<Entry>,
    /// Index into one tagged table.
    index: HashIndex,
    /// Entries of one tagged table.
    entries: usize,
    /// Outcomes of the last conditional branches, the newest in bit 0.
    history: u64,
    /// Per table: the history folded to the width of an index, and to
    /// the width of a tag.
    folds: [[Folded; 2]; TABLES],
    /// History length of each table.
    lengths: [u32; TABLES],
    /// Conditional branches seen, for the aging and the allocation's
    /// choice of table.
    tick: u64,
}

impl Tage {
    /// A predictor whose base table has `entries` counters (a power of two,
    /// at least 16) and whose tagged tables have a quarter as many each;
    /// their histories grow from 4 outcomes to `longest` (8 to 64).
    pub fn new(entries: usize, longest: u32) -> Tage {
        assert!(entries.is_power_of_two() && entries >= 16, "{entries}");
        assert!((8..=64).contains(&longest), "{longest}");
        let tagged_entries = entries / 4;
        let index = HashIndex::new(tagged_entries);
        let lengths = std::array::from_fn(|i| history_length(i, longest));
        let folds = std::array::from_fn(|i| {
            [
                Folded::new(lengths[i], index.bits()),
                Folded::new(lengths[i], TAG_BITS),
            ]
        });
        Tage {
            base: Counters::new(entries),
            tagged: vec![Entry::default(); TABLES * tagged_entries],
            index,
            entries: tagged_entries,
            history: 0,
            folds,
            lengths,
            tick: 0,
        }
    }

    /// History lengths of the tagged tables, shortest first.
    pub fn history_lengths(&self) -> [u32; TABLES] {
        self.lengths
    }

    /// The slot of `pc` in table `table` under the current history, and
    /// the tag (plus one) an entry for it carries.
    #[inline(always)]
    fn slot_and_tag(&self, pc: u64, table: usize) -> (usize, u16) {
        let [index, tag] = &self.folds[table];
        let slot = (self.index.of(pc) ^ index.value as usize) & (self.entries - 1);
        let pc_tag = (pc.wrapping_mul(TAG_MULTIPLIER) >> (64 - TAG_BITS)) as u32;
        // A tag hashes the address differently from the index, so that two
        // branches sharing a slot (same index hash and history) seldom
        // share a tag as well.
        (table * self.entries + slot, (pc_tag ^ tag.value) as u16 + 1)
    }

    /// The longest table with an entry for `pc`, its slot, and the slots
    /// and tags of every table.
    #[inline(always)]
    fn lookup(&self, pc: u64) -> (Option<usize>, [(usize, u16); TABLES]) {
        let slots: [(usize, u16); TABLES] = std::array::from_fn(|t| self.slot_and_tag(pc, t));
        let provider = (0..TABLES)
            .rev()
            .find(|&t| self.tagged[slots[t].0].tag == slots[t].1);
        (provider, slots)
    }

    /// The direction predicted for the branch at `pc`.
    pub fn predict(&self, pc: u64) -> bool {
        match self.lookup(pc) {
            (Some(t), slots) => self.tagged[slots[t].0].counter >= 0,
            (None, _) => self.base.predict(self.base.index(pc)),
        }
    }

    /// The direction predicted for the branch at `pc`; the tables then
    /// learn that it went `taken` and the outcome enters the history.
    pub fn predict_and_train(&mut self, pc: u64, taken: bool) -> bool {
        let (provider, slots) = self.lookup(pc);
        let base_index = self.base.index(pc);
        let predicted = match provider {
            Some(t) => {
                // What the next shorter context would have said.
                let alternate = (0..t)
                    .rev()
                    .find(|&s| self.tagged[slots[s].0].tag == slots[s].1)
                    .map_or_else(
                        || self.base.predict(base_index),
                        |s| self.tagged[slots[s].0].counter >= 0,
                    );
                let entry = &mut self.tagged[slots[t].0];
                let predicted = entry.counter >= 0;
                entry.counter = if taken {
                    (entry.counter + 1).min(3)
                } else {
                    (entry.counter - 1).max(-4)
                };
                if predicted != alternate {
                    entry.useful = if predicted == taken {
                        (entry.useful + 1).min(3)
                    } else {
                        entry.useful.saturating_sub(1)
                    };
                }
                predicted
            }
            None => self.base.predict_and_train(base_index, taken),
        };
        if predicted != taken {
            self.allocate(provider.map_or(0, |t| t + 1), &slots, taken);
        }
        self.tick += 1;
        if self.tick.is_multiple_of(AGING_PERIOD) {
            self.tagged.iter_mut().for_each(|e| e.useful >>= 1);
        }
        for (folds, length) in self.folds.iter_mut().zip(self.lengths) {
            let leaving = (self.history >> (length - 1)) & 1 == 1;
            for fold in folds {
                fold.push(taken, leaving);
            }
        }
        self.history = (self.history << 1) | u64::from(taken);
        predicted
    }

    /// After a misprediction: a new entry for the branch in one of the
    /// tables from `first` up whose entry is not useful, starting one
    /// table further every other time (so that the longer tables get
    /// entries too); if none is free, every candidate grows less useful.
    fn allocate(&mut self, first: usize, slots: &[(usize, u16); TABLES], taken: bool) {
        if first >= TABLES {
            return;
        }
        let start = (first + (self.tick & 1) as usize).min(TABLES - 1);
        let free = (start..TABLES)
            .chain(first..start)
            .find(|&t| self.tagged[slots[t].0].useful == 0);
        match free {
            Some(t) => {
                self.tagged[slots[t].0] = Entry {
                    tag: slots[t].1,
                    counter: if taken { 0 } else { -1 },
                    useful: 0,
                }
            }
            None => {
                for &(slot, _) in &slots[first..] {
                    let useful = &mut self.tagged[slot].useful;
                    *useful = useful.saturating_sub(1);
                }
            }
        }
    }
}

/// The history length of tagged table `table`: geometric from
/// [`SHORTEST`] to `longest`, rounded.
fn history_length(table: usize, longest: u32) -> u32 {
    let ratio = f64::from(longest) / f64::from(SHORTEST);
    let exponent = table as f64 / (TABLES - 1) as f64;
    (f64::from(SHORTEST) * ratio.powf(exponent)).round() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fold of the last `length` outcomes of `history`, computed
    /// outright.
    fn fold(history: u64, length: u32, width: u32) -> u32 {
        (0..length)
            .filter(|&age| (history >> age) & 1 == 1)
            .fold(0, |f, age| f ^ (1 << (age % width)))
    }

    #[test]
    fn a_folded_history_kept_up_to_date_equals_the_fold_computed_outright() {
        let mut random = 0x2545_f491_4f6c_dd1d_u64;
        for (length, width) in [(4, 9), (10, 11), (25, 10), (64, 12), (64, 7), (12, 12)] {
            let mut folded = Folded::new(length, width);
            let mut history = 0u64;
            for _ in 0..500 {
                random ^= random << 13;
                random ^= random >> 7;
                random ^= random << 17;
                let taken = random & 1 == 1;
                folded.push(taken, (history >> (length - 1)) & 1 == 1);
                history = (history << 1) | u64::from(taken);
                assert_eq!(
                    folded.value,
                    fold(history, length, width),
                    "{length}/{width}"
                );
            }
        }
    }

    #[test]
    fn history_lengths_grow_geometrically_to_the_longest() {
        assert_eq!(Tage::new(1 << 12, 64).history_lengths(), [4, 10, 25, 64]);
        assert_eq!(Tage::new(16, 8).history_lengths(), [4, 5, 6, 8]);
    }
}
