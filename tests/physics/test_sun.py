"""Sun position, irradiance, beta angle and Earth's shadow, against published values, the
closed forms worked by hand, and brute-force sampling of the geometry."""

from __future__ import annotations

import numpy as np
import pytest

from orbitgrid.physics.orbits import orbit_normal_eci
from orbitgrid.physics.sun import (
    R_EARTH_KM,
    SOLAR_CONSTANT_W_M2,
    beta_angle_rad,
    critical_beta_rad,
    eclipse_fraction_cylindrical,
    eclipse_intervals,
    eclipse_season_days,
    illumination_conical,
    in_shadow_cylindrical,
    longest_eclipse_s,
    solar_irradiance_w_m2,
    sun_direction_eci,
    sun_position_eci_km,
)

MU_KM3_S2 = 398_600.4418  # WGS-84 (REFERENCE.md)
J2 = 1.08262668e-3  # EGM (REFERENCE.md)


def _jd(year: int, month: int, day: int, hour: float = 0.0) -> float:
    """Julian date from a Gregorian UTC date, Vallado Algorithm 14 (valid 1900-2100)."""
    return (
        367 * year
        - int(7 * (year + int((month + 9) / 12)) / 4)
        + int(275 * month / 9)
        + day
        + 1_721_013.5
        + hour / 24.0
    )


def _angle_deg(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    cos = np.sum(u * v, axis=-1) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1))
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def _circular_orbit_km(raan_rad, inc_rad, altitude_km, u_rad) -> np.ndarray:
    """Positions on a circular orbit at argument of latitude u: (R+h)(cos u P + sin u Q)."""
    raan, inc = np.broadcast_arrays(np.asarray(raan_rad, dtype=float), np.asarray(inc_rad, dtype=float))
    raan, inc = raan[..., None, None], inc[..., None, None]
    u = np.asarray(u_rad, dtype=float)[..., None]
    p = np.concatenate([np.cos(raan), np.sin(raan), np.zeros_like(raan)], axis=-1)
    q = np.concatenate([-np.cos(inc) * np.sin(raan), np.cos(inc) * np.cos(raan), np.sin(inc)], axis=-1)
    return (R_EARTH_KM + altitude_km) * (np.cos(u) * p + np.sin(u) * q)


def _period_s(altitude_km: float) -> float:
    return 2.0 * np.pi * np.sqrt((R_EARTH_KM + altitude_km) ** 3 / MU_KM3_S2)


# --- where the Sun is -------------------------------------------------------------------


def test_julian_date_helper():
    # Vallado Example 3-4 / J2000: 2000-01-01 12:00 is JD 2451545.0
    assert _jd(2000, 1, 1, 12.0) == 2_451_545.0


def test_sun_position_matches_vallado_example_5_1():
    # Vallado, Fundamentals of Astrodynamics and Applications, Example 5-1 (Algorithm 29,
    # the Astronomical Almanac's low-precision formula): 2 April 2006 00:00 UTC gives
    # r_sun = (146186212, 28788976, 12481064) km in the mean equator of date.
    ref_km = np.array([146_186_212.0, 28_788_976.0, 12_481_064.0])
    r_km = sun_position_eci_km(_jd(2006, 4, 2))
    assert r_km.shape == (3,)
    assert _angle_deg(r_km, ref_km) < 0.02  # the Almanac's stated accuracy
    assert abs(np.linalg.norm(r_km) / np.linalg.norm(ref_km) - 1.0) < 1e-3
    # the example is worked with this very formula, so it should agree far more closely
    # (measured: 6.4e-5 deg, 4e-7 in distance); this catches a dropped or mistyped term
    assert _angle_deg(r_km, ref_km) < 5e-4
    assert abs(np.linalg.norm(r_km) / np.linalg.norm(ref_km) - 1.0) < 1e-5
    assert np.allclose(sun_direction_eci(_jd(2006, 4, 2)), r_km / np.linalg.norm(r_km), atol=1e-15)


