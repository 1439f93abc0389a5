"""Laser-link patterns, visibility and the graph of one instant, against hand counts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from orbitgrid.network import geometry as g
from orbitgrid.network import topology as t
from orbitgrid.physics import orbits

R = 6378.137


def test_plus_grid_of_a_3_by_4_shell():
    """3 planes x 4 satellites, index = plane * 4 + slot. Satellite 0 (plane 0, slot 0)
    links to 1 (next in plane), 3 (previous in plane, wrapping), 4 (same slot, next plane)
    and 8 (same slot, plane 2, wrapping back to plane 0): four links each, 2 N = 24 links
    in all (Hypatia's +Grid)."""
    e = t.plus_grid_isls(3, 4)
    assert e.shape == (24, 2)
    deg = np.bincount(e.ravel(), minlength=12)
    assert (deg == 4).all()
    nb0 = set(e[e[:, 0] == 0, 1]) | set(e[e[:, 1] == 0, 0])
    assert nb0 == {1, 3, 4, 8}
    nb5 = set(e[e[:, 0] == 5, 1]) | set(e[e[:, 1] == 5, 0])  # plane 1 slot 1
    assert nb5 == {4, 6, 1, 9}


def test_plus_grid_shift_and_tiny_shells():
    """With isl_shift 1, slot s of plane p links to slot s + 1 of plane p + 1: satellite 0
    to 5 in a 3 x 4 shell. A 2 x 2 shell has each link listed twice by the rule (next and
    previous coincide): 4 distinct links. A single plane of 6 is a ring of 6 links."""
    e = t.plus_grid_isls(3, 4, isl_shift=1)
    assert [0, 5] in e.tolist() and [0, 4] not in e.tolist()
    assert t.plus_grid_isls(2, 2).tolist() == [[0, 1], [0, 2], [1, 3], [2, 3]]
    assert t.plus_grid_isls(1, 6).tolist() == [[0, 1], [0, 5], [1, 2], [2, 3], [3, 4], [4, 5]]
    with pytest.raises(ValueError):
        t.plus_grid_isls(0, 4)


def test_in_plane_link_length_of_starlink():
    """Neighbours in one circular plane of 22 are a chord 2 a sin(pi / 22) apart: a = 6928.137 km,
    sin(8.1818 deg) = 0.142315, 1971.95 km (6.578 ms); the same at any time (rigid plane)."""
    w = orbits.walker_shell(72, 22, 1, 53.0, 550.0)
    r = orbits.propagate_circular_eci_km(w.a_km, w.inclination_rad, w.raan0_rad, w.u0_rad,
                                         np.array([0.0, 3000.0]), dtype=np.float64)
    lengths = t.link_lengths_km(r, np.array([[0, 1], [500, 501]]))
    np.testing.assert_allclose(lengths, 1971.95, atol=0.01)
    assert 2 * 6928.137 * math.sin(math.pi / 22) == pytest.approx(1971.953, abs=1e-3)


def test_range_isls():
    """Four satellites on a line 1,000 km apart with a 2,500 km limit: pairs 1 and 2 apart
    (0-1, 1-2, 2-3, 0-2, 1-3) link, 3 apart (0-3) does not."""
    sat = np.array([[7000.0, 0, 0], [7000.0, 1000, 0], [7000.0, 2000, 0], [7000.0, 3000, 0]])
    e = t.range_isls(sat, 2500.0)
    assert sorted(map(tuple, e.tolist())) == [(0, 1), (0, 2), (1, 2), (1, 3), (2, 3)]


def test_visibility_at_the_elevation_mask():
    """A station at (0, 0) and two satellites at 550 km in the equatorial plane placed at
    elevations 24.9 and 25.1 deg (central angle theta = 90 - e - asin(R cos e / (R + h))):
    only the second is seen with a 25 deg mask, at range slant_range(25.1, 550)."""
    def place(elev):
        e = math.radians(elev)
        th = math.pi / 2 - e - math.asin(R * math.cos(e) / (R + 550.0))
        return (R + 550.0) * np.array([math.cos(th), math.sin(th), 0.0])

    sat = np.stack([place(24.9), place(25.1), -place(60.0)])
    ground = t.GroundSet.from_latlon(["eq"], [0.0], [0.0])
    gi, si, rng = t.visible_pairs(ground, sat, 25.0)
    assert si.tolist() == [1] and gi.tolist() == [0]
    assert rng[0] == pytest.approx(g.slant_range_km(25.1, 550.0), abs=1e-6)
    gi, si, _ = t.visible_pairs(ground, sat, 0.0)
    assert si.tolist() == [0, 1]


def test_snapshot_graph_has_no_relay_through_places():
    """Endpoints split into an out node (edges only leave) and an in node (edges only enter);
    gateways into an up node (fibre in, uplinks out) and a down node (downlinks in, fibre
    out): so no path can pass through a city, nor bounce satellite-gateway-satellite."""
    sat = np.array([[R + 550.0, 0.0, 0.0], [0.0, R + 550.0, 0.0]])
    ends = t.GroundSet.from_latlon(["a", "b"], [0.0, 0.0], [0.0, 90.0])
    gws = t.GroundSet.from_latlon(["gw"], [0.0], [1.0])
    graph, lay = t.snapshot_graph(sat, np.array([[0, 1]]), ends, gws)
    assert lay.n_nodes == 2 + 2 + 4
    outs, ins = lay.out_node(np.arange(2)), lay.in_node(np.arange(2))
    assert not np.isin(graph.dst, outs).any() and not np.isin(graph.src, ins).any()
    assert not np.isin(graph.dst, lay.gateway_up(0)).any() or \
        set(graph.src[graph.dst == lay.gateway_up(0)]) <= set(outs.tolist())
    assert set(graph.dst[graph.src == lay.gateway_down(0)]) <= set(ins.tolist())
    # user a sees satellite 0 at zenith: an uplink of 550 km, 1.8346 ms
    k = np.flatnonzero((graph.src == lay.out_node(0)) & (graph.dst == 0))
    assert graph.length_km[k].tolist() == pytest.approx([550.0]) and graph.kind[k].tolist() == [t.UPLINK]
    assert graph.delay_ms[k][0] == pytest.approx(550.0 / 299_792.458 * 1e3)
    # fibre from a to its nearest gateway, 1 deg of longitude on the equator: 111.195 km
    k = np.flatnonzero((graph.src == lay.out_node(0)) & (graph.dst == lay.gateway_up(0)))
    assert graph.length_km[k][0] == pytest.approx(2 * math.pi * 6371.0088 / 360, rel=1e-9)
    assert graph.delay_ms[k][0] == pytest.approx(111.195 * 4.90e-3, abs=1e-5)


def test_visibility_with_a_maximum_length():
    """Hypatia's criterion: any satellite within a length, no elevation test. A satellite
    overhead at 550 km passes a 600 km cap and fails a 500 km one."""
    sat = np.array([[R + 550.0, 0.0, 0.0]])
    ground = t.GroundSet.from_latlon(["eq"], [0.0], [0.0])
    assert t.visible_pairs(ground, sat, 0.0, max_range_km=600.0)[1].tolist() == [0]
    assert t.visible_pairs(ground, sat, 0.0, max_range_km=500.0)[1].tolist() == []


def test_nearest_gateway():
    """Of gateways at longitudes 1 and 3 on the equator, a point at longitude 2.5 is nearest
    the second, 0.5 deg of arc away: 2 pi 6371.0088 / 720 = 55.597 km."""
    pts = t.GroundSet.from_latlon(["p"], [0.0], [2.5])
    gws = t.GroundSet.from_latlon(["g1", "g3"], [0.0, 0.0], [1.0, 3.0])
    k, d = t.nearest(pts, gws)
    assert k.tolist() == [1] and d[0] == pytest.approx(55.597, abs=1e-3)
