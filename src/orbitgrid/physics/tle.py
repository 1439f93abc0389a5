"""Two-line element sets (TLEs): reading them, propagating them with SGP4, and seeding our
circular J2 propagator (``orbits.propagate_circular_eci_km``) from them.

SGP4 is the ``sgp4`` package (Rhodes), a wrapper of Vallado's C++ code ("Revisiting
Spacetrack Report #3", AIAA 2006-6753), with WGS-72 constants as TLEs are fitted with.
Its positions are in TEME, the frame ``orbits.eci_to_ecef`` takes ECI to be. Julian dates
are UTC, as in the TLE epochs.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import numpy as np
from sgp4.api import SGP4_ERRORS, WGS72, Satrec, SatrecArray

from orbitgrid.errors import InputError, Problem
from orbitgrid.physics.constants import MU_EARTH_KM3_S2
from orbitgrid.physics.orbits import argument_of_latitude_rate_rad_s, j2_secular_rates

SECONDS_PER_DAY = 86_400.0

# Column layout of TLE lines (0-based), as sgp4.io.twoline2rv checks it: the C++ parser
# behind Satrec.twoline2rv checks nothing and reads a broken line as numbers.
_LINE1_CHARS = {0: "1", 1: " ", 8: " ", 23: ".", 32: " ", 34: ".", 43: " ", 52: " ", 61: " ", 63: " "}
_LINE2_CHARS = {0: "2", 1: " ", 7: " ", 11: ".", 16: " ", 20: ".", 25: " ", 33: " ", 37: ".", 42: " ", 46: ".", 51: " "}
# Number fields (slices as sgp4.io reads them): line 1 epoch, ndot; line 2 i, RAAN, e, argp, M, n.
_LINE1_NUMBERS = {"epoch": (18, 32), "ndot": (33, 43)}
_LINE2_NUMBERS = {"inclination": (8, 16), "raan": (17, 25), "eccentricity": (26, 33),
                  "arg_perigee": (34, 42), "mean_anomaly": (43, 51), "mean_motion": (52, 63)}  # fmt: skip


# TLE checksum: digits count their value, '-' counts 1, the rest 0; the sum mod 10 (as
# sgp4.io.compute_checksum tallies it, one byte-table lookup per character here).
_CHECKSUM_TABLE = bytes(c - 48 if 48 <= c <= 57 else int(c == 45) for c in range(256))  # "0".."9", "-"


def tle_checksum(line: str) -> int:
    """The checksum of a TLE line's first 68 characters."""
    return sum(line[:68].encode("ascii", "replace").translate(_CHECKSUM_TABLE)) % 10


def _line_problem(line: str, number: int, width: int, chars: dict[int, str], numbers: dict) -> str | None:
    """What is wrong with one TLE line, or None."""
    if len(line) < width:
        return f"TLE line {number} has {len(line)} characters, needs at least {width}"
    for col, want in chars.items():
        if line[col] != want:
            return f"TLE line {number} needs {want!r} in column {col + 1}, has {line[col]!r}"
    for name, (a, b) in numbers.items():
        try:
            float(line[a:b].replace(" ", "0") if name == "eccentricity" else line[a:b])
        except ValueError:
            return f"{name} (columns {a + 1}-{b}) is not a number: {line[a:b]!r}"
    if len(line) >= 69 and line[68].isdigit() and int(line[68]) != tle_checksum(line):
        return f"checksum in column 69 is {line[68]} but the line tallies to {tle_checksum(line)}"
    return None


