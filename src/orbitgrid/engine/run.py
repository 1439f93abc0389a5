"""One run, start to finish in memory: scenario -> world and jobs -> simulation -> tables and summary."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from orbitgrid.engine.accounting import (
    SECONDS_PER_HOUR,
    gpu_seconds_per_step,
    make_steps,
    peak_facility_power_w,
    step_series,
)
from orbitgrid.engine.invariants import check_invariants
from orbitgrid.engine.metrics import (
    finish_time_fairness,
    gpu_type_table,
    mean_active_jobs,
    percentile_or_none,
    tenant_table,
)
from orbitgrid.engine.simulator import ProgressFn, Simulator
from orbitgrid.engine.state import COMPLETED, ENDED_NAMES, FAILED, PENDING, QUEUED, RUNNING, STATE_NAMES
from orbitgrid.economics.ledger import (
    LEDGER_SCHEMA,
    Usage,
    build_ledger,
    month_edges_s,
    reservation_terms,
    reserved_gpus,
)
from orbitgrid.engine.curtailment import CurtailmentController
from orbitgrid.grid.accounting import grid_totals, site_prices, site_prices_on_steps
from orbitgrid.grid.demand_response import evaluate_events, plan_events
from orbitgrid.grid.flexible_jobs import apply_carbon_aware
from orbitgrid.inference.serve import run_inference
from orbitgrid.policies.registry import get_policy
from orbitgrid.scenario import LoadedScenario
from orbitgrid.workload import build_jobs
from orbitgrid.workload.jobs import take_jobs
from orbitgrid.world.pools import World, build_world


@dataclass
class RunResult:
    summary: dict[str, object]
    tables: dict[str, pa.Table]
    dropped_late_jobs: int


def _none_if_nan(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def simulate(
    loaded: LoadedScenario, seed: int | None = None, progress: ProgressFn | None = None, world: World | None = None
) -> RunResult:
    """Run the scenario once; the seed defaults to the scenario's own. `world` replaces the
    one the scenario would build (for tests that set capacity, throttling or faults by hand)."""
    sc = loaded.scenario
    seed = sc.simulation.seed if seed is None else seed
    world = build_world(sc, loaded.base_dir, seed) if world is None else world
    horizon_s = sc.simulation.duration_h * SECONDS_PER_HOUR
    all_jobs = build_jobs(loaded, seed)
    in_time = all_jobs.arrival_s < horizon_s
    jobs = all_jobs if in_time.all() else take_jobs(all_jobs, in_time)
    jobs = _spot_work_is_preemptible(jobs, sc.contracts)
    shifted = apply_carbon_aware(loaded, world, jobs, int(seed))
    jobs = shifted.jobs
    submitted = jobs.submitted_s()
    policy = get_policy(sc.policy.name)(sc.policy)
    contract_gpus = [reserved_gpus(c, world.pool_site, list(world.pool_gpu), world.installed, list(world.site_names))
                     if c.kind == "reserved" else 0 for c in sc.contracts]
    terms = reservation_terms(sc.contracts, contract_gpus, math.inf)
    if terms and hasattr(policy, "set_reservation_terms"):
        # only the reserved policy guarantees them; under another one a reservation is
        # still billed and its availability measured (what ignoring it would cost)
        policy.set_reservation_terms(terms)
    drain_limit = sc.simulation.drain_limit_h * SECONDS_PER_HOUR if sc.simulation.drain_limit_h else None
    wl = sc.workload
    checkpoint_s = wl.checkpoint_interval_h * SECONDS_PER_HOUR if wl.checkpoint_interval_h is not None else None
    end_bound_s = sim_end_bound_s(sc, horizon_s, drain_limit)
    world = _hold_serving_gpus(sc, world, end_bound_s)
    plan = plan_events(loaded, site_prices(loaded), end_bound_s)
    controller = CurtailmentController(plan, world) if plan is not None else None
    sim = Simulator(
        world, jobs, policy, horizon_s, sc.simulation.tick_s, sc.simulation.drain, drain_limit,
        seed=int(seed), checkpoint_interval_s=checkpoint_s, on_fault=wl.on_fault,
        restart_overhead_s=sc.policy.restart_overhead_s, on_preemption=wl.on_preemption,
        schedule_interval_s=sc.policy.schedule_interval_s, curtailment=controller,
    )  # fmt: skip
    out = sim.run(progress)
    s = out.state

    log = s.log.arrays()
    steps = make_steps(
        out.ticks.time_s, out.ticks.capacity, out.ticks.in_service, out.end_s, world.n_pools, out.ticks.factor,
        world=world, busy_scale=out.ticks.busy_scale,
    )
    alloc_gpu_s = gpu_seconds_per_step(log["pool"], log["gpus"], log["start_s"], log["end_s"], steps.edges_s, world.n_pools)
    series = step_series(world, steps, alloc_gpu_s)
    check_invariants(
        s.state, s.fail_reason, log, s.allocated_gpu_s, alloc_gpu_s, jobs.work_ref_gpu_s, s.work_done_s,
        world.n_pools, steps.edges_s, steps.capacity, work_lost_s=s.work_lost_s, arrival_s=jobs.arrival_s,
    )  # fmt: skip

    width = steps.width_s
    available_gpu_s = float((steps.capacity * width[:, None]).sum())
    allocated_gpu_s = float(np.sum(log["gpus"] * (log["end_s"] - log["start_s"])))
    # Useful work counts only work kept. The log holds every stretch the GPUs were busy, at
    # the speed they ran (throttling included), so gpus x speed x duration summed over it is
    # all the reference work done; faults threw some of it away (work_lost_s). Taking that
    # off leaves the work the jobs kept: the invariants check, job by job, that log work =
    # work credited (work_done_s) + work lost, so this equals sum(work_done_s) up to rounding.
    done_ref_gpu_s = float(np.sum(log["gpus"] * log["speed"] * (log["end_s"] - log["start_s"])))
    lost_ref_gpu_s = float(s.work_lost_s.sum())
    useful_ref_gpu_s = done_ref_gpu_s - lost_ref_gpu_s
    # what the capacity could have done at the speed it could run at: speed x this tick's factor
    possible_ref_gpu_s = float((steps.capacity * world.speed[None, :] * steps.factor * width[:, None]).sum())
    facility_j = float((series["facility_w"] * width[:, None]).sum())
    it_j = float((series["it_w"] * width[:, None]).sum())
    peak_w = peak_facility_power_w(world, steps, log["pool"], log["gpus"], log["start_s"], log["end_s"])

    started = ~np.isnan(s.first_start_s)
    wait_h = (s.first_start_s[started] - submitted[started]) / SECONDS_PER_HOUR
    done = s.state == COMPLETED
    jct_h = (s.end_s[done] - submitted[done]) / SECONDS_PER_HOUR
    makespan_h = (s.end_s[done].max() - submitted.min()) / SECONDS_PER_HOUR if done.any() else math.nan
    ftf = _finish_time_fairness(world, jobs, s, out.ticks)  # NaN for jobs not completed
    warm = log["speed"] == 0.0  # restart overhead: GPUs held, no work (a speed factor is never 0)
    restart_gpu_s = float(np.sum(log["gpus"][warm] * (log["end_s"][warm] - log["start_s"][warm])))

    grid_sums, grid_table = grid_totals(loaded, world.pool_site, steps.edges_s, series["facility_w"], series["it_w"])
    n_sites = len(world.site_names)
    dr_sums, dr_table = evaluate_events(
        loaded, controller, steps.edges_s, _per_site(series["facility_w"], world.pool_site, n_sites),
        _per_site(series["allocated"], world.pool_site, n_sites), site_prices_on_steps(loaded, steps.edges_s),
    )
    summary: dict[str, object] = {
        "scenario": sc.name,
        "seed": int(seed),
        "policy": sc.policy.name,
        "horizon_h": sc.simulation.duration_h,
        "end_h": out.end_s / SECONDS_PER_HOUR,
        "jobs_submitted": len(jobs),
        "jobs_completed": int(done.sum()),
        "jobs_failed": int((s.state == FAILED).sum()),
        "jobs_running": int((s.state == RUNNING).sum()),
        "jobs_queued": int((s.state == QUEUED).sum()),
        "jobs_pending": int((s.state == PENDING).sum()),  # held for release after the run's end
        "gpu_hours_available": available_gpu_s / SECONDS_PER_HOUR,
        "gpu_hours_allocated": allocated_gpu_s / SECONDS_PER_HOUR,
        "allocation_utilization": allocated_gpu_s / available_gpu_s if available_gpu_s else None,
        "effective_utilization": useful_ref_gpu_s / possible_ref_gpu_s if possible_ref_gpu_s else None,
        "useful_work_ref_gpu_h": useful_ref_gpu_s / SECONDS_PER_HOUR,
        "mean_wait_h": _none_if_nan(float(wait_h.mean())) if wait_h.size else None,
        "median_wait_h": _none_if_nan(float(np.median(wait_h))) if wait_h.size else None,
        "p95_wait_h": _none_if_nan(float(np.percentile(wait_h, 95))) if wait_h.size else None,
        "mean_jct_h": _none_if_nan(float(jct_h.mean())) if jct_h.size else None,
        "p50_jct_h": percentile_or_none(jct_h, 50),
        "p99_jct_h": percentile_or_none(jct_h, 99),
        "makespan_h": _none_if_nan(float(makespan_h)),
        "finish_time_fairness_max": float(np.nanmax(ftf)) if done.any() else None,
        "finish_time_fairness_mean": float(np.nanmean(ftf)) if done.any() else None,
        "energy_mwh": facility_j / 3.6e9,
        **grid_sums,
        "it_energy_mwh": it_j / 3.6e9,
        **dr_sums,
        # work held back: paused or not started in curtailments, and deferrable jobs held by
        # the carbon-aware policy (GPUs x time from submission to release)
        "deferred_gpu_hours": (dr_sums["curtailment_deferred_gpu_hours"] or 0.0) + shifted.held_gpu_h,
        "jobs_deferred": shifted.jobs_deferred,
        "jobs_moved_site": shifted.jobs_moved,
        "data_transfer_usd": shifted.transfer_usd,
        "peak_power_mw": peak_w / 1e6,
        "preemptions": int(s.preemptions.sum()),
        "jobs_preempted": int((s.preemptions > 0).sum()),
        # GPU-hours that preemptions cost: restarting (held at speed 0) plus work rolled back
        "gpu_hours_lost_preemption": (restart_gpu_s + float(s.work_lost_preemption_s.sum())) / SECONDS_PER_HOUR,
        "fault_hits": int(s.fault_hits),
        "fault_interruptions": int(s.fault_interruptions.sum()),
        "work_lost_to_faults_gpu_h": (lost_ref_gpu_s - float(s.work_lost_preemption_s.sum())) / SECONDS_PER_HOUR,
        "jobs_killed_by_faults": int(s.fault_kills),
        "events": int(out.events),
    }
    if world.orbital_pools.size:
        summary.update(_orbital_summary(world, steps))
    tables = _tables(world, jobs, s, log, steps, series, out.ticks)
    tables["grid"] = grid_table
    tables["curtailment"] = dr_table
    tables["battery"] = _battery_table(world, out.end_s)
    tables["jobs"] = tables["jobs"].append_column("finish_time_fairness", pa.array(ftf, mask=np.isnan(ftf)))
    tables["tenants"] = _tenants(jobs, s, log)
    tables["gpu_types"] = gpu_type_table(
        world.pool_gpu, world.installed, (steps.capacity * width[:, None]).sum(axis=0),
        np.bincount(log["pool"], weights=log["gpus"] * (log["end_s"] - log["start_s"]), minlength=world.n_pools),
        np.bincount(log["pool"], weights=log["gpus"] * log["speed"] * (log["end_s"] - log["start_s"]),
                    minlength=world.n_pools),
    )
    if sc.contracts:
        tables["ledger"], money = _ledger(sc, world, jobs, s, log, steps, series, out.end_s, contract_gpus)
    else:
        tables["ledger"], money = pa.Table.from_pylist([], schema=LEDGER_SCHEMA), {
            "revenue_usd": None, "sla_credits_usd": None, "revenue_by_tenant": None}
    summary.update(money)
    # inference services (orbitgrid.inference; docs/inference.md): served after the training
    # run, on the same sites and shells; ground replicas held their GPUs (_hold_serving_gpus)
    inference_summary, inference_tables = run_inference(sc, int(seed), loaded.base_dir)
    summary.update(inference_summary)
    tables.update(inference_tables)
    tables["summary"] = pa.Table.from_pylist([summary])
    return RunResult(summary, tables, int((~in_time).sum()))


def _hold_serving_gpus(sc, world, end_s: float):
    """Ground inference replicas hold their GPUs for the whole time they serve: the training
    run sees them as out of service (inference/serve.py: serving_holds)."""
    if sc.inference is None:
        return world
    from orbitgrid.inference.serve import serving_holds

    pool, start, end, gpus = serving_holds(sc, world, end_s)
    if pool.size == 0:
        return world
    return dataclasses.replace(
        world, outage_pool=np.concatenate([world.outage_pool, pool]),
        outage_start_s=np.concatenate([world.outage_start_s, start]),
        outage_end_s=np.concatenate([world.outage_end_s, end]),
        outage_gpus=np.concatenate([world.outage_gpus, gpus]))


def _battery_table(world, end_s: float) -> pa.Table:
    """Each constellation's battery state of charge (share of capacity, mean and lowest over
    its satellites) at every orbital tick before the run's end; empty without constellations."""
    keep = world.orbital_times_s < end_s
    n = int(keep.sum())
    rows = [(name, mean[keep], low[keep]) for name, mean, low in world.orbital_battery]
    return pa.table({
        "constellation": pa.array([name for name, _, _ in rows for _ in range(n)], pa.string()),
        "time_h": pa.array(np.tile(world.orbital_times_s[keep] / SECONDS_PER_HOUR, len(rows)), pa.float64()),
        "soc_mean": pa.array(np.concatenate([m for _, m, _ in rows]) if rows else np.zeros(0), pa.float64()),
        "soc_min": pa.array(np.concatenate([low for _, _, low in rows]) if rows else np.zeros(0), pa.float64()),
    })


