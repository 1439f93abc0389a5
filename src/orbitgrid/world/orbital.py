"""Usable GPUs of compute satellites over time, from sunlight, batteries, radiators and faults.

For every satellite and physics tick: the array's output in the sun (conical shadow, the
sun's distance, yearly degradation), the battery's state, the radiator's limit (steady,
or a lumped transient when the satellite has a thermal mass) and the GPUs still alive
(world/lifecycle.py: failures, satellite losses, deorbits, replacements) decide how many
of the satellite's GPUs may run, and at what speed. The load assumed is the worst case:
every usable GPU busy at its full draw, so capacity never depends on what the scheduler
does and the table can be computed before a run, vectorised over satellites.

Array pointing (`array_tracking`), from the beta angle β (the sun's elevation above the
orbit plane, sin β = ĥ·ŝ): `two_axis` faces the sun (cos θ = 1); `single_axis` turns
about the orbit normal, as the ISS's and Starlink's arrays do (cos θ = cos β); `orbit_normal`
is fixed facing along the orbit normal, the natural choice in a dawn-dusk orbit
(cos θ = |sin β|).

Eclipse policies (`eclipse_policy`):
  ride_through  the battery carries the GPUs through the shadow as far as its energy,
                depth of discharge and discharge rate allow;
  throttle      while the array alone cannot run every GPU, each GPU is power-capped to
                `power_fraction` of its draw and runs at power_fraction ** speed_exponent
                of its speed (the rest from the battery); a pool runs at its slowest
                satellite's speed, as a gang spread over it would;
  power_off     the GPUs run only on the array's own output; the battery keeps the bus.

Heat (`thermal_policy`): when the radiator cannot shed the heat of every GPU the power
system can run, `throttle` (the default) caps each GPU's power so their heat fits, no
deeper than `throttle.power_fraction` (speed power_fraction ** speed_exponent, as in
the eclipse), idling GPUs only beyond that; `idle` runs as many GPUs at full power as
the radiator can cool and idles the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from orbitgrid.physics import orbits, sun
from orbitgrid.physics.solar_power import Battery, array_power_w, battery_step
from orbitgrid.physics.thermal import (
    absorbed_w_m2,
    equilibrium_temperature_k,
    lumped_heat_limit_w,
    lumped_step_k,
    rejectable_heat_w,
    view_factor_nadir_plate,
)
from orbitgrid.scenario import Scenario
from orbitgrid.world.satellites import SatelliteSet, satellite_sets

EclipsePolicy = Literal["ride_through", "throttle", "power_off"]
SECONDS_PER_YEAR = 365.25 * 86400.0


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
    radiator_heat_capacity_j_k: float | None = None  # None: the radiator is always in steady state
    throttle_power_fraction: float = 0.5  # the deepest power cap, for the eclipse or for heat
    throttle_speed_exponent: float = 0.75
    thermal_policy: Literal["throttle", "idle"] = "throttle"  # too hot: cap every GPU's power, or idle some
    array_tracking: Literal["two_axis", "single_axis", "orbit_normal"] = "two_axis"
    array_temperature_c: float = 28.0  # operating cell temperature
    array_temperature_coefficient_per_k: float = 0.0  # relative output change per K above 28 °C

    @property
    def throttle_speed(self) -> float:
        return self.throttle_power_fraction**self.throttle_speed_exponent


@dataclass(frozen=True)
class CapacitySeries:
    """(n_sat, n_ticks) arrays: usable GPUs, battery state of charge, GPUs lost for want
    of power (eclipse, or an array too small), GPUs powered but too hot to run, GPUs dead
    (faults, or no satellite in the slot), the sunlit share, the speed the GPUs run at,
    and the radiator temperature (NaN in steady-state mode)."""

    usable: np.ndarray
    soc_wh: np.ndarray
    lost_eclipse: np.ndarray
    lost_thermal: np.ndarray
    illumination: np.ndarray
    lost_faults: np.ndarray | None = None
    speed: np.ndarray | None = None
    temperature_k: np.ndarray | None = None


@dataclass
class CapacityState:
    """What carries from one chunk of ticks to the next: battery energy and radiator temperature."""

    soc_wh: np.ndarray
    temperature_k: np.ndarray | None


def capacity_from_positions(
    design: SatelliteDesign,
    r_eci_km: np.ndarray,
    jd: np.ndarray,
    dt_s: np.ndarray,
    altitude_km: np.ndarray,
    age_years: np.ndarray | float = 0.0,
    eclipse_policy: EclipsePolicy = "ride_through",
    state: CapacityState | None = None,
    alive: np.ndarray | None = None,
    orbit_normal: np.ndarray | None = None,
) -> tuple[CapacitySeries, CapacityState]:
    """Usable GPUs of satellites at ECI positions `r_eci_km` (S, T, 3) at Julian dates `jd`
    (T,), each tick lasting `dt_s` (T,); `alive` (S, T) GPUs not failed (default: all),
    zero where a satellite has no valid position; `orbit_normal` (S, T, 3) unit vectors,
    needed unless the array tracks the sun on two axes. Returns the series and the state
    to carry into the next chunk."""
    if eclipse_policy not in ("ride_through", "throttle", "power_off"):
        raise ValueError(f"unknown eclipse policy {eclipse_policy!r}")
    n_sat, n_t = r_eci_km.shape[:2]
    valid = np.isfinite(r_eci_km).all(axis=-1)
    r = np.where(valid[..., None], r_eci_km, 1.0e5)  # a far point: lit, and harmless
    r_sun = sun.sun_position_eci_km(jd)  # (T, 3)
    illum = np.where(valid, sun.illumination_conical(r, r_sun[None, :, :]), 0.0)
    irradiance = sun.solar_irradiance_w_m2(jd)[None, :]
    t_years = (jd - jd[0]) * 86400.0 / SECONDS_PER_YEAR
    supply_w = array_power_w(
        design.array_area_m2, design.cell_efficiency, irradiance,
        cos_incidence=array_cos_incidence(design.array_tracking, orbit_normal, r_sun),
        illumination=illum, cell_temperature_c=design.array_temperature_c,
        temperature_coefficient_per_k=design.array_temperature_coefficient_per_k,
        degradation_per_year=design.array_degradation_per_year,
        age_years=np.asarray(age_years, dtype=float).reshape(-1, 1) + t_years[None, :],
    )
    # radiator: edge-on to the sun (no direct term), facing Earth: albedo in sunlight, IR always
    f_e = view_factor_nadir_plate(np.asarray(altitude_km, dtype=float))[:, None]
    absorbed = absorbed_w_m2(design.absorptivity, design.emissivity, irradiance, 0.0, f_e, albedo_factor=illum)
    d = design
    sides, area, eps, t_max = d.radiator_sides, d.radiator_area_m2, d.emissivity, d.max_radiator_temperature_k
    transient = d.radiator_heat_capacity_j_k is not None
    if not transient:  # all electrical power ends as heat the radiator must shed
        reject_w = rejectable_heat_w(t_max, area, eps, absorbed, sides=sides)

    alive_gpus = np.full((n_sat, n_t), d.gpus, dtype=np.int64) if alive is None else np.asarray(alive, dtype=np.int64)
    alive_gpus = np.where(valid, alive_gpus, 0)
    bat = d.battery
    if state is None:
        temp0 = None
        if transient:  # start at the steady temperature of the full load, at most the limit
            full_w = d.bus_power_w + d.gpus * d.gpu_power_w
            temp0 = np.minimum(equilibrium_temperature_k(full_w, area, eps, absorbed[:, 0], sides=sides), t_max)
        state = CapacityState(np.full(n_sat, bat.capacity_wh), temp0)
    soc_now = np.asarray(state.soc_wh, dtype=float).copy()
    temp_now = None if state.temperature_k is None else np.asarray(state.temperature_k, dtype=float).copy()

    usable = np.zeros((n_sat, n_t), dtype=np.int64)
    soc = np.zeros((n_sat, n_t))
    powered = np.zeros((n_sat, n_t), dtype=np.int64)
    speed = np.ones((n_sat, n_t))
    temps = np.full((n_sat, n_t), np.nan)
    for k in range(n_t):  # battery and radiator carry state from tick to tick; satellites are vectorised
        h = dt_s[k] / 3600.0
        sun_w = supply_w[:, k]
        from_battery_w = np.minimum(bat.max_discharge_w, np.maximum(soc_now - bat.floor_wh, 0.0) * bat.discharge_efficiency / h)
        per_gpu_w = np.full(n_sat, d.gpu_power_w)
        throttled = np.zeros(n_sat, dtype=bool)
        if eclipse_policy == "ride_through":
            power_w = sun_w + from_battery_w
        elif eclipse_policy == "power_off":  # GPUs live on the array's surplus alone; the battery keeps only the bus
            power_w = sun_w
        else:  # throttle: capped GPUs on array and battery while the array alone falls short
            throttled = np.floor((sun_w - d.bus_power_w) / d.gpu_power_w) < alive_gpus[:, k]
            per_gpu_w = np.where(throttled, d.throttle_power_fraction * d.gpu_power_w, d.gpu_power_w)
            power_w = np.where(throttled, sun_w + from_battery_w, sun_w)
        power_cap = np.clip(np.floor((power_w - d.bus_power_w) / per_gpu_w), 0, d.gpus).astype(np.int64)
        if transient:
            heat_limit_w = lumped_heat_limit_w(temp_now, t_max, dt_s[k], d.radiator_heat_capacity_j_k, area, eps,
                                               absorbed[:, k], sides)
        else:
            heat_limit_w = reject_w[:, k]
        alive_k = alive_gpus[:, k]
        running = np.minimum(power_cap, alive_k)
        if d.thermal_policy == "throttle":  # cap the GPUs' power so their heat fits, down to the deepest cap
            with np.errstate(divide="ignore", invalid="ignore"):
                fits_w = (heat_limit_w - d.bus_power_w) / running
            per_gpu_w = np.where(running > 0, np.clip(fits_w, d.throttle_power_fraction * d.gpu_power_w, per_gpu_w), per_gpu_w)
        thermal_cap = np.clip(np.floor((heat_limit_w - d.bus_power_w) / per_gpu_w), 0, d.gpus).astype(np.int64)
        g = np.minimum(running, thermal_cap)
        load_w = d.bus_power_w + g * per_gpu_w
        step = battery_step(bat, soc_now, sun_w, load_w, dt_s[k])
        soc_now = step.soc_wh
        if transient:
            temp_now = lumped_step_k(temp_now, load_w, dt_s[k], d.radiator_heat_capacity_j_k, area, eps, absorbed[:, k], sides)
            temps[:, k] = temp_now
        usable[:, k] = g
        soc[:, k] = soc_now
        powered[:, k] = np.minimum(power_cap, alive_k)
        speed[:, k] = np.where(g > 0, (per_gpu_w / d.gpu_power_w) ** d.throttle_speed_exponent, 1.0)
    # GPUs dead; alive but unpowered; powered but too hot to run
    series = CapacitySeries(usable, soc, alive_gpus - powered, powered - usable, illum,
                            d.gpus - alive_gpus, speed, temps)
    return series, CapacityState(soc_now, temp_now)


def array_cos_incidence(tracking: str, orbit_normal: np.ndarray | None, r_sun_eci_km: np.ndarray) -> np.ndarray | float:
    """Cosine of the sun's incidence on the array, (S, T) or 1, from the beta angle."""
    if tracking == "two_axis":
        return 1.0
    if orbit_normal is None:
        raise ValueError(f"array_tracking {tracking!r} needs the orbit normals")
    s_hat = r_sun_eci_km / np.linalg.norm(r_sun_eci_km, axis=-1, keepdims=True)
    sin_beta = np.clip(np.sum(orbit_normal * s_hat[None, :, :], axis=-1), -1.0, 1.0)
    if tracking == "single_axis":
        return np.sqrt(1.0 - sin_beta**2)
    if tracking == "orbit_normal":
        return np.abs(sin_beta)
    raise ValueError(f"unknown array_tracking {tracking!r}")


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
    step_s: float | None = None,
) -> CapacitySeries:
    """Usable GPUs per satellite of circular orbits at each tick `t_s` (seconds after `jd0`)."""
    t = np.asarray(t_s, dtype=np.float64)
    a_km = np.atleast_1d(np.asarray(a_km, dtype=np.float64))
    r = orbits.propagate_circular_eci_km(a_km, inc_rad, raan0_rad, u0_rad, t, dtype=np.float64)
    raan, _ = orbits.secular_angles_rad(a_km, inc_rad, raan0_rad, u0_rad, t)
    normal = orbits.orbit_normal_eci(np.broadcast_to(np.asarray(inc_rad, dtype=float), a_km.shape)[:, None], raan)
    state = CapacityState(np.full(r.shape[0], design.battery.capacity_wh * initial_soc), None)
    if design.radiator_heat_capacity_j_k is not None:
        state = None
    series, _ = capacity_from_positions(design, r, jd0 + t / 86400.0, _tick_lengths(t, step_s),
                                        a_km - orbits.R_EARTH_KM, age_years, eclipse_policy, state,
                                        orbit_normal=normal)
    return series


