"""zlib compression and decompression of seeded text (FunctionBench
compression, in memory instead of a file)."""

import random
import zlib

WORDS = "serverless function invocation memory allocator arena page".split()


def make_input():
    rng = random.Random(10)
    return " ".join(rng.choice(WORDS) + str(rng.randint(0, 99)) for _ in range(60000)).encode()


def handler(data):
    packed = zlib.compress(data, 6)
    assert zlib.decompress(packed) == data
    # The compressed size depends on the zlib build; the checksum does not.
    return f"bytes={len(data)} crc={zlib.crc32(data):08x}"
