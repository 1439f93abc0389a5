"""From a scenario to the cost of each fleet, without running the simulation: per-fleet
inputs (scenario, else catalogue), the TCO of each fleet (economics/tco.py), break-even
against the reference site, a tornado of orbital $/W, and Monte Carlo samples.

Backs `orbitgrid plan`. Each `sites[]` entry and each `constellations[]` entry is a
fleet. A fleet's cost inputs are `Distribution`s (a plain number is a fixed one); a
deterministic plan evaluates each at its central value; `--samples N` draws N of each
and evaluates the same vectorised formulas once on arrays of N.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import brentq

from orbitgrid.economics import tco
from orbitgrid.economics.distributions import Distribution, fixed, quantiles
from orbitgrid.errors import InputError, Problem

OUTPUT_KEYS = ("delivered_power_w", "capex_usd", "opex_usd", "total_usd", "usd_per_w", "usd_per_gpu_hour",
               "usd_per_mwh", "usd_per_pflop_day", "satellites", "launches", "mass_t")
TORNADO_SWING = 0.25
TORNADO_TOP = 10
BREAK_EVEN_RANGES = {  # input -> (low, high) searched with brentq
    "launch_usd_per_kg": (0.0, 20_000.0),
    "bus_usd_per_w": (0.0, 200.0),
    "bus_usd_per_kg": (0.0, 100_000.0),
    "gpu_failure_per_year": (0.0, 1.0),
}


@dataclass
class FleetModel:
    """One fleet ready to cost: uncertain inputs with their sources, and fixed numbers
    (sizing, power per GPU, FLOPS) that no sample changes."""

    name: str
    kind: str  # "terrestrial" or "orbital"
    inputs: dict[str, Distribution]
    sources: dict[str, str]
    fixed: dict[str, object]
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------- evaluation

def _terrestrial(v: dict, fx: dict) -> dict:
    p, pue = fx["delivered_w"], fx["pue"]
    gpus = p / fx["gpu_power_w"]
    capex = {
        "power_plant": v["power_plant_usd_per_kw"] / 1000.0 * fx["plant_capacity_w"],
        "electrical": v["electrical_usd_per_w"] * p,
        "mechanical": v["mechanical_usd_per_w"] * p,
        "civil": v["civil_usd_per_w"] * p,
        "network": v["network_usd_per_w"] * p,
        "gpus": gpus * v["gpu_price_usd"],
    }
    hardware = sum(capex.values())
    mwh = tco.facility_energy_mwh_per_year(p, pue, v["utilization"])
    if fx["energy"] == "flat":
        price = v["energy_usd_per_mwh"]
    else:
        gas = tco.fuel_usd_per_mwh(v["heat_rate_btu_per_kwh"], v["fuel_usd_per_mmbtu"], v["fuel_om_usd_per_mwh"])
        price = fx["gas_share"] * gas + (1.0 - fx["gas_share"]) * v["energy_usd_per_mwh"]
    basis = capex["gpus"] if fx["gpu_replacement_basis"] == "gpus" else hardware
    annual = {
        "energy": mwh * price,
        "operations": v["ops_share_per_year"] * hardware,
        "gpu_replacement": v["gpu_failure_per_year"] * basis,
    }
    capex["nre"] = v["nre_usd"] + 0.0 * p
    return {"capex": capex, "annual": annual, "lumps": 0.0, "delivered_w": p + 0.0 * hardware,
            "satellites": 0.0 * hardware, "launches": 0.0 * hardware, "mass_kg": 0.0 * hardware, "gpus": gpus,
            "energy_mwh_per_year": mwh}


def _orbital(v: dict, fx: dict) -> dict:
    years, target = fx["years"], fx["target_w"]
    if fx["sizing"] == "explicit":
        psat = v["satellite_power_kw"] * 1000.0
        per_sat = psat * v["sun_fraction"] * tco.mean_retention(v["degradation_per_year"], years)
        sat_mass = psat / v["specific_power_w_kg"]
        sat_bus_mass = sat_mass
    else:
        psat = fx["array_bol_w"]
        per_sat = fx["per_sat_delivered_w"]
        sat_mass = fx["sat_mass_kg"]
        sat_bus_mass = fx["sat_dry_kg"] - fx["sat_payload_kg"]
    if fx["gpu_replacement_basis"] == "attrition":
        # failed GPUs stay dark until the satellite is rebuilt: the fleet is sized on their
        # mean survival over the years, (1 - q^Y) / (Y (1 - q)), q = 1 - failure rate
        per_sat = per_sat * tco.mean_retention(v["gpu_failure_per_year"], years)
    n = tco.satellites_needed(target, per_sat) if target is not None else np.asarray(float(fx["n_sat"]))
    delivered = np.asarray(target, dtype=float) if target is not None else n * per_sat
    nameplate = n * psat
    mass = n * sat_mass
    gpus = nameplate / fx["gpu_power_w"] if fx["sizing"] == "explicit" else n * fx["gpus_per_sat"]
    if fx["bus_price"] == "per_w":
        bus = v["bus_usd_per_w"] * nameplate
    else:
        bus = v["bus_usd_per_kg"] * n * sat_bus_mass
    gpu_capex = gpus * v["gpu_price_usd"]
    launch = mass * v["launch_usd_per_kg"]
    capex = {"satellites": bus, "gpus": gpu_capex, "launch": launch, "ground_segment": v["ground_segment_usd"] + 0.0 * bus,
             "nre": v["nre_usd"] + 0.0 * bus}
    basis = {"gpus": gpu_capex, "hardware": bus + gpu_capex, "attrition": 0.0 * gpu_capex}[fx["gpu_replacement_basis"]]
    annual = {
        "operations": v["ops_share_per_year"] * (bus + gpu_capex),
        "ground_operations": v["ground_ops_usd_per_year"] + 0.0 * bus,
        "gpu_replacement": v["gpu_failure_per_year"] * basis,
    }
    lumps = tco.present_value_of_lumps(bus + gpu_capex + launch, v["discount_rate"], fx["rebuild_times"])
    return {"capex": capex, "annual": annual, "lumps": lumps, "delivered_w": delivered, "satellites": n,
            "capacity_w": n * per_sat,
            "launches": tco.launches_needed(mass, v["payload_t"]), "mass_kg": mass, "gpus": gpus,
            "energy_mwh_per_year": delivered * v["utilization"] * tco.HOURS_PER_YEAR / 1e6}


def evaluate(model: FleetModel, values: dict[str, object]) -> dict[str, object]:
    """The fleet's costs for input values (numbers or arrays of samples, by input name)."""
    with np.errstate(divide="ignore", invalid="ignore"):  # a zero utilisation: inf $/MWh, reported as null
        return _evaluate(model, values)


