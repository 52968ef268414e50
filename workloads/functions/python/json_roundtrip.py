"""JSON dumps + loads of seeded records (FunctionBench json_dumps_loads)."""

import hashlib
import json
import random

from driver import input_size


def make_input():
    rng = random.Random(1)
    words = ["alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa"]
    records = [
        {
            "id": i,
            "name": "".join(rng.choice("abcdefghijklmnop") for _ in range(8)),
            "score": rng.randint(0, 10**6) / 1000,
            "tags": rng.sample(words, 3),
            "active": rng.random() < 0.5,
            "nested": {"x": rng.randint(0, 999), "y": [rng.randint(0, 9) for _ in range(4)]},
        }
        for i in range(input_size(2000))
    ]
    return json.dumps(records)


def handler(text):
    records = json.loads(text)
    for r in records:
        r["score"] = round(r["score"] * 2, 3)
    out = json.dumps(records, sort_keys=True)
    return hashlib.sha256(out.encode()).hexdigest()[:16]
