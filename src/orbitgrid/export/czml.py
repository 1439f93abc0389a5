"""The orbital fleet of a finished run as CZML, the time-tagged JSON scene format of Cesium.

A run folder keeps the scenario it ran; from it the satellites are rebuilt exactly as the
run built them (world/satellites.py: Walker shells, presets, formations, TLEs), propagated
with physics/orbits.py (or SGP4 for TLEs) over the run's horizon at `step_s`, turned to
the Earth-fixed frame (GMST rotation, `orbits.eci_to_ecef`) and written as CZML:

  document packet   name, version 1.0, a clock over the run (or `hours` of it)
  one per satellite `position`: cartesian samples [t, x, y, z, ...] in metres, ECEF
                    (referenceFrame FIXED), seconds after `epoch`, Lagrange degree 5;
                    `point` coloured by sunlight (time intervals); `path` one orbital
                    period behind and ahead; `availability`; a description (shell,
                    altitude, inclination, pool, GPUs)
  one per site      a point and a label at the site's latitude and longitude

Sunlight follows the run's own shadow model: the conical shadow of physics/sun.py
(`illumination_conical`); a satellite counts as sunlit while at least half of the sun's
disc is seen, and a colour changes midway between the last sample of one state and the
first of the other (`sun.eclipse_intervals`). Work is vectorised over satellites and time
in blocks of at most BLOCK_ELEMENTS samples, so memory stays flat for large fleets;
`iter_czml` yields packets one by one and `write_czml` streams them to disk.
"""

from __future__ import annotations

import html
import json
import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from orbitgrid.errors import InputError, Problem
from orbitgrid.physics import orbits, sun
from orbitgrid.results.run_scenario import files_dir, read_run_scenario
from orbitgrid.scenario import Scenario
from orbitgrid.yaml_lines import format_path
from orbitgrid.world.orbital import orbital_horizon_s

DEFAULT_STEP_S = 60.0
# Lagrange degree 5 spans six samples. Midway between samples at 550 km its error is
# about 2 mm at 60 s, 0.14 m at 120 s, 35 m at 300 s and 2 km at 600 s (tests/export).
MAX_STEP_S = 600.0
LAGRANGE_DEGREE = 5
CLOCK_MULTIPLIER = 60  # one minute of the run per second of playback
LIT_FRACTION = 0.5  # sunlit while at least half the sun's disc is seen
BLOCK_ELEMENTS = 1 << 20  # satellites x samples propagated at once (about 25 MB of float64 xyz)
POSITION_DECIMALS = 2  # metres to the centimetre
SUNLIT_RGBA = [255, 200, 40, 255]
SHADOW_RGBA = [80, 110, 190, 255]
PATH_RGBA = [255, 255, 255, 70]
SITE_RGBA = [40, 220, 120, 255]


@dataclass(frozen=True)
class RunFleet:
    """What the export needs of a run: its scenario, where its files were, its clock."""

    scenario: Scenario
    scenario_file: Path
    base_dirs: tuple[Path, ...]  # where relative paths (TLE files) are looked for, in order
    start: np.datetime64  # seconds, UTC
    horizon_s: float


def load_run_fleet(run_dir: Path) -> RunFleet:
    """The run's scenario read back (results/run_scenario.py); InputError (one line) when
    `run_dir` is not a complete run folder or its run has no orbital fleet."""
    back = read_run_scenario(Path(run_dir))
    scenario, path, lines, base_dirs = back.scenario, back.path, back.lines, back.base_dirs
    if not scenario.constellations:
        raise InputError([Problem(str(path), lines.line_of(("sites",)), "constellations",
                                  "this run has no orbital fleet: nothing to export to CZML",
                                  "CZML export needs a run of a scenario with `constellations`")])
    for k, con in enumerate(scenario.constellations):
        if con.tle is not None and not Path(con.tle.file).is_absolute() and \
                not any((d / con.tle.file).is_file() for d in base_dirs):
            key = ("constellations", k, "tle", "file")
            raise InputError([Problem(str(path), lines.line_of(key), format_path(key),
                                      f"TLE file {con.tle.file!r} not found beside the run or its scenario",
                                      "copy the TLE file into the run folder")])
    start = np.datetime64(scenario.simulation.start, "s")
    return RunFleet(scenario, path, base_dirs, start, orbital_horizon_s(scenario.simulation))


def sample_times_s(horizon_s: float, step_s: float) -> np.ndarray:
    """Sample times 0, step, 2 step, ... and the horizon itself, so the samples cover the clock."""
    t = np.arange(0.0, horizon_s, step_s)
    return t if t.size and math.isclose(t[-1], horizon_s) else np.append(t, horizon_s)


def iso_utc(start: np.datetime64, offsets_s: np.ndarray) -> list[str]:
    """ISO 8601 UTC strings of `start` + offsets (whole seconds, or milliseconds where needed)."""
    off = np.asarray(offsets_s, dtype=np.float64)
    whole = bool(np.all(off == np.round(off)))
    unit = "s" if whole else "ms"
    delta = np.round(off * (1 if whole else 1000)).astype(np.int64).astype(f"timedelta64[{unit}]")
    return [s + "Z" for s in np.datetime_as_string(start.astype(f"datetime64[{unit}]") + delta, unit=unit)]