def _evaluate(model: FleetModel, values: dict[str, object]) -> dict[str, object]:
    v = {k: np.asarray(x, dtype=float) for k, x in values.items()}
    fx = model.fixed
    raw = _terrestrial(v, fx) if model.kind == "terrestrial" else _orbital(v, fx)
    years, rate = fx["years"], v["discount_rate"]
    capex = sum(raw["capex"].values())
    annual = sum(raw["annual"].values())
    opex = annual * tco.annuity_factor(rate, years) + raw["lumps"]
    total = capex + opex
    lev = tco.levelised(total, raw["delivered_w"], v["utilization"], years, rate, fx["gpu_power_w"], fx["pflops_per_gpu"])
    return {
        "delivered_power_w": raw["delivered_w"], "capex_usd": capex, "opex_usd": opex, "total_usd": total,
        "usd_per_w": lev["usd_per_w"], "usd_per_gpu_hour": lev["usd_per_gpu_hour"], "usd_per_mwh": lev["usd_per_mwh"],
        "usd_per_pflop_day": lev["usd_per_pflop_day"], "satellites": raw["satellites"], "launches": raw["launches"],
        "mass_t": raw["mass_kg"] / 1000.0, "gpus": raw["gpus"],
        "capex_breakdown_usd": raw["capex"], "annual_opex_usd": raw["annual"], "replacement_pv_usd": raw["lumps"],
        "energy_mwh_per_year": raw["energy_mwh_per_year"], "capacity_w": raw.get("capacity_w", raw["delivered_w"]),
        "annualised_usd_per_year": total * tco.capital_recovery_factor(rate, years),
        "depreciation_usd_per_year": tco.straight_line_depreciation(capex - raw["capex"]["nre"], fx["depreciation_years"]),
    }


def central_values(model: FleetModel) -> dict[str, float]:
    return {k: d.central for k, d in model.inputs.items()}


def usd_per_w(model: FleetModel, values: dict[str, object]) -> np.ndarray:
    return np.asarray(evaluate(model, values)["usd_per_w"], dtype=float)


# ---------------------------------------------------------------------------- building models

class _Ctx:
    """Resolves one fleet's inputs: the scenario's economics entry, else the catalogue."""

    def __init__(self, spec, sc_eco, cat):
        self.spec, self.eco, self.cat = spec, sc_eco, cat
        self.inputs: dict[str, Distribution] = {}
        self.sources: dict[str, str] = {}

    def take(self, name: str, default: float | None, source: str, lower: float = 0.0, upper: float = math.inf,
             attr: str | None = None) -> None:
        given = getattr(self.spec, attr or name, None) if self.spec is not None else None
        if given is not None:
            self.inputs[name] = given
            self.sources[name] = "scenario: economics.fleets[].{}".format(attr or name)
        else:
            self.inputs[name] = fixed(default, lower, upper)
            self.sources[name] = source

    def sv(self, sv):
        return float(sv.value), f"catalogue: {sv.source} ({sv.date}, {sv.confidence})"


def _gpu_price(table, gpu: str) -> float | None:
    acc = table.get(gpu)
    if acc is None or acc.purchase_price_usd is None:
        return None
    return 0.5 * (acc.purchase_price_usd.low + acc.purchase_price_usd.high)


def _problem(loaded, path: tuple, message: str, hint: str | None = None) -> InputError:
    from orbitgrid.yaml_lines import format_path, load_yaml_with_lines

    try:
        _, lines = load_yaml_with_lines(loaded.file)
        line = lines.line_of(path)
    except InputError:
        line = None
    return InputError([Problem(str(loaded.file), line, format_path(path), message, hint)])


