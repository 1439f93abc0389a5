"""Launch price curves and the build-out of orbital compute (economics/launch.py)."""

from __future__ import annotations

import numpy as np
import pytest

from orbitgrid.economics import launch


def test_price_yearly_decline():
    """1,000 $/kg falling 10% a year from 2027: 2029 → 1000 × 0.9² = 810; before the start
    the first price."""
    p = launch.price_curve(np.array([2026, 2027, 2029]), 1000.0, 2027, decline_per_year=0.1)
    assert p.tolist() == pytest.approx([1000.0, 1000.0, 810.0])


def test_price_to_target():
    """Log-linear from 1,000 (2027) to 250 (2029): 2028 → 1000 × (0.25)^(1/2) = 500; held at
    250 after 2029."""
    p = launch.price_curve(np.arange(2027, 2032), 1000.0, 2027, target=250.0, target_year=2029)
    assert p.tolist() == pytest.approx([1000.0, 500.0, 250.0, 250.0, 250.0])


def test_price_constant_and_bad_target():
    assert launch.price_curve(np.arange(3), 300.0, 0).tolist() == [300.0, 300.0, 300.0]
    with pytest.raises(ValueError):
        launch.price_curve(np.arange(3), 300.0, 5, target=100.0, target_year=5)


def test_build_out_steady_state():
    """10 launches × 100 t × 20 kW/t = 20 MW = 0.02 GW a year; life 3 years: installed 0.02,
    0.04, 0.06, then flat at 0.06 (= 10 × 100 × 20 × 3 / 1e6) as the first retire."""
    b = launch.build_out(np.full(6, 10.0), 100.0, 20.0, 3)
    assert b["added_gw"] == pytest.approx([0.02] * 6)
    assert b["retired_gw"] == pytest.approx([0, 0, 0, 0.02, 0.02, 0.02])
    assert b["installed_gw"] == pytest.approx([0.02, 0.04, 0.06, 0.06, 0.06, 0.06])
    assert launch.steady_state_gw(10, 100, 20, 3) == pytest.approx(0.06)


def test_build_out_cadence_per_year():
    """Cadence 1, 2, 3 launches of 200 t at 100 kW/t, life 1: added 0.02, 0.04, 0.06 GW and
    each year's additions retire the next year: installed = added."""
    b = launch.build_out([1, 2, 3], 200.0, 100.0, 1)
    assert b["installed_gw"] == pytest.approx([0.02, 0.04, 0.06])
    assert b["mass_t"].tolist() == [200.0, 400.0, 600.0]
