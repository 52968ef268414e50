#!/usr/bin/env python3
"""Writes synthetic traces in ChampSim's binary `input_instr` format.

Each record is 64 bytes, little-endian:
    ip u64, is_branch u8, branch_taken u8, dst_regs[2] u8, src_regs[4] u8,
    dst_mem[2] u64, src_mem[4] u64
(ChampSim's inc/trace_instruction.h). Branches follow the register
convention of ChampSim's Pin tracer, which both ChampSim and
`memento trace convert --from champsim` use to classify them: a
conditional branch reads the instruction pointer (26) and the flags (25)
and writes the instruction pointer; a compare writes the flags.

Kernels (each a loop of a few instructions, run to the requested count):
    chase   pointer chasing: mov rax,[rax] through a random cyclic list
    stream  a[i] = b[i] + k over two large arrays, 8-byte elements
    random  independent loads at random lines of a large heap region
    branchy data-dependent conditional branches over an L1-resident array:
            one with a period-8 pattern, one taken at random 1 time in 8

Usage:
    make_champsim_traces.py OUTDIR [--instructions N] [--kernels k1,k2]
        [--plain]
Writes OUTDIR/<kernel>.champsimtrace.xz (or without .xz with --plain).
"""

import argparse
import lzma
import os
import random
import struct
import sys

REC = struct.Struct("<QBB2B4B2Q4Q")
assert REC.size == 64

IP_REG, FLAGS_REG, SP_REG = 26, 25, 6
RAX, RBX, RCX, RDX, RSI, RDI, R8 = 1, 2, 3, 4, 5, 7, 8

CODE = 0x400000
LINE = 64


def rec(ip, dst_regs=(), src_regs=(), dst_mem=(), src_mem=(), branch=False, taken=False):
    d = list(dst_regs) + [0] * (2 - len(dst_regs))
    s = list(src_regs) + [0] * (4 - len(src_regs))
    dm = list(dst_mem) + [0] * (2 - len(dst_mem))
    sm = list(src_mem) + [0] * (4 - len(src_mem))
    return REC.pack(ip, int(branch), int(taken), *d, *s, *dm, *sm)


def cmp_(ip, reg):
    return rec(ip, dst_regs=(FLAGS_REG,), src_regs=(reg,))


def jcc(ip, taken):
    return rec(ip, dst_regs=(IP_REG,), src_regs=(IP_REG, FLAGS_REG), branch=True, taken=taken)


def chase(n, rng):
    """A cyclic list of 16 MiB of 64-byte nodes in random order."""
    nodes = (16 << 20) // LINE
    base = 0x10000000
    order = list(range(nodes))
    rng.shuffle(order)
    nxt = [0] * nodes
    for i in range(nodes):
        nxt[order[i]] = order[(i + 1) % nodes]
    cur = order[0]
    while True:
        # mov rax,[rax]; add rcx,1; cmp rcx,rdx; jne loop
        yield rec(CODE, dst_regs=(RAX,), src_regs=(RAX,), src_mem=(base + cur * LINE,))
        cur = nxt[cur]
        yield rec(CODE + 3, dst_regs=(RCX,), src_regs=(RCX,))
        yield rec(CODE + 7, dst_regs=(FLAGS_REG,), src_regs=(RCX, RDX))
        yield jcc(CODE + 10, True)


def stream(n, rng):
    """a[i] = b[i] + k, 8-byte elements, 64 MiB each, wrapping."""
    b, a = 0x20000000, 0x60000000
    elems = (64 << 20) // 8
    i = 0
    while True:
        # mov rbx,[rsi+rcx*8]; add rbx,rdi; mov [r8+rcx*8],rbx; add rcx,1; cmp; jne
        yield rec(CODE, dst_regs=(RBX,), src_regs=(RSI, RCX), src_mem=(b + 8 * i,))
        yield rec(CODE + 4, dst_regs=(RBX,), src_regs=(RBX, RDI))
        yield rec(CODE + 7, src_regs=(R8, RCX, RBX), dst_mem=(a + 8 * i,))
        yield rec(CODE + 11, dst_regs=(RCX,), src_regs=(RCX,))
        yield rec(CODE + 15, dst_regs=(FLAGS_REG,), src_regs=(RCX, RDX))
        yield jcc(CODE + 18, True)
        i = (i + 1) % elems


