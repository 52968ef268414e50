//! Memento's workloads: the function suite ([`suite`]: the manifest, native
//! runs, captures split into cold start and warm invocations) and a seeded,
//! deterministic generator of synthetic traces ([`synth`]) whose allocation
//! sizes, lifetimes and access patterns follow the characterisation behind
//! Memento, tunable through profiles.

#![warn(missing_docs)]

pub mod rng;
pub mod suite;
pub mod synth;
