#!/bin/sh
# Runs ChampSim and Memento's model side by side on traces of ours in
# ChampSim's format (bench/validate/make_champsim_traces.py) and prints
# IPC, demand L1D/L2/LLC MPKI, their relative differences and wall times.
#
#   bench/validate/champsim.sh [--instructions N] [--warmup W] [--kernels k1,k2]
#                              [--table-only | --ours-only]
#
# --kernels also takes the name of a trace of one's own (a public ChampSim
# trace) put in $VALIDATE_OUT as NAME.champsimtrace.xz.
# --table-only prints the table from the outputs already in $VALIDATE_OUT;
# --ours-only reruns only our side against ChampSim's outputs there (a
# model change need not wait 15 minutes for ChampSim's pointer chase).
#
# ChampSim is built from its public source (github.com/ChampSim/ChampSim)
# in $CHAMPSIM_DIR (default /work/ext/ChampSim, outside the repository),
# with Debian's libfmt-dev, libcli11-dev and nlohmann-json3-dev in place of
# its vcpkg step (scripts/install-deps.sh --validate). If the folder has no
# source, it is cloned. Traces and outputs go to $VALIDATE_OUT (default
# /work/ext/champsim-runs). Memento is run from $MEMENTO (default: built
# with cargo --release). Results: sim/VALIDATION.md, "Whole machine".
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cs=${CHAMPSIM_DIR:-/work/ext/ChampSim}
out=${VALIDATE_OUT:-/work/ext/champsim-runs}
n=600000
w=100000
kernels=chase,stream,random,branchy
table_only=""
ours_only=""
while [ $# -gt 0 ]; do
    case "$1" in
        --instructions) n=$2; shift 2 ;;
        --warmup) w=$2; shift 2 ;;
        --kernels) kernels=$2; shift 2 ;;
        --table-only) table_only=1; shift ;;
        --ours-only) ours_only=1; shift ;;
        *) echo "champsim.sh: unknown option '$1'" >&2; exit 2 ;;
    esac
done

if [ -z "$table_only" ]; then
"$repo/scripts/install-deps.sh" --validate

if [ -z "$ours_only" ]; then
# ChampSim: configure its defaults and build. Its Makefile links -lCLI11
# and adds the vcpkg triplet folder to the include path; Debian's CLI11 is
# header-only, so an empty triplet folder with an empty libCLI11.a stands in.
if [ ! -x "$cs/bin/champsim" ]; then
    [ -f "$cs/Makefile" ] || git clone --depth 1 https://github.com/ChampSim/ChampSim "$cs"
    mkdir -p "$cs/vcpkg_installed/x64-linux/include" "$cs/vcpkg_installed/x64-linux/lib"
    [ -f "$cs/vcpkg_installed/x64-linux/lib/libCLI11.a" ] || ar rc "$cs/vcpkg_installed/x64-linux/lib/libCLI11.a"
    (cd "$cs" && ./config.sh champsim_config.json && nice -n 10 make -j2 bin/champsim)
fi
fi

memento=${MEMENTO:-}
if [ -z "$memento" ]; then
    (cd "$repo" && nice -n 10 cargo build --release --quiet --bin memento)
    memento="${CARGO_TARGET_DIR:-$repo/target}/release/memento"
fi

mkdir -p "$out"
# Our generator's kernels are written; any other name is a trace of one's
# own (a public ChampSim trace), expected as $out/NAME.champsimtrace.xz.
made=""
for k in $(echo "$kernels" | tr , ' '); do
    case "$k" in
        chase|stream|random|branchy) made="$made${made:+,}$k" ;;
        *) [ -f "$out/$k.champsimtrace.xz" ] || {
               echo "champsim.sh: '$k' is not a generated kernel and $out/$k.champsimtrace.xz is missing: put the trace there" >&2
               exit 2
           } ;;
    esac
