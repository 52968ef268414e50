#!/usr/bin/env bash
# Regenerates wordfreq-lackey.mtrace: the real program src/wordfreq.c, run
# under Valgrind's Lackey with --trace-mem=yes, piped into the importer.
# Needs gcc and valgrind. Usage: traces/samples/make-lackey-sample.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -O2 -g -o "$work/wordfreq" "$here/src/wordfreq.c"
cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin memento
valgrind --tool=lackey --trace-mem=yes --log-fd=3 "$work/wordfreq" 4000 3>&1 >/dev/null \
  | "$root/target/release/memento" trace convert - "$here/wordfreq-lackey.mtrace" \
      --from lackey --workload wordfreq
