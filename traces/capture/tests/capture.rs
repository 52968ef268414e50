//! End-to-end tests of `memento capture` on programs built here with gcc.

mod common;

use std::path::Path;

use common::{
    build_c, build_cxx, capture_to, depths, install_deps, module_range, read, threads_of,
};
use memento_capture::{capture, CaptureError, CaptureMode, CaptureOptions};
use memento_trace::{AllocFn, AllocLevel, Event};

const KNOWN: &str = r#"
#include <stdlib.h>
#define N 1000
int main(void) {
    long *a = malloc(N * sizeof(long));
    char *b = calloc(50, 4);
    long *c = malloc(64);
    for (long i = 0; i < N; i++) a[i] = i;
    a = realloc(a, 2 * N * sizeof(long));
    free(c);
    for (long i = 0; i < 2 * N; i++) a[i] = i;
    long s = 0;
    for (long i = 0; i < 2 * N; i++) s += a[i];
    free(b);
    free(a);
    return s == (2 * N - 1) * N ? 0 : 1;
}
"#;

/// Allocation events whose call site is in `exe`, outermost only.
fn program_allocations(events: &[Event], ranges: &[(u64, u64)]) -> Vec<Event> {
    let in_exe = |site: u64| ranges.iter().any(|&(s, e)| site >= s && site < e);
    events
        .iter()
        .filter(|e| match e {
            Event::Alloc(a) => in_exe(a.site),
            Event::Free(f) => in_exe(f.site),
            Event::Realloc(r) => in_exe(r.site),
            _ => false,
        })
        .copied()
        .collect()
}

#[test]
fn known_program_gives_exactly_its_allocations_and_array_accesses() {
    let dir = tempfile::tempdir().unwrap();
    let exe = build_c(dir.path(), "known", KNOWN, &[]);
    let trace = capture_to(dir.path(), "known", &[&exe], false, CaptureMode::Full);
    let (events, meta) = read(&trace);
    let ranges = module_range(&meta, &exe);
    assert!(!ranges.is_empty(), "the executable is in the module map");
    let allocs = program_allocations(&events, &ranges);
    let [Event::Alloc(a), Event::Alloc(b), Event::Alloc(c), Event::Realloc(r), Event::Free(fc), Event::Free(fb), Event::Free(fa)] =
        allocs[..]
    else {
        panic!("unexpected allocation sequence: {allocs:#?}");
    };
    assert_eq!(
        (a.func, a.size, a.level),
        (AllocFn::Malloc, 8000, AllocLevel::Libc)
    );
    assert_eq!((b.func, b.size), (AllocFn::Calloc, 200));
    assert_eq!((c.func, c.size), (AllocFn::Malloc, 64));
    assert_eq!(
        (r.func, r.old_addr, r.size),
        (AllocFn::Realloc, a.addr, 16000)
    );
    assert_eq!((fc.func, fc.addr), (AllocFn::Free, c.addr));
    assert_eq!(fb.addr, b.addr);
    assert_eq!(fa.addr, r.new_addr);
    // every site is distinct: each call has its own return address
    let mut sites = vec![a.site, b.site, c.site, r.site, fc.site, fb.site, fa.site];
    sites.sort();
    sites.dedup();
    assert_eq!(sites.len(), 7);

    // the program's own accesses to the arrays, outside allocator brackets
    let depth = depths(&events);
    let (mut old_stores, mut new_stores, mut new_loads) = (0, 0, 0);
    for (e, &d) in events.iter().zip(&depth) {
        if d > 0 {
            continue;
        }
        match *e {
            Event::Store { addr, size: 8 } if addr >= a.addr && addr < a.addr + 8000 => {
                old_stores += 1
            }
            Event::Store { addr, size: 8 } if addr >= r.new_addr && addr < r.new_addr + 16000 => {
                new_stores += 1
            }
            Event::Load { addr, size: 8 } if addr >= r.new_addr && addr < r.new_addr + 16000 => {
                new_loads += 1
            }
            _ => {}
        }
    }
    assert_eq!((old_stores, new_stores, new_loads), (1000, 2000, 2000));
}

