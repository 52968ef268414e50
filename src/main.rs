//! The `memento` command line.
fn main() {}
