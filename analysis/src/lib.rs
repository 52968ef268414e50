//! Memento's reports: printers for the plain-data statistics the other
//! crates compute, and `compare`, which drives the machine model over
//! traces in several modes and derives what Memento changes.

#![warn(missing_docs)]

pub mod branch_class;
pub mod compare;
mod module_map;
pub mod profile;
pub mod record;
pub mod report;
pub mod sites;
pub mod symbols;
pub mod table;
pub mod trace_info;
