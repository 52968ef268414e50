#!/usr/bin/env bash
# Builds `memento` with profile-guided optimisation on top of the `lto`
# profile, for long replays and batch experiments: the same results, byte
# for byte (checked here before the binary is handed out), in 10-14% less
# time than the `release` build (whole `memento replay` runs,
# sim/README.md).
#
#   scripts/build-pgo.sh      prints the path of the optimised binary
#
# Steps: an instrumented build; replays of the training traces (the suite's
# committed samples except the Lackey one, which the benchmarks time, and a
# synthetic paper-profile trace of another seed than theirs, on one and on
# two cores); a merge of the profiles with the llvm-profdata of rustc's LLVM
# (scripts/install-deps.sh --pgo installs it from apt; where apt has no
# llvm-N for rustc's LLVM N, set LLVM_PROFDATA to one, e.g. from rustup's
# llvm-tools component); the optimised build; and a comparison of its JSON
# reports with the release build's. Each build has its own folder under the
# target folder (pgo-gen, pgo), so their RUSTFLAGS never make the usual
# builds start over.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -gt 0 ]; then
  echo "build-pgo: takes no arguments (got '$*'); the binary's path is printed on stdout" >&2
  exit 2
fi
# Absolute: rustc runs in each crate's own folder, where a relative
# profile path would name nothing.
target=$(realpath -m "${CARGO_TARGET_DIR:-$root/target}")
if [ -n "${LLVM_PROFDATA:-}" ]; then
  profdata=$LLVM_PROFDATA
else
  major=$(rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
  if ! "$root/scripts/install-deps.sh" --pgo >&2; then
    echo "build-pgo: could not install llvm-$major (for llvm-profdata-$major); set LLVM_PROFDATA" \
      "to an llvm-profdata of LLVM $major (e.g. from 'rustup component add llvm-tools')" >&2
    exit 2
  fi
  profdata=llvm-profdata-$major
fi
if ! command -v "$profdata" > /dev/null; then
  echo "build-pgo: $profdata not found; install llvm-${major:-N} or set LLVM_PROFDATA" >&2
  exit 2
fi

build() { # target folder, the one rustc flag, profile
  # Encoded flags: a path with spaces stays one argument.
  CARGO_ENCODED_RUSTFLAGS="$2" CARGO_TARGET_DIR="$1" nice -n 10 cargo build --quiet \
    --profile "$3" --bin memento --manifest-path "$root/Cargo.toml"
}

data="$target/pgo-data"
build "$target/pgo-gen" "-Cprofile-generate=$data/raw" lto
# Build scripts ran instrumented too: only the training's profiles count.
rm -rf "$data/raw"
mkdir -p "$data"
gen="$target/pgo-gen/lto/memento"
samples="$root/traces/samples"
"$gen" workloads synth --profile paper --seed 2 --allocations 50000 --out "$data/paper.mtrace" > /dev/null 2>&1
for file in "$samples"/{json-warm,jsonpipe-warm,rsjson-warm,rsjson-ma-warm}.mtrace "$data/paper.mtrace"; do
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
same() { # replay arguments
  # Into files, so that a failing replay stops the script (set -e).
  "$release" replay --json "$@" > "$data/release.json"
  "$pgo" replay --json "$@" > "$data/pgo.json"
  if [ ! -s "$data/release.json" ] || ! cmp -s "$data/release.json" "$data/pgo.json"; then
    echo "build-pgo: the PGO build's report of 'replay $*' differs from the release build's; not using it" >&2
    exit 1
  fi
}
same --preset micro23 "$samples/wordfreq-lackey.mtrace"
same --preset small "$data/paper.mtrace"
same --preset micro23 --cores 2 "$samples/jsonpipe-warm.mtrace" "$data/paper.mtrace"
rm -f "$data/release.json" "$data/pgo.json"
echo "$pgo"
