"""On-site generation at a terrestrial site: solar, gas turbines and a battery dispatched with
the grid, step by step, to meet the site's load at least cost.

Each step k (width w_k) meets the load L_k as

    L = grid + gas + solar_used + discharge - charge + unserved

Solar is free and serves the load first; its surplus may charge the battery, the rest is
spilled. The grid (up to its cap, buying only: nothing is sold back) and the gas turbines
(up to their capacity, at their marginal cost) cover the rest; load they cannot meet is
`unserved_w`, never dropped.

Without a battery each step stands alone: gas runs first when its marginal cost is below
the step's price, and in any case for load above the grid cap (closed form, numpy).

With a battery the steps are tied by the state of charge, so the dispatch is a linear
programme solved by HiGHS (Huangfu & Hall, Math. Prog. Comp. 10, 2018; `highspy`):

    minimise  sum_k w_k (price_k grid_k + m gas_k + VOLL unserved_k) + S shortfall
    s.t.      grid + gas + discharge + taken + unserved - charge = L - solar_to_load
              e_k = e_(k-1) + w_k (sqrt(eta) charge - discharge / sqrt(eta))
              0 <= charge, discharge <= P,  0 <= e <= E,  0 <= taken <= solar surplus,
              0 <= grid <= cap,  0 <= gas <= gas capacity,  e_end + shortfall >= e_0

("taken" is solar surplus put to use; it can only feed the charge, as the load is met
before there is a surplus), solved one window (a day by default) at a time, the state of
charge carried over. Each window must end at least as full as the battery started (else
a battery that ends emptier looks cheaper than it is); a shortfall is allowed, at a price
S above any cost of recharging and below VOLL, so that a battery drained to avoid
unserved load is not an infeasible programme. Perfect foresight within a window: a lower bound on
the cost a real operator reaches.

Not modelled: turbine minimum load, start-up costs and ramp limits; battery degradation;
selling to the grid. At negative prices the programme may charge and discharge in one step
to take paid energy, which the losses turn into heat.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from orbitgrid.highs import quiet_highs

try:  # a declared dependency; without it only dispatch with a battery is unavailable
    import highspy
except ImportError:  # pragma: no cover
    highspy = None

WH_PER_MWH = 1e6
S_PER_H = 3600.0
# kg CO2 per MMBtu of natural gas burnt (US EPA, "Emission Factors for Greenhouse Gas
# Inventories", 2024, Table 1, natural gas, pipeline weighted average).
EPA_NATURAL_GAS_CO2_KG_PER_MMBTU = 53.06
# Battery round-trip efficiency (AC to AC): NREL Annual Technology Baseline, utility-scale
# battery storage (W. Cole & V. Ramasamy, "Cost Projections for Utility-Scale Battery
# Storage: 2023 Update", NREL/TP-6A40-85332), 85%.
NREL_ATB_BATTERY_ROUND_TRIP = 0.85
DAY_S = 86_400.0
INF = math.inf  # HiGHS reads any bound of 1e20 or more as infinite


@dataclass(frozen=True)
class GasTurbines:
    """On-site gas turbines (or engines): capacity, heat rate (MMBtu of fuel, higher heating
    value, per MWh made), fuel price and variable O&M. No minimum load or start-up cost."""

    capacity_w: float
    heat_rate_mmbtu_per_mwh: float
    fuel_usd_per_mmbtu: float
    variable_om_usd_per_mwh: float = 0.0
    co2_kg_per_mmbtu: float = EPA_NATURAL_GAS_CO2_KG_PER_MMBTU

    def __post_init__(self) -> None:
        if self.capacity_w < 0 or self.heat_rate_mmbtu_per_mwh <= 0 or self.co2_kg_per_mmbtu < 0:
            raise ValueError("gas turbines need capacity_w >= 0, heat_rate_mmbtu_per_mwh > 0, co2_kg_per_mmbtu >= 0")

    @property
    def marginal_usd_per_mwh(self) -> float:
        """Cost of one more MWh: heat rate x fuel price + variable O&M."""
        return self.heat_rate_mmbtu_per_mwh * self.fuel_usd_per_mmbtu + self.variable_om_usd_per_mwh

    @property
    def co2_kg_per_mwh(self) -> float:
        """Direct CO2 per MWh made: heat rate x fuel emission factor."""
        return self.heat_rate_mmbtu_per_mwh * self.co2_kg_per_mmbtu


@dataclass(frozen=True)
class Battery:
    """A battery: usable energy, power (charge and discharge alike), round-trip efficiency
    (taken as sqrt(eta) on the way in and sqrt(eta) on the way out) and initial state of
    charge as a fraction of `energy_wh`."""

    energy_wh: float
    power_w: float
    round_trip_efficiency: float = NREL_ATB_BATTERY_ROUND_TRIP
    initial_soc: float = 0.5

    def __post_init__(self) -> None:
        if self.energy_wh < 0 or self.power_w < 0:
            raise ValueError("a battery needs energy_wh >= 0 and power_w >= 0")
        if not 0.0 < self.round_trip_efficiency <= 1.0:
            raise ValueError(f"round_trip_efficiency must be within (0, 1], got {self.round_trip_efficiency}")
        if not 0.0 <= self.initial_soc <= 1.0:
            raise ValueError(f"initial_soc must be within [0, 1], got {self.initial_soc}")

    @property
    def one_way_efficiency(self) -> float:
        return math.sqrt(self.round_trip_efficiency)


@dataclass(eq=False)
class Dispatch:
    """Mean power of each source in each step (W), the battery's state of charge at the end
    of each step (Wh), and the step widths (s). Per step:
    load = grid + gas + solar_used + discharge - charge + unserved."""

    width_s: np.ndarray
    grid_w: np.ndarray
    gas_w: np.ndarray
    solar_used_w: np.ndarray
    solar_spilled_w: np.ndarray
    charge_w: np.ndarray
    discharge_w: np.ndarray
    soc_wh: np.ndarray
    unserved_w: np.ndarray
    gas: GasTurbines | None = None

    def _wh(self, power_w: np.ndarray) -> float:
        return float(np.sum(power_w * self.width_s)) / S_PER_H

    @property
    def grid_energy_wh(self) -> float:
        return self._wh(self.grid_w)

    @property
    def gas_energy_wh(self) -> float:
        return self._wh(self.gas_w)

    @property
    def unserved_wh(self) -> float:
        return self._wh(self.unserved_w)

    @property
    def fuel_mmbtu(self) -> float:
        """Fuel burnt: gas MWh x heat rate."""
        return 0.0 if self.gas is None else self.gas_energy_wh / WH_PER_MWH * self.gas.heat_rate_mmbtu_per_mwh

    @property
    def fuel_cost_usd(self) -> float:
        return 0.0 if self.gas is None else self.fuel_mmbtu * self.gas.fuel_usd_per_mmbtu

    @property
    def gas_cost_usd(self) -> float:
        """Fuel plus variable O&M."""
        return 0.0 if self.gas is None else self.gas_energy_wh / WH_PER_MWH * self.gas.marginal_usd_per_mwh

    @property
    def gas_co2_kg(self) -> float:
        return 0.0 if self.gas is None else self.fuel_mmbtu * self.gas.co2_kg_per_mmbtu

    def grid_cost_usd(self, price_usd_per_mwh: np.ndarray) -> float:
        """What the grid energy cost at each step's price."""
        return float(np.sum(self.grid_w * self.width_s / S_PER_H / WH_PER_MWH * price_usd_per_mwh))