def _spot_work_is_preemptible(jobs, contracts):
    """A spot contract's jobs may be paused (curtailment), whatever the workload said."""
    spot = [c.tenant for c in contracts if c.kind == "spot"]
    if not spot or jobs.preemptible is None:
        return jobs
    named = {c.tenant for c in contracts}
    tenants = [t for t in jobs.tenants if t in spot or ("*" in spot and t not in named)]
    on_spot = np.isin(np.asarray(jobs.tenant), [jobs.tenants.index(t) for t in tenants])
    return dataclasses.replace(jobs, preemptible=jobs.preemptible | on_spot)


def _ledger(sc, world, jobs, s, log, steps, series, end_s: float, contract_gpus: list[int]):
    """The tenants' ledger and the revenue keys (economics/ledger.py)."""
    type_names = tuple(sorted(set(world.pool_gpu)))
    pool_type = np.array([type_names.index(g) for g in world.pool_gpu], dtype=np.int64)
    ended = np.isin(s.state, (COMPLETED, FAILED))
    capacity = steps.capacity.sum(axis=1).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        utilization = np.where(capacity > 0, series["allocated"].sum(axis=1) / capacity, 0.0)
    usage = Usage(
        job=log["job"].astype(np.int64), gpus=log["gpus"].astype(np.float64), start_s=log["start_s"], end_s=log["end_s"],
        gpu_type=pool_type[log["pool"]], job_tenant=np.asarray(jobs.tenant, dtype=np.int64), tenant_names=tuple(jobs.tenants),
        job_gpus=jobs.gpus * jobs.milli() / 1000.0, job_submit_s=jobs.submitted_s(),
        job_end_s=np.where(ended, s.end_s, end_s), gpu_type_names=type_names, step_edges_s=steps.edges_s,
        step_utilization=np.clip(utilization, 0.0, 1.0), run_end_s=float(end_s),
    )
    edges, labels = month_edges_s(sc.simulation.start, float(end_s))
    return build_ledger(sc.contracts, usage, edges, labels, contract_gpus)


