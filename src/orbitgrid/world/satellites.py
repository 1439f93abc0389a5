"""The satellites of a constellation: where each one is, and which pool it belongs to.

A constellation in a scenario is Walker shells (its own or a public filing's preset),
formation clusters, or real satellites from a TLE file. Each becomes one or more
`SatelliteSet`s: per-satellite altitude and inclination, the pool each satellite is in,
and a function giving ECI positions over a chunk of time, so that the capacity physics
(world/orbital.py) never needs to know which kind it is.

Formation clusters (Suncatcher-style, REFERENCE.md: 81 satellites within 1 km at 650 km
SSO): the satellites of a cluster sit on a disc of `radius_km` about the cluster's centre,
in a sunflower (Vogel) pattern: cross-track offsets y as a shift of the node
(ΔΩ = y / (a sin i)), which moves a satellite sideways by y cos u and along-track by
a ΔΩ cos i, and along-track offsets x as a shift of argument of latitude net of that
(Δu = x / a − ΔΩ cos i), so every satellite stays within its planned distance
√(x² + y² cos² u) ≤ √(x² + y²) of the centre all orbit. Same a and i keep the J2 drift identical, so the cluster holds
its shape in this model; the relative dynamics of a real formation (Hill–Clohessy–
Wiltshire, differential drag) and its station-keeping are not modelled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from orbitgrid.physics import orbits, tle
from orbitgrid.physics.constants import R_EARTH_KM
from orbitgrid.physics.sun import raan_for_ltan_rad
from orbitgrid.scenario import ConstellationSpec, ShellInput

LIGHT_US_PER_KM = 3.336  # light in vacuum (REFERENCE.md)
GOLDEN_ANGLE_RAD = math.pi * (3.0 - math.sqrt(5.0))

# (jd0, t_s, which satellites or None for all) -> (ECI positions (S, T, 3) km, valid (S, T) bool)
PositionFn = Callable[..., tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class SatelliteSet:
    """Satellites of one shell, formation or TLE file, each with the pool it is in."""

    altitude_km: np.ndarray  # (S,) mean altitude
    inclination_deg: np.ndarray  # (S,)
    group: np.ndarray  # (S,) int: pool index within this set
    group_labels: list[str]
    positions: PositionFn = field(repr=False)
    notes: dict[str, float] = field(default_factory=dict)
    # (jd0, t_s) -> unit orbit normals (S, T, 3), ECI: for arrays that track about it
    normals: PositionFn | None = field(default=None, repr=False)

    @property
    def n_sat(self) -> int:
        return int(self.altitude_km.shape[0])

    @property
    def n_groups(self) -> int:
        return len(self.group_labels)


def _circular(a_km, inc_rad, raan0_rad, u0_rad) -> PositionFn:
    def positions(jd0: float, t_s: np.ndarray, idx: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        sel = slice(None) if idx is None else idx
        r = orbits.propagate_circular_eci_km(a_km[sel], inc_rad[sel], raan0_rad[sel], u0_rad[sel], t_s, dtype=np.float64)
        return r, np.ones(r.shape[:2], dtype=bool)

    return positions


def _circular_normals(a_km, inc_rad, raan0_rad, u0_rad) -> PositionFn:
    def normals(jd0: float, t_s: np.ndarray) -> np.ndarray:
        raan, _ = orbits.secular_angles_rad(a_km, inc_rad, raan0_rad, u0_rad, t_s)
        return orbits.orbit_normal_eci(np.asarray(inc_rad)[:, None], raan)

    return normals


def _orbit_angles(orbit, jd0: float) -> tuple[float, float]:
    """(inclination deg, first node deg) of a shell or formation input at the run's start."""
    inc = float(orbits.sso_inclination_deg(orbit.altitude_km)) if orbit.sso else float(orbit.inclination_deg)
    raan0 = math.degrees(raan_for_ltan_rad(jd0, orbit.ltan_h)) if orbit.sso else float(orbit.raan0_deg)
    return inc, raan0


def walker_set(name: str, k: int, shell: ShellInput, jd0: float, pool_per: str) -> SatelliteSet:
    """One Walker shell, pooled per plane, per satellite or as one pool."""
    inc, raan0 = _orbit_angles(shell, jd0)
    w = orbits.walker_shell(shell.planes, shell.sats_per_plane, shell.phasing, inc, shell.altitude_km, raan0)
    if pool_per == "plane":
        group, labels = w.plane, [f"{name}/s{k}p{p}" for p in range(shell.planes)]
    elif pool_per == "satellite":
        group = np.arange(w.n_sat)
        labels = [f"{name}/s{k}p{p}n{s}" for p, s in zip(w.plane.tolist(), w.slot.tolist())]
    else:
        group, labels = np.zeros(w.n_sat, dtype=np.int64), [f"{name}/s{k}"]
    return SatelliteSet(
        np.full(w.n_sat, shell.altitude_km), np.full(w.n_sat, inc), np.asarray(group, dtype=np.int64), labels,
        _circular(w.a_km, w.inclination_rad, w.raan0_rad, w.u0_rad),
        normals=_circular_normals(w.a_km, w.inclination_rad, w.raan0_rad, w.u0_rad),
    )


def formation_offsets_km(n: int, radius_km: float) -> tuple[np.ndarray, np.ndarray]:
    """(along-track, cross-track) offsets of n satellites spread evenly over a disc of
    `radius_km` (Vogel's sunflower: r_j = R √((j + ½) / n), θ_j = j × golden angle)."""
    j = np.arange(n)
    rho = radius_km * np.sqrt((j + 0.5) / n)
    theta = j * GOLDEN_ANGLE_RAD
    return rho * np.cos(theta), rho * np.sin(theta)


