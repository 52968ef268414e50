"""Minimum spanning tree of a seeded weighted graph with networkx (SeBS
503.graph-mst)."""

import random

import networkx as nx


def make_input():
    rng = random.Random(6)
    g = nx.Graph()
    g.add_nodes_from(range(2000))
    for _ in range(8000):
        g.add_edge(rng.randrange(2000), rng.randrange(2000), weight=rng.randint(1, 1000))
    return g


def handler(g):
    tree = nx.minimum_spanning_tree(g, algorithm="kruskal")
    weight = int(tree.size(weight="weight"))
    return f"edges={tree.number_of_edges()} weight={weight}"
