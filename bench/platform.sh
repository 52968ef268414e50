#!/bin/sh
# The platform layer's speed (issue 26, point 11): a day of the `day50`
# fixture (Azure Functions 2019 format, 60 functions, 379,332 invocations)
# on a 4-core node with 2 GiB, baseline and Memento, the costs of three
# real functions memoised (platform/README.md, "Approximation"). Prints
# simulated invocations per second of host time, the node simulation
# apart from the cost measurement (three cold and three warm replays per
# mode), best of three runs.
#
#   bench/platform.sh          (captures the example traces first if missing)
set -eu
. "$(dirname "$0")/platform-traces.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed -e "s|\"traces/|\"$ex/traces/|" \
    -e "s|\"\.\./fixtures/invocations_per_function_md.anon.d01.csv\"|\"$root/platform/fixtures/day50_invocations.csv\"|" \
    -e "s|\"\.\./fixtures/function_durations_percentiles.anon.d01.csv\"|\"$root/platform/fixtures/day50_durations.csv\"|" \
    -e "s|\"\.\./fixtures/app_memory_percentiles.anon.d01.csv\"|\"$root/platform/fixtures/day50_memory.csv\"|" \
    -e "s|^minutes = 120||" "$ex/fixed-keepalive.toml" >"$work/day50.toml"
for i in 1 2 3; do
    "$memento" platform run --timing "$work/day50.toml" 2>&1 >/dev/null | tail -1
done
