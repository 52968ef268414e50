#!/usr/bin/env bash
# Replay speed with branch prediction on (gshare, the presets') against
# off (a perfect predictor: blocks are still classified and counted, no
# prediction is made), on the sample traces of real programs, micro23:
# host instructions per trace event (callgrind, exact whatever the load)
# and user CPU seconds (median of RUNS). Target: the predictor's speed at
# least 0.8x of perfect's (issue 22).
#
# Usage: bench/branch.sh            (RUNS=3)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
nice -n 10 cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin memento
bin="${CARGO_TARGET_DIR:-$root/target}/release/memento"
"$bin" config show micro23 > "$work/gshare.toml"
sed 's/^predictor = "gshare"/predictor = "perfect"/' "$work/gshare.toml" > "$work/perfect.toml"
grep -q '^predictor = "perfect"' "$work/perfect.toml"

user_time() { # config trace -> median user seconds
    for _ in $(seq "$runs"); do
        /usr/bin/time -f "%U" "$bin" replay --config "$1" "$2" 2>&1 >/dev/null | tail -1
    done | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
instructions() { # config trace -> host instructions (callgrind)
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" replay --config "$1" "$2" \
        2>&1 >/dev/null | awk '/Collected/ {print $4}'
}
events() {
    "$bin" replay --json --config "$work/perfect.toml" "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["events"])'
}

printf "%-22s %10s %14s %14s %8s %10s %10s %8s\n" trace events "instr/ev perf" "instr/ev gsh" ratio "user perf" "user gsh" ratio
for t in "$root"/traces/samples/*.mtrace; do
    n=$(events "$t")
    ip=$(instructions "$work/perfect.toml" "$t")
    ig=$(instructions "$work/gshare.toml" "$t")
    up=$(user_time "$work/perfect.toml" "$t")
    ug=$(user_time "$work/gshare.toml" "$t")
    python3 - "$t" "$n" "$ip" "$ig" "$up" "$ug" <<'PY'
import os, sys
t, n, ip, ig, up, ug = sys.argv[1:]
n, ip, ig, up, ug = int(n), int(ip.replace(",", "")), int(ig.replace(",", "")), float(up), float(ug)
print(f"{os.path.basename(t):<22} {n:>10} {ip/n:>14.1f} {ig/n:>14.1f} {ip/ig:>8.2f} {up:>10.2f} {ug:>10.2f} {up/ug if ug else 0:>8.2f}")
PY
done
echo "ratio = speed with gshare / speed with a perfect predictor (target >= 0.80)"