def test_sun_declination_at_equinox_and_solstice():
    # USNO, Earth's Seasons 2024: March equinox 20 March 03:06 UTC, June solstice
    # 20 June 20:51 UTC. Declination 0 at the equinox, +obliquity (23.44 deg) at the solstice.
    jd = np.array([_jd(2024, 3, 20, 3 + 6 / 60), _jd(2024, 6, 20, 20 + 51 / 60)])
    s = sun_direction_eci(jd)
    assert s.shape == (2, 3)
    assert np.allclose(np.linalg.norm(s, axis=-1), 1.0, atol=1e-14)
    dec_deg = np.degrees(np.arcsin(s[:, 2]))
    assert abs(dec_deg[0]) < 0.05
    assert abs(dec_deg[1] - 23.44) < 0.01
    # at the March equinox the Sun sits on the +x axis (the vernal equinox direction)
    assert abs(np.degrees(np.arctan2(s[0, 1], s[0, 0]))) < 0.05


def test_sun_vectorised_shape():
    jd = _jd(2025, 1, 1) + np.arange(12.0).reshape(3, 4)
    assert sun_position_eci_km(jd).shape == (3, 4, 3)
    assert solar_irradiance_w_m2(jd).shape == (3, 4)


def test_irradiance_peaks_at_perihelion_and_dips_at_aphelion():
    # Kopp & Lean 2011: 1361 W/m^2 at 1 AU, about +-3.4% over the year. 2024 perihelion
    # 3 Jan, aphelion 5 Jul (USNO); (1 AU/r)^2 = 1/(1 -+ e)^2 with e = 0.0167:
    # 1.0342 at perihelion, 0.9666-0.9674 at aphelion.
    jd = _jd(2024, 1, 1) + np.arange(366.0)
    irr = solar_irradiance_w_m2(jd)
    assert 1 <= irr.argmax() <= 5  # 2-6 January
    assert 184 <= irr.argmin() <= 188  # 3-7 July
    assert irr.max() == pytest.approx(SOLAR_CONSTANT_W_M2 * 1.0342, rel=2e-3)
    assert irr.min() == pytest.approx(SOLAR_CONSTANT_W_M2 * 0.9666, rel=2e-3)
    # the yearly mean of (1 AU/r)^2 is 1/sqrt(1 - e^2) ~ 1.00014
    assert irr.mean() == pytest.approx(SOLAR_CONSTANT_W_M2, rel=5e-4)


# --- beta angle -------------------------------------------------------------------------


def test_beta_matches_reference_ra_dec_form():
    # REFERENCE.md (Vallado; SMAD ch. 5): sin b = cos(dec) sin i sin(RAAN - RA) + sin(dec) cos i
    rng = np.random.default_rng(1)
    raan = rng.uniform(0, 2 * np.pi, 500)
    inc = rng.uniform(0, np.pi, 500)
    s = sun_direction_eci(_jd(2024, 1, 1) + rng.uniform(0, 366, 500))
    ra, dec = np.arctan2(s[:, 1], s[:, 0]), np.arcsin(s[:, 2])
    sin_ref = np.cos(dec) * np.sin(inc) * np.sin(raan - ra) + np.sin(dec) * np.cos(inc)
    beta = beta_angle_rad(raan, inc, s)
    assert np.max(np.abs(np.sin(beta) - sin_ref)) < 1e-12


def test_orbit_normal_is_the_cross_product_of_positions():
    # h = r(u=0) x r(u=90 deg) / |...|, the angular momentum direction of a prograde orbit
    raan, inc = np.radians([40.0, 200.0]), np.radians([53.0, 97.6])
    r = _circular_orbit_km(raan, inc, 550.0, np.array([0.0, np.pi / 2]))
    h = np.cross(r[:, 0], r[:, 1])
    h /= np.linalg.norm(h, axis=-1, keepdims=True)
    assert np.allclose(orbit_normal_eci(inc, raan), h, atol=1e-14)  # orbits' (inclination, RAAN) order


def test_beta_of_orbit_containing_the_sun_is_zero_and_polar_sun_is_inclination():
    s = sun_direction_eci(_jd(2024, 3, 20, 3.1))  # ~ +x at the equinox
    assert abs(beta_angle_rad(0.0, np.radians(53.0), s)) < 1e-3  # node line toward the Sun
    # sun on the pole: beta = 90 deg - i
    assert beta_angle_rad(1.0, np.radians(30.0), np.array([0.0, 0.0, 1.0])) == pytest.approx(np.radians(60.0))


