//! End-to-end: `memento platform run` on scenarios written by the tests.
//! The sample traces stand for both the cold and the warm trace of a
//! function (the pipeline is under test here, not the figures).

use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;
use common::{json, memento, refused};

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("traces/samples")
        .join(name)
}

fn scenario(dir: &Path, arrivals: &str, extra: &str) -> PathBuf {
    let warm = sample("rsjson-warm.mtrace");
    let text = format!(
        "seed = 1\n{extra}\n[node]\ncores = 2\nmemory_mb = 1024\n\n\
         [functions.rsjson]\ncold = {warm:?}\nwarm = {warm:?}\nmemory_mb = 256\n\n\
         [arrivals]\n{arrivals}\n"
    );
    let path = dir.join("scenario.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_fixed_schedule_gives_its_hand_counted_starts_in_both_modes() {
    let dir = tempfile::tempdir().unwrap();
    // 0 s cold; 1 s warm; 700 s: expired after 10 minutes, cold again.
    let path = scenario(dir.path(), "source = \"times\"\ntimes_s = [0, 1, 700]", "");
    let r = json(&memento(&[
        "platform",
        "run",
        "--json",
        path.to_str().unwrap(),
    ]));
    assert_eq!(r["schema"], "memento-platform/1");
    let modes = r["modes"].as_array().unwrap();
    assert_eq!(modes.len(), 2);
    for (m, name) in modes.iter().zip(["baseline", "memento"]) {
        assert_eq!(m["mode"], name);
        let f = &m["functions"][0];
        assert_eq!(
            (f["cold"].as_u64(), f["warm"].as_u64()),
            (Some(2), Some(1)),
            "{name}"
        );
        assert!(m["dram"]["demand"].as_u64().unwrap() > 0);
    }
    // The same traces cost less DRAM traffic with Memento.
    let total = |m: &Value| {
        m["dram"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum::<u64>()
    };
    assert!(total(&modes[1]) < total(&modes[0]));
}

#[test]
fn identical_seeds_give_identical_reports_and_csv_has_a_row_per_function() {
    let dir = tempfile::tempdir().unwrap();
    let arrivals = "source = \"poisson\"\nfunctions = 5\nduration_s = 600\nrate_per_min = 30";
    let path = scenario(dir.path(), arrivals, "[snapshot]\npolicy = \"pronghorn\"");
    let p = path.to_str().unwrap();
    let a = memento(&["platform", "run", "--json", p]);
    let b = memento(&["platform", "run", "--json", p]);
    assert_eq!(json(&a), json(&b));
    let csv = memento(&["platform", "run", "--csv", p]);
    let text = String::from_utf8(csv.stdout).unwrap();
    // A header, then rsjson and all for each mode.
    assert_eq!(text.lines().count(), 1 + 2 * 2, "{text}");
}

#[test]
fn an_unknown_scenario_field_exits_2_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = scenario(
        dir.path(),
        "source = \"times\"\ntimes_s = [0]",
        "[keep_alive]\npolicy = \"fixed\"\nkeep_alive_s = 5",
    );
    let out = memento(&["platform", "run", path.to_str().unwrap()]);
    refused(&out, &["scenario.toml", "keep_alive", "keep_alive_s"]);
}

#[test]
fn a_function_larger_than_the_node_exits_2_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = scenario(dir.path(), "source = \"times\"\ntimes_s = [0]", "");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("memory_mb = 256", "memory_mb = 4096");
    std::fs::write(&path, text).unwrap();
    let out = memento(&["platform", "run", path.to_str().unwrap()]);
    refused(&out, &["functions.rsjson.memory_mb"]);
}

#[test]
fn a_malformed_schedule_row_exits_2_naming_the_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("HashOwner,HashApp,HashFunction,Trigger");
    for m in 1..=1440 {
        csv += &format!(",{m}");
    }
    csv += "\no,a,f,http";
    for m in 1..=1440 {
        csv += if m == 7 { ",x" } else { ",1" };
    }
    csv += "\n";
    std::fs::write(dir.path().join("inv.csv"), csv).unwrap();
    let path = scenario(
        dir.path(),
        "source = \"azure2019\"\ninvocations = \"inv.csv\"",
        "",
    );
    let out = memento(&["platform", "run", path.to_str().unwrap()]);
    refused(&out, &["inv.csv:2", "column '7'"]);
}