def _common(ctx: _Ctx, loaded, name: str, gpu_paths: list[tuple], gpu_prices: list[tuple[float, float | None, str]],
            kind: str) -> None:
    cat = ctx.cat
    ops = cat.operations
    missing = [k for k, (_, price, _) in enumerate(gpu_prices) if price is None]
    if missing and (ctx.spec is None or ctx.spec.gpu_price_usd is None):
        k = missing[0]
        raise _problem(loaded, gpu_paths[k], f"no catalogue purchase price for {gpu_prices[k][2]}",
                       f"give economics.fleets[] an entry for {name!r} with gpu_price_usd")
    weights = sum(w for w, _, _ in gpu_prices)
    price = sum(w * (p or 0.0) for w, p, _ in gpu_prices) / weights if weights else 0.0
    ctx.take("gpu_price_usd", price, "catalogue: middle of accelerators.yaml purchase_price_usd for "
             + ", ".join(sorted({g for _, _, g in gpu_prices})))
    for name, key in (("utilization", "utilization"), ("gpu_failure_per_year", "gpu_failure_per_year")):
        val, src = ctx.sv(ops[key])
        ctx.take(name, val, src, 0.0, 1.0)
    key = "terrestrial_ops_share_per_year" if kind == "terrestrial" else "orbital_ops_share_per_year"
    val, src = ctx.sv(ops[key])
    ctx.take("ops_share_per_year", val, src, 0.0, 1.0)
    if kind == "orbital":
        val, src = ctx.sv(ops["nre_usd"])
    else:
        val, src = 0.0, "assumed: no non-recurring engineering for a terrestrial site (as in McCalip's calculator)"
    ctx.take("nre_usd", val, src)
    disc = ctx.eco.discount_rate if ctx.eco is not None else None
    if disc is not None:
        ctx.inputs["discount_rate"] = disc
        ctx.sources["discount_rate"] = "scenario: economics.discount_rate"
    else:
        val, src = ctx.sv(cat.financing["discount_rate"])
        ctx.inputs["discount_rate"] = fixed(val, 0.0, 1.0)
        ctx.sources["discount_rate"] = src


def _site_model(loaded, k: int, spec, cat, years: float) -> FleetModel:
    from orbitgrid.catalog.economics import DEFAULT_FUEL, DEFAULT_GRID, DEFAULT_TERRESTRIAL

    sc = loaded.scenario
    site = sc.sites[k]
    table = sc.accelerator_table()
    it_w, gpus, flops, prices = 0.0, 0, 0.0, []
    for pool in site.pools:
        acc = table[pool.gpu]
        busy = pool.busy_power_w if pool.busy_power_w is not None else acc.busy_power_w
        it_w += pool.count * busy
        gpus += pool.count
        flops += pool.count * acc.bf16_tflops.value
        prices.append((pool.count, _gpu_price(table, pool.gpu), pool.gpu))
    gpu_w, pflops = it_w / gpus, flops / gpus / 1000.0
    delivered = spec.delivered_power_mw * 1e6 if spec is not None and spec.delivered_power_mw is not None else it_w
    ctx = _Ctx(spec, sc.economics, cat)
    _common(ctx, loaded, site.name, [("sites", k, "pools", j, "gpu") for j in range(len(site.pools))], prices,
            "terrestrial")
    capex = cat.terrestrial[DEFAULT_TERRESTRIAL]
    for name in ("power_plant_usd_per_kw", "electrical_usd_per_w", "mechanical_usd_per_w", "civil_usd_per_w",
                 "network_usd_per_w"):
        val, src = ctx.sv(getattr(capex, name))
        if name == "power_plant_usd_per_kw" and (site.onsite is None or site.onsite.gas is None):
            val, src = 0.0, "no on-site plant: the site buys from the grid (connection in electrical)"
        ctx.take(name, val, src)
    fuel = cat.fuel[DEFAULT_FUEL]
    gas = site.onsite.gas if site.onsite is not None else None
    if gas is not None:
        ctx.take("heat_rate_btu_per_kwh", gas.heat_rate_mmbtu_per_mwh * 1000.0, "scenario: sites[].onsite.gas.heat_rate_mmbtu_per_mwh", 1.0)
        ctx.take("fuel_usd_per_mmbtu", gas.fuel_usd_per_mmbtu, "scenario: sites[].onsite.gas.fuel_usd_per_mmbtu")
        ctx.take("fuel_om_usd_per_mwh", gas.variable_om_usd_per_mwh, "scenario: sites[].onsite.gas.variable_om_usd_per_mwh",
                 attr="fuel_om_usd_per_mwh")
    else:
        for name, sv in (("heat_rate_btu_per_kwh", fuel.heat_rate_btu_per_kwh), ("fuel_usd_per_mmbtu", fuel.usd_per_mmbtu),
                         ("fuel_om_usd_per_mwh", fuel.om_usd_per_mwh)):
            val, src = ctx.sv(sv)
            ctx.take(name, val, src)
    grid_price, grid_src = _grid_price(loaded, site, cat.grid[DEFAULT_GRID], ctx)
    ctx.take("energy_usd_per_mwh", grid_price, grid_src)
    facility_w = delivered * site.pue
    flat = spec is not None and spec.energy_usd_per_mwh is not None
    gas_share = 0.0 if gas is None else min(1.0, gas.capacity_mw * 1e6 / facility_w)
    plant_w = 0.0 if gas is None else gas.capacity_mw * 1e6
    fx = {"delivered_w": delivered, "pue": site.pue, "gpu_power_w": gpu_w, "pflops_per_gpu": pflops, "years": years,
          "energy": "flat" if (flat or gas is None) else "gas", "gas_share": gas_share, "plant_capacity_w": plant_w,
          "gpu_replacement_basis": spec.gpu_replacement_basis if spec is not None and spec.gpu_replacement_basis else "gpus",
          "depreciation_years": years}
    return FleetModel(site.name, "terrestrial", ctx.inputs, ctx.sources, fx)


