//! Regex scan of a seeded access log: e-mail addresses, IPv4 addresses and
//! status codes are extracted and counted.

use std::collections::HashMap;

use memento_rust_functions::{driver, rng};
use regex::Regex;

struct Input {
    log: String,
    line: Regex,
}

fn make_input() -> Input {
    let mut r = rng::Rng::new(32);
    let mut log = String::new();
    for _ in 0..8000 {
        log.push_str(&format!(
            "10.{}.{}.{} user{}@example{}.org GET /item/{} {}\n",
            r.below(256),
            r.below(256),
            r.below(256),
            r.below(500),
            r.below(20),
            r.below(10_000),
            [200, 200, 200, 304, 404, 500][r.below(6) as usize],
        ));
    }
    let line = Regex::new(r"(\d+\.\d+\.\d+\.\d+) ([a-z0-9]+)@([a-z0-9]+\.org) GET (\S+) (\d{3})")
        .expect("valid pattern");
    Input { log, line }
}

fn handler(input: &Input) -> String {
    let mut users: HashMap<&str, u32> = HashMap::new();
    let mut errors = 0u32;
    for caps in input.line.captures_iter(&input.log) {
        *users
            .entry(caps.get(2).expect("group").as_str())
            .or_default() += 1;
        if caps[5].starts_with('5') || caps[5].starts_with('4') {
            errors += 1;
        }
    }
    let lines: u32 = users.values().sum();
    format!("lines={lines} users={} errors={errors}", users.len())
}

fn main() {
    driver::run(make_input, handler)
}
