#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets, fuzz/seeds/<target>/, from
the repository's own sample traces, machine presets, manifest and profiles,
and a few tiny inputs made here (every event opcode, every importer
record). Seeds are small (at most 4 KiB, libFuzzer's default input length)
and valid, so that mutations start deep in each parser.

    fuzz/make-seeds.py [OUT_DIR]     (default: fuzz/seeds)

Deterministic: the same repository gives the same seeds. Needs only
Python 3 (the trace format's CRC-32 is zlib's).
"""

import re
import struct
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "traces" / "samples").glob("*.mtrace"))
MAX_SEED = 4096

MAGIC = b"\x89MTR\r\n\x1a\n"
HEADER_PREFIX_LEN = 16
CHUNK_HEADER_LEN = 32
EVENTS, METADATA = 0, 1
MASK = (1 << 64) - 1


# --- varints (traces/src/varint.rs) ---------------------------------------

def put(value):
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def put_signed(delta):
    return put(((delta << 1) ^ (delta >> 63)) & MASK)


def get(data, pos):
    value, shift = 0, 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def get_signed(data, pos):
    value, pos = get(data, pos)
    return (value >> 1) ^ -(value & 1), pos


def string(text):
    raw = text.encode() if isinstance(text, str) else text
    return put(len(raw)) + raw


# --- file layout (traces/src/format.rs) ------------------------------------

def header(workload="seed", page_size=4096):
    body = put(page_size) + put(0)
    for field in ("memento-fuzz seeds", workload, "c", "seed"):
        body += string(field)
    return (MAGIC + struct.pack("<HHI", 1, 0, len(body)) + body
            + struct.pack("<I", zlib.crc32(body)))


def chunk(kind, payload, count, thread=0, instructions_before=0):
    return (b"MCHK" + bytes([kind, 0, 0, 0])
            + struct.pack("<IIIQI", len(payload), count, thread,
                          instructions_before, zlib.crc32(payload))
            + payload)


def split_trace(data):
    """The header bytes and the chunks of a trace: (kind, count, payload)."""
    body_len = struct.unpack_from("<I", data, 12)[0]
    at = HEADER_PREFIX_LEN + body_len + 4
    head, chunks = data[:at], []
    while at < len(data):
        kind = data[at + 4]
        payload_len, count = struct.unpack_from("<II", data, at + 8)
        start = at + CHUNK_HEADER_LEN
        chunks.append((kind, count, data[start:start + payload_len]))
        at = start + payload_len
    return head, chunks


# --- events (traces/src/codec.rs): boundaries and values -------------------

# Operand layout of the rare opcodes: b a byte, u a varint, s a signed one.
RARE = {
    0x01: "u", 0x02: "usu", 0x03: "bus", 0x04: "bus", 0x05: "bbuuss",
    0x06: "bbss", 0x07: "bbssus", 0x08: "b", 0x09: "", 0x0A: "uuuu",
    0x0B: "uu", 0x0C: "uu", 0x0D: "uuu", 0x0E: "uuuu", 0x0F: "u",
    0x10: "", 0x11: "", 0x12: "u", 0x13: "u",
}


def block_slot(addr):
    return ((addr * 0x9E3779B97F4A7C15) & MASK) >> 59


def decode(payload, count):
    """The first `count` events of a payload as (event, end offset), where
    an event is ("block", addr, len, count), ("load"|"store", addr, size)
    or (opcode,) for the rest."""
    mem, blocks, block_end = [0] * 4, [None] * 32, 0
    pos, out = 0, []

    def block(n, pos):
        nonlocal block_end
        delta, pos = get_signed(payload, pos)
        length, pos = get(payload, pos)
        addr = (block_end + delta) & MASK
        block_end = (addr + length) & MASK
        blocks[block_slot(addr)] = (addr, length, n)
        return ("block", addr, length, n), pos

    for _ in range(count):
        op = payload[pos]
        pos += 1
        if op >= 0x80:
            size, base, form = 1 << ((op >> 4) & 3), (op >> 2) & 3, op & 3
            if form == 0:
                delta, pos = get_signed(payload, pos)
            else:
                delta = [0, 0, size, -size][form]
            mem[base] = (mem[base] + delta) & MASK
            event = ("store" if op & 0x40 else "load", mem[base], size)
        elif op >= 0x40:
            event, pos = block((op & 0x3F) + 1, pos)
        elif op >= 0x20:
            addr, length, n = blocks[op & 0x1F]
            block_end = (addr + length) & MASK
            event = ("block", addr, length, n)
        elif op >= 0x18:
            event = ("gap",)
        elif op == 0x02:
            n, pos = get(payload, pos)
            event, pos = block(n, pos)
        elif op in (0x03, 0x04):
            base = payload[pos]
            size, pos = get(payload, pos + 1)
            delta, pos = get_signed(payload, pos)
            mem[base] = (mem[base] + delta) & MASK
            event = ("store" if op == 0x04 else "load", mem[base], size)
        else:
            for operand in RARE[op]:
                pos = pos + 1 if operand == "b" else get(payload, pos)[1]
            event = (op,)
        out.append((event, pos))
    return out


def metadata_entries(payload, count):
    """End offsets of the first `count` metadata entries."""
    ends, pos = [], 0
    for _ in range(count):
        tag = payload[pos]
        pos += 1
        varints, strings = (1, 1) if tag == 1 else (3, 2)
        for _ in range(varints):
            pos = get(payload, pos)[1]
        for _ in range(strings):
            length, pos = get(payload, pos)
            pos += length
        ends.append(pos)
    return ends


def prefix(payload, count, budget):
    """The longest run of whole events from the start within `budget`
    bytes: (bytes, events)."""
    events = decode(payload, count)
    taken = [end for _, end in events if end <= budget]
    return payload[:taken[-1] if taken else 0], len(taken)


# --- hand-made events: every opcode and form once ---------------------------

def every_opcode():
    """A payload with every opcode, and its event count."""
    parts = [
        bytes([0x01]) + put(100),                       # gap
        bytes([0x18 | 3]),                              # short gap of 4
        bytes([0x02]) + put(100) + put_signed(0x401000) + put(400),
        bytes([0x40 | 9]) + put_signed(16) + put(40),  # short block of 10
        bytes([0x20 | block_slot(0x401000)]),           # repeat
        bytes([0x03, 1]) + put(16) + put_signed(0x7FFF0000),
        bytes([0x04, 2]) + put(32) + put_signed(0x600000),
        bytes([0x05, 1, 1]) + put(24) + put(0) + put_signed(0x5000) + put_signed(0x401234),
        bytes([0x06, 4, 1]) + put_signed(0) + put_signed(4),
        bytes([0x07, 3, 1]) + put_signed(0) + put_signed(64) + put(48) + put_signed(-4),
        bytes([0x08, 14]), bytes([0x09]),
        bytes([0x0A]) + put(0x7F0000000000) + put(1 << 20) + put(3) + put(0x22),
        bytes([0x0B]) + put(0x7F0000000000) + put(4096),
        bytes([0x0C]) + put(0x600000) + put(0x621000),
        bytes([0x0D]) + put(0x7F0000000000) + put(8192) + put(4),
        bytes([0x0E]) + put(0x7F0000000000) + put(4096) + put(0x7F0000100000) + put(8192),
        bytes([0x0F]) + put(7),
        bytes([0x10]), bytes([0x12]) + put(1), bytes([0x13]) + put(1), bytes([0x11]),
    ]
    # Short loads and stores: every size, base and form.
    for op in range(0x80, 0x100, 5):
        parts.append(bytes([op]) + (put_signed(0x1000 + op) if op & 3 == 0 else b""))
    return b"".join(parts), len(parts)


# --- importer inputs from events --------------------------------------------

def accesses(events):
    """Instructions and their data accesses: [(ip, len, [(store, addr, size)])]."""
    out = []
    for event, _ in events:
        if event[0] == "block":
            _, addr, length, n = event
            step = max(1, length // n)
            for i in range(n):
                last = i == n - 1
                out.append([addr + i * step, length - step * (n - 1) if last else step, []])
        elif event[0] in ("load", "store") and out:
            out[-1][2].append((event[0] == "store", event[1], event[2]))
    return out


def lackey(instructions):
    lines = ["==4242== Lackey, an example Valgrind tool"]
    for ip, length, data in instructions:
        lines.append(f"I  {ip:08x},{length}")
        lines += [f" {'S' if store else 'L'} {addr:08x},{size}" for store, addr, size in data]
    lines.append(" M 1ffefffe10,8")
    return "\n".join(lines) + "\n==4242== \n"


def dinero(instructions):
    lines = []
    for ip, length, data in instructions:
        lines.append(f"2 {ip:x} {length}")
        lines += [f"{1 if store else 0} {addr:x}" + (f" {size}" if size != 8 else "")
                  for store, addr, size in data]
    return "\n".join(lines + ["3 0", "4 0"]) + "\n"


def champsim(instructions):
    records = []
    for ip, _, data in instructions:
        loads = [a for store, a, _ in data if not store][:4]
        stores = [a for store, a, _ in data if store][:2]
        records.append(struct.pack("<QBB2B4B2Q4Q", ip, 0, 0, 0, 0, 0, 0, 0, 0,
                                   *(stores + [0, 0])[:2], *(loads + [0] * 4)[:4]))
    return b"".join(records)


def dram_traces(instructions):
    """The data accesses as DRAM requests, one per line touched, in
    DRAMsim3's text (cycle = instructions before) and Ramulator's."""
    dramsim3, ramulator = [], []
    for i, (_, _, data) in enumerate(instructions):
        for store, addr, size in data:
            for line in range(addr // 64, (addr + max(size, 1) - 1) // 64 + 1):
                dramsim3.append(f"{line * 64:#x} {'WRITE' if store else 'READ'} {i}")
                ramulator.append(f"{line * 64:#x} {'W' if store else 'R'}")
    return "\n".join(dramsim3) + "\n", "\n".join(ramulator) + "\n"


# --- TOML inputs -------------------------------------------------------------

def without_comments(text):
    """TOML text without its comments when it is over the seed size (the
    presets' comments hold no '#' inside strings)."""
    return text if len(text) <= MAX_SEED else re.sub(r"[ \t]*#[^\n]*", "", text)


def toml_seeds():
    presets = ROOT / "sim" / "presets"
    memento = (presets / "memento.toml").read_text()
    machines = {}
    for machine in ("micro23", "small", "dramsim3-ddr4"):
        text = (presets / f"{machine}.toml").read_text()
        machines[machine] = without_comments(text)
        machines[f"{machine}-memento"] = without_comments(text + memento)
    for dram in sorted((presets / "dram").glob("*.toml")):
        machines[f"dram-{dram.stem}"] = dram.read_text()
    manifest = (ROOT / "workloads" / "manifest.toml").read_text()
    functions = ["[[function]]" + f for f in re.split(r"^\[\[function\]\]", manifest, flags=re.M)[1:]]
    manifests = {f"functions-{i}": "".join(functions[i:i + 3]) for i in range(0, len(functions), 3)}
    manifests["empty"] = "function = []\n"
    profiles = {p.stem: p.read_text() for p in sorted((ROOT / "workloads" / "profiles").glob("*.toml"))}
    return machines, manifests, profiles


def main():
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "fuzz" / "seeds"
    seeds = {}

    def add(target, name, data):
        data = data.encode() if isinstance(data, str) else data
        assert len(data) <= MAX_SEED, f"{target}/{name}: {len(data)} bytes"
        seeds.setdefault(target, {})[name] = data

    ops, op_count = every_opcode()
    add("trace_events", "every-opcode", ops)
    add("trace_file", "every-opcode", header() + chunk(EVENTS, ops, op_count))
    add("trace_file", "header-only", header())
    add("trace_header", "header-only", header())
    table = (bytes([1]) + put(1) + string("main") + bytes([2]) + put(0x400000)
             + put(0x1000) + put(0) + string("/usr/bin/seed") + string(b"\x01\x02"))
    add("trace_header", "two-entries", header() + chunk(METADATA, table, 2))

    for sample in SAMPLES:
        name = sample.stem
        head, chunks = split_trace(sample.read_bytes())
        events = [(c, p) for k, c, p in chunks if k == EVENTS]
        metas = [(c, p) for k, c, p in chunks if k == METADATA]
        count, payload = events[0]
        small, small_count = prefix(payload, count, 600)
        tiny, tiny_count = prefix(payload, count, 100)
        add("trace_events", name, small)
        meta = b""
        if metas:
            meta_count, meta_payload = metas[0]
            ends = metadata_entries(meta_payload, meta_count)[:3]
            meta = chunk(METADATA, meta_payload[:ends[-1]], len(ends))
        add("trace_header", name, head + meta)
        # Two event chunks (each decodes on its own), then the table.
        add("trace_file", name, head + chunk(EVENTS, small, small_count)
            + chunk(EVENTS, tiny, tiny_count, thread=1, instructions_before=1000) + meta)
        instructions = accesses(decode(payload, count))[:60]
        add("import_lackey", name, lackey(instructions))
        add("import_dinero", name, dinero(instructions))
        add("import_champsim", name, champsim(instructions[:40]))
        dramsim3, ramulator = dram_traces(instructions)
        add("dram_trace", f"{name}-dramsim3", dramsim3)
        add("dram_trace", f"{name}-ramulator", ramulator)

    machines, manifests, profiles = toml_seeds()
    for name, text in machines.items():
        add("machine_config", name, text)
    for name, text in manifests.items():
        add("workload_manifest", name, text)
    for name, text in profiles.items():
        add("synth_profile", name, text)

    for target, files in sorted(seeds.items()):
        folder = out / target
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in sorted(files.items()):
            (folder / name).write_bytes(data)
        print(f"{target}: {len(files)} seeds in {folder}")


if __name__ == "__main__":
    main()