def _grid_price(loaded, site, default, ctx) -> tuple[float, str]:
    if site.grid is not None and (site.grid.zone is not None or site.grid.prices is not None):
        from orbitgrid.grid.series import packaged_prices, read_prices

        series = packaged_prices(site.grid.zone) if site.grid.prices is None else read_prices(
            loaded.resolve(site.grid.prices), site.grid.prices)
        return float(np.mean(series.values)), f"mean of the zone's hourly prices ({series.zone})"
    return ctx.sv(default.usd_per_mwh)


def _constellation_model(loaded, k: int, spec, cat, years: float) -> FleetModel:
    from orbitgrid.catalog.constellations import load_constellation_presets
    from orbitgrid.catalog.economics import DEFAULT_BUS, DEFAULT_LAUNCHER

    sc = loaded.scenario
    con = sc.constellations[k]
    table = sc.accelerator_table()
    sat = con.satellite
    acc = table[sat.gpu]
    gpu_w = sat.gpu_power_w if sat.gpu_power_w is not None else acc.busy_power_w
    pflops = acc.bf16_tflops.value / 1000.0
    ctx = _Ctx(spec, sc.economics, cat)
    _common(ctx, loaded, con.name, [("constellations", k, "satellite", "gpu")], [(1.0, _gpu_price(table, sat.gpu), sat.gpu)],
            "orbital")
    ops = cat.operations
    life = (spec.design_life_years if spec is not None and spec.design_life_years is not None else
            sat.design_life_years if sat.design_life_years is not None else float(ops["satellite_design_life_years"].value))
    vehicle_name = spec.launch.vehicle if spec is not None and spec.launch.vehicle else DEFAULT_LAUNCHER
    vehicle = cat.launchers[vehicle_name]
    launch = spec.launch if spec is not None else None
    for name, sv in (("launch_usd_per_kg", vehicle.usd_per_kg), ("payload_t", vehicle.payload_t)):
        attr = "usd_per_kg" if name == "launch_usd_per_kg" else "payload_t"
        given = getattr(launch, attr) if launch is not None else None
        if given is not None:
            ctx.inputs[name], ctx.sources[name] = given, f"scenario: economics.fleets[].launch.{attr}"
        else:
            val, src = ctx.sv(sv)
            ctx.inputs[name], ctx.sources[name] = fixed(val, 1e-3 if name == "payload_t" else 0.0), f"{vehicle_name}: {src}"
    for name, key in (("ground_segment_usd", "ground_segment_usd"), ("ground_ops_usd_per_year", "ground_ops_usd_per_year")):
        val, src = ctx.sv(ops[key])
        ctx.take(name, val, src)
    bus_cat = cat.buses[DEFAULT_BUS]
    bus_price = "per_kg" if spec is not None and spec.bus_usd_per_kg is not None else "per_w"
    if bus_price == "per_w":
        val, src = ctx.sv(bus_cat.usd_per_w)
        ctx.take("bus_usd_per_w", val, f"{DEFAULT_BUS}: {src}")
    else:
        ctx.take("bus_usd_per_kg", 0.0, "")
    sizing = spec.sizing if spec is not None else "physics"
    target = spec.delivered_power_mw * 1e6 if spec is not None and spec.delivered_power_mw is not None else None
    fx: dict[str, object] = {"sizing": sizing, "target_w": target, "gpu_power_w": gpu_w, "pflops_per_gpu": pflops,
                             "years": years, "bus_price": bus_price, "design_life_years": life,
                             "rebuild_times": tco.replacement_times(life, years), "depreciation_years": min(life, years),
                             # nobody swaps a GPU in orbit: by default failures are attrition
                             "gpu_replacement_basis": spec.gpu_replacement_basis if spec is not None and spec.gpu_replacement_basis
                             else "attrition"}
    presets = load_constellation_presets()
    if con.shell is not None:
        n_sat = con.shell.planes * con.shell.sats_per_plane
    elif con.formation is not None:
        n_sat = con.formation.clusters * con.formation.satellites
    elif con.preset is not None:
        n_sat = presets[con.preset].n_sat
    else:
        n_sat = None
    if target is None and n_sat is None:
        raise _problem(loaded, ("constellations", k, "tle"), "plan cannot count a TLE constellation's satellites",
                       "give economics.fleets[].delivered_power_mw")
    fx["n_sat"] = n_sat
    if sizing == "explicit":
        for name, sv in (("satellite_power_kw", bus_cat.power_kw), ("specific_power_w_kg", bus_cat.specific_power_w_kg)):
            val, src = ctx.sv(sv)
            ctx.take(name, val, f"{DEFAULT_BUS}: {src}", 1e-6)
        val, src = ctx.sv(ops["sun_fraction"])
        ctx.take("sun_fraction", val, src, 1e-6, 1.0)
        val, src = ctx.sv(ops["cell_degradation_per_year"])
        ctx.take("degradation_per_year", val, src, 0.0, 0.999)
    else:
        fx.update(_physics_sizing(loaded, k, spec, life, gpu_w))
    return FleetModel(con.name, "orbital", ctx.inputs, ctx.sources, fx)