def _tick_lengths(t: np.ndarray, step_s: float | None) -> np.ndarray:
    """Each tick lasts until the next; the last as long as the one before (or `step_s`)."""
    if step_s is not None:
        return np.full(t.size, float(step_s))
    return np.diff(t, append=t[-1] + (t[-1] - t[-2] if t.size > 1 else 60.0))


CHUNK_TICKS = 256  # ticks per chunk at most
CHUNK_ELEMENTS = 1 << 20  # satellites x ticks per chunk at most: each (S, T) temporary stays at 8 MB


@dataclass(frozen=True)
class GroupSeries:
    """Per tick and pool of one satellite set (n_ticks, n_groups): usable GPUs, GPUs lost
    to power, heat, faults and end of life, and the speed factor; the lowest battery state of charge
    seen (share of capacity), the mean and lowest state of charge over the set's satellites
    at each tick (n_ticks,) and the fault hits (time s, group, GPUs)."""

    usable: np.ndarray
    lost_power: np.ndarray
    lost_heat: np.ndarray
    lost_faults: np.ndarray
    lost_end_of_life: np.ndarray
    speed: np.ndarray
    min_soc: float
    soc_mean: np.ndarray
    soc_min: np.ndarray
    hit_time_s: np.ndarray
    hit_group: np.ndarray
    hit_gpus: np.ndarray
    counts: dict[str, int]


