#!/usr/bin/env bash
# Whole-process timing of `memento capture` against `valgrind --tool=none`
# and Lackey (`--trace-mem=yes` piped into a consumer), median of several
# runs, on `python3 -c pass` and on a JSON-transform function handler; the
# trace's bytes per event; the ratio of CPU times; the load before and after.
#
#   bench/capture.sh            # RUNS=5 runs of each, LACKEY_RUNS=1
#   RUNS=3 LACKEY_RUNS=0 bench/capture.sh   # skip Lackey (2+ minutes a run)
#
# Needs valgrind, python3 and a release build (made here, niced).
set -euo pipefail

RUNS=${RUNS:-5}
LACKEY_RUNS=${LACKEY_RUNS:-1}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
nice -n 10 cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml" --bin memento
MEMENTO=$CARGO_TARGET_DIR/release/memento
# the interpreter itself, not a launcher script (pyenv shims are bash)
PY=$(python3 -c 'import sys; print(sys.executable)')
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

cat > "$WORK/handler.py" <<'PYEOF'
# A serverless-style handler: parse a JSON request, transform, reply.
import json

REQUEST = json.dumps({"user": "u42", "items": [
    {"sku": f"sku-{i}", "qty": i % 7 + 1, "price": 3.5 + i} for i in range(400)]})

def handler(body):
    req = json.loads(body)
    lines = [{"sku": it["sku"], "total": round(it["qty"] * it["price"], 2)}
             for it in req["items"] if it["qty"] > 1]
    return json.dumps({"user": req["user"], "lines": lines,
                       "sum": sum(l["total"] for l in lines)})

for _ in range(20):
    handler(REQUEST)
PYEOF

# "WALL CPU": median wall-clock and median CPU (user + sys) seconds of RUNS
# runs of "$@" (output discarded); CPU time is the figure to compare when
# the machine is shared.
median() {
    local runs=$1; shift
    local walls=() cpus=() t
    local TIMEFORMAT='%R %U %S'
    for _ in $(seq "$runs"); do
        t=$( { time "$@" >/dev/null 2>&1; } 2>&1 )
        local real user sys
        read -r real user sys <<<"$t"
        walls+=("$real")
        cpus+=("$(echo "$user + $sys" | bc -l)")
    done
    printf '%s %s\n' "$(mid "${walls[@]}")" "$(mid "${cpus[@]}")"
}

mid() {
    printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.2f", m}'
}

lackey() {
    valgrind --tool=lackey --trace-mem=yes --log-fd=3 "$@" 3>&1 1>/dev/null 2>/dev/null | wc -c >/dev/null
}

echo "load: $(uptime | sed 's/.*load average: //')"
printf '%-10s %8s %8s %9s %9s %8s %10s %9s %9s %11s %14s\n' workload native none capture alloc-only lackey "cap/none" "lackey/cap" events "bytes/event" "cpu cap/none"
for name in pass handler; do
    if [ "$name" = pass ]; then cmd=("$PY" -c pass); else cmd=("$PY" "$WORK/handler.py"); fi
    read -r t_native _ < <(median "$RUNS" "${cmd[@]}")
    read -r t_none c_none < <(median "$RUNS" valgrind -q --tool=none "${cmd[@]}")
    read -r t_capture c_capture < <(median "$RUNS" "$MEMENTO" capture --out "$WORK/$name.mtrace" -- "${cmd[@]}")
    read -r t_alloc _ < <(median "$RUNS" "$MEMENTO" capture --alloc-only --out "$WORK/$name.alloc.mtrace" -- "${cmd[@]}")
    if [ "$LACKEY_RUNS" -gt 0 ]; then
        read -r t_lackey _ < <(median "$LACKEY_RUNS" lackey "${cmd[@]}")
        ratio_lackey=$(echo "$t_lackey / $t_capture" | bc -l)
    else
        t_lackey=nan; ratio_lackey=nan
    fi
    read -r events bytes < <("$MEMENTO" trace info --json "$WORK/$name.mtrace" |
        python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["summary"]["events"], d["file_bytes"])')
    printf '%-10s %8s %8s %9s %9s %8s %10.2f %9.1f %9s %11.2f %14.2f\n' "$name" "$t_native" "$t_none" "$t_capture" "$t_alloc" "$t_lackey" \
        "$(echo "$t_capture / $t_none" | bc -l)" "$ratio_lackey" "$events" "$(echo "$bytes / $events" | bc -l)" \
        "$(echo "$c_capture / $c_none" | bc -l)"
done
echo "load: $(uptime | sed 's/.*load average: //')"