def dispatch(load_w: np.ndarray, width_s: np.ndarray | float, price_usd_per_mwh: np.ndarray,
             grid_cap_w: np.ndarray | float, solar_w: np.ndarray | None = None, gas: GasTurbines | None = None,
             battery: Battery | None = None, window_s: float = DAY_S, window_phase_s: float = 0.0) -> Dispatch:
    """Least-cost dispatch of one site over K steps (arrays of K, or scalars that broadcast):
    solar first, then the cheaper of grid and gas, the battery (if any) shifting energy in
    time within windows of `window_s`; what cannot be met is `unserved_w`.

    Windows are cut where the time since the first step's start is window_phase_s plus a
    multiple of window_s: pass (local midnight - run start) so that they close at night,
    not in the evening peak (UTC midnight is late afternoon in the Americas)."""
    load = np.atleast_1d(np.asarray(load_w, dtype=np.float64))
    if load.ndim != 1:
        raise ValueError(f"load_w must be one site's steps (1-D), got shape {load.shape}")
    k = load.shape
    width = _steps(width_s, k, "width_s")
    price = _steps(price_usd_per_mwh, k, "price_usd_per_mwh")
    cap = _steps(grid_cap_w, k, "grid_cap_w")
    solar = np.zeros(k) if solar_w is None else _steps(solar_w, k, "solar_w")
    if np.any(width <= 0) or not np.all(np.isfinite(width)):
        raise ValueError("step widths must be positive and finite")
    for name, v in (("load_w", load), ("solar_w", solar), ("grid_cap_w", cap)):
        if np.any(v < 0) or np.any(np.isnan(v)):
            raise ValueError(f"{name} must be non-negative")
    if not np.all(np.isfinite(price)):
        raise ValueError("price_usd_per_mwh must be finite")

    solar_to_load = np.minimum(solar, load)
    residual = load - solar_to_load
    surplus = solar - solar_to_load
    if battery is None or battery.energy_wh <= 0 or battery.power_w <= 0:
        return _without_battery(width, price, cap, gas, residual, solar_to_load, surplus, battery)
    return _with_battery(width, price, cap, gas, battery, residual, solar_to_load, surplus, window_s, window_phase_s)


