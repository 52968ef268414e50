#!/usr/bin/env bash
# Whole-process replay speed and memory on large traces (issue 3, point 10),
# in the baseline and in Memento mode (issue 20, point 6).
# Generates synthetic traces of 1x and 4x the length (paper profile), and
# times `memento replay` with the micro23 preset on one core, plus the
# sample traces (real programs). Prints events/s of wall-clock and of user
# CPU time (the fairer figure on a shared host), the peak RSS and the peak
# anonymous memory: the anonymous memory (the simulator's own) must not grow
# with the trace length; the RSS does, by the trace's mapped pages. In
# Memento mode the anonymous memory also holds the live-object map, bounded
# by the live objects (the peak is printed). Events/s count trace events in
# both modes, so their ratio is the ratio of speeds; with callgrind
# installed, host instructions per trace event (exact, whatever the load)
# are printed beside it.
#
# Usage: bench/replay.sh [ALLOCATIONS]   (default 500000 -> ~21 M events)
#        PROFILE=lto bench/replay.sh      (the Cargo profile to build; default release;
#                                         `pgo`: scripts/build-pgo.sh's binary)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
alloc=${1:-500000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
profile=${PROFILE:-release}
if [ "$profile" = pgo ]; then
  bin=$("$root/scripts/build-pgo.sh")
else
  nice -n 19 cargo build --profile "$profile" --quiet --manifest-path "$root/Cargo.toml" --bin memento
  bin="${CARGO_TARGET_DIR:-$root/target}/$profile/memento"
fi

# Peak anonymous memory (KiB) of process $1 until it exits, polled: the
# trace is memory-mapped, so the total RSS also counts the trace's pages
# (the page cache), which grow with its length by design.
peak_anon() {
  local pid=$1 peak=0 kib
  while kib=$(awk '/^RssAnon:/ {print $2}' "/proc/$pid/status" 2>/dev/null) && [ -n "$kib" ]; do
    [ "$kib" -gt "$peak" ] && peak=$kib
    sleep 0.01
  done
  echo "$peak"
}

run() { # name trace runs [allocator]
  local name=$1 trace=$2 runs=$3 allocator=${4:-baseline} events user rss anon pid best best_user start secs
  events=$("$bin" trace info --json "$trace" | python3 -c 'import json,sys; print(json.load(sys.stdin)["summary"]["events"])')
  # Memory: one run, its anonymous memory polled.
  /usr/bin/time -f "%e %U %M" -o "$work/time" "$bin" replay --preset micro23 --allocator "$allocator" "$trace" > /dev/null &
  pid=$!
  sleep 0.005
  anon=$(peak_anon "$(pgrep -P "$pid" | head -1)")
  wait "$pid"
  read -r _ _ rss < "$work/time"
  # Time: the best of `runs` runs in the foreground, wall to the
  # microsecond (time's hundredths are too coarse for the sample), user
  # CPU in hundredths.
  best=""
  for _ in $(seq "$runs"); do
    start=$(date +%s%N)
    /usr/bin/time -f "%U" -o "$work/time" "$bin" replay --preset micro23 --allocator "$allocator" "$trace" > /dev/null
    secs=$(python3 -c "print(($(date +%s%N) - $start) / 1e9)")
    read -r user < "$work/time"
    if [ -z "$best" ] || python3 -c "import sys; sys.exit(0 if $secs < $best else 1)"; then best=$secs; best_user=$user; fi
  done
  echo "$best" > "$work/best-$allocator"
  python3 -c "print(f'{\"$name\":<26} {\"$allocator\":<8} {$events:>11,} events {$best:>7.3f} s {$events/$best/1e6:>6.1f} M ev/s wall {$events/max($best_user,0.01)/1e6:>6.1f} M ev/s user CPU | max RSS {$rss/1024:>6.1f} MiB, anonymous {$anon/1024:>5.1f} MiB, trace {$(stat -c %s "$trace")/2**20:>6.1f} MiB')"
}

"$bin" workloads synth --profile paper --allocations "$alloc" --out "$work/x1.mtrace" 2>/dev/null
"$bin" workloads synth --profile paper --allocations $((alloc * 4)) --out "$work/x4.mtrace" 2>/dev/null
echo "replay ($profile build), micro23 preset, one core, best of 15 runs (the sample) or 3 (whole process, including reading the trace)"
run "sample (wordfreq, Lackey)" "$root/traces/samples/wordfreq-lackey.mtrace" 15
run "synthetic paper x1" "$work/x1.mtrace" 3
run "synthetic paper x4" "$work/x4.mtrace" 3

# Host instructions per trace event of one replay (callgrind: exact).
instructions() { # trace allocator
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" replay --preset micro23 \
    --allocator "$2" "$1" 2>&1 >/dev/null | awk '/Collected/ {print $4}'
}

echo
echo "Memento mode against the baseline, in the same run (issue 20: at least 0.7x)"
"$bin" workloads synth --profile paper --allocations 50000 --out "$work/paper-50k.mtrace" 2>/dev/null
for t in json-warm jsonpipe-warm rsjson-warm rsjson-ma-warm paper-50k paper-x1 paper-x4; do
  case $t in
    paper-x1) trace=$work/x1.mtrace runs=3 ;;
    paper-x4) trace=$work/x4.mtrace runs=3 ;;
    paper-50k) trace=$work/paper-50k.mtrace runs=7 ;;
    *) trace=$root/traces/samples/$t.mtrace runs=15 ;;
  esac
  run "$t" "$trace" "$runs" baseline
  run "$t" "$trace" "$runs" memento
  live=$("$bin" replay --preset micro23 --allocator memento --json "$trace" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["extension"]["memento"]["peak_live_objects"])')
  line="  ratio memento/baseline $(python3 -c "print(f'{$(cat "$work/best-baseline")/$(cat "$work/best-memento"):.2f}')")x wall, peak live objects $live"
  if command -v valgrind >/dev/null && [ "$runs" -gt 3 ]; then
    events=$("$bin" trace info --json "$trace" | python3 -c 'import json,sys; print(json.load(sys.stdin)["summary"]["events"])')
    b=$(instructions "$trace" baseline | tr -d ,)
    m=$(instructions "$trace" memento | tr -d ,)
    line="$line; host instructions per event $((b / events)) / $((m / events)) = $(python3 -c "print(f'{$b/$m:.2f}')")x"
  fi
  echo "$line"
done