def constellation_capacity(
    design: SatelliteDesign, sats: SatelliteSet, jd0: float, t_s: np.ndarray, step_s: float,
    eclipse_policy: EclipsePolicy, lives=None, seu=None,
) -> GroupSeries:
    """Capacity of every pool of a satellite set on the tick grid, chunked over time so
    memory stays flat, battery and radiator carried from chunk to chunk. `lives`
    (world/lifecycle.py `Lives`) gives the GPUs alive per satellite and the permanent
    fault hits; `seu` (`SeuSampler`) draws the upsets along the way."""
    n_t, n_groups, group = t_s.size, sats.n_groups, sats.group
    out = {k: np.zeros((n_t, n_groups), dtype=np.int64)
           for k in ("usable", "lost_power", "lost_heat", "lost_faults", "lost_end_of_life")}
    speed_out = np.ones((n_t, n_groups))
    soc_mean, soc_min = np.ones(n_t), np.ones(n_t)
    state = None
    min_soc = 1.0
    hits_t, hits_s, hits_n = [], [], []
    chunk = int(np.clip(CHUNK_ELEMENTS // max(sats.n_sat, 1), 8, CHUNK_TICKS))
    for lo in range(0, n_t, chunk):
        t = t_s[lo : lo + chunk]
        jd = jd0 + t / 86400.0
        r, ok = sats.positions(jd0, t)
        r = np.where(ok[..., None], r, np.nan)
        alive = None if lives is None else lives.alive(lo, t.size)
        age = 0.0 if lives is None else lives.age_years_at(t[0])
        normal = sats.normals(jd0, t) if design.array_tracking != "two_axis" else None
        c, state = capacity_from_positions(design, r, jd, np.full(t.size, float(step_s)), sats.altitude_km, age,
                                           eclipse_policy, state, alive, normal)
        min_soc = min(min_soc, float(c.soc_wh.min()) / design.battery.capacity_wh)
        share = c.soc_wh / design.battery.capacity_wh  # (satellites, ticks)
        soc_mean[lo : lo + t.size] = share.mean(axis=0)
        soc_min[lo : lo + t.size] = share.min(axis=0)
        eol = lives.down_end_of_life(lo, t.size) if lives is not None else np.zeros_like(c.usable)
        for key, series in (("usable", c.usable), ("lost_power", c.lost_eclipse), ("lost_heat", c.lost_thermal),
                            ("lost_faults", c.lost_faults - eol), ("lost_end_of_life", eol)):
            block = np.zeros((n_groups, t.size), dtype=np.int64)
            np.add.at(block, group, series)
            out[key][lo : lo + t.size] = block.T
        # a gang spread over a pool runs at its slowest working satellite's speed
        block = np.ones((n_groups, t.size))
        np.minimum.at(block, group, np.where(c.usable > 0, c.speed, 1.0))
        speed_out[lo : lo + t.size] = block.T
        if seu is not None:
            ht, hs, hn = seu.sample(r, jd, t, step_s, np.where(ok, alive if alive is not None else design.gpus, 0))
            hits_t.append(ht)
            hits_s.append(hs)
            hits_n.append(hn)
    counts: dict[str, int] = {}
    if seu is not None:  # upsets, each GPU hit counted (several in one tick are one hit of several GPUs)
        counts["upsets"] = int(sum(int(x.sum()) for x in hits_n))
    if lives is not None:
        hits_t.append(lives.hit_time_s)
        hits_s.append(lives.hit_sat)
        hits_n.append(lives.hit_gpus)
        counts.update(lives.counts)
    ht = np.concatenate(hits_t) if hits_t else np.zeros(0)
    hs = np.concatenate(hits_s).astype(np.int64) if hits_s else np.zeros(0, dtype=np.int64)
    hn = np.concatenate(hits_n).astype(np.int64) if hits_n else np.zeros(0, dtype=np.int64)
    return GroupSeries(out["usable"], out["lost_power"], out["lost_heat"], out["lost_faults"], out["lost_end_of_life"],
                       speed_out, min_soc, soc_mean, soc_min,
                       ht, group[hs] if hs.size else hs, hn, counts)


def design_for(con, acc) -> SatelliteDesign:
    """The physics view of a scenario's satellite."""
    sat = con.satellite
    return SatelliteDesign(
        gpus=sat.gpus, gpu_power_w=sat.gpu_power_w if sat.gpu_power_w is not None else acc.busy_power_w,
        bus_power_w=sat.bus_power_w, array_area_m2=sat.array_area_m2,
        cell_efficiency=sat.cell_efficiency, array_degradation_per_year=sat.array_degradation_per_year,
        battery=Battery(sat.battery_wh, sat.depth_of_discharge, sat.charge_efficiency,
                        sat.discharge_efficiency, sat.max_charge_w, sat.max_discharge_w),
        radiator_area_m2=sat.radiator_area_m2, radiator_sides=sat.radiator_sides, emissivity=sat.emissivity,
        absorptivity=sat.absorptivity, max_radiator_temperature_k=sat.max_radiator_temperature_k,
        radiator_heat_capacity_j_k=sat.radiator_heat_capacity_j_per_k,
        throttle_power_fraction=con.throttle.power_fraction, throttle_speed_exponent=con.throttle.speed_exponent,
        thermal_policy=con.thermal_policy, array_tracking=sat.array_tracking,
        array_temperature_c=sat.array_temperature_c,
        array_temperature_coefficient_per_k=sat.array_temperature_coefficient_per_k,
    )


def orbital_horizon_s(sim) -> float:
    """The time the orbital tables cover: the run's horizon, or its drain limit beyond it."""
    return (sim.duration_h + (sim.drain_limit_h if sim.drain and sim.drain_limit_h else 0.0)) * 3600.0


def build_orbital_pools(scenario: Scenario, table, ref_tflops: float, first_pool: int, base_dir: Path | None = None,
                        seed: int | None = None) -> dict:
    """Pools of every constellation, their capacity and speed tables on the tick grid, and
    the fault hits, in time order."""
    from orbitgrid.world.lifecycle import SeuSampler, dose_rad_per_year, plan_lives

    sim = scenario.simulation
    seed = sim.seed if seed is None else seed
    # the table covers the run to its last possible moment: the horizon, or the drain limit
    horizon_s = orbital_horizon_s(sim)
    times_s = np.arange(0.0, horizon_s, sim.tick_s)
    jd0 = float(orbits.julian_date(np.datetime64(sim.start, "s")))
    out = {"pools": [], "pool_ids": [], "times_s": times_s, "battery_min_soc": None, "counts": {}, "notes": {},
           "battery": []}
    series: list[GroupSeries] = []
    next_pool = first_pool
    for c_index, con in enumerate(scenario.constellations):
        acc = table[con.satellite.gpu]
        design = design_for(con, acc)
        pools = []
        soc_sum, soc_low, n_sats = np.zeros(times_s.size), np.ones(times_s.size), 0
        for k, sats in enumerate(satellite_sets(con, jd0, base_dir or Path("."))):
            rng = np.random.default_rng([seed, 0x0B17, c_index, k])  # one stream per satellite set
            dose = dose_rad_per_year(con, sats) if con.faults is not None else None  # once for both
            lives = plan_lives(con, sats, times_s, horizon_s, rng, dose)
            seu = SeuSampler(con, sats, rng, horizon_s, jd0, dose) if con.faults is not None else None
            g = constellation_capacity(design, sats, jd0, times_s, sim.tick_s, con.eclipse_policy, lives, seu)
            g_pools = np.arange(next_pool, next_pool + sats.n_groups)
            series.append((g, g_pools))
            out["battery_min_soc"] = g.min_soc if out["battery_min_soc"] is None else min(out["battery_min_soc"], g.min_soc)
            soc_sum += g.soc_mean * sats.n_sat
            soc_low = np.minimum(soc_low, g.soc_min)
            n_sats += sats.n_sat
            for key, v in g.counts.items():
                out["counts"][key] = out["counts"].get(key, 0) + v
            for key, v in sats.notes.items():  # the largest over the scenario's formations
                out["notes"][key] = max(v, out["notes"].get(key, v))
            counts = np.bincount(sats.group, minlength=sats.n_groups) * design.gpus
            pools += [(label, con.satellite.gpu, int(n), acc.bf16_tflops.value / ref_tflops, design.gpu_power_w)
                      for label, n in zip(sats.group_labels, counts)]
            out["pool_ids"].extend(g_pools.tolist())
            next_pool += sats.n_groups
        out["pools"].append((con.name, pools))
        out["battery"].append((con.name, soc_sum / max(n_sats, 1), soc_low))  # over all its satellites
    empty = np.zeros((times_s.size, 0), dtype=np.int64)
    for key in ("usable", "lost_power", "lost_heat", "lost_faults", "lost_end_of_life"):
        out[key] = np.concatenate([getattr(g, key) for g, _ in series], axis=1) if series else empty
    out["speed"] = np.concatenate([g.speed for g, _ in series], axis=1) if series else empty.astype(float)
    ht = np.concatenate([g.hit_time_s for g, _ in series]) if series else np.zeros(0)
    hp = np.concatenate([pools[g.hit_group] for g, pools in series]).astype(np.int64) if series else np.zeros(0, dtype=np.int64)
    hn = np.concatenate([g.hit_gpus for g, _ in series]).astype(np.int64) if series else np.zeros(0, dtype=np.int64)
    order = np.lexsort((hp, ht))
    out["fault_time_s"], out["fault_pool"], out["fault_gpus"] = ht[order], hp[order], hn[order]
    return out