def _steps(value, shape: tuple[int, ...], name: str) -> np.ndarray:
    v = np.asarray(value, dtype=np.float64)
    try:
        return np.broadcast_to(v, shape).copy()
    except ValueError:
        raise ValueError(f"{name} has shape {v.shape}, the load {shape}") from None


def _without_battery(width, price, cap, gas, residual, solar_to_load, surplus, battery) -> Dispatch:
    """Each step alone: the cheaper source first (grid on a tie), then the other."""
    gas_cap = 0.0 if gas is None else gas.capacity_w
    gas_first = np.zeros(residual.shape, dtype=bool) if gas is None else gas.marginal_usd_per_mwh < price
    gas_a = np.minimum(residual, gas_cap)
    grid_a = np.minimum(residual - gas_a, cap)
    grid_b = np.minimum(residual, cap)
    gas_b = np.minimum(residual - grid_b, gas_cap)
    grid = np.where(gas_first, grid_a, grid_b)
    gas_w = np.where(gas_first, gas_a, gas_b)
    unserved = np.maximum(residual - grid - gas_w, 0.0)
    zeros = np.zeros(residual.shape)
    soc0 = 0.0 if battery is None else battery.energy_wh * battery.initial_soc
    return Dispatch(width, grid, gas_w, solar_to_load, surplus, zeros, zeros.copy(), np.full(residual.shape, soc0),
                    unserved, gas)




def _with_battery(width, price, cap, gas, battery, residual, solar_to_load, surplus, window_s,
                  window_phase_s) -> Dispatch:
    """The linear programme of the module docstring, one window at a time."""
    if highspy is None:
        raise RuntimeError("dispatch with a battery needs the HiGHS solver: pip install highspy")
    if not window_s > 0:
        raise ValueError("window_s must be positive")
    # LP units: power in `scale` W (energy in `scale` Wh), prices in units of the largest
    # cost, so that the numbers HiGHS sees are near 1
    scale = max(float(residual.max(initial=0.0)), float(surplus.max(initial=0.0)), battery.power_w,
                0.0 if gas is None else gas.capacity_w, 1.0)
    a = battery.one_way_efficiency
    c_max = max(float(np.abs(price).max()), 0.0 if gas is None else abs(gas.marginal_usd_per_mwh), 1.0)
    shortfall_usd_per_mwh = 4.0 * c_max / battery.round_trip_efficiency  # above any cost of recharging
    voll_usd_per_mwh = 10.0 * shortfall_usd_per_mwh / battery.round_trip_efficiency  # above the shortfall's
    to_lp_cost = 1.0 / c_max  # USD/MWh -> LP cost per (unit of power x hour)

    hours = width / S_PER_H
    elapsed = np.cumsum(width) - width
    window = np.floor((elapsed - window_phase_s) / window_s + 1e-9).astype(np.int64)
    cuts = np.flatnonzero(np.diff(window)) + 1
    starts, ends = np.concatenate([[0], cuts]), np.concatenate([cuts, [width.size]])

    lp = _WindowLp(a, battery.power_w / scale, battery.energy_wh / scale,
                   0.0 if gas is None else gas.capacity_w / scale,
                   0.0 if gas is None else gas.marginal_usd_per_mwh * to_lp_cost,
                   voll_usd_per_mwh * to_lp_cost, shortfall_usd_per_mwh * to_lp_cost)
    target = battery.initial_soc * battery.energy_wh / scale
    e_start = target
    cols = np.zeros((5, width.size))  # grid, gas, discharge, charge, solar surplus taken
    for lo, hi in zip(starts, ends):
        sl = slice(lo, hi)
        x = lp.solve(hours[sl], price[sl] * to_lp_cost, residual[sl] / scale, surplus[sl] / scale, cap[sl] / scale,
                     e_start, target)
        cols[:, sl] = x
        e_start = float(np.clip(e_start + np.sum(hours[sl] * (a * x[3] - x[2] / a)), 0.0, lp.e_max))

    grid, gas_w, discharge, charge, taken = cols * scale
    taken = np.minimum(taken, surplus)
    # unserved load is what closes each step's balance; a gap within the solver's
    # feasibility tolerance (1e-7 of `scale`) is noise and goes to the grid instead
    gap = residual + charge - grid - gas_w - discharge - taken
    noise = np.abs(gap) <= 1e-7 * scale
    unserved = np.where(noise, 0.0, np.maximum(gap, 0.0))
    grid = np.maximum(grid + np.where(noise, gap, np.minimum(gap, 0.0)), 0.0)
    soc = battery.initial_soc * battery.energy_wh + np.cumsum(hours * (a * charge - discharge / a))
    return Dispatch(width, grid, gas_w, solar_to_load + taken, surplus - taken, charge, discharge,
                    np.clip(soc, 0.0, battery.energy_wh), unserved, gas)


