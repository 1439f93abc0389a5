"""Site power at the meter and the grid cap, against values worked out by hand."""

from __future__ import annotations

import numpy as np

from orbitgrid.physics.site_power import facility_power_w, power_capped_capacity


def test_facility_power_is_it_power_times_pue():
    # The Green Grid WP#49: PUE = facility / IT. 3 busy x 700 W + 1 idle x 70 W = 2170 W IT.
    p = facility_power_w(np.array([3.0]), np.array([4.0]), np.array([700.0]), np.array([70.0]), np.array([1.2]))
    assert np.allclose(p, 2170.0 * 1.2)


def test_cap_shares_budget_across_pools():
    # IT budget 250 kW / 1.25 = 200 kW; idle 100*100 + 100*200 = 30 kW; swing 100*900 + 100*1800
    # = 270 kW; share (200-30)/270 = 0.6296 -> 62 GPUs per pool (63 would draw 250.125 kW).
    cap = power_capped_capacity(
        np.array([100, 100]),
        np.array([1000.0, 2000.0]),
        np.array([100.0, 200.0]),
        np.array([0, 0]),
        np.array([250_000.0]),
        np.array([1.25]),
    )
    assert cap.tolist() == [62, 62]
    drawn = 1.25 * (30_000 + 62 * 900 + 62 * 1800)
    assert drawn <= 250_000 < 1.25 * (30_000 + 63 * 900 + 63 * 1800)


def test_cap_binds_per_site_and_never_below_zero():
    cap = power_capped_capacity(
        np.array([10, 10, 10]),
        np.array([1000.0, 1000.0, 1000.0]),
        np.array([500.0, 500.0, 500.0]),
        np.array([0, 1, 1]),
        np.array([1e9, 1_000.0]),  # site 1 cannot even power its idle GPUs
        np.array([1.0, 1.0]),
    )
    assert cap.tolist() == [10, 0, 0]


def test_cap_holds_when_busy_equals_idle():
    # busy = idle = 1000 W: 10 GPUs draw 10 kW whatever they do; a 5 kW cap allows none,
    # a 20 kW cap all of them
    args = (np.array([10]), np.array([1000.0]), np.array([1000.0]), np.array([0]))
    assert power_capped_capacity(*args, np.array([5_000.0]), np.array([1.0])).tolist() == [0]
    assert power_capped_capacity(*args, np.array([20_000.0]), np.array([1.0])).tolist() == [10]
