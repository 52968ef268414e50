//! Importers and exporters on small inputs made here, and on a real
//! Valgrind Lackey run of a C program built here.

use std::io::{Cursor, Write};
use std::path::Path;
use std::process::Command;

use memento_trace::convert::{self, ConvertOptions, InputFormat, OutputFormat};
use memento_trace::export::{CsvExporter, DramExporter, DramStyle};
use memento_trace::import::{self, champsim, din, lackey, ImportOptions};
use memento_trace::{ErrorKind, Event, EventSink, TraceFile};

fn src() -> &'static Path {
    Path::new("test-input")
}

#[test]
fn lackey_text_becomes_blocks_followed_by_their_accesses() {
    let text = concat!(
        "==42== Lackey, an example Valgrind tool\n",
        "I  04001000,3\n",
        "I  04001003,5\n",
        " S 1ffefffe58,8\n",
        "I  04001008,2\n",
        " M 0402c3c0,4\n",
        "I  04002000,4\n",
        " L 0402c3c0,16\n",
        "==42== \n",
    );
    let mut events = Vec::new();
    let summary = lackey::import(Cursor::new(text), src(), &mut events).unwrap();
    assert_eq!(
        events,
        vec![
            Event::Block {
                addr: 0x0400_1000,
                len: 10,
                count: 3
            },
            Event::Store {
                addr: 0x1f_feff_fe58,
                size: 8
            },
            Event::Load {
                addr: 0x0402_c3c0,
                size: 4
            },
            Event::Store {
                addr: 0x0402_c3c0,
                size: 4
            },
            Event::Block {
                addr: 0x0400_2000,
                len: 4,
                count: 1
            },
            Event::Load {
                addr: 0x0402_c3c0,
                size: 16
            },
        ]
    );
    assert_eq!(
        (summary.instructions, summary.loads, summary.stores),
        (4, 2, 2)
    );
    assert_eq!(summary.skipped, 2);
}

#[test]
fn lackey_blocks_stop_at_sixty_four_instructions() {
    let text: String = (0..70)
        .map(|i| format!("I  {:08x},2\n", 0x1000 + 2 * i))
        .collect();
    let mut events = Vec::new();
    lackey::import(Cursor::new(text), src(), &mut events).unwrap();
    assert_eq!(
        events,
        vec![
            Event::Block {
                addr: 0x1000,
                len: 128,
                count: 64
            },
            Event::Block {
                addr: 0x1080,
                len: 12,
                count: 6
            },
        ]
    );
}

#[test]
fn lackey_bad_line_names_its_line_and_byte() {
    let text = "I  04001000,3\n L 1000,8\n X 1234,8\n";
    let e = lackey::import(Cursor::new(text), src(), &mut Vec::new()).unwrap_err();
    assert_eq!(e.offset(), Some(24));
    assert!(
        matches!(e.kind(), ErrorKind::BadLine { line: 3, .. }),
        "{e}"
    );
    let e = lackey::import(Cursor::new("I  zz,3\n"), src(), &mut Vec::new()).unwrap_err();
    assert!(e.to_string().contains("line 1: bad address or size"), "{e}");
    let e = lackey::import(Cursor::new(" L 1000,0\n"), src(), &mut Vec::new()).unwrap_err();
    assert!(e.to_string().contains("zero size"), "{e}");
}

/// A C program whose array walks have known counts: N stores, then N loads.
const ARRAY_WALK: &str = r#"
#include <stdio.h>
#define N 3000
static volatile int a[N];
int main(void) {
    for (int i = 0; i < N; i++) a[i] = i;
    long s = 0;
    for (int i = 0; i < N; i++) s += a[i];
    printf("%p %d %ld\n", (void *)a, N, s);
    return 0;
}
"#;

