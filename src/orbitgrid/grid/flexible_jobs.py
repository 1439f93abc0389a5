"""Carbon- and price-aware starts for deferrable jobs, applied to the job table before the
run (`policy.carbon_aware`, decisions in grid/carbon_aware.py).

Each deferrable job (a deferral window > 0) has a home site, where its data is: drawn with
the seed in proportion to the sites' GPUs. At its submission, from the forecast of the
signal (carbon intensity or price, × (1 + noise × N(0, 1)) per hour):

* temporal: it starts at its home when the forecast over its run is lowest within its window;
* spatial: at whichever site and hour is lowest, counting the time (and, for price, the
  cost) of moving data_gb_per_gpu × gpus there;
* cics: at its home, admitted against the day's virtual capacity curve;
* home: at its home, at submission (no shifting: the baseline for the three above, with
  the same home sites).

Its run time is taken as work / gpus on the reference GPU (the decision knows the job's
length, as the papers assume). The job then arrives at the scheduler at its release time,
tied to its site; its waits still count from its submission. Nothing else changes: a
released job may wait further for GPUs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orbitgrid.grid import carbon_aware
from orbitgrid.grid.accounting import _series, start_epoch_s
from orbitgrid.grid.series import HOUR_S
from orbitgrid.scenario import LoadedScenario
from orbitgrid.workload.jobs import JobTable, take_jobs

HOME_STREAM = 0xF1E7  # the home-site draw's own stream
FORECAST_STREAM = 0xF0CA


@dataclass(frozen=True)
class Shifted:
    jobs: JobTable
    held_gpu_h: float  # sum of gpus x (release - submission) over deferrable jobs
    jobs_deferred: int  # released later than submitted
    jobs_moved: int  # run away from their home site
    transfer_usd: float


def apply_carbon_aware(loaded: LoadedScenario, world, jobs: JobTable, seed: int) -> Shifted:
    """The job table with deferrable jobs released (and tied to sites) per the policy."""
    spec = loaded.scenario.policy.carbon_aware
    window = jobs.windows_s()
    flexible = np.flatnonzero(window > 0)
    if spec is None or flexible.size == 0:
        return Shifted(jobs, 0.0, 0, 0, 0.0)
    sc = loaded.scenario
    n_sites = len(sc.sites)
    signal, signal_start_s = _signals(loaded, spec.signal)
    rng = np.random.default_rng([int(seed), FORECAST_STREAM])
    signal = np.vstack([carbon_aware.forecast(row, spec.forecast_noise, rng) for row in signal])
    site_gpus = np.bincount(world.pool_site, weights=world.installed, minlength=len(world.site_names))[:n_sites]
    home = np.random.default_rng([int(seed), HOME_STREAM]).choice(n_sites, size=flexible.size, p=site_gpus / site_gpus.sum())
    submit = jobs.arrival_s[flexible]
    gpus = jobs.gpus[flexible].astype(np.float64)
    runtime = jobs.work_ref_gpu_s[flexible] / gpus
    latest = submit + window[flexible]
    site = home.copy()
    release = submit.copy()
    transfer_usd = 0.0
    if spec.mode == "spatial":
        data_gb = spec.data_gb_per_gpu * gpus
        transfer_s = np.repeat((data_gb * 8.0 / spec.transfer_gbps)[:, None], n_sites, axis=1)
        usd = np.repeat((data_gb * spec.transfer_usd_per_gb)[:, None], n_sites, axis=1)
        # energy of the run at the meter: the fleet's mean busy draw x PUE
        power_kw = float(np.average(world.busy_power_w * world.pool_pue, weights=world.installed)) / 1e3
        site, release = carbon_aware.spatial_release(
            submit, runtime, latest, gpus * runtime / HOUR_S * power_kw, signal, signal_start_s, transfer_s,
            usd, objective="carbon" if spec.signal == "carbon" else "cost", home_site=home)
        moved = site != home
        transfer_usd = float(usd[moved, 0].sum())
    elif spec.mode != "home":
        for s in range(n_sites):
            mine = home == s
            if not mine.any():
                continue
            if spec.mode == "temporal":
                release[mine] = carbon_aware.temporal_release(submit[mine], runtime[mine], latest[mine], signal[s],
                                                              signal_start_s)
            else:
                t0 = start_epoch_s(sc.simulation.start)
                release[mine] = carbon_aware.cics_release(
                    submit[mine], runtime[mine], gpus[mine], latest[mine], signal[s], signal_start_s,
                    capacity_gpus=float(site_gpus[s]), flexible_share_cap=spec.cics_flexible_cap,
                    day_start_s=-(t0 % 86400.0), margin=spec.cics_margin)
    release = np.maximum(release, submit)
    return Shifted(
        _released(jobs, flexible, release, site, [s.name for s in sc.sites]),
        held_gpu_h=float((gpus * (release - submit)).sum() / HOUR_S),
        jobs_deferred=int((release > submit).sum()),
        jobs_moved=int((site != home).sum()),
        transfer_usd=transfer_usd,
    )


def _signals(loaded: LoadedScenario, which: str) -> tuple[np.ndarray, float]:
    """(sites, hours) of the signal on a common hour grid, and its first hour (s from the run
    start): the hours every site's series covers."""
    series = []
    for s in range(len(loaded.scenario.sites)):
        price, direct, _ = _series(loaded, s)
        series.append(price if which == "price" else direct)
    first = max(int(x.start_s[0]) for x in series)
    last = min(int(x.end_s) for x in series)
    rows = [x.values[(x.start_s >= first) & (x.start_s < last)] for x in series]
    return np.vstack(rows), first - start_epoch_s(loaded.scenario.simulation.start)


def _released(jobs: JobTable, flexible: np.ndarray, release: np.ndarray, site: np.ndarray,
              site_names: list[str]) -> JobTable:
    """Jobs re-ordered by release, the flexible ones tied to their sites through new type sets."""
    from dataclasses import replace

    arrival = jobs.arrival_s.copy()
    arrival[flexible] = release
    type_sets = list(jobs.type_sets)
    ts_site: list[str | None] = list(jobs.type_set_site or [None] * len(type_sets))
    n_sites = len(site_names)
    pairs, inverse = np.unique(jobs.type_set[flexible].astype(np.int64) * n_sites + site, return_inverse=True)
    ts = jobs.type_set.copy()
    ts[flexible] = (len(type_sets) + inverse).astype(ts.dtype)
    for pair in pairs.tolist():  # one new type set per (type set, site) pair
        type_sets.append(jobs.type_sets[pair // n_sites])
        ts_site.append(site_names[pair % n_sites])
    shifted = replace(jobs, arrival_s=arrival, type_set=ts, type_sets=tuple(type_sets), type_set_site=tuple(ts_site),
                      submit_s=jobs.arrival_s.copy())
    order = np.argsort(arrival, kind="stable")
    return take_jobs(shifted, order)