#[test]
fn a_missing_trace_exits_2_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = scenario(dir.path(), "source = \"times\"\ntimes_s = [0]", "");
    let text =
        std::fs::read_to_string(&path)
            .unwrap()
            .replacen("rsjson-warm.mtrace", "nope.mtrace", 1);
    std::fs::write(&path, text).unwrap();
    let out = memento(&["platform", "run", path.to_str().unwrap()]);
    refused(&out, &["nope.mtrace"]);
}

#[test]
fn plots_are_written_as_valid_svg_and_png() {
    let dir = tempfile::tempdir().unwrap();
    let arrivals = "source = \"poisson\"\nfunctions = 3\nduration_s = 600\nrate_per_min = 20";
    let path = scenario(dir.path(), arrivals, "");
    let plots = dir.path().join("plots");
    let out = memento(&[
        "platform",
        "run",
        path.to_str().unwrap(),
        "--plot",
        plots.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in ["memory", "latency-cdf"] {
        let svg = std::fs::read_to_string(plots.join(format!("{name}.svg"))).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
            "{name}.svg"
        );
        assert!(
            svg.contains("latency (ms") || svg.contains("memory loaded (MiB)"),
            "{name}: axis label"
        );
        let png = std::fs::read(plots.join(format!("{name}.png"))).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{name}.png");
        assert!(png.len() > 10_000, "{name}.png: {} bytes", png.len());
    }
}

#[test]
fn reports_are_identical_whatever_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let arrivals =
        "source = \"bursty\"\nfunctions = 4\nduration_s = 900\nburst_rate_per_min = 60\n\
                    gap_rate_per_min = 5\nmean_burst_s = 20\nmean_gap_s = 120";
    let path = scenario(dir.path(), arrivals, "[snapshot]\npolicy = \"pronghorn\"");
    let run = |threads: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_memento"))
            .env("RAYON_NUM_THREADS", threads)
            .args(["platform", "run", "--json", path.to_str().unwrap()])
            .output()
            .unwrap()
    };
    let (one, two) = (run("1"), run("2"));
    assert!(
        one.status.success(),
        "{}",
        String::from_utf8_lossy(&one.stderr)
    );
    assert_eq!(one.stdout, two.stdout);
}

#[test]
fn check_on_one_instance_finds_the_memoised_warm_times_exact() {
    let dir = tempfile::tempdir().unwrap();
    // One instance: a cold start, then three warm ones a second apart.
    let path = scenario(dir.path(), "source = \"times\"\ntimes_s = [0, 1, 2, 3]", "");
    let out = memento(&["platform", "check", path.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    for mode in ["baseline", "memento"] {
        let row: Vec<&str> = text
            .lines()
            .find(|l| l.starts_with(mode) && l.contains("rsjson"))
            .unwrap_or_else(|| panic!("no {mode} row in\n{text}"))
            .split_whitespace()
            .collect();
        // mode, function, warm starts, memoised mean, full mean, error, ...
        assert_eq!(row[2], "3", "{text}");
        assert_eq!(row[3], row[4], "memoised and full means differ:\n{text}");
        assert_eq!(row[5], "+0.0%", "{text}");
    }
}

#[test]
fn check_refuses_a_scenario_with_restores_and_too_many_instances() {
    let dir = tempfile::tempdir().unwrap();
    // The third request comes after the keep-alive: restored from the
    // snapshot taken after the first.
    let path = scenario(
        dir.path(),
        "source = \"times\"\ntimes_s = [0, 1, 700]",
        "[snapshot]\npolicy = \"after-first\"",
    );
    let out = memento(&["platform", "check", path.to_str().unwrap()]);
    refused(&out, &["scenario.toml", "snapshot policy is `never`"]);
    // Two requests at once: two instances.
    let path = scenario(dir.path(), "source = \"times\"\ntimes_s = [0, 0]", "");
    let out = memento(&[
        "platform",
        "check",
        "--max-instances",
        "1",
        path.to_str().unwrap(),
    ]);
    refused(&out, &["scenario.toml", "2 instances", "--max-instances"]);
}
