//! The suite's manifest is complete and checked; driver lines parse.

use std::time::Duration;

use memento_workloads::suite::run::{check, parse_line};
use memento_workloads::suite::{Invocation, Manifest, Runtime};

fn committed() -> Manifest {
    Manifest::load(&memento_workloads::suite::workloads_dir().join("manifest.toml")).unwrap()
}

#[test]
fn the_committed_manifest_names_every_entry_that_exists() {
    let manifest = committed();
    let dir = memento_workloads::suite::workloads_dir();
    for f in &manifest.functions {
        if f.runtime != Runtime::Rust {
            assert!(
                dir.join(&f.entry).is_file(),
                "{}: {} missing",
                f.name,
                f.entry
            );
        }
    }
    assert!(manifest
        .functions
        .iter()
        .any(|f| f.runtime == Runtime::Python));
}

#[test]
fn a_name_listed_twice_is_rejected() {
    let one = "[[function]]\nname = \"a\"\nruntime = \"python\"\nentry = \"a.py\"\nrole = \"r\"\ninputs = \"i\"\nallocates = \"x\"\ninvocations = 1\nexpected = \"e\"\n";
    let err = Manifest::from_toml(&format!("{one}{one}"), "m.toml").unwrap_err();
    assert_eq!(err.to_string(), "m.toml: function `a` is listed twice");
    assert!(Manifest::from_toml(one, "m.toml").is_ok());
}

#[test]
fn an_unknown_runtime_is_rejected_with_the_file_name() {
    let text = "[[function]]\nname = \"a\"\nruntime = \"go\"\nentry = \"a\"\nrole = \"r\"\ninputs = \"i\"\nallocates = \"x\"\ninvocations = 1\nexpected = \"e\"\n";
    let err = Manifest::from_toml(text, "m.toml").unwrap_err().to_string();
    assert!(err.starts_with("m.toml: "), "{err}");
    assert!(err.contains("go"), "{err}");
}

#[test]
fn a_driver_line_parses_and_other_lines_are_ignored() {
    let inv = parse_line("memento-invocation 3 warm 1500 top=0,1 max=0.5").unwrap();
    assert_eq!(
        inv,
        Invocation {
            id: 3,
            cold: false,
            elapsed: Duration::from_nanos(1500),
            result: "top=0,1 max=0.5".into(),
        }
    );
    assert!(parse_line("memento-invocation 3 lukewarm 1 x").is_none());
    assert!(parse_line("some output of the function").is_none());
}

#[test]
fn check_rejects_a_wrong_result_a_missing_invocation_and_a_late_cold_start() {
    let manifest = committed();
    let f = &manifest.functions[0];
    let inv = |id, cold, result: &str| Invocation {
        id,
        cold,
        elapsed: Duration::from_millis(1),
        result: result.into(),
    };
    let good = [inv(0, true, &f.expected), inv(1, false, &f.expected)];
    assert!(check(f, &f.expected, 2, &good).is_ok());
    assert!(check(f, &f.expected, 3, &good).is_err());
    let wrong = [inv(0, true, &f.expected), inv(1, false, "other")];
    assert!(check(f, &f.expected, 2, &wrong)
        .unwrap_err()
        .to_string()
        .contains("`other`"));
    let late = [inv(0, false, &f.expected), inv(1, true, &f.expected)];
    assert!(check(f, &f.expected, 2, &late).is_err());
}