# --- cylindrical shadow -----------------------------------------------------------------


def test_critical_beta_and_eclipse_fraction_closed_form_at_550_km():
    h = 550.0
    # REFERENCE.md: beta* = asin(R/(R+h)); by hand 6378.137/6928.137 -> 67.016 deg
    assert np.degrees(critical_beta_rad(h)) == pytest.approx(np.degrees(np.arcsin(6378.137 / 6928.137)))
    assert np.degrees(critical_beta_rad(h)) == pytest.approx(67.016, abs=1e-3)
    # f(beta = 0) = acos(sqrt(h^2 + 2Rh)/(R+h))/pi = acos(2705.27/6928.137)/pi = 0.37231
    by_hand = np.arccos(np.sqrt(h**2 + 2 * 6378.137 * h) / (6378.137 + h)) / np.pi
    assert by_hand == pytest.approx(0.37231, abs=1e-5)
    assert eclipse_fraction_cylindrical(h, 0.0) == pytest.approx(by_hand, rel=1e-12)
    crit = critical_beta_rad(h)
    f = eclipse_fraction_cylindrical(h, np.array([crit, -crit, crit + 0.1, np.pi / 2, crit - 1e-3]))
    assert f[:4].tolist() == [0.0, 0.0, 0.0, 0.0]
    assert 0.0 < f[4] < 0.03  # 1 mrad under beta* the eclipse is short (~2% of the orbit), not zero
    # even in beta, decreasing in |beta|
    betas = np.radians(np.linspace(0, 66, 50))
    fs = eclipse_fraction_cylindrical(h, betas)
    assert np.all(np.diff(fs) < 0)
    assert np.allclose(fs, eclipse_fraction_cylindrical(h, -betas))


def test_eclipse_fraction_matches_sampled_cylindrical_shadow():
    # Brute force: 100k points of one revolution with the Sun fixed (June solstice), orbits
    # at 60 deg over sixteen nodes: beta from -37 to 83 deg, both sides of beta* = 67.0 deg
    # (68.9 deg, just outside, included).
    h = 550.0
    s = sun_direction_eci(_jd(2024, 6, 20, 20.85))
    raan = np.radians(np.arange(0.0, 360.0, 22.5))
    inc = np.radians(60.0)
    beta = beta_angle_rad(raan, inc, s)
    u = np.linspace(0.0, 2 * np.pi, 100_000, endpoint=False)
    r = _circular_orbit_km(raan, inc, h, u)  # (16, 100000, 3)
    sampled = in_shadow_cylindrical(r, s).mean(axis=-1)
    closed = eclipse_fraction_cylindrical(h, beta)
    assert np.max(np.abs(sampled - closed)) < 1e-3
    assert np.sum(closed > 0.3) >= 4 and np.sum(closed == 0.0) == 3  # both regimes exercised


def test_in_shadow_cylindrical_cases():
    s = np.array([1.0, 0.0, 0.0])
    r = np.array(
        [
            [-7000.0, 0.0, 0.0],  # behind Earth on the axis
            [7000.0, 0.0, 0.0],  # sunward
            [-7000.0, 6378.0, 0.0],  # behind, just inside the cylinder
            [-7000.0, 6379.0, 0.0],  # behind, just outside
            [-1.0, 0.0, -6378.0],  # just behind the terminator
            [1.0, 0.0, -6378.0],  # just in front of it
        ]
    )
    assert in_shadow_cylindrical(r, s).tolist() == [True, False, True, False, True, False]


# --- conical shadow ---------------------------------------------------------------------


