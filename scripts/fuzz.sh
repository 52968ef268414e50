#!/usr/bin/env bash
# Runs the fuzz targets of fuzz/ (cargo-fuzz, libFuzzer) one after another:
# every parser a user can reach must return a value or an error, never
# panic, abort, take over 1 s on an input or allocate over 2 GB.
#
#   scripts/fuzz.sh                      every target, 60 s each
#   scripts/fuzz.sh trace_file           one target
#   scripts/fuzz.sh --execs 10000000     stop each after 10 million inputs
#   scripts/fuzz.sh --seconds 20         stop each after 20 seconds
#   scripts/fuzz.sh --sanitizer address  build with AddressSanitizer
#
# (--execs and --seconds together: whichever comes first.) The default
# build has no sanitizer: the targets reach no unsafe code of ours, and
# AddressSanitizer makes them 2-6 times slower; without it the memory limit
# is libFuzzer's check of the resident set (-rss_limit_mb), with it every
# allocation is checked too (-malloc_limit_mb). Installs a nightly
# toolchain and cargo-fuzz when missing (scripts/install-deps.sh --fuzz),
# builds the targets (niced) into $CARGO_TARGET_DIR/fuzz/<sanitizer>
# (default target/fuzz/none), makes the seeds (fuzz/make-seeds.py) when
# missing, and prints per target the inputs run, their rate, the coverage
# libFuzzer reports at the end (cov: edges, ft: features), the time taken
# and the crashes. The corpus grows in fuzz/corpus/<target>; logs go to
# fuzz/logs/<target>.log; a crashing input to fuzz/artifacts/<target>/.
# Exits 1 on any crash, naming its input; 2 on bad usage; 3 when the
# toolchain cannot be had.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
fuzz="$root/fuzz"
# The targets, as fuzz/Cargo.toml declares them.
mapfile -t all < <(sed -n 's/^name = "\([a-z_]*\)"$/\1/p' "$fuzz/Cargo.toml" | grep -v '^memento')

usage() {
    echo "usage: scripts/fuzz.sh [TARGET] [--execs N] [--seconds S] [--sanitizer none|address]" >&2
    echo "targets: ${all[*]}" >&2
    exit 2
}

targets=()
execs=""
seconds=""
sanitizer=none
while [ $# -gt 0 ]; do
    case "$1" in
        --execs) [ $# -ge 2 ] || usage; execs=$2; shift 2 ;;
        --seconds) [ $# -ge 2 ] || usage; seconds=$2; shift 2 ;;
        --sanitizer)
            [ $# -ge 2 ] || usage
            case "$2" in none | address) sanitizer=$2 ;; *) usage ;; esac
            shift 2
            ;;
        -h | --help) usage ;;
        -*) echo "fuzz.sh: unknown option '$1'" >&2; usage ;;
        *)
            if [[ " ${all[*]} " != *" $1 "* ]]; then
                echo "fuzz.sh: unknown target '$1'" >&2
                usage
            fi
            targets+=("$1")
            shift
            ;;
    esac
done
for n in "$execs" "$seconds"; do
    if [ -n "$n" ] && ! [[ "$n" =~ ^[1-9][0-9]*$ ]]; then
        echo "fuzz.sh: '$n' is not a positive whole number" >&2
        usage
    fi
done
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
[ -n "$execs$seconds" ] || seconds=60

if ! sh "$root/scripts/install-deps.sh" --fuzz; then
    echo "fuzz.sh: could not install a nightly toolchain and cargo-fuzz (scripts/install-deps.sh --fuzz)" >&2
    exit 3
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: 'cargo +nightly fuzz' does not run: the fuzz targets need a nightly toolchain and cargo-fuzz" >&2
    exit 3
fi

target_dir="${CARGO_TARGET_DIR:-$root/target}/fuzz/$sanitizer"
build=(cargo +nightly fuzz build --sanitizer "$sanitizer" --fuzz-dir "$fuzz" --target-dir "$target_dir")
[ ${#targets[@]} -eq 1 ] && build+=("${targets[0]}")
mkdir -p "$target_dir"
echo "fuzz.sh: building ${targets[*]}" >&2
if ! nice -n 10 "${build[@]}" >"$target_dir/build.log" 2>&1; then
    tail -n 30 "$target_dir/build.log" >&2
    echo "fuzz.sh: the build failed (log: $target_dir/build.log)" >&2
    exit 3
fi
bin_dir="$target_dir/$(rustc +nightly -vV | sed -n 's/^host: //p')/release"

for target in "${targets[@]}"; do
    [ -d "$fuzz/seeds/$target" ] || python3 "$fuzz/make-seeds.py" "$fuzz/seeds" >/dev/null
done

limits=(-timeout=1 -rss_limit_mb=2048 -malloc_limit_mb=2048 -print_final_stats=1)
[ -n "$execs" ] && limits+=("-runs=$execs")
[ -n "$seconds" ] && limits+=("-max_total_time=$seconds")

mkdir -p "$fuzz/logs"
printf '%-18s %12s %8s %6s %7s %8s %7s\n' target execs exec/s cov ft seconds crashes
crashed=()
for target in "${targets[@]}"; do
    corpus="$fuzz/corpus/$target"
    artifacts="$fuzz/artifacts/$target"
    log="$fuzz/logs/$target.log"
    mkdir -p "$corpus" "$artifacts"
    start=$(date +%s.%N)
    status=0
    # The seeds are read, the corpus grows; no input from the terminal.
    nice -n 10 "$bin_dir/$target" "${limits[@]}" "-artifact_prefix=$artifacts/" \
        "$corpus" "$fuzz/seeds/$target" </dev/null >"$log" 2>&1 || status=$?
    end=$(date +%s.%N)
    final_stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -n 1; }
    coverage=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1 || true)
    cov=$(echo "$coverage" | awk '{print $2}')
    ft=$(echo "$coverage" | awk '{print $4}')
    crashes=0
    if [ "$status" -ne 0 ]; then
        crashes=1
        artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
        crashed+=("$target: ${artifact:-no input written, exit status $status} (log: $log)")
    fi
    printf '%-18s %12s %8s %6s %7s %8.1f %7s\n' "$target" "$(final_stat number_of_executed_units)" \
        "$(final_stat average_exec_per_sec)" "${cov:--}" "${ft:--}" \
        "$(awk "BEGIN { print $end - $start }")" "$crashes"
done

if [ ${#crashed[@]} -gt 0 ]; then
    echo "fuzz.sh: crashes:" >&2
    printf '  %s\n' "${crashed[@]}" >&2
    exit 1
fi