class _WindowLp:
    """One window's programme, in LP units. Columns, n each: grid, gas, discharge, charge,
    solar surplus taken, unserved, state of charge; then one shortfall. Rows, n each:
    balance (grid + gas + discharge + taken + unserved - charge = residual load) and state
    of charge (e_k - e_(k-1) - a h charge + h/a discharge = 0, e_start on the right of the
    first); then the terminal row e_end + shortfall >= target. Built column-wise with numpy.

    A window with the same step widths as the one before keeps the model and only changes
    costs and bounds, so HiGHS starts from the last optimal basis (about a fifth of the
    simplex iterations of a cold start on days of 5-minute steps)."""

    def __init__(self, a, p_max, e_max, gas_cap, gas_cost, voll, shortfall_cost):
        self.a, self.p_max, self.e_max = a, p_max, e_max
        self.gas_cap, self.gas_cost, self.voll, self.shortfall_cost = gas_cap, gas_cost, voll, shortfall_cost
        self.h = quiet_highs()
        # each window starts from the last one's basis; presolve would discard it (and
        # measured 1.5-2x slower over a year of days)
        self.h.setOptionValue("presolve", "off")
        self.key = None

    def solve(self, hours, price, residual, surplus, cap, e_start, target) -> np.ndarray:
        """(5, n): grid, gas, discharge, charge, solar surplus taken, clipped at zero."""
        n = hours.size
        zeros = np.zeros(n)
        cost = np.concatenate([price * hours, zeros + self.gas_cost * hours, zeros, zeros, zeros, self.voll * hours,
                               zeros, [self.shortfall_cost]])
        upper = np.concatenate([np.minimum(cap, 1e20), zeros + self.gas_cap, zeros + self.p_max, zeros + self.p_max,
                                surplus, residual, zeros + self.e_max, [target]])
        soc_rhs = zeros.copy()
        soc_rhs[0] = e_start
        row_lower = np.concatenate([residual, soc_rhs, [target]])
        row_upper = np.concatenate([residual, soc_rhs, [INF]])
        key = (n, hours.tobytes())
        h = self.h
        if key == self.key:
            cols, rows = np.arange(cost.size, dtype=np.int32), np.arange(row_lower.size, dtype=np.int32)
            h.changeColsCost(cols.size, cols, cost)
            h.changeColsBounds(cols.size, cols, np.zeros(cols.size), upper)
            h.changeRowsBounds(rows.size, rows, row_lower, row_upper)
        else:
            h.passModel(self._model(hours, cost, upper, row_lower, row_upper))
            self.key = key
        h.run()
        status = h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"battery dispatch: HiGHS ended with {h.modelStatusToString(status)}")
        col = np.asarray(h.getSolution().col_value)
        return np.clip(col[: 5 * n].reshape(5, n), 0.0, None)

    def _model(self, hours, cost, upper, row_lower, row_upper):
        n, a = hours.size, self.a
        i = np.arange(n, dtype=np.int32)
        bal, soc_row, term = i, n + i, 2 * n
        one = np.ones(n)
        # (rows, values) of each column block; every column of a block has the same count
        blocks = [([bal], [one]),  # grid
                  ([bal], [one]),  # gas
                  ([bal, soc_row], [one, hours / a]),  # discharge
                  ([bal, soc_row], [-one, -a * hours]),  # charge
                  ([bal], [one]),  # solar surplus taken
                  ([bal], [one]),  # unserved
                  ([soc_row, np.where(i < n - 1, soc_row + 1, term)], [one, np.where(i < n - 1, -1.0, 1.0)])]  # soc
        index = [np.stack(r, axis=1).ravel() for r, _ in blocks] + [np.array([term], dtype=np.int32)]
        value = [np.stack(v, axis=1).ravel() for _, v in blocks] + [np.ones(1)]
        count = np.concatenate([np.full(n, len(r)) for r, _ in blocks] + [np.ones(1, dtype=np.int64)])
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = 7 * n + 1, 2 * n + 1
        lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, np.zeros(7 * n + 1), upper
        lp.row_lower_, lp.row_upper_ = row_lower, row_upper
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = np.concatenate([[0], np.cumsum(count)]).astype(np.int32)
        lp.a_matrix_.index_ = np.concatenate(index).astype(np.int32)
        lp.a_matrix_.value_ = np.concatenate(value)
        return lp
