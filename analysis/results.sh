#!/usr/bin/env bash
# Regenerates analysis/RESULTS.md's tables and plots from scratch: installs
# the suite's packages, captures every function of the suite (a cold start
# and one warm invocation each, under Valgrind), then runs `memento compare
# --ablate` on all of them (17 replays per trace, in parallel) and writes
# the Markdown tables between RESULTS.md's markers, the comparison's JSON
# and the plots. Takes one to two hours on 2 cores, most of it replay.
#
# Usage: analysis/results.sh [TRACE_DIR]    (default workloads/.traces/results)
#        COMPARE_ONLY=1 analysis/results.sh  (reuse the traces in TRACE_DIR)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$root/workloads/.traces/results}
results=$root/analysis/RESULTS.md
mkdir -p "$dir" "$root/analysis/results"

"$root/scripts/setup-workloads.sh"
cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin memento
bin=${CARGO_TARGET_DIR:-$root/target}/release/memento

if [ -z "${COMPARE_ONLY:-}" ]; then
  "$bin" workloads capture --all --invocations 2 --out-dir "$dir"
fi
mapfile -t traces < <(ls "$dir"/*-cold.mtrace "$dir"/*-warm.mtrace | sort)
"$bin" compare --ablate "${traces[@]}" --json > "$dir/compare.json.tmp"
mv "$dir/compare.json.tmp" "$dir/compare.json"
cp "$dir/compare.json" "$root/analysis/results/compare.json.tmp"
mv "$root/analysis/results/compare.json.tmp" "$root/analysis/results/compare.json"
"$bin" compare "$root/analysis/results/compare.json" --plot "$root/analysis/results" > /dev/null

# The tables go between the markers of RESULTS.md; the prose around them
# is kept.
"$bin" compare "$root/analysis/results/compare.json" --markdown > "$dir/tables.md"
python3 - "$results" "$dir/tables.md" <<'PY'
import os, sys
path, tables = sys.argv[1], open(sys.argv[2]).read()
text = open(path).read()
begin, end = "<!-- results:begin -->", "<!-- results:end -->"
if begin not in text or end not in text:
    sys.exit(f"{path}: the markers {begin} and {end} are missing")
head, rest = text.split(begin, 1)
_, tail = rest.split(end, 1)
tmp = path + ".tmp"
with open(tmp, "w") as f:
    f.write(head + begin + "\n\n" + tables + "\n" + end + tail)
os.replace(tmp, path)
PY
echo "results.sh: wrote $results, analysis/results/compare.json and the plots"
