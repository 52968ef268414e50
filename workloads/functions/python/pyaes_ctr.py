"""AES-CTR encryption and decryption in pure Python (FunctionBench pyaes)."""

import hashlib
import random

import pyaes


def make_input():
    rng = random.Random(2)
    key = bytes(rng.randrange(256) for _ in range(32))
    message = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(1024))
    return key, message


def handler(event):
    key, message = event
    cipher = pyaes.AESModeOfOperationCTR(key).encrypt(message)
    plain = pyaes.AESModeOfOperationCTR(key).decrypt(cipher)
    assert plain.decode() == message
    return hashlib.sha256(cipher).hexdigest()[:16]