#[test]
fn lackey_run_of_a_real_program_keeps_every_access() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("walk.c");
    std::fs::write(&source, ARRAY_WALK).unwrap();
    let binary = dir.path().join("walk");
    let gcc = Command::new("gcc")
        .args(["-O1", "-o"])
        .arg(&binary)
        .arg(&source)
        .status()
        .expect("gcc is needed for this test");
    assert!(gcc.success());
    let log = dir.path().join("walk.lackey");
    let out = Command::new("valgrind")
        .args(["--tool=lackey", "--trace-mem=yes"])
        .arg(format!("--log-file={}", log.display()))
        .arg(&binary)
        .output()
        .expect("valgrind is needed for this test");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut fields = stdout.split_whitespace();
    let base = u64::from_str_radix(fields.next().unwrap().trim_start_matches("0x"), 16).unwrap();
    let n: u64 = fields.next().unwrap().parse().unwrap();

    let text = std::fs::read_to_string(&log).unwrap();
    let i_lines = text.lines().filter(|l| l.starts_with("I ")).count() as u64;
    let mut events = Vec::new();
    let summary = lackey::import(Cursor::new(text.as_bytes()), &log, &mut events).unwrap();
    let instructions: u64 = events.iter().map(Event::instructions).sum();
    assert_eq!(summary.instructions, i_lines);
    assert_eq!(instructions, i_lines);

    let in_array = |addr: u64| addr >= base && addr < base + 4 * n;
    let stores = events
        .iter()
        .filter(|e| matches!(e, Event::Store { addr, size: 4 } if in_array(*addr)))
        .count() as u64;
    let loads = events
        .iter()
        .filter(|e| matches!(e, Event::Load { addr, size: 4 } if in_array(*addr)))
        .count() as u64;
    assert_eq!((stores, loads), (n, n));

    // Through the file format and back, nothing changes.
    let mtrace = dir.path().join("walk.mtrace");
    convert::convert(
        &log,
        InputFormat::Lackey,
        &mtrace,
        OutputFormat::Mtrace,
        &ConvertOptions::default(),
    )
    .unwrap();
    let trace = TraceFile::open(&mtrace).unwrap();
    let decoded: Vec<Event> = trace.events().collect::<Result<_, _>>().unwrap();
    assert_eq!(decoded, events);
    assert_eq!(trace.header().workload, "walk");
    assert_eq!(trace.header().runtime, "import:lackey");
}

fn champsim_record(ip: u64, loads: &[u64], stores: &[u64]) -> [u8; 64] {
    let mut record = [0u8; 64];
    record[0..8].copy_from_slice(&ip.to_le_bytes());
    for (i, addr) in stores.iter().enumerate() {
        record[16 + 8 * i..24 + 8 * i].copy_from_slice(&addr.to_le_bytes());
    }
    for (i, addr) in loads.iter().enumerate() {
        record[32 + 8 * i..40 + 8 * i].copy_from_slice(&addr.to_le_bytes());
    }
    record
}

fn champsim_records() -> Vec<u8> {
    [
        champsim_record(0x1000, &[0x8000], &[]),
        champsim_record(0x1004, &[], &[0x9000]),
        champsim_record(0x1007, &[0x8040, 0x8080], &[0x9040]),
        champsim_record(0x2000, &[], &[]),
    ]
    .concat()
}

fn champsim_expected() -> Vec<Event> {
    vec![
        Event::Block {
            addr: 0x1000,
            len: 11,
            count: 3,
        },
        Event::Load {
            addr: 0x8000,
            size: 8,
        },
        Event::Store {
            addr: 0x9000,
            size: 8,
        },
        Event::Load {
            addr: 0x8040,
            size: 8,
        },
        Event::Load {
            addr: 0x8080,
            size: 8,
        },
        Event::Store {
            addr: 0x9040,
            size: 8,
        },
        Event::Block {
            addr: 0x2000,
            len: 4,
            count: 1,
        },
    ]
}

fn import_champsim_file(bytes: &[u8]) -> Vec<Event> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trace.champsim");
    std::fs::write(&path, bytes).unwrap();
    let mut events = Vec::new();
    let input = import::open_input(&path).unwrap();
    champsim::import(input, &path, ImportOptions::default(), &mut events).unwrap();
    events
}

#[test]
fn champsim_records_become_blocks_loads_and_stores() {
    assert_eq!(
        import_champsim_file(&champsim_records()),
        champsim_expected()
    );
}

/// A record with registers: `(ip, branch, src_regs, dst_regs, loads, stores)`.
fn champsim_reg_record(
    ip: u64,
    branch: bool,
    src: &[u8],
    dst: &[u8],
    loads: &[u64],
    stores: &[u64],
) -> [u8; 64] {
    let mut record = champsim_record(ip, loads, stores);
    record[8] = u8::from(branch);
    record[10..10 + dst.len()].copy_from_slice(dst);
    record[12..12 + src.len()].copy_from_slice(src);
    record
}

