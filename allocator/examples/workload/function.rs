// A serverless-style Rust function, shared by the two examples: each
// invocation parses a JSON request, indexes it, renders an HTML page and
// answers with a JSON summary. Allocation-heavy, mostly small objects.

use std::collections::{BTreeMap, HashMap};

fn request(invocation: usize) -> String {
    let items: Vec<serde_json::Value> = (0..4000)
        .map(|i| {
            serde_json::json!({
                "id": i,
                "user": format!("user{}", (i * 7919 + invocation) % 1000),
                "tags": [format!("t{}", i % 13), format!("t{}", i % 7)],
                "price": (i % 100) as f64 * 1.25,
            })
        })
        .collect();
    serde_json::json!({ "invocation": invocation, "items": items }).to_string()
}

fn handle(body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).expect("valid request");
    let items = v["items"].as_array().expect("items");
    let mut by_user: HashMap<String, Vec<u64>> = HashMap::new();
    let mut by_tag: BTreeMap<String, f64> = BTreeMap::new();
    for it in items {
        by_user
            .entry(it["user"].as_str().unwrap().to_string())
            .or_default()
            .push(it["id"].as_u64().unwrap());
        for t in it["tags"].as_array().unwrap() {
            *by_tag.entry(t.as_str().unwrap().to_string()).or_default() += it["price"].as_f64().unwrap();
        }
    }
    let mut html = String::from("<table>");
    let mut users: Vec<_> = by_user.iter().collect();
    users.sort();
    for (u, ids) in users {
        html.push_str(&format!("<tr><td>{u}</td><td>{}</td></tr>", ids.len()));
    }
    html.push_str("</table>");
    serde_json::json!({ "users": by_user.len(), "tags": by_tag, "html_len": html.len() }).to_string()
}

/// Runs `n` invocations and returns a checksum of the answers.
pub fn run(n: usize) -> usize {
    (0..n).map(|i| handle(&request(i)).len()).sum()
}