def sunlit_intervals(t_s: np.ndarray, lit: np.ndarray) -> list[tuple[float, float, bool]]:
    """(from_s, to_s, sunlit) runs covering t_s[0]..t_s[-1] for one satellite, each change
    midway between samples (the convention of `sun.eclipse_intervals`)."""
    dark_from, dark_to = sun.eclipse_intervals(t_s, lit)
    edges = np.concatenate([[t_s[0]], np.column_stack([dark_from, dark_to]).ravel(), [t_s[-1]]])
    runs = [(float(a), float(b), k % 2 == 0) for k, (a, b) in enumerate(zip(edges[:-1], edges[1:]))]
    return [r for r in runs if r[1] > r[0]]


def _interval(start: np.datetime64, a_s: float, b_s: float) -> str:
    a, b = iso_utc(start, np.array([a_s, b_s]))
    return f"{a}/{b}"


def _table(rows: list[tuple[str, str]]) -> str:
    cells = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
    return f"<table>{cells}</table>"


def document_packet(fleet: RunFleet, end_s: float) -> dict:
    """The CZML document packet: a clock over the exported span of the run."""
    interval = _interval(fleet.start, 0.0, end_s)
    return {
        "id": "document", "name": fleet.scenario.name, "version": "1.0",
        "clock": {"interval": interval, "currentTime": iso_utc(fleet.start, np.array([0.0]))[0],
                  "multiplier": CLOCK_MULTIPLIER, "range": "LOOP_STOP", "step": "SYSTEM_CLOCK_MULTIPLIER"},
    }


def site_packets(scenario: Scenario) -> list[dict]:
    """One packet per ground site: a point and a label at its latitude and longitude."""
    packets = []
    for site in scenario.sites:
        pools = ", ".join(f"{p.count:,} {p.gpu} ({p.name})" for p in site.pools)
        packets.append({
            "id": f"site/{site.name}", "name": site.name,
            "description": _table([("site", site.name), ("power cap", f"{site.power_cap_mw:g} MW"),
                                   ("PUE", f"{site.pue:g}"), ("pools", pools)]),
            "position": {"cartographicDegrees": [float(site.location.lon_deg), float(site.location.lat_deg), 0.0]},
            "point": {"pixelSize": 10, "color": {"rgba": SITE_RGBA},
                      "outlineColor": {"rgba": [0, 0, 0, 255]}, "outlineWidth": 1},
            "label": {"text": site.name, "font": "12pt sans-serif", "horizontalOrigin": "LEFT",
                      "pixelOffset": {"cartesian2": [10, 0]}, "fillColor": {"rgba": [255, 255, 255, 255]}},
        })
    return packets


def _set_kind(con, k: int) -> str:
    if con.formation is not None:
        return f"formation of {con.formation.satellites} within {con.formation.radius_km:g} km"
    if con.tle is not None:
        return f"TLE {Path(con.tle.file).name}"
    return f"shell {k}" + (f" of {con.preset}" if con.preset else "")


