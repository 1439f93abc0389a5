"""Launch and growth: a launch price that falls over the years, and the build-out of
orbital compute that a launch cadence allows. Vectorised numpy over years.

Price curves (year t, first year t0, first price p0):

- constant: p(t) = p0;
- a yearly decline (a learning rate in time): p(t) = p0 (1 − k)^(t − t0);
- to a target: log-linear from p0 at t0 to p1 at t1, p(t) = p0 (p1/p0)^((t − t0)/(t1 − t0)),
  held at p1 after t1.

Build-out (year by year, from t0): the mass lifted in year t is cadence(t) × payload;
the compute it carries is that mass × kW per tonne; what was launched `life` years
earlier is retired:

    added(t) = L(t) · m · k,   retired(t) = added(t − life),   installed(t) = Σ_{s≤t} added(s) − retired(s)

With a constant cadence the installed compute grows by L·m·k a year and levels off at
L·m·k·life once the first satellites retire (steady state: every launch replaces a
retirement). Satellites enter service in the year they are launched and serve `life`
whole years (a whole-year step model; fractional lives are rounded to whole years).
"""

from __future__ import annotations

import numpy as np


def price_curve(years, p0, start_year, decline_per_year=None, target=None, target_year=None) -> np.ndarray:
    """Launch price ($/kg) in each of `years` (array); before `start_year` the first price."""
    t = np.asarray(years, dtype=float)
    dt = np.maximum(t - float(start_year), 0.0)
    p0 = np.asarray(p0, dtype=float)
    if target is not None:
        if target_year is None or target_year <= start_year:
            raise ValueError("a target needs a target_year after start_year")
        frac = np.minimum(dt / (float(target_year) - float(start_year)), 1.0)
        if float(target) <= 0:
            return np.where(frac >= 1.0, 0.0, p0 * (1.0 - frac))  # log-linear to zero is undefined: linear
        return p0 * (float(target) / p0) ** frac
    if decline_per_year is not None:
        return p0 * (1.0 - float(decline_per_year)) ** dt
    return p0 + 0.0 * dt


def build_out(launches_per_year, payload_t, kw_per_tonne, life_years) -> dict[str, np.ndarray]:
    """GW added, retired and installed each year for a cadence (one number per year,
    array), payload per launch (t) and kW of compute per tonne launched; satellites
    retire after `life_years` (rounded to whole years, at least 1)."""
    cadence = np.atleast_1d(np.asarray(launches_per_year, dtype=float))
    life = max(int(round(float(life_years))), 1)
    added_gw = cadence * float(payload_t) * float(kw_per_tonne) / 1e6
    retired_gw = np.zeros_like(added_gw)
    if life < added_gw.size:
        retired_gw[life:] = added_gw[:-life]
    installed_gw = np.cumsum(added_gw - retired_gw)
    return {
        "launches": cadence,
        "mass_t": cadence * float(payload_t),
        "added_gw": added_gw,
        "retired_gw": retired_gw,
        "installed_gw": installed_gw,
    }


def steady_state_gw(launches_per_year, payload_t, kw_per_tonne, life_years) -> float:
    """Installed GW a constant cadence levels off at: L · m · k · life / 1e6."""
    return float(launches_per_year) * float(payload_t) * float(kw_per_tonne) * max(int(round(float(life_years))), 1) / 1e6


__all__ = ["build_out", "price_curve", "steady_state_gw"]
