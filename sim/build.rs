//! Lists the DRAM standards of `presets/dram/` for the crate to embed, so
//! that a standard is added by adding its TOML file there.

use std::fmt::Write;
use std::path::Path;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("presets/dram");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("presets/dram exists")
        .filter_map(|e| {
            let path = e.ok()?.path();
            (path.extension()? == "toml").then(|| {
                let name = path.file_stem().unwrap().to_string_lossy().into_owned();
                (name, path.display().to_string())
            })
        })
        .collect();
    names.sort();
    let mut out = String::from("/// The built-in standards: name and TOML text.\n");
    out += "pub(crate) const BUILT_IN: &[(&str, &str)] = &[\n";
    for (name, path) in &names {
        let _ = writeln!(out, "    ({name:?}, include_str!({path:?})),");
    }
    out += "];\n";
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("standards.rs");
    std::fs::write(dest, out).unwrap();
}
