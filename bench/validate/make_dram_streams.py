#!/usr/bin/env python3
"""Writes the request streams of the DRAM validation (bench/validate/dram.sh)
as DRAMsim3 traces, `0xADDR READ|WRITE CYCLE` with cycles in DRAM clocks,
which both DRAMsim3 (`dramsim3main -t`) and `memento dram` read.

    bench/validate/make_dram_streams.py OUT_DIR [--requests N] [--seed S]
                                        [--rates 1,2,4,8,16]

For each pattern and rate, OUT_DIR/<pattern>-<rate>.trace holds N requests,
one every <rate> DRAM cycles:

- stream: reads of consecutive 64-byte lines from address 0;
- random: reads of lines drawn uniformly from 16 GiB (the two 8 GiB ranks
  of DRAMsim3's DDR4_8Gb_x8_3200.ini, so every bank and row is reached);
- mixed: the random pattern with every third request a write (2:1
  read:write), which exercises write drains and bus turnarounds.

Deterministic: the same arguments give the same files (Python's Mersenne
Twister, seeded).
"""

import argparse
import random
from pathlib import Path

LINE = 64
SPACE = 16 << 30  # bytes: 2 ranks x 8 GiB
PATTERNS = ("stream", "random", "mixed")


def requests(pattern, count, rng):
    """(address, is_write) of each request of `pattern`."""
    for i in range(count):
        if pattern == "stream":
            yield i * LINE, False
        else:
            addr = rng.randrange(SPACE // LINE) * LINE
            yield addr, pattern == "mixed" and i % 3 == 2


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rates", default="1,2,4,8,16",
                        help="DRAM cycles between requests, comma-separated")
    args = parser.parse_args()
    rates = [int(r) for r in args.rates.split(",")]
    if args.requests < 1 or any(r < 1 for r in rates):
        parser.error("--requests and every rate must be at least 1")
    args.out.mkdir(parents=True, exist_ok=True)
    for pattern in PATTERNS:
        for rate in rates:
            # The same addresses at every rate of a pattern.
            rng = random.Random(f"{args.seed}-{pattern}")
            lines = [
                f"{addr:#x} {'WRITE' if write else 'READ'} {i * rate}\n"
                for i, (addr, write) in enumerate(requests(pattern, args.requests, rng))
            ]
            (args.out / f"{pattern}-{rate}.trace").write_text("".join(lines))
    print(f"{len(PATTERNS) * len(rates)} traces of {args.requests} requests in {args.out}")


if __name__ == "__main__":
    main()
