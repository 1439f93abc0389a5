"""Drag decay against Vallado's table and a hand integration."""

from __future__ import annotations

import numpy as np
import pytest

from orbitgrid.physics.decay import MU_EARTH_M3_S2, decay_rate_km_per_day, density_kg_m3, lifetime_days


def test_density_matches_table_8_4():
    # Vallado 4th ed. table 8-4: 500 km -> 6.967e-13 kg/m³, H = 63.822 km
    assert density_kg_m3(500.0) == pytest.approx(6.967e-13)
    assert density_kg_m3(550.0) == pytest.approx(6.967e-13 * np.exp(-50 / 63.822))
    assert density_kg_m3(0.0) == pytest.approx(1.225)
    assert np.all(np.diff(density_kg_m3(np.linspace(0, 1200, 500))) < 0)


def test_decay_rate_by_hand():
    # 550 km, C_D 2.2, 20 m², 500 kg: da/dt = -ρ sqrt(μ a) C_D A / m
    rho = 6.967e-13 * np.exp(-50 / 63.822)
    a = 6928.137e3
    expected_m_s = -rho * np.sqrt(MU_EARTH_M3_S2 * a) * 2.2 * 20 / 500
    assert decay_rate_km_per_day(550.0, 2.2, 20.0, 500.0) == pytest.approx(expected_m_s * 86.4)


def test_lifetime_within_one_band_by_hand():
    # from 590 to 510 km (one band: h0 500, ρ0 6.967e-13, H 63.822). Holding sqrt(μ a) at
    # its value for 550 km, t = H/(ρ0 k) (e^{(590-500)/H} - e^{(510-500)/H}) with k = sqrt(μa) C_D A/m
    k = np.sqrt(MU_EARTH_M3_S2 * 6928.137e3) * 2.2 * 20 / 500 * 86400 / 1e3  # km/day per (kg/m³)
    hand = 63.822 / (6.967e-13 * k) * (np.exp(90 / 63.822) - np.exp(10 / 63.822))
    got = lifetime_days(590.0, 2.2, 20.0, 500.0, reentry_altitude_km=510.0)
    assert got == pytest.approx(hand, rel=0.005)  # sqrt(a) varies by <0.6% over the band


def test_lifetime_grows_with_altitude_and_mass():
    days = lifetime_days(np.array([400.0, 550.0, 650.0]), 2.2, 20.0, 500.0)
    assert np.all(np.diff(days) > 0)
    assert lifetime_days(550.0, 2.2, 20.0, 1000.0) == pytest.approx(2 * lifetime_days(550.0, 2.2, 20.0, 500.0))
    # a tenfold denser atmosphere (solar maximum) cuts lifetime tenfold
    assert lifetime_days(550.0, 2.2, 20.0, 500.0, density_scale=10) == pytest.approx(
        lifetime_days(550.0, 2.2, 20.0, 500.0) / 10)