def _per_site(per_pool: np.ndarray, pool_site: np.ndarray, n_sites: int) -> np.ndarray:
    """(steps, pools) -> (steps, sites) sums."""
    out = np.zeros((per_pool.shape[0], n_sites))
    np.add.at(out.T, pool_site, per_pool.T)
    return out


def sim_end_bound_s(sc, horizon_s: float, drain_limit_s: float | None) -> float:
    """The latest the run can end: the horizon, or with a drain its limit (default 100 horizons)."""
    if not sc.simulation.drain:
        return horizon_s
    return horizon_s + (drain_limit_s if drain_limit_s is not None else 100.0 * horizon_s)


def _finish_time_fairness(world, jobs, s, ticks) -> np.ndarray:
    """Themis finish-time fairness of each completed job (engine/metrics.py); NaN for the rest."""
    done = s.state == COMPLETED
    out = np.full(len(jobs), np.nan)
    if not done.any():
        return out
    active = np.asarray(ticks.queued_jobs, dtype=float) + np.asarray(ticks.running_jobs, dtype=float)
    times = np.asarray(ticks.time_s, dtype=float)[: active.size]
    arrival, end = jobs.submitted_s()[done], s.end_s[done]
    ts = jobs.type_set[done]
    accepted_gpus = (s.type_set_masks * world.installed[None, :]).sum(axis=1)[ts]
    out[done] = finish_time_fairness(
        end - arrival, jobs.work_ref_gpu_s[done], jobs.gpus[done].astype(float), s.job_max_speed[done],
        accepted_gpus.astype(float), mean_active_jobs(times, active, arrival, end),
    )
    return out


