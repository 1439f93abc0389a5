"""On-site dispatch: gas turbines' costs and CO2, the merit order without a battery,
unserved load, battery arbitrage and solar charging against hand-computed values, and the
energy balance of every step."""

from __future__ import annotations

import time

import numpy as np
import pytest

from orbitgrid.grid.dispatch import Battery, GasTurbines, dispatch

MW = 1e6
HOUR = 3600.0
# An EIA-like combined cycle: 7.6 MMBtu/MWh (EIA Electric Power Annual, average heat rate of
# natural-gas combined cycle units, about 7,600 Btu/kWh), gas at 3 USD/MMBtu, 2 USD/MWh O&M.
CCGT = GasTurbines(capacity_w=30 * MW, heat_rate_mmbtu_per_mwh=7.6, fuel_usd_per_mmbtu=3.0,
                   variable_om_usd_per_mwh=2.0)


def _balance(d, load):
    return d.grid_w + d.gas_w + d.solar_used_w + d.discharge_w - d.charge_w + d.unserved_w - load


def test_gas_marginal_cost_and_co2_by_hand():
    """Marginal cost = 7.6 MMBtu/MWh x 3 USD/MMBtu + 2 USD/MWh = 24.8 USD/MWh; CO2 =
    7.6 x 53.06 kg/MMBtu (US EPA, Emission Factors for GHG Inventories, natural gas) =
    403.256 kg/MWh. Two hours at 10 MW of gas: 20 MWh, 152 MMBtu, 456 USD of fuel, 496 USD
    with O&M, 8,065.12 kg CO2."""
    assert CCGT.marginal_usd_per_mwh == pytest.approx(24.8)
    assert CCGT.co2_kg_per_mwh == pytest.approx(403.256)
    d = dispatch(np.full(2, 10 * MW), HOUR, np.full(2, 50.0), 100 * MW, gas=CCGT)
    assert d.gas_energy_wh == pytest.approx(20e6) and d.grid_energy_wh == 0.0
    assert d.fuel_mmbtu == pytest.approx(152.0)
    assert d.fuel_cost_usd == pytest.approx(456.0) and d.gas_cost_usd == pytest.approx(496.0)
    assert d.gas_co2_kg == pytest.approx(8065.12)


def test_cheaper_of_grid_and_gas_serves_the_load():
    """Load 10 MW, gas at 24.8 USD/MWh: at 50 USD/MWh gas serves it all; at 20 the grid
    does; at exactly the gas's marginal cost the grid (gas runs only when strictly cheaper).
    Grid cost: 10 MWh x 20 + 10 MWh x 24.8 = 448 USD."""
    price = np.array([50.0, 20.0, CCGT.marginal_usd_per_mwh])
    d = dispatch(np.full(3, 10 * MW), HOUR, price, 100 * MW, gas=CCGT)
    assert d.gas_w.tolist() == [10 * MW, 0.0, 0.0]
    assert d.grid_w.tolist() == [0.0, 10 * MW, 10 * MW]
    assert d.grid_cost_usd(price) == pytest.approx(200.0 + 248.0)


def test_load_above_the_grid_cap_runs_gas_then_reports_unserved():
    """Load 10 MW, grid cap 6 MW, 3 MW of gas dearer than the grid (marginal 100 > price 50):
    grid 6, gas 3, unserved 1 MW (1 MWh in an hour). Without gas: 4 MW unserved."""
    dear = GasTurbines(3 * MW, 10.0, 10.0)
    d = dispatch(np.array([10 * MW, 5 * MW]), HOUR, 50.0, 6 * MW, gas=dear)
    assert d.grid_w.tolist() == [6 * MW, 5 * MW] and d.gas_w.tolist() == [3 * MW, 0.0]
    assert d.unserved_w.tolist() == [1 * MW, 0.0] and d.unserved_wh == pytest.approx(1e6)
    assert dispatch(np.array([10 * MW]), HOUR, 50.0, 6 * MW).unserved_w[0] == 4 * MW


