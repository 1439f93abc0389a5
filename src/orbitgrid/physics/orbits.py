"""Circular orbits under secular J2, Walker constellations, and Earth-fixed frames.

Pure functions of numpy arrays: no state, no I/O (``read_starperf_shells`` parses text it
is given). Satellite arrays are 1-D over satellites, time arrays 1-D over time; results
that depend on both are shaped (n_sat, n_time[, 3]). Nothing loops over satellites or
time steps in Python.

The orbit model is the first-order secular J2 theory for near-circular orbits (Vallado,
*Fundamentals of Astrodynamics and Applications*, 4th ed., 2013, ch. 9, eqs. 9-41 to
9-43): the node regresses at a constant rate and the argument of latitude advances at a
constant rate. Short-period J2 terms (kilometres in LEO), drag, and higher harmonics are
left out: good for coverage, eclipse and link geometry over days, not for conjunctions.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

# --- constants -----------------------------------------------------------------------

from orbitgrid.physics.constants import J2_EARTH, J2000_JD, MU_EARTH_KM3_S2, R_EARTH_KM  # noqa: E402,F401

# WGS-84 flattening (NIMA TR8350.2, 3rd ed., 2000, table 3.1).
WGS84_FLATTENING = 1.0 / 298.257223563
# Earth's rotation rate, rad/s (IERS Conventions 2010 / WGS-84: 7.292115e-5).
EARTH_ROTATION_RAD_S = 7.292115e-5
# Sidereal day, s: 2 pi / EARTH_ROTATION_RAD_S = 86164.10 s; the sidereal day is 86164.0905 s
# (Vallado 4th ed., ch. 3), the 0.01 s gap being the rounding of the nominal rate.
SIDEREAL_DAY_S = 2.0 * np.pi / EARTH_ROTATION_RAD_S
# Tropical year in days, the period the sun-synchronous node must keep (REFERENCE.md).
TROPICAL_YEAR_DAYS = 365.2422
# Sun-synchronous nodal rate, rad/s: one turn per tropical year (REFERENCE.md; Vallado
# 4th ed., ch. 11), about +0.9856 deg/day.
SSO_NODAL_RATE_RAD_S = 2.0 * np.pi / (TROPICAL_YEAR_DAYS * 86400.0)


# --- periods and secular rates ----------------------------------------------------------


def orbital_period_s(altitude_km: np.ndarray | float) -> np.ndarray:
    """Two-body period of a circular orbit at ``altitude_km`` above the equatorial radius:
    T = 2 pi sqrt(a^3 / mu) (Kepler's third law; Vallado 4th ed., ch. 1)."""
    a_km = R_EARTH_KM + np.asarray(altitude_km, dtype=np.float64)
    return 2.0 * np.pi * np.sqrt(a_km**3 / MU_EARTH_KM3_S2)


def mean_motion_rad_s(a_km: np.ndarray | float) -> np.ndarray:
    """Two-body mean motion n = sqrt(mu / a^3) for semi-major axis ``a_km``."""
    a_km = np.asarray(a_km, dtype=np.float64)
    return np.sqrt(MU_EARTH_KM3_S2 / a_km**3)


def j2_secular_rates(
    a_km: np.ndarray | float,
    inclination_rad: np.ndarray | float,
    e: np.ndarray | float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """First-order secular J2 rates (Vallado 4th ed., eqs. 9-41 to 9-43), with p = a(1-e^2):

        raan_dot = -3/2 n J2 (R/p)^2 cos i
        argp_dot = +3/4 n J2 (R/p)^2 (4 - 5 sin^2 i)
        M_dot - n = +3/4 n J2 (R/p)^2 sqrt(1-e^2) (2 - 3 sin^2 i)

    Returns (raan_dot_rad_s, argp_dot_rad_s, mean_anomaly_dot_correction_rad_s). The
    last is the change to the two-body mean motion, so the mean mean motion is
    n_bar = n + correction. For a circular orbit perigee is undefined and one propagates
    the argument of latitude u = omega + M instead, at u_dot = n_bar + argp_dot
    (see ``argument_of_latitude_rate_rad_s``)."""
    a_km = np.asarray(a_km, dtype=np.float64)
    inc = np.asarray(inclination_rad, dtype=np.float64)
    e = np.asarray(e, dtype=np.float64)
    n = mean_motion_rad_s(a_km)
    p_km = a_km * (1.0 - e**2)
    k = n * J2_EARTH * (R_EARTH_KM / p_km) ** 2
    sin2_i = np.sin(inc) ** 2
    raan_dot = -1.5 * k * np.cos(inc)
    argp_dot = 0.75 * k * (4.0 - 5.0 * sin2_i)
    m_dot_corr = 0.75 * k * np.sqrt(1.0 - e**2) * (2.0 - 3.0 * sin2_i)
    return raan_dot, argp_dot, m_dot_corr


def argument_of_latitude_rate_rad_s(
    a_km: np.ndarray | float, inclination_rad: np.ndarray | float
) -> np.ndarray:
    """Secular rate of the argument of latitude of a circular orbit under J2:
    u_dot = n (1 + 3/2 J2 (R/a)^2 (1 - 3/2 sin^2 i)) + argp_dot (Vallado eqs. 9-41, 9-43
    with e = 0). 2 pi / u_dot is the nodal (draconitic) period."""
    _, argp_dot, m_corr = j2_secular_rates(a_km, inclination_rad)
    return mean_motion_rad_s(a_km) + m_corr + argp_dot


def sso_inclination_deg(altitude_km: np.ndarray | float) -> np.ndarray:
    """Inclination whose J2 nodal rate equals +2 pi per tropical year (REFERENCE.md),
    for a circular orbit: setting raan_dot (Vallado eq. 9-41) to that rate gives
    cos i = -2 rate a^(7/2) / (3 J2 R^2 sqrt(mu)). NaN above about 5,970 km, where no
    inclination regresses the node fast enough."""
    a_km = R_EARTH_KM + np.asarray(altitude_km, dtype=np.float64)
    cos_i = -2.0 * SSO_NODAL_RATE_RAD_S * a_km**3.5 / (
        3.0 * J2_EARTH * R_EARTH_KM**2 * np.sqrt(MU_EARTH_KM3_S2)
    )
    with np.errstate(invalid="ignore"):
        return np.degrees(np.arccos(cos_i))


# --- Walker constellations ---------------------------------------------------------------


@dataclass(frozen=True)
class WalkerShell:
    """Mean elements of every satellite of one shell at epoch, one entry per satellite,
    plane-major (satellite index = plane * sats_per_plane + slot)."""

    a_km: np.ndarray
    inclination_rad: np.ndarray
    raan0_rad: np.ndarray
    u0_rad: np.ndarray
    plane: np.ndarray
    slot: np.ndarray

    @property
    def n_sat(self) -> int:
        return int(self.a_km.shape[0])


def walker_delta(
    total: int,
    planes: int,
    phasing: int,
    inclination_deg: float,
    altitude_km: float,
    raan0_deg: float = 0.0,
) -> WalkerShell:
    """Walker delta pattern i:T/P/F (Walker, "Satellite constellations", JBIS 37, 1984;
    Wertz & Larson, SMAD 3rd ed., ch. 7): P planes with nodes 2 pi / P apart over the
    full circle, S = T/P satellites per plane 2 pi / S apart in argument of latitude, and
    plane k shifted forward by k F 2 pi / T. F must be in 0 .. P-1."""
    if planes <= 0 or total <= 0 or total % planes:
        raise ValueError(f"Walker pattern needs T a positive multiple of P, got T={total}, P={planes}")
    if not 0 <= phasing < planes:
        raise ValueError(f"Walker phasing F must be in 0..P-1, got F={phasing}, P={planes}")
    s = total // planes
    idx = np.arange(total)
    plane, slot = idx // s, idx % s
    raan = np.radians(raan0_deg) + plane * (2.0 * np.pi / planes)
    u0 = slot * (2.0 * np.pi / s) + plane * (phasing * 2.0 * np.pi / total)
    return WalkerShell(
        a_km=np.full(total, R_EARTH_KM + altitude_km, dtype=np.float64),
        inclination_rad=np.full(total, np.radians(inclination_deg), dtype=np.float64),
        raan0_rad=np.mod(raan, 2.0 * np.pi),
        u0_rad=np.mod(u0, 2.0 * np.pi),
        plane=plane,
        slot=slot,
    )


def walker_shell(
    planes: int,
    sats_per_plane: int,
    phasing: int,
    inclination_deg: float,
    altitude_km: float,
    raan0_deg: float = 0.0,
) -> WalkerShell:
    """``walker_delta`` given satellites per plane rather than the total (StarPerf's and
    Hypatia's way of writing a shell, e.g. Starlink 72 x 22, F = 1)."""
    return walker_delta(planes * sats_per_plane, planes, phasing, inclination_deg, altitude_km, raan0_deg)


def read_starperf_shells(xml_text: str) -> list[dict]:
    """Shells of a StarPerf constellation file (``<constellation><shellN>...``, as in
    StarPerf's config/XML_constellation/*.xml), in shell order, each as a dict with
    altitude_km, inclination_deg, phase_shift, planes, sats_per_plane. ``orbit_cycle``
    is left out: it is StarPerf's own period estimate, recomputed here from altitude."""
    root = ET.fromstring(xml_text)
    shells = [el for el in root if el.tag.startswith("shell") and el.tag[5:].isdigit()]
    shells.sort(key=lambda el: int(el.tag[5:]))
    declared = root.findtext("number_of_shells")
    if declared is not None and int(declared) != len(shells):
        raise ValueError(f"StarPerf file declares {declared} shells but holds {len(shells)}")

    def field(el: ET.Element, name: str) -> str:
        text = el.findtext(name)
        if text is None:
            raise ValueError(f"StarPerf {el.tag} lacks <{name}>")
        return text.strip()

    return [
        {
            "altitude_km": float(field(el, "altitude")),
            "inclination_deg": float(field(el, "inclination")),
            "phase_shift": int(field(el, "phase_shift")),
            "planes": int(field(el, "number_of_orbit")),
            "sats_per_plane": int(field(el, "number_of_satellite_per_orbit")),
        }
        for el in shells
    ]


# --- propagation ------------------------------------------------------------------------


def _sat_arrays(*arrays: np.ndarray | float) -> list[np.ndarray]:
    return [np.asarray(x, dtype=np.float64) for x in np.broadcast_arrays(*(np.atleast_1d(a) for a in arrays))]


def secular_angles_rad(
    a_km: np.ndarray,
    inc_rad: np.ndarray,
    raan0_rad: np.ndarray,
    u0_rad: np.ndarray,
    t_s: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """RAAN and argument of latitude, each (n_sat, n_time) float64, at ``t_s`` seconds
    after the epoch of the elements, drifting at the secular J2 rates. Angles are not
    wrapped; float64 keeps 1e-11 rad after a year of phase (about 3.5e4 rad)."""
    a_km, inc_rad, raan0_rad, u0_rad = _sat_arrays(a_km, inc_rad, raan0_rad, u0_rad)
    t = np.atleast_1d(np.asarray(t_s, dtype=np.float64))
    raan_dot, _, _ = j2_secular_rates(a_km, inc_rad)
    u_dot = argument_of_latitude_rate_rad_s(a_km, inc_rad)
    raan = raan0_rad[:, None] + raan_dot[:, None] * t[None, :]
    u = u0_rad[:, None] + u_dot[:, None] * t[None, :]
    return raan, u


def orbit_normal_eci(inclination_rad: np.ndarray, raan_rad: np.ndarray) -> np.ndarray:
    """Unit angular-momentum vector of the orbit plane, shape (..., 3):
    (sin i sin RAAN, -sin i cos RAAN, cos i), the third column of the perifocal-to-ECI
    rotation (Vallado 4th ed., ch. 2, COE2RV)."""
    inc = np.asarray(inclination_rad, dtype=np.float64)
    raan = np.asarray(raan_rad, dtype=np.float64)
    inc, raan = np.broadcast_arrays(inc, raan)
    return np.stack([np.sin(inc) * np.sin(raan), -np.sin(inc) * np.cos(raan), np.cos(inc)], axis=-1)


def propagate_circular_eci_km(
    a_km: np.ndarray,
    inc_rad: np.ndarray,
    raan0_rad: np.ndarray,
    u0_rad: np.ndarray,
    t_s: np.ndarray,
    dtype: np.dtype = np.float32,
) -> np.ndarray:
    """ECI positions (n_sat, n_time, 3) in km of circular orbits under secular J2 drift,
    ``t_s`` seconds after the epoch of the elements.

    r = a (cos RAAN cos u - sin RAAN sin u cos i,
           sin RAAN cos u + cos RAAN sin u cos i,
           sin u sin i)       (perifocal-to-ECI rotation, Vallado 4th ed., ch. 2, COE2RV, e = 0)

    ``dtype=float64`` evaluates this directly, angles and trig in float64. ``float32`` (the
    default: half the memory, and 5x faster) takes the route of ``_propagate_anchored_f32``
    and agrees with float64 within 0.8 m (the most seen over random orbits at 300-2,000
    km; rounding a position to float32 alone moves it up to 0.24-0.49 m), far below the
    model's own error (short-period J2 terms alone are kilometres). Its result is a
    (n_sat, n_time, 3) view of a component-major (3, n_time, n_sat) buffer, not
    C-contiguous: r[..., k] are contiguous planes."""
    a_km, inc_rad, raan0_rad, u0_rad = _sat_arrays(a_km, inc_rad, raan0_rad, u0_rad)
    if np.dtype(dtype) == np.float32:
        t = np.atleast_1d(np.asarray(t_s, dtype=np.float64))
        return _propagate_anchored_f32(a_km, inc_rad, raan0_rad, u0_rad, t)
    raan, u = secular_angles_rad(a_km, inc_rad, raan0_rad, u0_rad, t_s)
    cos_i, sin_i = np.cos(inc_rad)[:, None], np.sin(inc_rad)[:, None]
    cos_o, sin_o = np.cos(raan), np.sin(raan)
    cos_u, sin_u = np.cos(u), np.sin(u)
    del raan, u
    a = a_km[:, None]
    out = np.empty(cos_u.shape + (3,), dtype=dtype)
    out[..., 0] = a * (cos_o * cos_u - sin_o * sin_u * cos_i)
    out[..., 1] = a * (sin_o * cos_u + cos_o * sin_u * cos_i)
    out[..., 2] = a * (sin_u * sin_i)
    return out


# Times fall into cells of this many seconds; each cell's centre anchors the float32 route,
# so its in-plane turns stay under u_dot x 600 s = 0.75 rad (LEO above 200 km).
_ANCHOR_CELL_S = 1200.0
# Elements (times x satellites) per inner block of the float32 route: its eight scratch
# arrays (1 MB) then stay in a core's 2 MB L2 cache.
_BLOCK_ELEMENTS = 1 << 14


def _anchor_vectors_km(
    a_km: np.ndarray, cos_i: np.ndarray, sin_i: np.ndarray, raan_rad: np.ndarray, u_rad: np.ndarray
) -> tuple[np.ndarray, ...]:
    """(m1x, m1y, m1z, m2x, m2y, m2z): the position r(u, RAAN) of COE2RV (e = 0) and dr/du,
    in float64."""
    cos_u, sin_u, cos_o, sin_o = np.cos(u_rad), np.sin(u_rad), np.cos(raan_rad), np.sin(raan_rad)
    cos_o_ci, sin_o_ci = cos_o * cos_i, sin_o * cos_i
    return (
        a_km * (cos_o * cos_u - sin_o_ci * sin_u),
        a_km * (sin_o * cos_u + cos_o_ci * sin_u),
        a_km * (sin_i * sin_u),
        a_km * (-cos_o * sin_u - sin_o_ci * cos_u),
        a_km * (cos_o_ci * cos_u - sin_o * sin_u),
        a_km * (sin_i * cos_u),
    )


def _propagate_anchored_f32(
    a_km: np.ndarray, inc_rad: np.ndarray, raan0_rad: np.ndarray, u0_rad: np.ndarray, t_s: np.ndarray
) -> np.ndarray:
    """The float32 route of ``propagate_circular_eci_km``: float64 trig only at cell anchors.

    Each time t is the centre t_c of its _ANCHOR_CELL_S cell plus an offset tau,
    |tau| <= 600 s. At t_c, per satellite and in float64, m1 = r(u_c, RAAN_c) is the
    position and m2 = dr/du the position a quarter-turn ahead. Over the offset the
    satellite turns by d = u_dot tau in its plane and the plane by e = RAAN_dot tau about z:

        (X, Y, Z) = m1 cos d + m2 sin d
        x = (1 - e^2/2) X - e Y,   y = (1 - e^2/2) Y + e X,   z = Z   (Rz(e), to e^2)

    (|e| < 1.1e-3 rad above 200 km, so the e^3/6 left out is under 3e-10 rad.) Only cos d
    and sin d are taken in float32, where numpy's SIMD sin and cos are over 10x faster than
    in float64; with |d| < 0.75 rad their error is about 5e-8, 0.35 m at 7,000 km. The rest
    is float64, rounded once into the float32 output. Each element depends only on its own
    satellite and time, so any chunking over satellites or times gives the same bits."""
    n_sat, n_t = a_km.shape[0], t_s.shape[0]
    buf = np.empty((3, n_t, n_sat), dtype=np.float32)
    if n_sat == 0 or n_t == 0:
        return buf.transpose(2, 1, 0)
    raan_dot, _, _ = j2_secular_rates(a_km, inc_rad)
    u_dot = argument_of_latitude_rate_rad_s(a_km, inc_rad)
    raan_per_u = raan_dot / u_dot  # e = d x this
    cos_i, sin_i = np.cos(inc_rad), np.sin(inc_rad)
    cell = np.floor(t_s / _ANCHOR_CELL_S)
    cuts = np.flatnonzero(cell[1:] != cell[:-1]) + 1  # runs of times sharing one anchor
    # scratch reused by every block: fresh temporaries of this size cost a page-faulting
    # allocation each, slower than the arithmetic on them
    size = min(_BLOCK_ELEMENTS, n_sat * n_t) + n_t
    d32 = np.empty(size, dtype=np.float32)
    cos_d, sin_d, e, half_e, x, y, p = (np.empty(size) for _ in range(7))
    for j0, j1 in zip(np.r_[0, cuts].tolist(), np.r_[cuts, n_t].tolist()):
        t_c = (cell[j0] + 0.5) * _ANCHOR_CELL_S
        tau = (t_s[j0:j1] - t_c)[:, None]
        m1x, m1y, m1z, m2x, m2y, m2z = _anchor_vectors_km(
            a_km, cos_i, sin_i, raan0_rad + raan_dot * t_c, u0_rad + u_dot * t_c
        )
        n_tb = j1 - j0
        step = max(1, _BLOCK_ELEMENTS // n_tb)
        for i0 in range(0, n_sat, step):
            k = slice(i0, min(i0 + step, n_sat))
            shape = (n_tb, k.stop - i0)
            D, C, S, E, HE, X, Y, P = (v[: shape[0] * shape[1]].reshape(shape) for v in (d32, cos_d, sin_d, e, half_e, x, y, p))
            np.multiply(tau, u_dot[k], out=P)
            D[...] = P  # the in-plane turn d, rounded once to float32
            np.multiply(P, raan_per_u[k], out=E)  # the plane's turn e, float64
            np.cos(D, out=C)  # float32 loop, widened to float64 on output
            np.sin(D, out=S)
            np.multiply(m1x[k], C, out=X)
            X += np.multiply(m2x[k], S, out=P)
            np.multiply(m1y[k], C, out=Y)
            Y += np.multiply(m2y[k], S, out=P)
            np.multiply(m1z[k], C, out=P)
            P += np.multiply(m2z[k], S, out=C)
            buf[2, j0:j1, k] = P
            # x = X - e (Y + e X / 2),  y = Y + e (X - e Y / 2)
            np.multiply(E, 0.5, out=HE)
            np.multiply(HE, X, out=P)
            P += Y
            P *= E
            np.subtract(X, P, out=buf[0, j0:j1, k])
            np.multiply(HE, Y, out=P)
            np.subtract(X, P, out=P)
            P *= E
            np.add(Y, P, out=buf[1, j0:j1, k])
    return buf.transpose(2, 1, 0)


def propagate_chunks(
    a_km: np.ndarray,
    inc_rad: np.ndarray,
    raan0_rad: np.ndarray,
    u0_rad: np.ndarray,
    t_s: np.ndarray,
    chunk_steps: int,
    dtype: np.dtype = np.float32,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """``propagate_circular_eci_km`` over ``t_s`` in slices of ``chunk_steps`` time steps,
    yielding (t_chunk_s, positions_chunk_km), so a caller reducing over time keeps memory
    at n_sat x chunk_steps. Each chunk is computed exactly as the whole would be."""
    if chunk_steps <= 0:
        raise ValueError(f"chunk_steps must be positive, got {chunk_steps}")
    t = np.atleast_1d(np.asarray(t_s, dtype=np.float64))
    for start in range(0, t.shape[0], chunk_steps):
        t_chunk = t[start : start + chunk_steps]
        yield t_chunk, propagate_circular_eci_km(a_km, inc_rad, raan0_rad, u0_rad, t_chunk, dtype)


# --- time and Earth-fixed frames ------------------------------------------------------------


def julian_date(dt64: np.ndarray | np.datetime64 | str) -> np.ndarray:
    """Julian date (float64) of numpy datetime64 values taken as UTC.

    Used as JD(UT1) by ``gmst_rad``: UT1 - UTC stays under 0.9 s (IERS), about 7e-5 rad of
    Earth rotation or 0.4 km on the equator. float64 JD resolves about 40 microseconds.
    numpy's datetime64 has no leap seconds, like UTC day counting."""
    t = np.asarray(dt64, dtype="datetime64[ns]")
    days = (t - np.datetime64("2000-01-01T12:00:00", "ns")) / np.timedelta64(86400_000_000_000, "ns")
    return J2000_JD + days


def gmst_rad(jd_ut1: np.ndarray | float) -> np.ndarray:
    """Greenwich mean sidereal time, IAU 1982 model (Vallado 4th ed., eq. 3-47), in
    [0, 2 pi):

        GMST = 67310.54841 s + (876600 h + 8640184.812866 s) T + 0.093104 s T^2 - 6.2e-6 s T^3

    with T = (JD_UT1 - 2451545.0) / 36525 Julian centuries; 1 s of time = 1/240 deg."""
    t_cent = (np.asarray(jd_ut1, dtype=np.float64) - J2000_JD) / 36525.0
    rate_s = 876600.0 * 3600.0 + 8640184.812866  # seconds of GMST per Julian century
    gmst_s = 67310.54841 + t_cent * (rate_s + t_cent * (0.093104 - 6.2e-6 * t_cent))
    return np.mod(np.radians(np.mod(gmst_s, 86400.0) / 240.0), 2.0 * np.pi)


def eci_to_ecef(r_eci_km: np.ndarray, jd_ut1: np.ndarray | float) -> np.ndarray:
    """Rotate ECI vectors (..., 3) into the Earth-fixed frame by GMST about z:
    x' = cos g x + sin g y, y' = -sin g x + cos g y, z' = z.

    ``jd_ut1`` broadcasts against r_eci_km[..., 0] (e.g. (n_time,) against (n_sat,
    n_time, 3)). ECI is taken to be TEME, SGP4's frame, which GMST alone turns into the
    pseudo-Earth-fixed frame (Vallado 4th ed., ch. 3, TEME to PEF); polar motion (about 10 m) is
    ignored, and so are precession and nutation: vectors given in J2000 would be off by
    the precession since 2000, about 0.014 deg of longitude a year. Keeps the input's
    float dtype.
    """
    r = np.asarray(r_eci_km)
    out_dtype = np.result_type(r.dtype, np.float32)
    g = gmst_rad(jd_ut1)
    c, s = np.cos(g), np.sin(g)
    out = np.empty(np.broadcast_shapes(r.shape, np.shape(g) + (3,)), dtype=out_dtype)
    x, y = r[..., 0], r[..., 1]
    out[..., 0] = c * x + s * y
    out[..., 1] = c * y - s * x
    out[..., 2] = r[..., 2]
    return out


def ecef_to_geodetic_deg(
    r_ecef_km: np.ndarray, ellipsoid: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lat_deg, lon_deg, alt_km) of Earth-fixed positions (..., 3).

    Default: spherical Earth of radius R_EARTH_KM, geocentric latitude, altitude over the
    equatorial radius (the altitude this module's orbits are stated in; off by up to
    21 km near the poles against the ellipsoid). ``ellipsoid=True``: geodetic latitude and
    height over the WGS-84 ellipsoid by Bowring's method (Bowring, Survey Review 23, 1976)
    with two refinements, sub-millimetre from the ground to GEO."""
    r = np.asarray(r_ecef_km, dtype=np.float64)
    x, y, z = r[..., 0], r[..., 1], r[..., 2]
    p = np.hypot(x, y)
    lon = np.degrees(np.arctan2(y, x))
    if not ellipsoid:
        lat = np.degrees(np.arctan2(z, p))
        alt = np.sqrt(p**2 + z**2) - R_EARTH_KM
        return lat, lon, alt
    a, f = R_EARTH_KM, WGS84_FLATTENING
    b = a * (1.0 - f)
    e2 = f * (2.0 - f)
    ep2 = e2 / (1.0 - f) ** 2
    beta = np.arctan2(a * z, b * p)  # reduced latitude, first guess
    for _ in range(3):  # Bowring's formula, then two refinements of the reduced latitude
        phi = np.arctan2(z + ep2 * b * np.sin(beta) ** 3, p - e2 * a * np.cos(beta) ** 3)
        beta = np.arctan2((1.0 - f) * np.sin(phi), np.cos(phi))
    sin_phi = np.sin(phi)
    alt = p * np.cos(phi) + z * sin_phi - a * np.sqrt(1.0 - e2 * sin_phi**2)
    return np.degrees(phi), lon, alt


def geodetic_to_ecef_km(
    lat_deg: np.ndarray | float,
    lon_deg: np.ndarray | float,
    alt_km: np.ndarray | float,
    ellipsoid: bool = False,
) -> np.ndarray:
    """Earth-fixed positions (..., 3) of ground points or satellites; the inverse of
    ``ecef_to_geodetic_deg`` with the same Earth model (WGS-84: Vallado 4th ed., ch. 3,
    N = a / sqrt(1 - e^2 sin^2 lat), z uses N (1 - e^2))."""
    lat = np.radians(np.asarray(lat_deg, dtype=np.float64))
    lon = np.radians(np.asarray(lon_deg, dtype=np.float64))
    h = np.asarray(alt_km, dtype=np.float64)
    lat, lon, h = np.broadcast_arrays(lat, lon, h)
    if ellipsoid:
        e2 = WGS84_FLATTENING * (2.0 - WGS84_FLATTENING)
        n = R_EARTH_KM / np.sqrt(1.0 - e2 * np.sin(lat) ** 2)
        rho, z = (n + h) * np.cos(lat), (n * (1.0 - e2) + h) * np.sin(lat)
    else:
        rho, z = (R_EARTH_KM + h) * np.cos(lat), (R_EARTH_KM + h) * np.sin(lat)
    return np.stack([rho * np.cos(lon), rho * np.sin(lon), z], axis=-1)