def satellite_packets(fleet: RunFleet, t_s: np.ndarray, step_s: float) -> Iterator[dict]:
    """One packet per satellite of every constellation, in scenario order."""
    from orbitgrid.world.satellites import satellite_sets

    jd0 = float(orbits.julian_date(fleet.start))
    jd = jd0 + t_s / 86400.0
    r_sun = sun.sun_position_eci_km(jd)  # (T, 3), shared by every block
    block = max(1, BLOCK_ELEMENTS // t_s.size)
    for con in fleet.scenario.constellations:
        base = files_dir(con, fleet.base_dirs)
        for k, sats in enumerate(satellite_sets(con, jd0, base)):
            period_s = orbits.orbital_period_s(sats.altitude_km)
            for lo in range(0, sats.n_sat, block):
                idx = np.arange(lo, min(lo + block, sats.n_sat))
                r_eci, ok = sats.positions(jd0, t_s, idx)
                r_eci = np.asarray(r_eci, dtype=np.float64)
                lit = np.where(ok, sun.illumination_conical(r_eci, r_sun[None, :, :]), 0.0) >= LIT_FRACTION
                r_m = np.round(orbits.eci_to_ecef(r_eci, jd) * 1000.0, POSITION_DECIMALS)
                for j, i in enumerate(idx.tolist()):
                    yield _satellite_packet(fleet, con, k, sats, i, t_s[ok[j]], r_m[j][ok[j]], lit[j][ok[j]],
                                            float(period_s[i]), step_s)


def _satellite_packet(fleet, con, k, sats, i, t, r_m, lit, period_s, step_s) -> dict:
    pid = f"sat/{con.name}/{k}/{i}"
    if t.size == 0:  # SGP4 gave no position in the span (decayed): present but never shown
        return {"id": pid, "name": f"{con.name} {k}.{i}", "availability": _interval(fleet.start, 0.0, 0.0)}
    colour = [{"interval": _interval(fleet.start, a, b), "rgba": SUNLIT_RGBA if is_lit else SHADOW_RGBA}
              for a, b, is_lit in sunlit_intervals(t, lit)]
    samples = np.column_stack([t, r_m]).ravel().tolist()
    if np.all(t == np.round(t)):  # whole seconds written as integers: "60", not "60.0"
        samples[0::4] = t.astype(np.int64).tolist()
    pool = sats.group_labels[int(sats.group[i])]
    description = _table([
        ("constellation", con.name), ("shell", _set_kind(con, k)),
        ("altitude", f"{float(sats.altitude_km[i]):,.1f} km"), ("inclination", f"{float(sats.inclination_deg[i]):.2f}°"),
        ("pool", pool), ("GPUs", f"{con.satellite.gpus} {con.satellite.gpu}"), ("eclipse policy", con.eclipse_policy),
    ])
    return {
        "id": pid, "name": f"{con.name} {k}.{i}", "description": description,
        "availability": _interval(fleet.start, float(t[0]), float(t[-1])),
        "position": {"epoch": iso_utc(fleet.start, np.array([0.0]))[0], "referenceFrame": "FIXED",
                     "interpolationAlgorithm": "LAGRANGE", "interpolationDegree": LAGRANGE_DEGREE,
                     "cartesian": samples},
        "point": {"pixelSize": 5, "color": colour, "outlineColor": {"rgba": [0, 0, 0, 160]}, "outlineWidth": 1},
        "path": {"show": True, "leadTime": round(period_s, 1), "trailTime": round(period_s, 1),
                 "resolution": step_s, "width": 1, "material": {"solidColor": {"color": {"rgba": PATH_RGBA}}}},
    }


def check_span(fleet: RunFleet, step_s: float, hours: float | None) -> float:
    """The exported span in seconds; InputError for a step or span outside the run."""
    if not (0.0 < step_s <= MAX_STEP_S) or not math.isfinite(step_s):
        raise InputError([Problem("--step-s", None, "", f"{step_s:g} s is outside (0, {MAX_STEP_S:g}] s",
                                  "Lagrange interpolation of degree 5 needs samples well inside an orbit; 60 s is the default")])
    if hours is None:
        return fleet.horizon_s
    if not (0.0 < hours * 3600.0 <= fleet.horizon_s) or not math.isfinite(hours):
        raise InputError([Problem("--hours", None, "", f"{hours:g} h is outside the run's horizon (0, "
                                  f"{fleet.horizon_s / 3600.0:g}] h")])
    return hours * 3600.0


def iter_czml(run_dir: Path, step_s: float = DEFAULT_STEP_S, hours: float | None = None) -> Iterator[dict]:
    """The CZML packets of a run, one at a time: document, sites, then satellites. The run
    folder and the span are checked before the first packet is yielded."""
    fleet = load_run_fleet(Path(run_dir))
    end_s = check_span(fleet, float(step_s), hours)
    t_s = sample_times_s(end_s, float(step_s))

    def packets() -> Iterator[dict]:
        yield document_packet(fleet, end_s)
        yield from site_packets(fleet.scenario)
        yield from satellite_packets(fleet, t_s, float(step_s))

    return packets()


def build_czml(run_dir: Path, step_s: float = DEFAULT_STEP_S, hours: float | None = None) -> list[dict]:
    """The whole CZML document of a run as a list of packets (see `iter_czml` for large fleets)."""
    return list(iter_czml(run_dir, step_s, hours))


def default_out_path(run_dir: Path) -> Path:
    """`RUN_DIR.czml`, beside the run folder."""
    run_dir = Path(run_dir).resolve()
    return run_dir.with_name(run_dir.name + ".czml")


def write_czml(packets: Iterable[dict], out: Path) -> tuple[int, int]:
    """Stream packets as one compact JSON array to `out`, atomically (a hidden temporary
    file beside it, renamed at the end; removed on any failure). Returns (packets, bytes)."""
    out = Path(out)
    tmp = out.with_name(f".{out.name}.partial-{os.getpid()}")
    count = 0
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write("[")
            for packet in packets:
                if count:
                    f.write(",\n")
                f.write(json.dumps(packet, separators=(",", ":"), ensure_ascii=False, allow_nan=False))
                count += 1
            f.write("]\n")
        size = tmp.stat().st_size
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return count, size


def export_czml(run_dir: Path, out: Path | None = None, step_s: float = DEFAULT_STEP_S,
                hours: float | None = None) -> tuple[Path, int, int]:
    """Write a run's CZML to `out` (default `RUN_DIR.czml`); return (path, packets, bytes)."""
    packets = iter_czml(run_dir, step_s, hours)  # bad input raises here, before any file is made
    target = Path(out) if out is not None else default_out_path(run_dir)
    count, size = write_czml(packets, target)
    return target, count, size