def test_battery_arbitrage_saving_by_hand():
    """Two hours at 10 and 100 USD/MWh, load 1 MW, battery 1 MWh / 1 MW, round trip 0.81
    (0.9 each way), empty at the start and the end: it charges 1 MWh in the cheap hour
    (stores 0.9) and gives back 0.81 MWh in the dear one. Cost 10 + 100 = 110 USD without
    it, 2 x 10 + 0.19 x 100 = 39 USD with it: the saving 71 = 100 x 0.81 - 10 x 1."""
    price = np.array([10.0, 100.0])
    load = np.full(2, 1 * MW)
    bat = Battery(energy_wh=1e6, power_w=1 * MW, round_trip_efficiency=0.81, initial_soc=0.0)
    base = dispatch(load, HOUR, price, 10 * MW)
    d = dispatch(load, HOUR, price, 10 * MW, battery=bat)
    assert base.grid_cost_usd(price) == pytest.approx(110.0)
    assert d.grid_cost_usd(price) == pytest.approx(39.0, abs=1e-6)
    assert base.grid_cost_usd(price) - d.grid_cost_usd(price) == pytest.approx(100 * 0.81 - 10 * 1.0, abs=1e-6)
    np.testing.assert_allclose(d.charge_w, [1 * MW, 0.0], atol=1e-3)
    np.testing.assert_allclose(d.discharge_w, [0.0, 0.81 * MW], atol=1e-3)
    np.testing.assert_allclose(d.soc_wh, [0.9e6, 0.0], atol=1e-3)


def test_default_efficiency_arbitrage():
    """With NREL ATB's 85% round trip the same two hours save 100 x 0.85 - 10 = 75 USD."""
    price = np.array([10.0, 100.0])
    bat = Battery(energy_wh=1e6, power_w=1 * MW, initial_soc=0.0)
    assert bat.round_trip_efficiency == 0.85
    d = dispatch(np.full(2, 1 * MW), HOUR, price, 10 * MW, battery=bat)
    assert 110.0 - d.grid_cost_usd(price) == pytest.approx(75.0, abs=1e-6)


def test_solar_surplus_charges_the_battery_and_the_rest_is_spilled():
    """Load 1 MW both hours; 3 MW of sun in the first. The sun serves the load (1 MW), the
    battery (1 MW power limit) takes 1 MW of the 2 MW surplus and 1 MW is spilled. Stored:
    0.922 MWh (sqrt 0.85); the battery, half full at 5 MWh, must end no emptier, so it gives
    back exactly that: 0.85 MWh in the second hour, leaving 0.15 MW to the grid."""
    load = np.full(2, 1 * MW)
    solar = np.array([3 * MW, 0.0])
    bat = Battery(energy_wh=10e6, power_w=1 * MW)
    d = dispatch(load, HOUR, np.array([50.0, 50.0]), 10 * MW, solar_w=solar, battery=bat)
    np.testing.assert_allclose(d.solar_used_w, [2 * MW, 0.0], atol=1e-3)
    np.testing.assert_allclose(d.solar_spilled_w, [1 * MW, 0.0], atol=1e-3)
    np.testing.assert_allclose(d.charge_w, [1 * MW, 0.0], atol=1e-3)
    np.testing.assert_allclose(d.discharge_w, [0.0, 0.85 * MW], atol=1e-3)
    np.testing.assert_allclose(d.grid_w, [0.0, 0.15 * MW], atol=1e-3)
    np.testing.assert_allclose(d.soc_wh, [5e6 + np.sqrt(0.85) * 1e6, 5e6], atol=1e-3)
    # without a battery the surplus is all spilled
    base = dispatch(load, HOUR, 50.0, 10 * MW, solar_w=solar)
    assert base.solar_used_w.tolist() == [1 * MW, 0.0] and base.solar_spilled_w.tolist() == [2 * MW, 0.0]