#[test]
fn allocator_brackets_hold_the_allocators_own_work() {
    let dir = tempfile::tempdir().unwrap();
    let exe = build_c(dir.path(), "known", KNOWN, &[]);
    let trace = capture_to(dir.path(), "known", &[&exe], false, CaptureMode::Full);
    let (events, meta) = read(&trace);
    let ranges = module_range(&meta, &exe);
    let depth = depths(&events);
    assert_eq!(depth.last(), Some(&0), "brackets balance");
    let Some(Event::Realloc(r)) = program_allocations(&events, &ranges).get(3).copied() else {
        panic!("no realloc");
    };
    // the bracket that ends with the realloc event
    let at = events.iter().position(|e| *e == Event::Realloc(r)).unwrap();
    let start = (0..at)
        .rev()
        .find(|&i| {
            matches!(
                events[i],
                Event::AllocEnter {
                    func: AllocFn::Realloc
                }
            ) && depth[i] == 1
        })
        .unwrap();
    assert_eq!(events[at + 1], Event::AllocExit);
    let inside = &events[start..at];
    // realloc moved the block: it read all of the old one, wrote the new one
    let read_old: u64 = inside
        .iter()
        .filter_map(|e| match *e {
            Event::Load { addr, size } if addr >= r.old_addr && addr < r.old_addr + 8000 => {
                Some(u64::from(size))
            }
            _ => None,
        })
        .sum();
    let wrote_new: u64 = inside
        .iter()
        .filter_map(|e| match *e {
            Event::Store { addr, size } if addr >= r.new_addr && addr < r.new_addr + 8000 => {
                Some(u64::from(size))
            }
            _ => None,
        })
        .sum();
    assert!(
        read_old >= 8000 && wrote_new >= 8000,
        "read {read_old}, wrote {wrote_new}"
    );
    assert!(inside.iter().any(|e| matches!(e, Event::Block { .. })));
    // every allocation event sits inside a bracket of its own function
    for (i, e) in events.iter().enumerate() {
        if let Event::Alloc(_) | Event::Free(_) | Event::Realloc(_) = e {
            assert!(depth[i] >= 1, "event {i} outside brackets: {e:?}");
            assert_eq!(events[i + 1], Event::AllocExit);
        }
    }
}

const ROI: &str = r#"
#include <stdlib.h>
#include <string.h>
#include "memento_roi.h"
int main(void) {
    char *before = malloc(111);
    memento_roi_begin();
    memento_invocation_begin(7);
    char *inside = malloc(222);
    memset(inside, 1, 222);
    memento_invocation_end(7);
    memento_roi_end();
    char *after = malloc(333);
    free(before); free(inside); free(after);
    return 0;
}
"#;

fn sizes_of(events: &[Event]) -> Vec<u64> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Alloc(a) if [111, 222, 333].contains(&a.size) => Some(a.size),
            _ => None,
        })
        .collect()
}

#[test]
fn roi_markers_cut_the_trace_where_they_are_called() {
    let dir = tempfile::tempdir().unwrap();
    let exe = build_c(dir.path(), "roi", ROI, &[]);
    let whole = capture_to(dir.path(), "whole", &[&exe], false, CaptureMode::Full);
    let (events, _) = read(&whole);
    assert_eq!(sizes_of(&events), [111, 222, 333]);

    let cut = capture_to(dir.path(), "cut", &[&exe], true, CaptureMode::Full);
    let (events, _) = read(&cut);
    assert_eq!(sizes_of(&events), [222]);
    let markers: Vec<Event> = events
        .iter()
        .filter(|e| {
            matches!(
                e,
                Event::RoiBegin
                    | Event::RoiEnd
                    | Event::InvocationBegin { .. }
                    | Event::InvocationEnd { .. }
            )
        })
        .copied()
        .collect();
    assert_eq!(
        markers,
        [
            Event::RoiBegin,
            Event::InvocationBegin { id: 7 },
            Event::InvocationEnd { id: 7 },
            Event::RoiEnd
        ]
    );
    let begin = events.iter().position(|e| *e == Event::RoiBegin).unwrap();
    let end = events.iter().position(|e| *e == Event::RoiEnd).unwrap();
    let outside = events[..begin].iter().chain(&events[end + 1..]);
    assert!(
        outside.clone().all(|e| matches!(e, Event::Thread { .. })),
        "only markers outside the ROI"
    );
    // the memset of the 222 bytes is inside
    let inside = &events[begin..end];
    assert!(
        inside
            .iter()
            .filter(|e| matches!(e, Event::Store { .. }))
            .count()
            > 0
    );
}

