//! `memento report` on a batch folder of real replays: two sample traces on
//! the `small` machine under three configurations (LLC sets 64 and 256
//! with the bypass off, 64 with it on), written as run records the way
//! `memento batch run` writes them. The report's plots are valid SVG and
//! PNG, its rows and speedups are `compare`'s, it is the same byte for
//! byte from the same runs, and bad folders are errors naming the file.
//! Hot code is checked on a trace whose module is this test binary, so
//! that it disassembles on any machine.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use memento_analysis::compare::{self, print::pct, Comparison};
use memento_analysis::record::{Outcome, RunRecord, RUN_SCHEMA};
use memento_analysis::report::{self, plot_names, Batch};
use memento_sim::Config;
use memento_trace::{Alloc, AllocFn, AllocLevel, Event, Header, ModuleInfo, TraceFileWriter};

/// The sample traces replayed.
const TRACES: [&str; 2] = ["json-warm.mtrace", "rsjson-warm.mtrace"];
/// The configurations: LLC sets and whether the bypass is on.
const CONFIGS: [(u32, bool); 3] = [(64, false), (256, false), (64, true)];

struct Fixture {
    dir: tempfile::TempDir,
    /// `compare`'s comparison of each configuration, by label.
    compared: BTreeMap<String, Comparison>,
}

fn label(sets: u32, bypass: bool) -> String {
    format!("small,llc.sets={sets},memento.bypass_alloc={bypass}")
}

/// The batch folder, built once for every test of this file.
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let runs = dir.path().join("runs");
        fs::create_dir_all(&runs).unwrap();
        let traces: Vec<PathBuf> = TRACES
            .iter()
            .map(|t| {
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../traces/samples")
                    .join(t)
            })
            .collect();
        let mut compared = BTreeMap::new();
        for (sets, bypass) in CONFIGS {
            let mut config = Config::preset("small").unwrap();
            config.llc.sets = sets;
            let mut m = Config::default_memento();
            m.bypass_alloc = bypass;
            config.memento = Some(m);
            let measured =
                compare::measure(&config, &traces, false, &|_| "unknown".into(), &|| {}).unwrap();
            let label = label(sets, bypass);
            for (w, path) in measured.iter().zip(&traces) {
                for run in &w.runs {
                    let key = format!("{}-{sets}-{bypass}-{}", w.name, run.mode);
                    let record = RunRecord {
                        schema: RUN_SCHEMA.into(),
                        key: key.clone(),
                        workload: w.name.clone(),
                        input: path.display().to_string(),
                        runtime: w.runtime.clone(),
                        config: label.clone(),
                        params: BTreeMap::from([
                            ("llc.sets".to_string(), sets.to_string()),
                            ("memento.bypass_alloc".to_string(), bypass.to_string()),
                        ]),
                        mode: run.mode.to_string(),
                        seed: 1,
                        outcome: Outcome::Replayed {
                            events: 0,
                            stats: run.stats.clone(),
                        },
                    };
                    fs::write(
                        runs.join(format!("{key}.json")),
                        serde_json::to_string_pretty(&record).unwrap(),
                    )
                    .unwrap();
                }
            }
            compared.insert(label.clone(), compare::compare(&label, measured).unwrap());
        }
        Fixture { dir, compared }
    })
}

/// Writes the fixture's report into a fresh folder: the Markdown and the
/// plot folder.
fn report_into(out: &Path) -> (String, PathBuf) {
    let plots = out.join("plots");
    report::write(
        fixture().dir.path(),
        Some(&out.join("report.md")),
        Some(&plots),
    )
    .unwrap();
    (fs::read_to_string(out.join("report.md")).unwrap(), plots)
}

