//! The platform layer: a serverless node whose function instances share
//! the machine model's cores, LLC and DRAM. Invocations arrive from real
//! schedules (Azure Functions 2019 and 2021) or seeded generators;
//! keep-alive, snapshot and harvest policies decide what each start costs.

#![warn(missing_docs)]

pub mod arrivals;
pub mod cost;
pub mod full;
pub mod harvest;
pub mod idle_heap;
pub mod keepalive;
pub mod measure;
pub mod node;
pub mod plot;
pub mod print;
pub mod report;
pub mod run;
pub mod scenario;
pub mod snapshot;
