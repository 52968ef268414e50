#!/usr/bin/env bash
# Runs the allocator under the sanitizers of the nightly toolchain, each
# build in its own target folder (std rebuilt instrumented, -Zbuild-std):
#
#   address  AddressSanitizer: the allocator's unit tests and its stress,
#            fork, hooks and snapshot tests (the test binaries run on
#            memento-alloc as their global allocator);
#   thread   ThreadSanitizer: the stress, hooks and snapshot tests
#            (threads, remote frees, abandoned heaps); not the fork test,
#            as TSan cannot start threads after a multi-threaded fork;
#   miri     Miri: every allocator unit test it can run.
#
# Usage: scripts/sanitize.sh [address|thread|miri]... [--quick]
#   --quick  the CI-sized subset: the stress test binary under ASan and
#            TSan, no Miri.
# Exits non-zero, naming the sanitizer, on any report.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

quick=""
which=()
for arg in "$@"; do
    case "$arg" in
        --quick) quick=1 ;;
        address|thread|miri) which+=("$arg") ;;
        *) echo "sanitize.sh: unknown argument '$arg' (address, thread, miri, --quick)" >&2; exit 2 ;;
    esac
done
if [ ${#which[@]} -eq 0 ]; then
    which=(address thread)
    [ -n "$quick" ] || which+=(miri)
fi

"$root/scripts/install-deps.sh" --sanitizers
target=x86_64-unknown-linux-gnu
base=${SANITIZE_TARGET_DIR:-${CARGO_TARGET_DIR:-$root/target}/sanitize}

# The tests that exercise the allocator's concurrency and every size path.
alloc_tests=(--test stress --test fork --test hooks --test snapshot)
[ -n "$quick" ] && alloc_tests=(--test stress)

run_sanitizer() { # NAME FLAG [extra cargo test args...]
    local name=$1 flag=$2
    shift 2
    echo "== $name: cargo +nightly test -p memento-alloc $*" >&2
    RUSTFLAGS="-Zsanitizer=$flag -Cdebug-assertions=on" \
    RUSTDOCFLAGS="-Zsanitizer=$flag" \
    CARGO_TARGET_DIR="$base/$name" \
    ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1" \
    TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1" \
        nice -n 10 cargo +nightly test -q -Zbuild-std --target "$target" \
        -p memento-alloc "$@" -- --test-threads=2 \
        || { echo "sanitize.sh: $name reported (see above)" >&2; exit 1; }
}

for s in "${which[@]}"; do
    case "$s" in
        address)
            if [ -n "$quick" ]; then
                run_sanitizer address address "${alloc_tests[@]}"
            else
                run_sanitizer address address --lib "${alloc_tests[@]}"
            fi
            ;;
        thread)
            # Not tests/fork.rs: TSan cannot start threads in the child of a
            # multi-threaded fork, which is what that test does.
            if [ -n "$quick" ]; then
                run_sanitizer thread thread --test stress
            else
                run_sanitizer thread thread --test stress --test hooks --test snapshot
            fi
            ;;
        miri)
            echo "== miri: cargo +nightly miri test -p memento-alloc --lib" >&2
            CARGO_TARGET_DIR="$base/miri" nice -n 10 cargo +nightly miri test -q -p memento-alloc --lib \
                || { echo "sanitize.sh: miri reported (see above)" >&2; exit 1; }
            ;;
    esac
done
echo "sanitize.sh: ${which[*]}: no reports" >&2
