#!/usr/bin/env python3
"""Runs DRAMsim3 and `memento dram` on the same DRAMsim3 traces and prints,
per trace, both models' mean read latency and bandwidth with their relative
difference, row-buffer hits, and the speed of both whole processes. Called
by bench/validate/dram.sh, which builds both and makes the traces.

    dram_compare.py --dramsim3 BIN --ini FILE.ini --memento BIN [--preset P]
                    [--work DIR] TRACE...

What is compared, and how each side measures it:

- Mean read latency, in DRAM cycles. DRAMsim3 measures from the cycle its
  controller accepts a read (its trace front end stalls while the read
  queue is full, and that wait is not counted) to the cycle the data is
  returned. Ours is measured from arrival to the last data beat and also
  reports the part spent waiting for a read-queue slot; the comparison
  takes ours without that wait, as DRAMsim3 counts. Below saturation the
  wait is 0 and both count from arrival.
- Bandwidth: requests x 64 B over the time until the last command, the same
  formula for both. DRAMsim3's own `average_bandwidth` divides by the
  cycles it was told to simulate (-c), so its completion time is read from
  its per-epoch statistics (the end of the last epoch that issued a read
  or write, epochs of 1/1000 of the run).
- Speed: wall-clock seconds of each whole process (DRAMsim3's with its
  file's own epoch period and -c just past its completion), as requests
  per second. Each process runs once; on a shared host take them as rough.
"""

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

LINE = 64


def count(trace):
    """(reads, writes) of a DRAMsim3 trace."""
    reads = writes = 0
    with open(trace) as f:
        for line in f:
            fields = line.split()
            if len(fields) == 3:
                if fields[1] == "WRITE":
                    writes += 1
                else:
                    reads += 1
    return reads, writes


def timed(cmd, **kw):
    start = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)
    return out.stdout, time.perf_counter() - start


def ini_with(ini_text, **values):
    """The .ini text with [other] values replaced."""
    for key, value in values.items():
        ini_text = re.sub(rf"(?m)^{key}\s*=.*$", f"{key} = {value}", ini_text)
    return ini_text


def tck_of(ini_text):
    return float(re.search(r"(?m)^tCK\s*=\s*([0-9.]+)", ini_text).group(1))


def dramsim3_stats(out_dir):
    """The final statistics of channel 0."""
    stats = json.loads((out_dir / "dramsim3.json").read_text())
    return stats["0"] if "0" in stats else next(iter(stats.values()))


