//! bench/validate/make_champsim_traces.py writes ChampSim `input_instr`
//! records that `memento trace convert --from champsim` imports, one
//! instruction per record.

use std::path::Path;
use std::process::Command;

#[test]
fn generated_champsim_traces_import_with_every_record() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("memento-champgen-{}", std::process::id()));
    let n = 20_000;
    let out = Command::new("python3")
        .arg(root.join("bench/validate/make_champsim_traces.py"))
        .arg(&dir)
        .args(["--instructions", &n.to_string()])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for kernel in ["chase", "stream", "random", "branchy"] {
        let input = dir.join(format!("{kernel}.champsimtrace.xz"));
        assert_eq!(
            std::fs::metadata(&input).map(|m| m.len() > 0).ok(),
            Some(true),
            "{kernel}"
        );
        let output = dir.join(format!("{kernel}.mtrace"));
        let convert = Command::new(env!("CARGO_BIN_EXE_memento"))
            .args(["trace", "convert", "--from", "champsim"])
            .arg(&input)
            .arg(&output)
            .output()
            .expect("memento runs");
        assert!(
            convert.status.success(),
            "{kernel}: {}",
            String::from_utf8_lossy(&convert.stderr)
        );
        let info = Command::new(env!("CARGO_BIN_EXE_memento"))
            .args(["trace", "info"])
            .arg(&output)
            .output()
            .expect("memento runs");
        let text = String::from_utf8_lossy(&info.stdout);
        let line = text
            .lines()
            .find(|l| l.starts_with("instructions"))
            .unwrap_or_else(|| panic!("{kernel}: no instructions line in\n{text}"));
        assert!(line.contains("instructions 20,000 "), "{kernel}: {line}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
