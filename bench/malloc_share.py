#!/usr/bin/env python3
"""How much of each suite function's CPU time glibc's malloc family takes,
and so roughly how much an allocator could gain on it: each function runs
under glibc as bench/run.py runs it, sampled by perf.

Usage: bench/malloc_share.py [--reps N] [--only NAME,...] [--no-build]

Prints a Markdown table of medians over N runs (default 3), as shares of
CPU time: glibc's malloc family (its share of the user-space samples of a
sampled run, times the user share of the CPU time of an unsampled one);
the kernel (system time of the unsampled run: page faults, brk and mmap
among it, but also everything else the program asks of the kernel); and
the CPU-time ratio against glibc's that an allocator costing nothing
would give if the rest of the program ran as under glibc, without the
malloc family's time and without the kernel's time too, with the range
over the runs. These are estimates, not bounds: an allocator's placement
also changes how the program's own code meets the caches, by a few
percent either way (memento's CPU time on rsregex is 0.96x glibc's, below
the 0.988 this table gives without malloc).

Needs perf and glibc's debug symbols (Debian's linux-perf and libc6-dbg:
scripts/install-deps.sh --bench), and permission to sample (root, or
kernel.perf_event_paranoid <= 1). Every run's output is checked as
bench/run.py checks it.
"""
import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ left in bench/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402 (bench/run.py: the suite's command lines and checks)

LIBC = "/lib/x86_64-linux-gnu/libc.so.6"
# glibc 2.36's malloc, free, realloc and calloc, their internals and its
# arena management; GCC clones (.isra.0, .constprop.0, .part.0) included.
MALLOC = re.compile(
    r"^(malloc|free|cfree|realloc|calloc|valloc|pvalloc|memalign|aligned_alloc|posix_memalign"
    r"|malloc_usable_size|_int_malloc|_int_free|_int_realloc|_int_memalign|_mid_memalign"
    r"|__libc_(malloc|free|calloc|realloc|memalign)|malloc_consolidate|unlink_chunk"
    r"|sysmalloc|systrim|tcache_\w+|munmap_chunk|mremap_chunk|alloc_perturb|int_mallinfo"
    r"|arena_get2|arena_get_retry|_int_new_arena|new_heap|alloc_new_heap|heap_trim|shrink_heap"
    r"|reused_arena|get_free_list|__default_morecore|__sbrk|sbrk|__brk|brk)"
    r"(\.\w+\.\d+)*(@\S+)?$")
# perf report --stdio --show-nr-samples --sort dso,symbol:
# "  1.23%  456  libc.so.6  [.] malloc" ([k] marks kernel code).
LINE = re.compile(r"^\s*([\d.]+)%\s+(\d+)\s+(\S+)\s+\[(.)\]\s+(\S+)")


def fail(msg):
    print(f"malloc_share: {msg}", file=sys.stderr)
    sys.exit(2)


def libc_has_symbols():
    """Whether the debug symbols of the system's libc are installed: without
    them its internal malloc functions are bare addresses to perf."""
    notes = subprocess.run(["readelf", "-n", LIBC], capture_output=True, text=True).stdout
    m = re.search(r"Build ID: ([0-9a-f]{2})([0-9a-f]+)", notes)
    return bool(m) and os.path.exists(f"/usr/lib/debug/.build-id/{m.group(1)}/{m.group(2)}.debug")


def checked_run(name, w, cmd, env):
    """Runs `cmd` (the workload, perhaps under perf) and checks its output as
    bench/run.py does; a failure ends the script naming its cause."""
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        fail(f"{' '.join(cmd)} exited with status {p.returncode}:\n{p.stderr}")
    run.check(name, "glibc", w, p.stdout, None)


def cpu_times(name, w, env):
    """User and system CPU seconds of one unsampled run (perf's own
    interrupts would add system time)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    checked_run(name, w, w.cmd, env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime


def shares(name, w):
    """(user-space samples, malloc %, kernel %) of one run of `w` under
    glibc, as shares of its CPU time."""
    env = run.environment(w, None)
    user, system = cpu_times(name, w, env)
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "perf.data")
        checked_run(name, w, ["perf", "record", "-q", "-e", "cpu-clock", "-F", "10000", "-o", data,
                              "--"] + w.cmd, env)
        rep = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", "dso,symbol",
                              "--stdio", "--show-nr-samples"],
                             capture_output=True, text=True, check=True).stdout
    user_samples = malloc = kernel = 0.0
    for line in rep.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        pct, n, dso, mode, sym = float(m.group(1)), int(m.group(2)), m.group(3), m.group(4), m.group(5)
        if mode == "k":
            kernel += pct
            continue
        user_samples += n
        if dso.startswith("libc.so") and MALLOC.match(sym):
            malloc += pct
    user_share = user / max(user + system, 1e-9)
    return user_samples, malloc / max(100 - kernel, 1e-9) * 100 * user_share, 100 * (1 - user_share)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--only", default=None, help="comma-separated function names")
    ap.add_argument("--no-build", action="store_true")
    a = ap.parse_args()
    if a.reps < 1:
        fail(f"--reps {a.reps}: give at least 1")
    fns = run.suite_workloads()
    if a.only is not None:
        only = [n for n in a.only.split(",") if n]
        if not only:
            fail(f"--only {a.only!r} names no function; known: {', '.join(fns)}")
        unknown = [n for n in only if n not in fns]
        if unknown:
            fail(f"unknown function(s) {', '.join(unknown)}; known: {', '.join(fns)}")
        fns = {n: w for n, w in fns.items() if n in only}
    if not a.no_build:
        run.build()  # installs perf and libc6-dbg too (scripts/install-deps.sh --bench)
    if shutil.which("perf") is None:
        fail("perf not found; run scripts/install-deps.sh --bench")
    if not libc_has_symbols():
        fail(f"no debug symbols for {LIBC} (its malloc internals would go uncounted); "
             "run scripts/install-deps.sh --bench (Debian's libc6-dbg)")
    print(f"Medians of {a.reps} runs (ranges in brackets).")
    print()
    print("| function | user-space samples | glibc malloc family | kernel | CPU time vs glibc "
          "without malloc | without malloc and kernel |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, w in fns.items():
        runs = [shares(name, w) for _ in range(a.reps)]
        med = lambda i: statistics.median(r[i] for r in runs)
        first = [1 - r[1] / 100 for r in runs]
        both = [1 - (r[1] + r[2]) / 100 for r in runs]
        print(f"| {name} | {med(0):.0f} | {med(1):.1f}% | {med(2):.1f}% | "
              f"{statistics.median(first):.3f} [{min(first):.3f}-{max(first):.3f}] | "
              f"{statistics.median(both):.3f} [{min(both):.3f}-{max(both):.3f}] |", flush=True)


if __name__ == "__main__":
    main()
