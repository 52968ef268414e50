//! Main memory: standards as data, address mapping, per-channel timing
//! state and the controller.

mod channel;
mod config;
mod controller;
mod mapping;
mod standard;

pub use channel::{RowOutcome, Service};
pub use config::{DramConfig, MapField, RowPolicy};
pub use controller::{Dram, DramCounters, ReadTicket};
pub use mapping::{AddressMapping, Location};
pub use standard::{DramStandard, Organisation, Timing};
