#!/usr/bin/env python3
"""Runs real programs under LD_PRELOAD of glibc (none), Debian's mimalloc,
jemalloc and tcmalloc-minimal, and memento-alloc, recording /usr/bin/time
elapsed, user, sys, max RSS and page faults; prints a Markdown table and
writes it, with the raw CSV, under bench/results/.

Usage: bench/run.py [--reps N] [--only NAME,...]

Workloads (see README): the Python stand-ins for the function suite
(PYTHONMALLOC=malloc), the example Rust function, and ports of allocation
stress patterns (larson-like, xmalloc-like, cache-scratch, glibc-thread).
"""
import argparse
import csv
import datetime
import math
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
LIBDIR = "/usr/lib/x86_64-linux-gnu"
ALLOCATORS = [
    ("glibc", ""),
    ("mimalloc", f"{LIBDIR}/libmimalloc.so.2"),
    ("jemalloc", f"{LIBDIR}/libjemalloc.so.2"),
    ("tcmalloc", f"{LIBDIR}/libtcmalloc_minimal.so.4"),
    ("memento", os.path.join(TARGET, "release", "libmemento_alloc_preload.so")),
]
FUNCTIONS = ["py-json", "py-aes", "py-churn", "rust-function"]
STRESS = ["larson", "xmalloc", "cache-scratch", "glibc-thread"]


def sh(cmd, **kw):
    print("+", " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, check=True, **kw)


def build():
    sh([os.path.join(ROOT, "scripts", "install-bench-deps.sh")])
    # Two commands: target flags such as --example would restrict both
    # packages to examples and skip the cdylib.
    sh(["nice", "-n", "10", "cargo", "build", "--release", "-p", "memento-alloc-preload"], cwd=ROOT)
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


def workloads():
    exe = python()
    py = lambda f: [exe, os.path.join(ROOT, "bench", "python", f)]
    ex = os.path.join(TARGET, "release", "examples")
    st = os.path.join(TARGET, "bench-stress")
    return {
        "py-json": py("json_records.py"),
        "py-aes": py("aes_like.py"),
        "py-churn": py("dict_list_churn.py"),
        "rust-function": [os.path.join(ex, "function_system"), "60"],
        "larson": [os.path.join(st, "larson")],
        "xmalloc": [os.path.join(st, "xmalloc")],
        "cache-scratch": [os.path.join(st, "cache-scratch")],
        "glibc-thread": [os.path.join(st, "glibc-thread")],
    }


def measure(cmd, preload):
    env = dict(os.environ, PYTHONMALLOC="malloc")
    env.pop("LD_PRELOAD", None)
    if preload:
        env["LD_PRELOAD"] = preload
    with tempfile.NamedTemporaryFile("r") as t:
        p = subprocess.run(["/usr/bin/time", "-o", t.name, "-f", "%e %U %S %M %R %F"] + cmd,
                           env=env, capture_output=True, text=True)
        if p.returncode != 0:
            raise SystemExit(f"{cmd} under {preload or 'glibc'} failed:\n{p.stderr}")
        e, u, s, rss, minflt, majflt = t.read().split()[-6:]
    return p.stdout, dict(elapsed=float(e), user=float(u), sys=float(s), rss_kb=int(rss),
                          faults=int(minflt) + int(majflt))


def geomean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--only", default="")
    ap.add_argument("--no-build", action="store_true")
    a = ap.parse_args()
    if not a.no_build:
        build()
    wl = workloads()
    names = [n for n in wl if not a.only or n in a.only.split(",")]
    runs = {}
    for name in names:
        expected = None
        for rep in range(a.reps):
            # Interleave allocators so drift on a shared machine hits all.
            for alloc, lib in ALLOCATORS:
                out, m = measure(wl[name], lib)
                if name != "cache-scratch":
                    if expected is None:
                        expected = out
                    elif out != expected:
                        raise SystemExit(f"{name} under {alloc} printed {out!r}, expected {expected!r}")
                runs.setdefault((name, alloc), []).append(m)
                print(f"{name:14} {alloc:9} rep {rep}: {m}", file=sys.stderr)
    med = {k: {f: statistics.median(r[f] for r in v) for f in v[0]} for k, v in runs.items()}

    lines = [
        f"Medians of {a.reps} runs, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, "
        f"{os.cpu_count()} CPUs. Time ratios are elapsed / elapsed.",
        "",
        "| workload | allocator | elapsed s | user s | sys s | max RSS KiB | page faults | vs glibc | vs mimalloc |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in names:
        g, mi = med[(name, "glibc")]["elapsed"], med[(name, "mimalloc")]["elapsed"]
        for alloc, _ in ALLOCATORS:
            m = med[(name, alloc)]
            lines.append(f"| {name} | {alloc} | {m['elapsed']:.2f} | {m['user']:.2f} | {m['sys']:.2f} | "
                         f"{m['rss_kb']:.0f} | {m['faults']:.0f} | {m['elapsed'] / g:.2f} | {m['elapsed'] / mi:.2f} |")
    lines.append("")
    fn = [n for n in names if n in FUNCTIONS]
    st = [n for n in names if n in STRESS]
    if fn:
        r = lambda n, b, f="elapsed": med[(n, "memento")][f] / med[(n, b)][f]
        cpu = lambda n, b: ((med[(n, "memento")]["user"] + med[(n, "memento")]["sys"])
                            / max(med[(n, b)]["user"] + med[(n, b)]["sys"], 0.01))
        lines.append("| serverless stand-in | memento / glibc time (target <= 0.95) | memento / mimalloc time (target <= 1.0) | memento / glibc max RSS (target <= 1.0) | CPU (user+sys) vs glibc | CPU vs mimalloc |")
        lines.append("|---|---:|---:|---:|---:|---:|")
        for n in fn:
            lines.append(f"| {n} | {r(n, 'glibc'):.2f} | {r(n, 'mimalloc'):.2f} | {r(n, 'glibc', 'rss_kb'):.2f} | "
                         f"{cpu(n, 'glibc'):.2f} | {cpu(n, 'mimalloc'):.2f} |")
        lines.append("")
    if st:
        gm = geomean([med[(n, "memento")]["elapsed"] / med[(n, "mimalloc")]["elapsed"] for n in st])
        gc = geomean([(med[(n, "memento")]["user"] + med[(n, "memento")]["sys"])
                      / max(med[(n, "mimalloc")]["user"] + med[(n, "mimalloc")]["sys"], 0.01) for n in st])
        lines.append(f"Geometric mean over the stress ports of memento / mimalloc elapsed: **{gm:.2f}** "
                     f"(target <= 1.05); of CPU time (user+sys): {gc:.2f}.")
    table = "\n".join(lines)
    print(table)
    res = os.path.join(ROOT, "bench", "results")
    os.makedirs(res, exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    with open(os.path.join(res, f"preload-{stamp}.md"), "w") as f:
        f.write(table + "\n")
    with open(os.path.join(res, f"preload-{stamp}.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["workload", "allocator", "rep", "elapsed", "user", "sys", "rss_kb", "faults"])
        for (n, al), v in runs.items():
            for i, m in enumerate(v):
                w.writerow([n, al, i, m["elapsed"], m["user"], m["sys"], m["rss_kb"], m["faults"]])


if __name__ == "__main__":
    main()
