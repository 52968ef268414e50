"""Runs one function of the suite N times in this process and prints one
line per invocation: `memento-invocation ID cold|warm NANOSECONDS RESULT`.

    python driver.py NAME [--invocations N]

Invocation 0 is the cold start: it imports the function's module (and its
packages), builds the seeded input and calls the handler. Later invocations
call the handler only. Each invocation is bracketed by the markers of
`memento_roi` (from the capture tool, on PYTHONPATH under `memento capture`);
without it the markers do nothing.
"""

import argparse
import importlib
import os
import sys
import time

try:
    import memento_roi as _roi
except ImportError:  # a plain run outside the capture tool
    _roi = None


def input_size(default):
    """The input size: MEMENTO_INPUT_SIZE when set (a function's smaller
    `sample` input in manifest.toml), else `default`."""
    value = os.environ.get("MEMENTO_INPUT_SIZE", "")
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        sys.exit(f"MEMENTO_INPUT_SIZE: `{value}` is not a number >= 1")
    return int(value)


def _mark(name, *args):
    if _roi is not None:
        getattr(_roi, name)(*args)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("name")
    parser.add_argument("--invocations", type=int, default=1)
    args = parser.parse_args()
    if args.invocations < 1:
        sys.exit("--invocations must be at least 1")
    _mark("roi_begin")
    module = event = None
    for i in range(args.invocations):
        _mark("invocation_begin", i)
        start = time.perf_counter_ns()
        if module is None:
            module = importlib.import_module(args.name)
            event = module.make_input()
        result = module.handler(event)
        elapsed = time.perf_counter_ns() - start
        _mark("invocation_end", i)
        kind = "cold" if i == 0 else "warm"
        print(f"memento-invocation {i} {kind} {elapsed} {result}", flush=True)
    _mark("roi_end")


if __name__ == "__main__":
    main()
