//! The generator meets its profiles' statistics, deterministically.

use memento_trace::{Event, Summarizer, TraceSummary};
use memento_workloads::synth::{self, Profile};

fn run(profile: &Profile, seed: u64) -> Vec<Event> {
    let mut events = Vec::new();
    synth::generate(profile, seed, &mut events).unwrap();
    events
}

fn summarize(events: &[Event]) -> TraceSummary {
    let mut s = Summarizer::new(4096);
    events.iter().for_each(|e| s.push(e));
    s.finish()
}

fn share(part: u64, whole: u64) -> f64 {
    part as f64 / whole as f64
}

#[test]
fn every_preset_meets_its_size_and_lifetime_shares() {
    for name in Profile::preset_names() {
        let mut profile = Profile::preset(name).unwrap();
        profile.allocations = 60_000;
        let s = summarize(&run(&profile, 42));
        let weights: f64 = profile.sizes.iter().map(|b| b.weight).sum();
        let small_weight: f64 = profile
            .sizes
            .iter()
            .filter(|b| b.max <= 512)
            .map(|b| b.weight)
            .sum();
        let l = &profile.lifetimes;
        assert_eq!(s.allocations, 60_000, "{name}");
        let small = share(s.small_allocations, s.allocations);
        assert!(
            (small - small_weight / weights).abs() < 0.01,
            "{name}: small share {small}"
        );
        let short = share(s.short_lived, s.allocations);
        assert!(
            (short - l.short_share).abs() < 0.015,
            "{name}: short-lived share {short}"
        );
        let long = share(s.live_objects_at_end, s.allocations);
        assert!(
            (long - l.long_share).abs() < 0.015,
            "{name}: live-at-exit share {long}"
        );
        assert_eq!(s.warnings.total(), 0, "{name}: {:?}", s.warnings);
    }
}

#[test]
fn paper_profile_matches_the_published_characterisation() {
    let profile = Profile::preset("paper").unwrap();
    let s = summarize(&run(&profile, 1));
    assert!((share(s.small_allocations, s.allocations) - 0.93).abs() < 0.01);
    assert!((share(s.short_lived, s.allocations) - 0.71).abs() < 0.01);
    assert!((share(s.live_objects_at_end, s.allocations) - 0.27).abs() < 0.01);
}

#[test]
fn same_seed_gives_the_same_events_and_another_seed_does_not() {
    let mut profile = Profile::preset("python").unwrap();
    profile.allocations = 5_000;
    assert_eq!(run(&profile, 9), run(&profile, 9));
    assert_ne!(run(&profile, 9), run(&profile, 10));
}

#[test]
fn allocator_work_is_bracketed_and_every_free_was_allocated() {
    let mut profile = Profile::preset("cpp").unwrap();
    profile.allocations = 5_000;
    let events = run(&profile, 3);
    let s = summarize(&events);
    assert!(s.allocator_instructions > 0 && s.allocator_accesses > 0);
    assert_eq!(
        s.warnings.unmatched_alloc_exit + s.warnings.unclosed_alloc_enter,
        0
    );
    assert_eq!(s.warnings.free_of_unknown_address, 0);
    // Every alloc and free sits inside its bracket.
    let mut depth = 0;
    for e in &events {
        match e {
            Event::AllocEnter { .. } => depth += 1,
            Event::AllocExit => depth -= 1,
            Event::Alloc(_) | Event::Free(_) => assert_eq!(depth, 1),
            _ => {}
        }
    }
}

#[test]
fn invocations_split_the_allocations() {
    let mut profile = Profile::preset("python").unwrap();
    profile.allocations = 1_001;
    profile.invocations = 4;
    let events = run(&profile, 5);
    let s = summarize(&events);
    assert_eq!(s.invocations, 4);
    assert_eq!(s.allocations, 1_001);
    assert_eq!(
        s.warnings.unbalanced_invocation + s.warnings.unbalanced_roi,
        0
    );
}

#[test]
fn profile_errors_name_the_field() {
    let base = Profile::preset("paper").unwrap().to_toml();
    let cases = [
        (
            "short_share = 0.71",
            "short_share = 1.5",
            "lifetimes.short_share",
        ),
        ("block = 12", "block = 100", "instructions.block"),
        ("invocations = 1", "invocations = 0", "invocations"),
        (
            "recent_window = 64",
            "recent_window = 64\nwindow = 3",
            "unknown field `window`",
        ),
    ];
    for (from, to, field) in cases {
        assert!(base.contains(from), "{from}");
        let text = base.replace(from, to);
        let e = Profile::from_toml(&text, "mine.toml").unwrap_err();
        assert!(e.to_string().starts_with("mine.toml: "), "{e}");
        assert!(e.to_string().contains(field), "{field}: {e}");
    }
    assert!(Profile::preset("java")
        .unwrap_err()
        .to_string()
        .contains("paper, python, cpp"));
}