def random_heap(n, rng):
    """Independent 8-byte loads at random lines of a 256 MiB region; the
    index comes from an ALU hash, not from a load, so misses overlap."""
    base = 0x80000000
    lines = (256 << 20) // LINE
    while True:
        # imul rdx,rcx,K; and rdx,mask; mov rax,[rbx+rdx]; add r8,rax; add rcx,1; cmp; jne
        addr = base + rng.randrange(lines) * LINE + 8 * rng.randrange(8)
        yield rec(CODE, dst_regs=(RDX,), src_regs=(RCX,))
        yield rec(CODE + 4, dst_regs=(RDX,), src_regs=(RDX,))
        yield rec(CODE + 8, dst_regs=(RAX,), src_regs=(RBX, RDX), src_mem=(addr,))
        yield rec(CODE + 12, dst_regs=(R8,), src_regs=(R8, RAX))
        yield rec(CODE + 15, dst_regs=(RCX,), src_regs=(RCX,))
        yield rec(CODE + 19, dst_regs=(FLAGS_REG,), src_regs=(RCX, RDX))
        yield jcc(CODE + 22, True)


def branchy(n, rng):
    """Over a 16 KiB array (L1-resident), two data-dependent branches, each
    skipping 4 instructions (16 bytes) when taken: one follows a period-8
    pattern, one is taken at random 1 time in 8. A taken target lies more
    than 15 bytes past the branch, so the importer, which infers lengths
    from the next IP, sees it as taken."""
    base = 0x30000000
    elems = (16 << 10) // 8
    pattern = [True, True, False, True, False, False, True, False]
    i = 0
    while True:
        # mov rax,[rsi+rcx*8]; cmp rax,rdi; jl L1; 4 x add r8,1; L1: cmp rax,rdx; je L2;
        # 4 x add rbx,1; L2: add rcx,1; cmp; jne loop. Every branch is 4 bytes long, the
        # length the importer gives an instruction whose successor is not adjacent, so a
        # branch ends at the same address whether taken or not.
        yield rec(CODE, dst_regs=(RAX,), src_regs=(RSI, RCX), src_mem=(base + 8 * (i % elems),))
        yield cmp_(CODE + 4, RAX)
        t1 = pattern[i % 8]
        yield jcc(CODE + 7, t1)
        if not t1:
            for j in range(4):
                yield rec(CODE + 11 + 4 * j, dst_regs=(R8,), src_regs=(R8,))
        yield cmp_(CODE + 27, RAX)
        t2 = rng.random() < 0.125
        yield jcc(CODE + 30, t2)
        if not t2:
            for j in range(4):
                yield rec(CODE + 34 + 4 * j, dst_regs=(RBX,), src_regs=(RBX,))
        yield rec(CODE + 50, dst_regs=(RCX,), src_regs=(RCX,))
        yield rec(CODE + 54, dst_regs=(FLAGS_REG,), src_regs=(RCX, RDX))
        yield jcc(CODE + 57, True)
        i += 1


KERNELS = {"chase": chase, "stream": stream, "random": random_heap, "branchy": branchy}


def write(path, kernel, n, seed, plain):
    rng = random.Random(seed)
    gen = KERNELS[kernel](n, rng)
    chunk = []
    opener = open if plain else (lambda p, m: lzma.open(p, m, format=lzma.FORMAT_XZ, preset=1))
    with opener(path, "wb") as out:
        for _ in range(n):
            chunk.append(next(gen))
            if len(chunk) == 65536:
                out.write(b"".join(chunk))
                chunk.clear()
        out.write(b"".join(chunk))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir")
    ap.add_argument("--instructions", type=int, default=4_000_000)
    ap.add_argument("--kernels", default=",".join(KERNELS))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--plain", action="store_true", help="write uncompressed records")
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    for k in args.kernels.split(","):
        if k not in KERNELS:
            sys.exit(f"make_champsim_traces: unknown kernel '{k}' (use {', '.join(KERNELS)})")
        name = f"{k}.champsimtrace" + ("" if args.plain else ".xz")
        path = os.path.join(args.outdir, name)
        write(path, k, args.instructions, args.seed, args.plain)
        print(path)


if __name__ == "__main__":
    main()
