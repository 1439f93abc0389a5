"""What a run's electricity cost and emitted, site by site, from the grid zone each site buys
from (`sites[].grid`): energy at the meter (facility power, PUE included) in each step of the
run times that step's mean price and carbon intensity.

    energy_cost_usd = sum over sites and steps of E[s, k] (MWh) x price[s, k] (USD/MWh)
    carbon_t        = sum of E[s, k] (kWh) x intensity[s, k] (gCO2eq/kWh) / 1e6

`carbon_t` uses the direct (operational) intensity, as location-based scope 2 accounting
does (GHG Protocol Scope 2 Guidance, 2015); `carbon_lca_t` the life-cycle one. Sites
without a grid zone are left out of both; with no zone anywhere the keys are None.

    water_m3 = sum over sites of IT energy (kWh) x WUE (L/kWh, `sites[].water_l_per_kwh`) / 1000

WUE is The Green Grid's water usage effectiveness (2011): site water per kWh of IT energy.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pyarrow as pa

from orbitgrid.errors import InputError, Problem
from orbitgrid.grid.series import HourlySeries, _iso, packaged_carbon, packaged_prices, read_carbon, read_prices
from orbitgrid.scenario import LoadedScenario

GRID_COLUMNS = ("time_h", "step_h", "site", "facility_power_mw", "price_usd_per_mwh", "carbon_direct_g_per_kwh",
                "carbon_lca_g_per_kwh", "energy_mwh", "cost_usd", "carbon_kg")
J_PER_MWH = 3.6e9
J_PER_KWH = 3.6e6


def start_epoch_s(start_iso: str) -> float:
    """simulation.start (UTC, ISO 8601) as seconds since 1970."""
    return float(np.datetime64(start_iso, "s").astype(np.int64))


def water_m3(sc, pool_site: np.ndarray, width: np.ndarray, it_w: np.ndarray) -> float | None:
    """On-site water: each site's IT energy (kWh) x its WUE (L/kWh) / 1000; None when no
    site gives a WUE (sites without one are left out)."""
    litres, any_site = 0.0, False
    for s, site in enumerate(sc.sites):
        if site.water_l_per_kwh is not None:
            it_kwh = float((it_w[:, pool_site == s] * width[:, None]).sum()) / J_PER_KWH
            litres += it_kwh * site.water_l_per_kwh
            any_site = True
    return litres / 1000.0 if any_site else None


def grid_totals(loaded: LoadedScenario, pool_site: np.ndarray, edges_s: np.ndarray,
                facility_w: np.ndarray, it_w: np.ndarray) -> tuple[dict[str, float | None], pa.Table]:
    """(energy_cost_usd, carbon_t, carbon_lca_t, water_m3; the per-step table `grid`) for
    the run's steps (`edges_s`, seconds from the start; `facility_w` and `it_w` (steps,
    pools) mean facility and IT power in each). The table has a row per step and site with
    a grid zone."""
    sc = loaded.scenario
    out: dict[str, float | None] = {"energy_cost_usd": None, "carbon_t": None, "carbon_lca_t": None}
    columns: dict[str, list[np.ndarray]] = {k: [] for k in GRID_COLUMNS}
    t0 = start_epoch_s(sc.simulation.start)
    starts, width = t0 + edges_s[:-1], np.diff(edges_s)
    cost = carbon = lca = 0.0
    have_price = have_carbon = False
    for s, site in enumerate(sc.sites):
        if site.grid is None:
            continue
        energy_j = (facility_w[:, pool_site == s] * width[:, None]).sum(axis=1)
        price, direct, life = _series(loaded, s)
        where = f"sites[{s}].grid"
        nan = np.full(width.size, np.nan)
        usd_mwh = _on_steps(price, starts, width, where) if price is not None else nan
        g_direct = _on_steps(direct, starts, width, where) if direct is not None else nan
        g_lca = _on_steps(life, starts, width, where) if life is not None else nan
        if price is not None:
            cost += float(energy_j @ usd_mwh) / J_PER_MWH
            have_price = True
        if direct is not None:
            carbon += float(energy_j @ g_direct) / J_PER_KWH / 1e6
            lca += float(energy_j @ g_lca) / J_PER_KWH / 1e6
            have_carbon = True
        columns["time_h"].append(edges_s[:-1] / 3600.0)
        columns["step_h"].append(width / 3600.0)
        columns["site"].append(np.full(width.size, site.name, dtype=object))
        columns["facility_power_mw"].append(energy_j / width / 1e6)
        columns["price_usd_per_mwh"].append(usd_mwh)
        columns["carbon_direct_g_per_kwh"].append(g_direct)
        columns["carbon_lca_g_per_kwh"].append(g_lca)
        columns["energy_mwh"].append(energy_j / J_PER_MWH)
        columns["cost_usd"].append(energy_j / J_PER_MWH * usd_mwh)
        columns["carbon_kg"].append(energy_j / J_PER_KWH * g_direct / 1e3)
    out["water_m3"] = water_m3(sc, pool_site, width, it_w)
    out["energy_cost_usd"] = cost if have_price else None
    out["carbon_t"] = carbon if have_carbon else None
    out["carbon_lca_t"] = lca if have_carbon else None
    return out, _table(columns)


def _table(columns: dict[str, list[np.ndarray]]) -> pa.Table:
    """The per-step rows as a table (NaN: the zone has no such series, stored as null)."""
    arrays = {}
    for name, parts in columns.items():
        if name == "site":
            arrays[name] = pa.array(np.concatenate(parts).tolist() if parts else [], type=pa.string())
        else:
            values = np.concatenate(parts) if parts else np.zeros(0)
            arrays[name] = pa.array(values, mask=np.isnan(values))
    return pa.table(arrays)


def uncovered(loaded: LoadedScenario, s: int) -> str | None:
    """Why site s's grid series do not cover the run's horizon (start to start + duration_h),
    or None. (A drain beyond the horizon is checked when the run is accounted.) Bad series
    files are reported as they are read."""
    sc = loaded.scenario
    t0 = start_epoch_s(sc.simulation.start)
    t1 = t0 + sc.simulation.duration_h * 3600.0
    for series in _series(loaded, s):
        if series is not None and (t0 < series.start_s[0] or t1 > series.end_s):
            return (f"{series.zone} {series.quantity}: the series covers {_iso(series.start_s[0])} to "
                    f"{_iso(series.end_s)}, the run {_iso(t0)} to {_iso(t1)}")
    return None


def _series(loaded: LoadedScenario, s: int) -> tuple[HourlySeries | None, HourlySeries | None, HourlySeries | None]:
    """Site s's (price, direct, life-cycle) series; each file is read once per version (the
    load-time check and the accounting share the read)."""
    grid = loaded.scenario.sites[s].grid
    price = direct = life = None
    if grid.zone is not None:
        price = _read("packaged-price", grid.zone)
        direct, life = _read("packaged-carbon", grid.zone)
    if grid.prices is not None:
        price = _read("prices", *_file_key(loaded.resolve(grid.prices)), grid.prices)
    if grid.carbon is not None:
        direct, life = _read("carbon", *_file_key(loaded.resolve(grid.carbon)), grid.carbon)
    return price, direct, life


def _file_key(path: Path) -> tuple[str, int, int]:
    stat = path.stat()
    return str(path), stat.st_mtime_ns, stat.st_size


@lru_cache(maxsize=32)
def _read(kind: str, what: str, mtime_ns: int = 0, size: int = 0, label: str = ""):
    """One parse per zone, or per file version (path, mtime, size)."""
    if kind == "packaged-price":
        return packaged_prices(what)
    if kind == "packaged-carbon":
        return packaged_carbon(what)
    if kind == "prices":
        return read_prices(Path(what), label)
    return read_carbon(Path(what), label)


def _on_steps(series: HourlySeries, starts: np.ndarray, width: np.ndarray, where: str) -> np.ndarray:
    try:
        return series.on_ticks(starts, width)
    except ValueError as exc:
        # file "scenario": the command line puts the scenario's file and the field's line
        raise InputError([Problem("scenario", None, where, str(exc),
                                  "set simulation.start and duration_h within the series")]) from None
