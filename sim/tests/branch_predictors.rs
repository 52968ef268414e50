//! The branch unit: what each predictor learns and mispredicts on small
//! synthetic branch streams, the return-address stack, the BTB, the counts,
//! and the `[branch]` config's validation.

use memento_sim::branch::{BranchStats, BranchUnit};
use memento_sim::config::{BranchConfig, PredictorKind};
use memento_trace::BranchClass;

fn unit(predictor: PredictorKind) -> BranchUnit {
    BranchUnit::new(&BranchConfig {
        predictor,
        ..BranchConfig::micro23()
    })
}

/// The TAGE-like predictor, histories up to 64 outcomes long.
fn tage() -> BranchUnit {
    BranchUnit::new(&BranchConfig {
        predictor: PredictorKind::Tage,
        history_bits: 64,
        ..BranchConfig::micro23()
    })
}

/// One run of a loop whose back edge, the conditional branch ending the
/// block `[0x4000, 0x4010)`, is taken `trips - 1` times, then falls
/// through.
fn run_loop(unit: &mut BranchUnit, trips: u32) {
    for trip in 1..=trips {
        let taken = trip < trips;
        let target = if taken { 0x4000 } else { 0x4010 };
        unit.resolve(0x4010, BranchClass::Conditional, taken, target);
    }
}

/// Resolves `n` branches of the conditional at `pc` that alternate taken,
/// not taken, ...; returns the mispredicted ones.
fn alternate(unit: &mut BranchUnit, pc: u64, n: u32) -> u64 {
    let mut mispredicted = 0;
    for i in 0..n {
        let taken = i % 2 == 0;
        let target = if taken { 0x9000 } else { pc };
        mispredicted += u64::from(unit.resolve(pc, BranchClass::Conditional, taken, target));
    }
    mispredicted
}

/// A chain of `depth` direct calls (each callee's first block calls the
/// next), then its `depth` returns; returns the mispredicted returns.
fn call_chain(unit: &mut BranchUnit, depth: u64) -> u64 {
    let call_site = |level: u64| 0x10_0000 + level * 0x1000 + 0x20;
    let callee = |level: u64| 0x10_0000 + (level + 1) * 0x1000;
    for level in 0..depth {
        assert!(!unit.resolve(
            call_site(level),
            BranchClass::DirectCall,
            true,
            callee(level)
        ));
    }
    let before = unit.stats().mispredictions_of(BranchClass::Return);
    for level in (0..depth).rev() {
        // The return ending the callee's last block goes back to just
        // past the call.
        unit.resolve(
            callee(level) + 0x80,
            BranchClass::Return,
            true,
            call_site(level),
        );
    }
    unit.stats().mispredictions_of(BranchClass::Return) - before
}

/// A tiny deterministic generator (xorshift64).
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn bimodal_learns_an_always_taken_loop() {
    let mut unit = unit(PredictorKind::Bimodal);
    for _ in 0..3 {
        run_loop(&mut unit, 10);
    }
    unit.reset_stats();
    let loops = 50;
    for _ in 0..loops {
        run_loop(&mut unit, 10);
    }
    let stats = unit.stats();
    assert_eq!(stats.branches_of(BranchClass::Conditional), loops * 10);
    assert!(
        stats.mispredictions_of(BranchClass::Conditional) <= loops,
        "{} mispredictions in {loops} loops",
        stats.mispredictions_of(BranchClass::Conditional)
    );
    assert_eq!(stats.btb_misses, 0, "the back edge's target was learned");
}

#[test]
fn gshare_learns_an_alternating_pattern_that_bimodal_mispredicts() {
    let mut gshare = unit(PredictorKind::Gshare);
    let mut bimodal = unit(PredictorKind::Bimodal);
    alternate(&mut gshare, 0x5000, 200);
    alternate(&mut bimodal, 0x5000, 200);
    let n = 2000;
    let gshare_misses = alternate(&mut gshare, 0x5000, n);
    let bimodal_misses = alternate(&mut bimodal, 0x5000, n);
    assert!(
        gshare_misses * 100 <= u64::from(n),
        "gshare: {gshare_misses} of {n} mispredicted"
    );
    assert!(
        bimodal_misses * 100 >= 40 * u64::from(n),
        "bimodal: {bimodal_misses} of {n} mispredicted"
    );
}

#[test]
fn tage_predicts_the_exit_of_a_loop_longer_than_gshares_history() {
    // 20 trips: the last 14 outcomes before the exit are all taken, as
    // they are before the 15th to 19th trips, so gshare (14 bits) cannot
    // tell the exit apart; TAGE's 25-outcome table sees the previous exit.
    let loops = 200;
    let mut gshare = unit(PredictorKind::Gshare);
    let mut tage = tage();
    for unit in [&mut gshare, &mut tage] {
        for _ in 0..50 {
            run_loop(unit, 20);
        }
        unit.reset_stats();
        for _ in 0..loops {
            run_loop(unit, 20);
        }
    }
    let gshare_misses = gshare.stats().mispredictions_of(BranchClass::Conditional);
    let tage_misses = tage.stats().mispredictions_of(BranchClass::Conditional);
    assert!(
        gshare_misses >= loops,
        "gshare: {gshare_misses} in {loops} loops"
    );
    assert!(
        tage_misses <= loops / 20,
        "tage: {tage_misses} in {loops} loops"
    );
}

