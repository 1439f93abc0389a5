"""What a run's electricity cost and emitted, site by site, from the grid zone each site buys
from (`sites[].grid`): energy at the meter (facility power, PUE included) in each step of the
run times that step's mean price and carbon intensity.

    energy_cost_usd = sum over sites and steps of E[s, k] (MWh) x price[s, k] (USD/MWh)
    carbon_t        = sum of E[s, k] (kWh) x intensity[s, k] (gCO2eq/kWh) / 1e6

With on-site supply (`sites[].onsite`, grid/dispatch.py) the grid carries only what solar,
gas turbines and the battery do not: E above is then the energy bought from the grid, the
turbines' fuel and O&M are added to the cost, and their CO2 (fuel x EPA factor) to both
carbon totals (stack emissions only: upstream methane is not counted in `carbon_lca_t`).

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

GRID_COLUMNS = ("time_h", "step_h", "site", "facility_power_mw", "grid_power_mw", "gas_power_mw", "solar_power_mw",
                "battery_power_mw", "unserved_power_mw", "price_usd_per_mwh", "carbon_direct_g_per_kwh",
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
    onsite = {k: 0.0 for k in ("grid_energy_mwh", "onsite_gas_mwh", "onsite_solar_mwh", "onsite_gas_cost_usd", "unserved_mwh")}
    have_onsite = False
    for s, site in enumerate(sc.sites):
        load_j = (facility_w[:, pool_site == s] * width[:, None]).sum(axis=1)
        if site.grid is None and site.onsite is None:
            continue
        where = f"sites[{s}].grid"
        nan = np.full(width.size, np.nan)
        price, direct, life = _series(loaded, s) if site.grid is not None else (None, None, None)
        usd_mwh = _on_steps(price, starts, width, where) if price is not None else nan
        g_direct = _on_steps(direct, starts, width, where) if direct is not None else nan
        g_lca = _on_steps(life, starts, width, where) if life is not None else nan
        flows = {k: np.zeros(width.size) for k in ("gas", "solar", "battery", "unserved")}
        energy_j, extra_usd, extra_kg = load_j, 0.0, 0.0
        if site.onsite is not None:
            have_onsite = True
            d = _dispatch(loaded, s, starts, width, load_j / width, usd_mwh)
            energy_j = d.grid_w * width
            extra_usd, extra_kg = d.gas_cost_usd, d.gas_co2_kg
            flows = {"gas": d.gas_w, "solar": d.solar_used_w, "battery": d.discharge_w - d.charge_w,
                     "unserved": d.unserved_w}
            onsite["grid_energy_mwh"] += float(energy_j.sum()) / J_PER_MWH
            onsite["onsite_gas_mwh"] += d.gas_energy_wh / 1e6
            onsite["onsite_solar_mwh"] += float((d.solar_used_w * width).sum()) / J_PER_MWH
            onsite["onsite_gas_cost_usd"] += d.gas_cost_usd
            onsite["unserved_mwh"] += d.unserved_wh / 1e6
        elif site.grid is not None:
            onsite["grid_energy_mwh"] += float(energy_j.sum()) / J_PER_MWH
        if price is not None:
            cost += float(energy_j @ usd_mwh) / J_PER_MWH + extra_usd
            have_price = True
        if direct is not None:
            carbon += float(energy_j @ g_direct) / J_PER_KWH / 1e6 + extra_kg / 1e3
            lca += float(energy_j @ g_lca) / J_PER_KWH / 1e6 + extra_kg / 1e3
            have_carbon = True
        columns["time_h"].append(edges_s[:-1] / 3600.0)
        columns["step_h"].append(width / 3600.0)
        columns["site"].append(np.full(width.size, site.name, dtype=object))
        columns["facility_power_mw"].append(load_j / width / 1e6)
        columns["grid_power_mw"].append(energy_j / width / 1e6)
        for key in ("gas", "solar", "battery", "unserved"):
            columns[f"{key}_power_mw"].append(flows[key] / 1e6)
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
    out.update({k: (v if have_onsite else None) for k, v in onsite.items()})
    return out, _table(columns)


def _dispatch(loaded: LoadedScenario, s: int, starts: np.ndarray, width: np.ndarray, load_w: np.ndarray,
              usd_mwh: np.ndarray):
    """Site s's on-site supply against its load at the meter (grid/dispatch.py); without a
    price the grid is taken as free, so gas runs only beyond the cap and a battery idles."""
    from orbitgrid.grid.dispatch import Battery, GasTurbines, dispatch
    from orbitgrid.grid.solar import clear_sky_capacity_factor, read_capacity_factor

    site = loaded.scenario.sites[s]
    spec = site.onsite
    solar_w = None
    if spec.solar is not None:
        if spec.solar.profile is not None:
            cf_series = read_capacity_factor(loaded.resolve(spec.solar.profile), spec.solar.profile)
            cf = _on_steps(cf_series, starts, width, f"sites[{s}].onsite.solar.profile")
        else:
            cf = clear_sky_capacity_factor(site.location.lat_deg, site.location.lon_deg, starts, width,
                                           derate=spec.solar.derate)
        solar_w = cf * spec.solar.capacity_mw * 1e6
    gas = None
    if spec.gas is not None:
        gas = GasTurbines(spec.gas.capacity_mw * 1e6, spec.gas.heat_rate_mmbtu_per_mwh, spec.gas.fuel_usd_per_mmbtu,
                          spec.gas.variable_om_usd_per_mwh, spec.gas.co2_kg_per_mmbtu)
    battery = None
    if spec.battery is not None:
        b = spec.battery
        battery = Battery(b.energy_mwh * 1e6, b.power_mw * 1e6, b.round_trip_efficiency, b.initial_soc)
    price = np.where(np.isnan(usd_mwh), 0.0, usd_mwh)
    # day windows close at local (solar) midnight: lon / 15 hours off UTC
    local_midnight_s = (-(starts[0] + site.location.lon_deg / 15.0 * 3600.0)) % 86400.0
    return dispatch(load_w, width, price, site.power_cap_mw * 1e6, solar_w=solar_w, gas=gas, battery=battery,
                    window_phase_s=local_midnight_s)


def site_prices(loaded: LoadedScenario) -> dict[int, HourlySeries]:
    """Each site's hourly price series, for the sites that have one."""
    out = {}
    for s, site in enumerate(loaded.scenario.sites):
        if site.grid is not None:
            price = _series(loaded, s)[0]
            if price is not None:
                out[s] = price
    return out


def site_prices_on_steps(loaded: LoadedScenario, edges_s: np.ndarray) -> dict[int, np.ndarray]:
    """Each priced site's mean price (USD/MWh) over each step of the run."""
    t0 = start_epoch_s(loaded.scenario.simulation.start)
    starts, width = t0 + edges_s[:-1], np.diff(edges_s)
    return {s: _on_steps(price, starts, width, f"sites[{s}].grid") for s, price in site_prices(loaded).items()}


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
