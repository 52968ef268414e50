//! Memento's workloads. Today: a seeded, deterministic generator of
//! synthetic traces whose allocation sizes, lifetimes and access patterns
//! follow the characterisation behind Memento, tunable through profiles.

#![warn(missing_docs)]

pub mod rng;
pub mod suite;
pub mod synth;