def read_tles(path_or_text: str | os.PathLike) -> tuple[list[str], SatrecArray, list[Satrec]]:
    """(names, SatrecArray, [Satrec]) of every TLE in a file (a path) or in text (a string
    with a line break), in file order.

    Takes the 3-line format (a name line, CelesTrak's ``0 NAME`` included, then lines 1
    and 2) and the 2-line format (named by catalogue number), mixed or not; blank lines are
    skipped. Each line is checked as sgp4's own Python reader does (column layout, number
    fields, catalogue numbers of lines 1 and 2 agree) plus its checksum (the tally of
    ``sgp4.io.compute_checksum``), since the C++ ``Satrec.twoline2rv`` used to build the
    satellites checks nothing. Every bad line becomes one ``FILE:LINE: field: message``
    problem of the InputError raised."""
    if isinstance(path_or_text, str) and "\n" in path_or_text:
        name, text = "<text>", path_or_text
    else:
        name = str(path_or_text)
        try:
            text = Path(path_or_text).read_text(encoding="ascii", errors="replace")
        except OSError as exc:
            raise InputError([Problem(name, None, "", f"cannot read TLE file: {exc.strerror or exc}")]) from None
    lines = [(i + 1, raw.rstrip()) for i, raw in enumerate(text.splitlines()) if raw.strip()]
    names: list[str] = []
    sats: list[Satrec] = []
    problems: list[Problem] = []
    k = 0
    while k < len(lines):  # one TLE per pass: parsing text, not propagation
        title = None
        if not lines[k][1].startswith("1 ") and k + 1 < len(lines) and lines[k + 1][1].startswith("1 "):
            title = lines[k][1].strip()
            title = title[2:].strip() if title.startswith("0 ") else title
            k += 1
        no, line = lines[k]
        if not line.startswith("1 ") or k + 1 >= len(lines):
            what = "TLE line 1 without a line 2 after it" if line.startswith("1 ") else f"expected a name line or TLE line 1, got {line[:30]!r}"
            problems.append(Problem(name, no, "tle", what))
            k += 1
            continue
        (no1, l1), (no2, l2) = lines[k], lines[k + 1]
        k += 2
        bad1 = _line_problem(l1, 1, 64, _LINE1_CHARS, _LINE1_NUMBERS)
        bad2 = _line_problem(l2, 2, 68, _LINE2_CHARS, _LINE2_NUMBERS)
        if bad1 or bad2:
            problems += [Problem(name, at, f"line {n}", msg) for n, at, msg in ((1, no1, bad1), (2, no2, bad2)) if msg]
            continue
        if l1[2:7] != l2[2:7]:
            problems.append(Problem(name, no2, "line 2", f"catalogue number {l2[2:7]!r} differs from line 1's {l1[2:7]!r}"))
            continue
        sat = Satrec.twoline2rv(l1, l2, WGS72)
        if sat.error:
            problems.append(Problem(name, no2, "line 2", f"SGP4 rejects the elements: {SGP4_ERRORS.get(sat.error, sat.error)}"))
            continue
        names.append(title or l1[2:7].strip())
        sats.append(sat)
    if problems:
        raise InputError(problems)
    if not sats:
        raise InputError([Problem(name, None, "", "no TLEs found")])
    return names, SatrecArray(sats), sats


def read_tle_file(path: str | os.PathLike) -> tuple[list[str], SatrecArray, list[Satrec]]:
    """`read_tles` of a file, parsed once per version of it (path, size, modification time):
    a scenario's TLE file is checked when the scenario is loaded and used again to build
    its satellites."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError:
        return read_tles(p)  # its one-line error
    return _read_tle_file_cached(str(p.resolve()), st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=8)
def _read_tle_file_cached(path: str, size: int, mtime_ns: int) -> tuple[list[str], SatrecArray, list[Satrec]]:
    return read_tles(Path(path))


def split_jd(jd: np.ndarray | float, jd_frac: np.ndarray | float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """(whole, fraction) of the Julian dates jd + jd_frac, as SGP4 takes them: whole days,
    and the fraction in [0, 1), where float64 resolves 1e-16 day against a whole JD's
    4e-10 day (40 us)."""
    jd = np.atleast_1d(np.asarray(jd, dtype=np.float64))
    whole = np.floor(jd)
    frac = (jd - whole) + np.asarray(jd_frac, dtype=np.float64)  # jd - floor(jd) is exact
    carry = np.floor(frac)
    return whole + carry, frac - carry


def propagate_tles_teme(
    satrec_array: SatrecArray, jd: np.ndarray | float, jd_frac: np.ndarray | float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SGP4 positions (n_sat, n_time, 3) in km and velocities in km/s, TEME, at the UTC
    Julian dates jd + jd_frac, and SGP4's error codes (n_sat, n_time), 0 where fine
    (``sgp4.api.SGP4_ERRORS``). One call of the C++ ``SatrecArray.sgp4``.

    Pass whole days in ``jd`` and the rest in ``jd_frac`` for microsecond times: a single
    float64 JD resolves about 40 us (0.3 m of LEO flight)."""
    whole, frac = split_jd(jd, jd_frac)
    err, r, v = satrec_array.sgp4(whole, frac)
    return r, v, err


