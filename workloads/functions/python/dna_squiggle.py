"""DNA visualisation of a synthetic FASTA sequence with squiggle
(FunctionBench dna-visualisation)."""

import hashlib
import random

from squiggle import transform


def make_input():
    rng = random.Random(11)
    body = "".join(rng.choice("ACGT") for _ in range(20000))
    fasta = ">synthetic seed=11\n" + "\n".join(body[i:i + 60] for i in range(0, len(body), 60))
    return fasta


def handler(fasta):
    sequence = "".join(line for line in fasta.splitlines() if not line.startswith(">"))
    x, y = transform(sequence, method="yau")
    digest = hashlib.sha256(",".join(f"{v:.4f}" for v in y).encode()).hexdigest()[:12]
    return f"points={len(x)}-{digest}"
