"""Usable GPUs of compute satellites over time, from sunlight, batteries and radiators.

For every satellite and physics tick: the array's output in the sun (conical shadow, the
sun's distance, yearly degradation), the battery's state, and the radiator's limit decide
how many of the satellite's GPUs may run. The load assumed is the worst case: every
usable GPU busy at its full draw, so capacity never depends on what the scheduler does
and the table can be computed before a run, vectorised over satellites.

Eclipse policies (`eclipse_policy`):
  ride_through  the battery carries the GPUs through the shadow as far as its energy,
                depth of discharge and discharge rate allow;
  power_off     the GPUs run only on the array's own output; the battery keeps the bus.
(Throttling GPUs to a lower speed needs per-gang speed changes in the engine: not yet.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from orbitgrid.physics import orbits, sun
from orbitgrid.physics.solar_power import Battery, array_power_w, battery_step
from orbitgrid.physics.sun import raan_for_ltan_rad
from orbitgrid.scenario import Scenario, ShellInput
from orbitgrid.physics.thermal import absorbed_w_m2, rejectable_heat_w, view_factor_nadir_plate

EclipsePolicy = Literal["ride_through", "power_off"]


@dataclass(frozen=True)
class SatelliteDesign:
    """One compute satellite: its GPUs, power system and radiator."""

    gpus: int
    gpu_power_w: float  # electrical draw of one busy GPU with its host share
    bus_power_w: float  # everything that is not GPUs: avionics, links, attitude control
    array_area_m2: float
    cell_efficiency: float
    array_degradation_per_year: float
    battery: Battery
    radiator_area_m2: float
    radiator_sides: int
    emissivity: float
    absorptivity: float
    max_radiator_temperature_k: float


@dataclass(frozen=True)
class CapacitySeries:
    """(n_sat, n_ticks) arrays: usable GPUs, battery state of charge, GPUs lost for want
    of power (eclipse, or an array too small) and GPUs powered but too hot to run."""

    usable: np.ndarray
    soc_wh: np.ndarray
    lost_eclipse: np.ndarray
    lost_thermal: np.ndarray
    illumination: np.ndarray


def satellite_capacity(
    design: SatelliteDesign,
    a_km: np.ndarray,
    inc_rad: np.ndarray,
    raan0_rad: np.ndarray,
    u0_rad: np.ndarray,
    jd0: float,
    t_s: np.ndarray,
    age_years: float = 0.0,
    eclipse_policy: EclipsePolicy = "ride_through",
    initial_soc: float = 1.0,
    initial_soc_wh: np.ndarray | None = None,
    step_s: float | None = None,
) -> CapacitySeries:
    """Usable GPUs per satellite at each tick `t_s` (seconds after `jd0`)."""
    if eclipse_policy not in ("ride_through", "power_off"):
        raise ValueError(f"unknown eclipse policy {eclipse_policy!r}")
    t = np.asarray(t_s, dtype=np.float64)
    a_km = np.atleast_1d(np.asarray(a_km, dtype=np.float64))
    jd = jd0 + t / 86400.0
    r = orbits.propagate_circular_eci_km(a_km, inc_rad, raan0_rad, u0_rad, t, dtype=np.float64)  # (S, T, 3)
    r_sun = sun.sun_position_eci_km(jd)  # (T, 3)
    illum = sun.illumination_conical(r, r_sun[None, :, :])  # (S, T)
    irradiance = sun.solar_irradiance_w_m2(jd)[None, :]
    supply_w = array_power_w(
        design.array_area_m2, design.cell_efficiency, irradiance,
        illumination=illum, degradation_per_year=design.array_degradation_per_year,
        age_years=age_years + t[None, :] / (365.25 * 86400.0),
    )
    # radiator: edge-on to the sun (no direct term), facing Earth: albedo in sunlight, IR always
    altitude_km = np.asarray(a_km, dtype=float) - orbits.R_EARTH_KM
    f_e = view_factor_nadir_plate(altitude_km)[:, None]
    absorbed = absorbed_w_m2(design.absorptivity, design.emissivity, irradiance,
                             0.0, f_e, albedo_factor=illum)
    reject_w = rejectable_heat_w(design.max_radiator_temperature_k, design.radiator_area_m2, design.emissivity,
                                 absorbed, sides=design.radiator_sides)
    # all electrical power ends as heat the radiator must shed
    thermal_cap = np.clip(np.floor((reject_w - design.bus_power_w) / design.gpu_power_w), 0, design.gpus)

    n_sat, n_t = illum.shape
    usable = np.zeros((n_sat, n_t), dtype=np.int64)
    soc = np.zeros((n_sat, n_t))
    powered = np.zeros((n_sat, n_t), dtype=np.int64)
    state = (np.full(n_sat, design.battery.capacity_wh * initial_soc) if initial_soc_wh is None
             else np.asarray(initial_soc_wh, dtype=float).copy())
    if step_s is not None:
        dt = np.full(t.size, float(step_s))
    else:  # each tick lasts until the next; the last as long as the one before
        dt = np.diff(t, append=t[-1] + (t[-1] - t[-2] if t.size > 1 else 60.0))
    bat = design.battery
    for k in range(n_t):  # the battery carries state from tick to tick; satellites are vectorised
        h = dt[k] / 3600.0
        from_battery_w = np.minimum(bat.max_discharge_w, np.maximum(state - bat.floor_wh, 0.0) * bat.discharge_efficiency / h)
        if eclipse_policy == "ride_through":
            power_w = supply_w[:, k] + from_battery_w
        else:  # GPUs live on the array's surplus alone; the battery keeps only the bus
            power_w = supply_w[:, k]
        power_cap = np.clip(np.floor((power_w - design.bus_power_w) / design.gpu_power_w), 0, design.gpus)
        g = np.minimum(power_cap, thermal_cap[:, k]).astype(np.int64)
        step = battery_step(bat, state, supply_w[:, k], design.bus_power_w + g * design.gpu_power_w, dt[k])
        state = step.soc_wh
        usable[:, k] = g
        soc[:, k] = state
        powered[:, k] = power_cap
    # GPUs the power system could not run, and those it could but the radiator could not cool
    return CapacitySeries(usable, soc, design.gpus - powered, powered - usable, illum)


CHUNK_TICKS = 256  # ticks per chunk: positions for n_sat x 256 x 3 stay small


def constellation_capacity(
    design: SatelliteDesign, a_km, inc_rad, raan0_rad, u0_rad, group: np.ndarray, n_groups: int,
    jd0: float, t_s: np.ndarray, step_s: float, eclipse_policy: EclipsePolicy,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Usable, lost-to-power and lost-to-heat GPUs summed per group of satellites (a
    plane, or the whole constellation), each (n_ticks, n_groups), and the lowest battery
    state of charge of any satellite as a share of capacity; chunked over time so memory
    stays flat, the battery carried from chunk to chunk."""
    n_t = t_s.size
    usable = np.zeros((n_t, n_groups), dtype=np.int64)
    lost_power = np.zeros((n_t, n_groups), dtype=np.int64)
    lost_heat = np.zeros((n_t, n_groups), dtype=np.int64)
    soc = None
    min_soc = 1.0
    for lo in range(0, n_t, CHUNK_TICKS):
        t = t_s[lo : lo + CHUNK_TICKS]
        c = satellite_capacity(design, a_km, inc_rad, raan0_rad, u0_rad, jd0, t,
                               eclipse_policy=eclipse_policy, initial_soc_wh=soc, step_s=step_s)
        soc = c.soc_wh[:, -1]
        min_soc = min(min_soc, float(c.soc_wh.min()) / design.battery.capacity_wh)
        for out, series in ((usable, c.usable), (lost_power, c.lost_eclipse), (lost_heat, c.lost_thermal)):
            block = np.zeros((n_groups, t.size), dtype=np.int64)
            np.add.at(block, group, series)
            out[lo : lo + t.size] = block.T
    return usable, lost_power, lost_heat, min_soc


