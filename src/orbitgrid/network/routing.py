"""Shortest paths by one-way delay over a ``topology.Graph``.

``shortest_paths`` and ``nearest_source`` are ``scipy.sparse.csgraph.dijkstra`` (with
``indices=`` the sources needed, ``min_only=True`` for the nearest of many); distances
and predecessors in csgraph's convention (-9999 for none).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orbitgrid.network.topology import KIND_NAMES, Graph

NO_PRED = -9999  # scipy.sparse.csgraph's marker for "no predecessor"
# Smallest edge delay, ms: csgraph would read an explicit zero as "no edge" in some paths,
# so a zero-length link (a place on top of its gateway) gets this instead.
MIN_DELAY_MS = 1e-12


@dataclass(frozen=True)
class Compiled:
    """A graph ready for searching: edges sorted by (src, dst), the quickest of parallel
    edges kept (``keep``: their indices in the ``Graph``), delays at least MIN_DELAY_MS."""

    graph: Graph
    src: np.ndarray
    dst: np.ndarray
    w: np.ndarray
    keep: np.ndarray

    @property
    def n_nodes(self) -> int:
        return self.graph.n_nodes

    def csr(self):
        from scipy.sparse import csr_matrix

        n = self.graph.n_nodes
        indptr = np.searchsorted(self.src, np.arange(n + 1))
        return csr_matrix((self.w, self.dst, indptr), shape=(n, n))


def compile_graph(graph: Graph | Compiled) -> Compiled:
    """Sort a graph's edges once for any number of searches (see ``Compiled``)."""
    if isinstance(graph, Compiled):
        return graph
    n = max(graph.n_nodes, 1)
    key = graph.src * n + graph.dst
    order = np.argsort(key, kind="stable")
    k = key[order]
    if len(k) > 1 and (k[1:] == k[:-1]).any():  # parallel edges: the quickest first, then drop the rest
        order = np.lexsort((graph.delay_ms, key))
        k = key[order]
        order = order[np.r_[True, k[1:] != k[:-1]]]
    return Compiled(graph, graph.src[order], graph.dst[order], np.maximum(graph.delay_ms[order], MIN_DELAY_MS), order)


def shortest_paths(graph: Graph | Compiled, sources) -> tuple[np.ndarray, np.ndarray]:
    """One-way delay (ms) and predecessor of every node from each source: two (S, n)
    arrays (inf and -9999 where unreachable)."""
    from scipy.sparse.csgraph import dijkstra

    sources = np.atleast_1d(np.asarray(sources, dtype=np.int64))
    c = compile_graph(graph)
    dist, pred = dijkstra(c.csr(), directed=True, indices=sources, return_predecessors=True)
    return np.atleast_2d(dist), np.atleast_2d(pred).astype(np.int64)


def nearest_source(graph: Graph | Compiled, sources) -> tuple[np.ndarray, np.ndarray]:
    """For every node, the one-way delay (ms) from the nearest of ``sources`` and which
    source that is (-9999 if none reaches it): csgraph's ``min_only=True``."""
    from scipy.sparse.csgraph import dijkstra

    sources = np.atleast_1d(np.asarray(sources, dtype=np.int64))
    c = compile_graph(graph)
    dist, _, origin = dijkstra(c.csr(), directed=True, indices=sources, min_only=True, return_predecessors=True)
    return dist, origin.astype(np.int64)


def path_nodes(pred_row: np.ndarray, source: int, target: int) -> list[int]:
    """Nodes from ``source`` to ``target`` along a predecessor row ([] if unreachable)."""
    if source == target:
        return [source]
    path = [int(target)]
    while path[-1] != source:
        p = int(pred_row[path[-1]])
        if p < 0 or len(path) > pred_row.shape[0]:
            return []
        path.append(p)
    return path[::-1]


@dataclass(frozen=True)
class Route:
    """A path: its nodes, and per hop the edge kind, length and delay."""

    nodes: list[int]
    kinds: list[str]
    length_km: list[float]
    delay_ms: list[float]

    @property
    def distance_km(self) -> float:
        return float(sum(self.length_km))

    @property
    def one_way_ms(self) -> float:
        return float(sum(self.delay_ms))


def route(graph: Graph | Compiled, source: int, target: int) -> Route | None:
    """The quickest path from node ``source`` to node ``target``, or None if none exists."""
    c = compile_graph(graph)
    graph = c.graph
    _, pred = shortest_paths(c, [source])
    nodes = path_nodes(pred[0], source, target)
    if not nodes:
        return None
    key = c.src * graph.n_nodes + c.dst  # sorted
    hops = np.asarray(nodes[:-1], dtype=np.int64) * graph.n_nodes + np.asarray(nodes[1:], dtype=np.int64)
    k = c.keep[np.searchsorted(key, hops)]
    return Route(nodes, [KIND_NAMES[int(c)] for c in graph.kind[k]], graph.length_km[k].tolist(),
                 graph.delay_ms[k].tolist())
