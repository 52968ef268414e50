//! Branch prediction on replay: each block's ending branch is resolved by
//! the next block's address, and a misprediction costs the refill penalty.

mod common;

use std::cell::RefCell;
use std::rc::Rc;

use common::*;
use memento_sim::config::PredictorKind;
use memento_sim::{BranchClasses, Config, Machine, Stats};
use memento_trace::{BranchClass, Event};

fn block(addr: u64) -> Event {
    Event::Block {
        addr,
        len: 16,
        count: 4,
    }
}

fn with_predictor(kind: PredictorKind) -> Config {
    let mut c = small();
    c.branch.predictor = kind;
    c
}

fn run_classified(
    config: &Config,
    events: Vec<Event>,
    classes: impl BranchClasses + 'static,
) -> Stats {
    let mut m = Machine::new(config).unwrap();
    m.set_branch_classes(0, Rc::new(RefCell::new(classes)));
    m.run(vec![events.into_iter()]).unwrap()
}

/// A loop body at 0x1000 taken back `trips - 1` times, then the exit to
/// 0x1010, `rounds` times over (from 0x2000, which jumps to the loop).
fn loops(trips: usize, rounds: usize) -> Vec<Event> {
    (0..rounds)
        .flat_map(|_| {
            std::iter::once(block(0x2000))
                .chain(std::iter::repeat_n(block(0x1000), trips))
                .chain(std::iter::once(block(0x1010)))
        })
        .collect()
}

fn loop_classes(addr: u64, _len: u32) -> Option<BranchClass> {
    Some(match addr {
        0x1000 => BranchClass::Conditional,
        0x1010 => BranchClass::DirectJump,
        _ => BranchClass::DirectJump,
    })
}

#[test]
fn a_loop_branch_is_learned_and_only_its_exits_mispredict() {
    let s = run_classified(
        &with_predictor(PredictorKind::Bimodal),
        loops(50, 40),
        loop_classes,
    );
    let b = &s.cores[0].branch;
    assert_eq!(b.branches_of(BranchClass::Conditional), 50 * 40);
    // One exit per round, and at most a couple while the counter warms.
    let missed = b.mispredictions_of(BranchClass::Conditional);
    assert!((40..=43).contains(&missed), "{missed} mispredicted");
    assert_eq!(
        s.cores[0].stalls.branch_mispredict,
        b.total_mispredictions() * u64::from(small().branch.mispredict_penalty)
    );
}

#[test]
fn mispredictions_cost_cycles_that_a_perfect_predictor_does_not_pay() {
    // A branch whose direction follows a pseudo-random sequence.
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let events: Vec<Event> = (0..4000)
        .flat_map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let next = if x & 1 == 0 { 0x1010 } else { 0x3000 };
            [block(0x1000), block(next)]
        })
        .collect();
    let classes = |addr: u64, _len: u32| {
        Some(if addr == 0x1000 {
            BranchClass::Conditional
        } else {
            BranchClass::DirectJump
        })
    };
    let perfect = run_classified(
        &with_predictor(PredictorKind::Perfect),
        events.clone(),
        classes,
    );
    let gshare = run_classified(&with_predictor(PredictorKind::Gshare), events, classes);
    let missed = gshare.cores[0].branch.total_mispredictions();
    assert!(missed > 1000, "{missed} mispredicted of a random branch");
    assert_eq!(perfect.cores[0].branch.total_mispredictions(), 0);
    let penalty = u64::from(small().branch.mispredict_penalty);
    assert!(
        gshare.cycles >= perfect.cycles + missed * penalty,
        "gshare {} perfect {} missed {missed}",
        gshare.cycles,
        perfect.cycles
    );
}

#[test]
fn returns_of_a_call_chain_are_predicted_by_the_return_stack() {
    // main (0x1000) calls f (0x2000), which calls g (0x3000); each returns
    // to the instruction after its call: 0x1010 and 0x2010.
    let events: Vec<Event> = (0..100)
        .flat_map(|_| {
            [
                block(0x1000),
                block(0x2000),
                block(0x3000),
                block(0x2010),
                block(0x1010),
            ]
        })
        .collect();
    let classes = |addr: u64, _len: u32| {
        Some(match addr {
            0x1000 | 0x2000 => BranchClass::DirectCall,
            0x3000 | 0x2010 => BranchClass::Return,
            _ => BranchClass::DirectJump,
        })
    };
    let s = run_classified(&with_predictor(PredictorKind::Gshare), events, classes);
    let b = &s.cores[0].branch;
    assert_eq!(b.branches_of(BranchClass::Return), 200);
    assert_eq!(b.mispredictions_of(BranchClass::Return), 0);
}

#[test]
fn without_a_provider_every_block_ends_in_a_conditional_branch() {
    let s = run(&with_predictor(PredictorKind::Gshare), loops(10, 5));
    let b = &s.cores[0].branch;
    assert_eq!(b.total_branches(), b.branches_of(BranchClass::Conditional));
    assert_eq!(b.total_branches(), 5 * 12 - 1);
}
