#!/bin/sh
# Regenerates the function-suite samples NAME-warm.mtrace: a warm
# invocation of a real function of workloads/manifest.toml on its small
# `sample` input, captured with the capture tool (Valgrind):
#
#   memento workloads capture NAME --sample --invocations 2
#
# keeps the warm trace (invocation 1) and drops the cold one.
# Usage: traces/samples/make-suite-samples.sh [NAME...]
#        (default: json jsonpipe rsjson rsjson-ma)
# Needs valgrind and what scripts/setup-workloads.sh installs (it runs it).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
[ $# -gt 0 ] || set -- json jsonpipe rsjson rsjson-ma
"$root/scripts/setup-workloads.sh"
cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin memento
# A folder beside the samples, so that the final move is a rename.
work=$(mktemp -d "$here/.make-samples.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$root/target/release/memento" workloads capture "$@" --sample --invocations 2 --out-dir "$work"
for name in "$@"; do
    mv "$work/$name-warm.mtrace" "$here/$name-warm.mtrace"
done
