#!/bin/sh
# The long preload checks kept out of `cargo test`: CPython's longer list of
# regression test modules under the preload library vs glibc.
set -eu
cd "$(dirname "$0")/.."
nice -n 10 cargo test -p memento-alloc-preload --test preload -- --ignored --nocapture