#[test]
fn champsim_dependences_follow_the_registers_loads_wrote() {
    use champsim::reg::{FLAGS, INSTRUCTION_POINTER as IP};
    let (rax, rcx, rbx, rdx, rsi, rdi) = (1, 2, 3, 4, 5, 7);
    let bytes = [
        champsim_reg_record(0x1000, false, &[rbx], &[rax], &[0x8000], &[]), // load 1
        champsim_reg_record(0x1004, false, &[rax], &[rax], &[0x8100], &[]), // load 2 <- 1
        champsim_reg_record(0x1008, false, &[rax], &[rcx], &[], &[]),       // rcx carries 2
        champsim_reg_record(0x100c, false, &[rdx], &[rdx], &[0x9000], &[]), // load 3
        champsim_reg_record(0x1010, false, &[rcx], &[rsi], &[0x8200], &[]), // load 4 <- 2
        champsim_reg_record(0x1014, false, &[rsi, rdi], &[], &[], &[0xa000]), // store <- 4
        champsim_reg_record(0x1018, true, &[IP, FLAGS], &[IP], &[], &[]),   // jcc, not taken
        champsim_reg_record(0x101a, false, &[], &[], &[], &[]),
    ]
    .concat();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deps.champsim");
    std::fs::write(&path, &bytes).unwrap();
    let mut events = Vec::new();
    let (summary, branches) = champsim::import(
        import::open_input(&path).unwrap(),
        &path,
        ImportOptions::default(),
        &mut events,
    )
    .unwrap();
    let load = |addr| Event::Load { addr, size: 8 };
    let dep = |distance| Event::Dep { distance };
    assert_eq!(
        events,
        vec![
            Event::Block {
                addr: 0x1000,
                len: 0x1a,
                count: 7
            },
            load(0x8000),
            dep(1),
            load(0x8100),
            load(0x9000),
            dep(2),
            load(0x8200),
            dep(1),
            Event::Store {
                addr: 0xa000,
                size: 8
            },
            // The branch ended the block: the fall-through starts another.
            Event::Block {
                addr: 0x101a,
                len: 4,
                count: 1
            },
        ]
    );
    assert_eq!(summary.loads, 4);
    assert_eq!(
        branches,
        vec![memento_trace::BranchInfo {
            end: 0x101a,
            class: memento_trace::BranchClass::Conditional
        }]
    );
}

#[test]
fn champsim_branch_classes_follow_its_register_convention() {
    use champsim::reg::{FLAGS, INSTRUCTION_POINTER as IP, STACK_POINTER as SP};
    use memento_trace::BranchClass::*;
    let rax = 1;
    let class = champsim::branch_class;
    assert_eq!(class(&[IP, FLAGS], &[IP]), Conditional);
    assert_eq!(class(&[], &[IP]), DirectJump);
    assert_eq!(class(&[rax], &[IP]), IndirectJump);
    assert_eq!(class(&[IP, SP], &[IP, SP]), DirectCall);
    assert_eq!(class(&[IP, SP, rax], &[IP, SP]), IndirectCall);
    assert_eq!(class(&[SP], &[IP, SP]), Return);
    assert_eq!(class(&[rax], &[rax]), None);
}

#[test]
fn champsim_imports_are_marked_as_recording_dependences() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("t.champsim");
    std::fs::write(&input, champsim_records()).unwrap();
    let output = dir.path().join("t.mtrace");
    convert::convert(
        &input,
        convert::InputFormat::Champsim,
        &output,
        convert::OutputFormat::Mtrace,
        &convert::ConvertOptions::default(),
    )
    .unwrap();
    let trace = memento_trace::TraceFile::open(&output).unwrap();
    assert!(trace.header().dependences);
    assert_eq!(trace.header().version, memento_trace::format::VERSION);
}

#[test]
fn champsim_xz_and_gzip_inputs_are_decompressed() {
    let raw = champsim_records();
    let mut xz = xz2::write::XzEncoder::new(Vec::new(), 6);
    xz.write_all(&raw).unwrap();
    assert_eq!(
        import_champsim_file(&xz.finish().unwrap()),
        champsim_expected()
    );
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&raw).unwrap();
    assert_eq!(
        import_champsim_file(&gz.finish().unwrap()),
        champsim_expected()
    );
}

