//! The allocator reads bottom-up, one layer per file: a module may use
//! only modules of its own layer or below. This test reads the sources and
//! fails on an upward use, so a new call that closes a circle (as pool's
//! pay-back once called up into large, heap and thread) is caught, and on a
//! source file that is in no layer, so each new file is placed on purpose.
//! The layers are listed in README.md ("Layers").

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

/// Bottom first. Modules of one layer may use each other.
const LAYERS: &[&[&str]] = &[
    &["os", "poison"],
    &["lock", "config", "types", "size_class", "registry"],
    &["stats"],
    &["pool"],
    &["arena"],
    &["heap", "large_cache"],
    &["large"],
    &["thread"],
    &["reclaim"],
    &["slow_path", "report"],
    &["api", "harvest"],
    &["global", "snapshot"],
    &["lib"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// The crate modules that `source` names in code (comments, doc comments
/// and their intra-doc links are not uses).
fn uses(source: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in source.lines() {
        let code = match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        };
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                for item in group[..end].split(',') {
                    let name = item.trim().split("::").next().unwrap_or("");
                    found.insert(name.to_string());
                }
            } else {
                let end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                found.insert(rest[..end].to_string());
            }
        }
    }
    found.retain(|m| !m.is_empty() && m.chars().next().unwrap().is_ascii_lowercase());
    found
}

#[test]
fn every_module_uses_only_its_own_layer_or_those_below() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut upward = Vec::new();
    let mut unplaced = Vec::new();
    let mut files: Vec<_> = fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.sort();
    assert!(files.len() > 10, "no sources found in {}", src.display());
    for path in files {
        let module = path.file_stem().unwrap().to_str().unwrap().to_string();
        let Some(own) = layer_of(&module) else {
            unplaced.push(module);
            continue;
        };
        for used in uses(&fs::read_to_string(&path).unwrap()) {
            match layer_of(&used) {
                Some(l) if l <= own => {}
                Some(_) => upward.push(format!("{module} uses {used}, a layer above it")),
                None => unplaced.push(used),
            }
        }
    }
    assert!(
        unplaced.is_empty(),
        "modules in no layer (add them to LAYERS and README.md): {unplaced:?}"
    );
    assert!(upward.is_empty(), "upward uses:\n{}", upward.join("\n"));
}

#[test]
fn the_use_scanner_sees_paths_groups_and_skips_comments() {
    let found = uses(
        "use crate::{heap, large::Request, os};\n\
         let x = crate::pool::acquire(1); // crate::thread::current_heap()\n\
         /// [`crate::reclaim`]\n",
    );
    let want: BTreeSet<String> = ["heap", "large", "os", "pool"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(found, want);
}