def build_orbital_pools(scenario: Scenario, table, ref_tflops: float, first_pool: int) -> dict:
    """Pools of every constellation and their capacity table on the tick grid."""
    from orbitgrid.catalog.constellations import load_constellation_presets

    sim = scenario.simulation
    times_s = np.arange(0.0, sim.duration_h * 3600.0, sim.tick_s)
    jd0 = float(orbits.julian_date(np.datetime64(sim.start, "s")))
    out = {"pools": [], "pool_ids": [], "times_s": times_s, "battery_min_soc": None}
    usable, lost_power, lost_heat = [], [], []
    next_pool = first_pool
    for con in scenario.constellations:
        sat = con.satellite
        acc = table[sat.gpu]
        gpu_w = sat.gpu_power_w if sat.gpu_power_w is not None else acc.busy_power_w
        design = SatelliteDesign(
            gpus=sat.gpus, gpu_power_w=gpu_w, bus_power_w=sat.bus_power_w, array_area_m2=sat.array_area_m2,
            cell_efficiency=sat.cell_efficiency, array_degradation_per_year=sat.array_degradation_per_year,
            battery=Battery(sat.battery_wh, sat.depth_of_discharge, sat.charge_efficiency,
                            sat.discharge_efficiency, sat.max_charge_w, sat.max_discharge_w),
            radiator_area_m2=sat.radiator_area_m2, radiator_sides=sat.radiator_sides, emissivity=sat.emissivity,
            absorptivity=sat.absorptivity, max_radiator_temperature_k=sat.max_radiator_temperature_k,
        )
        if con.shell is not None:
            shells = [con.shell]
        else:
            shells = [
                ShellInput(altitude_km=p.altitude_km, inclination_deg=p.inclination_deg, planes=p.planes,
                           sats_per_plane=p.sats_per_plane, phasing=p.phasing)
                for p in load_constellation_presets()[con.preset].shells
            ]
        pools = []
        for k, sh in enumerate(shells):
            inc = float(orbits.sso_inclination_deg(sh.altitude_km)) if sh.sso else sh.inclination_deg
            raan0 = np.degrees(raan_for_ltan_rad(jd0, sh.ltan_h)) if sh.sso else sh.raan0_deg
            w = orbits.walker_shell(sh.planes, sh.sats_per_plane, sh.phasing, inc, sh.altitude_km, raan0)
            if con.pool_per == "plane":
                group, n_groups = w.plane, sh.planes
                labels = [f"{con.name}/s{k}p{p}" for p in range(n_groups)]
                counts = [sh.sats_per_plane * sat.gpus] * n_groups
            else:
                group, n_groups = np.zeros(w.n_sat, dtype=np.int64), 1
                labels, counts = [f"{con.name}/s{k}"], [w.n_sat * sat.gpus]
            u, lp, lh, min_soc = constellation_capacity(
                design, w.a_km, w.inclination_rad, w.raan0_rad, w.u0_rad, np.asarray(group), n_groups,
                jd0, times_s, sim.tick_s, con.eclipse_policy,
            )
            usable.append(u)
            lost_power.append(lp)
            lost_heat.append(lh)
            out["battery_min_soc"] = min_soc if out["battery_min_soc"] is None else min(out["battery_min_soc"], min_soc)
            for label, count in zip(labels, counts):
                pools.append((label, sat.gpu, count, acc.bf16_tflops.value / ref_tflops, gpu_w))
                out["pool_ids"].append(next_pool)
                next_pool += 1
        out["pools"].append((con.name, pools))
    empty = np.zeros((times_s.size, 0), dtype=np.int64)
    out["usable"] = np.concatenate(usable, axis=1) if usable else empty
    out["lost_power"] = np.concatenate(lost_power, axis=1) if lost_power else empty
    out["lost_heat"] = np.concatenate(lost_heat, axis=1) if lost_heat else empty
    return out
