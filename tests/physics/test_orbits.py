"""Orbits, Walker shells and Earth-fixed frames, against published values and values worked
out by hand. Hand calculations use literal constants (WGS-84 mu and R, EGM J2, as in
/work/shared/REFERENCE.md) rather than the module's, so a wrong constant there fails here."""

from __future__ import annotations

import math

import numpy as np
import pytest

from orbitgrid.physics.orbits import (
    EARTH_ROTATION_RAD_S,
    J2_EARTH,
    J2000_JD,
    MU_EARTH_KM3_S2,
    R_EARTH_KM,
    SIDEREAL_DAY_S,
    argument_of_latitude_rate_rad_s,
    ecef_to_geodetic_deg,
    eci_to_ecef,
    geodetic_to_ecef_km,
    gmst_rad,
    j2_secular_rates,
    julian_date,
    mean_motion_rad_s,
    orbit_normal_eci,
    orbital_period_s,
    propagate_chunks,
    propagate_circular_eci_km,
    read_starperf_shells,
    secular_angles_rad,
    sso_inclination_deg,
    walker_delta,
    walker_shell,
)

MU = 398600.4418  # km^3/s^2, WGS-84
R = 6378.137  # km, WGS-84 equatorial radius
J2 = 1.08262668e-3  # EGM
DAY_S = 86400.0


def test_constants_match_reference():
    # REFERENCE.md (WGS-84, EGM); Earth rotation 7.292115e-5 rad/s (IERS / WGS-84)
    assert (MU_EARTH_KM3_S2, R_EARTH_KM, J2_EARTH) == (MU, R, J2)
    assert EARTH_ROTATION_RAD_S == 7.292115e-5
    # sidereal day 23 h 56 min 4.09 s = 86164.09 s (Astronomical Almanac; Vallado ch. 3);
    # 2 pi / 7.292115e-5 = 86164.1006 s, the nominal rate being rounded
    assert abs(SIDEREAL_DAY_S - 86164.09) < 0.02


def test_period_at_550_km_by_hand():
    # Kepler's third law by hand: a = 6378.137 + 550 = 6928.137 km;
    # T = 2 pi sqrt(6928.137^3 / 398600.4418) = 5738.99 s = 95.65 min (Starlink shell 1)
    a = R + 550.0
    t_hand = 2.0 * math.pi * math.sqrt(a**3 / MU)
    assert abs(t_hand - 5738.99) < 0.01
    assert orbital_period_s(550.0) == pytest.approx(t_hand, rel=1e-12)
    assert abs(orbital_period_s(550.0) / 60.0 - 95.65) < 0.01
    assert mean_motion_rad_s(a) == pytest.approx(2.0 * math.pi / t_hand, rel=1e-12)
    # vectorised over altitudes; ISS-like 420 km: 2 pi sqrt(6798.137^3 / mu) = 92.97 min
    p = orbital_period_s(np.array([420.0, 550.0]))
    assert p.shape == (2,) and abs(p[0] / 60.0 - 92.97) < 0.01


def test_geo_radius_gives_sidereal_day():
    # a GEO radius of 42164 km (Vallado ch. 1) orbits once per sidereal day, 86164.09 s
    assert abs(orbital_period_s(42164.0 - R) - 86164.09) < 1.0


def test_sso_inclination_matches_tables_and_nodal_rate():
    # Commonly tabulated sun-synchronous inclinations for circular orbits (Wertz & Larson,
    # SMAD 3rd ed., ch. 6-7; Vallado ch. 11): about 97.98 deg at 650 km (Suncatcher's
    # orbit) and 98.6 deg at 800 km. The closed form gives 97.986 and 98.603.
    inc = sso_inclination_deg(np.array([650.0, 800.0]))
    assert abs(inc[0] - 97.98) < 0.02
    assert abs(inc[1] - 98.60) < 0.02
    # and the J2 nodal rate at that inclination is one turn per 365.2422 days
    # (REFERENCE.md), +0.98565 deg/day
    raan_dot, _, _ = j2_secular_rates(R + np.array([650.0, 800.0]), np.radians(inc))
    assert np.allclose(raan_dot, 2.0 * math.pi / (365.2422 * DAY_S), rtol=1e-12)
    assert np.allclose(np.degrees(raan_dot) * DAY_S, 0.98565, atol=1e-5)
    # above about 5,970 km no inclination is fast enough
    assert np.isnan(sso_inclination_deg(7000.0))


