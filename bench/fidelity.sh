#!/usr/bin/env bash
# The core-fidelity report of sim/README.md (issue 22): IPC, branch MPKI and
# L1D / L2 / LLC demand MPKI of each trace given (default: the samples)
# before the issue (perfect branch prediction, the pointer-chase guess) and
# after it (the micro23 preset: gshare, load_dependence = auto, i.e. the
# trace's dependences when it records them), micro23, one core each.
#
# Usage: bench/fidelity.sh [TRACE...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
nice -n 10 cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin memento
bin="${CARGO_TARGET_DIR:-$root/target}/release/memento"
"$bin" config show micro23 > "$work/after.toml"
sed -e 's/^predictor = "gshare"/predictor = "perfect"/' \
    -e 's/^load_dependence = "auto"/load_dependence = "pointer-chase"/' "$work/after.toml" > "$work/before.toml"
grep -q '^predictor = "perfect"' "$work/before.toml"
grep -q '^load_dependence = "pointer-chase"' "$work/before.toml"
if [ $# -eq 0 ]; then set -- "$root"/traces/samples/*.mtrace; fi
printf "%-22s %-7s %7s %9s %9s %9s %9s %5s\n" trace run IPC "br MPKI" "L1D MPKI" "L2 MPKI" "LLC MPKI" deps
for t in "$@"; do
    for run in before after; do
        "$bin" replay --json --config "$work/$run.toml" "$t" > "$work/out.json"
        deps=$("$bin" trace info --json "$t" | python3 -c 'import json,sys; d=json.load(sys.stdin); d=d[0] if isinstance(d,list) else d; print("yes" if d.get("header",{}).get("dependences") else "no")')
        python3 - "$t" "$run" "$deps" "$work/out.json" <<'PY'
import json, os, sys
t, run, deps, path = sys.argv[1:]
s = json.load(open(path))
c = s["cores"][0]
n = c["instructions"] or 1
k = lambda x: x * 1000 / n
br = sum(c["branch"]["mispredictions"]) if "branch" in c else 0
print(f"{os.path.basename(t):<22} {run:<7} {c['instructions']/max(c['cycles'],1):>7.3f} {k(br):>9.2f} "
      f"{k(c['l1d']['misses_by_cause']['demand']):>9.2f} {k(c['l2']['misses_by_cause']['demand']):>9.2f} "
      f"{k(s['llc']['misses_by_cause']['demand']):>9.2f} {deps:>5}")
PY
    done
done
