//! Main memory: standards as data, address mapping, per-channel timing
//! state and the controller.

mod channel;
mod config;
mod controller;
mod history;
mod log;
mod mapping;
mod standard;

pub use channel::{RowOutcome, Service};
pub use config::{DramConfig, MapField, PageFrames, RefreshPolicy, RowPolicy};
pub use controller::{Dram, DramCounters, DramRequestSink, ReadTicket};
pub use log::RequestWriter;
pub use mapping::{AddressMapping, Location};
pub use standard::{DramStandard, Organisation, Timing};
