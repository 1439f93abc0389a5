"""Radiator physics against Stefan-Boltzmann worked by hand (σ = 5.670374419e-8, CODATA 2018)."""

from __future__ import annotations

import numpy as np
import pytest

from orbitgrid.physics import thermal as th

SIGMA = 5.670374419e-8


def test_emission_by_hand():
    # 1 m², ε = 0.9, 300 K, nothing absorbed: 0.9 σ 300⁴ = 413.37 W
    assert th.net_flux_w_m2(300.0, 0.9, 0.0) == pytest.approx(0.9 * SIGMA * 300.0**4)
    assert float(th.net_flux_w_m2(300.0, 0.9, 0.0)) == pytest.approx(413.37, abs=0.01)


def test_view_factor_and_absorbed_by_hand():
    f = th.view_factor_nadir_plate(550.0)
    assert f == pytest.approx((6378.137 / 6928.137) ** 2)  # 0.8475
    # α 0.2, ε 0.9, sun at 60° from the normal, S 1361: direct 0.2·1361·0.5 = 136.1;
    # albedo 0.2·0.3·1361·F; IR 0.9·237·F
    got = th.absorbed_w_m2(0.2, 0.9, 1361.0, 0.5, f)
    assert got == pytest.approx(136.1 + 0.2 * 0.3 * 1361 * f + 0.9 * 237 * f)
    # sun behind the radiator: no direct term
    assert th.absorbed_w_m2(0.2, 0.9, 1361.0, -0.3, 0.0) == 0.0


def test_sizing_one_and_two_sided():
    # 1 kW at 300 K, ε 0.9, deep space: one side 1000 / 413.37 = 2.419 m²; two sides half
    one = th.radiator_area_m2(1000.0, 300.0, 0.9, sides=1)
    two = th.radiator_area_m2(1000.0, 300.0, 0.9, sides=2)
    assert one == pytest.approx(1000 / (0.9 * SIGMA * 300**4))
    assert two == pytest.approx(one / 2)
    # an environment hotter than the radiator can shed: no finite area
    assert np.isinf(th.radiator_area_m2(1000.0, 200.0, 0.9, absorbed=500.0))
    with pytest.raises(ValueError):
        th.radiator_area_m2(1.0, 300.0, 0.9, sides=3)


def test_equilibrium_and_rejectable_are_inverse():
    absorbed = th.absorbed_w_m2(0.2, 0.9, 1361.0, 0.0, th.view_factor_nadir_plate(650.0))
    t = th.equilibrium_temperature_k(5000.0, 10.0, 0.9, absorbed, sides=2)
    assert th.rejectable_heat_w(t, 10.0, 0.9, absorbed, sides=2) == pytest.approx(5000.0)
    assert th.radiator_area_m2(5000.0, t, 0.9, absorbed, sides=2) == pytest.approx(10.0)


def test_lumped_transient_settles_at_equilibrium():
    # 2 kW into 4 m² two-sided, C = 50 kJ/K: after many time constants T -> equilibrium
    heat = np.full((3, 400), 2000.0)
    temps = th.lumped_temperature_k(np.array([250.0, 300.0, 350.0]), heat, 60.0, 5e4, 4.0, 0.9, sides=2)
    t_eq = th.equilibrium_temperature_k(2000.0, 4.0, 0.9, sides=2)
    assert np.allclose(temps[:, -1], t_eq, rtol=1e-4)
    assert temps[0, 0] > 250.0 and temps[2, 0] < 350.0  # cold warms, hot cools
