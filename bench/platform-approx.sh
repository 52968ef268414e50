#!/bin/sh
# The error of the platform layer's memoised costs (issue 26, point 11):
# the node charges each warm invocation the cycles it took alone on one
# core, while on a busy node it shares the LLC and DRAM with the other
# cores' invocations. This replays four real functions' warm traces alone
# and then together on a 4-core micro23 (one per core, each in its own
# address space), in both modes, and prints each one's slowdown: what the
# memoisation leaves out when every core is busy.
#
#   bench/platform-approx.sh          (captures the example traces first if missing)
set -eu
. "$(dirname "$0")/platform-traces.sh"
traces="$ex/traces/rsjson-warm.mtrace $ex/traces/rsjson-ma-warm.mtrace $ex/traces/jsonpipe-warm.mtrace $root/traces/samples/json-warm.mtrace"
cycles() { python3 -c 'import json,sys; print(" ".join(str(c["cycles"]) for c in json.load(sys.stdin)["cores"]))'; }
printf '| mode | function | alone (cycles) | with 3 others on 4 cores | slowdown |\n|---|---|---:|---:|---:|\n'
for mode in baseline memento; do
    # shellcheck disable=SC2086
    together=$("$memento" replay --preset micro23 --allocator "$mode" --cores 4 --json $traces | cycles)
    i=1
    for t in $traces; do
        alone=$("$memento" replay --preset micro23 --allocator "$mode" --json "$t" | cycles)
        shared=$(echo "$together" | cut -d' ' -f$i)
        name=$(basename "$t" .mtrace)
        python3 -c "print('| $mode | $name | $alone | $shared | %+.1f%% |' % (100 * ($shared / $alone - 1)))"
        i=$((i + 1))
    done
done
