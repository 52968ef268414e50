#!/usr/bin/env python3
"""How much any allocator could gain on each function of the suite: the
share of its CPU time that glibc's malloc family takes (perf samples of
the function under glibc, as bench/run.py runs it), and the best time
ratio against glibc that removing all of it would give. A function that
spends 1.5% of its time in malloc and free cannot run in 0.95x glibc's
time under any allocator (short of one whose placement speeds up the
program's own code, which none of those compared does on them).

Usage: bench/malloc_share.py [--only NAME,...] [--no-build]

Prints a Markdown table, shares of CPU time: user-space samples; glibc's
malloc family (its share of those samples, times the user share of the
CPU time); the kernel (system time of an unsampled run: page faults, brk
and mmap among it, but also everything else the program asks of the
kernel); the best CPU-time ratio without the malloc family, and without
the kernel's time too (a bound no allocator can pass even if it took all
of that with it).
Needs `perf` (Debian's linux-perf: scripts/install-deps.sh --bench) and
permission to sample (root, or kernel.perf_event_paranoid <= 1).
"""
import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ left in bench/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402 (bench/run.py: the suite's command lines)

# glibc 2.36's malloc, free, realloc and calloc and their internals.
MALLOC = re.compile(
    r"^(malloc|free|cfree|realloc|calloc|valloc|pvalloc|memalign|aligned_alloc|posix_memalign"
    r"|malloc_usable_size|_int_malloc|_int_free|_int_realloc|_int_memalign|_mid_memalign"
    r"|__libc_(malloc|free|calloc|realloc|memalign)|malloc_consolidate|unlink_chunk\S*"
    r"|sysmalloc|systrim|tcache_\w+|munmap_chunk|mremap_chunk|alloc_perturb"
    r"|__default_morecore|__sbrk|sbrk|__brk|brk|int_mallinfo)(@\S+)?$")
LINE = re.compile(r"^\s*([\d.]+)%\s+(\S+)\s+\[(.)\]\s+(\S+)")


def cpu_times(cmd, env):
    """User and system CPU seconds of one run of `cmd`, not sampled (perf's
    own interrupts would add system time)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime


def shares(w):
    """(user-space samples, malloc %, kernel %) of workload `w` under glibc,
    as shares of its CPU time: the malloc family's share of the user-space
    samples of a sampled run, scaled by the user share of an unsampled one."""
    env = dict(os.environ, PYTHONMALLOC="malloc", PYTHONHASHSEED="0", **w.env)
    env.pop("LD_PRELOAD", None)
    user, system = cpu_times(w.cmd, env)
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "perf.data")
        p = subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-F", "10000", "-o", data, "--"]
                           + w.cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if p.returncode != 0:
            raise SystemExit(f"malloc_share: perf record of {w.cmd} failed (exit {p.returncode}):\n"
                             f"{p.stderr}\nsampling needs root or kernel.perf_event_paranoid <= 1")
        rep = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", "dso,symbol",
                              "--stdio"], capture_output=True, text=True, check=True).stdout
        count = subprocess.run(["perf", "report", "-i", data, "--stdio", "--sort", "dso",
                                "--show-nr-samples"], capture_output=True, text=True, check=True).stdout
    samples = sum(int(n) for n, dso in re.findall(r"^\s*[\d.]+%\s+(\d+)\s+(\S+)", count, re.M)
                  if dso != "[kernel.kallsyms]")
    malloc = kernel = 0.0
    for line in rep.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        pct, dso, sym = float(m.group(1)), m.group(2), m.group(4)
        if dso == "[kernel.kallsyms]":
            kernel += pct
        elif dso.startswith("libc.so") and MALLOC.match(sym):
            malloc += pct
    user_share = user / max(user + system, 1e-9)
    return samples, malloc / max(100 - kernel, 1e-9) * 100 * user_share, 100 * (1 - user_share)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default="", help="comma-separated function names")
    ap.add_argument("--no-build", action="store_true")
    a = ap.parse_args()
    fns = run.suite_workloads()
    only = [n for n in a.only.split(",") if n]
    unknown = [n for n in only if n not in fns]
    if unknown:
        print(f"malloc_share: unknown function(s) {', '.join(unknown)}; known: {', '.join(fns)}",
              file=sys.stderr)
        sys.exit(2)
    if not a.no_build:
        run.build()  # installs perf too (scripts/install-deps.sh --bench)
    if shutil.which("perf") is None:
        print("malloc_share: perf not found; run scripts/install-deps.sh --bench", file=sys.stderr)
        sys.exit(2)
    print("| function | user-space samples | glibc malloc family | kernel | best CPU time vs glibc | "
          "same, no kernel time either |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, w in fns.items():
        if only and name not in only:
            continue
        n, malloc, kernel = shares(w)
        print(f"| {name} | {n} | {malloc:.1f}% | {kernel:.1f}% | {1 - malloc / 100:.3f} | "
              f"{1 - (malloc + kernel) / 100:.3f} |", flush=True)


if __name__ == "__main__":
    main()
