"""A run's satellites at one moment: sub-satellite points, sunlit or in shadow, a ground track
per orbit plane, the terminator and the sub-solar point, for the dashboard's world map and globe.

Nothing here is new physics: positions come from the run's own satellite sets
(world/satellites.py: Walker shells and formations by circular J2 propagation, TLEs by
SGP4), the Sun from physics/sun.py, Earth rotation and geodetic coordinates from
physics/orbits.py, and the shadow test is the conical one world/orbital.py uses. A satellite
counts as sunlit when it sees at least half the solar disc. The terminator is the great
circle 90 degrees from the sub-solar point (no refraction, spherical Earth).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from orbitgrid.errors import InputError, Problem
from orbitgrid.physics import orbits, sun

TRACK_STEP_S = 60.0  # ground-track sampling
TRACKS_PER_SET = 3  # ground tracks drawn per satellite set (evenly spread satellites)
TERMINATOR_POINTS = 181
SUNLIT_FRACTION = 0.5  # of the solar disc seen


@dataclass(frozen=True)
class Fleet:
    """A run's satellite sets and the clock they are propagated on."""

    jd0: float
    start: np.datetime64
    duration_h: float
    tick_h: float
    sets: list[tuple[str, object]]  # (constellation name, SatelliteSet)


_cache: dict[Path, Fleet] = {}
_lock = threading.Lock()


def fleet_of(run_dir: Path) -> Fleet | None:
    """The run's satellites (cached per run folder), or None when it has no constellation."""
    from orbitgrid.results.run_scenario import files_dir, read_run_scenario
    from orbitgrid.world.satellites import satellite_sets

    key = run_dir.resolve()
    with _lock:
        if key in _cache:
            return _cache[key]
    back = read_run_scenario(run_dir)
    sc = back.scenario
    if not sc.constellations:
        return None
    start = np.datetime64(sc.simulation.start, "s")
    jd0 = float(orbits.julian_date(start))
    sets = [(c.name, s) for c in sc.constellations for s in satellite_sets(c, jd0, files_dir(c, back.base_dirs))]
    fleet = Fleet(jd0, start, float(sc.simulation.duration_h), float(sc.simulation.tick_s) / 3600.0, sets)
    with _lock:
        _cache[key] = fleet
    return fleet


def _lat_lon(r_eci_km: np.ndarray, jd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lat, lon, _ = orbits.ecef_to_geodetic_deg(orbits.eci_to_ecef(r_eci_km, jd))
    return lat, lon


def _with_breaks(lat: np.ndarray, lon: np.ndarray) -> tuple[list, list]:
    """A track as lists with None where it crosses the antimeridian, so no line spans the map."""
    jump = np.abs(np.diff(lon)) > 180.0
    out_lat, out_lon = [], []
    for i in range(lat.size):
        out_lat.append(round(float(lat[i]), 3))
        out_lon.append(round(float(lon[i]), 3))
        if i < jump.size and jump[i]:
            out_lat.append(None)
            out_lon.append(None)
    return out_lat, out_lon


def terminator(sub_lat_deg: float, sub_lon_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Points 90 degrees of arc from the sub-solar point, ordered by bearing (lat, lon in deg)."""
    phi = math.radians(sub_lat_deg)
    bearing = np.linspace(0.0, 2.0 * np.pi, TERMINATOR_POINTS)
    lat = np.arcsin(np.cos(phi) * np.cos(bearing))
    lon = math.radians(sub_lon_deg) + np.arctan2(np.sin(bearing) * np.cos(phi), -np.sin(phi) * np.sin(lat))
    return np.degrees(lat), (np.degrees(lon) + 180.0) % 360.0 - 180.0


def snapshot(run_dir: Path, t_h: float) -> dict[str, object]:
    """Where every satellite of the run is at `t_h` hours after the start, and what is lit.

    InputError when the run has no constellation or `t_h` is outside the run."""
    fleet = fleet_of(run_dir)
    if fleet is None:
        raise InputError([Problem(run_dir.name, None, "constellations", "this run has no orbital fleet")])
    if not (math.isfinite(t_h) and 0.0 <= t_h <= fleet.duration_h):
        raise InputError([Problem(run_dir.name, None, "t_h", f"must be between 0 and {fleet.duration_h:g} h, got {t_h}")])
    t_s = np.array([t_h * 3600.0])
    jd = fleet.jd0 + t_s / 86400.0
    r_sun = sun.sun_position_eci_km(jd)  # (1, 3)
    lit_lat, lit_lon, dark_lat, dark_lon, lit_name, dark_name = [], [], [], [], [], []
    track_lat: list = []
    track_lon: list = []
    for name, sats in fleet.sets:
        r, ok = sats.positions(fleet.jd0, t_s)  # (S, 1, 3)
        r, ok = r[:, 0, :], ok[:, 0]
        nu = sun.illumination_conical(r, r_sun)
        lat, lon = _lat_lon(r, jd[0])
        lit = nu >= SUNLIT_FRACTION
        for mask, la, lo, names in ((ok & lit, lit_lat, lit_lon, lit_name), (ok & ~lit, dark_lat, dark_lon, dark_name)):
            la += np.round(lat[mask], 3).tolist()
            lo += np.round(lon[mask], 3).tolist()
            names += [name] * int(mask.sum())
        if sats.n_sat:  # one orbit ahead for a few evenly spread satellites
            idx = np.unique(np.linspace(0, sats.n_sat - 1, min(TRACKS_PER_SET, sats.n_sat)).astype(np.int64))
            period_s = float(orbits.orbital_period_s(float(np.max(sats.altitude_km[idx]))))
            tt = t_s[0] + np.arange(0.0, period_s + TRACK_STEP_S, TRACK_STEP_S)
            rt, okt = sats.positions(fleet.jd0, tt, idx)
            tlat, tlon = _lat_lon(rt, fleet.jd0 + tt / 86400.0)
            for k in range(idx.size):
                la, lo = _with_breaks(tlat[k][okt[k]], tlon[k][okt[k]])
                track_lat += la + [None]
                track_lon += lo + [None]
    sub_lat, sub_lon = _lat_lon(r_sun, jd)
    term_lat, term_lon = terminator(float(sub_lat[0]), float(sub_lon[0]))
    tl, tn = _with_breaks(term_lat, term_lon)
    when = fleet.start + np.timedelta64(int(round(t_h * 3600.0)), "s")
    return {
        "t_h": t_h,
        "time_utc": str(when) + "Z",
        "duration_h": fleet.duration_h,
        "step_h": fleet.tick_h,
        "sunlit": {"lat": lit_lat, "lon": lit_lon, "constellation": lit_name},
        "in_shadow": {"lat": dark_lat, "lon": dark_lon, "constellation": dark_name},
        "tracks": {"lat": track_lat, "lon": track_lon},
        "terminator": {"lat": tl, "lon": tn},
        "subsolar": {"lat": round(float(sub_lat[0]), 3), "lon": round(float(sub_lon[0]), 3)},
    }