def test_j2_rates_53_deg_550_km_by_hand():
    # Vallado eqs. 9-41..9-43 by hand for a = 6928.137 km, i = 53 deg, e = 0:
    # n = sqrt(mu / a^3) = 1.0948237e-3 rad/s; (R/a)^2 = 0.8475294;
    # k = n J2 (R/a)^2 = 1.0045641e-6 rad/s
    # raan_dot = -1.5 k cos 53 = -9.068427e-7 rad/s = -4.489 deg/day (the Starlink shell's
    # well-known ~ -4.5 deg/day regression)
    a, i = R + 550.0, math.radians(53.0)
    n = math.sqrt(MU / a**3)
    k = n * J2 * (R / a) ** 2
    raan_hand = -1.5 * k * math.cos(i)
    argp_hand = 0.75 * k * (4.0 - 5.0 * math.sin(i) ** 2)
    m_hand = 0.75 * k * (2.0 - 3.0 * math.sin(i) ** 2)
    assert abs(n - 1.0948237e-3) < 1e-10 and abs(k - 1.0045641e-6) < 1e-13
    assert abs(raan_hand - (-9.068427e-7)) < 1e-13
    raan, argp, m_corr = j2_secular_rates(a, i)
    assert raan == pytest.approx(raan_hand, rel=1e-12)
    assert argp == pytest.approx(argp_hand, rel=1e-12)
    assert m_corr == pytest.approx(m_hand, rel=1e-12)
    raan_deg_day = math.degrees(raan) * DAY_S
    assert -4.55 < raan_deg_day < -4.45
    assert abs(raan_deg_day - (-4.489)) < 1e-3
    # prograde perigee drift below the critical inclination 63.4 deg, zero at it
    assert argp > 0
    assert abs(j2_secular_rates(a, math.asin(math.sqrt(4.0 / 5.0)))[1]) < 1e-18  # sin^2 i = 4/5
    # eccentricity enters through p = a (1 - e^2): raan_dot scales by (1 - e^2)^-2
    raan_e = j2_secular_rates(a, i, e=0.1)[0]
    assert raan_e == pytest.approx(raan_hand / (1.0 - 0.01) ** 2, rel=1e-12)


def test_walker_72x22_f1_spacing():
    # Walker i:T/P/F = 53:1584/72/1 (Walker 1984; Hypatia's Starlink shell):
    # nodes 360/72 = 5 deg apart, 22 per plane 360/22 deg apart, plane k shifted
    # k * F * 360/1584 = k * 0.22727 deg
    w = walker_shell(72, 22, 1, 53.0, 550.0)
    assert w.n_sat == 1584
    assert np.all(w.a_km == R + 550.0) and np.allclose(w.inclination_rad, math.radians(53.0))
    raan_deg = np.degrees(w.raan0_rad).reshape(72, 22)
    assert np.allclose(raan_deg, raan_deg[:, :1])  # one node per plane
    assert np.allclose(raan_deg[:, 0], np.arange(72) * 5.0)
    u_deg = np.degrees(w.u0_rad).reshape(72, 22)
    in_plane = np.mod(np.diff(u_deg, axis=1), 360.0)
    assert np.allclose(in_plane, 360.0 / 22)
    between = np.mod(u_deg[1:, 0] - u_deg[:-1, 0], 360.0)
    assert np.allclose(between, 360.0 / 1584)
    assert u_deg[71, 0] == pytest.approx(71 * 360.0 / 1584)
    # no two satellites share a slot
    assert len({(round(o, 6), round(u, 6)) for o, u in zip(raan_deg.ravel(), u_deg.ravel())}) == 1584
    # the thin wrapper is the same pattern
    d = walker_delta(1584, 72, 1, 53.0, 550.0)
    assert np.array_equal(d.u0_rad, w.u0_rad) and np.array_equal(d.raan0_rad, w.raan0_rad)


def test_walker_rejects_bad_patterns():
    with pytest.raises(ValueError):
        walker_delta(100, 7, 1, 53.0, 550.0)  # T not a multiple of P
    with pytest.raises(ValueError):
        walker_delta(1584, 72, 72, 53.0, 550.0)  # F must be < P


