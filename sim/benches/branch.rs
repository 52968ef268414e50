//! Branch-unit speed: `BranchUnit::resolve` per branch on a synthetic,
//! program-like stream of branches made once before timing, with the
//! `micro23` branch config (gshare) and with bimodal, TAGE (histories up to
//! 64 outcomes) and perfect for comparison. Throughput is in branches, so the time per element is the
//! cost of one `resolve`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use memento_sim::branch::BranchUnit;
use memento_sim::config::{BranchConfig, PredictorKind};
use memento_trace::BranchClass;

/// One resolved branch: end address of its block, class, taken, target.
type Branch = (u64, BranchClass, bool, u64);

/// Code sites the stream visits, each 64 bytes apart (64 KiB of code).
const SITES: u64 = 1024;

/// A stream of at least `n` branches: at each step a random site does one
/// thing according to its number: a conditional branch (always taken,
/// 90% taken, alternating, or a coin toss, by site), a direct jump, a call
/// whose callee runs one conditional branch then returns, a switch (an
/// indirect jump to one of three targets), or an 8-trip loop.
fn stream(n: usize) -> Vec<Branch> {
    let mut rng = 0x9e37_79b9_7f4a_7c15_u64;
    let mut random = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut alternation = vec![false; SITES as usize];
    let mut out = Vec::with_capacity(n + 16);
    while out.len() < n {
        let r = random();
        let site = r % SITES;
        let base = 0x40_0000 + site * 0x40;
        let coin = (r >> 32) % 100;
        match (r >> 16) % 10 {
            0..=5 => {
                let pc = base + 0x10;
                let taken = match site % 4 {
                    0 => true,
                    1 => coin < 90,
                    2 => {
                        let flip = &mut alternation[site as usize];
                        *flip = !*flip;
                        *flip
                    }
                    _ => coin < 50,
                };
                out.push((
                    pc,
                    BranchClass::Conditional,
                    taken,
                    if taken { base } else { pc },
                ));
            }
            6 => out.push((base + 0x18, BranchClass::DirectJump, true, base + 0x100)),
            7 => {
                let call = base + 0x20;
                let callee = 0x80_0000 + site * 0x40;
                let taken = coin < 70;
                out.push((call, BranchClass::DirectCall, true, callee));
                let cond = callee + 0x10;
                out.push((
                    cond,
                    BranchClass::Conditional,
                    taken,
                    if taken { callee + 0x30 } else { cond },
                ));
                out.push((callee + 0x38, BranchClass::Return, true, call));
            }
            8 => {
                let target = 0x60_0000 + (coin % 3) * 0x100;
                out.push((base + 0x30, BranchClass::IndirectJump, true, target));
            }
            _ => {
                let pc = base + 0x38;
                for trip in 1..=8 {
                    let taken = trip < 8;
                    out.push((
                        pc,
                        BranchClass::Conditional,
                        taken,
                        if taken { base + 0x28 } else { pc },
                    ));
                }
            }
        }
    }
    out
}

fn resolve_per_branch(c: &mut Criterion) {
    let branches = stream(1 << 16);
    let mut group = c.benchmark_group("branch_resolve");
    group.throughput(Throughput::Elements(branches.len() as u64));
    for (name, predictor) in [
        ("gshare_micro23", PredictorKind::Gshare),
        ("bimodal", PredictorKind::Bimodal),
        ("tage_64", PredictorKind::Tage),
        ("perfect", PredictorKind::Perfect),
    ] {
        let config = BranchConfig {
            predictor,
            history_bits: if predictor == PredictorKind::Tage {
                64
            } else {
                14
            },
            ..BranchConfig::micro23()
        };
        let mut unit = BranchUnit::new(&config);
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut mispredicted = 0u64;
                for &(pc, class, taken, target) in &branches {
                    mispredicted += u64::from(unit.resolve(pc, class, taken, target));
                }
                black_box(mispredicted)
            })
        });
        let stats = unit.stats();
        let percent = |n: u64| 100.0 * n as f64 / stats.total_branches().max(1) as f64;
        eprintln!(
            "{name}: {:.1}% of branches mispredicted, BTB misses {:.1}% of branches",
            percent(stats.total_mispredictions()),
            percent(stats.btb_misses)
        );
    }
    group.finish();
}

criterion_group!(benches, resolve_per_branch);
criterion_main!(benches);
