"""Breadth-first search on a seeded random graph with networkx (SeBS
501.graph-bfs, which uses igraph; networkx is the pure-Python variant)."""

import random

import networkx as nx


def make_input():
    rng = random.Random(5)
    g = nx.Graph()
    g.add_nodes_from(range(3000))
    g.add_edges_from((rng.randrange(3000), rng.randrange(3000)) for _ in range(9000))
    return g


def handler(g):
    depth = nx.single_source_shortest_path_length(g, 0)
    edges = list(nx.bfs_edges(g, 0))
    return f"reached={len(depth)} edges={len(edges)} maxdepth={max(depth.values())}"
