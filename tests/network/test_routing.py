"""Shortest paths by delay: hand-computed paths, and the numpy search against a textbook
Dijkstra (and scipy's csgraph where scipy is installed)."""

from __future__ import annotations

import heapq
import math

import numpy as np
import pytest

from orbitgrid.network import routing as r
from orbitgrid.network import topology as t

R = 6378.137
A = R + 550.0
C = 299_792.458


def _on_sphere(lat_deg, lon_deg, radius=A):
    la, lo = np.radians(lat_deg), np.radians(lon_deg)
    return radius * np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], -1)


def test_ring_path_by_hand():
    """One plane of 6 satellites at 550 km over the equator (a +Grid of 1 x 6 is a ring),
    satellite k above longitude 60 k. Users at (0, 0) and (0, 180) each see only the
    satellite overhead (the next is 60 deg of arc away, below the horizon). Neighbours are a
    chord 2 a sin 30 = a = 6928.137 km apart, so the path is up 550, three links of a, down
    550: 1,100 + 20,784.411 = 21,884.411 km, 72.998 ms one way."""
    sat = _on_sphere(np.zeros(6), 60.0 * np.arange(6))
    ends = t.GroundSet.from_latlon(["west", "east"], [0.0, 0.0], [0.0, 180.0])
    graph, lay = t.snapshot_graph(sat, t.plus_grid_isls(1, 6), ends)
    route = r.route(graph, int(lay.out_node(0)), int(lay.in_node(1)))
    assert route.kinds == ["up", "isl", "isl", "isl", "down"]
    assert route.nodes[1] == 0 and route.nodes[-2] == 3
    assert route.distance_km == pytest.approx(1100.0 + 3 * A, abs=1e-6)
    assert route.one_way_ms == pytest.approx((1100.0 + 3 * A) / C * 1e3, rel=1e-12)
    assert route.one_way_ms == pytest.approx(72.998, abs=1e-3)


def test_plus_grid_path_by_hand():
    """A 2 x 3 +Grid on a sphere of radius a = 6928.137 km: plane p, slot s above latitude
    30 p, longitude 120 s. From a user at (0, 0) (sees only satellite 0 overhead) to
    satellite 4 (plane 1, slot 1) there are two 2-hop routes:
      0 -> 1 -> 4: chord of 120 deg at the equator a sqrt(3) = 1.732051 a, then 30 deg of
                   latitude 2 a sin 15 = 0.517638 a: 2.249689 a;
      0 -> 3 -> 4: 0.517638 a, then 120 deg round the 30 deg parallel 2 a cos 30 sin 60 = 1.5 a:
                   2.017638 a.
    The second wins: 550 + 2.017638 a = 550 + 13,978.473 = 14,528.473 km, 48.462 ms."""
    lat = 30.0 * np.repeat(np.arange(2), 3)
    lon = 120.0 * np.tile(np.arange(3), 2)
    sat = _on_sphere(lat, lon)
    ends = t.GroundSet.from_latlon(["user"], [0.0], [0.0])
    graph, lay = t.snapshot_graph(sat, t.plus_grid_isls(2, 3), ends)
    route = r.route(graph, int(lay.out_node(0)), 4)
    assert route.nodes == [int(lay.out_node(0)), 0, 3, 4]
    expected = 550.0 + A * (2 * math.sin(math.radians(15)) + 2 * math.cos(math.radians(30)) * math.sin(math.radians(60)))
    assert expected == pytest.approx(14_528.473, abs=1e-3)
    assert route.distance_km == pytest.approx(expected, abs=1e-6)
    assert route.one_way_ms == pytest.approx(48.462, abs=1e-3)


def _dijkstra(n, src, dst, w, s):
    """Textbook Dijkstra with a binary heap (Cormen et al., ch. 24.3), the reference."""
    adj = [[] for _ in range(n)]
    for a, b, c in zip(src.tolist(), dst.tolist(), w.tolist()):
        adj[a].append((b, c))
    dist = [math.inf] * n
    dist[s] = 0.0
    heap = [(0.0, s)]
    while heap:
        d, u = heapq.heappop(heap)
        if d > dist[u]:
            continue
        for v, c in adj[u]:
            if d + c < dist[v]:
                dist[v] = d + c
                heapq.heappush(heap, (d + c, v))
    return np.array(dist)


def _random_graph(seed, n=300, m=1500):
    rng = np.random.default_rng(seed)
    src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
    w = rng.uniform(0.1, 10.0, m)
    k = np.zeros(m, np.int8)
    return t.Graph(n, src, dst, w, w, k, np.ones(m)), src, dst, w


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_csgraph_matches_a_textbook_dijkstra(seed):
    """On random directed graphs with parallel edges and self-loops, every distance from
    three sources equals the textbook Dijkstra's, and every predecessor is consistent
    (dist[v] = dist[pred v] + w(pred v, v))."""
    graph, src, dst, w = _random_graph(seed)
    sources = [0, 7, 123]
    dist, pred = r.shortest_paths(graph, sources)
    for i, s in enumerate(sources):
        ref = _dijkstra(graph.n_nodes, src, dst, w, s)
        np.testing.assert_allclose(dist[i], ref, rtol=1e-12)
        v = np.flatnonzero(np.isfinite(ref) & (np.arange(graph.n_nodes) != s))
        best = {}
        for a, b, c in zip(src.tolist(), dst.tolist(), w.tolist()):
            best[(a, b)] = min(best.get((a, b), math.inf), c)
        for x in v.tolist():
            p = int(pred[i, x])
            assert dist[i, p] + best[(p, x)] == pytest.approx(dist[i, x], rel=1e-12)
        assert (pred[i, ~np.isfinite(ref)] == r.NO_PRED).all()


def test_nearest_source():
    """A path graph 0 - 1 - 2 - 3 - 4 with unit delays both ways and sources {0, 4}: node 1
    is 1 ms from 0, node 3 is 1 ms from 4, node 2 is 2 ms from either."""
    a = np.array([0, 1, 2, 3])
    src, dst = np.r_[a, a + 1], np.r_[a + 1, a]
    graph = t.Graph(5, src, dst, np.ones(8), np.ones(8), np.zeros(8, np.int8), np.ones(8))
    dist, origin = r.nearest_source(graph, [0, 4])
    np.testing.assert_allclose(dist, [0, 1, 2, 1, 0])
    assert origin[[0, 1, 3, 4]].tolist() == [0, 0, 4, 4] and origin[2] in (0, 4)


def test_unreachable_gives_no_route():
    """Two nodes and no edge: no path, infinite delay."""
    graph = t.Graph(2, np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0),
                    np.zeros(0, np.int8), np.zeros(0))
    assert r.route(graph, 0, 1) is None
    dist, _ = r.shortest_paths(graph, [0])
    assert dist[0].tolist() == [0.0, math.inf]


def test_parallel_edges_keep_the_quickest():
    """Two edges 0 -> 1 of 5 ms and 2 ms, and 1 -> 2 of 1 ms: the route takes the 2 ms edge, 3 ms
    in all, and reports that edge's length (csr_matrix alone would have summed them to 7)."""
    graph = t.Graph(3, np.array([0, 0, 1]), np.array([1, 1, 2]), np.array([5.0, 2.0, 1.0]),
                    np.array([50.0, 20.0, 10.0]), np.zeros(3, np.int8), np.ones(3))
    route = r.route(graph, 0, 2)
    assert route.one_way_ms == pytest.approx(3.0) and route.length_km == [20.0, 10.0]
