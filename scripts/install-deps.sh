#!/bin/sh
# Installs the Debian packages Memento needs beyond Rust, gcc, Python 3,
# Node and Valgrind, only those missing. Idempotent; the tests that need a
# package call it, so nothing is ever installed by hand.
#
#   scripts/install-deps.sh           what the tests need
#   scripts/install-deps.sh --bench   plus the allocators the benchmarks
#                                     compare against, perf and glibc's
#                                     debug symbols
#   scripts/install-deps.sh --pgo     plus the llvm-profdata of rustc's LLVM
#                                     (for scripts/build-pgo.sh)
#   scripts/install-deps.sh --fuzz    plus a nightly toolchain (rustup) and
#                                     cargo-fuzz (for scripts/fuzz.sh)
#   scripts/install-deps.sh --sanitizers
#                                     plus the nightly toolchain's rust-src
#                                     and miri (for scripts/sanitize.sh)
#   scripts/install-deps.sh --validate
#                                     plus the libraries ChampSim builds
#                                     with in place of its vcpkg step (for
#                                     bench/validate/champsim.sh)
#   scripts/install-deps.sh --dry-run [--bench] [--pgo] [--fuzz] [--sanitizers] [--validate]
#                                     print what is missing, install nothing
#
# MEMENTO_DEPS_ROOT, if set, is put before every file that shows a package
# is installed (tests point it at an empty folder to see every package
# missing).
#
# Concurrent callers (tests run in parallel) take turns on a lock file.
set -eu

# package name, then a file that shows it is installed
test_pkgs="
valgrind /usr/bin/valgrind
g++ /usr/bin/g++
libjemalloc-dev /usr/include/jemalloc/jemalloc.h
time /usr/bin/time
munge /usr/sbin/munged
slurmctld /usr/sbin/slurmctld
slurmd /usr/sbin/slurmd
slurm-client /usr/bin/sbatch
"
bench_pkgs="
libmimalloc2.0 /usr/lib/x86_64-linux-gnu/libmimalloc.so.2
libtcmalloc-minimal4 /usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4
linux-perf /usr/bin/perf
libc6-dbg /usr/share/doc/libc6-dbg/copyright
"
validate_pkgs="
libfmt-dev /usr/include/fmt/core.h
libcli11-dev /usr/include/CLI/CLI.hpp
nlohmann-json3-dev /usr/include/nlohmann/json.hpp
xz-utils /usr/bin/xz
"

want="$test_pkgs"
extra=""
dry=""
# Rust tools (--fuzz), installed into the user's rustup and cargo homes
# without root: name, then a file that shows it is installed.
tools=""
components=""
for arg in "$@"; do
    case "$arg" in
        --bench) extra="$extra$bench_pkgs" ;;
        --pgo)
            # The profile format follows LLVM's major version: the tool must
            # come from the LLVM that rustc was built with.
            major=$(rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
            if [ -z "$major" ]; then
                echo "install-deps: 'rustc -vV' names no LLVM version; is rustc installed?" >&2
                exit 2
            fi
            extra="$extra
llvm-$major /usr/bin/llvm-profdata-$major
"
            ;;
        --fuzz)
            host=$(rustc -vV | sed -n 's/^host: //p')
            if [ -z "$host" ]; then
                echo "install-deps: 'rustc -vV' names no host; is rustc installed?" >&2
                exit 2
            fi
            tools="
nightly ${RUSTUP_HOME:-$HOME/.rustup}/toolchains/nightly-$host/bin/cargo
cargo-fuzz ${CARGO_HOME:-$HOME/.cargo}/bin/cargo-fuzz
"
            ;;
        --sanitizers) components="rust-src miri" ;;
        --validate) extra="$extra$validate_pkgs" ;;
        --dry-run) dry=1 ;;
        *) echo "install-deps: unknown option '$arg' (use --bench, --pgo, --fuzz, --sanitizers, --validate, --dry-run or nothing)" >&2; exit 2 ;;
    esac
done
want="$want$extra"
root="${MEMENTO_DEPS_ROOT:-}"

# Nightly components, from the Rust distribution server; only those missing.
for c in $components; do
    if ! rustup component list --toolchain nightly --installed 2>/dev/null | grep -q "^$c"; then
        if [ -n "$dry" ]; then
            echo "install-deps: would rustup component add --toolchain nightly $c"
        else
            echo "install-deps: rustup component add --toolchain nightly $c" >&2
            rustup component add --toolchain nightly "$c" >&2
        fi
    fi
done

# An `if`, not `&&`: under `sh -e` a command substitution inherits errexit,
# and a loop whose last test failed would end `need=$(missing)` with it.
missing() {
    echo "$1" | while read -r pkg file; do
        if [ -n "$pkg" ] && [ ! -e "$root$file" ]; then printf ' %s' "$pkg"; fi
    done
}

need=$(missing "$want")
need_tools=$(missing "$tools")
[ -z "$need$need_tools" ] && exit 0
if [ -n "$dry" ]; then
    [ -n "$need" ] && echo "install-deps: would apt-get install$need"
    for tool in $need_tools; do
        case "$tool" in
            nightly) echo "install-deps: would rustup toolchain install nightly" ;;
            *) echo "install-deps: would cargo install $tool --locked" ;;
        esac
    done
    exit 0
fi

lock="${TMPDIR:-/tmp}/memento-install-deps.lock"
exec 9>"$lock"
flock 9

# The Rust tools first: they need no root. The toolchain before cargo-fuzz,
# which is built with the default one.
for tool in $(missing "$tools"); do # another caller may have installed them meanwhile
    case "$tool" in
        nightly)
            if ! command -v rustup >/dev/null 2>&1; then
                echo "install-deps: need rustup to install a nightly toolchain" >&2
                exit 1
            fi
            echo "install-deps: rustup toolchain install nightly" >&2
            rustup toolchain install nightly --profile minimal >/dev/null
            ;;
        *)
            echo "install-deps: cargo install $tool --locked" >&2
            cargo install "$tool" --locked --quiet
            ;;
    esac
done

need=$(missing "$want") # another caller may have installed them meanwhile
[ -z "$need" ] && exit 0

sudo=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo="sudo -n"
    else
        echo "install-deps: need root (or sudo) to apt-get install$need" >&2
        exit 1
    fi
fi
echo "install-deps: apt-get install$need" >&2
$sudo apt-get update -q >/dev/null
# shellcheck disable=SC2086 # one word per package
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $need >/dev/null