/// Whether `text` is one well-formed XML element tree: every opened tag
/// closed in order.
fn well_formed(text: &str) -> bool {
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find('<') {
        let Some(j) = rest[i..].find('>') else {
            return false;
        };
        let tag = &rest[i + 1..i + j];
        rest = &rest[i + j + 1..];
        if tag.starts_with('?') || tag.starts_with('!') || tag.ends_with('/') {
            continue;
        }
        let name = tag.split_whitespace().next().unwrap_or("");
        if let Some(closing) = name.strip_prefix('/') {
            if stack.pop() != Some(closing) {
                return false;
            }
        } else {
            stack.push(name);
        }
    }
    stack.is_empty()
}

#[test]
fn every_plot_is_a_valid_svg_and_a_non_trivial_png() {
    let out = tempfile::tempdir().unwrap();
    let (_, plots) = report_into(out.path());
    let batch = Batch::group(
        fixture().dir.path(),
        report::load(fixture().dir.path()).unwrap(),
    )
    .unwrap();
    let names = plot_names(&batch);
    // 3 DRAM plots, the speedup bars, 2 curves for each of 2 parameters.
    assert_eq!(names.len(), 3 + 1 + 4, "{names:?}");
    for name in &names {
        let svg = fs::read_to_string(plots.join(format!("{name}.svg"))).unwrap();
        assert!(svg.starts_with("<svg"), "{name}.svg");
        assert!(svg.trim_end().ends_with("</svg>"), "{name}.svg");
        assert!(well_formed(&svg), "{name}.svg is not well-formed");

        let bytes = fs::read(plots.join(format!("{name}.png"))).unwrap();
        assert!(bytes.len() > 10_000, "{name}.png: {} bytes", bytes.len());
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{name}.png");
        let mut reader = png::Decoder::new(std::io::Cursor::new(&bytes))
            .read_info()
            .unwrap();
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut pixels).unwrap();
        let pixels = &pixels[..info.buffer_size()];
        let colours: std::collections::HashSet<&[u8]> = pixels.chunks(3).collect();
        assert!(
            colours.len() > 8,
            "{name}.png has {} colours",
            colours.len()
        );
    }
}

