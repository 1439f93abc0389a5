"""Fault models: SAA region, upset counts, permanent-failure times, checkpoint loss.

Sources are cited per test; hand-derived values are worked in the comments."""

from __future__ import annotations

import math

import numpy as np
import pytest

from orbitgrid.physics import faults, orbits


def _orbit_lat_lon(inc_deg: float, altitude_km: float, days: float, step_s: float = 20.0):
    jd0 = float(orbits.julian_date(np.datetime64("2026-01-01T00:00:00")))
    t = np.arange(0.0, days * 86400.0, step_s)
    r = orbits.propagate_circular_eci_km(orbits.R_EARTH_KM + altitude_km, math.radians(inc_deg), 0.0, 0.0, t, dtype=np.float64)[0]
    lat, lon, _ = orbits.ecef_to_geodetic_deg(orbits.eci_to_ecef(r, jd0 + t / 86400.0))
    return t, lat, lon


# --- SAA --------------------------------------------------------------------------------


def test_saa_centre_drifts_west_from_the_aeros_position():
    # Knoll et al. 1977: 30 S, 40 W in 1973-74; 0.3 deg/yr west (Fuerst et al. 2009):
    # 2026.0 -> -40 - 0.3 * (2026.0 - 1973.8) = -55.66
    assert faults.saa_centre_deg(2026.0) == pytest.approx((-30.0, -55.66))
    assert faults.saa_centre_deg(1973.8) == pytest.approx((-30.0, -40.0))


def test_points_inside_and_outside_the_saa():
    # inside: the SAA core over south-east Brazil (about 26 S, 50 W; Wikipedia gives 30 S,
    # 40 W for the field minimum) and the same place written with a 0-360 longitude
    assert faults.in_saa(-26.0, -50.0) and faults.in_saa(-26.0, 310.0) and faults.in_saa(-30.0, -40.0)
    # outside: Paris, the equatorial Pacific, Tokyo, the south Indian Ocean
    outside = faults.in_saa(np.array([48.9, 0.0, 35.7, -40.0]), np.array([2.35, -150.0, 139.7, 80.0]))
    assert not outside.any()


