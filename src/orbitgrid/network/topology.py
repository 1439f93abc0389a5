"""Who can talk to whom at one instant: laser links between satellites, radio links from
the ground to satellites above a minimum elevation, and fibre on the ground. The result
is a directed graph (``Graph``) whose edge weights are one-way delays in ms.

Everything is vectorised over satellites and ground points; callers step over time.
Satellite positions come from ``physics.orbits`` (Earth-fixed, km); this module never
propagates orbits itself.

Node layout of ``snapshot_graph`` (``Layout``): satellites ``0..N-1``, then each gateway
twice, an *up* node (fibre in, uplinks out) and a *down* node (downlinks in, fibre out),
then each endpoint twice, an *out* node (edges leave it) and an *in* node (edges only
enter it). So no path passes *through* a user's city or a compute site, and no path
bounces satellite-gateway-satellite: as in Hypatia's runs with laser links, ground
stations do not relay between satellites. A gateway joins the ground to the sky.

Rates (``rate_gbps`` per edge) ride along for capacity models; routing uses delay only.
Defaults (REFERENCE.md, as reported for Starlink): laser links about 100 Gbps; a V2 Mini
satellite about 96 Gbps down and 6.7 Gbps up.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from orbitgrid.network.geometry import fibre_delay_ms, great_circle_km, ground_ecef_km, local_up, vacuum_delay_ms

# Minimum elevation of a ground-to-satellite link, deg, per constellation, as Hypatia
# uses them (Kassing et al., "Exploring the 'Internet from space' with Hypatia", IMC
# 2020, sec. 4: 25 deg Starlink, 30 deg Kuiper, 10 deg Telesat, after the FCC filings;
# REFERENCE.md).
MIN_ELEVATION_DEG = {"starlink": 25.0, "kuiper": 30.0, "telesat": 10.0}
DEFAULT_MIN_ELEVATION_DEG = MIN_ELEVATION_DEG["starlink"]

ISL_RATE_GBPS = 100.0  # Starlink laser link, about 100 Gbps each (REFERENCE.md, as reported)
DOWNLINK_RATE_GBPS = 96.0  # Starlink V2 Mini, per satellite (REFERENCE.md, as reported)
UPLINK_RATE_GBPS = 6.7  # same
FIBRE_RATE_GBPS = float("inf")  # terrestrial fibre is not the bottleneck in this model

# edge kinds
ISL, UPLINK, DOWNLINK, FIBRE = 0, 1, 2, 3
KIND_NAMES = {ISL: "isl", UPLINK: "up", DOWNLINK: "down", FIBRE: "fibre"}


# --- inter-satellite links -------------------------------------------------------------


def plus_grid_isls(planes: int, sats_per_plane: int, isl_shift: int = 0) -> np.ndarray:
    """Undirected laser links (E, 2) of the +Grid pattern over satellites indexed
    ``plane * sats_per_plane + slot`` (``physics.orbits.walker_shell``'s order): each
    satellite links to the next in its plane and to the satellite of slot
    ``slot + isl_shift`` in the next plane, wrapping round both (Hypatia's
    ``generate_plus_grid_isls``; Kassing et al. 2020, sec. 4). Four links per satellite;
    self-links and repeats (tiny shells) are dropped. Sorted, each pair once, (low, high)."""
    if planes <= 0 or sats_per_plane <= 0:
        raise ValueError(f"a shell needs planes and satellites per plane > 0, got {planes} x {sats_per_plane}")
    p, s = np.divmod(np.arange(planes * sats_per_plane), sats_per_plane)
    a = p * sats_per_plane + s
    intra = p * sats_per_plane + (s + 1) % sats_per_plane
    inter = ((p + 1) % planes) * sats_per_plane + (s + isl_shift) % sats_per_plane
    e = np.concatenate([np.stack([a, intra], 1), np.stack([a, inter], 1)])
    e = np.sort(e, axis=1)
    e = e[e[:, 0] != e[:, 1]]
    return np.unique(e, axis=0)


def range_isls(sat_km: np.ndarray, max_length_km: float) -> np.ndarray:
    """Undirected links (E, 2) between every pair of satellites at most ``max_length_km``
    apart (e.g. ``geometry.max_isl_length_km``: the beam then stays above 80 km for
    satellites of one shell). ``sat_km`` is (N, 3); cost is N² distances."""
    r = np.asarray(sat_km, dtype=np.float64)
    d2 = np.sum(r**2, 1)[:, None] + np.sum(r**2, 1)[None, :] - 2.0 * (r @ r.T)
    i, j = np.nonzero(np.triu(d2 <= max_length_km**2, k=1))
    return np.stack([i, j], 1)


def link_lengths_km(sat_km: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Lengths of links ``edges`` (E, 2) between satellites at ``sat_km`` (N, ..., 3):
    (E, ...), e.g. (E, n_time) for positions (N, n_time, 3). Frame-free."""
    d = sat_km[edges[:, 0]] - sat_km[edges[:, 1]]
    return np.sqrt(np.sum(np.asarray(d, dtype=np.float64) ** 2, axis=-1))


# --- ground to satellite --------------------------------------------------------------


@dataclass(frozen=True)
class GroundSet:
    """Ground points: names, geodetic coordinates, WGS-84 Earth-fixed positions and
    local verticals."""

    names: tuple[str, ...]
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    ecef_km: np.ndarray
    up: np.ndarray

    @classmethod
    def from_latlon(cls, names, lat_deg, lon_deg) -> "GroundSet":
        lat = np.atleast_1d(np.asarray(lat_deg, dtype=np.float64))
        lon = np.atleast_1d(np.asarray(lon_deg, dtype=np.float64))
        return cls(tuple(names), lat, lon, ground_ecef_km(lat, lon, 0.0), local_up(lat, lon))

    def __len__(self) -> int:
        return len(self.names)

    @cached_property
    def min_radius_km(self) -> float:
        return float(np.linalg.norm(self.ecef_km, axis=1).min())

    @cached_property
    def unit_t(self) -> np.ndarray:
        """Unit position vectors as a (3, G) float32 array, for ``visible_pairs``'s screen."""
        u = self.ecef_km / np.linalg.norm(self.ecef_km, axis=1)[:, None]
        return np.ascontiguousarray(u.T, dtype=np.float32)


def visible_pairs(
    ground: GroundSet, sat_ecef_km: np.ndarray, min_elevation_deg: float, max_range_km: float | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ground index, satellite index, range km) of every ground point / satellite pair
    with the satellite at or above ``min_elevation_deg``: (r_sat - r_gs) · up >=
    sin(e_min) |r_sat - r_gs| (``geometry.elevation_deg``'s test), sorted by satellite.

    Only pairs passing a cheap screen get the exact test: on a sphere a satellite at radius
    r is above elevation e from a point at radius R' iff their Earth-central angle is at
    most lambda = acos(R' cos e / r) - e (SMAD 3rd ed., sec. 5.2); the screen takes the
    largest r, the smallest R' and half a degree more (the geodetic vertical leans up to
    0.19 deg from the radius), so it never drops a visible pair. One (N, 3) x (3, G)
    product of unit vectors does the screen. ``max_range_km`` adds a cap on the distance
    (Hypatia's criterion: a maximum ground-to-satellite length, with no elevation test)."""
    sat = np.asarray(sat_ecef_km, dtype=np.float64)
    gs, up = ground.ecef_km, ground.up
    if len(gs) == 0 or len(sat) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    r_sat = np.linalg.norm(sat, axis=1)
    e = np.radians(min_elevation_deg)
    ratio = min(1.0, ground.min_radius_km * np.cos(e) / float(r_sat.max()))
    lam = np.arccos(ratio) - e + np.radians(0.5)
    if max_range_km is not None:  # law of cosines: the central angle at which the range is max_range_km
        rs, rg = float(r_sat.max()), ground.min_radius_km
        cos_lam = (rs**2 + rg**2 - max_range_km**2) / (2.0 * rs * rg)
        lam = min(lam, np.arccos(np.clip(cos_lam, -1.0, 1.0)) + np.radians(0.5))
    cos_screen = np.cos(min(lam, np.pi))
    # the screen in float32 (its 0.5 deg margin dwarfs rounding), then flat indices
    cosines = (sat / r_sat[:, None]).astype(np.float32) @ ground.unit_t
    flat = np.flatnonzero(cosines >= np.float32(cos_screen))
    s_idx, g_idx = np.divmod(flat, len(gs))
    d = sat[s_idx] - gs[g_idx]
    rng = np.linalg.norm(d, axis=1)
    ok = np.einsum("ij,ij->i", d, up[g_idx]) >= np.sin(e) * rng
    if max_range_km is not None:
        ok &= rng <= max_range_km
    return g_idx[ok], s_idx[ok], rng[ok]


# --- the graph of one instant -------------------------------------------------------------


@dataclass(frozen=True)
class Graph:
    """A directed graph: edge k goes from ``src[k]`` to ``dst[k]`` with one-way delay
    ``delay_ms[k]``, physical length ``length_km[k]`` (fibre: the route, not the great
    circle), kind (ISL, UPLINK, DOWNLINK, FIBRE) and rate."""

    n_nodes: int
    src: np.ndarray
    dst: np.ndarray
    delay_ms: np.ndarray
    length_km: np.ndarray
    kind: np.ndarray
    rate_gbps: np.ndarray

    @property
    def n_edges(self) -> int:
        return int(self.src.shape[0])


class _Edges:
    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, ...]] = []

    def add(self, src, dst, length_km, delay_ms, kind: int, rate: float, both: bool) -> None:
        src, dst = np.asarray(src, dtype=np.int64), np.asarray(dst, dtype=np.int64)
        length_km, delay_ms = np.asarray(length_km, dtype=np.float64), np.asarray(delay_ms, dtype=np.float64)
        n = src.shape[0]
        self.parts.append((src, dst, length_km, delay_ms, np.full(n, kind, np.int8), np.full(n, rate)))
        if both:
            back = {UPLINK: DOWNLINK, DOWNLINK: UPLINK}.get(kind, kind)
            self.parts.append((dst, src, length_km, delay_ms, np.full(n, back, np.int8), np.full(n, rate)))

    def graph(self, n_nodes: int) -> Graph:
        cols = [np.concatenate([p[k] for p in self.parts]) if self.parts else np.zeros(0) for k in range(6)]
        return Graph(n_nodes, cols[0].astype(np.int64), cols[1].astype(np.int64), cols[3], cols[2],
                     cols[4].astype(np.int8), cols[5])


@dataclass(frozen=True)
class Layout:
    """Node numbering of ``snapshot_graph``."""

    n_sat: int
    n_gateways: int
    n_endpoints: int

    def gateway_up(self, gateway):
        return self.n_sat + np.asarray(gateway)

    def gateway_down(self, gateway):
        return self.n_sat + self.n_gateways + np.asarray(gateway)

    def out_node(self, endpoint):
        return self.n_sat + 2 * self.n_gateways + np.asarray(endpoint)

    def in_node(self, endpoint):
        return self.n_sat + 2 * self.n_gateways + self.n_endpoints + np.asarray(endpoint)

    @property
    def n_nodes(self) -> int:
        return self.n_sat + 2 * self.n_gateways + 2 * self.n_endpoints


def nearest(ground: GroundSet, to: GroundSet) -> tuple[np.ndarray, np.ndarray]:
    """(index into ``to``, great-circle km) of the nearest point of ``to`` for each point of
    ``ground``: a (G, K) table of distances, fine for thousands by hundreds."""
    d = great_circle_km(ground.lat_deg[:, None], ground.lon_deg[:, None], to.lat_deg[None, :], to.lon_deg[None, :])
    k = np.argmin(d, axis=1)
    return k, d[np.arange(len(ground)), k]


def snapshot_graph(
    sat_ecef_km: np.ndarray,
    isls: np.ndarray,
    endpoints: GroundSet,
    gateways: GroundSet | None = None,
    *,
    min_elevation_deg: float = DEFAULT_MIN_ELEVATION_DEG,
    gateway_min_elevation_deg: float | None = None,
    max_gsl_km: float | None = None,
    user_terminals: bool = True,
    gateway_access: bool = True,
    fibre_pairs: np.ndarray | None = None,
    route_factor: float = 1.0,
    nearest_gateway: tuple[np.ndarray, np.ndarray] | None = None,
    isl_rate_gbps: float = ISL_RATE_GBPS,
    uplink_rate_gbps: float = UPLINK_RATE_GBPS,
    downlink_rate_gbps: float = DOWNLINK_RATE_GBPS,
) -> tuple[Graph, Layout]:
    """The network at one instant.

    * laser links ``isls`` (E, 2) between satellites at ``sat_ecef_km`` (N, 3), both ways;
    * with ``user_terminals``, each endpoint's own terminal up to, and down from, every
      satellite at or above ``min_elevation_deg`` (and, if given, at most ``max_gsl_km``
      away: Hypatia's criterion, with ``min_elevation_deg=0``);
    * gateways up and down to satellites above ``gateway_min_elevation_deg`` (default the
      same; a gateway does not relay from one satellite to another) and, with ``gateway_access``, each endpoint joined by fibre to its nearest
      gateway (great circle x ``route_factor``; ``nearest_gateway`` may pass it in,
      as computed by ``nearest``, to save recomputing it every tick);
    * fibre between endpoints ``fibre_pairs`` (F, 2), both ways.
    """
    sat = np.asarray(sat_ecef_km, dtype=np.float64)
    n_sat, n_gw = sat.shape[0], 0 if gateways is None else len(gateways)
    lay = Layout(n_sat, n_gw, len(endpoints))
    e = _Edges()
    if len(isls):
        lengths = link_lengths_km(sat, isls)
        e.add(isls[:, 0], isls[:, 1], lengths, vacuum_delay_ms(lengths), ISL, isl_rate_gbps, both=True)
    if user_terminals and n_sat:
        g, s, rng = visible_pairs(endpoints, sat, min_elevation_deg, max_gsl_km)
        delay = vacuum_delay_ms(rng)
        e.add(lay.out_node(g), s, rng, delay, UPLINK, uplink_rate_gbps, both=False)
        e.add(s, lay.in_node(g), rng, delay, DOWNLINK, downlink_rate_gbps, both=False)
    if n_gw:
        el = min_elevation_deg if gateway_min_elevation_deg is None else gateway_min_elevation_deg
        g, s, rng = visible_pairs(gateways, sat, el, max_gsl_km)
        delay = vacuum_delay_ms(rng)
        e.add(lay.gateway_up(g), s, rng, delay, UPLINK, uplink_rate_gbps, both=False)
        e.add(s, lay.gateway_down(g), rng, delay, DOWNLINK, downlink_rate_gbps, both=False)
        if gateway_access and len(endpoints):
            k, gc = nearest_gateway if nearest_gateway is not None else nearest(endpoints, gateways)
            idx = np.arange(len(endpoints))
            length = gc * route_factor
            delay = fibre_delay_ms(gc, route_factor)
            e.add(lay.out_node(idx), lay.gateway_up(k), length, delay, FIBRE, FIBRE_RATE_GBPS, both=False)
            e.add(lay.gateway_down(k), lay.in_node(idx), length, delay, FIBRE, FIBRE_RATE_GBPS, both=False)
    if fibre_pairs is not None and len(fibre_pairs):
        a, b = np.asarray(fibre_pairs)[:, 0], np.asarray(fibre_pairs)[:, 1]
        gc = great_circle_km(endpoints.lat_deg[a], endpoints.lon_deg[a], endpoints.lat_deg[b], endpoints.lon_deg[b])
        length, delay = gc * route_factor, fibre_delay_ms(gc, route_factor)
        e.add(lay.out_node(a), lay.in_node(b), length, delay, FIBRE, FIBRE_RATE_GBPS, both=False)
        e.add(lay.out_node(b), lay.in_node(a), length, delay, FIBRE, FIBRE_RATE_GBPS, both=False)
    return e.graph(lay.n_nodes), lay