def run_dramsim3(args, ini_text, trace, reads, writes, our_cycles, work):
    """DRAMsim3's figures: completion cycle, latency, row hits, seconds."""
    period = max(50, our_cycles // 1000)
    cycles = (2 * our_cycles + 10_000) // period * period + period
    probe = work / "probe"
    probe.mkdir(parents=True, exist_ok=True)
    probe_ini = probe / "probe.ini"
    probe_ini.write_text(ini_with(ini_text, epoch_period=period, output_level=1))
    for _ in range(5):
        timed([args.dramsim3, str(probe_ini), "-c", str(cycles), "-t", str(trace),
               "-o", str(probe)])
        s = dramsim3_stats(probe)
        if s["num_reads_done"] >= reads and s["num_writes_done"] >= writes:
            break
        cycles *= 2
    else:
        sys.exit(f"dram_compare: DRAMsim3 did not finish {trace} in {cycles} cycles")
    epochs = json.loads((probe / "dramsim3epoch.json").read_text())
    active = [i for i, e in enumerate(epochs)
              if e.get("num_read_cmds", 0) + e.get("num_write_cmds", 0) > 0]
    done = (active[-1] + 1) * period if active else 0
    # The timed run: the file's own settings, simulated just past the end.
    timed_dir = work / "timed"
    timed_dir.mkdir(parents=True, exist_ok=True)
    _, seconds = timed([args.dramsim3, str(args.ini), "-c", str(done + period + 100),
                        "-t", str(trace), "-o", str(timed_dir)])
    s = dramsim3_stats(timed_dir)
    if s["num_reads_done"] < reads:
        sys.exit(f"dram_compare: DRAMsim3's timed run of {trace} did not finish")
    hits = s["num_read_row_hits"] + s["num_write_row_hits"]
    cmds = s["num_read_cmds"] + s["num_write_cmds"]
    return {
        "cycles": done,
        "latency": s["average_read_latency"],
        "row_hit_rate": hits / cmds if cmds else 0.0,
        "refreshes": s["num_ref_cmds"],
        "seconds": seconds,
    }


def run_memento(args, trace):
    out, seconds = timed([args.memento, "dram", str(trace), "--preset", args.preset,
                          "--json"])
    s = json.loads(out)
    d = s["dram"]
    cmds = d["row_hits"] + d["row_misses"] + d["row_conflicts"]
    return {
        "cycles": s["cycles"],
        "latency": s["avg_read_latency_cycles"] - s["avg_read_queue_wait_cycles"],
        "latency_from_arrival": s["avg_read_latency_cycles"],
        "row_hit_rate": d["row_hits"] / cmds if cmds else 0.0,
        "refreshes": d["refreshes"],
        "clock_mhz": s["clock_mhz"],
        "seconds": seconds,
    }


def diff(ours, theirs):
    return 100.0 * (ours - theirs) / theirs if theirs else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dramsim3", required=True)
    parser.add_argument("--ini", required=True, type=Path)
    parser.add_argument("--memento", required=True)
    parser.add_argument("--preset", default="dramsim3-ddr4")
    parser.add_argument("--work", type=Path, default=Path("dram-validate"))
    parser.add_argument("traces", nargs="+", type=Path)
    args = parser.parse_args()
    ini_text = args.ini.read_text()
    tck = tck_of(ini_text)
    rows = []
    for trace in args.traces:
        reads, writes = count(trace)
        ours = run_memento(args, trace)
        theirs = run_dramsim3(args, ini_text, trace, reads, writes, ours["cycles"],
                              args.work / trace.stem)
        size = (reads + writes) * LINE
        bw = lambda cycles, tck_ns: size / (cycles * tck_ns) if cycles else 0.0
        pattern, rate = trace.stem.rsplit("-", 1)
        rows.append({
            "pattern": pattern,
            "rate": int(rate) if rate.isdigit() else rate,
            "requests": reads + writes,
            "d3_latency": theirs["latency"],
            "our_latency": ours["latency"],
            "our_latency_from_arrival": ours["latency_from_arrival"],
            "d3_gb_s": bw(theirs["cycles"], tck),
            "our_gb_s": bw(ours["cycles"], 1000.0 / ours["clock_mhz"]),
            "d3_row_hits": theirs["row_hit_rate"],
            "our_row_hits": ours["row_hit_rate"],
            "d3_refreshes": theirs["refreshes"],
            "our_refreshes": ours["refreshes"],
            "d3_req_s": (reads + writes) / theirs["seconds"],
            "our_req_s": (reads + writes) / ours["seconds"],
        })
        r = rows[-1]
        print(f"{trace.stem}: latency {r['d3_latency']:.1f} / {r['our_latency']:.1f}, "
              f"GB/s {r['d3_gb_s']:.2f} / {r['our_gb_s']:.2f}", file=sys.stderr)
    (args.work / "results.json").write_text(json.dumps(rows, indent=1))
    print("| stream | cycles between requests | read latency DRAMsim3 (cycles) | ours | diff "
          "| bandwidth DRAMsim3 (GB/s) | ours | diff | row hits DRAMsim3 | ours "
          "| requests/s DRAMsim3 | ours |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['pattern']} | {r['rate']} | {r['d3_latency']:.1f} | {r['our_latency']:.1f} "
              f"| {diff(r['our_latency'], r['d3_latency']):+.1f}% | {r['d3_gb_s']:.2f} "
              f"| {r['our_gb_s']:.2f} | {diff(r['our_gb_s'], r['d3_gb_s']):+.1f}% "
              f"| {100 * r['d3_row_hits']:.1f}% | {100 * r['our_row_hits']:.1f}% "
              f"| {r['d3_req_s'] / 1e6:.2f} M | {r['our_req_s'] / 1e6:.2f} M |")
    d3 = sum(r["requests"] for r in rows) / sum(r["requests"] / r["d3_req_s"] for r in rows)
    us = sum(r["requests"] for r in rows) / sum(r["requests"] / r["our_req_s"] for r in rows)
    print(f"\nAll traces: DRAMsim3 {d3 / 1e6:.2f} M requests/s, memento dram "
          f"{us / 1e6:.2f} M requests/s (whole processes, wall clock).")


if __name__ == "__main__":
    main()
