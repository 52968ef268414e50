"""Serverless-style JSON function: build records, dumps, loads, aggregate.
Stand-in for the function suite's JSON workload (FunctionBench json_dumps_loads)."""
import json
import random

random.seed(7)
total = 0
for request in range(6):
    records = [
        {
            "id": i,
            "name": "user%d" % random.randrange(10**6),
            "email": "u%d@example.org" % i,
            "tags": [random.choice("abcdefgh") * random.randrange(1, 6) for _ in range(4)],
            "score": random.random(),
            "nested": {"a": i, "b": [i, i + 1, i + 2], "c": str(i) * 3},
        }
        for i in range(20000)
    ]
    text = json.dumps(records)
    back = json.loads(text)
    total += sum(r["nested"]["a"] for r in back) + len(text)
print(total)