def propagate_tles_teme_km(
    satrec_array: SatrecArray, jd: np.ndarray | float, jd_frac: np.ndarray | float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """``propagate_tles_teme`` without the velocities: (positions km, error codes)."""
    r, _, err = propagate_tles_teme(satrec_array, jd, jd_frac)
    return r, err


def _attr(satrecs: list[Satrec], name: str) -> np.ndarray:
    """One attribute of every Satrec, as a float64 array."""
    return np.fromiter((getattr(s, name) for s in satrecs), np.float64, len(satrecs))


def tle_epoch_jd(satrecs: list[Satrec]) -> tuple[np.ndarray, np.ndarray]:
    """(whole, fraction) of each TLE's epoch as a UTC Julian date, as SGP4 keeps it."""
    return _attr(satrecs, "jdsatepoch"), _attr(satrecs, "jdsatepochF")


def brouwer_mean_motion_rad_min(satrecs: list[Satrec]) -> np.ndarray:
    """SGP4's "un-Kozai'd" (Brouwer) mean motion n'' in rad/min, from the TLE's Kozai mean
    motion, as SGP4's initialisation recovers it (Hoots & Roehrich, Spacetrack Report #3,
    1980; Vallado et al. 2006, ``initl``): with a1 = (ke / n)^(2/3),
    d1 = 3/4 J2 (3 cos^2 i - 1) / (1 - e^2)^(3/2), delta = d1 / a0^2 at
    a0 = a1 (1 - d/3 - d^2 - 134 d^3 / 81), d = d1 / a1^2, and n'' = n / (1 + delta)."""
    n_kozai, inc, ecc, xke, j2 = (_attr(satrecs, k) for k in ("no_kozai", "inclo", "ecco", "xke", "j2"))
    d1 = 0.75 * j2 * (3.0 * np.cos(inc) ** 2 - 1.0) / (1.0 - ecc**2) ** 1.5
    a1 = (xke / n_kozai) ** (2.0 / 3.0)  # Earth radii
    d = d1 / a1**2
    a0 = a1 * (1.0 - d * d - d * (1.0 / 3.0 + 134.0 * d * d / 81.0))
    return n_kozai / (1.0 + d1 / a0**2)


def mean_elements_for_circular(
    satrecs: list[Satrec], jd: float | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(a_km, inc_rad, raan0_rad, u0_rad) seeding ``orbits.propagate_circular_eci_km`` from
    TLEs: at each TLE's own epoch, or with ``jd`` at that one UTC Julian date for all
    (each satellite's RAAN and u moved there at our secular J2 rates, exact in our model).

    a follows from Kepler's third law a = (mu / n^2)^(1/3), mu = 398600.4418 km^3/s^2
    (WGS-84, constants.py), with n SGP4's Brouwer mean motion n'', not the TLE's Kozai
    mean motion: our propagator adds the J2 correction to the two-body n(a) itself, so
    starting from the Kozai n (which already holds it) would count it twice, a 1e-5
    relative error in rate, about 40 km a day along-track for Starlink. Starting from
    n'' our rates match SGP4's to about 1 km a day (SGP4 keeps J2^2 and J4 terms).
    The argument of latitude is u = argp + M, mean anomaly for true anomaly: right for a
    near-circular orbit (Starlink e ~ 1e-4: under 2e e ~ 3e-4 rad, 2 km); the
    eccentricity is dropped. inc, RAAN, argp and M are the TLE's mean elements (TEME)."""
    n_rad_s = brouwer_mean_motion_rad_min(satrecs) / 60.0
    a_km = np.cbrt(MU_EARTH_KM3_S2 / n_rad_s**2)
    inc, raan = _attr(satrecs, "inclo"), _attr(satrecs, "nodeo")
    u = _attr(satrecs, "argpo") + _attr(satrecs, "mo")
    if jd is not None:
        whole, frac = tle_epoch_jd(satrecs)
        dt_s = ((float(jd) - whole) - frac) * SECONDS_PER_DAY
        raan_dot, _, _ = j2_secular_rates(a_km, inc)
        raan = raan + raan_dot * dt_s
        u = u + argument_of_latitude_rate_rad_s(a_km, inc) * dt_s
    return a_km, inc, np.mod(raan, 2.0 * np.pi), np.mod(u, 2.0 * np.pi)
