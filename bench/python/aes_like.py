"""Pure-Python AES-like byte loop (FunctionBench pyaes stand-in): SubBytes,
ShiftRows, a MixColumns-like step and round keys, on fresh bytes objects,
so every round allocates small ints, lists and bytes."""
SBOX = [((i * 7 + 99) ^ (i >> 3)) & 0xFF for i in range(256)]


def xtime(b):
    return ((b << 1) ^ 0x1B) & 0xFF if b & 0x80 else b << 1


def encrypt_block(block, keys):
    state = list(block)
    for rk in keys:
        state = [SBOX[b] for b in state]
        state = [state[(i * 5) % 16] for i in range(16)]
        cols = []
        for c in range(4):
            a = state[c * 4:c * 4 + 4]
            t = a[0] ^ a[1] ^ a[2] ^ a[3]
            cols += [a[i] ^ t ^ xtime(a[i] ^ a[(i + 1) % 4]) for i in range(4)]
        state = [x ^ k for x, k in zip(cols, rk)]
    return bytes(state)


keys = [bytes(((r * 31 + i * 17) & 0xFF) for i in range(16)) for r in range(10)]
data = bytes((i * 13) & 0xFF for i in range(16 * 6000))
out = bytearray()
prev = bytes(16)
for off in range(0, len(data), 16):
    blk = bytes(x ^ y for x, y in zip(data[off:off + 16], prev))
    prev = encrypt_block(blk, keys)
    out += prev
print(sum(out), len(out))
