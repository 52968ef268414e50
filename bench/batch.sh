#!/usr/bin/env bash
# Batch experiments' speed (issue 27, point 7): a sweep of 32 runs on the
# sample traces (4 traces x LLC 512/2048 sets x bypass on/off x baseline/
# Memento, micro23 machine) with `memento batch run --jobs 1` and
# `--jobs 2`, best of ROUNDS each, fresh output folders; prints the ratio
# (target >= 1.8x on a 2-core machine), and the batch machinery's cost per
# run: `batch run --jobs 1` against the same 32 runs as bare `memento
# replay` processes, one after the other (their summed wall time), and a
# rerun with every run done (the fixed cost of a batch). Prints
# the load average before and after: run it on a quiet machine.
#
# Usage: bench/batch.sh [ROUNDS]   (default 3)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-3}
case "$rounds" in
  ''|*[!0-9]*|0) echo "bench/batch.sh: '$rounds' is not a number of rounds (give 1 or more)" >&2; exit 2 ;;
esac
[ $# -le 1 ] || { echo "bench/batch.sh: too many arguments ('$2'...): give ROUNDS at most" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
nice -n 19 cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin memento
bin="${CARGO_TARGET_DIR:-$root/target}/release/memento"
samples="$root/traces/samples"
traces="json-warm jsonpipe-warm rsjson-warm rsjson-ma-warm"
cat >"$work/exp.toml" <<TOML
traces = [$(for t in $traces; do printf '"%s/%s.mtrace", ' "$samples" "$t"; done)]
modes = ["baseline", "memento"]
[machine]
presets = ["micro23"]
[sweep]
"llc.sets" = [512, 2048]
"memento.bypass_alloc" = [true, false]
TOML
runs=$("$bin" batch plan "$work/exp.toml" | tail -n +2 | wc -l)
now() { date +%s.%N; }
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores; $runs runs, best of $rounds"

# Best wall time of `batch run --jobs $1` over the rounds.
batch() {
  local jobs=$1 best="" t0 t1 secs
  for r in $(seq "$rounds"); do
    rm -rf "$work/out-$jobs"
    t0=$(now)
    "$bin" batch run "$work/exp.toml" --out "$work/out-$jobs" --jobs "$jobs" 2>/dev/null
    t1=$(now)
    secs=$(python3 -c "print($t1 - $t0)")
    best=$(python3 -c "print(min(x for x in [$secs, ${best:-$secs}]))")
  done
  echo "$best"
}
one=$(batch 1)
two=$(batch 2)
cmp -s "$work/out-1/results.csv" "$work/out-2/results.csv" || { echo "results differ between --jobs 1 and 2" >&2; exit 1; }
# The batch's fixed cost: a rerun with every run done (plan, hashing the
# traces, reading the records, writing the table).
t0=$(now)
"$bin" batch run "$work/exp.toml" --out "$work/out-1" --jobs 1 2>/dev/null
t1=$(now)
fixed=$(python3 -c "print($t1 - $t0)")

# The same runs as bare replays: each machine as a config file.
for mode in baseline memento; do
  preset=micro23; [ "$mode" = memento ] && preset=micro23-memento
  for sets in 512 2048; do
    for bypass in true false; do
      "$bin" config show "$preset" \
        | sed -e "/^\[llc\]/,/^\[/ s/^sets = .*/sets = $sets/" \
              -e "s/^bypass_alloc = .*/bypass_alloc = $bypass/" >"$work/$mode-$sets-$bypass.toml"
    done
  done
done
bare=""
for r in $(seq "$rounds"); do
  t0=$(now)
  for t in $traces; do
    for sets in 512 2048; do
      for bypass in true false; do
        for mode in baseline memento; do
          "$bin" replay --config "$work/$mode-$sets-$bypass.toml" --allocator "$mode" --csv \
            "$samples/$t.mtrace" >"$work/bare-$t-$sets-$bypass-$mode.csv"
        done
      done
    done
  done
  t1=$(now)
  secs=$(python3 -c "print($t1 - $t0)")
  bare=$(python3 -c "print(min(x for x in [$secs, ${bare:-$secs}]))")
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$one" "$two" "$bare" "$runs" "$fixed" "$work" <<'PY'
import csv, sys
one, two, bare, runs, fixed = (float(x) for x in sys.argv[1:6])
work = sys.argv[6]
# The bare replays modelled the same machines: the same cycles, run by run.
with open(f"{work}/out-1/results.csv") as f:
    for row in csv.DictReader(f):
        bypass = row["memento.bypass_alloc"]
        name = f"{work}/bare-{row['workload']}-{row['llc.sets']}-{bypass}-{row['mode']}.csv"
        with open(name) as b:
            bare_cycles = next(r[2] for r in csv.reader(b) if r[:2] == ["machine", "cycles"])
        if bare_cycles != row["cycles"]:
            sys.exit(f"{name}: {bare_cycles} cycles, the batch's run {row['key']}: {row['cycles']}")
print(f"batch --jobs 1: {one:.3f} s ({one / runs * 1e3:.1f} ms per run)")
print(f"batch --jobs 2: {two:.3f} s; speedup {one / two:.2f}x (target >= 1.8x)")
print(f"bare replays, one process each: {bare:.3f} s ({bare / runs * 1e3:.1f} ms per run)")
print(f"every bare replay gave the batch's cycles for its run")
print(f"a rerun with every run done (the batch's fixed cost): {fixed * 1e3:.1f} ms")
print(f"batch machinery per run: {(one - bare) / runs * 1e3:+.2f} ms ({(one / bare - 1) * 100:+.1f}%)")
PY