def _tenants(jobs, s, log) -> pa.Table:
    """Per-tenant breakdown (engine/metrics.py)."""
    started = ~np.isnan(s.first_start_s)
    done = s.state == COMPLETED
    wait_h = np.where(started, (s.first_start_s - jobs.submitted_s()) / SECONDS_PER_HOUR, np.nan)
    jct_h = np.where(done, (s.end_s - jobs.submitted_s()) / SECONDS_PER_HOUR, np.nan)
    job_gpu_h = np.bincount(log["job"], weights=log["gpus"] * (log["end_s"] - log["start_s"]),
                            minlength=len(jobs)) / SECONDS_PER_HOUR
    return tenant_table(list(jobs.tenants), np.asarray(jobs.tenant, dtype=np.int64), done, s.state == FAILED,
                        wait_h, jct_h, job_gpu_h, s.work_done_s / SECONDS_PER_HOUR, s.preemptions)


def _orbital_summary(world, steps) -> dict[str, object]:
    """GPU-hours the orbital pools offered, and those lost for want of power, to heat, or to
    GPUs that faults took out."""
    orb = world.orbital_pools
    available = float((steps.capacity[:, orb] * steps.width_s[:, None]).sum()) / SECONDS_PER_HOUR
    end_s = steps.edges_s[-1]
    t = np.minimum(world.orbital_times_s, end_s)  # table rows past the run's end weigh nothing
    width = np.diff(np.append(t, end_s))
    return {
        "orbital_gpu_hours_available": available,
        "orbital_gpu_hours_lost_eclipse": float((world.orbital_lost_power * width[:, None]).sum()) / SECONDS_PER_HOUR,
        "orbital_gpu_hours_lost_thermal": float((world.orbital_lost_heat * width[:, None]).sum()) / SECONDS_PER_HOUR,
        "orbital_gpu_hours_lost_faults": _gpu_hours(world.orbital_lost_faults, width),
        "orbital_gpu_hours_lost_end_of_life": _gpu_hours(world.orbital_lost_end_of_life, width),
        # usable GPU-hours, times the share of speed throttling took from them
        "orbital_gpu_hours_lost_throttle": _gpu_hours(steps.capacity[:, orb] * (1.0 - steps.factor[:, orb]), steps.width_s),
        "battery_min_soc": world.battery_min_soc,
        **{f"orbital_{key}": int(value) for key, value in sorted(world.orbital_counts.items())},
        **{key: float(value) for key, value in sorted(world.orbital_notes.items())},
    }