def _physics_sizing(loaded, k: int, spec, life: float, gpu_w: float) -> dict:
    """One satellite of constellation k, sized by physics/sizing.py for its GPUs and orbit
    (the sun-synchronous case propagates a year once; orbit_light caches it)."""
    from orbitgrid.catalog.constellations import load_constellation_presets
    from orbitgrid.catalog.technology import DEFAULT_ARRAY, DEFAULT_BATTERY, DEFAULT_BUS, DEFAULT_RADIATOR, load_technology
    from orbitgrid.physics import sizing

    con = loaded.scenario.constellations[k]
    if con.tle is not None:
        raise _problem(loaded, ("constellations", k, "tle"), "a TLE constellation has no design orbit to size a satellite for",
                       "give economics.fleets[] for it with sizing: explicit")
    sat = con.satellite
    tech_cat = load_technology()
    pick = lambda key, default: (getattr(spec, key) if spec is not None and getattr(spec, key) else default)  # noqa: E731
    bus = tech_cat.buses[pick("bus", DEFAULT_BUS)]
    tech = sizing.Technology.from_presets(tech_cat.arrays[pick("array", DEFAULT_ARRAY)],
                                          tech_cat.radiators[pick("radiator", DEFAULT_RADIATOR)],
                                          tech_cat.batteries[pick("battery", DEFAULT_BATTERY)], bus)
    orbit = con.shell or con.formation
    if orbit is None:
        shell = load_constellation_presets()[con.preset].shells[0]
        light = sizing.orbit_light(shell.altitude_km, shell.inclination_deg)
        alt = shell.altitude_km
    else:
        light = sizing.orbit_light(orbit.altitude_km, None if orbit.sso else orbit.inclination_deg,
                                   orbit.ltan_h if orbit.sso else None)
        alt = orbit.altitude_km
    if sat.gpu not in tech_cat.compute_payloads:
        raise _problem(loaded, ("constellations", k, "satellite", "gpu"), f"no published server mass for {sat.gpu}",
                       "set economics.fleets[].sizing: explicit for this constellation")
    payload = tech_cat.compute_payloads[sat.gpu].server_kg_per_gpu.value
    mode = "ride_through" if con.eclipse_policy in ("ride_through", "throttle") else "power_off"
    temp = spec.radiator_temperature_k if spec is not None and spec.radiator_temperature_k else 320.0
    try:
        r = sizing.size_satellite(sat.gpus, gpu_w, payload, sat.bus_power_w, light.period_s, light.eclipse_s, alt, tech,
                                  temp, mode, life)
    except ValueError as exc:
        raise _problem(loaded, ("economics", "fleets"), str(exc)) from None
    duty = 1.0 if mode == "ride_through" else light.sunlit_s / light.period_s
    if con.eclipse_policy == "throttle":
        duty = (light.sunlit_s + light.eclipse_s * con.throttle.power_fraction) / light.period_s
    return {"array_bol_w": float(r.array_bol_w), "per_sat_delivered_w": float(r.compute_w) * duty,
            "sat_mass_kg": float(r.mass_total_kg), "sat_dry_kg": float(r.mass_dry_kg),
            "sat_payload_kg": float(r.mass_payload_kg), "gpus_per_sat": float(sat.gpus),
            "kw_per_tonne": float(r.compute_kw_per_tonne), "eclipse_min": light.eclipse_s / 60.0,
            "eclipse_method": light.method}


def build_models(loaded) -> list[FleetModel]:
    """Every fleet of the scenario, sites first, in file order."""
    from orbitgrid.catalog.economics import load_economics

    sc = loaded.scenario
    cat = load_economics()
    years = sc.economics.years if sc.economics is not None else 5.0
    by_name = {f.fleet: f for f in sc.economics.fleets} if sc.economics is not None else {}
    models = [_site_model(loaded, k, by_name.get(s.name), cat, years) for k, s in enumerate(sc.sites)]
    models += [_constellation_model(loaded, k, by_name.get(c.name), cat, years) for k, c in enumerate(sc.constellations)]
    return models


# ---------------------------------------------------------------------------- analyses

def _scalar(x) -> float:
    return float(np.asarray(x, dtype=float))


def break_even(orbital: FleetModel, reference: FleetModel) -> dict[str, object]:
    """The value of each of launch $/kg, bus $/W (or $/kg) and GPU failure rate at which the
    orbital fleet's $/W equals the reference site's, the others at their central values:
    brentq over the stated range; "none" when $/W does not cross the reference's in it."""
    target = _scalar(evaluate(reference, central_values(reference))["usd_per_w"])
    base = central_values(orbital)
    out: dict[str, object] = {"orbital": orbital.name, "reference": reference.name, "reference_usd_per_w": target,
                              "orbital_usd_per_w": _scalar(usd_per_w(orbital, base))}
    for name, (lo, hi) in BREAK_EVEN_RANGES.items():
        if name not in orbital.inputs:
            continue

        def gap(x: float, name=name) -> float:
            return _scalar(usd_per_w(orbital, {**base, name: x})) - target

        g_lo, g_hi = gap(lo), gap(hi)
        out[f"{name}_usd_per_w_at_range"] = [g_lo + target, g_hi + target]
        if not (math.isfinite(g_lo) and math.isfinite(g_hi)) or g_lo * g_hi > 0:
            value: object = "none"
        elif g_lo == 0:
            value = lo
        elif g_hi == 0:
            value = hi
        else:
            value = float(brentq(gap, lo, hi, xtol=1e-9, rtol=1e-12))
        out[name] = value
        out[f"{name}_range"] = [lo, hi]
    return out


