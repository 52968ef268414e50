# Sourced by the platform benchmarks: the example scenarios' real traces
# (captured when missing), a release build, and $memento, $root, $ex.
root=$(cd "$(dirname "$0")/.." && pwd)
ex="$root/platform/examples"
[ -f "$ex/traces/jsonpipe-warm.mtrace" ] || "$ex/make-traces.sh"
cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin memento
memento="${CARGO_TARGET_DIR:-$root/target}/release/memento"