def test_propagated_radius_is_a():
    w = walker_shell(12, 8, 3, 53.0, 550.0)
    t = np.linspace(0.0, 3.0 * DAY_S, 97)
    r = propagate_circular_eci_km(w.a_km, w.inclination_rad, w.raan0_rad, w.u0_rad, t)
    assert r.shape == (96, 97, 3) and r.dtype == np.float32
    # float32 keeps 6e-8 relative: under 1 m at 6928 km
    assert np.allclose(np.linalg.norm(r.astype(np.float64), axis=-1), R + 550.0, rtol=2e-7, atol=0)
    r64 = propagate_circular_eci_km(w.a_km, w.inclination_rad, w.raan0_rad, w.u0_rad, t, dtype=np.float64)
    assert np.allclose(np.linalg.norm(r64, axis=-1), R + 550.0, rtol=1e-14, atol=0)
    assert np.max(np.abs(r.astype(np.float64) - r64)) < 1e-3  # under 1 m


def test_one_nodal_period_returns_to_the_node():
    # Circular orbit, u_dot = n (1 + 3/2 J2 (R/a)^2 (1 - 3/2 sin^2 i)) + argp_dot, by hand
    # for 550 km, 53 deg; after 2 pi / u_dot the satellite is back at the (drifted)
    # ascending node: z = 0 and r along (cos RAAN(t), sin RAAN(t), 0).
    a, i = R + 550.0, math.radians(53.0)
    n = math.sqrt(MU / a**3)
    k = n * J2 * (R / a) ** 2
    u_dot = n * (1.0 + 1.5 * J2 * (R / a) ** 2 * (1.0 - 1.5 * math.sin(i) ** 2)) + 0.75 * k * (
        4.0 - 5.0 * math.sin(i) ** 2
    )
    assert argument_of_latitude_rate_rad_s(a, i) == pytest.approx(u_dot, rel=1e-12)
    t_nodal = 2.0 * math.pi / u_dot
    raan0 = math.radians(40.0)
    raan_t = raan0 + -1.5 * k * math.cos(i) * t_nodal
    r = propagate_circular_eci_km(a, i, raan0, 0.0, np.array([t_nodal]), dtype=np.float64)[0, 0]
    assert np.allclose(r, a * np.array([math.cos(raan_t), math.sin(raan_t), 0.0]), atol=1e-6)
    # J2 matters: the Keplerian period falls short of the node by seconds, ~20 km in z
    kepler = 2.0 * math.pi / n
    assert 3.0 < kepler - t_nodal < 4.0
    r_kep = propagate_circular_eci_km(a, i, raan0, 0.0, np.array([kepler]), dtype=np.float64)[0, 0]
    assert r_kep[2] > 10.0


def test_orbit_normal_is_perpendicular_after_drift():
    # h = (sin i sin RAAN, -sin i cos RAAN, cos i) with RAAN drifted by hand over 10 days
    # (about -45 deg): positions stay in that plane, and not in the epoch's plane.
    a, i = R + 550.0, math.radians(53.0)
    n = math.sqrt(MU / a**3)
    raan_dot = -1.5 * n * J2 * (R / a) ** 2 * math.cos(i)
    t = np.linspace(10.0 * DAY_S, 10.0 * DAY_S + 6000.0, 50)
    r = propagate_circular_eci_km(a, i, 0.3, 1.0, t, dtype=np.float64)[0]
    raan = 0.3 + raan_dot * t
    h = np.stack([np.sin(i) * np.sin(raan), -np.sin(i) * np.cos(raan), np.full_like(t, np.cos(i))], axis=-1)
    assert np.allclose(orbit_normal_eci(i, raan), h)
    assert np.max(np.abs(np.sum(r * h, axis=-1))) / a < 1e-9
    h0 = orbit_normal_eci(i, 0.3)
    assert np.max(np.abs(r @ h0)) / a > 0.1
    # and secular_angles_rad gives the same RAAN
    raan_fn, _ = secular_angles_rad(a, i, 0.3, 1.0, t)
    assert np.allclose(raan_fn[0], raan, rtol=0, atol=1e-12)


def test_chunked_equals_whole():
    w = walker_shell(6, 5, 2, 97.6, 560.0)
    t = np.arange(0.0, 7300.0, 60.0)  # 122 steps, not a multiple of the chunk
    args = (w.a_km, w.inclination_rad, w.raan0_rad, w.u0_rad)
    whole = propagate_circular_eci_km(*args, t)
    chunks = list(propagate_chunks(*args, t, chunk_steps=25))
    assert [c[0].shape[0] for c in chunks] == [25, 25, 25, 25, 22]
    assert np.array_equal(np.concatenate([c[0] for c in chunks]), t)
    # element-wise arithmetic: the same numbers whichever slice a step falls in
    assert np.array_equal(np.concatenate([c[1] for c in chunks], axis=1), whole)
    with pytest.raises(ValueError):
        next(propagate_chunks(*args, t, chunk_steps=0))