def tornado(model: FleetModel, top: int = TORNADO_TOP) -> list[dict[str, object]]:
    """The inputs that move the fleet's $/W most: each input at its low and high (a
    distribution's bounds, else ±25% of the value, kept in its physical range), the rest
    central; sorted by the swing |$/W(high) − $/W(low)|, largest first."""
    base = central_values(model)
    base_w = _scalar(usd_per_w(model, base))
    rows = []
    for name, dist in model.inputs.items():
        b = dist.bounds
        if b is None:
            c = dist.central
            b = (max(c * (1 - TORNADO_SWING), dist.lower), min(c * (1 + TORNADO_SWING), dist.upper))
        lo_w = _scalar(usd_per_w(model, {**base, name: b[0]}))
        hi_w = _scalar(usd_per_w(model, {**base, name: b[1]}))
        rows.append({"fleet": model.name, "input": name, "low": b[0], "high": b[1], "central": dist.central,
                     "usd_per_w_low": lo_w, "usd_per_w_high": hi_w, "usd_per_w_base": base_w,
                     "swing_usd_per_w": abs(hi_w - lo_w), "source": model.sources.get(name)})
    rows.sort(key=lambda r: -r["swing_usd_per_w"])
    return rows[:top]


def sample(models: list[FleetModel], n: int, seed: int | None) -> list[dict[str, dict[str, float]]]:
    """p5/p50/p95/mean of each fleet's outputs over n joint draws of its inputs (one
    vectorised evaluation per fleet; the shared discount rate drawn once for all fleets;
    inputs drawn in a fixed order, so the same seed gives the same numbers)."""
    rng = np.random.default_rng(seed)
    shared = {}
    if models and "discount_rate" in models[0].inputs:
        shared["discount_rate"] = models[0].inputs["discount_rate"].sample(rng, n)
    out = []
    for m in models:
        values = {}
        for name in sorted(m.inputs):
            values[name] = shared[name] if name in shared else m.inputs[name].sample(rng, n)
        res = evaluate(m, values)
        out.append({k: quantiles(np.broadcast_to(np.asarray(res[k], dtype=float), (n,))) for k in OUTPUT_KEYS
                    if k not in ("satellites", "launches", "mass_t") or m.kind == "orbital"})
    return out


def _py(x):
    if isinstance(x, dict):
        return {k: _py(v) for k, v in x.items()}
    arr = np.asarray(x, dtype=float)
    if arr.ndim == 0:
        f = float(arr)
        return f if math.isfinite(f) else None
    return [(_py(v)) for v in arr]


def growth_table(model: FleetModel, spec) -> dict[str, object] | None:
    """Build-out for an orbital fleet whose launch plan names a cadence."""
    from orbitgrid.economics import launch

    if spec is None or spec.launch.launches_per_year is None:
        return None
    lp = spec.launch
    cad = lp.launches_per_year
    years = np.arange(lp.start_year, lp.start_year + (len(cad) if isinstance(cad, list) else lp.growth_years))
    cadence = np.asarray(cad, dtype=float) if isinstance(cad, list) else np.full(years.size, float(cad))
    res = evaluate(model, central_values(model))
    kw_per_t = _scalar(res["capacity_w"]) / 1000.0 / _scalar(res["mass_t"])  # delivered kW per tonne launched
    payload = model.inputs["payload_t"].central
    b = launch.build_out(cadence, payload, kw_per_t, model.fixed["design_life_years"])
    price = launch.price_curve(years, model.inputs["launch_usd_per_kg"].central, lp.start_year,
                               lp.price_decline_per_year, lp.target_usd_per_kg, lp.target_year)
    return {"year": years.tolist(), "kw_per_tonne": kw_per_t, "price_usd_per_kg": price.tolist(),
            "launch_spend_usd": (b["mass_t"] * 1000.0 * price).tolist(),
            **{k: v.tolist() for k, v in b.items()}}


