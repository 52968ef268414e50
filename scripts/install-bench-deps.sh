#!/bin/sh
# Installs what the allocator benchmarks need beyond Rust/gcc/Python/Node:
# Debian's mimalloc, jemalloc and tcmalloc-minimal shared libraries and GNU
# time. Idempotent: does nothing when everything is already present.
set -eu
need=""
for pair in "libmimalloc.so.2:libmimalloc2.0" "libjemalloc.so.2:libjemalloc2" \
            "libtcmalloc_minimal.so.4:libtcmalloc-minimal4"; do
    lib=${pair%%:*}; pkg=${pair#*:}
    if ! ldconfig -p | grep -q "$lib"; then need="$need $pkg"; fi
done
[ -x /usr/bin/time ] || need="$need time"
if [ -n "$need" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "install-bench-deps: need root to install:$need" >&2; exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need
fi
