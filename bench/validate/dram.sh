#!/usr/bin/env bash
# The DRAM model beside DRAMsim3 (issue 23, sim/VALIDATION.md): the same
# request streams through DRAMsim3's trace-driven simulator with its
# configs/DDR4_8Gb_x8_3200.ini and through `memento dram --preset
# dramsim3-ddr4`; prints a Markdown table of both models' mean read latency
# and bandwidth with the relative difference, their row-hit rates, and the
# speed of both whole processes.
#
#   bench/validate/dram.sh [REQUESTS]      (default 100000 per stream)
#
# Streams (bench/validate/make_dram_streams.py): streaming reads, random
# reads and random 2:1 reads and writes, one request every 1, 2, 4, 8 and
# 16 DRAM cycles.
#
# DRAMsim3 is not part of this repository and this script fetches nothing:
# it expects DRAMsim3's source (https://github.com/umd-memsys/DRAMsim3, MIT
# licence; measured at commit 2981759) in $DRAMSIM3_DIR, default
# /work/ext/DRAMsim3, for instance from
#   git clone https://github.com/umd-memsys/DRAMsim3 /work/ext/DRAMsim3
# and builds it there when its binary is missing: with its Makefile
# (dramsim3main.out; needs only g++ and make) or, when cmake is installed
# and there is no Makefile build, its CMake build (build/dramsim3main).
#
# Environment: DRAMSIM3_DIR as above; WORK, the folder for the streams and
# both tools' outputs (default a temporary one, removed at the end; the
# table's figures are also left in $WORK/runs/results.json when WORK is given);
# MEMENTO, a memento binary to use instead of building one (`cargo build
# --release` into $CARGO_TARGET_DIR, default target/).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
if [ $# -gt 1 ] || ! [[ "${1:-100000}" =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: bench/validate/dram.sh [REQUESTS]   (a positive number of requests per stream)" >&2
    exit 2
fi
requests=${1:-100000}
dramsim3_dir=${DRAMSIM3_DIR:-/work/ext/DRAMsim3}

if [ ! -f "$dramsim3_dir/src/main.cc" ]; then
    echo "dram.sh: no DRAMsim3 source in $dramsim3_dir (set DRAMSIM3_DIR, or" >&2
    echo "  git clone https://github.com/umd-memsys/DRAMsim3 $dramsim3_dir)" >&2
    exit 3
fi
if [ -x "$dramsim3_dir/dramsim3main.out" ]; then
    dramsim3="$dramsim3_dir/dramsim3main.out"
elif [ -x "$dramsim3_dir/build/dramsim3main" ]; then
    dramsim3="$dramsim3_dir/build/dramsim3main"
else
    echo "dram.sh: building DRAMsim3 in $dramsim3_dir" >&2
    (cd "$dramsim3_dir" && nice -n 10 make -j2 dramsim3main.out >make.log 2>&1) || {
        tail -n 20 "$dramsim3_dir/make.log" >&2
        echo "dram.sh: DRAMsim3 did not build (log: $dramsim3_dir/make.log)" >&2
        exit 3
    }
    dramsim3="$dramsim3_dir/dramsim3main.out"
fi
ini="$dramsim3_dir/configs/DDR4_8Gb_x8_3200.ini"

if [ -n "${MEMENTO:-}" ]; then
    memento=$MEMENTO
else
    nice -n 10 cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin memento
    memento="${CARGO_TARGET_DIR:-$root/target}/release/memento"
fi

if [ -n "${WORK:-}" ]; then
    work=$WORK
    mkdir -p "$work"
else
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
fi

python3 "$root/bench/validate/make_dram_streams.py" "$work/traces" --requests "$requests" >&2
traces=()
for pattern in stream random mixed; do
    for rate in 1 2 4 8 16; do
        traces+=("$work/traces/$pattern-$rate.trace")
    done
done
echo "dram.sh: DRAMsim3 $(git -C "$dramsim3_dir" rev-parse --short HEAD 2>/dev/null || echo '(no git)'), $ini" >&2
python3 "$root/bench/validate/dram_compare.py" --dramsim3 "$dramsim3" --ini "$ini" \
    --memento "$memento" --preset dramsim3-ddr4 --work "$work/runs" "${traces[@]}"