#[test]
fn tage_learns_patterns_and_biased_branches_as_well() {
    let mut unit = tage();
    alternate(&mut unit, 0x5000, 500);
    assert!(alternate(&mut unit, 0x5000, 1000) <= 10);
    for _ in 0..5 {
        run_loop(&mut unit, 10);
    }
    unit.reset_stats();
    for _ in 0..50 {
        run_loop(&mut unit, 10);
    }
    assert!(unit.stats().mispredictions_of(BranchClass::Conditional) <= 5);
}

#[test]
fn a_return_address_stack_predicts_the_returns_of_a_call_chain() {
    let config = BranchConfig::micro23();
    let depth = u64::from(config.ras_entries);
    let mut unit = BranchUnit::new(&config);
    assert_eq!(call_chain(&mut unit, 10), 0);
    assert_eq!(call_chain(&mut unit, depth), 0);
    // Eight calls too many: the eight oldest return addresses were
    // dropped, so the last eight returns find the stack empty.
    assert_eq!(call_chain(&mut unit, depth + 8), 8);
    // The stack is balanced again.
    assert_eq!(call_chain(&mut unit, 10), 0);
    let stats = unit.stats();
    assert_eq!(stats.mispredictions_of(BranchClass::DirectCall), 0);
    assert_eq!(
        stats.branches_of(BranchClass::Return),
        stats.branches_of(BranchClass::DirectCall)
    );
}

#[test]
fn a_return_to_another_address_than_the_call_pushed_mispredicts() {
    let mut unit = unit(PredictorKind::Gshare);
    unit.resolve(0x1020, BranchClass::IndirectCall, true, 0x8000);
    // A return to somewhere else (a longjmp-like unwind).
    assert!(unit.resolve(0x8040, BranchClass::Return, true, 0x3000));
    // The stack is empty now.
    assert!(unit.resolve(0x8040, BranchClass::Return, true, 0x1020));
}

#[test]
fn perfect_never_mispredicts() {
    let mut unit = unit(PredictorKind::Perfect);
    let mut random = Random(0x2545_f491_4f6c_dd1d);
    let n = 10_000;
    for _ in 0..n {
        let r = random.next();
        let class = BranchClass::ALL[(r % 7) as usize];
        let pc = 0x40_0000 + (r >> 8) % 0x1000;
        let taken = r & (1 << 40) != 0;
        assert!(!unit.resolve(pc, class, taken, r >> 20));
    }
    let stats = unit.stats();
    assert_eq!(stats.total_mispredictions(), 0);
    assert_eq!(stats.btb_misses, 0);
    assert_eq!(stats.branches.iter().sum::<u64>(), n);
}

#[test]
fn indirect_jumps_to_a_new_target_mispredict_until_the_btb_learns_it() {
    let mut unit = unit(PredictorKind::Gshare);
    let pc = 0x7010;
    for target in [0xa000, 0xb000, 0xa000] {
        assert!(unit.resolve(pc, BranchClass::IndirectJump, true, target));
        for _ in 0..5 {
            assert!(!unit.resolve(pc, BranchClass::IndirectJump, true, target));
        }
    }
    let stats = unit.stats();
    assert_eq!(stats.mispredictions_of(BranchClass::IndirectJump), 3);
    assert_eq!(stats.btb_misses, 1, "only the first lookup found no entry");
}

#[test]
fn direct_jumps_and_calls_never_mispredict_but_train_the_btb() {
    let mut unit = unit(PredictorKind::Bimodal);
    assert!(!unit.resolve(0x2010, BranchClass::DirectJump, true, 0x3000));
    assert!(!unit.resolve(0x2010, BranchClass::DirectJump, true, 0x3000));
    assert!(!unit.resolve(0x2040, BranchClass::DirectCall, true, 0x5000));
    assert_eq!(unit.stats().btb_misses, 2);
    // A no-branch block neither mispredicts nor looks anything up.
    assert!(!unit.resolve(0x2080, BranchClass::None, false, 0x2080));
    assert_eq!(unit.stats().btb_misses, 2);
    assert_eq!(unit.stats().branches_of(BranchClass::None), 1);
    assert_eq!(unit.stats().total_branches(), 3);
}

#[test]
fn a_taken_conditional_branch_the_btb_does_not_hold_mispredicts() {
    // Cold counters guess taken, so the direction is right; the target is
    // not known yet.
    let mut taken = unit(PredictorKind::Bimodal);
    assert!(taken.resolve(0x6010, BranchClass::Conditional, true, 0x6000));
    assert!(!taken.resolve(0x6010, BranchClass::Conditional, true, 0x6000));
    // Not taken: no target needed, no BTB lookup.
    let mut not_taken = unit(PredictorKind::Bimodal);
    for _ in 0..3 {
        not_taken.resolve(0x6110, BranchClass::Conditional, false, 0x6110);
    }
    assert!(!not_taken.resolve(0x6110, BranchClass::Conditional, false, 0x6110));
    assert_eq!(not_taken.stats().btb_misses, 0);
}

