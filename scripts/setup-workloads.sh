#!/bin/sh
# Installs what the function suite needs, into project-local folders:
#   workloads/.venv                       Python packages (requirements.txt)
#   workloads/functions/node/node_modules npm packages (package-lock.json)
#   g++, libjemalloc-dev and the rest     from apt, only when missing
#                                         (scripts/install-deps.sh).
# Idempotent: a stamp holding the requirement file's hash skips pip when
# nothing changed, and npm ci runs only when the lock file is newer.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
w="$root/workloads"
req="$w/functions/python/requirements.txt"
node="$w/functions/node"

"$root/scripts/install-deps.sh"

python=${PYTHON:-python3}
stamp="$w/.venv/.memento-requirements"
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ ! -x "$w/.venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "setup-workloads: installing Python packages into workloads/.venv" >&2
    [ -x "$w/.venv/bin/python" ] || nice -n 10 "$python" -m venv "$w/.venv"
    nice -n 10 "$w/.venv/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
    echo "$want" > "$stamp"
fi

if command -v npm >/dev/null 2>&1; then
    if [ ! -e "$node/node_modules/.package-lock.json" ] \
        || [ "$node/package-lock.json" -nt "$node/node_modules/.package-lock.json" ]; then
        echo "setup-workloads: npm ci in workloads/functions/node" >&2
        (cd "$node" && nice -n 10 npm ci --silent --no-audit --no-fund 2>/dev/null)
    fi
else
    echo "setup-workloads: npm not found; the Node functions will not run" >&2
fi