def test_conical_umbra_sunlit_and_penumbra_edge():
    r_sun = sun_position_eci_km(_jd(2024, 3, 20))
    s = r_sun / np.linalg.norm(r_sun)
    # an orthonormal direction perpendicular to the Sun line
    e = np.cross(s, [0.0, 0.0, 1.0])
    e /= np.linalg.norm(e)
    nu = illumination_conical(np.stack([-7000.0 * s, 7000.0 * s, 7000.0 * e]), r_sun)
    assert nu.tolist() == [0.0, 1.0, 1.0]
    # a path 1000 km behind the Earth, moving out across the shadow edge: the visible
    # fraction rises monotonically from 0 through the penumbra to 1
    d = np.linspace(6300.0, 6460.0, 4001)
    path = -1000.0 * s + d[:, None] * e
    nu = illumination_conical(path, r_sun)
    assert nu[0] == 0.0 and nu[-1] == 1.0
    assert np.all(np.diff(nu) >= 0.0)
    pen = (nu > 0.0) & (nu < 1.0)
    assert pen.sum() > 100
    # Montenbruck & Gill 3.4.2: the penumbra half-width at distance x behind Earth is about
    # x * R_sun/AU ~ 1000 km * 0.00465 rad ~ 4.7 km either side of the R_E edge, i.e.
    # the half-light point sits within ~0.1 km of the cylinder radius at this distance
    half = d[np.argmin(np.abs(nu - 0.5))]
    assert half == pytest.approx(R_EARTH_KM, abs=0.5)
    width_km = d[pen].max() - d[pen].min()
    assert 8.0 < width_km < 11.0


def test_conical_broadcasts_satellites_against_times():
    jd = _jd(2024, 1, 1) + np.arange(5.0) / 24
    r_sun = sun_position_eci_km(jd)  # (5, 3)
    rng = np.random.default_rng(2)
    direction = rng.normal(size=(40, 5, 3))
    direction /= np.linalg.norm(direction, axis=-1, keepdims=True)
    r_sat = direction * rng.uniform(R_EARTH_KM + 300.0, R_EARTH_KM + 2000.0, size=(40, 5, 1))
    nu = illumination_conical(r_sat, r_sun)
    assert nu.shape == (40, 5)
    assert np.all((nu >= 0.0) & (nu <= 1.0))
    # outside the thin penumbra the conical and cylindrical models agree, point by point,
    # and each matches a loop over the times
    cyl = in_shadow_cylindrical(r_sat, r_sun / np.linalg.norm(r_sun, axis=-1, keepdims=True))
    sure = (nu == 0.0) | (nu == 1.0)
    assert sure.sum() >= 195 and (nu == 0.0).sum() >= 20
    assert np.array_equal(nu[sure] == 0.0, cyl[sure])
    for k in range(5):
        assert np.array_equal(illumination_conical(r_sat[:, k], r_sun[k]), nu[:, k])


def test_conical_eclipse_time_agrees_with_cylindrical_at_beta_zero():
    # One revolution at 550 km in the plane containing the Sun (beta = 0), every 0.05 s.
    # Measured: cylindrical 2136.69 s; conical umbra 2128.26 s plus 2 x 8.5 s of penumbra;
    # umbra + half the penumbra = 2136.76 s, within 0.1 s of the cylinder (the penumbra
    # straddles the cylinder edge; the tangent cone from the Sun's centre widens by only
    # ~0.1 km over the few thousand km behind Earth).
    h = 550.0
    period = _period_s(h)
    r_sun = sun_position_eci_km(_jd(2024, 3, 20))
    s = r_sun / np.linalg.norm(r_sun)
    q = np.cross([0.0, 0.0, 1.0], s)
    q /= np.linalg.norm(q)
    dt = 0.05
    t = np.arange(0.0, period, dt)
    u = 2 * np.pi * t / period
    r = (R_EARTH_KM + h) * (np.cos(u)[:, None] * s + np.sin(u)[:, None] * q)
    nu = illumination_conical(r, r_sun)
    cyl_s = in_shadow_cylindrical(r, s).sum() * dt
    assert cyl_s == pytest.approx(eclipse_fraction_cylindrical(h, 0.0) * period, abs=2 * dt)
    umbra_s = np.sum(nu == 0.0) * dt
    penumbra_s = np.sum((nu > 0.0) & (nu < 1.0)) * dt
    assert 7.0 < penumbra_s / 2 < 10.0  # each crossing of the penumbra takes ~8.5 s
    assert umbra_s < cyl_s
    assert umbra_s + 0.5 * penumbra_s == pytest.approx(cyl_s, abs=1.0)
    assert np.sum(1.0 - nu) * dt == pytest.approx(cyl_s, abs=1.0)


# --- eclipse intervals and seasons ------------------------------------------------------


