"""On-site solar for a terrestrial site: a clear-sky capacity factor from the sun's position,
or an hourly capacity-factor profile read from CSV.

Clear sky: global horizontal irradiance from Haurwitz's model (B. Haurwitz, "Insolation in
relation to cloudiness and cloud density", J. Meteorology 2, 154-166, 1945; the form used
by pvlib.clearsky.haurwitz and recommended among zenith-only models by Reno, Hansen & Stein,
"Global horizontal irradiance clear sky models", Sandia SAND2012-2389):

    GHI = 1098 W/m^2 x cos z x exp(-0.059 / cos z)   for cos z > 0, else 0

divided by the 1000 W/m^2 of standard test conditions (IEC 61215) and times a derate for
system losses. The sun's zenith z comes from the Astronomical Almanac's low-precision solar
coordinates (`physics.sun.sun_direction_eci`, 0.01 deg) turned to the site by the local
mean sidereal time (GMST, IAU 1982, `physics.orbits.gmst_rad`, plus east longitude;
Vallado 4th ed., ch. 3). Refraction is ignored (it lifts the sun about 0.5 deg at the
horizon, where GHI is near zero).

Profile: `Datetime (UTC),Capacity factor`, one row per hour, values in [0, 1], e.g. NREL
PVWatts' hourly AC output divided by the DC nameplate, or renewables.ninja's `electricity`
column for a 1 kW system, with UTC times written as `YYYY-MM-DD HH:MM:SS`.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from orbitgrid.errors import InputError, Problem
from orbitgrid.grid.series import HourlySeries, _hourly, _need, _numbers, _read, _utc_seconds
from orbitgrid.physics.orbits import gmst_rad
from orbitgrid.physics.sun import sun_direction_eci

# Haurwitz (1945) clear-sky GHI coefficients, W/m^2 and dimensionless (as in pvlib.clearsky.haurwitz).
HAURWITZ_A_W_M2 = 1098.0
HAURWITZ_B = 0.059
# Standard test conditions irradiance, W/m^2 (IEC 61215 / IEC 60904-3): the rating of a PV module.
STC_IRRADIANCE_W_M2 = 1000.0
# System losses x inverter: PVWatts v5 defaults, 14% system losses and 96% nominal inverter
# efficiency (A. Dobos, "PVWatts Version 5 Manual", NREL/TP-6A20-62641, 2014): 0.86 x 0.96.
DEFAULT_DERATE = (1.0 - 0.14) * 0.96
# Julian date of the Unix epoch, 1970-01-01 00:00 UTC (Astronomical Almanac).
UNIX_EPOCH_JD = 2_440_587.5
DAY_S = 86_400.0
# Longest spacing of the sub-samples that average the capacity factor within a step, s.
SAMPLE_S = 600.0

CF_COLUMNS = ("Datetime (UTC)", "Capacity factor")


def cos_solar_zenith(lat_deg: float, lon_deg: float, epoch_s: np.ndarray) -> np.ndarray:
    """cos of the sun's zenith angle at a site (geodetic latitude, east longitude, degrees)
    at UTC times `epoch_s` (s since 1970); negative when the sun is below the horizon.

    The local vertical is the geodetic normal (cos phi cos lambda, cos phi sin lambda,
    sin phi) in the Earth-fixed frame; the sun's direction is turned there by GMST, so
    cos z = cos phi (s_x cos theta + s_y sin theta) + sin phi s_z with theta = GMST +
    lambda the local sidereal time (Vallado 4th ed., ch. 3)."""
    t = np.asarray(epoch_s, dtype=np.float64)
    jd = UNIX_EPOCH_JD + t / DAY_S
    s = sun_direction_eci(jd)
    theta = gmst_rad(jd) + math.radians(lon_deg)
    phi = math.radians(lat_deg)
    return math.cos(phi) * (s[..., 0] * np.cos(theta) + s[..., 1] * np.sin(theta)) + math.sin(phi) * s[..., 2]


def haurwitz_ghi_w_m2(cos_zenith: np.ndarray) -> np.ndarray:
    """Clear-sky global horizontal irradiance, W/m^2, Haurwitz (1945):
    1098 cos z exp(-0.059 / cos z) for cos z > 0, zero with the sun down."""
    c = np.asarray(cos_zenith, dtype=np.float64)
    up = c > 0.0
    safe = np.where(up, c, 1.0)
    return np.where(up, HAURWITZ_A_W_M2 * safe * np.exp(-HAURWITZ_B / safe), 0.0)


def clear_sky_capacity_factor(lat_deg: float, lon_deg: float, start_epoch_s: np.ndarray, width_s: np.ndarray,
                              derate: float = DEFAULT_DERATE, sample_s: float = SAMPLE_S) -> np.ndarray:
    """Mean capacity factor (output / DC nameplate) of a fixed horizontal PV array over each
    step [start, start + width), under a cloudless sky: Haurwitz GHI / 1000 W/m^2 x `derate`.

    An upper bound on the weather: no clouds, no soiling events, no snow; it also leaves out
    cell heating (about -0.4 %/K above 25 C), so real output is lower. It is not an upper
    bound on geometry: a tilted or tracking array collects more than a horizontal one.
    Each step is averaged over sub-steps no longer than `sample_s` (midpoint rule)."""
    if not 0.0 <= derate <= 1.0:
        raise ValueError(f"derate must be within [0, 1], got {derate}")
    start = np.atleast_1d(np.asarray(start_epoch_s, dtype=np.float64))
    width = np.broadcast_to(np.asarray(width_s, dtype=np.float64), start.shape)
    if start.size == 0:
        return np.zeros(0)
    if np.any(width <= 0):
        raise ValueError("step widths must be positive")
    n = np.maximum(1, np.ceil(width / sample_s - 1e-9)).astype(np.int64)  # sub-samples per step
    step = np.repeat(np.arange(start.size), n)
    first = np.cumsum(n) - n
    j = np.arange(step.size) - np.repeat(first, n)  # sub-sample index within its step
    t = start[step] + (j + 0.5) * (width / n)[step]
    cf = haurwitz_ghi_w_m2(cos_solar_zenith(lat_deg, lon_deg, t)) / STC_IRRADIANCE_W_M2 * derate
    return np.bincount(step, weights=cf, minlength=start.size) / n


def read_capacity_factor(path: Path, display_name: str | None = None) -> HourlySeries:
    """An hourly solar capacity-factor profile (`Datetime (UTC),Capacity factor`, values in
    [0, 1]); a bad row gives FILE:LINE: column: message."""
    name = display_name or str(path)
    table = _read(path, name)
    _need(table, CF_COLUMNS, name)
    start = _utc_seconds(table.column(CF_COLUMNS[0]), name, CF_COLUMNS[0])
    _hourly(start, name, CF_COLUMNS[0])
    values = _numbers(table.column(CF_COLUMNS[1]), name, CF_COLUMNS[1])
    bad = np.flatnonzero((values < 0.0) | (values > 1.0))
    if bad.size:
        raise InputError([Problem(name, int(bad[0]) + 2, CF_COLUMNS[1],
                                  f"capacity factor {values[bad[0]]:g} is outside [0, 1]")])
    return HourlySeries(Path(name).stem, "solar_capacity_factor", start, values)
