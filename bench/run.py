#!/usr/bin/env python3
"""Runs real programs under LD_PRELOAD of glibc (none), Debian's mimalloc,
jemalloc and tcmalloc-minimal, and memento-alloc, recording /usr/bin/time
elapsed, user, sys, max RSS and page faults; prints a Markdown table and
writes it, with the raw CSV, under bench/results/.

Usage: bench/run.py [--reps N] [--only NAME,...] [--allocators A,...]
                    [--stand-ins] [--aslr] [--no-build]
       bench/run.py --summarise bench/results/preload-STAMP.csv

Each missed target is given with a confidence interval for the median of
memento's ratio to the other allocator paired run by run (each round runs
every allocator once, so a host that drifts moves both sides of a pair):
a miss whose interval lies wholly above the limit is beyond this host's
noise, the others within it. --summarise prints the tables of a saved
run's CSV again, with the statistics of this version of the script.

Every run has address-space randomisation off (`setarch -R`, unless
--aslr): with it, where the kernel places each mapping moves which file
pages its fault-around maps, so the max RSS of one deterministic program
varied by 3% from run to run (rsregex under glibc: 4,064 to 4,192 KB in 8
runs; without it 3,984 KB every time).

Workloads (see allocator/README.md):
- the function suite of workloads/manifest.toml: every Python function
  through the suite's driver with PYTHONMALLOC=malloc, and every Rust
  function (a binary on the system allocator, so the preload applies), each
  for enough warm invocations that a run takes about a second;
- ports of allocation stress patterns (larson-like, xmalloc-like,
  cache-scratch, glibc-thread);
- with --stand-ins, also the earlier stand-ins written here before the
  suite existed (bench/python/*.py and the example Rust function).

Every run's results are checked: a suite function's against the manifest's
`expected`, the others' output against the first glibc run.
"""
import argparse
import csv
import datetime
import io
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
LIBDIR = "/usr/lib/x86_64-linux-gnu"
ALLOCATORS = [
    ("glibc", ""),
    ("mimalloc", f"{LIBDIR}/libmimalloc.so.2"),
    ("jemalloc", f"{LIBDIR}/libjemalloc.so.2"),
    ("tcmalloc", f"{LIBDIR}/libtcmalloc_minimal.so.4"),
    ("memento", os.path.join(TARGET, "preload", "libmemento_alloc_preload.so")),
]
WORKLOADS = os.path.join(ROOT, "workloads")
# Invocations per process of each suite function: about one second under
# glibc on this project's 2-CPU machine (the cold one included).
SUITE_INVOCATIONS = {
    "json": 30, "pyaes": 80, "chameleon": 400, "jinja2": 60, "bfs": 40, "mst": 10,
    "pagerank": 3, "thumbnail": 60, "markdown": 12, "zlib": 12, "dna": 35,
    "rsjson": 300, "rsregex": 150, "rsgraph": 300,
}
# Issue 5's targets per function: memento's ratio to an allocator's
# median, of a measure, at most the limit.
TARGETS = [
    ("time vs glibc", "glibc", "elapsed", 0.95),
    ("time vs mimalloc", "mimalloc", "elapsed", 1.0),
    ("max RSS vs glibc", "glibc", "rss_kb", 1.0),
]
STAND_INS = ["py-json", "py-aes", "py-churn", "rust-function"]
STRESS = ["larson", "xmalloc", "cache-scratch", "glibc-thread"]


def manifest():
    """The suite's Python and Rust functions, in manifest order; not those
    built with an allocator of their own (rsjson-ma: memento-alloc linked
    in), which a preload cannot replace."""
    with open(os.path.join(WORKLOADS, "manifest.toml"), "rb") as f:
        fns = tomllib.load(f)["function"]
    return [f for f in fns if f["runtime"] in ("python", "rust") and "allocator" not in f]