done
[ -z "$made" ] || nice -n 10 python3 "$here/make_champsim_traces.py" "$out" --instructions "$n" --kernels "$made" >/dev/null
sim=$((n - w))
for k in $(echo "$kernels" | tr , ' '); do
    t="$out/$k.champsimtrace.xz"
    if [ -z "$ours_only" ]; then
        /usr/bin/time -f %e -o "$out/$k.cs.time" \
            "$cs/bin/champsim" --warmup-instructions "$w" --simulation-instructions "$sim" "$t" >"$out/$k.cs.txt"
    elif [ ! -f "$out/$k.cs.txt" ]; then
        echo "champsim.sh: --ours-only needs ChampSim's output $out/$k.cs.txt from a full run" >&2
        exit 2
    fi
    start=$(date +%s.%N)
    "$memento" trace convert --from champsim "$t" "$out/$k.mtrace" 2>/dev/null
    "$memento" replay --preset champsim --warmup "$w" --json "$out/$k.mtrace" >"$out/$k.ours.json"
    end=$(date +%s.%N)
    echo "$start $end" | awk '{ printf "%.2f\n", $2 - $1 }' >"$out/$k.ours.time"
done
fi

python3 - "$out" "$kernels" <<'PY'
import json, re, sys
out, kernels = sys.argv[1], sys.argv[2].split(",")
def champsim(k):
    text = open(f"{out}/{k}.cs.txt").read()
    roi = text.split("Region of Interest Statistics", 1)[1]
    m = re.search(r"cumulative IPC: ([\d.]+) instructions: (\d+) cycles: (\d+)", roi)
    ipc, instr = float(m.group(1)), int(m.group(2))
    def demand(cache, kinds):
        # ChampSim counts an access merged into a pending miss as a miss
        # (and in MSHR_MERGE); ours counts it as a merge: subtract them.
        # Stores reach the L1D as WRITE; below it, WRITE is a writeback.
        miss = 0
        for kind in kinds:
            m = re.search(rf"{re.escape(cache)} {kind}\s+ACCESS:\s+\d+ HIT:\s+\d+ MISS:\s+(\d+) MSHR_MERGE:\s+(\d+)", roi)
            if m:  # a level no access reached may print no lines
                miss += int(m.group(1)) - int(m.group(2))
        return 1000 * miss / instr
    t = float(open(f"{out}/{k}.cs.time").read().split()[-1])
    return ipc, demand("cpu0_L1D", ("LOAD", "RFO", "WRITE")), demand("cpu0_L2C", ("LOAD", "RFO")), demand("LLC", ("LOAD", "RFO")), instr / t, t
def ours(k):
    d = json.load(open(f"{out}/{k}.ours.json"))
    c = d["cores"][0]
    instr = c["instructions"]
    mpki = lambda s: 1000 * s["misses_by_cause"]["demand"] / instr
    t = float(open(f"{out}/{k}.ours.time").read())
    return c["instructions"] / c["cycles"], mpki(c["l1d"]), mpki(c["l2"]), mpki(d["llc"]), instr / t, t, d["events"] / t
rel = lambda a, b: "-" if b == 0 and a == 0 else ("inf" if b == 0 else f"{100 * (a - b) / b:+.1f}%")
print("| trace | IPC ChampSim | IPC ours | diff | L1D MPKI CS / ours | diff | L2 MPKI CS / ours | diff | LLC MPKI CS / ours | diff | wall CS s (instr/s) | wall ours s (instr/s, events/s) |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for k in kernels:
    a, b = champsim(k), ours(k)
    row = [k, f"{a[0]:.4f}", f"{b[0]:.4f}", rel(b[0], a[0])]
    for i in (1, 2, 3):
        row += [f"{a[i]:.2f} / {b[i]:.2f}", rel(b[i], a[i])]
    row += [f"{a[5]:.1f} ({a[4]:.0f})", f"{b[5]:.2f} ({b[4]:.0f}, {b[6]:.0f})"]
    print("| " + " | ".join(row) + " |")
PY