def test_battery_covers_a_shortfall_and_recharges():
    """Load 10 then 2 MW, grid cap 6 MW at 50 USD/MWh, 3 MW of gas at 40: 1 MW short in hour
    one. A 4 MWh / 2 MW battery at 2 MWh (round trip 0.81) gives 1 MW, drawing 1/0.9 =
    1.111 MWh, and recharges that in hour two (1.111/0.9 = 1.235 MWh): nothing unserved,
    back to 2 MWh. (It gives no more than 1 MW: more would displace grid energy at 50 to be
    bought back at 50/0.81 = 61.7.)
    If hour two has no headroom either (load 9 = cap + gas), it still covers hour one and
    ends 1.111 MWh short of its start rather than leave load unserved. A 12 MW load is 3 MW
    short of grid and gas; the battery's 2 MWh give 2 x 0.9 = 1.8 MWh in the hour (under its
    2 MW limit): 1.2 MW unserved."""
    bat = Battery(energy_wh=4e6, power_w=2 * MW, round_trip_efficiency=0.81, initial_soc=0.5)
    price = np.array([50.0, 50.0])
    gas = GasTurbines(3 * MW, 8.0, 5.0)
    assert gas.marginal_usd_per_mwh == 40.0
    d = dispatch(np.array([10 * MW, 2 * MW]), HOUR, price, 6 * MW, gas=gas, battery=bat)
    np.testing.assert_allclose(d.unserved_w, 0.0, atol=1e-3)
    assert d.discharge_w[0] == pytest.approx(1 * MW, abs=1e-3)
    assert d.charge_w[1] == pytest.approx(1 * MW / 0.81, abs=1e-3)
    assert d.soc_wh[-1] == pytest.approx(2e6, abs=1e-3)
    d = dispatch(np.array([10 * MW, 9 * MW]), HOUR, price, 6 * MW, gas=gas, battery=bat)
    np.testing.assert_allclose(d.unserved_w, 0.0, atol=1e-3)
    assert d.soc_wh[-1] == pytest.approx(2e6 - 1e6 / 0.9, abs=1e-3)
    d = dispatch(np.array([12 * MW]), HOUR, 50.0, 6 * MW, gas=gas, battery=bat)
    assert d.unserved_w[0] == pytest.approx(1.2 * MW, abs=1e-3)
    assert d.discharge_w[0] == pytest.approx(1.8 * MW, abs=1e-3)
    assert d.soc_wh[0] == pytest.approx(0.0, abs=1e-3)


def test_flat_prices_leave_the_battery_idle():
    """With one price throughout, any cycle only loses energy (round trip < 1): the cost is
    that of no battery, 24 h x 5 MW x 40 USD/MWh = 4,800 USD."""
    load = np.full(96, 5 * MW)
    d = dispatch(load, 900.0, 40.0, 10 * MW, battery=Battery(20e6, 5 * MW))
    assert d.grid_cost_usd(np.full(96, 40.0)) == pytest.approx(4800.0, rel=1e-9)
    assert d.discharge_w.max() < 1e-3


@pytest.mark.parametrize("seed", range(6))
def test_every_step_balances_and_limits_hold(seed):
    """Random three days of 15-minute steps (load, prices with negative hours, sun, a tight
    grid cap, gas, battery): load = grid + gas + solar_used + discharge - charge + unserved
    to 1e-6 of the load in every step; grid, gas, charge, discharge and state of charge
    within their limits; the state of charge follows its flows with sqrt(eta) each way; a day
    that needs no load shed without the battery ends at least as full as the battery
    started (it is drawn below that only to save unserved load); the battery never leaves
    more load unserved, nor costs more, than no battery (idling is always allowed)."""
    rng = np.random.default_rng(seed)
    k = 288
    width = 900.0
    hour = (np.arange(k) * width / HOUR) % 24
    load = rng.uniform(20, 60, k) * MW
    price = 40 + 40 * np.sin(2 * np.pi * (hour - 9) / 24) + rng.normal(0, 20, k)
    solar = np.clip(np.sin(np.pi * (hour - 6) / 12), 0, None) * rng.uniform(0, 80) * MW
    cap = rng.uniform(20, 60) * MW
    gas = GasTurbines(rng.uniform(0, 20) * MW, 9.0, rng.uniform(2, 8))
    bat = Battery(rng.uniform(10, 100) * 1e6, rng.uniform(5, 30) * MW, rng.uniform(0.7, 0.95), rng.uniform(0, 1))
    d = dispatch(load, width, price, cap, solar_w=solar, gas=gas, battery=bat)
    base = dispatch(load, width, price, cap, solar_w=solar, gas=gas)
    for r in (d, base):
        assert np.abs(_balance(r, load)).max() <= 1e-6 * load.max()
        assert r.grid_w.min() >= 0 and r.grid_w.max() <= cap * (1 + 1e-6)
        assert r.gas_w.min() >= 0 and r.gas_w.max() <= gas.capacity_w * (1 + 1e-6) + 1e-6
        assert r.unserved_w.min() >= 0
        np.testing.assert_allclose(r.solar_used_w + r.solar_spilled_w, solar, atol=1e-6 * solar.max() + 1e-9)
    assert d.charge_w.max() <= bat.power_w * (1 + 1e-6) and d.discharge_w.max() <= bat.power_w * (1 + 1e-6)
    assert d.soc_wh.min() >= 0 and d.soc_wh.max() <= bat.energy_wh
    a = np.sqrt(bat.round_trip_efficiency)
    soc = bat.initial_soc * bat.energy_wh + np.cumsum((a * d.charge_w - d.discharge_w / a) * width / HOUR)
    np.testing.assert_allclose(d.soc_wh, soc, atol=1e-6 * bat.energy_wh)
    day_end = d.soc_wh[95::96]
    shed_free = base.unserved_w.reshape(3, 96).max(axis=1) == 0
    assert np.all(day_end[shed_free] >= bat.initial_soc * bat.energy_wh - 1e-6 * bat.energy_wh)
    assert d.unserved_wh <= base.unserved_wh + 1e-3
    cost = d.grid_cost_usd(price) + d.gas_cost_usd
    base_cost = base.grid_cost_usd(price) + base.gas_cost_usd
    if base.unserved_wh == 0:
        assert cost <= base_cost + 1e-6 * abs(base_cost) + 1e-6


