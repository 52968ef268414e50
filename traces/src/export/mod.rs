//! Exporters: Memento events written for other tools.

pub mod csv;
pub mod dram;

pub use self::csv::CsvExporter;
pub use self::dram::{DramExporter, DramStyle};