def plan(loaded, samples: int = 0, seed: int | None = None) -> dict[str, object]:
    """The plan of a scenario: `fleets`, `break_even`, `sensitivity` (see the CLI's `plan`)."""
    sc = loaded.scenario
    models = build_models(loaded)
    by_name = {f.fleet: f for f in sc.economics.fleets} if sc.economics is not None else {}
    fleets = []
    for m in models:
        res = evaluate(m, central_values(m))
        row = {"name": m.name, "kind": m.kind, **{k: _py(res[k]) for k in OUTPUT_KEYS},
               "gpus": _py(res["gpus"]), "capex_breakdown_usd": _py(res["capex_breakdown_usd"]),
               "annual_opex_usd": _py(res["annual_opex_usd"]), "replacement_pv_usd": _py(res["replacement_pv_usd"]),
               "energy_mwh_per_year": _py(res["energy_mwh_per_year"]),
               "annualised_usd_per_year": _py(res["annualised_usd_per_year"]),
               "depreciation_usd_per_year": _py(res["depreciation_usd_per_year"]),
               "years": m.fixed["years"],
               "inputs": {k: {"value": d.as_json(), "source": m.sources.get(k)} for k, d in m.inputs.items()}}
        if m.kind == "orbital":
            row["sizing"] = m.fixed["sizing"]
            row["design_life_years"] = m.fixed["design_life_years"]
            if m.fixed["sizing"] == "physics":
                row["satellite"] = {k: m.fixed[k] for k in ("array_bol_w", "per_sat_delivered_w", "sat_mass_kg",
                                                            "kw_per_tonne", "eclipse_min", "eclipse_method")}
            g = growth_table(m, by_name.get(m.name))
            if g is not None:
                row["growth"] = g
        fleets.append(row)
    if samples > 0:
        for row, q in zip(fleets, sample(models, samples, seed)):
            row["samples"] = {"n": samples, "seed": seed, **q}
    terr = [m for m in models if m.kind == "terrestrial"]
    ref_name = sc.economics.reference if sc.economics is not None and sc.economics.reference else None
    ref = next((m for m in terr if m.name == ref_name), terr[0] if terr else None)
    orbital = [m for m in models if m.kind == "orbital"]
    be = [break_even(m, ref) for m in orbital] if ref is not None else []
    sens = [row for m in orbital for row in tornado(m)]
    return _finite({"fleets": fleets, "break_even": be, "sensitivity": sens})


