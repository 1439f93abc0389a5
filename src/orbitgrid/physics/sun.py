"""The Sun as seen from Earth orbit: where it is, how bright it is, and when a satellite is
in Earth's shadow.

Pure, vectorised functions of numpy arrays. Positions are geocentric and in the mean
equator and equinox of date (MOD); for our purposes that is the same frame as ECI/TEME
(they differ by nutation, a few arc-seconds, well under the 0.01 deg accuracy of the solar
coordinates used here). Angles are radians unless a name ends in `_deg`.

Formulas: Astronomical Almanac low-precision solar coordinates (also Vallado, Fundamentals
of Astrodynamics and Applications, Algorithm 29); beta angle, critical beta and the
cylindrical eclipse fraction from Vallado and SMAD ch. 5 (see shared REFERENCE.md); the
conical shadow model from Montenbruck & Gill, Satellite Orbits (2000), sec. 3.4.2.
"""

from __future__ import annotations

import math

import numpy as np

from orbitgrid.physics.constants import AU_KM, R_EARTH_KM, R_SUN_KM, SOLAR_CONSTANT_W_M2  # noqa: E402
from orbitgrid.physics.constants import J2000_JD as JD_J2000  # noqa: E402
from orbitgrid.physics.orbits import orbit_normal_eci as _orbit_normal  # noqa: E402

# the Julian century, Astronomical Almanac
DAYS_PER_JULIAN_CENTURY = 36_525.0


