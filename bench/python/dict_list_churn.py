"""Dict / list / string churn with bimodal lifetimes: most objects die
young, a fraction lives to the end of the "invocation" (as measured for
serverless functions)."""
import random

random.seed(11)
keep = []
checksum = 0
for request in range(40):
    scratch = {}
    for i in range(15000):
        k = "k%d_%d" % (request, i)
        v = [i, str(i), (i, i * 2), {"x": i}]
        scratch[k] = v
        if i % 37 == 0:
            keep.append(v)
    lists = [list(range(n % 50)) for n in range(8000)]
    checksum += sum(len(l) for l in lists) + len(scratch)
    words = " ".join(scratch.keys()).split()
    checksum += len(set(words))
    if len(keep) > 20000:
        del keep[:10000]
print(checksum, len(keep))