def test_gmst_published_values():
    # GMST at J2000.0 = 67310.54841 s / 240 = 280.46061837 deg (Vallado eq. 3-47;
    # Astronomical Almanac)
    assert abs(math.degrees(gmst_rad(J2000_JD)) - 280.46061837) < 1e-8
    # SOFA's iauGmst82 test (t_sofa_c.c): UT1 = 2400000.5 + 53736.0 -> 1.754174981860675096 rad
    assert abs(gmst_rad(2400000.5 + 53736.0) - 1.754174981860675096) < 1e-8
    # Vallado Example 3-5: 2004-04-06 07:51:27.946047 UT1 -> 312.8098943 deg
    jd = julian_date(np.datetime64("2004-04-06T07:51:27.946047"))
    assert abs(math.degrees(gmst_rad(jd)) - 312.8098943) < 1e-6
    # vectorised, in [0, 2 pi), advancing 360.9856 deg per solar day
    g = gmst_rad(J2000_JD + np.arange(0.0, 400.0, 0.37))
    assert g.shape == (1082,) and np.all((g >= 0) & (g < 2 * math.pi))
    step = math.degrees(gmst_rad(J2000_JD + 1.0) - gmst_rad(J2000_JD)) % 360.0
    assert abs(step - 0.98564736) < 1e-6


def test_julian_date_published_values():
    # Unix epoch JD 2440587.5; J2000.0 JD 2451545.0; Vallado Example 3-4:
    # 1996-10-26 14:20:00 UT -> JD 2450383.09722222
    dt = np.array(["1970-01-01T00:00", "2000-01-01T12:00", "1996-10-26T14:20"], dtype="datetime64[s]")
    jd = julian_date(dt)
    assert jd.dtype == np.float64 and jd.shape == (3,)
    assert np.allclose(jd, [2440587.5, 2451545.0, 2450383.09722222], rtol=0, atol=1e-8)
    assert julian_date(dt.reshape(3, 1)).shape == (3, 1)


def test_eci_to_ecef_preserves_norms_and_dtype():
    w = walker_shell(4, 3, 1, 53.0, 550.0)
    t = np.linspace(0.0, DAY_S, 13)
    r = propagate_circular_eci_km(w.a_km, w.inclination_rad, w.raan0_rad, w.u0_rad, t)
    e = eci_to_ecef(r, J2000_JD + t / DAY_S)
    assert e.shape == r.shape and e.dtype == np.float32
    assert np.allclose(np.linalg.norm(e, axis=-1), np.linalg.norm(r, axis=-1), rtol=1e-6)
    assert np.array_equal(e[..., 2], r[..., 2])
    assert not np.allclose(e, r)  # it did rotate


def test_ascending_node_under_greenwich_has_longitude_zero():
    # At t = 0 a satellite with u = 0 sits on its ascending node, along (cos RAAN, sin RAAN,
    # 0); with RAAN = GMST that direction is Greenwich's meridian: lat 0, lon 0.
    # With RAAN = GMST + 30 deg it is at lon 30; a quarter orbit on, at lat = i.
    jd = julian_date(np.datetime64("2025-12-07T03:00:00"))
    g = float(gmst_rad(jd))
    a, i = R + 550.0, math.radians(53.0)
    r = propagate_circular_eci_km(a, i, np.array([g, g + math.radians(30.0)]), 0.0, np.array([0.0]), np.float64)
    lat, lon, alt = ecef_to_geodetic_deg(eci_to_ecef(r, jd))
    assert np.allclose(lat[:, 0], 0.0, atol=1e-9) and np.allclose(lon[:, 0], [0.0, 30.0], atol=1e-9)
    assert np.allclose(alt, 550.0)
    r_top = propagate_circular_eci_km(a, i, g, math.pi / 2, np.array([0.0]), np.float64)
    lat_top, _, _ = ecef_to_geodetic_deg(eci_to_ecef(r_top, jd))
    assert lat_top[0, 0] == pytest.approx(53.0, abs=1e-9)


