"""Scheduling metrics of a finished run: completion-time percentiles, finish-time fairness,
and breakdowns by tenant and by GPU type. Pure numpy over the run's arrays.

Finish-time fairness follows Themis (Mahajan et al., "Themis: Fair and Efficient GPU
Cluster Scheduling", NSDI 2020): ρ = T_shared / T_id, the job's completion time over the
time it would take on its fair share, 1/N of the cluster, N the mean number of jobs
contending while it was in the system. On a share of C/N GPUs a job wanting G GPUs runs
alone-speed if G ≤ C/N and proportionally slower otherwise, so
T_id = T_alone · max(1, G·N/C), with T_alone = work / (G · speed of the fastest type it
accepts) and C the GPUs installed of the types it accepts. ρ ≤ 1: the job did at least as
well as its share; Gavel's finish-time-fairness objective minimises the largest ρ.
N is read from the queue record (queued + running jobs after each tick), so it has the
resolution of the physics tick.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

SECONDS_PER_HOUR = 3600.0


def percentile_or_none(values: np.ndarray, q: float) -> float | None:
    """The q-th percentile, or None for no values."""
    return float(np.percentile(values, q)) if values.size else None


def mean_active_jobs(tick_times_s: np.ndarray, active: np.ndarray, start_s: np.ndarray, end_s: np.ndarray) -> np.ndarray:
    """Time-averaged number of active jobs over [start, end] for each job, from a count
    that holds from each tick to the next (the integral is interpolated between ticks)."""
    t = np.asarray(tick_times_s, dtype=float)
    n = np.asarray(active, dtype=float)
    if t.size == 0:
        return np.ones_like(np.asarray(start_s, dtype=float))
    cum = np.concatenate([[0.0], np.cumsum(n[:-1] * np.diff(t))])  # ∫ active dt up to each tick

    def integral(x: np.ndarray) -> np.ndarray:
        k = np.clip(np.searchsorted(t, x, side="right") - 1, 0, t.size - 1)
        return cum[k] + n[k] * (x - t[k])

    span = np.asarray(end_s, dtype=float) - np.asarray(start_s, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        avg = (integral(np.asarray(end_s, dtype=float)) - integral(np.asarray(start_s, dtype=float))) / span
    return np.where(span > 0, np.maximum(avg, 1.0), 1.0)


def finish_time_fairness(
    jct_s: np.ndarray, work_ref_gpu_s: np.ndarray, gpus: np.ndarray, best_speed: np.ndarray,
    gpus_of_accepted_types: np.ndarray, mean_active: np.ndarray,
) -> np.ndarray:
    """ρ = JCT / T_id per job (see the module docstring)."""
    alone_s = work_ref_gpu_s / (gpus * best_speed)
    share = np.maximum(1.0, gpus * mean_active / np.maximum(gpus_of_accepted_types, 1))
    return jct_s / (alone_s * share)


def tenant_table(tenants: list[str], tenant_of_job: np.ndarray, state_completed: np.ndarray, state_failed: np.ndarray,
                 wait_h: np.ndarray, jct_h: np.ndarray, job_gpu_h: np.ndarray, work_done_gpu_h: np.ndarray,
                 preemptions: np.ndarray) -> pa.Table:
    """One row per tenant: jobs, completed, failed, GPU-hours, useful work, waits and JCTs
    (NaN where a job has none), preemptions."""
    k = len(tenants)

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(tenant_of_job[mask], minlength=k)

    def mean_of(values: np.ndarray) -> list[float | None]:
        ok = ~np.isnan(values)
        n = np.bincount(tenant_of_job[ok], minlength=k)
        total = np.bincount(tenant_of_job[ok], weights=values[ok], minlength=k)
        return [float(total[i] / n[i]) if n[i] else None for i in range(k)]

    p99 = [percentile_or_none(jct_h[(tenant_of_job == i) & ~np.isnan(jct_h)], 99) for i in range(k)]
    return pa.table({
        "tenant": pa.array(tenants, pa.string()),
        "jobs": pa.array(np.bincount(tenant_of_job, minlength=k)),
        "completed": pa.array(count(state_completed)),
        "failed": pa.array(count(state_failed)),
        "gpu_hours_allocated": pa.array(np.bincount(tenant_of_job, weights=job_gpu_h, minlength=k)),
        "useful_work_ref_gpu_h": pa.array(np.bincount(tenant_of_job, weights=work_done_gpu_h, minlength=k)),
        "mean_wait_h": pa.array(mean_of(wait_h), pa.float64()),
        "mean_jct_h": pa.array(mean_of(jct_h), pa.float64()),
        "p99_jct_h": pa.array(p99, pa.float64()),
        "preemptions": pa.array(np.bincount(tenant_of_job, weights=preemptions, minlength=k).astype(np.int64)),
    })


def gpu_type_table(pool_gpu: tuple[str, ...], installed: np.ndarray, available_gpu_s: np.ndarray,
                   allocated_gpu_s: np.ndarray, work_ref_gpu_s: np.ndarray) -> pa.Table:
    """One row per GPU type: installed GPUs, GPU-hours available and allocated, allocation
    utilisation, and the reference work its GPUs did (before any fault threw some away)."""
    types = sorted(set(pool_gpu))
    idx = np.array([types.index(g) for g in pool_gpu], dtype=np.int64)
    k = len(types)
    avail = np.bincount(idx, weights=available_gpu_s, minlength=k) / SECONDS_PER_HOUR
    alloc = np.bincount(idx, weights=allocated_gpu_s, minlength=k) / SECONDS_PER_HOUR
    with np.errstate(invalid="ignore", divide="ignore"):
        util = np.where(avail > 0, alloc / avail, np.nan)
    return pa.table({
        "gpu": pa.array(types, pa.string()),
        "installed": pa.array(np.bincount(idx, weights=installed, minlength=k).astype(np.int64)),
        "gpu_hours_available": pa.array(avail),
        "gpu_hours_allocated": pa.array(alloc),
        "allocation_utilization": pa.array(util),
        "work_done_ref_gpu_h": pa.array(np.bincount(idx, weights=work_ref_gpu_s, minlength=k) / SECONDS_PER_HOUR),
    })
