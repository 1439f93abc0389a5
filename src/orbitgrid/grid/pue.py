"""PUE that follows the outside temperature: an hourly temperature file and a user-given
PUE-versus-temperature curve.

Why it varies: below some outside temperature a site cools for free (air- or water-side
economiser, fans and pumps only); above it chillers run, and compressor work grows with
the outside dry- or wet-bulb temperature, so PUE rises through the day and the summer.
Lei & Masanet, "Statistical analysis for predicting location-specific data center PUE and
its improvement potential", Energy 201 (2020) 117556, model this from climate and plant
parameters and reproduce the seasonal PUE reported by 17 Google and Facebook sites. No
single published curve fits every plant (economiser type, set points and UPS losses move
it), so the curve here is the user's: points (temperature_c, pue), interpolated linearly.

Temperature file: `Datetime (UTC),Temperature (C)`, one row per hour (e.g. an export of
NOAA ISD or ERA5 2 m air temperature), times in UTC only, so daylight saving never enters.
A bad row gives `FILE:LINE: column: message`, as for the price and carbon files.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from orbitgrid.errors import InputError, Problem
from orbitgrid.grid.series import HourlySeries, _hourly, _need, _numbers, _read, _utc_seconds

TEMPERATURE_COLUMNS = ("Datetime (UTC)", "Temperature (C)")
# Bounds just outside the records: −89.2 °C (Vostok, 1983) and 56.7 °C (Death Valley, 1913),
# WMO Archive of Weather and Climate Extremes. A value beyond them is a unit or column error.
MIN_TEMPERATURE_C = -90.0
MAX_TEMPERATURE_C = 60.0


def read_temperature(path: Path, display_name: str | None = None) -> HourlySeries:
    """An hourly outside-air temperature file (°C, UTC times) as a series; the zone is the
    file name up to its first underscore (`phoenix_2024_temperature.csv` -> `phoenix`)."""
    name = display_name or str(path)
    table = _read(Path(path), name)
    _need(table, TEMPERATURE_COLUMNS, name)
    time_col, temp_col = TEMPERATURE_COLUMNS
    start = _utc_seconds(table.column(time_col), name, time_col)
    _hourly(start, name, time_col)
    values = _numbers(table.column(temp_col), name, temp_col)
    bad = np.flatnonzero((values < MIN_TEMPERATURE_C) | (values > MAX_TEMPERATURE_C))
    if bad.size:
        i = int(bad[0])
        raise InputError([Problem(name, i + 2, temp_col,
                                  f"{values[i]:g} °C is outside {MIN_TEMPERATURE_C:g}..{MAX_TEMPERATURE_C:g} °C",
                                  "temperatures are in degrees Celsius")])
    zone = Path(name).stem.split("_")[0]
    return HourlySeries(zone, "temperature_c", start, values)


def pue_at_temperature(temperature_c: np.ndarray | float,
                       points: Sequence[tuple[float, float]]) -> np.ndarray:
    """PUE at each outside temperature: linear between the user's (temperature_c, pue)
    points (sorted by temperature), held at the end values outside them (np.interp).
    Raises ValueError for no points, unsorted or repeated temperatures, or a PUE below 1
    (PUE = facility / IT power, The Green Grid WP#49, cannot be under 1)."""
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[0] == 0 or pts.shape[1] != 2:
        raise ValueError("points must be a non-empty list of (temperature_c, pue) pairs")
    t_c, pue = pts[:, 0], pts[:, 1]
    if not (np.all(np.isfinite(pts)) and np.all(np.diff(t_c) > 0)):
        raise ValueError(f"point temperatures must be finite and strictly increasing, got {t_c.tolist()}")
    if np.any(pue < 1.0):
        raise ValueError(f"PUE cannot be below 1, got {pue.tolist()}")
    return np.interp(np.asarray(temperature_c, dtype=np.float64), t_c, pue)
