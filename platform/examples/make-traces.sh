#!/bin/sh
# Captures the cold and warm traces the example scenarios use: three real
# functions of the suite (workloads/manifest.toml) on their small `sample`
# inputs, each a start-up with its first invocation and a warm invocation,
# into platform/examples/traces/ (not committed; about 13 MB, 2 s).
#
#   platform/examples/make-traces.sh
#   memento platform run platform/examples/fixed-keepalive.toml
#
# Needs valgrind and what scripts/setup-workloads.sh installs (it runs it).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
"$root/scripts/setup-workloads.sh"
cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin memento
mkdir -p "$here/traces"
"${CARGO_TARGET_DIR:-$root/target}/release/memento" workloads capture rsjson rsjson-ma jsonpipe \
    --sample --invocations 2 --out-dir "$here/traces"