const THREADS: &str = r#"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
/* both workers are alive at once: Valgrind reuses the id of a thread that exited */
static pthread_barrier_t both;
static void *work(void *arg) {
    long k = (long)arg;
    if (k < 3) pthread_barrier_wait(&both);
    for (int i = 0; i < 10; i++) {
        char *p = malloc(1000 + k);
        memset(p, (int)k, 1000 + k);
        free(p);
    }
    return NULL;
}
int main(void) {
    pthread_t t[2];
    pthread_barrier_init(&both, NULL, 2);
    for (long k = 1; k <= 2; k++) pthread_create(&t[k - 1], NULL, work, (void *)k);
    for (int k = 0; k < 2; k++) pthread_join(t[k], NULL);
    work((void *)3);
    return 0;
}
"#;

#[test]
fn threads_keep_their_identity() {
    let dir = tempfile::tempdir().unwrap();
    let exe = build_c(dir.path(), "threads", THREADS, &["-pthread"]);
    let trace = capture_to(dir.path(), "threads", &[&exe], false, CaptureMode::Full);
    let (events, meta) = read(&trace);
    let tids = threads_of(&events);
    assert!(
        matches!(events[0], Event::Thread { .. }),
        "the trace starts by naming its thread"
    );
    let mut by_size = std::collections::BTreeMap::<u64, Vec<u32>>::new();
    for (e, &tid) in events.iter().zip(&tids) {
        if let Event::Alloc(a) = e {
            if (1001..=1003).contains(&a.size) {
                by_size.entry(a.size).or_default().push(tid);
            }
        }
    }
    let owner: Vec<u32> = by_size
        .values()
        .map(|t| {
            assert_eq!(t.len(), 10);
            assert!(t.iter().all(|&x| x == t[0]), "one thread per worker: {t:?}");
            t[0]
        })
        .collect();
    assert_eq!(owner.len(), 3);
    assert!(owner[0] != owner[1] && owner[1] != owner[2] && owner[0] != owner[2]);
    assert_eq!(owner[2], 1, "main is Valgrind's thread 1");
    assert!(meta.threads.len() >= 3);
}

fn python() -> std::path::PathBuf {
    let out = std::process::Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .expect("these tests need python3");
    std::path::PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

#[test]
fn cpython_run_records_pymalloc_and_libc_levels() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("handler.py");
    std::fs::write(
        &script,
        "import memento_roi\n\
         memento_roi.roi_begin()\n\
         small = [object() for _ in range(200)]\n\
         big = [bytes(1000 + i) for i in range(5)]\n\
         memento_roi.roi_end()\n",
    )
    .unwrap();
    let py = python();
    let trace = capture_to(dir.path(), "py", &[&py, &script], true, CaptureMode::Full);
    let (events, _) = read(&trace);
    let depth = depths(&events);
    let mut levels = std::collections::BTreeSet::new();
    for (e, &d) in events.iter().zip(&depth) {
        if let Event::Alloc(a) = e {
            let object = matches!(a.func, AllocFn::PyObjectMalloc | AllocFn::PyObjectCalloc);
            if d == 1 && object && a.size >= 1000 {
                assert_eq!(a.level, AllocLevel::Libc, "{a:?}");
            }
            if d == 1 && object {
                levels.insert(a.level);
            }
            if object && a.level == AllocLevel::Pymalloc {
                assert!(a.size <= 512, "pymalloc served {} bytes", a.size);
            }
        }
    }
    assert!(
        levels.contains(&AllocLevel::Pymalloc),
        "levels seen: {levels:?}"
    );
    assert!(
        levels.contains(&AllocLevel::Libc),
        "levels seen: {levels:?}"
    );
    assert!(events.contains(&Event::RoiBegin) && events.contains(&Event::RoiEnd));
}