/// The cells of the rows of the Markdown table under `## title`.
fn table_rows(markdown: &str, title: &str) -> Vec<Vec<String>> {
    let start = markdown
        .find(&format!("## {title}\n"))
        .unwrap_or_else(|| panic!("no section {title}"));
    markdown[start..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

#[test]
fn markdown_has_a_row_per_workload_and_config_with_compares_speedup() {
    let out = tempfile::tempdir().unwrap();
    let (markdown, _) = report_into(out.path());
    let rows = table_rows(
        &markdown,
        "Cycles and speedup per workload and configuration",
    );
    assert_eq!(rows.len(), TRACES.len() * CONFIGS.len(), "{rows:?}");
    for (label, c) in &fixture().compared {
        for w in &c.workloads {
            let row = rows
                .iter()
                .find(|r| r[0] == w.name && r[1] == *label)
                .unwrap_or_else(|| panic!("no row for {} on {label}", w.name));
            assert_eq!(row[4], pct(w.figures.speedup), "{} on {label}", w.name);
        }
        let summary = table_rows(&markdown, "Summary per configuration");
        let row = summary.iter().find(|r| r[0] == *label).unwrap();
        assert_eq!(row[2], pct(c.summary.geomean_speedup), "{label}");
    }
    // DRAM traffic: a baseline and a Memento row per workload and config.
    let dram = table_rows(&markdown, "DRAM traffic by cause");
    assert_eq!(dram.len(), 2 * TRACES.len() * CONFIGS.len());
    let memory = table_rows(&markdown, "Memory");
    assert_eq!(memory.len(), TRACES.len() * CONFIGS.len());
}

#[test]
fn sensitivity_holds_the_other_parameter_at_its_first_value() {
    let out = tempfile::tempdir().unwrap();
    let (markdown, _) = report_into(out.path());
    let rows = table_rows(&markdown, "Sensitivity to each swept parameter");
    // The first table is llc.sets, with the bypass held at `false`.
    let wide = &fixture().compared[&label(256, false)];
    for w in &wide.workloads {
        let row = rows.iter().find(|r| r[0] == w.name).unwrap();
        let expected = format!(
            "{} ({})",
            pct(w.figures.speedup),
            pct(w.figures.dram_traffic_change)
        );
        assert_eq!(row[2], expected, "{}", w.name);
    }
    assert!(markdown.contains("Held: `memento.bypass_alloc=false`."));
}

#[test]
fn the_same_runs_give_the_same_report_byte_for_byte() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (ma, pa) = report_into(a.path());
    let (mb, pb) = report_into(b.path());
    // The reports differ only in where they link the plots from: none.
    assert_eq!(ma, mb);
    let mut files: Vec<_> = fs::read_dir(&pa)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for f in files {
        assert!(
            fs::read(pa.join(&f)).unwrap() == fs::read(pb.join(&f)).unwrap(),
            "{f:?} differs"
        );
    }
}

#[test]
fn failed_and_platform_runs_get_their_own_sections() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    fs::create_dir_all(&runs).unwrap();
    let record = |key: &str, mode: &str, outcome: Outcome| RunRecord {
        schema: RUN_SCHEMA.into(),
        key: key.into(),
        workload: "w".into(),
        input: "/nowhere/w.mtrace".into(),
        runtime: "cpp".into(),
        config: "small".into(),
        params: BTreeMap::new(),
        mode: mode.into(),
        seed: 1,
        outcome,
    };
    let report = serde_json::json!({
        "schema": "memento-platform/1",
        "modes": [{"mode": "memento", "all": {"invocations": 1234, "cold": 7,
                   "p50_ms": 1.5, "p99_ms": 9.25}, "peak_memory_mib": 64.0,
                   "cost_usd": 0.001}]
    });
    for r in [
        record(
            "a",
            "memento",
            Outcome::Failed {
                error: "w.mtrace: truncated chunk at byte 99".into(),
            },
        ),
        record("b", "platform", Outcome::Platform { report }),
    ] {
        fs::write(
            runs.join(format!("{}.json", r.key)),
            serde_json::to_string(&r).unwrap(),
        )
        .unwrap();
    }
    report::write(dir.path(), None, None).unwrap();
    let markdown = fs::read_to_string(dir.path().join("report.md")).unwrap();
    let failed = table_rows(&markdown, "Failed runs");
    assert_eq!(failed.len(), 1);
    assert!(failed[0].contains(&"runs/a.json".to_string()), "{failed:?}");
    assert!(failed[0].contains(&"w.mtrace: truncated chunk at byte 99".to_string()));
    let platform = table_rows(&markdown, "Platform runs");
    assert_eq!(platform.len(), 1);
    assert_eq!(platform[0][3..6], ["1,234", "7", "1.50"]);
}

#[test]
fn a_malformed_run_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("runs")).unwrap();
    fs::write(dir.path().join("runs/0123.json"), "{\"schema\": 3").unwrap();
    let e = report::load(dir.path()).unwrap_err().to_string();
    assert!(e.contains("0123.json"), "{e}");
    assert!(e.contains(RUN_SCHEMA), "{e}");
}

#[test]
fn a_folder_without_runs_says_to_run_the_batch_first() {
    let dir = tempfile::tempdir().unwrap();
    for prepare in [false, true] {
        if prepare {
            fs::create_dir_all(dir.path().join("runs")).unwrap();
        }
        let e = report::load(dir.path()).unwrap_err().to_string();
        assert!(e.contains("memento batch run"), "{e}");
    }
}

/// A function of this test binary whose code the hot-code test
/// disassembles.
#[inline(never)]
#[no_mangle]
pub extern "C" fn memento_report_fixture_code(x: u64) -> u64 {
    let mut y = x;
    for i in 0..std::hint::black_box(7) {
        y = y.wrapping_mul(31).rotate_left(i) ^ x;
    }
    y
}

