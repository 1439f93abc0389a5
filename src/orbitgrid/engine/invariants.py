"""Checks the engine runs on itself after every run. A broken one is a bug, never bad input."""

from __future__ import annotations

import numpy as np

from orbitgrid.engine.state import COMPLETED, FAILED, PENDING, QUEUED, RUNNING

REL_TOL = 1e-9


class InvariantError(AssertionError):
    """The simulation contradicted itself; the run is discarded."""


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= REL_TOL * max(1.0, abs(a), abs(b))


def check_invariants(
    state_codes: np.ndarray,
    fail_reasons: dict[int, str],
    log: dict[str, np.ndarray],
    job_allocated_gpu_s: np.ndarray,
    step_allocated_gpu_s: np.ndarray,
    work_ref_gpu_s: np.ndarray,
    work_done_s: np.ndarray,
    n_pools: int,
    edges_s: np.ndarray,
    capacity: np.ndarray,
    work_lost_s: np.ndarray | None = None,
    arrival_s: np.ndarray | None = None,
) -> None:
    """Raise InvariantError naming the first broken rule:

    1. every job is completed, failed with a reason, running or queued;
    2. GPU-hours from the allocation log equal those the jobs accumulated, and those
       summed over the time series;
    3. completed jobs did all their work, others no more than theirs; no job lost
       negative work to faults;
    4. no pool ever had more GPUs allocated than its capacity at that instant;
    5. (given `work_lost_s`) job by job, the reference work the log says its GPUs did
       (gpus x speed x duration) is the work it kept plus the work faults threw away.
    """
    known = np.isin(state_codes, (COMPLETED, FAILED, RUNNING, QUEUED))
    if arrival_s is not None:  # a job released after the run ended never arrived
        known |= (state_codes == PENDING) & (arrival_s >= edges_s[-1])
    if not known.all():
        raise InvariantError(f"job {int(np.flatnonzero(~known)[0])} ended the run in no known state")
    failed = np.flatnonzero(state_codes == FAILED)
    missing = [int(j) for j in failed if not fail_reasons.get(int(j))]
    if missing:
        raise InvariantError(f"job {missing[0]} failed without a reason")

    log_gpu_s = float(np.sum(log["gpus"] * (log["end_s"] - log["start_s"])))
    jobs_gpu_s = float(job_allocated_gpu_s.sum())
    steps_gpu_s = float(step_allocated_gpu_s.sum())
    if not (_close(log_gpu_s, jobs_gpu_s) and _close(log_gpu_s, steps_gpu_s)):
        raise InvariantError(
            f"GPU-hours disagree: log {log_gpu_s / 3600:.6f}, jobs {jobs_gpu_s / 3600:.6f}, "
            f"time series {steps_gpu_s / 3600:.6f}"
        )
    if (log["end_s"] < log["start_s"]).any():
        raise InvariantError("an allocation ends before it starts")

    done = state_codes == COMPLETED
    short = done & ~np.isclose(work_done_s, work_ref_gpu_s, rtol=1e-9, atol=1e-6)
    if short.any():
        raise InvariantError(f"job {int(np.flatnonzero(short)[0])} completed without doing all its work")
    over = work_done_s > work_ref_gpu_s * (1 + 1e-9) + 1e-6
    if over.any():
        raise InvariantError(f"job {int(np.flatnonzero(over)[0])} did more work than it had")

    _check_never_over_allocated(log, n_pools, edges_s, capacity)
    if work_lost_s is not None:
        _check_work_ledger(log, work_done_s, work_lost_s)


def _check_work_ledger(log: dict[str, np.ndarray], work_done_s: np.ndarray, work_lost_s: np.ndarray) -> None:
    if (work_lost_s < 0).any():
        raise InvariantError(f"job {int(np.flatnonzero(work_lost_s < 0)[0])} lost negative work to faults")
    n = work_done_s.shape[0]
    if log["job"].size == 0:
        by_log, slack = np.zeros(n), np.zeros(n)
    else:
        rate = log["gpus"] * log["speed"]
        by_log = np.bincount(log["job"], weights=rate * (log["end_s"] - log["start_s"]), minlength=n)
        # the rounding of the row's start and end times, at the rate the row ran
        ulp = np.spacing(np.maximum(np.abs(log["start_s"]), np.abs(log["end_s"])))
        slack = np.bincount(log["job"], weights=4.0 * rate * ulp, minlength=n)
    kept_and_lost = work_done_s + work_lost_s
    bad = np.abs(by_log - kept_and_lost) > REL_TOL * np.maximum(np.abs(by_log), np.abs(kept_and_lost)) + slack + 1e-6
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise InvariantError(
            f"job {j}: its GPUs did {by_log[j] / 3600:.6f} reference GPU-h, but it kept "
            f"{work_done_s[j] / 3600:.6f} and lost {work_lost_s[j] / 3600:.6f}"
        )


def _check_never_over_allocated(log: dict[str, np.ndarray], n_pools: int, edges_s: np.ndarray, capacity: np.ndarray) -> None:
    """Replay every allocation start and end per pool and compare the level with the
    capacity of the tick step it falls in (ends first at equal times)."""
    if log["pool"].size == 0:
        return
    pool = np.concatenate([log["pool"], log["pool"]])
    t = np.concatenate([log["start_s"], log["end_s"]])
    # in thousandths of a GPU, exactly (fractional jobs log shares such as 0.46)
    milli = np.rint(log["gpus"] * 1000).astype(np.int64)
    d = np.concatenate([milli, -milli])
    order = np.lexsort((d, t, pool))
    pool, t, d = pool[order], t[order], d[order]
    level = np.cumsum(d)
    # restart the running sum at each pool's first event
    first = np.flatnonzero(np.r_[True, pool[1:] != pool[:-1]])
    offsets = np.repeat(level[first] - d[first], np.diff(np.r_[first, pool.size]))
    level = level - offsets
    k = np.clip(np.searchsorted(edges_s, t, side="right") - 1, 0, capacity.shape[0] - 1)
    # judge each pool's level once all changes at an instant have applied
    settled = np.r_[(pool[1:] != pool[:-1]) | (t[1:] != t[:-1]), True]
    over = settled & (level > capacity[k, pool] * 1000)
    if over.any():
        i = int(np.flatnonzero(over)[0])
        raise InvariantError(
            f"pool {int(pool[i])} over-allocated at t={t[i] / 3600:.4f} h: {level[i] / 1000:g} GPUs "
            f"on a capacity of {int(capacity[k[i], pool[i]])}"
        )
    if (level < 0).any():
        raise InvariantError("a pool's allocation went negative")