#[test]
fn alloc_only_mode_records_the_same_allocations_without_accesses() {
    let dir = tempfile::tempdir().unwrap();
    let exe = build_c(dir.path(), "known", KNOWN, &[]);
    let trace = capture_to(dir.path(), "known", &[&exe], false, CaptureMode::AllocOnly);
    let (events, meta) = read(&trace);
    let ranges = module_range(&meta, &exe);
    let allocs = program_allocations(&events, &ranges);
    let summary: Vec<(AllocFn, u64)> = allocs
        .iter()
        .map(|e| match e {
            Event::Alloc(a) => (a.func, a.size),
            Event::Realloc(r) => (r.func, r.size),
            Event::Free(f) => (f.func, 0),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(
        summary,
        [
            (AllocFn::Malloc, 8000),
            (AllocFn::Calloc, 200),
            (AllocFn::Malloc, 64),
            (AllocFn::Realloc, 16000),
            (AllocFn::Free, 0),
            (AllocFn::Free, 0),
            (AllocFn::Free, 0)
        ]
    );
    assert!(!events.iter().any(|e| matches!(
        e,
        Event::Load { .. } | Event::Store { .. } | Event::Block { .. }
    )));
}

#[test]
fn alloc_only_mode_honours_roi_markers() {
    let dir = tempfile::tempdir().unwrap();
    let exe = build_c(dir.path(), "roi", ROI, &[]);
    let trace = capture_to(dir.path(), "roi", &[&exe], true, CaptureMode::AllocOnly);
    let (events, _) = read(&trace);
    assert_eq!(sizes_of(&events), [222]);
    assert!(events.contains(&Event::InvocationBegin { id: 7 }));
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("mtrace"))
        .collect()
}

#[test]
fn failing_captures_say_why_and_leave_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t.mtrace");
    let run = |command: &[&str], mode| {
        capture(&CaptureOptions {
            out: out.clone(),
            command: command.iter().map(Into::into).collect(),
            roi: false,
            mode,
            workload: None,
        })
    };
    for mode in [CaptureMode::Full, CaptureMode::AllocOnly] {
        let missing = run(&["no-such-command-here"], mode).unwrap_err();
        assert!(
            matches!(missing, CaptureError::CommandNotFound(_)),
            "{missing}"
        );
        let failed = run(&["sh", "-c", "exit 3"], mode).unwrap_err();
        assert!(
            failed.to_string().contains("exited with status 3"),
            "{failed}"
        );
        assert!(
            leftovers(dir.path()).is_empty(),
            "{:?}",
            leftovers(dir.path())
        );
    }
}