def _gpu_hours(gpus: np.ndarray, width_s: np.ndarray) -> float:
    """GPU-hours of a (ticks, pools) GPU count held over ticks of `width_s`."""
    return float((gpus * width_s[:, None]).sum()) / SECONDS_PER_HOUR if gpus.size else 0.0


def _tables(world, jobs, s, log, steps, series, ticks) -> dict[str, pa.Table]:
    n_steps, n_pools = steps.capacity.shape
    hours = SECONDS_PER_HOUR
    started = ~np.isnan(s.first_start_s)
    done = s.state == COMPLETED
    failed_or_done = np.isin(s.state, (COMPLETED, FAILED))
    names = jobs.names if jobs.names is not None else [str(i) for i in range(len(jobs))]
    labels = np.asarray([jobs.type_set_label(k) for k in range(len(jobs.type_sets))], dtype=object)
    reasons = np.full(len(jobs), None, dtype=object)
    for j, why in s.fail_reason.items():
        reasons[j] = why
    job_table = pa.table(
        {
            "job_id": pa.array(np.arange(len(jobs), dtype=np.int64)),
            "name": pa.array(names, pa.string()),
            "tenant": pa.array(np.asarray(jobs.tenants, dtype=object)[jobs.tenant], pa.string()),
            "priority": pa.array(jobs.priority, pa.int32()),
            "arrival_h": pa.array(jobs.submitted_s() / hours),
            "released_h": pa.array(jobs.arrival_s / hours),
            "preemptible": pa.array(jobs.may_pause()),
            "deferral_window_h": pa.array(jobs.windows_s() / hours),
            "gpus": pa.array(jobs.gpus, pa.int32()),
            "min_gpus": pa.array(jobs.min_gang(), pa.int32()),
            "gpu_milli": pa.array(jobs.milli(), pa.int32()),
            "work_gpu_h": pa.array(jobs.work_ref_gpu_s / hours),
            "gpu_types": pa.array(labels[jobs.type_set], pa.string()),
            "state": pa.array(np.asarray(STATE_NAMES, dtype=object)[s.state], pa.string()),
            "fail_reason": pa.array(reasons, pa.string()),
            "first_start_h": pa.array(s.first_start_s / hours, mask=~started),
            "end_h": pa.array(s.end_s / hours, mask=~failed_or_done),
            "wait_h": pa.array((s.first_start_s - jobs.submitted_s()) / hours, mask=~started),
            "jct_h": pa.array((s.end_s - jobs.submitted_s()) / hours, mask=~done),
            "preemptions": pa.array(s.preemptions, pa.int32()),
            "fault_interruptions": pa.array(s.fault_interruptions, pa.int32()),
            "work_done_gpu_h": pa.array(s.work_done_s / hours),
            "work_lost_gpu_h": pa.array(s.work_lost_s / hours),
        }
    )
    alloc_table = pa.table(
        {
            "job_id": pa.array(log["job"]),
            "pool_id": pa.array(log["pool"].astype(np.int32)),
            "gpus": pa.array(log["gpus"]),  # a fractional job's share of one GPU
            "start_h": pa.array(log["start_s"] / hours),
            "end_h": pa.array(log["end_s"] / hours),
            "speed": pa.array(log["speed"]),
            "ended_by": pa.array(np.asarray(ENDED_NAMES, dtype=object)[log["ended_by"]], pa.string()),
        }
    )
    pools = pa.table(
        {
            "pool_id": pa.array(np.arange(n_pools, dtype=np.int32)),
            "pool": pa.array(world.pool_names, pa.string()),
            "site": pa.array([world.site_names[i] for i in world.pool_site], pa.string()),
            "gpu": pa.array(world.pool_gpu, pa.string()),
            "count": pa.array(world.installed.astype(np.int32)),
            "speed": pa.array(world.speed),
            "busy_power_w": pa.array(world.busy_power_w),
            "idle_power_w": pa.array(world.idle_power_w),
        }
    )
    sites = pa.table(
        {
            "site": pa.array(world.site_names, pa.string()),
            "lat_deg": pa.array(world.site_lat_deg),
            "lon_deg": pa.array(world.site_lon_deg),
            "power_cap_mw": pa.array(world.site_cap_w / 1e6),
            "pue": pa.array(world.site_pue),
        }
    )
    timeseries = pa.table(
        {
            "time_h": pa.array(np.repeat(steps.edges_s[:-1] / hours, n_pools)),
            "step_h": pa.array(np.repeat(steps.width_s / hours, n_pools)),
            "pool_id": pa.array(np.tile(np.arange(n_pools, dtype=np.int32), n_steps)),
            "capacity_gpus": pa.array(steps.capacity.ravel()),
            "in_service_gpus": pa.array(steps.in_service.ravel()),
            "allocated_gpus": pa.array(series["allocated"].ravel()),
            "it_power_mw": pa.array(series["it_w"].ravel() / 1e6),
            "facility_power_mw": pa.array(series["facility_w"].ravel() / 1e6),
        }
    )
    keep = np.asarray(ticks.time_s) < steps.edges_s[-1]
    queue = pa.table(
        {
            "time_h": pa.array(np.asarray(ticks.time_s)[keep] / hours),
            "queued_jobs": pa.array(np.asarray(ticks.queued_jobs, dtype=np.int64)[keep]),
            "queued_gpus": pa.array(np.asarray(ticks.queued_gpus, dtype=np.int64)[keep]),
            "running_jobs": pa.array(np.asarray(ticks.running_jobs, dtype=np.int64)[keep]),
        }
    )
    return {
        "jobs": job_table,
        "allocations": alloc_table,
        "pools": pools,
        "sites": sites,
        "timeseries": timeseries,
        "queue": queue,
    }