#[test]
fn reset_stats_keeps_what_was_learned() {
    let mut unit = unit(PredictorKind::Gshare);
    alternate(&mut unit, 0x5000, 200);
    unit.resolve(0x7010, BranchClass::IndirectJump, true, 0xa000);
    unit.resolve(0x1020, BranchClass::DirectCall, true, 0x8000);
    assert!(unit.stats().total_mispredictions() > 0);
    unit.reset_stats();
    assert_eq!(unit.stats(), &BranchStats::default());
    assert_eq!(alternate(&mut unit, 0x5000, 100), 0);
    assert!(!unit.resolve(0x7010, BranchClass::IndirectJump, true, 0xa000));
    assert!(!unit.resolve(0x8040, BranchClass::Return, true, 0x1020));
    assert_eq!(unit.stats().total_branches(), 102);
    assert_eq!(unit.stats().total_mispredictions(), 0);
}

#[test]
fn pooled_stats_add_up_and_give_mispredictions_per_kilo_instruction() {
    let mut a = unit(PredictorKind::Gshare);
    let mut b = unit(PredictorKind::Bimodal);
    alternate(&mut a, 0x5000, 100);
    alternate(&mut b, 0x5000, 100);
    let mut pooled = a.stats().clone();
    pooled.add(b.stats());
    let both = a.stats().total_mispredictions() + b.stats().total_mispredictions();
    assert_eq!(pooled.total_mispredictions(), both);
    assert_eq!(pooled.branches_of(BranchClass::Conditional), 200);
    assert_eq!(pooled.mpki(2000), both as f64 / 2.0);
    assert_eq!(pooled.mpki(0), 0.0);
    let mut full = BranchStats {
        btb_misses: u64::MAX,
        ..BranchStats::default()
    };
    full.add(&pooled);
    assert_eq!(full.btb_misses, u64::MAX, "counts saturate");
}

#[test]
fn micro23_branch_config_is_valid_and_round_trips_through_toml() {
    let config = BranchConfig::micro23();
    config.validate().unwrap();
    assert_eq!(config.predictor, PredictorKind::Gshare);
    assert_eq!(config.table_entries, 1 << 14);
    let text = toml::to_string(&config).unwrap();
    assert!(text.contains("predictor = \"gshare\""), "{text}");
    assert_eq!(toml::from_str::<BranchConfig>(&text).unwrap(), config);
}

#[test]
fn an_unknown_branch_config_field_is_an_error() {
    let text = toml::to_string(&BranchConfig::micro23()).unwrap() + "btb_entries = 4096\n";
    let error = toml::from_str::<BranchConfig>(&text).unwrap_err();
    assert!(error.to_string().contains("btb_entries"), "{error}");
}

#[test]
fn a_branch_config_error_names_the_field() {
    let check = |change: fn(&mut BranchConfig)| {
        let mut config = BranchConfig::micro23();
        change(&mut config);
        config.validate().unwrap_err()
    };
    assert_eq!(
        check(|c| c.table_entries = 1000),
        "branch.table_entries: 1000 is not a power of two"
    );
    let too_big = check(|c| c.table_entries = 1 << 25);
    assert!(too_big.starts_with("branch.table_entries: "), "{too_big}");
    let history = check(|c| c.history_bits = 15);
    assert!(history.starts_with("branch.history_bits: "), "{history}");
    assert!(check(|c| c.btb_sets = 1000).starts_with("branch.btb_sets: "));
    assert!(check(|c| c.btb_ways = 0).starts_with("branch.btb_ways: "));
    assert!(check(|c| c.btb_sets = 1 << 23).starts_with("branch.btb_sets: "));
    assert!(check(|c| c.ras_entries = 5000).starts_with("branch.ras_entries: "));
    assert!(check(|c| c.mispredict_penalty = 100_000).starts_with("branch.mispredict_penalty: "));
    let tage = |change: fn(&mut BranchConfig)| {
        let mut config = BranchConfig {
            predictor: PredictorKind::Tage,
            history_bits: 64,
            ..BranchConfig::micro23()
        };
        config.validate().unwrap();
        change(&mut config);
        config.check().unwrap_err().0
    };
    assert_eq!(tage(|c| c.history_bits = 4), "branch.history_bits");
    assert_eq!(tage(|c| c.history_bits = 65), "branch.history_bits");
    assert_eq!(tage(|c| c.table_entries = 8), "branch.table_entries");
    // Bimodal has no history: a long one is no error there.
    let mut bimodal = BranchConfig {
        predictor: PredictorKind::Bimodal,
        history_bits: 20,
        ..BranchConfig::micro23()
    };
    bimodal.validate().unwrap();
    bimodal.history_bits = 65;
    assert_eq!(
        bimodal.check().unwrap_err().0,
        "branch.history_bits",
        "check gives the field apart"
    );
}
