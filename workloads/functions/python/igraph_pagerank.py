"""PageRank of a seeded Barabasi-Albert graph with igraph (SeBS
502.graph-pagerank)."""

import random

import igraph


def make_input():
    random.seed(7)  # igraph draws from Python's global generator
    return 7


def handler(seed):
    random.seed(seed)
    g = igraph.Graph.Barabasi(20000, 3)
    ranks = g.pagerank()
    top = sorted(range(len(ranks)), key=lambda v: -ranks[v])[:5]
    return f"top={','.join(map(str, top))} max={max(ranks):.6f}"
