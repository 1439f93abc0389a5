"""Solar array and battery against hand values; the battery keeps its energy ledger every step."""

from __future__ import annotations

import numpy as np
import pytest

from orbitgrid.physics.solar_power import Battery, array_power_w, battery_for_eclipse_wh, battery_step


def test_array_power_by_hand():
    # Starlink-V2-Mini-sized array (116 m², REFERENCE.md), 30% cells, 1361 W/m², normal sun
    assert array_power_w(116.0, 0.30, 1361.0) == pytest.approx(116 * 0.30 * 1361)  # 47.36 kW
    # 40° incidence, 58 °C cells at -0.2 %/K, 5 years at 1 %/yr
    p = array_power_w(10.0, 0.3, 1361.0, np.cos(np.radians(40)), 1.0, 58.0, -0.002, 0.01, 5.0)
    assert p == pytest.approx(10 * 0.3 * 1361 * np.cos(np.radians(40)) * (1 - 0.002 * 30) * 0.99**5)
    assert array_power_w(10.0, 0.3, 1361.0, illumination=0.0) == 0.0
    assert array_power_w(10.0, 0.3, 1361.0, cos_incidence=-0.5) == 0.0


def test_battery_for_eclipse_by_hand():
    # 20 kW through a 35.8 min eclipse at 80% DoD and 95% discharge efficiency
    assert battery_for_eclipse_wh(20_000, 35.8 * 60, 0.8, 0.95) == pytest.approx(20_000 * 35.8 / 60 / 0.76)


def test_ledger_holds_every_step_and_limits_bind():
    bat = Battery(capacity_wh=10_000, depth_of_discharge=0.8, charge_efficiency=0.95,
                  discharge_efficiency=0.95, max_charge_w=5_000, max_discharge_w=8_000)
    rng = np.random.default_rng(0)
    soc = np.full(50, 6_000.0)
    dt = 60.0
    for _ in range(500):
        supply = rng.uniform(0, 20_000, 50) * (rng.random(50) > 0.35)
        load = rng.uniform(2_000, 15_000, 50)
        step = battery_step(bat, soc, supply, load, dt)
        h = dt / 3600
        # energy in = used + stored + lost (+ spilled), in Wh, per battery
        energy_in = (supply + step.from_battery_w) * h
        used = step.delivered_w * h
        stored = step.charge_in_w * h
        spilled = step.spilled_w * h
        assert np.allclose(energy_in, used + stored + spilled, atol=1e-9)
        assert np.allclose(step.soc_wh - soc, (step.charge_in_w * 0.95 - step.from_battery_w / 0.95) * h, atol=1e-9)
        assert np.allclose(step.loss_w, step.charge_in_w * 0.05 + step.from_battery_w * (1 / 0.95 - 1))
        assert np.all(step.soc_wh <= 10_000 + 1e-9) and np.all(step.soc_wh >= 2_000 - 1e-9)
        assert np.all(step.charge_in_w <= 5_000 + 1e-9) and np.all(step.from_battery_w <= 8_000 + 1e-9)
        assert np.all(step.unmet_w >= -1e-9) and np.all(step.spilled_w >= -1e-9)
        soc = step.soc_wh


def test_eclipse_ride_through_by_hand():
    # 5 kW load, no sun, 6 kWh usable at 95%: lasts 6000*0.95/5000 h = 68.4 min
    bat = Battery(10_000, 0.6, 0.95, 0.95, 5_000, 10_000)
    soc = np.array([10_000.0])
    minutes = 0
    while True:
        step = battery_step(bat, soc, np.zeros(1), np.full(1, 5_000.0), 60.0)
        if step.unmet_w[0] > 0:
            break
        soc, minutes = step.soc_wh, minutes + 1
    assert minutes == int(6000 * 0.95 / 5000 * 60)  # 68 full minutes
