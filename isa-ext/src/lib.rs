//! The Memento ISA extension (architecture specification and functional
//! models). See `README.md`.