def sh(cmd, **kw):
    print("+", " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, check=True, **kw)


def build():
    sh([os.path.join(ROOT, "scripts", "install-deps.sh"), "--bench"])
    sh([os.path.join(ROOT, "scripts", "setup-workloads.sh")])
    # The suite's own target folder, as `memento workloads run` builds it.
    sh(["nice", "-n", "10", "cargo", "build", "--release", "-p", "memento-rust-functions",
        "--manifest-path", os.path.join(WORKLOADS, "rust-functions", "Cargo.toml")],
       cwd=ROOT, env=dict(os.environ, CARGO_TARGET_DIR=os.path.join(WORKLOADS, ".build", "rust")))
    # Two commands: target flags such as --example would restrict both
    # packages to examples and skip the cdylib.
    sh(["nice", "-n", "10", "cargo", "build", "--profile", "preload", "-p", "memento-alloc-preload"], cwd=ROOT)
    sh(["nice", "-n", "10", "cargo", "build", "--release", "-p", "memento-alloc",
        "--example", "function_system", "--example", "function_memento"], cwd=ROOT)
    out = os.path.join(TARGET, "bench-stress")
    os.makedirs(out, exist_ok=True)
    for name in STRESS:
        src = os.path.join(ROOT, "bench", "stress", name.replace("-", "_") + ".c")
        sh(["gcc", "-O2", "-pthread", "-o", os.path.join(out, name), src])


def python():
    """The real interpreter: `python3` may be a shim script (pyenv) whose own
    processes would be measured too."""
    return subprocess.run(["python3", "-c", "import sys; print(sys.executable)"],
                          capture_output=True, text=True, check=True).stdout.strip()


class Workload:
    """A command line, extra environment, and how to check its output."""

    def __init__(self, cmd, env=None, expected=None, invocations=None):
        self.cmd = cmd
        self.env = env or {}
        # A suite function: every `memento-invocation` line must carry this
        # result, and there must be `invocations` of them.
        self.expected = expected
        self.invocations = invocations


def suite_workloads():
    fns = {}
    py_dir = os.path.join(WORKLOADS, "functions", "python")
    for f in manifest():
        n = SUITE_INVOCATIONS[f["name"]]
        if f["runtime"] == "python":
            module = os.path.splitext(os.path.basename(f["entry"]))[0]
            cmd = [os.path.join(WORKLOADS, ".venv", "bin", "python"),
                   os.path.join(py_dir, "driver.py"), module]
            env = {"PYTHONPATH": py_dir}
        else:
            cmd = [os.path.join(WORKLOADS, ".build", "rust", "release", f["entry"])]
            env = {}
        fns[f["name"]] = Workload(cmd + ["--invocations", str(n)], env, f["expected"], n)
    return fns


def workloads(stand_ins):
    ex = os.path.join(TARGET, "release", "examples")
    st = os.path.join(TARGET, "bench-stress")
    wl = suite_workloads()
    if stand_ins:
        exe = python()
        py = lambda f: Workload([exe, os.path.join(ROOT, "bench", "python", f)])
        wl.update({
            "py-json": py("json_records.py"),
            "py-aes": py("aes_like.py"),
            "py-churn": py("dict_list_churn.py"),
            "rust-function": Workload([os.path.join(ex, "function_system"), "60"]),
        })
    for name in STRESS:
        wl[name] = Workload([os.path.join(st, name)])
    return wl


def check(name, alloc, w, out, first):
    """Checks one run's output; returns the summed warm invocation time in
    seconds for a suite function (None otherwise)."""
    if w.expected is not None:
        lines = [l.split(maxsplit=4) for l in out.splitlines() if l.startswith("memento-invocation ")]
        bad = [l for l in lines if len(l) < 5 or l[4] != w.expected]
        if len(lines) != w.invocations or bad:
            raise SystemExit(f"{name} under {alloc}: expected {w.invocations} invocations of "
                             f"{w.expected!r}, got {out!r}")
        return sum(int(l[3]) for l in lines if l[2] == "warm") / 1e9
    if name != "cache-scratch" and first is not None and out != first:
        raise SystemExit(f"{name} under {alloc} printed {out!r}, expected {first!r}")
    return None


def environment(w, preload):
    """The environment a run of workload `w` gets, with library `preload`
    (None: glibc's malloc)."""
    # A fixed hash seed: the same dict layouts, so the same allocations, in
    # every run.
    env = dict(os.environ, PYTHONMALLOC="malloc", PYTHONHASHSEED="0", **w.env)
    env.pop("LD_PRELOAD", None)
    if preload:
        env["LD_PRELOAD"] = preload
    return env


def measure(w, preload, aslr=False):
    env = environment(w, preload)
    with tempfile.NamedTemporaryFile("r") as t:
        # Elapsed time from a monotonic clock here: time's %e has 10 ms
        # steps, 10% of a 0.1 s run.
        start = time.perf_counter()
        # setarch execs the workload in its own process, which time measures.
        fixed = [] if aslr else ["setarch", "-R"]
        p = subprocess.run(["/usr/bin/time", "-o", t.name, "-f", "%U %S %M %R %F"] + fixed + w.cmd,
                           env=env, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        if p.returncode != 0:
            raise SystemExit(f"{w.cmd} under {preload or 'glibc'} failed:\n{p.stderr}")
        u, s, rss, minflt, majflt = t.read().split()[-5:]
    return p.stdout, dict(elapsed=elapsed, user=float(u), sys=float(s), rss_kb=int(rss),
                          faults=int(minflt) + int(majflt))


def geomean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def median_interval(xs, level=0.9):
    """A distribution-free confidence interval for the median of the
    population `xs` was drawn from: the order statistics x(k) and
    x(n+1-k) with the largest k whose coverage is still at least `level`
    (k = 1, the extremes, when none reaches it). Returns (low, high,
    coverage)."""
    s, n = sorted(xs), len(xs)
    # The median lies below x(k) only if fewer than k draws fell below it.
    coverage = lambda k: 1 - 2 * sum(math.comb(n, i) for i in range(k)) / 2 ** n
    k = 1
    while k + 1 <= (n + 1) // 2 and coverage(k + 1) >= level:
        k += 1
    return s[k - 1], s[n - k], coverage(k)


def paired(runs, n, base, field):
    """memento's `field` over `base`'s, round by round."""
    return [m[field] / max(b[field], 1e-9) for m, b in zip(runs[(n, "memento")], runs[(n, base)])]


def summarise(runs, names, allocs, intro):
    """The Markdown tables of a run: `runs` maps (workload, allocator) to
    its measurements in round order."""
    med = {k: {f: statistics.median(r[f] for r in v) for f in v[0]} for k, v in runs.items()}
    cpu = lambda m: m["user"] + m["sys"]

    lines = [
        intro,
        "",
        "| workload | allocator | elapsed s | user s | sys s | max RSS KiB | page faults | warm s | vs glibc | vs mimalloc |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in names:
        g, mi = med[(name, "glibc")]["elapsed"], med[(name, "mimalloc")]["elapsed"]
        for alloc in allocs:
            m = med[(name, alloc)]
            warm = f"{m['warm']:.3f}" if "warm" in m else "-"
            lines.append(f"| {name} | {alloc} | {m['elapsed']:.3f} | {m['user']:.2f} | {m['sys']:.2f} | "
                         f"{m['rss_kb']:.0f} | {m['faults']:.0f} | {warm} | {m['elapsed'] / g:.2f} | "
                         f"{m['elapsed'] / mi:.2f} |")
    lines.append("")
    fn = [n for n in names if n not in STRESS]
    st = [n for n in names if n in STRESS]
    have_memento = "memento" in allocs
    # Allocator `a`'s median of measure `f` over allocator `b`'s, on `n`.
    over = lambda n, a, b, f: med[(n, a)][f] / max(med[(n, b)][f], 1e-9)
    if fn and have_memento:
        r = lambda n, b, f: over(n, "memento", b, f)
        rc = lambda n, b: cpu(med[(n, "memento")]) / max(cpu(med[(n, b)]), 0.01)
        cols = [(f"{label} (<= {limit})", lambda n, b=base, f=field: r(n, b, f))
                for label, base, field, limit in TARGETS] + [
            ("CPU vs glibc", lambda n: rc(n, "glibc")),
            ("CPU vs mimalloc", lambda n: rc(n, "mimalloc")),
            ("warm vs glibc", lambda n: r(n, "glibc", "warm") if "warm" in med[(n, "glibc")] else None),
            ("warm vs mimalloc", lambda n: r(n, "mimalloc", "warm") if "warm" in med[(n, "glibc")] else None),
        ]
        lines.append("| function: memento / | " + " | ".join(c for c, _ in cols) + " |")
        lines.append("|---|" + "---:|" * len(cols))
        for n in fn:
            vals = [f(n) for _, f in cols]
            lines.append(f"| {n} | " + " | ".join("-" if v is None else f"{v:.2f}" for v in vals) + " |")
        gms = []
        for _, f in cols:
            vs = [f(n) for n in fn]
            gms.append(geomean(vs) if None not in vs else None)
        lines.append("| geometric mean | " + " | ".join("-" if v is None else f"{v:.2f}" for v in gms) + " |")
        # Two rounds bound the median only half the time: no interval then.
        rounds = len(runs[(fn[0], "memento")])
        beyond, within, cover = [], [], None
        # Whether a missed target is within any allocator's reach: the
        # best of the others against the same base.
        met_elsewhere, met_nowhere = [], []
        for n in fn:
            for label, base, field, limit in TARGETS:
                ratio = r(n, base, field)
                if ratio <= limit:
                    continue
                others = [(over(n, a, base, field), a) for a in allocs if a not in ("memento", base)]
                if others:
                    best, who = min(others)
                    (met_elsewhere if best <= limit else met_nowhere).append(
                        f"{n} {label} ({who} {best:.3f})")
                if rounds < 3:
                    within.append(f"{n} {label} {ratio:.3f}")
                    continue
                lo, hi, cover = median_interval(paired(runs, n, base, field))
                (beyond if lo > limit else within).append(f"{n} {label} {ratio:.3f} ({lo:.3f}-{hi:.3f})")
        lines.append("")
        if rounds < 3:
            lines.append(f"Targets missed: {len(within)} of {len(fn) * len(TARGETS)}"
                         + (f": {'; '.join(within)}" if within else "")
                         + f". {rounds} round(s): too few to tell a miss from the noise.")
        else:
            lines.append(f"Targets missed: {len(beyond) + len(within)} of {len(fn) * len(TARGETS)}. "
                         + (f"Beyond the noise: {'; '.join(beyond)}. " if beyond else "")
                         + (f"Within it: {'; '.join(within)}. " if within else "")
                         + ("Each miss gives the ratio of medians and, in brackets, a "
                            f"{cover:.1%} confidence interval for the median of the ratio paired "
                            "round by round; a miss is beyond the noise when its interval lies "
                            "wholly above the limit." if cover is not None else ""))
        if met_elsewhere or met_nowhere:
            lines.append("")
            lines.append("Of the misses, the best of the other allocators "
                         + (f"misses too: {'; '.join(met_nowhere)}" if met_nowhere else "misses none")
                         + (f"; meets: {'; '.join(met_elsewhere)}" if met_elsewhere else "")
                         + ". (In brackets: that allocator and its ratio to the same base.)")
        lines.append("")
    if st and have_memento:
        gm = geomean([med[(n, "memento")]["elapsed"] / med[(n, "mimalloc")]["elapsed"] for n in st])
        gc = geomean([cpu(med[(n, "memento")]) / max(cpu(med[(n, "mimalloc")]), 0.01) for n in st])
        lines.append(f"Geometric mean over the stress ports of memento / mimalloc elapsed: **{gm:.2f}** "
                     f"(target <= 1.05); of CPU time (user+sys): {gc:.2f}.")
    return "\n".join(lines)


# A run's measurements, and the columns of its CSV.
FIELDS = ["elapsed", "user", "sys", "rss_kb", "faults"]
COLUMNS = ["workload", "allocator", "rep"] + FIELDS + ["warm"]


def read_csv(path):
    """A saved run: (runs, workload names, allocators), in their order in
    the file. Exits with status 2 naming what is wrong."""
    def fail(why):
        print(f"run.py: {path}: {why}", file=sys.stderr)
        sys.exit(2)
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        fail(f"cannot read it ({e.strerror})")
    if not rows:
        fail("no rows (expected a CSV that bench/run.py wrote)")
    missing = [c for c in COLUMNS if c not in rows[0]]
    if missing:
        fail(f"no column {', '.join(missing)} (expected {','.join(COLUMNS)})")
    runs, names, allocs = {}, [], []
    for line, row in enumerate(rows, start=2):
        m = {}
        # `warm` is empty for the stress ports.
        for k in FIELDS + (["warm"] if row["warm"] else []):
            try:
                m[k] = float(row[k])
            except ValueError:
                fail(f"line {line}: {k} is not a number ({row[k]!r})")
        n, al = row["workload"], row["allocator"]
        names += [n] if n not in names else []
        allocs += [al] if al not in allocs else []
        runs.setdefault((n, al), []).append(m)
    for n in names:
        counts = {al: len(runs.get((n, al), [])) for al in allocs}
        for needed in ("glibc", "mimalloc"):
            if not counts.get(needed):
                fail(f"{n} has no {needed} runs (every workload needs glibc and mimalloc)")
        if len(set(counts.values())) != 1:
            fail(f"{n} has different numbers of runs per allocator ({counts}): not paired rounds")
    return runs, names, allocs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--only", default="", help="comma-separated workload names")
    ap.add_argument("--allocators", default="", help="comma-separated; glibc and mimalloc always run")
    ap.add_argument("--stand-ins", action="store_true", help="also run the pre-suite stand-ins")
    ap.add_argument("--aslr", action="store_true", help="keep address-space randomisation on")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--summarise", metavar="CSV", help="print the tables of a saved run again")
    a = ap.parse_args()
    if a.summarise:
        runs, names, allocs = read_csv(a.summarise)
        reps = len(runs[(names[0], allocs[0])])
        print(summarise(runs, names, allocs, f"Medians of {reps} runs, from `{a.summarise}`."))
        return
    if not a.no_build:
        build()
    wl = workloads(a.stand_ins)
    names = [n for n in wl if not a.only or n in a.only.split(",")]
    allocs = [(n, lib) for n, lib in ALLOCATORS
              if not a.allocators or n in ("glibc", "mimalloc") or n in a.allocators.split(",")]
    load_before = load()
    runs = {}
    for name in names:
        first = None
        for rep in range(a.reps):
            # Interleave allocators so drift on a shared machine hits all.
            for alloc, lib in allocs:
                out, m = measure(wl[name], lib, a.aslr)
                warm = check(name, alloc, wl[name], out, first)
                if first is None:
                    first = out
                if warm is not None:
                    m["warm"] = warm
                runs.setdefault((name, alloc), []).append(m)
                print(f"{name:14} {alloc:9} rep {rep}: {m}", file=sys.stderr)
    load_after = load()
    intro = (f"Medians of {a.reps} runs, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, "
             f"{os.cpu_count()} CPUs, load average (1, 5, 15 min) {load_before} before and "
             f"{load_after} after; address-space randomisation {'on' if a.aslr else 'off'}. "
             "Time ratios are elapsed / elapsed. Suite functions: "
             + ", ".join(f"{n} x{wl[n].invocations}" for n in names if wl[n].invocations)
             + " invocations.")
    table = summarise(runs, names, [n for n, _ in allocs], intro)
    print(table)
    res = os.path.join(ROOT, "bench", "results")
    os.makedirs(res, exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    write_atomically(os.path.join(res, f"preload-{stamp}.md"),
                     f"`bench/run.py {' '.join(sys.argv[1:])}`\n\n" + table + "\n")
    rows = io.StringIO(newline="")
    w = csv.writer(rows)
    w.writerow(COLUMNS)
    for (n, al), v in runs.items():
        for i, m in enumerate(v):
            w.writerow([n, al, i] + [m[k] for k in FIELDS] + [m.get("warm", "")])
    write_atomically(os.path.join(res, f"preload-{stamp}.csv"), rows.getvalue())


def write_atomically(path, text):
    """Writes `text` to `path` whole or not at all: an interrupted run
    leaves no half-written result."""
    tmp = path + ".tmp"
    with open(tmp, "w", newline="") as f:
        f.write(text)
    os.replace(tmp, path)


if __name__ == "__main__":
    main()