def test_geodetic_wgs84_vallado_example():
    # Vallado Example 3-3: r_ECEF = (6524.834, 6862.875, 6448.296) km ->
    # geodetic lat 34.352496 deg, lon 46.4464 deg, height 5085.22 km (WGS-84)
    lat, lon, h = ecef_to_geodetic_deg(np.array([6524.834, 6862.875, 6448.296]), ellipsoid=True)
    assert abs(lat - 34.352496) < 2e-6 and abs(lon - 46.4464) < 1e-4 and abs(h - 5085.22) < 0.01
    # spherical model: geocentric latitude atan2(z, rho) and |r| - R, by hand
    lat_s, _, h_s = ecef_to_geodetic_deg(np.array([6524.834, 6862.875, 6448.296]))
    rho = math.hypot(6524.834, 6862.875)
    assert lat_s == pytest.approx(math.degrees(math.atan2(6448.296, rho)), abs=1e-12)
    assert h_s == pytest.approx(math.hypot(rho, 6448.296) - R, abs=1e-9)
    # round trip from the ground to GEO, both models, to well under a millimetre
    lat0 = np.array([0.0, 10.0, 45.0, -60.0, 89.9, 90.0])
    h0 = np.array([0.0, 0.5, 550.0, 1200.0, 35786.0, 10.0])
    for ell in (False, True):
        la, lo, hh = ecef_to_geodetic_deg(geodetic_to_ecef_km(lat0, -120.0, h0, ellipsoid=ell), ellipsoid=ell)
        assert np.allclose(la, lat0, atol=1e-9) and np.allclose(hh, h0, atol=1e-6)
        assert np.allclose(lo[:-1], -120.0)  # longitude is undefined at the pole


STARPERF_XML = """<constellation>
    <number_of_shells>2</number_of_shells>
    <shell1>
        <altitude>550</altitude>
        <orbit_cycle>5731</orbit_cycle>
        <inclination>53.0</inclination>
        <phase_shift>1</phase_shift>
        <number_of_orbit>72</number_of_orbit>
        <number_of_satellite_per_orbit>22</number_of_satellite_per_orbit>
    </shell1>
    <shell2>
        <altitude>560</altitude>
        <orbit_cycle>5743</orbit_cycle>
        <inclination>97.6</inclination>
        <phase_shift>1</phase_shift>
        <number_of_orbit>10</number_of_orbit>
        <number_of_satellite_per_orbit>52</number_of_satellite_per_orbit>
    </shell2>
</constellation>"""


def test_read_starperf_shells():
    # excerpt of StarPerf's Starlink file (shells 1 and 3 of
    # /work/shared/data/orbit/starperf_shells_Starlink.xml, renumbered)
    shells = read_starperf_shells(STARPERF_XML)
    assert shells == [
        {"altitude_km": 550.0, "inclination_deg": 53.0, "phase_shift": 1, "planes": 72, "sats_per_plane": 22},
        {"altitude_km": 560.0, "inclination_deg": 97.6, "phase_shift": 1, "planes": 10, "sats_per_plane": 52},
    ]
    w = walker_shell(
        shells[0]["planes"], shells[0]["sats_per_plane"], shells[0]["phase_shift"],
        shells[0]["inclination_deg"], shells[0]["altitude_km"],
    )
    assert w.n_sat == 1584
    with pytest.raises(ValueError):
        read_starperf_shells(STARPERF_XML.replace("<number_of_shells>2", "<number_of_shells>3"))


def test_float32_path_within_a_metre_of_float64_and_chunk_invariant():
    from orbitgrid.physics import orbits

    """The default float32 propagation (anchored cells) against float64, at 60 s steps over a
    day, for random orbits at 300-2,000 km: rounding alone costs ~0.5 m at 7,000 km."""
    rng = np.random.default_rng(11)
    n = 64
    a = orbits.R_EARTH_KM + rng.uniform(300, 2000, n)
    inc, raan, u = rng.uniform(0, np.pi, n), rng.uniform(0, 2 * np.pi, n), rng.uniform(0, 2 * np.pi, n)
    t = np.arange(0.0, 86400.0, 60.0)
    r32 = orbits.propagate_circular_eci_km(a, inc, raan, u, t)
    r64 = orbits.propagate_circular_eci_km(a, inc, raan, u, t, dtype=np.float64)
    assert r32.dtype == np.float32
    assert np.abs(r32.astype(np.float64) - r64).max() < 1e-3  # km
    halves = np.concatenate([orbits.propagate_circular_eci_km(a[:32], inc[:32], raan[:32], u[:32], t),
                             orbits.propagate_circular_eci_km(a[32:], inc[32:], raan[32:], u[32:], t)])
    assert np.array_equal(halves, r32)
