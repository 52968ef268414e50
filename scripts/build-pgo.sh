#!/usr/bin/env bash
# Builds `memento` with profile-guided optimisation on top of the `lto`
# profile, for long replays and batch experiments: the same results, byte
# for byte (checked here before the binary is handed out), in about 10-15%
# less time than the `release` build.
#
#   scripts/build-pgo.sh      prints the path of the optimised binary
#
# Steps: an instrumented build; replays of the training traces (the suite's
# committed samples except the Lackey one, which the benchmarks time, and a
# synthetic paper-profile trace of another seed than theirs, on one and on
# two cores); a merge of the profiles with the llvm-profdata of rustc's LLVM
# (scripts/install-deps.sh --pgo installs it); the optimised build; and a
# comparison of its JSON reports with the release build's. Each build has
# its own folder under the target folder (pgo-gen, pgo), so their RUSTFLAGS
# never make the usual builds start over.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -gt 0 ]; then
  echo "build-pgo: takes no arguments (got '$*'); the binary's path is printed on stdout" >&2
  exit 2
fi
target=${CARGO_TARGET_DIR:-$root/target}
"$root/scripts/install-deps.sh" --pgo >&2
major=$(rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
profdata=llvm-profdata-$major
if ! command -v "$profdata" > /dev/null; then
  echo "build-pgo: $profdata is missing after scripts/install-deps.sh --pgo; install llvm-$major" >&2
  exit 1
fi

build() { # target folder, RUSTFLAGS, profile
  RUSTFLAGS="$2" CARGO_TARGET_DIR="$1" nice -n 10 cargo build --quiet --profile "$3" \
    --bin memento --manifest-path "$root/Cargo.toml"
}

data="$target/pgo-data"
build "$target/pgo-gen" "-Cprofile-generate=$data/raw" lto
# Build scripts ran instrumented too: only the training's profiles count.
rm -rf "$data/raw"
mkdir -p "$data"
gen="$target/pgo-gen/lto/memento"
samples="$root/traces/samples"
"$gen" workloads synth --profile paper --seed 2 --allocations 50000 --out "$data/paper.mtrace" > /dev/null
for t in json-warm jsonpipe-warm rsjson-warm rsjson-ma-warm "$data/paper"; do
  case "$t" in /*) file="$t.mtrace" ;; *) file="$samples/$t.mtrace" ;; esac
  "$gen" replay --preset micro23 "$file" > /dev/null
done
"$gen" replay --preset micro23 --cores 2 "$samples/json-warm.mtrace" "$samples/rsjson-warm.mtrace" > /dev/null
"$profdata" merge -o "$data/merged.profdata" "$data/raw"
# Named by its content: a new profile changes RUSTFLAGS, so every crate is
# rebuilt with it (cargo does not watch the file itself).
sum=$(sha256sum "$data/merged.profdata" | cut -c1-16)
profile="$data/memento-$sum.profdata"
mv "$data/merged.profdata" "$profile"
find "$data" -name 'memento-*.profdata' ! -path "$profile" -delete
build "$target/pgo" "-Cprofile-use=$profile" lto
pgo="$target/pgo/lto/memento"

# The optimisation may change speed only: compare with the release build.
CARGO_TARGET_DIR="$target" nice -n 10 cargo build --quiet --release --bin memento --manifest-path "$root/Cargo.toml"
release="$target/release/memento"
for args in "--preset micro23 $samples/wordfreq-lackey.mtrace" "--preset small $data/paper.mtrace" \
  "--preset micro23 --cores 2 $samples/jsonpipe-warm.mtrace $data/paper.mtrace"; do
  # shellcheck disable=SC2086 # one word per argument
  if ! cmp -s <("$release" replay --json $args) <("$pgo" replay --json $args); then
    echo "build-pgo: the PGO build's report of 'replay $args' differs from the release build's; not using it" >&2
    exit 1
  fi
done
echo "$pgo"