def _sun_ecliptic(jd: np.ndarray | float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ecliptic longitude rad, obliquity rad, distance AU) of the Sun, Almanac low precision.

    Coefficients as in Vallado Algorithm 29 (the Almanac's per-day rates written per
    Julian century): mean longitude, mean anomaly, equation of centre, obliquity, distance.
    """
    t = (np.asarray(jd, dtype=np.float64) - JD_J2000) / DAYS_PER_JULIAN_CENTURY
    mean_lon_deg = 280.460 + 36_000.771 * t
    mean_anom_rad = np.deg2rad(357.529_109_2 + 35_999.050_34 * t)
    ecl_lon_deg = mean_lon_deg + 1.914_666_471 * np.sin(mean_anom_rad) + 0.019_994_643 * np.sin(2.0 * mean_anom_rad)
    obliquity_deg = 23.439_291 - 0.013_004_2 * t
    dist_au = 1.000_140_612 - 0.016_708_617 * np.cos(mean_anom_rad) - 0.000_139_589 * np.cos(2.0 * mean_anom_rad)
    return np.deg2rad(np.mod(ecl_lon_deg, 360.0)), np.deg2rad(obliquity_deg), dist_au


def sun_direction_eci(jd: np.ndarray | float) -> np.ndarray:
    """Unit vector from Earth's centre to the Sun, shape jd.shape + (3,).

    Astronomical Almanac low-precision formula (Vallado Algorithm 29): good to 0.01 deg
    between 1950 and 2050 per the Almanac. `jd` is a Julian date (UTC/UT1 is fine; the
    ~70 s to TT moves the Sun by 0.0008 deg). Frame: mean equator of date, taken as ECI.
    """
    lon, eps, _ = _sun_ecliptic(jd)
    return np.stack([np.cos(lon), np.cos(eps) * np.sin(lon), np.sin(eps) * np.sin(lon)], axis=-1)


def sun_position_eci_km(jd: np.ndarray | float) -> np.ndarray:
    """Geocentric position of the Sun in km, shape jd.shape + (3,).

    Direction as in `sun_direction_eci` (0.01 deg, 1950-2050), distance from the Almanac's
    series in AU (about 1e-5 AU, a few thousand km) times the IAU 2012 astronomical unit.
    """
    lon, eps, dist_au = _sun_ecliptic(jd)
    r_km = dist_au * AU_KM
    return np.stack(
        [r_km * np.cos(lon), r_km * np.cos(eps) * np.sin(lon), r_km * np.sin(eps) * np.sin(lon)], axis=-1
    )


def solar_irradiance_w_m2(jd: np.ndarray | float) -> np.ndarray:
    """Solar irradiance near Earth in W/m^2: 1361 x (1 AU / r)^2 (Kopp & Lean 2011).

    The inverse square of the Earth-Sun distance makes it swing about +3.4% (early
    January, perihelion) to -3.3% (early July, aphelion) over the year.
    """
    _, _, dist_au = _sun_ecliptic(jd)
    return SOLAR_CONSTANT_W_M2 / dist_au**2


def raan_for_ltan_rad(jd: float, ltan_h: float) -> float:
    """RAAN that puts the ascending node at local solar time `ltan_h` at `jd`: the sun's
    right ascension plus (ltan - 12 h) x 15 deg/h (mean sun; the equation of time, up to
    16 min, is ignored)."""
    s = sun_direction_eci(jd)
    ra = math.atan2(float(s[1]), float(s[0]))
    return (ra + math.radians((ltan_h - 12.0) * 15.0)) % (2 * math.pi)


def beta_angle_rad(
    raan_rad: np.ndarray | float, inclination_rad: np.ndarray | float, sun_dir_eci: np.ndarray
) -> np.ndarray:
    """Beta angle: the Sun's elevation above the orbit plane, sin(beta) = s . h.

    h is the orbit normal (`orbits.orbit_normal_eci`). This equals REFERENCE.md's RA/Dec form
    sin(beta) = cos(dec) sin(i) sin(RAAN - RA) + sin(dec) cos(i) (Vallado; SMAD ch. 5).
    Positive beta: the Sun is on the side the orbit normal points to. Broadcasts the
    orbit's shape against sun_dir_eci.shape[:-1].
    """
    s = np.asarray(sun_dir_eci, dtype=np.float64)
    h = _orbit_normal(inclination_rad, raan_rad)
    sin_beta = np.sum(h * s, axis=-1)
    return np.arcsin(np.clip(sin_beta, -1.0, 1.0))


def critical_beta_rad(altitude_km: np.ndarray | float) -> np.ndarray:
    """Beta above which a circular orbit never enters the cylindrical shadow: asin(R/(R+h)).

    Vallado; SMAD ch. 5 (REFERENCE.md). About 66.9 deg at 550 km.
    """
    h = np.asarray(altitude_km, dtype=np.float64)
    return np.arcsin(R_EARTH_KM / (R_EARTH_KM + h))


def eclipse_fraction_cylindrical(altitude_km: np.ndarray | float, beta_rad: np.ndarray | float) -> np.ndarray:
    """Fraction of a circular orbit spent in a cylindrical Earth shadow.

    f = (1/pi) acos( sqrt(h^2 + 2 R h) / ((R + h) cos beta) ) for |beta| < beta*, else 0
    (Vallado; SMAD ch. 5; REFERENCE.md). Ignores the penumbra and the atmosphere; the
    conical model (`illumination_conical`) differs by a few seconds per orbit in LEO.
    """
    h = np.asarray(altitude_km, dtype=np.float64)
    beta = np.asarray(beta_rad, dtype=np.float64)
    ratio = np.sqrt(h**2 + 2.0 * R_EARTH_KM * h) / ((R_EARTH_KM + h) * np.cos(beta))
    # ratio >= 1 exactly when |beta| >= beta*: the orbit clears the shadow cylinder
    with np.errstate(invalid="ignore"):
        frac = np.arccos(np.clip(ratio, -1.0, 1.0)) / np.pi
    return np.where(np.abs(beta) < critical_beta_rad(h), frac, 0.0)


def in_shadow_cylindrical(r_sat_eci_km: np.ndarray, sun_dir_eci: np.ndarray) -> np.ndarray:
    """True where a satellite is in a cylindrical Earth shadow (Vallado, SHADOW cylindrical).

    Behind the Earth (r . s < 0) and within one Earth radius of the Earth-Sun line.
    Shapes (..., 3) broadcast together; returns a bool array of the broadcast shape[:-1].
    """
    r = np.asarray(r_sat_eci_km, dtype=np.float64)
    s = np.asarray(sun_dir_eci, dtype=np.float64)
    along = np.sum(r * s, axis=-1)
    perp2 = np.sum(r * r, axis=-1) - along**2
    return (along < 0.0) & (perp2 < R_EARTH_KM**2)


def illumination_conical(r_sat_eci_km: np.ndarray, r_sun_eci_km: np.ndarray) -> np.ndarray:
    """Fraction of the solar disc seen from a satellite: 1 sunlit, 0 umbra, between in penumbra.

    Montenbruck & Gill, Satellite Orbits, sec. 3.4.2: Sun and Earth as discs of apparent
    radii a = asin(R_sun/|s - r|) and b = asin(R_E/|r|), centres c apart; in partial
    overlap the hidden area is A = a^2 acos(x/a) + b^2 acos((c - x)/b) - c y with
    x = (c^2 + a^2 - b^2)/(2c), y = sqrt(a^2 - x^2), and nu = 1 - A/(pi a^2). A spherical
    Earth, no atmosphere. Positions (..., 3) broadcast, e.g. (n_sat, n_time, 3) with
    (n_time, 3); returns the broadcast shape[:-1].
    """
    r = np.asarray(r_sat_eci_km, dtype=np.float64)
    to_sun = np.asarray(r_sun_eci_km, dtype=np.float64) - r
    r_norm = np.linalg.norm(r, axis=-1)
    d_norm = np.linalg.norm(to_sun, axis=-1)
    a = np.arcsin(np.clip(R_SUN_KM / d_norm, -1.0, 1.0))
    b = np.arcsin(np.clip(R_EARTH_KM / r_norm, -1.0, 1.0))
    # angle between the Earth's centre (-r) and the Sun's centre as seen from the satellite;
    # atan2 keeps precision near 0 and pi where acos of a dot product does not
    minus_r = -r
    cross = np.linalg.norm(np.cross(minus_r, to_sun), axis=-1)
    c = np.arctan2(cross, np.sum(minus_r * to_sun, axis=-1))

    with np.errstate(divide="ignore", invalid="ignore"):
        c_safe = np.maximum(c, 1e-300)
        x = (c_safe**2 + a**2 - b**2) / (2.0 * c_safe)
        y = np.sqrt(np.maximum(a**2 - x**2, 0.0))
        hidden = (
            a**2 * np.arccos(np.clip(x / a, -1.0, 1.0))
            + b**2 * np.arccos(np.clip((c_safe - x) / b, -1.0, 1.0))
            - c_safe * y
        )
        partial = 1.0 - hidden / (np.pi * a**2)

    nu = np.where(c >= a + b, 1.0, np.clip(partial, 0.0, 1.0))
    # Earth's disc covers the Sun's entirely (umbra) or sits inside it (annular, far out)
    nu = np.where(c <= b - a, 0.0, nu)
    nu = np.where(c <= a - b, 1.0 - (b / a) ** 2, nu)
    return nu


def _sample_cells_s(t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(edges (n+1,), widths (n,)): each sample stands for the time half-way to its neighbours."""
    t = np.asarray(t_s, dtype=np.float64)
    edges = np.concatenate([t[:1], 0.5 * (t[1:] + t[:-1]), t[-1:]])
    return edges, np.diff(edges)