def test_windows_follow_the_phase_and_uneven_steps():
    """Windows of a day cut 6 h after the start (window_phase_s, e.g. local midnight), with
    steps of 15 min and 1 h mixed: the programme closes each window (at 6 h and 30 h) at
    least as full as the battery started, arbitrage happens, and every step balances."""
    width = np.concatenate([np.full(24, 900.0), np.full(42, HOUR)])  # 6 h of 15 min, then 42 h
    elapsed_h = (np.cumsum(width) - width) / HOUR
    price = 50 + 40 * np.sin(2 * np.pi * (elapsed_h - 3) / 24)
    load = np.full(width.size, 5 * MW)
    bat = Battery(10e6, 2 * MW, initial_soc=0.3)
    d = dispatch(load, width, price, 20 * MW, battery=bat, window_phase_s=6 * HOUR)
    step_end_h = elapsed_h + width / HOUR
    end_of_window = np.flatnonzero(np.isclose(step_end_h, 6.0) | np.isclose(step_end_h, 30.0))
    assert end_of_window.size == 2
    assert np.all(d.soc_wh[end_of_window] >= 3e6 - 1e-3) and d.soc_wh[-1] >= 3e6 - 1e-3
    assert d.discharge_w.max() > 0.5 * MW
    assert np.abs(_balance(d, load)).max() <= 1e-6 * load.max()
    base = dispatch(load, width, price, 20 * MW)
    assert d.grid_cost_usd(price) < base.grid_cost_usd(price)


def test_a_year_of_five_minute_steps():
    """A leap year of 5-minute steps is 366 x 288 = 105,408 steps; with a battery it is 366
    daily programmes. It balances every step and takes seconds (about 2 s measured on a
    2-core machine; the bound here is loose so that a slow runner does not fail)."""
    k = 366 * 288
    rng = np.random.default_rng(1)
    hour = (np.arange(k) * 300.0 / HOUR) % 24
    load = 100 * MW + 10 * MW * rng.random(k)
    price = 40 + 30 * np.sin(2 * np.pi * (hour - 6) / 24) + rng.normal(0, 15, k)
    solar = np.clip(np.sin(np.pi * (hour - 6) / 12), 0, None) * 80 * MW
    t0 = time.perf_counter()
    d = dispatch(load, 300.0, price, 90 * MW, solar_w=solar, gas=CCGT, battery=Battery(800e6, 200 * MW))
    elapsed = time.perf_counter() - t0
    assert d.grid_w.size == 105_408
    assert np.abs(_balance(d, load)).max() <= 1e-6 * load.max()
    assert elapsed < 30.0


def test_bad_inputs():
    with pytest.raises(ValueError, match="shape"):
        dispatch(np.ones(3), HOUR, np.ones(2), 1.0)
    with pytest.raises(ValueError, match="1-D"):
        dispatch(np.ones((2, 3)), HOUR, 1.0, 1.0)
    with pytest.raises(ValueError):
        dispatch(np.ones(2), 0.0, 1.0, 1.0)
    with pytest.raises(ValueError):
        Battery(1.0, 1.0, round_trip_efficiency=1.2)
    with pytest.raises(ValueError):
        Battery(1.0, 1.0, initial_soc=-0.1)
