"""Link geometry and delay against values derived by hand (derivations in the docstrings)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from orbitgrid.network import geometry as g

C = 299_792.458  # km/s, exact (SI)
R = 6378.137  # WGS-84 equatorial radius, km


def test_quarter_meridian_and_equator():
    """On a sphere of radius R the equator-to-pole arc and a quarter of the equator are
    both pi R / 2: with the IUGG mean radius 6371.0088 km, 10,007.557 km."""
    assert g.great_circle_km(0.0, 0.0, 90.0, 0.0) == pytest.approx(math.pi / 2 * 6371.0088, rel=1e-12)
    assert g.great_circle_km(0.0, 0.0, 0.0, 90.0) == pytest.approx(10_007.557, abs=1e-3)
    assert g.great_circle_km(10.0, 20.0, 10.0, 20.0) == 0.0
    # antipodes: pi R
    assert g.great_circle_km(30.0, 40.0, -30.0, -140.0) == pytest.approx(math.pi * 6371.0088, rel=1e-9)


def test_new_york_london_fibre_latency():
    """New York (40.717042 N, 74.003663 W) to London (51.50853 N, 0.12574 W), the coordinates
    of Hypatia's city list. Spherical law of cosines, by hand:
    cos c = sin 40.717 sin 51.509 + cos 40.717 cos 51.509 cos 73.8779 (the longitudes differ by
    74.003663 - 0.12574 = 73.877923 deg), c = 0.87425 rad, times 6371.0088 km = 5,569.9 km (published great-circle
    figures for the two cities are about 5,570 km). Fibre at 4.90 us/km: 27.29 ms one way on
    the great circle; a route factor of 1.5 makes it 40.94 ms."""
    d = g.great_circle_km(40.717042, -74.003663, 51.50853, -0.12574)
    p1, p2, dl = math.radians(40.717042), math.radians(51.50853), math.radians(74.003663 - 0.12574)
    c = math.acos(math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl))
    assert d == pytest.approx(c * 6371.0088, rel=1e-9)
    assert d == pytest.approx(5569.9, abs=0.1)
    assert g.fibre_delay_ms(d) == pytest.approx(27.29, abs=0.01)
    assert g.fibre_delay_ms(d, route_factor=1.5) == pytest.approx(40.94, abs=0.01)
    with pytest.raises(ValueError):
        g.fibre_delay_ms(d, route_factor=0.9)


def test_delays_per_km():
    """1,000 km of vacuum: 1000 / 299,792.458 s = 3.33564 ms (REFERENCE.md: 3.336 us/km);
    1,000 km of fibre: 4.90 ms (REFERENCE.md, n about 1.468)."""
    assert g.vacuum_delay_ms(1000.0) == pytest.approx(3.335641, abs=1e-6)
    assert g.fibre_delay_ms(1000.0) == pytest.approx(4.90, abs=1e-12)
    assert g.FIBRE_US_PER_KM / g.VACUUM_US_PER_KM == pytest.approx(1.469, abs=1e-3)


def test_slant_range_and_delay_at_elevation():
    """550 km, R = 6378.137 km. Zenith: d = h = 550 km, 1.8346 ms one way. At 25 deg:
    R cos 25 = 5780.555, (R + h)^2 = 6928.137^2 = 47,999,082, minus 5780.555^2 = 33,414,819
    leaves 14,584,264, root 3818.935; R sin 25 = 2695.517; d = 1123.418 km, 3.7473 ms.
    Horizon (0 deg): sqrt(6928.137^2 - 6378.137^2) = sqrt(7,318,450) = 2705.26 km."""
    assert g.slant_range_km(90.0, 550.0) == pytest.approx(550.0, abs=1e-9)
    assert g.vacuum_delay_ms(g.slant_range_km(90.0, 550.0)) == pytest.approx(550.0 / C * 1e3, rel=1e-12)
    d25 = g.slant_range_km(25.0, 550.0)
    assert d25 == pytest.approx(1123.418, abs=0.001)
    assert g.vacuum_delay_ms(d25) == pytest.approx(3.7473, abs=1e-4)
    assert g.slant_range_km(0.0, 550.0) == pytest.approx(2705.26, abs=0.01)


def test_bent_pipe_round_trip_at_zenith():
    """A user terminal and a gateway side by side with the satellite overhead at 550 km: a
    request goes up and down (1,100 km) and the answer comes back the same way: 2,200 km
    of vacuum, 2200 / 299,792.458 s = 7.3384 ms round trip."""
    one_way = g.vacuum_delay_ms(2 * g.slant_range_km(90.0, 550.0))
    assert 2 * one_way == pytest.approx(7.3384, abs=1e-4)


def test_max_isl_length():
    """The beam may not dip below 80 km: L = 2 sqrt((R + h)^2 - (R + 80)^2). At 550 km:
    6928.137^2 - 6458.137^2 = 47,999,082 - 41,707,534 = 6,291,549, root 2508.30, L = 5016.6
    km (Hypatia quotes 5,016 km for its Starlink shell with R = 6378.135 km). At 630 km
    (Kuiper): sqrt(7008.137^2 - 6458.137^2) = sqrt(7,406,450) = 2721.48, L = 5442.96 km."""
    assert g.max_isl_length_km(550.0) == pytest.approx(5016.59, abs=0.01)
    assert g.max_isl_length_km(550.0, earth_radius_km=6378.135) == pytest.approx(5016.6, abs=0.1)
    assert g.max_isl_length_km(630.0) == pytest.approx(5442.96, abs=0.01)
    # a link grazing exactly at 80 km has its midpoint there
    r = R + 550.0
    half = g.max_isl_length_km(550.0) / 2
    assert math.sqrt(r**2 - half**2) == pytest.approx(R + 80.0, rel=1e-12)


def test_ground_positions_on_the_ellipsoid():
    """WGS-84: on the equator at longitude 0 the point is (a, 0, 0) = (6378.137, 0, 0); at
    the north pole (0, 0, b), b = a (1 - f) = 6356.752 km. The local vertical there is x
    and z."""
    np.testing.assert_allclose(g.ground_ecef_km(0.0, 0.0), [R, 0.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(g.ground_ecef_km(90.0, 0.0), [0.0, 0.0, 6356.752314], atol=1e-6)
    np.testing.assert_allclose(g.local_up(0.0, 0.0), [1.0, 0.0, 0.0], atol=1e-15)
    np.testing.assert_allclose(g.local_up(90.0, 123.0), [0.0, 0.0, 1.0], atol=1e-15)
    np.testing.assert_allclose(g.local_up(0.0, 90.0), [0.0, 1.0, 0.0], atol=1e-15)


@pytest.mark.parametrize("elev", [5.0, 25.0, 40.0, 89.0])
def test_elevation_of_a_satellite_placed_by_hand(elev):
    """A station on the equator at longitude 0 and a satellite at 550 km in the equatorial
    plane, an Earth-central angle theta east of it, with theta = 90 - e - asin(R cos e / (R + h))
    (the Earth-centre / station / satellite triangle, SMAD sec. 5.2): the elevation must come
    out as e and the distance as the slant range."""
    e = math.radians(elev)
    theta = math.pi / 2 - e - math.asin(R * math.cos(e) / (R + 550.0))
    sat = (R + 550.0) * np.array([math.cos(theta), math.sin(theta), 0.0])
    gs, up = g.ground_ecef_km(0.0, 0.0), g.local_up(0.0, 0.0)
    assert g.elevation_deg(gs, up, sat) == pytest.approx(elev, abs=1e-9)
    assert np.linalg.norm(sat - gs) == pytest.approx(g.slant_range_km(elev, 550.0), abs=1e-6)
