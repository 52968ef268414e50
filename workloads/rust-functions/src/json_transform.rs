//! The serde_json transform of `rs_json`, as a library so that other
//! harnesses (the platform layer's native harness) run the same function:
//! seeded records are parsed into a `Value` tree, each record gains a
//! computed field, and the tree is serialised again.

use serde_json::{json, Value};

use crate::{driver, rng};

/// The request: seeded records as JSON text.
// Inline: the suite's rs_json binary keeps the code layout it had when
// this was its own (the committed samples were captured from it).
#[inline]
pub fn make_input() -> String {
    let mut r = rng::Rng::new(31);
    let records: Vec<Value> = (0..driver::input_size(3000))
        .map(|i| {
            json!({
                "id": i,
                "name": format!("user{}", r.below(100_000)),
                "price": r.below(10_000),
                "tags": [format!("t{}", r.below(9)), format!("t{}", r.below(9))],
            })
        })
        .collect();
    serde_json::to_string(&records).expect("serialisable")
}

/// One invocation: transform `text` and summarise the result.
#[inline]
pub fn handler(text: &str) -> String {
    let mut records: Value = serde_json::from_str(text).expect("valid JSON");
    let list = records.as_array_mut().expect("an array");
    for record in list.iter_mut() {
        let price = record["price"].as_u64().unwrap_or(0);
        record["discounted"] = json!(price * 9 / 10);
    }
    list.retain(|r| r["tags"][0] != r["tags"][1]);
    let out = serde_json::to_string(&records).expect("serialisable");
    format!(
        "kept={} digest={:016x}",
        list_len(&records),
        rng::fnv1a(out.as_bytes())
    )
}

#[inline]
fn list_len(v: &Value) -> usize {
    v.as_array().map_or(0, Vec::len)
}