def _finite(x):
    """The result with every non-finite number (a division by a zero utilisation) as None,
    so that it is valid JSON."""
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_finite(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


# ---------------------------------------------------------------------------- printing

def _money(x) -> str:
    if x is None:
        return "-"
    if x < 0:
        return "−" + _money(-x)
    a = abs(x)
    if a >= 1e9:
        return f"${x / 1e9:,.2f} B"
    if a >= 1e6:
        return f"${x / 1e6:,.1f} M"
    return f"${x:,.2f}"


def _num(x, digits: int = 2) -> str:
    if x is None:
        return "-"
    if isinstance(x, str):
        return x
    return f"{x:,.{digits}f}"


def add_margin(result: dict, run_dir) -> None:
    """Each fleet's margin against the revenue a run billed (its `ledger`, economics/ledger.py):
    each tenant's net revenue goes to the fleets by its GPU-hours on them (a tenant that used
    none, by their installed GPUs), is annualised over the run's length, and is scaled by the
    plan's GPUs over the run's when the plan sizes the fleet differently (revenue per GPU
    held). Adds `revenue_usd_per_year`, `margin_usd_per_year` (revenue less the annualised
    cost) and `margin_share` to each fleet; InputError if the run lacks a ledger or a fleet."""
    from pathlib import Path

    from orbitgrid.results.store import open_run

    run_dir = Path(run_dir)
    con = open_run(run_dir)
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if "ledger" not in tables or con.execute("SELECT count(*) FROM ledger").fetchone()[0] == 0:
            raise InputError([Problem(str(run_dir), None, "--revenue", "the run billed nothing (no contracts, or no ledger)",
                                      "run a scenario with `contracts`")])
        end_h = float(con.execute("SELECT end_h FROM summary").fetchone()[0])
        revenue = dict(con.execute("SELECT tenant, sum(net_usd) FROM ledger GROUP BY tenant").fetchall())
        used = con.execute(
            "SELECT j.tenant, p.site, sum(a.gpus * (a.end_h - a.start_h)) FROM allocations a "
            "JOIN jobs j USING (job_id) JOIN pools p USING (pool_id) GROUP BY 1, 2").fetchall()
        installed = dict(con.execute("SELECT site, sum(count) FROM pools GROUP BY site").fetchall())
    finally:
        con.close()
    names = [f["name"] for f in result["fleets"]]
    missing = [n for n in names if n not in installed]
    if missing:
        raise InputError([Problem(str(run_dir), None, "--revenue", f"the run has no fleet named {missing[0]!r}",
                                  "give a run of the same scenario")])
    by_fleet = {n: 0.0 for n in installed}
    for tenant, usd in revenue.items():
        mine = {site: float(gh) for t, site, gh in used if t == tenant and gh}
        weights = mine if sum(mine.values()) > 0 else {k: float(v) for k, v in installed.items()}
        total = sum(weights.values())
        for site, w in weights.items():
            by_fleet[site] += float(usd) * w / total
    for f in result["fleets"]:
        scale = float(f["gpus"]) / float(installed[f["name"]])
        per_year = by_fleet[f["name"]] * tco.HOURS_PER_YEAR / end_h * scale
        f["revenue_usd_per_year"] = per_year
        f["revenue_gpu_scale"] = scale
        f["margin_usd_per_year"] = per_year - float(f["annualised_usd_per_year"])
        f["margin_share"] = f["margin_usd_per_year"] / per_year if per_year else None
        f["revenue_from_run"] = str(run_dir)


def print_plan(result: dict, console, title: str) -> None:
    """Rich tables: fleets side by side, sample quantiles, break-even, tornado."""
    from rich.table import Table

    fleets = result["fleets"]
    t = Table(title=f"{title}: cost of each fleet over {fleets[0]['years']:g} years" if fleets else title, pad_edge=False)
    t.add_column("", style="bold")
    for f in fleets:
        t.add_column(f"{f['name']} ({f['kind']})", justify="right")
    rows = [
        ("delivered power, MW", lambda f: _num(f["delivered_power_w"] / 1e6, 1)),
        ("GPUs", lambda f: _num(f["gpus"], 0)),
        ("satellites", lambda f: _num(f["satellites"], 0)),
        ("launches", lambda f: _num(f["launches"], 0)),
        ("mass to orbit, t", lambda f: _num(f["mass_t"], 0)),
    ]
    keys = []
    for f in fleets:
        keys += [k for k in f["capex_breakdown_usd"] if k not in keys]
    rows += [(f"capex: {k}", (lambda k: lambda f: _money(f["capex_breakdown_usd"].get(k)))(k)) for k in keys]
    okeys = []
    for f in fleets:
        okeys += [k for k in f["annual_opex_usd"] if k not in okeys]
    rows += [(f"opex per year: {k}", (lambda k: lambda f: _money(f["annual_opex_usd"].get(k)))(k)) for k in okeys]
    rows += [
        ("satellite rebuilds (PV)", lambda f: _money(f["replacement_pv_usd"])),
        ("capex", lambda f: _money(f["capex_usd"])),
        ("opex (PV)", lambda f: _money(f["opex_usd"])),
        ("total", lambda f: _money(f["total_usd"])),
        ("$/W delivered", lambda f: _num(f["usd_per_w"])),
        ("$/GPU-hour", lambda f: _num(f["usd_per_gpu_hour"], 3)),
        ("$/MWh (IT)", lambda f: _num(f["usd_per_mwh"], 1)),
        ("$/PFLOP-day (BF16 dense)", lambda f: _num(f["usd_per_pflop_day"], 1)),
    ]
    if fleets and "revenue_usd_per_year" in fleets[0]:
        rows += [
            ("cost per year (annualised)", lambda f: _money(f["annualised_usd_per_year"])),
            ("revenue per year (the run's ledger)", lambda f: _money(f["revenue_usd_per_year"])),
            ("margin per year", lambda f: _money(f["margin_usd_per_year"])),
            ("margin, share of revenue", lambda f: "-" if f["margin_share"] is None else f"{100 * f['margin_share']:.1f}%"),
        ]
    for label, fn in rows:
        t.add_row(label, *(fn(f) for f in fleets))
    console.print(t)
    if fleets and "samples" in fleets[0]:
        s = Table(title=f"{fleets[0]['samples']['n']:,} samples (seed {fleets[0]['samples']['seed']}): p5 / p50 / p95 (mean)",
                  pad_edge=False)
        s.add_column("", style="bold")
        for f in fleets:
            s.add_column(f["name"], justify="right")
        for key, label, d in (("usd_per_w", "$/W", 2), ("usd_per_gpu_hour", "$/GPU-hour", 3),
                              ("usd_per_mwh", "$/MWh", 1), ("usd_per_pflop_day", "$/PFLOP-day", 1),
                              ("total_usd", "total, $B", 2)):
            cells = []
            for f in fleets:
                q = f["samples"][key]
                scale = 1e9 if key == "total_usd" else 1.0
                cells.append(" / ".join(_num(q[p] / scale, d) for p in ("p5", "p50", "p95")) + f" ({_num(q['mean'] / scale, d)})")
            s.add_row(label, *cells)
        console.print(s)
    for be in result["break_even"]:
        b = Table(title=f"break-even: {be['orbital']} at {be['reference']}'s ${be['reference_usd_per_w']:.2f}/W "
                        f"(now ${be['orbital_usd_per_w']:.2f}/W)", pad_edge=False)
        b.add_column("input", style="bold")
        b.add_column("value at parity", justify="right")
        b.add_column("range searched", justify="right")
        for name in BREAK_EVEN_RANGES:
            if name in be:
                lo, hi = be[f"{name}_range"]
                b.add_row(name, _num(be[name], 4 if name == "gpu_failure_per_year" else 2), f"{lo:g} – {hi:g}")
        console.print(b)
    if result["sensitivity"]:
        s = Table(title="tornado: inputs that move orbital $/W most (low / high: distribution bounds, else ±25%)",
                  pad_edge=False)
        for col in ("fleet", "input", "low", "high", "$/W at low", "$/W at high", "swing"):
            s.add_column(col, justify="left" if col in ("fleet", "input") else "right")
        for r in result["sensitivity"]:
            s.add_row(r["fleet"], r["input"], f"{r['low']:.4g}", f"{r['high']:.4g}", _num(r["usd_per_w_low"]),
                      _num(r["usd_per_w_high"]), _num(r["swing_usd_per_w"]))
        console.print(s)
    for f in fleets:
        g = f.get("growth")
        if not g:
            continue
        t = Table(title=f"build-out of {f['name']} at {g['kw_per_tonne']:.2f} kW/t delivered, "
                        f"satellites retired after {f['design_life_years']:g} years", pad_edge=False)
        for col in ("year", "launches", "t to orbit", "$/kg", "launch spend", "GW added", "GW retired", "GW installed"):
            t.add_column(col, justify="right")
        for k, year in enumerate(g["year"]):
            t.add_row(str(year), _num(g["launches"][k], 0), _num(g["mass_t"][k], 0), _num(g["price_usd_per_kg"][k], 0),
                      _money(g["launch_spend_usd"][k]), f"{g['added_gw'][k]:.3f}", f"{g['retired_gw'][k]:.3f}",
                      f"{g['installed_gw'][k]:.3f}")
        console.print(t)