def test_hubble_spends_about_a_tenth_to_a_seventh_of_its_time_in_the_saa():
    """NASA IMAGE "Ask us" Q525 (image.gsfc.nasa.gov/poetry/ask/q525.html): Hubble (28.5 deg,
    about 540 km) passes through the SAA on 10 successive orbits a day and spends nearly 15 %
    of its time there. HST's operational SAA contour is a conservative avoidance zone, so ours
    should be smaller but not by more than 2x: ours 9.8 % and 8.3 orbits a day."""
    t, lat, lon = _orbit_lat_lon(28.5, 540.0, days=20.0)
    inside = faults.in_saa(lat, lon)
    assert 0.075 <= inside.mean() <= 0.15
    per_orbit = np.bincount((t // float(orbits.orbital_period_s(540.0))).astype(int), weights=inside) > 0
    assert 7.0 <= per_orbit.sum() / 20.0 <= 10.0


def test_time_fraction_constant_matches_the_ellipse():
    _, lat, lon = _orbit_lat_lon(53.0, 550.0, days=30.0)
    assert faults.in_saa(lat, lon).mean() == pytest.approx(faults.SAA_TIME_FRACTION_53DEG, abs=0.005)


# --- upsets -----------------------------------------------------------------------------


def test_default_upset_rates_by_hand():
    # Suncatcher per-rad rates (arXiv 2511.19468, secondary transcription):
    # 1/50 + 1/150 + 1/450 + 1/400 + 1/5000 = 0.0315889 per rad; x 150 rad/yr / 365.25
    assert faults.INTERRUPTS_PER_RAD == pytest.approx(0.0315889, rel=1e-5)
    assert faults.MEAN_SEU_RATE_PER_GPU_DAY == pytest.approx(0.0315889 * 150.0 / 365.25, rel=1e-5)
    # share 0.75 in time 0.09: 0.75 * 0.91 / (0.09 * 0.25) = 30.333
    assert faults.saa_multiplier(0.75, 0.09) == pytest.approx(30.3333, rel=1e-4)
    # outside rate: 0.013 / (0.91 + 30.3333 * 0.09) = 0.013 / 3.64 = 0.0035714
    assert faults.rate_outside_saa(0.013, 30.3333333, 0.09) == pytest.approx(0.0035714, rel=1e-4)
    # the defaults give back the orbit-mean rate
    f, m = faults.SAA_TIME_FRACTION_53DEG, faults.SAA_MULTIPLIER
    assert faults.SEU_RATE_PER_GPU_DAY * (1 - f + m * f) == pytest.approx(faults.MEAN_SEU_RATE_PER_GPU_DAY)
    with pytest.raises(ValueError):
        faults.saa_multiplier(1.0, 0.1)


def test_seu_counts_mean_matches_lambda_inside_and_outside():
    # hand: 8 GPUs x 0.5 per GPU-day x 3600 s / 86400 s = 0.16667 outside, x 10 = 1.6667 inside;
    # 16 GPUs: 0.33333 and 3.3333
    rng = np.random.default_rng(7)
    n_t = 40_000
    mask = np.zeros((2, n_t), dtype=bool)
    mask[:, ::4] = True
    counts = faults.seu_counts(rng, np.array([8, 16]), 0.5, 10.0, mask, 3600.0)
    assert counts.shape == (2, n_t) and np.issubdtype(counts.dtype, np.integer)
    for s, gpus in enumerate((8, 16)):
        lam_out = gpus * 0.5 * 3600.0 / 86400.0
        for sel, lam in ((~mask[s], lam_out), (mask[s], 10.0 * lam_out)):
            n = sel.sum()
            assert abs(counts[s, sel].mean() - lam) < 4.0 * math.sqrt(lam / n)


def test_seu_counts_are_reproducible_and_zero_without_rate():
    mask = np.ones((3, 5), dtype=bool)
    a = faults.seu_counts(np.random.default_rng(1), 4, 2.0, 3.0, mask, 600.0)
    b = faults.seu_counts(np.random.default_rng(1), 4, 2.0, 3.0, mask, 600.0)
    assert np.array_equal(a, b)
    assert not faults.seu_counts(np.random.default_rng(1), 4, 0.0, 3.0, mask, 600.0).any()
    with pytest.raises(ValueError):
        faults.seu_counts(np.random.default_rng(1), 4, 1.0, 3.0, mask[0], 600.0)


# --- permanent failures -----------------------------------------------------------------


def test_failure_time_inverts_the_cumulative_hazard_by_hand():
    # base 0.1/yr, k 0.2 /yr/krad, r 0.5 krad/yr, age 2 yr, E = 1:
    # Lambda(t) = 0.05 t^2 + (0.1 + 0.1 * 2) t = 0.05 t^2 + 0.3 t = 1
    # t = (-0.3 + sqrt(0.09 + 0.2)) / 0.1 = 2.385165
    t = faults.failure_time_from_exposure(1.0, 0.1, 0.2, 0.5, 2.0)
    assert t == pytest.approx(2.385165, rel=1e-6)
    assert faults.cumulative_hazard(t, 0.1, 0.2, 0.5, 2.0) == pytest.approx(1.0, rel=1e-12)
    # no dose term: t = E / base = 0.5 / 0.1 = 5
    assert faults.failure_time_from_exposure(0.5, 0.1, 0.0, 0.5, 2.0) == pytest.approx(5.0)
    # no hazard at all: never fails
    assert faults.failure_time_from_exposure(0.5, 0.0, 0.0, 0.5, 2.0) == np.inf


def test_failure_times_survival_follows_exp_minus_lambda():
    rng = np.random.default_rng(11)
    n = 200_000
    b, k, r, age = 0.0943, 0.2, 0.5, 1.0
    times = faults.failure_times_years(rng, n, b, k, r, age)
    for t in (0.5, 2.0, 5.0):
        p = math.exp(-float(faults.cumulative_hazard(t, b, k, r, age)))
        assert abs((times > t).mean() - p) < 4.0 * math.sqrt(p * (1 - p) / n)


def test_base_gpu_rate_loses_nine_percent_a_year():
    # REFERENCE.md: a terrestrial fleet loses about 9 % of its GPUs a year (Meta, Llama 3)
    assert math.exp(-faults.BASE_GPU_FAILURE_RATE_PER_YEAR) == pytest.approx(0.91)
    # assumed slope: the dose term equals the base hazard at 15 krad (Suncatcher's test limit)
    assert faults.GPU_FAILURE_RATE_PER_YEAR_PER_KRAD * 15.0 == pytest.approx(faults.BASE_GPU_FAILURE_RATE_PER_YEAR)


def test_bus_rate_from_starlink_launches_2_to_8():
    """McDowell via Advanced Television (2021-01-08): of 420 Starlinks from launches 2-8, 7
    deorbited and 10 stopped manoeuvring by the end of 2020. Launch dates (60 each) give a
    mean age of 0.856 years at 2021-01-01; hazard -ln(1 - 17/420) / 0.856 = 0.0483 per year."""
    launches = np.array(
        ["2019-11-11", "2020-01-07", "2020-01-29", "2020-02-17", "2020-03-18", "2020-04-22", "2020-06-04"],
        dtype="datetime64[D]",
    )
    mean_age = float(((np.datetime64("2021-01-01") - launches).astype(float) / 365.25).mean())
    assert mean_age == pytest.approx(0.856, abs=5e-4)
    assert faults.BUS_FAILURE_RATE_PER_YEAR == pytest.approx(0.0483, abs=2e-4)


def test_bus_failure_survival_is_exponential():
    rng = np.random.default_rng(3)
    n = 200_000
    times = faults.bus_failure_times_years(rng, n, 0.2)
    for t in (1.0, 5.0):
        p = math.exp(-0.2 * t)
        assert abs((times > t).mean() - p) < 4.0 * math.sqrt(p * (1 - p) / n)
    assert np.all(np.isinf(faults.bus_failure_times_years(rng, 3, 0.0)))