#[test]
fn rust_markers_reach_the_trace() {
    if std::env::var_os("MEMENTO_ROI_SELFTEST").is_some() {
        // the run under capture: this test binary, this test only
        memento_capture::roi::roi_begin();
        memento_capture::roi::invocation_begin(5);
        memento_capture::roi::invocation_end(5);
        memento_capture::roi::roi_end();
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::env::set_var("MEMENTO_ROI_SELFTEST", "1");
    let exe = std::env::current_exe().unwrap();
    let out = dir.path().join("rust.mtrace");
    let result = capture(&CaptureOptions {
        out: out.clone(),
        command: vec![
            exe.into(),
            "--exact".into(),
            "rust_markers_reach_the_trace".into(),
            "--test-threads=1".into(),
        ],
        roi: true,
        mode: CaptureMode::Full,
        workload: None,
    });
    std::env::remove_var("MEMENTO_ROI_SELFTEST");
    result.unwrap();
    let (events, _) = read(&out);
    // the first marker looks up the shim with dlsym, which allocates: keep
    // the markers only
    let markers: Vec<Event> = events
        .into_iter()
        .filter(|e| {
            matches!(
                e,
                Event::RoiBegin
                    | Event::RoiEnd
                    | Event::InvocationBegin { .. }
                    | Event::InvocationEnd { .. }
            )
        })
        .collect();
    assert_eq!(
        markers,
        [
            Event::RoiBegin,
            Event::InvocationBegin { id: 5 },
            Event::InvocationEnd { id: 5 },
            Event::RoiEnd
        ]
    );
}

#[test]
fn rust_markers_do_nothing_outside_a_capture() {
    memento_capture::roi::roi_begin();
    memento_capture::roi::invocation_begin(1);
    memento_capture::roi::invocation_end(1);
    memento_capture::roi::roi_end();
}

const JEMALLOC_PROGRAM: &str = r#"
#include <stdlib.h>
void *mallocx(size_t size, int flags);
void dallocx(void *p, int flags);
int main(void) {
    void *p = malloc(4000);
    free(p);
    void *q = mallocx(5000, 6); /* MALLOCX_LG_ALIGN(6): 64-byte aligned */
    dallocx(q, 0);
    return 0;
}
"#;

#[test]
fn jemalloc_entry_points_are_wrapped_at_their_level() {
    install_deps();
    let jemalloc = Path::new("/usr/lib/x86_64-linux-gnu/libjemalloc.so.2");
    assert!(
        jemalloc.exists(),
        "scripts/install-deps.sh should have installed jemalloc"
    );
    let dir = tempfile::tempdir().unwrap();
    let exe = build_c(
        dir.path(),
        "je",
        JEMALLOC_PROGRAM,
        &[jemalloc.to_str().unwrap()],
    );
    let trace = capture_to(dir.path(), "je", &[&exe], false, CaptureMode::Full);
    let (events, meta) = read(&trace);
    let ranges = module_range(&meta, &exe);
    let allocs = program_allocations(&events, &ranges);
    let [Event::Alloc(a), Event::Free(f), Event::Alloc(x), Event::Free(dx)] = allocs[..] else {
        panic!("unexpected allocation sequence: {allocs:#?}");
    };
    assert_eq!(
        (a.func, a.size, a.level),
        (AllocFn::Malloc, 4000, AllocLevel::Jemalloc)
    );
    assert_eq!(
        (f.func, f.addr, f.level),
        (AllocFn::Free, a.addr, AllocLevel::Jemalloc)
    );
    assert_eq!((x.func, x.size, x.align), (AllocFn::Mallocx, 5000, 64));
    assert_eq!(x.addr % 64, 0);
    assert_eq!((dx.func, dx.addr), (AllocFn::Dallocx, x.addr));
}

const CXX_PROGRAM: &str = r#"
#include <new>
struct Node { long key; Node *next; };
int main() {
    Node *n = new Node{7, nullptr};
    long *a = new long[100];
    delete[] a;
    delete n;
    return 0;
}
"#;

/// The program's `operator new` / `delete` calls, outermost only.
fn outer_cxx_calls(events: &[Event]) -> Vec<Event> {
    let mut depth = 0u32;
    let mut calls = Vec::new();
    for e in events {
        match e {
            Event::AllocEnter { .. } => depth += 1,
            Event::AllocExit => depth = depth.saturating_sub(1),
            Event::Alloc(a) if depth == 1 && matches!(a.func, AllocFn::New | AllocFn::NewArray) => {
                calls.push(*e)
            }
            Event::Free(f)
                if depth == 1 && matches!(f.func, AllocFn::Delete | AllocFn::DeleteArray) =>
            {
                calls.push(*e)
            }
            _ => {}
        }
    }
    calls
}

#[test]
fn cxx_operators_are_wrapped_in_libstdcxx_and_in_jemalloc() {
    let dir = tempfile::tempdir().unwrap();
    let jemalloc = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2";
    for (name, extra, level) in [
        ("cxx", &[][..], AllocLevel::Libc),
        ("cxxje", &[jemalloc][..], AllocLevel::Jemalloc),
    ] {
        let exe = build_cxx(dir.path(), name, CXX_PROGRAM, extra);
        let trace = capture_to(dir.path(), name, &[&exe], false, CaptureMode::Full);
        let (events, _) = read(&trace);
        let calls = outer_cxx_calls(&events);
        let [Event::Alloc(n), Event::Alloc(a), Event::Free(da), Event::Free(dn)] = calls[..] else {
            panic!("{name}: unexpected operator calls: {calls:#?}");
        };
        assert_eq!(
            (n.func, n.size, n.level),
            (AllocFn::New, 16, level),
            "{name}"
        );
        assert_eq!(
            (a.func, a.size, a.level),
            (AllocFn::NewArray, 800, level),
            "{name}"
        );
        assert_eq!((da.func, da.addr), (AllocFn::DeleteArray, a.addr), "{name}");
        assert_eq!((dn.func, dn.addr), (AllocFn::Delete, n.addr), "{name}");
    }
}

#[test]
fn node_markers_cut_the_trace() {
    let node = memento_capture::run::find_program("node".as_ref())
        .expect("this test needs Node.js (Debian: apt-get install nodejs)");
    assert!(
        memento_capture::artifacts::node_addon().is_some(),
        "memento_roi.node was not built: install Node's headers (Debian: apt-get install libnode-dev)"
    );
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("handler.js");
    std::fs::write(
        &script,
        "const roi = require('memento_roi');\n\
         roi.roiBegin();\n\
         roi.invocationBegin(9);\n\
         const reply = JSON.stringify({ items: [1, 2, 3] });\n\
         roi.invocationEnd(9);\n\
         roi.roiEnd();\n",
    )
    .unwrap();
    for mode in [CaptureMode::Full, CaptureMode::AllocOnly] {
        let trace = capture_to(dir.path(), "node", &[&node, &script], true, mode);
        let (events, _) = read(&trace);
        let markers: Vec<Event> = events
            .into_iter()
            .filter(|e| {
                matches!(
                    e,
                    Event::RoiBegin
                        | Event::RoiEnd
                        | Event::InvocationBegin { .. }
                        | Event::InvocationEnd { .. }
                )
            })
            .collect();
        assert_eq!(
            markers,
            [
                Event::RoiBegin,
                Event::InvocationBegin { id: 9 },
                Event::InvocationEnd { id: 9 },
                Event::RoiEnd
            ],
            "{mode:?}"
        );
    }
}