/// The link-time address and size of a function symbol of `elf`, and the
/// file offset of its first byte.
fn function(elf: &goblin::elf::Elf, name: &str) -> (u64, u64, u64) {
    let sym = elf
        .syms
        .iter()
        .find(|s| s.is_function() && elf.strtab.get_at(s.st_name) == Some(name))
        .expect("the fixture function is in the symbol table");
    let segment = elf
        .program_headers
        .iter()
        .find(|p| {
            p.p_type == goblin::elf::program_header::PT_LOAD
                && sym.st_value >= p.p_vaddr
                && sym.st_value < p.p_vaddr + p.p_filesz
        })
        .unwrap();
    let offset = sym.st_value - segment.p_vaddr + segment.p_offset;
    (sym.st_value, sym.st_size, offset)
}

#[test]
fn hot_code_names_the_hottest_site_and_disassembles_its_block() {
    std::hint::black_box(memento_report_fixture_code(3));
    let exe = std::env::current_exe().unwrap();
    let bytes = fs::read(&exe).unwrap();
    let elf = goblin::elf::Elf::parse(&bytes).unwrap();
    let (_, size, offset) = function(&elf, "memento_report_fixture_code");
    assert!(size > 0);
    // Mapped whole at BASE from offset 0: address BASE + o is file offset o.
    const BASE: u64 = 0x7000_0000_0000;
    let start = BASE + offset;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hot.mtrace");
    let header = Header {
        workload: "hot".into(),
        page_size: 4096,
        ..Header::default()
    };
    let mut w = TraceFileWriter::create(&path, &header).unwrap();
    w.writer().add_module(ModuleInfo {
        start: BASE,
        len: bytes.len() as u64,
        file_offset: 0,
        path: exe.display().to_string(),
        build_id: Vec::new(),
    });
    let alloc = |site: u64| {
        Event::Alloc(Alloc {
            func: AllocFn::Malloc,
            level: AllocLevel::Libc,
            size: 32,
            align: 0,
            addr: 0x1000,
            site,
        })
    };
    // Site A (inside the fixture function): 3 calls of 5 runs of the block.
    // Site B (unknown to every module): 1 call of 1 run of another block.
    for _ in 0..3 {
        w.push(&Event::AllocEnter {
            func: AllocFn::Malloc,
        })
        .unwrap();
        for _ in 0..5 {
            w.push(&Event::Block {
                addr: start,
                len: size as u32,
                count: 4,
            })
            .unwrap();
        }
        w.push(&alloc(start + 4)).unwrap();
        w.push(&Event::AllocExit).unwrap();
    }
    w.push(&Event::AllocEnter {
        func: AllocFn::Malloc,
    })
    .unwrap();
    w.push(&Event::Block {
        addr: 0x10,
        len: 4,
        count: 1,
    })
    .unwrap();
    w.push(&alloc(0x20)).unwrap();
    w.push(&Event::AllocExit).unwrap();
    w.finish().unwrap();

    let hot = report::of_trace(&path).unwrap();
    assert_eq!((hot.brackets, hot.instructions), (4, 3 * 5 * 4 + 1));
    let site = &hot.sites[0];
    assert_eq!((site.calls, site.instructions), (3, 60));
    let function = site.location.as_ref().and_then(|l| l.function.clone());
    assert_eq!(function.as_deref(), Some("memento_report_fixture_code"));

    let block = &hot.blocks[0];
    assert_eq!((block.addr, block.executions), (start, 15));
    let code = block.code.as_ref().expect("the block is disassembled");
    assert_eq!(code[0].addr, start);
    assert_eq!(
        code[0].bytes,
        bytes[offset as usize..][..code[0].bytes.len()]
    );
    assert!(!code[0].mnemonic.is_empty());
    // The block in no module is said, not disassembled.
    assert!(hot.blocks[1]
        .code
        .as_ref()
        .unwrap_err()
        .contains("no module"));
    // The same trace twice is the same hot code.
    assert_eq!(report::of_trace(&path).unwrap(), hot);
}
