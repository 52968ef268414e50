//! `memento compare --plot`: every plot written as SVG and PNG, atomically,
//! and an error that names the folder it could not create.

use std::fs;
use std::path::Path;

use memento_analysis::compare::plot::{self, NAMES};
use memento_analysis::compare::{
    Comparison, Figures, Mode, Paper, Run, RunStats, Split, Summary, Workload, SCHEMA,
};
use memento_sim::CauseCounts;

/// Stats with `demand` and `metadata` lines read and `writeback` written.
fn stats(cycles: u64, demand: u64, metadata: u64, writeback: u64) -> RunStats {
    RunStats {
        cycles,
        instructions: 2 * cycles,
        allocator_instructions: cycles / 5,
        dram_reads: CauseCounts {
            demand,
            alloc_metadata: metadata,
            page_walk: 40,
            ..CauseCounts::default()
        },
        dram_writes: CauseCounts {
            writeback,
            ..CauseCounts::default()
        },
        page_size: 4096,
        ..RunStats::default()
    }
}

fn workload(name: &str, speedup: f64, split: Option<Split>) -> Workload {
    Workload {
        name: name.into(),
        runtime: "python".into(),
        runs: vec![
            Run {
                mode: Mode::BASELINE,
                stats: stats(1_000_000, 5000, 900, 300),
            },
            Run {
                mode: Mode::MEMENTO,
                stats: stats(800_000, 4600, 400, 250),
            },
        ],
        figures: Figures {
            speedup,
            ideal_mallacc_speedup: Some(speedup * 1.8),
            allocator_share: 0.2 + speedup,
            dram_traffic_change: -0.12,
            split,
            ..Figures::default()
        },
    }
}

/// Three workloads, two of them with the speedup split (one part negative).
fn sample(with_split: bool) -> Comparison {
    let split = |a: f64| {
        with_split.then_some(Split {
            object_alloc: a,
            object_free: 0.08,
            page_management: 0.05,
            bypass: 0.02,
        })
    };
    Comparison {
        schema: SCHEMA.into(),
        machine: "test".into(),
        workloads: vec![
            workload("json-warm", 0.10, split(-0.05)),
            workload("jsonpipe-warm", 0.25, split(0.10)),
            workload("rsjson-warm", 0.18, None),
        ],
        summary: Summary {
            workloads: 3,
            mean_split: split(0.025),
            ..Summary::default()
        },
        paper: Paper::micro23(),
    }
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn every_plot_is_written_as_svg_and_png() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("plots/new");
    plot::all(&sample(true), &dir).unwrap();
    let mut expected: Vec<String> = NAMES
        .iter()
        .flat_map(|n| [format!("{n}.png"), format!("{n}.svg")])
        .collect();
    expected.sort();
    assert_eq!(files(&dir), expected, "six files and no temporary one");
    for name in NAMES {
        let png = fs::read(dir.join(format!("{name}.png"))).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{name}.png");
        assert!(png.len() > 1000, "{name}.png has something drawn");
        let svg = fs::read_to_string(dir.join(format!("{name}.svg"))).unwrap();
        assert!(svg.starts_with("<svg"), "{name}.svg");
        for workload in ["json-warm", "jsonpipe-warm"] {
            assert!(svg.contains(workload), "{name}.svg names {workload}");
        }
    }
    let svg = |name: &str| fs::read_to_string(dir.join(format!("{name}.svg"))).unwrap();
    assert!(svg("dram-traffic").contains("DRAM lines (64 B)"));
    assert!(svg("dram-traffic").contains("rsjson-warm"));
    assert!(svg("dram-traffic").contains("alloc metadata"));
    assert!(svg("speedup-split").contains("speedup over the baseline (%)"));
    assert!(svg("speedup-split").contains("page management"));
    assert!(
        !svg("speedup-split").contains("rsjson-warm"),
        "a workload without a split has no bar"
    );
    let scatter = svg("speedup-vs-allocator-share");
    assert!(scatter.contains("allocator share of the baseline&apos;s instructions (%)"));
    assert!(scatter.contains("speedup over the baseline (%)"));
    assert!(scatter.contains("rsjson-warm"));
    assert!(scatter.contains("ideal Mallacc"));
}

#[test]
fn without_a_split_the_plot_says_how_to_get_one() {
    let tmp = tempfile::tempdir().unwrap();
    plot::all(&sample(false), tmp.path()).unwrap();
    let svg = fs::read_to_string(tmp.path().join("speedup-split.svg")).unwrap();
    assert!(svg.contains("run compare with --ablate for the split"));
    let png = fs::read(tmp.path().join("speedup-split.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
}

#[test]
fn plots_are_replaced_whole() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("dram-traffic.svg"), "old").unwrap();
    plot::all(&sample(true), tmp.path()).unwrap();
    let svg = fs::read_to_string(tmp.path().join("dram-traffic.svg")).unwrap();
    assert!(svg.starts_with("<svg"));
    assert_eq!(files(tmp.path()).len(), 6);
}

#[test]
fn a_folder_that_cannot_be_made_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a-file");
    fs::write(&file, "not a folder").unwrap();
    let dir = file.join("plots");
    let e = plot::all(&sample(true), &dir).unwrap_err();
    assert_eq!(e.file, dir.display().to_string());
    assert!(e.message.contains("cannot create"), "{e}");
    assert_eq!(files(tmp.path()), ["a-file"], "nothing else is left");
}

#[test]
fn a_plot_that_cannot_be_written_is_named_and_leaves_no_temporary_file() {
    let tmp = tempfile::tempdir().unwrap();
    // A folder where the first plot's file should go: the rename fails.
    fs::create_dir(tmp.path().join("dram-traffic.svg")).unwrap();
    fs::write(tmp.path().join("dram-traffic.svg/x"), "").unwrap();
    let e = plot::all(&sample(true), tmp.path()).unwrap_err();
    assert_eq!(
        e.file,
        tmp.path().join("dram-traffic.svg").display().to_string()
    );
    assert_eq!(files(tmp.path()), ["dram-traffic.svg"], "{e}");
}

#[test]
fn a_comparison_of_nothing_still_gets_its_plots() {
    let tmp = tempfile::tempdir().unwrap();
    let mut c = sample(true);
    c.workloads.clear();
    plot::all(&c, tmp.path()).unwrap();
    assert_eq!(files(tmp.path()).len(), 6);
    let svg = fs::read_to_string(tmp.path().join("dram-traffic.svg")).unwrap();
    assert!(svg.contains("no workload to plot"));
}
