"""Validation against Hypatia's published routes and round-trip times.

Source: snkas/hypatia (MIT), the data of Kassing et al., "Exploring the 'Internet from space'
with Hypatia", IMC 2020: ``satgenpy/tests/data_to_match/kuiper_630/networkx_rtt_*.txt`` and
``networkx_path_*.txt``, the paths and RTTs Hypatia computed over its Kuiper-630 shell
(34 x 34, 51.9 deg, 14.80 rev/day, +Grid, isl_shift 0) for the cities of its top-100 list,
node 1173 = Manila, 1229 = Sankt-Peterburg, 1241 = Dalian (ids offset by the 1,156 satellites).

The shell is rebuilt from Hypatia's TLEs (``satgenpy/tests/test_end_to_end_kuiper.py``): epoch
2000-01-01 00:00 UTC, plane p at RAAN 360 p / 34, satellite s at mean anomaly 360 s / 34 plus
half a slot in odd planes (Hypatia's PHASE_DIFF), e = 0, a from the mean motion. A ground
station reaches any satellite within Hypatia's maximum ground-to-satellite length,
sqrt(h^2 + (h / tan 30 deg)^2) = 1,260.0 km at h = 630 km (``main_kuiper_630.py``), with no
elevation test; satellites only relay (free_one_only_over_isls). Hypatia propagates with SGP4,
we with secular J2 (no short-period terms, kilometres in LEO), so path switches may come a
second or two apart; on the same path the RTTs agree within 0.07 ms (0.2%).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from orbitgrid.network import geometry, routing, topology
from orbitgrid.physics import orbits

P = S = 34
MU = 398600.4418
A_KM = (MU / (14.80 * 2 * math.pi / 86400.0) ** 2) ** (1 / 3)  # 7007.46 km: 629.3 km up
MAX_GSL_KM = math.hypot(630.0, 630.0 / math.tan(math.radians(30.0)))  # 1260.0 km
CITIES = {1173: ("Manila", 14.6042, 120.9822), 1229: ("Sankt-Peterburg", 59.929858, 30.326228),
          1241: ("Dalian", 38.913811, 121.602322)}

# (from, to, t s) -> (Hypatia's RTT ms, Hypatia's path of satellites), read from the files above
PUBLISHED = {
    (1173, 1241, 0.0): (29.4231, [184, 183, 217]),
    (1173, 1241, 10.0): (29.1539, [184, 183, 217]),
    (1173, 1241, 20.0): (25.3187, [218, 217]),
    (1173, 1241, 50.0): (41.1858, [648, 649, 650, 616]),
    (1173, 1241, 100.0): (42.7766, [218, 217, 216, 250]),
    (1173, 1229, 0.0): (76.8460, [184, 183, 182, 181, 180, 179, 178, 144]),
    (1173, 1229, 20.0): (75.1169, [184, 183, 182, 181, 180, 179, 178, 177]),
    (1173, 1229, 50.0): (73.8390, [184, 183, 182, 181, 180, 179, 178, 177]),
}


def _hypatia_shell_ecef(planes: int, per_plane: int, a_km: float, inclination_deg: float, t_s: float) -> np.ndarray:
    """Earth-fixed satellites of a Hypatia shell at t_s from its epoch 2000-01-01: planes
    evenly in RAAN, odd planes shifted half a slot (Hypatia's phasing, not a Walker F)."""
    p, s = np.divmod(np.arange(planes * per_plane), per_plane)
    raan = np.radians(360.0 * p / planes)
    u0 = np.radians(360.0 * s / per_plane + (p % 2) * 180.0 / per_plane)
    n = planes * per_plane
    r = orbits.propagate_circular_eci_km(np.full(n, a_km), np.full(n, np.radians(inclination_deg)), raan, u0,
                                         np.array([t_s]), dtype=np.float64)[:, 0, :]
    return orbits.eci_to_ecef(r, orbits.julian_date(np.datetime64("2000-01-01T00:00:00")) + t_s / 86400.0)


def _hypatia_kuiper_ecef(t_s: float) -> np.ndarray:
    return _hypatia_shell_ecef(P, S, A_KM, 51.9, t_s)


@pytest.mark.parametrize("t_s", sorted({k[2] for k in PUBLISHED}))
def test_kuiper_routes_and_rtts_match_hypatia(t_s):
    """Same satellites hop for hop, RTT within 0.1 ms, at every published instant checked."""
    ids = sorted(CITIES)
    ends = topology.GroundSet.from_latlon([CITIES[i][0] for i in ids], [CITIES[i][1] for i in ids],
                                          [CITIES[i][2] for i in ids])
    graph, lay = topology.snapshot_graph(_hypatia_kuiper_ecef(t_s), topology.plus_grid_isls(P, S), ends,
                                         min_elevation_deg=0.0, max_gsl_km=MAX_GSL_KM)
    compiled = routing.compile_graph(graph)
    for (a, b, t), (rtt_ms, sats) in PUBLISHED.items():
        if t != t_s:
            continue
        route = routing.route(compiled, int(lay.out_node(ids.index(a))), int(lay.in_node(ids.index(b))))
        assert route.nodes[1:-1] == sats, (a, b, t)
        assert 2 * route.one_way_ms == pytest.approx(rtt_ms, abs=0.1), (a, b, t)


# --- Starlink S1, constellation-wide (Fig. 6 of the paper) ---------------------------------------
# Hypatia's top-100 cities, in the order of its file
# (paper/satellite_networks_state/input_data/ground_stations_cities_sorted_by_estimated_2025_pop_top_100.basic.txt):
# (latitude, longitude) in degrees.
TOP_100 = (
    (35.6895, 139.69171), (28.66667, 77.21667), (31.22222, 121.45806), (-23.5475, -46.63611),
    (19.073975, 72.880838), (19.427318, -99.141869), (39.9075, 116.39723), (34.675834, 135.553823),
    (30.039173, 31.239411), (40.717042, -74.003663), (23.7104, 90.40744), (24.9056, 67.0822),
    (-34.605083, -58.400368), (22.533455, 88.356045), (41.0138, 28.9497), (29.56278, 106.55278),
    (6.45306, 3.39583), (14.6042, 120.9822), (-22.90278, -43.2075), (23.125457, 113.257374),
    (34.031656, -118.241716), (55.754996, 37.621849), (-4.32758, 15.31357), (39.108842, 117.18862),
    (48.85341, 2.3488), (22.541487, 114.063427), (-6.211831, 106.841646), (51.50853, -0.12574),
    (12.97194, 77.59369), (-12.04318, -77.02824), (13.053091, 80.24875), (37.56826, 126.97783),
    (4.60971, -74.08175), (35.18147, 136.90641), (-26.20227, 28.04363), (13.721964, 100.525248),
    (17.37528, 78.47444), (41.85003, -87.65005), (31.5497222, 74.3436111), (35.69439, 51.42151),
    (30.58333, 114.26667), (30.66667, 104.06667), (23.02116, 113.741411), (32.048183, 118.789812),
    (23.03333, 72.61667), (22.279588, 114.188697), (10.75, 106.66667), (23.022778, 113.119953),
    (3.1412, 101.68653), (33.34058, 44.40088), (-33.45694, -70.64827), (30.29365, 120.16142),
    (24.690466, 46.709566), (41.79222, 123.43278), (40.4165, -3.70256), (34.289413, 108.940242),
    (43.70011, -79.4163), (25.789097, -80.204044), (18.516057, 73.861578), (-19.92083, -43.93778),
    (32.72541, -97.32085), (21.16667, 72.83333), (29.7601927, -95.3693896), (1.28967, 103.85007),
    (39.95234, -75.16379), (33.6064, 130.4181), (-8.83682, 13.23432), (31.302068, 120.585259),
    (45.756325, 126.646688), (41.38879, 2.15899), (33.76, -84.4), (15.55177, 32.53241),
    (-6.82349, 39.26951), (59.929858, 30.326228), (38.89511, -77.03637), (5.345339, -4.026789),
    (20.66667, -103.33333), (16.80528, 96.15611), (31.192471, 29.904596), (39.91987, 32.85427),
    (34.528887, 69.17246), (36.09861, 120.37194), (22.33306, 91.83639), (25.66667, -100.31667),
    (-33.86785, 151.20732), (38.913811, 121.602322), (24.47979, 118.08187), (34.75778, 113.64861),
    (42.347919, -71.06453), (-37.814, 144.96332), (-15.77972, -47.92972), (21.51694, 39.21917),
    (33.449454, -112.074743), (36.676721, 116.997142), (45.50884, -73.58781), (23.36814, 116.71479),
    (-1.28333, 36.81667), (6.25184, -75.56359), (-3.74117, -38.543575), (25.03889, 102.71833),
)
SL_P, SL_S = 72, 22
SL_A_KM = (MU / (15.19 * 2 * math.pi / 86400.0) ** 2) ** (1 / 3)  # 6887.0 km: 508.9 km up, not 550
SL_MAX_GSL_KM = math.hypot(940.7, 550.0)  # 1089.7 km: Hypatia's 940.7 km cone radius at 550 km
HYPATIA_GEODESIC_RADIUS_KM = 6378.135  # satgen.distance_tools: geopy great_circle, WGS-72 radius


def _hypatia_starlink_ecef(t_s: float) -> np.ndarray:
    return _hypatia_shell_ecef(SL_P, SL_S, SL_A_KM, 53.0, t_s)


def test_starlink_max_rtt_within_twice_geodesic_for_most_pairs():
    """Hypatia's Starlink S1 statement, checked on the same shell and cities.

    Source: Kassing et al., IMC 2020, section "A constellation-wide view", subsection "RTTs and
    variations therein", the text on Fig. 6 (shells S1, K1, T1; the 100 most populous cities as
    ground stations; all pairs): "For all three constellations, more than 80% of connections see a
    maximum RTT less than 2x the geodesic", the geodesic RTT being the round trip at c along the
    great circle. Read from the copy of the paper's text at
    https://blog.bxhu2004.com/sci/Networks/hypatia/view (the stored copies of the PDF gave only the
    abstract and introduction). That is the only Starlink number read: a lower bound, so this
    checks one side.

    Shell as Hypatia builds it (``paper/satellite_networks_state/main_starlink_550.py``): 72 x 22,
    53 deg, mean motion 15.19 rev/day (so 508.9 km up, not the nominal 550 km), RAAN 360 p / 72,
    mean anomaly 360 s / 22 plus half a slot in odd planes, +Grid with no shift, a ground station
    reaching any satellite within sqrt(940.7^2 + 550^2) = 1,089.7 km, epoch 2000-01-01, 200 s;
    geodesic on Hypatia's sphere of 6,378.135 km. Every 100 ms over the 200 s (as Hypatia's
    analysis), 4,015 of the 4,950 pairs (81.1%) stay under 2x; this test samples every 5 s to stay
    fast, which can only lower a pair's maximum, so it passes a little more easily (4,040, 81.6%).
    It fails if the delays, the visibility rule or the laser grid go wrong enough to move a few
    dozen pairs across 2x: +Grid with a shift of 1 gives 58.5%, the nominal 25 deg elevation
    instead of Hypatia's 1,089.7 km gives 78.1%.
    """
    lat, lon = np.array(TOP_100).T
    ends = topology.GroundSet.from_latlon([f"c{i}" for i in range(len(lat))], lat, lon)
    isls = topology.plus_grid_isls(SL_P, SL_S)
    max_rtt = np.zeros((len(lat), len(lat)))
    for t_s in np.arange(0.0, 200.0 + 1e-9, 5.0):
        graph, lay = topology.snapshot_graph(_hypatia_starlink_ecef(t_s), isls, ends,
                                             min_elevation_deg=0.0, max_gsl_km=SL_MAX_GSL_KM)
        outs = [int(lay.out_node(i)) for i in range(len(lat))]
        ins = [int(lay.in_node(i)) for i in range(len(lat))]
        dist, _ = routing.shortest_paths(routing.compile_graph(graph), outs)
        max_rtt = np.maximum(max_rtt, 2.0 * dist[:, ins])
    gc_km = geometry.great_circle_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :],
                                     radius_km=HYPATIA_GEODESIC_RADIUS_KM)
    iu = np.triu_indices(len(lat), 1)
    ratio = max_rtt[iu] / (2.0 * geometry.vacuum_delay_ms(gc_km)[iu])
    assert np.all(np.isfinite(ratio))
    assert np.mean(ratio < 2.0) > 0.80
