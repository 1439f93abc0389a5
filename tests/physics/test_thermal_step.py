"""The lumped radiator step used tick by tick in the capacity table, against hand values."""

from __future__ import annotations

import numpy as np
import pytest

from orbitgrid.physics.thermal import (
    equilibrium_temperature_k,
    lumped_heat_limit_w,
    lumped_step_k,
    lumped_temperature_k,
    rejectable_heat_w,
)

SIGMA = 5.670374419e-8  # CODATA 2018 (REFERENCE.md)


def test_one_step_by_hand():
    # C = 1e6 J/K, A = 10 m², one side, ε = 1, no environment, T0 = 300 K, Q = 5 kW, dt = 100 s.
    # Emitted 10σ·300⁴ = 4,592.99 W; slope 40σ·300³ = 61.24 W/K;
    # T1 = 300 + 100 (5000 − 4593.0) / (1e6 + 100 · 61.24) = 300.04045 K
    emitted = 10 * SIGMA * 300.0**4
    slope = 40 * SIGMA * 300.0**3
    by_hand = 300.0 + 100.0 * (5000.0 - emitted) / (1e6 + 100.0 * slope)
    assert by_hand == pytest.approx(300.04045, abs=1e-5)
    assert float(lumped_step_k(300.0, 5000.0, 100.0, 1e6, 10.0, 1.0)) == pytest.approx(by_hand, rel=1e-12)


def test_settles_at_the_steady_temperature_and_agrees_with_fine_euler():
    # many long steps of a stiff radiator (time constant C / (4 ε σ A T³) ≈ 80 s, steps of 600 s):
    # backward Euler stays stable and lands on the equilibrium (Q/(εσA))^¼
    t = np.array(250.0)
    for _ in range(200):
        t = lumped_step_k(t, 8000.0, 600.0, 5e3, 12.0, 0.9, absorbed=50.0, sides=2)
    assert float(t) == pytest.approx(float(equilibrium_temperature_k(8000.0, 12.0, 0.9, 50.0, sides=2)), rel=1e-9)
    # over a slow transient it follows the explicit integrator with fine substeps within 0.05 K
    heat = np.full(50, 8000.0)
    fine = lumped_temperature_k(250.0, heat, 60.0, 2e6, 12.0, 0.9, 50.0, sides=2, substeps=200)
    t, ours = np.array(250.0), []
    for q in heat:
        t = lumped_step_k(t, q, 60.0, 2e6, 12.0, 0.9, 50.0, sides=2)
        ours.append(float(t))
    assert np.max(np.abs(np.array(ours) - fine)) < 0.05


def test_heat_limit_lands_on_the_ceiling_and_equals_steady_rating_at_the_ceiling():
    for t0 in (280.0, 320.0, 329.0):
        q = lumped_heat_limit_w(t0, 330.0, 300.0, 4e5, 60.0, 0.9, absorbed=40.0, sides=2)
        assert float(lumped_step_k(t0, q, 300.0, 4e5, 60.0, 0.9, 40.0, sides=2)) == pytest.approx(330.0, abs=1e-9)
    # at the ceiling the transient allows exactly the steady rejection 2A(εσT⁴ − absorbed)
    at_ceiling = lumped_heat_limit_w(330.0, 330.0, 300.0, 4e5, 60.0, 0.9, absorbed=40.0, sides=2)
    assert float(at_ceiling) == pytest.approx(float(rejectable_heat_w(330.0, 60.0, 0.9, 40.0, sides=2)), rel=1e-12)
    # a cold radiator with thermal mass may take more than its steady rating for a tick
    assert float(lumped_heat_limit_w(300.0, 330.0, 300.0, 4e5, 60.0, 0.9, 40.0, sides=2)) > float(at_ceiling)