#[test]
fn champsim_truncated_record_is_reported() {
    let mut raw = champsim_records();
    raw.truncate(64 * 2 + 10);
    let e = champsim::import(
        Cursor::new(raw),
        src(),
        ImportOptions::default(),
        &mut Vec::new(),
    )
    .unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::BadRecord { record: 2, .. }),
        "{e}"
    );
    assert_eq!(e.offset(), Some(128));
}

#[test]
fn din_labels_map_to_loads_stores_and_instructions() {
    let text = "2 400000\n0 7fff0010\n2 400004 4\n1 0x7fff0020 2\n3 0\n4 0\n2 500000\n";
    let mut events = Vec::new();
    let summary = din::import(
        Cursor::new(text),
        src(),
        ImportOptions { access_size: 4 },
        &mut events,
    )
    .unwrap();
    assert_eq!(
        events,
        vec![
            Event::Block {
                addr: 0x40_0000,
                len: 8,
                count: 2
            },
            Event::Load {
                addr: 0x7fff_0010,
                size: 4
            },
            Event::Store {
                addr: 0x7fff_0020,
                size: 2
            },
            Event::Block {
                addr: 0x50_0000,
                len: 4,
                count: 1
            },
        ]
    );
    assert_eq!(summary.skipped, 2);
}

#[test]
fn din_unknown_label_names_its_line() {
    let e = din::import(
        Cursor::new("0 10\n7 20\n"),
        src(),
        ImportOptions::default(),
        &mut Vec::new(),
    )
    .unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::BadLine { line: 2, .. }),
        "{e}"
    );
    assert_eq!(e.offset(), Some(5));
}

fn accesses() -> Vec<Event> {
    vec![
        Event::Block {
            addr: 0x1000,
            len: 8,
            count: 3,
        },
        Event::Load {
            addr: 0x1040,
            size: 8,
        },
        Event::Store {
            addr: 0x107c,
            size: 8,
        },
        Event::Gap { count: 2 },
        Event::Load {
            addr: 0x2000,
            size: 1,
        },
    ]
}

#[test]
fn dramsim3_export_is_one_request_per_line_touched() {
    let mut exporter = DramExporter::new(Vec::new(), DramStyle::Dramsim3);
    for e in accesses() {
        exporter.push(&e).unwrap();
    }
    assert_eq!(exporter.requests(), 4);
    let text = String::from_utf8(exporter.finish().unwrap()).unwrap();
    assert_eq!(
        text,
        "0x1040 READ 3\n0x1040 WRITE 3\n0x1080 WRITE 3\n0x2000 READ 5\n"
    );
}

#[test]
fn ramulator_export_marks_reads_and_writes() {
    let mut exporter = DramExporter::new(Vec::new(), DramStyle::Ramulator);
    for e in accesses() {
        exporter.push(&e).unwrap();
    }
    let text = String::from_utf8(exporter.finish().unwrap()).unwrap();
    assert_eq!(text, "0x1040 R\n0x1040 W\n0x1080 W\n0x2000 R\n");
}

#[test]
fn csv_export_has_a_row_per_event() {
    let mut exporter = CsvExporter::new(Vec::new()).unwrap();
    for e in accesses() {
        exporter.push(&e).unwrap();
    }
    exporter
        .push(&Event::Alloc(memento_trace::Alloc {
            func: memento_trace::AllocFn::Malloc,
            level: memento_trace::AllocLevel::Libc,
            size: 24,
            align: 0,
            addr: 0x5000,
            site: 0x401234,
        }))
        .unwrap();
    let text = String::from_utf8(exporter.finish().unwrap()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 7);
    assert_eq!(lines[1], "0,0,block,0x1000,8,3,,,,,");
    assert_eq!(lines[3], "2,0,store,0x107c,8,,,,,,");
    assert_eq!(lines[6], "5,0,alloc,0x5000,24,,,0x401234,malloc,libc,");
}

#[test]
fn failed_conversion_leaves_no_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("bad.lackey");
    std::fs::write(&input, "I  1000,4\n L 2000,8\nnonsense\n").unwrap();
    let output = dir.path().join("out.mtrace");
    let e = convert::convert(
        &input,
        InputFormat::Lackey,
        &output,
        OutputFormat::Mtrace,
        &ConvertOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::BadLine { line: 3, .. }));
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("bad.lackey")]);
}
