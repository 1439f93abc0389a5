"""Total cost of ownership of a fleet, terrestrial or orbital: pure formulas on numpy
arrays (every argument may be a scalar or an array of samples; results broadcast).

Money in US dollars, power in W, energy in MWh, mass in kg, time in years unless a name
says otherwise. See docs/economics.md for the model and its sources.

The shape of every fleet's bill:

- capex at t = 0: buckets (terrestrial: power plant, electrical, mechanical, civil,
  network, GPUs; orbital: satellites, GPUs, launch, ground segment) and NRE;
- a constant annual opex over the analysis period (energy or fuel, operations as a
  share of hardware capex, GPU replacement at an annual failure rate, ground operations),
  paid at the end of each year;
- lumps at given times (satellites replaced at end of life, with their launch).

With a discount rate r the total is capex + PV(opex) + PV(lumps), PV(annual) =
annual × A(r, Y) with the annuity factor A = (1 − (1 + r)^−Y)/r (Y at r = 0), whose
inverse is the capital recovery factor. Levelised outputs divide the total by the
present value of what the fleet delivers (MWh, GPU-hours, PFLOP-days), discounted the
same way; at r = 0 they are plain totals over plain sums (McCalip's calculator).
"""

from __future__ import annotations

import numpy as np

HOURS_PER_YEAR = 8760.0


def _a(x) -> np.ndarray:
    return np.asarray(x, dtype=float)


# ---------------------------------------------------------------------------- finance

def annuity_factor(rate, years) -> np.ndarray:
    """Present value of 1 paid at the end of each of `years` years:
    A = (1 − (1 + r)^−Y) / r, and Y at r = 0 (fractional Y allowed)."""
    r, y = _a(rate), _a(years)
    safe = np.where(np.abs(r) < 1e-12, 1.0, r)
    return np.where(np.abs(r) < 1e-12, y, (1.0 - (1.0 + safe) ** (-y)) / safe)


def capital_recovery_factor(rate, years) -> np.ndarray:
    """CRF = r / (1 − (1 + r)^−Y) = 1 / A(r, Y): the constant annual payment that repays 1
    over Y years at rate r (1/Y at r = 0)."""
    return 1.0 / annuity_factor(rate, years)


def discount_factor(rate, t_years) -> np.ndarray:
    """(1 + r)^−t."""
    return (1.0 + _a(rate)) ** (-_a(t_years))


def straight_line_depreciation(capex, life_years) -> np.ndarray:
    """Book depreciation per year, straight line to zero: capex / life."""
    return _a(capex) / _a(life_years)


# ---------------------------------------------------------------------------- energy

def fuel_usd_per_mwh(heat_rate_btu_per_kwh, fuel_usd_per_mmbtu, om_usd_per_mwh=0.0) -> np.ndarray:
    """Cost of a MWh generated from gas: heat rate (Btu/kWh = MMBtu/MWh × 1000) × fuel
    price / 1000 + variable O&M. 6,200 Btu/kWh at 4.30 $/MMBtu: 26.66 $/MWh."""
    return _a(heat_rate_btu_per_kwh) * _a(fuel_usd_per_mmbtu) / 1000.0 + _a(om_usd_per_mwh)


def facility_energy_mwh_per_year(it_power_w, pue, utilization) -> np.ndarray:
    """Energy at the meter in a year: IT power × utilisation × PUE × 8760 h, in MWh."""
    return _a(it_power_w) * _a(utilization) * _a(pue) * HOURS_PER_YEAR / 1e6


# ---------------------------------------------------------------------------- orbit

def mean_retention(degradation_per_year, years) -> np.ndarray:
    """Average of the yearly output factors (1 − d)^y for y = 0 … Y−1, year 0 at full
    output (McCalip's discrete mean): (1 − q^Y) / (Y (1 − q)), q = 1 − d; 1 at d = 0."""
    d, y = _a(degradation_per_year), _a(years)
    safe = np.where(d < 1e-12, 0.5, d)
    return np.where(d < 1e-12, 1.0, (1.0 - (1.0 - safe) ** y) / (y * safe))


def satellites_needed(delivered_w, per_satellite_delivered_w) -> np.ndarray:
    """Whole satellites that deliver at least `delivered_w` on average: ceil(P / p)."""
    return np.ceil(_a(delivered_w) / _a(per_satellite_delivered_w) - 1e-9)


def launches_needed(mass_kg, payload_t) -> np.ndarray:
    """Launches that lift `mass_kg`: ceil(M / (payload × 1000))."""
    return np.ceil(_a(mass_kg) / (_a(payload_t) * 1000.0) - 1e-9)


def replacement_times(life_years: float, years: float) -> np.ndarray:
    """When a fleet with satellites of `life_years` is rebuilt inside the analysis
    period: life, 2·life, … strictly before `years` (none if life ≥ years)."""
    if life_years <= 0:
        raise ValueError("life_years must be positive")
    n = int(np.ceil(years / life_years - 1e-9)) - 1
    return life_years * np.arange(1, max(n, 0) + 1, dtype=float)


def present_value_of_lumps(amount, rate, times: np.ndarray) -> np.ndarray:
    """Σ amount × (1 + r)^−t over `times` (the same amount each time)."""
    total = 0.0 * _a(amount) * _a(rate)
    for t in np.asarray(times, dtype=float):  # a handful of replacement dates, not samples
        total = total + _a(amount) * discount_factor(rate, t)
    return total


# ---------------------------------------------------------------------------- levelised

def levelised(total_usd, delivered_w, utilization, years, rate, gpu_power_w, pflops_per_gpu) -> dict[str, np.ndarray]:
    """Per unit of what the fleet delivers, all discounted alike (A = annuity factor):

    - $/W: total / delivered average IT power;
    - $/MWh: total / (P × u × 8760 × A / 1e6), IT energy used;
    - $/GPU-hour: total / (P / p_gpu × u × 8760 × A), GPU-hours used;
    - $/PFLOP-day: total / (GPU-hours × PFLOP/s per GPU / 24).
    """
    a = annuity_factor(rate, years)
    total, p = _a(total_usd), _a(delivered_w)
    mwh = p * _a(utilization) * HOURS_PER_YEAR * a / 1e6
    gpu_h = p / _a(gpu_power_w) * _a(utilization) * HOURS_PER_YEAR * a
    pflop_days = gpu_h * _a(pflops_per_gpu) / 24.0
    return {
        "usd_per_w": total / p,
        "usd_per_mwh": total / mwh,
        "usd_per_gpu_hour": total / gpu_h,
        "usd_per_pflop_day": total / pflop_days,
        "energy_mwh": mwh,
        "gpu_hours": gpu_h,
    }


__all__ = [
    "HOURS_PER_YEAR", "annuity_factor", "capital_recovery_factor", "discount_factor", "facility_energy_mwh_per_year",
    "fuel_usd_per_mwh", "launches_needed", "levelised", "mean_retention", "present_value_of_lumps",
    "replacement_times", "satellites_needed", "straight_line_depreciation",
]