def formation_set(name: str, con: ConstellationSpec, jd0: float) -> SatelliteSet:
    """Formation clusters, their centres evenly spaced along one orbit."""
    f = con.formation
    inc_deg, raan0_deg = _orbit_angles(f, jd0)
    a = R_EARTH_KM + f.altitude_km
    along, cross = formation_offsets_km(f.satellites, f.radius_km)
    sin_i = math.sin(math.radians(inc_deg))
    if abs(sin_i) < 1e-6:  # equatorial: no node to shift; put the cross-track offsets along-track
        along, cross = np.hypot(along, cross) * np.sign(along + (along == 0)), np.zeros_like(cross)
        sin_i = 1.0
    centre_u = np.arange(f.clusters) * (2.0 * np.pi / f.clusters)
    d_raan = cross / (a * sin_i)
    # a node shift also moves a satellite along-track by a ΔΩ cos i: taken back out of Δu
    d_u = along / a - d_raan * math.cos(math.radians(inc_deg))
    u0 = (centre_u[:, None] + d_u[None, :]).ravel()
    raan = (math.radians(raan0_deg) + np.broadcast_to(d_raan, (f.clusters, f.satellites))).ravel()
    n = f.clusters * f.satellites
    cluster = np.repeat(np.arange(f.clusters), f.satellites)
    if con.pools_by == "satellite":
        group = np.arange(n)
        labels = [f"{name}/c{c}n{j}" for c in range(f.clusters) for j in range(f.satellites)]
    else:
        group, labels = cluster, [f"{name}/c{c}" for c in range(f.clusters)]
    diameter_km = 2.0 * float(np.hypot(along, cross).max())
    notes = {"formation_max_baseline_km": diameter_km, "formation_light_time_us": diameter_km * LIGHT_US_PER_KM}
    if f.link_gbps is not None:
        notes["formation_link_gbps"] = float(f.link_gbps)
    elements = (np.full(n, a), np.full(n, math.radians(inc_deg)), np.mod(raan, 2 * np.pi), np.mod(u0, 2 * np.pi))
    return SatelliteSet(
        np.full(n, f.altitude_km), np.full(n, inc_deg), group.astype(np.int64), labels,
        _circular(*elements), notes, _circular_normals(*elements),
    )


def tle_set(name: str, con: ConstellationSpec, base_dir: Path) -> SatelliteSet:
    """Real satellites from a TLE file, propagated with SGP4 (TEME, taken as the ECI frame:
    at 2026 it differs from J2000 by about 0.36° of precession, nothing to sunlight)."""
    spec = con.tle
    path = Path(spec.file) if Path(spec.file).is_absolute() else base_dir / spec.file
    names, _, sats = tle.read_tle_file(path)
    keep = [i for i, n in enumerate(names) if spec.name_prefix is None or n.startswith(spec.name_prefix)]
    if spec.limit is not None:
        keep = keep[: spec.limit]
    if not keep:
        from orbitgrid.errors import InputError, Problem

        raise InputError([Problem(str(path), None, "tle.name_prefix", f"no satellite name starts with {spec.name_prefix!r}")])
    sats = [sats[i] for i in keep]
    names = [names[i] for i in keep]
    arr = tle.SatrecArray(sats)
    a_km, inc_rad, _, _ = tle.mean_elements_for_circular(sats)
    n = len(sats)
    if con.pools_by == "satellite":
        group, labels = np.arange(n), [f"{name}/{sat_name}" for sat_name in names]
    else:
        group, labels = np.zeros(n, dtype=np.int64), [name]

    def positions(jd0: float, t_s: np.ndarray, idx: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        whole, frac = tle.split_jd(np.full(t_s.shape, jd0), t_s / 86400.0)
        some = arr if idx is None else tle.SatrecArray([sats[i] for i in np.asarray(idx).tolist()])
        r, err = tle.propagate_tles_teme_km(some, whole, frac)
        ok = (err == 0) & np.isfinite(r).all(axis=-1)
        return np.where(ok[..., None], r, np.nan), ok

    def normals(jd0: float, t_s: np.ndarray) -> np.ndarray:  # h = r × v from SGP4's state
        whole, frac = tle.split_jd(np.full(t_s.shape, jd0), t_s / 86400.0)
        r, v, _ = tle.propagate_tles_teme(arr, whole, frac)
        h = np.cross(r, v)
        return h / np.linalg.norm(h, axis=-1, keepdims=True)

    return SatelliteSet(a_km - R_EARTH_KM, np.degrees(inc_rad), group.astype(np.int64), labels, positions,
                        normals=normals)


def satellite_sets(con: ConstellationSpec, jd0: float, base_dir: Path) -> list[SatelliteSet]:
    """Every satellite set of one constellation of the scenario."""
    from orbitgrid.catalog.constellations import load_constellation_presets

    if con.formation is not None:
        return [formation_set(con.name, con, jd0)]
    if con.tle is not None:
        return [tle_set(con.name, con, base_dir)]
    shells = [con.shell] if con.shell is not None else [
        ShellInput(altitude_km=p.altitude_km, inclination_deg=p.inclination_deg, planes=p.planes,
                   sats_per_plane=p.sats_per_plane, phasing=p.phasing)
        for p in load_constellation_presets()[con.preset].shells
    ]
    return [walker_set(con.name, k, sh, jd0, con.pools_by) for k, sh in enumerate(shells)]
