"""The fleet as the scheduler sees it: GPU pools with a usable capacity that changes over time.

A pool is one kind of accelerator in one place. Whatever limits a fleet (grid caps,
outages; later eclipses, batteries, radiators, radiation) acts only by changing pool
capacity, so the scheduler never needs to know where a pool is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from orbitgrid.physics.power_cap import throughput_at_cap
from orbitgrid.physics.site_power import power_capped_capacity
from orbitgrid.scenario import Scenario
from orbitgrid.workload.jobs import ANY_GPU, JobTable
from orbitgrid.world.orbital import build_orbital_pools

SECONDS_PER_HOUR = 3600.0


@dataclass(frozen=True)
class World:
    """Pools as arrays (index p), sites as arrays (index s), outages as arrays (index k)."""

    pool_names: tuple[str, ...]
    pool_gpu: tuple[str, ...]
    pool_site: np.ndarray  # int64 (P)
    installed: np.ndarray  # int64 (P)
    speed: np.ndarray  # float64 (P), throughput per GPU relative to the reference GPU
    busy_power_w: np.ndarray  # float64 (P)
    idle_power_w: np.ndarray  # float64 (P)
    domain: np.ndarray  # int64 (P), training domain a gang must stay within
    site_names: tuple[str, ...]
    site_lat_deg: np.ndarray
    site_lon_deg: np.ndarray
    site_cap_w: np.ndarray  # float64 (S)
    site_pue: np.ndarray  # float64 (S)
    outage_pool: np.ndarray  # int64 (K)
    outage_start_s: np.ndarray  # float64 (K)
    outage_end_s: np.ndarray  # float64 (K)
    outage_gpus: np.ndarray  # int64 (K)
    reference_gpu: str
    # orbital pools: capacity tabulated on the tick grid before the run (see world/orbital.py)
    orbital_pools: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    orbital_times_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    orbital_usable: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))
    orbital_lost_power: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))
    orbital_lost_heat: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))
    orbital_lost_faults: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))
    orbital_lost_end_of_life: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))
    orbital_counts: dict = field(default_factory=dict)  # GPU failures, satellites lost, deorbits, ...
    orbital_notes: dict = field(default_factory=dict)  # e.g. formation baselines
    # (T, n_orbital) speed multiplier of each orbital pool's GPUs at each tick: below 1 while
    # GPUs are power-capped through an eclipse (eclipse_policy: throttle); 1 otherwise
    orbital_speed_factor: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    battery_min_soc: float | None = None
    # per constellation: (name, mean state of charge (T,), lowest (T,)) over its satellites
    # at each orbital tick, as a share of battery capacity
    orbital_battery: tuple = ()
    # fault hits, sorted by time: at fault_time_s[i], fault_gpus[i] GPUs of pool fault_pool[i]
    # fail at random; the gangs on them lose their work since the last checkpoint
    fault_time_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    fault_pool: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    fault_gpus: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # a gang spanning GPU types runs at its slowest member's speed times (1 - this)
    mixed_gang_penalty: float = 0.0
    # PUE from the outside temperature (sites[].pue_curve): pue_series[h, s] holds from
    # pue_times_s[h] (s from the run start) to the next; empty: every site keeps site_pue
    pue_times_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # the GPU board's share of busy_power_w (its TDP, which a power cap holds; the rest is host)
    board_power_w: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # per pool: a measured (cap share, throughput share) curve from the catalogue, or None
    cap_curves: tuple = ()
    # per pool: the share of full speed a standing power cap (pools[].power_cap) leaves; 1: none
    pool_speed_factor: np.ndarray = field(default_factory=lambda: np.zeros(0))
    pue_series: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))

    @property
    def n_pools(self) -> int:
        return len(self.pool_names)

    @property
    def n_domains(self) -> int:
        return self._n_domains

    def __post_init__(self) -> None:
        if self.board_power_w.size != self.busy_power_w.size:  # none given: the whole busy draw
            object.__setattr__(self, "board_power_w", self.busy_power_w.copy())
        if len(self.cap_curves) != self.busy_power_w.size:
            object.__setattr__(self, "cap_curves", (None,) * self.busy_power_w.size)
        if self.pool_speed_factor.size != self.busy_power_w.size:
            object.__setattr__(self, "pool_speed_factor", np.ones(self.busy_power_w.size))
        object.__setattr__(self, "_n_domains", int(self.domain.max()) + 1 if self.domain.size else 0)
        names = sorted(set(self.pool_gpu))
        object.__setattr__(self, "pool_type", np.array([names.index(g) for g in self.pool_gpu], dtype=np.int64))

    def gang_speed(self, pools: np.ndarray, factor: np.ndarray | None = None,
                   pool_speed: np.ndarray | None = None) -> float:
        """Speed of a gang on `pools`: its slowest member's (times each pool's speed factor),
        less the communication penalty when it spans GPU types. `pool_speed` (P) is the job's
        own speed on each pool (a row of `job_pool_speeds`); default the catalogue's."""
        pools = np.asarray(pools, dtype=np.int64)
        base = self.speed if pool_speed is None else pool_speed
        speed = base[pools] if factor is None else base[pools] * factor[pools]
        slowest = float(speed.min())
        if self.mixed_gang_penalty and pools.size > 1 and np.unique(self.pool_type[pools]).size > 1:
            return slowest * (1.0 - self.mixed_gang_penalty)
        return slowest

    def job_pool_speeds(self, jobs: JobTable) -> np.ndarray:
        """(1 + C, P): row 0 the catalogue speed of each pool's GPUs (`speed`), row 1 + c a
        job of speed class c's speed on each pool: its class's measured figure for the pool's
        GPU type where there is one, else the catalogue's. Index with `speed_class + 1`."""
        rows = np.tile(self.speed, (1 + jobs.n_speed_classes, 1))
        if jobs.n_speed_classes:
            for g, name in enumerate(jobs.class_gpus):
                on = np.flatnonzero(np.asarray(self.pool_gpu) == name)
                if on.size:
                    measured = jobs.class_speed[:, g]
                    rows[1:, on] = np.where(np.isnan(measured)[:, None], rows[1:, on], measured[:, None])
        return rows

    @property
    def pool_pue(self) -> np.ndarray:
        return self.site_pue[self.pool_site]

    def site_pue_at(self, t_s: np.ndarray | float) -> np.ndarray:
        """Each site's PUE at time t (S), or at each of an array of times (T, S)."""
        t = np.asarray(t_s, dtype=np.float64)
        if self.pue_times_s.size == 0:
            return np.broadcast_to(self.site_pue, t.shape + self.site_pue.shape).copy()
        k = np.clip(np.searchsorted(self.pue_times_s, t, side="right") - 1, 0, self.pue_times_s.size - 1)
        return self.pue_series[k]

    def in_service_at(self, t_s: float) -> np.ndarray:
        """Installed GPUs less those in an outage at time t."""
        active = (self.outage_start_s <= t_s) & (t_s < self.outage_end_s)
        down = np.bincount(self.outage_pool[active], weights=self.outage_gpus[active], minlength=self.n_pools)
        return np.maximum(self.installed - down.astype(np.int64), 0)

    def capacity_at(self, t_s: float, pue_site: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(in-service GPUs, GPUs that may be busy) per pool at time t, for all pools at once.
        `pue_site`: each site's PUE at t where the caller has it already (site_pue_at)."""
        in_service = self.in_service_at(t_s)
        pue = self.site_pue_at(t_s) if pue_site is None else pue_site
        usable = power_capped_capacity(
            in_service, self.busy_power_w, self.idle_power_w, self.pool_site, self.site_cap_w, pue
        )
        if self.orbital_pools.size:
            k = int(np.clip(np.searchsorted(self.orbital_times_s, t_s, side="right") - 1, 0, self.orbital_times_s.size - 1))
            orb = self.orbital_pools
            if self.orbital_lost_faults.size:  # dead GPUs and empty slots are out of service
                in_service[orb] = np.maximum(
                    in_service[orb] - self.orbital_lost_faults[k] - self.orbital_lost_end_of_life[k], 0)
            usable[orb] = np.minimum(self.orbital_usable[k], in_service[orb])
        return in_service, usable

    def max_usable(self) -> np.ndarray:
        """Per pool: the most GPUs it can ever offer at once (every GPU in service; for an
        orbital pool, its best tick): bounds the largest gang a pool can run."""
        _, usable = self.capacity_at(-np.inf)
        if self.orbital_pools.size and self.orbital_usable.size:
            usable[self.orbital_pools] = self.orbital_usable.max(axis=0)
        return usable

    def throughput_at_cap(self, pools: np.ndarray, cap_fraction: float, exponent: float = 3.0) -> np.ndarray:
        """Per pool of `pools`: the share of full speed a board cap of `cap_fraction` x its
        board power leaves: the accelerator's measured curve where the catalogue has one,
        else physics/power_cap.py's model."""
        board = self.board_power_w[pools]
        share = throughput_at_cap(cap_fraction, np.minimum(self.idle_power_w[pools], board), board, exponent)
        for i, p in enumerate(np.asarray(pools).tolist()):
            curve = self.cap_curves[p]
            if curve is not None:
                caps, shares = curve
                share[i] = 1.0 if cap_fraction >= 1.0 else float(np.interp(cap_fraction, caps, shares))
        return share

    def speed_factor_at(self, t_s: float) -> np.ndarray:
        """Per pool: the share of full speed its GPUs run at, at time t (1 unless throttled
        or standing under a power cap)."""
        factor = self.pool_speed_factor.copy()
        if self.orbital_pools.size and self.orbital_speed_factor.size:
            k = int(np.clip(np.searchsorted(self.orbital_times_s, t_s, side="right") - 1, 0, self.orbital_times_s.size - 1))
            factor[self.orbital_pools] = self.orbital_speed_factor[k]
        return factor

    def change_times_s(self) -> np.ndarray:
        """Times at which capacity changes between regular ticks (outage edges, hours of a
        temperature-driven PUE), sorted."""
        return np.unique(np.concatenate([self.outage_start_s, self.outage_end_s, self.pue_times_s]))

    def type_set_masks(self, jobs: JobTable) -> np.ndarray:
        """(T, P) bool: which pools each of the jobs' acceptable-type sets may use (within
        its one site, for a type set tied to a site)."""
        masks = np.zeros((len(jobs.type_sets), self.n_pools), dtype=bool)
        gpus = np.asarray(self.pool_gpu)
        for k, types in enumerate(jobs.type_sets):
            masks[k] = True if types == (ANY_GPU,) else np.isin(gpus, types)
            site = jobs.type_set_site[k] if jobs.type_set_site is not None else None
            if site is not None:
                masks[k] &= self.pool_site == self.site_names.index(site)
        return masks


def build_world(scenario: Scenario, base_dir: Path | None = None, seed: int | None = None) -> World:
    """Pools and sites from a validated scenario; `base_dir` resolves its relative paths
    (TLE files), `seed` (default: the scenario's) draws the orbital faults."""
    table = scenario.accelerator_table()
    ref_tflops = table[scenario.workload.reference_gpu].bf16_tflops.value
    names, gpus, site_of, installed, speed, busy, idle, domain_keys = [], [], [], [], [], [], [], []
    board, curves, cap_speed = [], [], []
    o_pool, o_start, o_end, o_gpus = [], [], [], []
    for s, site in enumerate(scenario.sites):
        for pool in site.pools:
            acc = table[pool.gpu]
            p = len(names)
            names.append(pool.name)
            gpus.append(pool.gpu)
            site_of.append(s)
            installed.append(pool.count)
            speed.append(acc.bf16_tflops.value / ref_tflops)
            busy.append(pool.busy_power_w if pool.busy_power_w is not None else acc.busy_power_w)
            idle.append(pool.idle_power_w if pool.idle_power_w is not None else default_idle_power_w(acc))
            tdp = acc.tdp_w.value if acc.tdp_w is not None and acc.tdp_w.value is not None else busy[-1]
            board.append(min(tdp, busy[-1]))
            curve = acc.power_cap_curve
            curves.append(None if curve is None else _curve_arrays(curve.points))
            cap_speed.append(1.0)
            if pool.power_cap is not None and pool.power_cap < 1.0:
                # a standing board cap: the board now draws power_cap x its TDP, the GPU
                # runs at the curve's (or the model's) share of its speed
                full_board = board[-1]
                idle_board = min(idle[-1], full_board)
                cap_speed[-1] = (float(np.interp(pool.power_cap, *curves[-1])) if curves[-1] is not None
                                 else float(throughput_at_cap(pool.power_cap, idle_board, full_board)))
                busy[-1] -= (1.0 - pool.power_cap) * full_board
                board[-1] = pool.power_cap * full_board
            domain_keys.append(s if scenario.policy.allow_mixed_gangs else (s, pool.gpu))
            for outage in pool.outages:
                o_pool.append(p)
                o_start.append(outage.start_h * SECONDS_PER_HOUR)
                o_end.append((outage.start_h + outage.duration_h) * SECONDS_PER_HOUR)
                o_gpus.append(outage.gpus)
    # the firm supply a site's GPUs may draw on: its grid connection plus on-site gas turbines
    # (solar and batteries are not firm: they change the bill, not the cap)
    sites = [(site.name, site.location.lat_deg, site.location.lon_deg,
              (site.power_cap_mw + (site.onsite.gas.capacity_mw if site.onsite and site.onsite.gas else 0.0)) * 1e6,
              site.pue)
             for site in scenario.sites]
    orbital = build_orbital_pools(scenario, table, ref_tflops, len(names), base_dir, seed)
    for con_name, pools in orbital["pools"]:
        s = len(sites)
        sites.append((con_name, np.nan, np.nan, np.inf, 1.0))  # no grid, no PUE
        for name, gpu, count, speed_rel, busy_w in pools:
            names.append(name)
            gpus.append(gpu)
            site_of.append(s)
            installed.append(count)
            speed.append(speed_rel)
            busy.append(busy_w)
            board.append(busy_w)
            curves.append(None)
            cap_speed.append(1.0)
            idle.append(0.0)  # GPUs that cannot run are powered down
            domain_keys.append(("orbit", name))
    domain_ids: dict[object, int] = {}
    domain = [domain_ids.setdefault(k, len(domain_ids)) for k in domain_keys]
    return World(
        pool_names=tuple(names),
        pool_gpu=tuple(gpus),
        pool_site=np.asarray(site_of, dtype=np.int64),
        installed=np.asarray(installed, dtype=np.int64),
        speed=np.asarray(speed, dtype=np.float64),
        busy_power_w=np.asarray(busy, dtype=np.float64),
        idle_power_w=np.asarray(idle, dtype=np.float64),
        board_power_w=np.asarray(board, dtype=np.float64),
        cap_curves=tuple(curves),
        pool_speed_factor=np.asarray(cap_speed, dtype=np.float64),
        domain=np.asarray(domain, dtype=np.int64),
        site_names=tuple(x[0] for x in sites),
        site_lat_deg=np.asarray([x[1] for x in sites], dtype=float),
        site_lon_deg=np.asarray([x[2] for x in sites], dtype=float),
        site_cap_w=np.asarray([x[3] for x in sites], dtype=float),
        site_pue=np.asarray([x[4] for x in sites], dtype=float),
        outage_pool=np.asarray(o_pool, dtype=np.int64),
        outage_start_s=np.asarray(o_start, dtype=np.float64),
        outage_end_s=np.asarray(o_end, dtype=np.float64),
        outage_gpus=np.asarray(o_gpus, dtype=np.int64),
        reference_gpu=scenario.workload.reference_gpu,
        orbital_pools=np.asarray(orbital["pool_ids"], dtype=np.int64),
        orbital_times_s=orbital["times_s"],
        orbital_usable=orbital["usable"],
        orbital_lost_power=orbital["lost_power"],
        orbital_lost_heat=orbital["lost_heat"],
        orbital_lost_faults=orbital["lost_faults"],
        orbital_lost_end_of_life=orbital["lost_end_of_life"],
        orbital_speed_factor=orbital["speed"],
        orbital_counts=orbital["counts"],
        orbital_notes=orbital["notes"],
        fault_time_s=orbital["fault_time_s"],
        fault_pool=orbital["fault_pool"],
        fault_gpus=orbital["fault_gpus"],
        battery_min_soc=orbital["battery_min_soc"],
        orbital_battery=tuple(orbital["battery"]),
        mixed_gang_penalty=scenario.policy.mixed_gang_penalty,
        **_pue_hours(scenario, base_dir, np.asarray([x[4] for x in sites], dtype=float)),
    )


def _curve_arrays(points) -> tuple[np.ndarray, np.ndarray]:
    """A measured cap curve as (caps, shares), ending at (1, 1)."""
    caps = np.array([c for c, _ in points], dtype=np.float64)
    shares = np.array([s for _, s in points], dtype=np.float64)
    if caps[-1] < 1.0:
        caps, shares = np.append(caps, 1.0), np.append(shares, 1.0)
    return caps, shares


def _pue_hours(scenario: Scenario, base_dir: Path | None, fixed_pue: np.ndarray) -> dict[str, np.ndarray]:
    """Hourly PUE of every site over the run, where some site's PUE follows the outside
    temperature (grid/pue.py); {} where none does. Before its file starts or after it ends,
    a site holds the PUE of the nearest hour."""
    curves = [(s, site.pue_curve) for s, site in enumerate(scenario.sites) if site.pue_curve is not None]
    if not curves:
        return {}
    from orbitgrid.grid.accounting import start_epoch_s
    from orbitgrid.grid.pue import pue_at_temperature, read_temperature

    t0 = start_epoch_s(scenario.simulation.start)
    hours = np.arange(0.0, scenario.simulation.duration_h * SECONDS_PER_HOUR, SECONDS_PER_HOUR)
    series = np.tile(fixed_pue, (hours.size, 1))
    for s, curve in curves:
        path = (base_dir or Path.cwd()) / curve.temperature
        temp = read_temperature(path, curve.temperature)
        k = np.clip(np.searchsorted(temp.start_s, t0 + hours, side="right") - 1, 0, temp.start_s.size - 1)
        series[:, s] = pue_at_temperature(temp.values[k], [tuple(p) for p in curve.points])
    return {"pue_times_s": hours, "pue_series": series}


def default_idle_power_w(acc) -> float:
    """The catalogue's idle draw where one is published; otherwise zero (idle energy not counted)."""
    if acc.idle_power_w is not None and acc.idle_power_w.value is not None:
        return acc.idle_power_w.value
    return 0.0