def eclipse_intervals(t_s: np.ndarray, lit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(start_s, end_s) of each eclipse (run of unlit samples) in one series of shape (n_time,).

    Each sample stands for the time half-way to its neighbours, so an eclipse starts and
    ends midway between the last lit and first dark sample. Eclipses that touch the ends
    of the series are cut at t_s[0] and t_s[-1].
    """
    edges, _ = _sample_cells_s(t_s)
    dark = ~np.asarray(lit, dtype=bool)
    step = np.diff(np.concatenate([[0], dark.astype(np.int8), [0]]))
    return edges[np.flatnonzero(step == 1)], edges[np.flatnonzero(step == -1)]


def longest_eclipse_s(t_s: np.ndarray, lit: np.ndarray) -> np.ndarray:
    """Longest continuous eclipse in seconds, per series; lit has shape (..., n_time).

    Same sample convention as `eclipse_intervals`; vectorised over the leading axes and
    over time (running sum of dark time, reset at each lit sample).
    """
    _, width = _sample_cells_s(t_s)
    lit = np.asarray(lit, dtype=bool)
    if lit.shape[-1] == 0:
        return np.zeros(lit.shape[:-1])
    dark_time = np.cumsum(np.where(lit, 0.0, width), axis=-1)
    # running dark time as of the last lit sample; the difference is the current eclipse
    at_last_lit = np.maximum.accumulate(np.where(lit, dark_time, 0.0), axis=-1)
    return np.max(dark_time - at_last_lit, axis=-1)


def eclipse_season_days(beta_deg_daily: np.ndarray, altitude_km: np.ndarray | float) -> np.ndarray:
    """Days in eclipse season: days whose |beta| is below the critical beta asin(R/(R+h)).

    beta_deg_daily has shape (..., n_days), one beta per day; altitude_km broadcasts
    against its leading axes. Returns an integer count of shape (...).
    """
    beta = np.deg2rad(np.asarray(beta_deg_daily, dtype=np.float64))
    crit = critical_beta_rad(altitude_km)[..., np.newaxis]
    return np.sum(np.abs(beta) < crit, axis=-1)
