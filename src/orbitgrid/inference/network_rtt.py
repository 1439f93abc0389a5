"""Round-trip network time from each city to each placement, per network tick.

* A terrestrial placement (a site): fibre both ways, 2 x great circle x route factor x
  4.90 us/km (``network.geometry.fibre_delay_ms``); the same at every tick.
* An orbital placement (replicas on satellites of one Walker shell): at each tick the shell
  is placed (``physics.orbits``, secular J2, Earth-fixed by GMST), joined by +Grid laser
  links, and each city reaches it by its own user terminal (any satellite at or above the
  minimum elevation; ``network.topology.snapshot_graph``). One Dijkstra with
  ``min_only=True`` from all replica satellites (``network.routing.nearest_source``) gives,
  for every city, the one-way delay to the nearest replica and which one it is; a second
  from the sunlit replicas only (cylindrical shadow, ``physics.sun``) serves the
  sun-following policy. RTT = 2 x one way (the links are symmetric). Per tick, not per
  request: a request uses the tick it arrives in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orbitgrid.network import geometry, routing, topology
from orbitgrid.physics import orbits, sun


@dataclass(frozen=True)
class ShellGeometry:
    planes: int
    sats_per_plane: int
    phasing: int
    inclination_deg: float
    altitude_km: float
    raan0_deg: float
    min_elevation_deg: float


@dataclass
class OrbitalRtt:
    rtt_ms: np.ndarray  # (ticks, cities) to the nearest replica satellite (inf: none visible)
    replica: np.ndarray  # (ticks, cities) index of that replica (0..R-1), -1 for none
    rtt_sunlit_ms: np.ndarray  # same, sunlit replicas only
    replica_sunlit: np.ndarray
    sunlit: np.ndarray  # (ticks, R) bool
    sat_index: np.ndarray  # (R,) satellite of each replica
    snapshot_latlon: np.ndarray  # (N, 2) every satellite at tick 0, for the report map
    isls: np.ndarray  # (E, 2) laser links


def terrestrial_rtt_ms(city_lat, city_lon, site_lat: float, site_lon: float, route_factor: float) -> np.ndarray:
    gc = geometry.great_circle_km(np.asarray(city_lat), np.asarray(city_lon), site_lat, site_lon)
    return 2.0 * geometry.fibre_delay_ms(gc, route_factor)


def replica_satellites(n_sat: int, n_replicas: int) -> np.ndarray:
    """Replicas spread evenly over the shell's satellites (every n_sat / R-th, by index)."""
    return np.unique(np.floor(np.arange(n_replicas) * (n_sat / n_replicas)).astype(np.int64))


def orbital_rtt(shell: ShellGeometry, n_replicas: int, cities: topology.GroundSet, tick_s: float, n_ticks: int,
                start: np.datetime64, serving: np.ndarray | None = None) -> OrbitalRtt:
    """``serving`` (n_ticks,): replicas serving at each tick when moves change their number
    (None: all ``n_replicas``); at a tick with c of them, the c serving are spread evenly
    over the ``n_replicas`` replica satellites (``replica_satellites(n_replicas, c)``)."""
    w = orbits.walker_shell(shell.planes, shell.sats_per_plane, shell.phasing, shell.inclination_deg,
                            shell.altitude_km, shell.raan0_deg)
    isls = topology.plus_grid_isls(shell.planes, shell.sats_per_plane)
    reps = replica_satellites(w.n_sat, n_replicas)
    t_s = np.arange(n_ticks) * tick_s
    r_eci = orbits.propagate_circular_eci_km(w.a_km, w.inclination_rad, w.raan0_rad, w.u0_rad, t_s, dtype=np.float64)
    times = start + (t_s * 1e6).astype("timedelta64[us]")
    jd = orbits.julian_date(times)
    sun_dir = sun.sun_direction_eci(jd)  # (T, 3)
    lit = ~sun.in_shadow_cylindrical(r_eci[reps], sun_dir[None, :, :]).T  # (T, R)
    n_c = len(cities)
    rtt = np.full((n_ticks, n_c), np.inf)
    rep = np.full((n_ticks, n_c), -1, dtype=np.int64)
    rtt_l = np.full((n_ticks, n_c), np.inf)
    rep_l = np.full((n_ticks, n_c), -1, dtype=np.int64)
    where = np.full(w.n_sat, -1, dtype=np.int64)
    where[reps] = np.arange(reps.size)
    snap = None
    for k in range(n_ticks):
        ecef = orbits.eci_to_ecef(r_eci[:, k, :], jd[k])
        if k == 0:
            lat, lon, _ = orbits.ecef_to_geodetic_deg(ecef)
            snap = np.stack([lat, lon], 1)
        graph, lay = topology.snapshot_graph(ecef, isls, cities, None, min_elevation_deg=shell.min_elevation_deg)
        c = routing.compile_graph(graph)
        ins = lay.in_node(np.arange(n_c))
        on = np.ones(reps.size, dtype=bool)
        if serving is not None and serving[k] < reps.size:
            on[:] = False
            on[replica_satellites(reps.size, int(serving[k]))] = True
        if on.any():
            dist, origin = routing.nearest_source(c, reps[on])
            rtt[k] = 2.0 * dist[ins]
            rep[k] = np.where(origin[ins] >= 0, where[np.maximum(origin[ins], 0)], -1)
        sl = reps[lit[k] & on]
        if sl.size == int(on.sum()):
            rtt_l[k], rep_l[k] = rtt[k], rep[k]
        elif sl.size:
            dist, origin = routing.nearest_source(c, sl)
            rtt_l[k] = 2.0 * dist[ins]
            rep_l[k] = np.where(origin[ins] >= 0, where[np.maximum(origin[ins], 0)], -1)
    return OrbitalRtt(rtt, rep, rtt_l, rep_l, lit, reps, snap, isls)
