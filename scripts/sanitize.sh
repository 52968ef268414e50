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
#   miri     Miri: every allocator unit test it can run;
#   preload  the LD_PRELOAD library built with ASan under C and C++
#            programs and CPython's test modules (see preload_under_asan).
#
# Usage: scripts/sanitize.sh [address|thread|miri|preload]... [--quick]
#   --quick  the CI-sized subset (tests/sanitizers.rs): ASan only, on the
#            stress and poisoning tests and on the preload library under
#            the C programs and 7 CPython modules; std is not rebuilt, so
#            it needs no rust-src (TSan does: without an instrumented std
#            it reports std's own synchronisation).
# Exits non-zero, naming the sanitizer, on any report.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

quick=""
which=()
for arg in "$@"; do
    case "$arg" in
        --quick) quick=1 ;;
        address|thread|miri|preload) which+=("$arg") ;;
        *) echo "sanitize.sh: unknown argument '$arg' (address, thread, miri, preload, --quick)" >&2; exit 2 ;;
    esac
done
if [ ${#which[@]} -eq 0 ]; then
    if [ -n "$quick" ]; then
        which=(address preload)
    else
        which=(address thread preload miri)
    fi
fi

target=x86_64-unknown-linux-gnu
base=${SANITIZE_TARGET_DIR:-${CARGO_TARGET_DIR:-$root/target}/sanitize}
if [ -n "$quick" ]; then
    # Only the nightly toolchain itself (no rust-src download): std and core
    # stay uninstrumented, which ASan tolerates; our code and every generic
    # it instantiates are checked.
    rustc +nightly --version >/dev/null 2>&1 \
        || { echo "sanitize.sh: no nightly toolchain (rustup toolchain install nightly)" >&2; exit 3; }
    build_std=()
    abi_flags="-Cunsafe-allow-abi-mismatch=sanitizer"
    base="$base/quick"
else
    "$root/scripts/install-deps.sh" --sanitizers
    build_std=(-Zbuild-std)
    abi_flags=""
fi

# The tests that exercise the allocator's concurrency and every size path.
alloc_tests=(--test stress --test fork --test hooks --test snapshot)
[ -n "$quick" ] && alloc_tests=(--test stress)

run_sanitizer() { # NAME FLAG [extra cargo test args...]
    local name=$1 flag=$2
    shift 2
    echo "== $name: cargo +nightly test -p memento-alloc $*" >&2
    RUSTFLAGS="-Zsanitizer=$flag $abi_flags -Cdebug-assertions=on" \
    RUSTDOCFLAGS="-Zsanitizer=$flag $abi_flags" \
    CARGO_TARGET_DIR="$base/$name" \
    ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1" \
    TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1" \
        nice -n 10 cargo +nightly test -q "${build_std[@]}" --target "$target" \
        -p memento-alloc "$@" -- --test-threads=2 \
        || { echo "sanitize.sh: $name reported (see above)" >&2; exit 1; }
}

# The preload library built with ASan and its `asan` feature, preloaded
# ahead of GCC's ASan runtime (so that malloc is ours and ASan's
# interceptors of memcpy, strlen, ... come before libc's): a canary that
# must be reported, the C test programs, and CPython's test modules with
# PYTHONMALLOC=malloc, which must fail no more than under glibc.
preload_under_asan() {
    local dir="$base/preload" triple=x86_64-unknown-linux-gnu
    echo "== preload: the LD_PRELOAD library under ASan" >&2
    local std=()
    [ ${#build_std[@]} -eq 0 ] || std=(-Zbuild-std=core,alloc,compiler_builtins)
    RUSTFLAGS="-Zsanitizer=address $abi_flags -Clink-arg=-Wl,--no-as-needed -Clink-arg=-lasan" \
    CARGO_TARGET_DIR="$dir" \
        nice -n 10 cargo +nightly build -q "${std[@]}" \
        --target "$triple" --profile preload -p memento-alloc-preload --features asan
    local lib="$dir/$triple/preload/libmemento_alloc_preload.so"
    local asan_rt
    asan_rt=$(gcc -print-file-name=libasan.so)
    [ -e "$asan_rt" ] || { echo "sanitize.sh: gcc's libasan.so not found (apt install libasan8)" >&2; exit 3; }
    local programs="$root/allocator/preload/tests/programs" bin="$dir/programs"
    mkdir -p "$bin"
    gcc -O0 -w -o "$bin/use_after_free" "$programs/use_after_free.c"
    gcc -O0 -w -pthread -o "$bin/symbols" "$programs/symbols.c"
    gcc -O0 -w -pthread -o "$bin/threads_fork" "$programs/threads_fork.c"
    g++ -O0 -w -o "$bin/cxx" "$programs/cxx.cpp"
    local opts="verify_asan_link_order=0:detect_leaks=0:halt_on_error=1:exitcode=99"
    under() { LD_PRELOAD="$lib:$asan_rt" ASAN_OPTIONS="$opts" "$@"; }

    local out status=0
    out=$(under "$bin/use_after_free" 2>&1) || status=$?
    if [ "$status" -ne 99 ] || ! grep -q "use-after-poison" <<<"$out"; then
        echo "sanitize.sh: preload: the use-after-free canary was not reported (status $status); free blocks are not poisoned:" >&2
        echo "$out" >&2
        exit 1
    fi
    for p in symbols threads_fork cxx; do
        under "$bin/$p" >/dev/null 2>"$dir/$p.err" \
            || { cat "$dir/$p.err" >&2; echo "sanitize.sh: preload: $p reported or failed" >&2; exit 1; }
    done

    local modules=(test_json test_dict test_list test_unicode test_set test_thread test_fork1)
    [ -n "$quick" ] || modules+=(test_threading test_gc test_weakref test_re test_bytes
        test_subprocess test_os test_pickle test_collections test_functools test_itertools test_zlib)
    failed() { { grep -oE "test_[a-z0-9_]+ (failed|crashed)" || true; } | awk '{print $1}' | sort -u; }
    local base_failed asan_text
    base_failed=$(cd /tmp && PYTHONMALLOC=malloc python3 -m test "${modules[@]}" 2>&1 | failed) || true
    asan_text=$(cd /tmp && PYTHONMALLOC=malloc under python3 -m test "${modules[@]}" 2>&1) || true
    if grep -q "AddressSanitizer" <<<"$asan_text"; then
        grep -B2 -A30 "AddressSanitizer" <<<"$asan_text" | head -60 >&2
        echo "sanitize.sh: preload: ASan reported under CPython" >&2
        exit 1
    fi
    grep -q "Tests result:" <<<"$asan_text" \
        || { echo "$asan_text" | tail -20 >&2; echo "sanitize.sh: preload: CPython's tests did not finish" >&2; exit 1; }
    local new
    new=$(comm -13 <(echo "$base_failed") <(failed <<<"$asan_text"))
    [ -z "$new" ] || { echo "sanitize.sh: preload: failing only under ASan + preload: $new" >&2; exit 1; }
    echo "preload: canary reported; symbols, threads_fork, cxx clean; CPython ${#modules[@]} modules clean" >&2
}

for s in "${which[@]}"; do
    case "$s" in
        address)
            if [ -n "$quick" ]; then
                run_sanitizer address address --features asan --test asan_poison "${alloc_tests[@]}"
            else
                run_sanitizer address address --features asan --lib --test asan_poison "${alloc_tests[@]}"
            fi
            ;;
        thread)
            # Not tests/fork.rs: TSan cannot start threads in the child of a
            # multi-threaded fork, which is what that test does.
            if [ -n "$quick" ]; then
                echo "sanitize.sh: thread needs std rebuilt instrumented; run it without --quick" >&2
                exit 2
            fi
            run_sanitizer thread thread --test stress --test hooks --test snapshot
            ;;
        preload)
            preload_under_asan
            ;;
        miri)
            echo "== miri: cargo +nightly miri test -p memento-alloc --lib" >&2
            CARGO_TARGET_DIR="$base/miri" nice -n 10 cargo +nightly miri test -q -p memento-alloc --lib \
                || { echo "sanitize.sh: miri reported (see above)" >&2; exit 1; }
            ;;
    esac
done
echo "sanitize.sh: ${which[*]}: no reports" >&2
