"""Cost formulas (economics/tco.py) against values computed by hand; the derivation is in
each test's docstring."""

from __future__ import annotations

import numpy as np
import pytest

from orbitgrid.economics import tco


def test_capital_recovery_factor_8_percent_5_years():
    """CRF = r / (1 − (1 + r)^−Y): 1.08^5 = 1.4693281, 1/1.4693281 = 0.6805832,
    0.08 / (1 − 0.6805832) = 0.08 / 0.3194168 = 0.250456; A = 1/CRF = 3.992710."""
    assert tco.capital_recovery_factor(0.08, 5) == pytest.approx(0.250456, abs=5e-7)
    assert tco.annuity_factor(0.08, 5) == pytest.approx(3.992710, abs=5e-6)


def test_zero_rate_is_plain_sum():
    """At r = 0 the annuity factor is Y and the CRF 1/Y (straight sums, McCalip)."""
    assert tco.annuity_factor(0.0, 5) == 5.0
    assert tco.capital_recovery_factor(0.0, 4) == 0.25


def test_vectorised_over_samples():
    """Arrays of rates give arrays: r = [0, 0.08] over 5 years → A = [5, 3.992710]."""
    a = tco.annuity_factor(np.array([0.0, 0.08]), 5)
    assert a.shape == (2,)
    assert a == pytest.approx([5.0, 3.992710], abs=5e-6)


def test_discount_factor_and_lumps():
    """(1.1)^−1 = 0.909091; 100 at t = 1 and 2 at 10%: 90.9091 + 82.6446 = 173.5537."""
    assert tco.discount_factor(0.1, 1) == pytest.approx(0.9090909)
    assert tco.present_value_of_lumps(100.0, 0.1, np.array([1.0, 2.0])) == pytest.approx(173.553719, rel=1e-9)
    assert tco.present_value_of_lumps(100.0, 0.1, np.array([])) == 0.0


def test_fuel_cost_mccalip_default():
    """6,200 Btu/kWh × 4.30 $/MMBtu / 1000 = 26.66 $/MWh generated; + 3 $/MWh O&M = 29.66."""
    assert tco.fuel_usd_per_mwh(6200, 4.30) == pytest.approx(26.66)
    assert tco.fuel_usd_per_mwh(6200, 4.30, 3.0) == pytest.approx(29.66)


def test_facility_energy():
    """1 GW × 0.85 × PUE 1.2 × 8760 h = 8,935,200 MWh a year."""
    assert tco.facility_energy_mwh_per_year(1e9, 1.2, 0.85) == pytest.approx(8_935_200.0)


def test_mean_retention_mccalip():
    """(1 − 0.975^5) / (5 × 0.025): 0.975^5 = 0.8810957, (1 − 0.8810957)/0.125 = 0.951234
    (McCalip's f̄ at 2.5%/yr over 5 years); 1 without degradation."""
    assert tco.mean_retention(0.025, 5) == pytest.approx(0.951234, abs=5e-7)
    assert tco.mean_retention(0.0, 5) == 1.0
    # the discrete mean itself, term by term
    assert tco.mean_retention(0.1, 3) == pytest.approx((1 + 0.9 + 0.81) / 3)


def test_satellites_and_launches_mccalip():
    """P0 = 1 GW / (0.98 × 0.951234) = 1.07272 GW; 27 kW each → ceil(39,730.4) = 39,731;
    39,731 × 27 kW / 36.5 W/kg = 29,390,055 kg; / 100 t → ceil(293.9) = 294 launches."""
    per_sat = 27_000 * 0.98 * tco.mean_retention(0.025, 5)
    n = tco.satellites_needed(1e9, per_sat)
    assert n == 39_731
    mass = n * 27_000 / 36.5
    assert mass == pytest.approx(29_390_054.79, abs=0.01)
    assert tco.launches_needed(mass, 100) == 294
    assert tco.launches_needed(200_000.0, 100) == 2  # exactly two full launches, not three


def test_replacement_times():
    """Rebuilt at life, 2·life, … strictly inside the period: life 2 in 5 years → 2, 4;
    life 5 in 5 years → none; 2.5 → 2.5."""
    assert tco.replacement_times(2, 5).tolist() == [2.0, 4.0]
    assert tco.replacement_times(5, 5).tolist() == []
    assert tco.replacement_times(2.5, 5).tolist() == [2.5]
    with pytest.raises(ValueError):
        tco.replacement_times(0, 5)


def test_levelised_outputs():
    """$1 M over 2 years, 1 kW delivered, 50% used, 500 W GPUs of 1 PFLOP/s, r = 0:
    MWh = 1000 × 0.5 × 8760 × 2 / 1e6 = 8.76 → 114,155.25 $/MWh; GPU-hours =
    2 × 0.5 × 8760 × 2 = 17,520 → 57.0776 $/GPU-h; PFLOP-days = 17,520/24 = 730 →
    1,369.86 $/PFLOP-day; $/W = 1e6/1000 = 1000."""
    out = tco.levelised(1e6, 1000.0, 0.5, 2, 0.0, 500.0, 1.0)
    assert out["usd_per_w"] == pytest.approx(1000.0)
    assert out["usd_per_mwh"] == pytest.approx(114_155.25, abs=0.01)
    assert out["usd_per_gpu_hour"] == pytest.approx(57.0776, abs=1e-4)
    assert out["usd_per_pflop_day"] == pytest.approx(1369.863, abs=1e-3)


def test_levelised_discounts_output_too():
    """With r = 8% the denominator is discounted like the costs: MWh × A/Y, so $/MWh at
    8% = $/MWh at 0 × 5 / 3.992710 (the same total)."""
    a = tco.levelised(1e6, 1000.0, 1.0, 5, 0.08, 500.0, 1.0)["usd_per_mwh"]
    b = tco.levelised(1e6, 1000.0, 1.0, 5, 0.0, 500.0, 1.0)["usd_per_mwh"]
    assert a == pytest.approx(b * 5 / 3.992710, rel=1e-6)


def test_depreciation():
    """Straight line: 100 over 5 years = 20 a year."""
    assert tco.straight_line_depreciation(100.0, 5) == 20.0
