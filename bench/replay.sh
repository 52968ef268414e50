#!/usr/bin/env bash
# Whole-process replay speed and memory on large traces (issue 3, point 10).
# Generates synthetic traces of 1x and 4x the length (paper profile), and
# times `memento replay` with the micro23 preset on one core, plus the
# sample trace (a real program). Prints events/s of wall-clock and of user
# CPU time (the fairer figure on a shared host) and the peak RSS: the RSS
# must not grow with the trace length.
#
# Usage: bench/replay.sh [ALLOCATIONS]   (default 500000 -> ~21 M events)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
alloc=${1:-500000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
nice -n 19 cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin memento
bin="$root/target/release/memento"

run() { # name trace
  local name=$1 trace=$2 events secs user rss best best_user best_rss
  events=$("$bin" trace info --json "$trace" | python3 -c 'import json,sys; print(json.load(sys.stdin)["summary"]["events"])')
  best=""
  for _ in 1 2 3; do
    /usr/bin/time -f "%e %U %M" -o "$work/time" "$bin" replay --preset micro23 "$trace" > /dev/null
    read -r secs user rss < "$work/time"
    if [ -z "$best" ] || python3 -c "import sys; sys.exit(0 if $secs < $best else 1)"; then best=$secs; best_user=$user; best_rss=$rss; fi
  done
  python3 -c "print(f'{\"$name\":<28} {$events:>12,} events  {$best:>7.2f} s  {$events/$best/1e6:>7.1f} M events/s wall  {$events/max($best_user,0.01)/1e6:>7.1f} M/s user CPU  max RSS {$best_rss/1024:>6.1f} MiB')"
}

"$bin" workloads synth --profile paper --allocations "$alloc" --out "$work/x1.mtrace" 2>/dev/null
"$bin" workloads synth --profile paper --allocations $((alloc * 4)) --out "$work/x4.mtrace" 2>/dev/null
echo "replay, micro23 preset, one core, best of 3 (whole process, including reading the trace)"
run "sample (wordfreq, Lackey)" "$root/traces/samples/wordfreq-lackey.mtrace"
run "synthetic paper x1" "$work/x1.mtrace"
run "synthetic paper x4" "$work/x4.mtrace"
