//! Memento's reports: printers for the plain-data statistics the other
//! crates compute. Nothing here computes a result; it only presents one.

#![warn(missing_docs)]

pub mod profile;
pub mod sites;
pub mod symbols;
pub mod table;
pub mod trace_info;