def test_eclipse_intervals_on_a_small_series():
    t = np.arange(6.0)
    start, end = eclipse_intervals(t, np.array([1, 0, 0, 1, 0, 1], dtype=bool))
    assert start.tolist() == [0.5, 3.5] and end.tolist() == [2.5, 4.5]
    start, end = eclipse_intervals(t, np.array([0, 0, 1, 1, 1, 0], dtype=bool))
    assert start.tolist() == [0.0, 4.5] and end.tolist() == [1.5, 5.0]  # cut at the ends
    start, end = eclipse_intervals(t, np.ones(6, dtype=bool))
    assert start.size == 0 and end.size == 0
    lit = np.array([[1, 0, 0, 1, 0, 1], [0, 0, 1, 1, 1, 0], [1, 1, 1, 1, 1, 1]], dtype=bool)
    assert longest_eclipse_s(t, lit).tolist() == [2.0, 1.5, 0.0]


def test_longest_eclipse_at_550_km_is_fraction_times_period():
    # Three satellites at 550 km, betas 0, 30 and 60 deg (Sun fixed on +x), sampled every
    # second over one revolution from the point nearest the Sun (u = -90 deg here), so the
    # one eclipse, centred half a period later, lies wholly inside.
    h = 550.0
    period = _period_s(h)
    betas = np.radians([0.0, 30.0, 60.0])
    s = np.array([1.0, 0.0, 0.0])
    # RAAN = 90 deg puts the normal at (sin i, 0, cos i), so sin(beta) = sin(i): i = beta
    raan, inc = np.full(3, np.pi / 2), betas
    assert np.allclose(beta_angle_rad(raan, inc, s), betas)
    t = np.arange(0.0, period, 1.0)
    r = _circular_orbit_km(raan, inc, h, 2 * np.pi * t / period - np.pi / 2)
    lit = ~in_shadow_cylindrical(r, s)
    longest = longest_eclipse_s(t, lit)
    expected = eclipse_fraction_cylindrical(h, betas) * period
    assert expected[0] == pytest.approx(0.37231 * 5738.99, abs=0.5)  # ~2136.7 s, 35.6 min
    assert np.allclose(longest, expected, atol=1.0)
    start, end = eclipse_intervals(t, lit[0])
    assert start.size == 1 and end[0] - start[0] == longest[0]


def test_eclipse_season_days_counts_days_below_critical_beta():
    # 550 km: beta* = 67.016 deg, three of these days are in season; 20000 km: beta* = 14.0 deg
    assert eclipse_season_days(np.array([0.0, 66.0, 67.5, -66.9, 80.0]), 550.0) == 3
    assert eclipse_season_days(np.array([[0.0, 66.0], [10.0, 70.0]]), np.array([550.0, 20_000.0])).tolist() == [2, 1]


def test_dawn_dusk_sun_synchronous_orbit_has_a_june_eclipse_season():
    # REFERENCE.md: a dawn-dusk SSO is not free of eclipses. 650 km (Suncatcher), 18:00
    # ascending node: the node tracks the mean Sun (RA = mean longitude + 90 deg); the
    # inclination makes the J2 nodal rate 360 deg / 365.2422 d (Vallado eq. 9-41).
    h = 650.0
    a = R_EARTH_KM + h
    n = np.sqrt(MU_KM3_S2 / a**3)
    inc = np.arccos(-(2 * np.pi / (365.2422 * 86400)) / (1.5 * n * J2 * (R_EARTH_KM / a) ** 2))
    assert np.degrees(inc) == pytest.approx(97.99, abs=0.02)
    jd = _jd(2024, 1, 1) + np.arange(366.0)
    mean_lon = np.radians(280.460 + 36_000.771 * (jd - 2_451_545.0) / 36_525)  # Almanac
    beta_deg = np.degrees(beta_angle_rad(mean_lon + np.pi / 2, inc, sun_direction_eci(jd)))
    days = eclipse_season_days(beta_deg, h)
    # measured 91 days (7 May - 5 Aug 2024), beta lowest (58.6 deg) on the June solstice
    assert 80 <= days <= 100
    assert 169 <= np.argmin(np.abs(beta_deg)) <= 174  # 18-23 June
    in_season = np.flatnonzero(np.abs(beta_deg) < np.degrees(critical_beta_rad(h)))
    assert in_season.size == days and np.all(np.diff(in_season) == 1)  # one season, not two
