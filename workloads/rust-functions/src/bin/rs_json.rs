//! serde_json transform: seeded records are parsed into a `Value` tree,
//! each record gains a computed field, and the tree is serialised again
//! (`memento_rust_functions::json_transform`).

use memento_rust_functions::{driver, json_transform};

fn main() {
    driver::run(json_transform::make_input, |text: &String| {
        json_transform::handler(text)
    })
}
