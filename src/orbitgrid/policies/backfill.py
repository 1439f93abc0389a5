"""EASY backfilling: the first job that does not fit gets a reservation at the earliest time
enough GPUs will be free; later jobs may jump ahead only if they do not delay it.

Lifka, "The ANL/IBM SP scheduling system", JSSPP 1995; Mu'alem & Feitelson, "Utilization,
predictability, workloads, and user runtime estimates in scheduling the IBM SP2 with
backfilling", IEEE TPDS 12(6), 2001. Runtime estimates here are exact (the simulator knows
each job's work and speed), the optimistic case of those papers. `backfill_depth` bounds the
jobs examined per pass, as Slurm's `bf_max_job_test` does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from orbitgrid.policies.base import ClusterView, Placement
from orbitgrid.policies.registry import register_policy
from orbitgrid.scenario import PolicySpec


@dataclass
class Reservation:
    """The blocked head job's promise: `shadow_s` is when it starts; until then, jobs that
    would still run at that time may use at most `extra` of the `pools` it will need."""

    job: int
    version: int
    shadow_s: float
    extra: int
    pools: np.ndarray  # bool (P)
    only_reserved: np.ndarray | None = None  # bool (T): type sets that can use no other pool


def reserve(view: ClusterView, job: int) -> Reservation:
    """The earliest start of `job` in any training domain, if running jobs end as expected."""
    world = view.world
    n = int(view.jobs.gpus[job])
    acceptable = view.type_set_masks()[view.jobs.type_set[job]]
    best = Reservation(job, view.state_version, math.inf, 0, np.zeros(world.n_pools, dtype=bool))
    for d in np.unique(world.domain[acceptable]):
        pools = acceptable & (world.domain == d)
        free_now = int(view.free[pools].sum())
        times, gpus = view.release_profile(pools)
        total = free_now + np.cumsum(gpus)
        k = int(np.searchsorted(total, n))
        if k >= times.size:
            continue  # not enough even when all running jobs end (capacity is reduced)
        if times[k] < best.shadow_s:
            last = int(np.searchsorted(times, times[k], side="right")) - 1  # all that free up then
            best = Reservation(job, view.state_version, float(times[k]), int(total[last]) - n, pools)
    return best


@register_policy("backfill")
class EasyBackfillPolicy:
    def __init__(self, spec: PolicySpec) -> None:
        self.depth = spec.backfill_depth
        self.restart_overhead_s = spec.restart_overhead_s  # paid after a preemption (lost capacity)
        self._reservation: Reservation | None = None
        self._blocked_head: int | None = None

    def decide(self, view: ClusterView) -> list[Placement]:
        if view.quiet and self._blocked_head is not None and view.queue_head(1) == [self._blocked_head]:
            # only arrivals since the last pass: earlier verdicts stand, judge the newcomers
            new = set(view.new_jobs)
            fresh = [j for j in view.queue_head(self.depth) if j in new]  # in queue order
            return self._backfill(view, self._blocked_head, np.asarray(fresh, dtype=np.int64), [])
        placements: list[Placement] = []
        window = view.queue_head(self.depth)
        i = 0
        # in order, as long as jobs fit
        while i < len(window):
            placement = view.find_placement(window[i])
            if placement is None:
                break
            view.take(placement)
            placements.append(placement)
            i += 1
        self._blocked_head = window[i] if i < len(window) else None
        if placements:
            self._reservation = None  # jobs started ahead of the head used GPUs it counted on
        if i >= len(window) - 1:
            return placements
        return self._backfill(view, window[i], np.asarray(window[i + 1 :], dtype=np.int64), placements)

    def _backfill(self, view: ClusterView, head: int, rest: np.ndarray, placements: list[Placement]) -> list[Placement]:
        """Start those of `rest` (in order) that fit now without delaying `head`."""
        if rest.size == 0:
            return placements
        # a vectorised pre-check pays off only for more than a few jobs
        candidates = rest[view.fits(rest)] if rest.size > 4 else rest
        if candidates.size == 0:
            return placements
        res = self._reservation
        if res is None or res.job != head or res.version != view.state_version:
            res = self._reservation = reserve(view, head)
        for job in may_backfill(view, res, candidates).tolist():
            if view.free_total <= 0:
                break
            placement = view.find_placement(int(job))
            if placement is None or not keeps_promise(view, res, placement):
                continue
            charge_spare(view, res, placement)
            view.take(placement)
            placements.append(placement)
        return placements


def may_backfill(view: ClusterView, res: Reservation, candidates: np.ndarray) -> np.ndarray:
    """The candidates that might start without delaying the reserved head: all at once, it
    skips jobs that can neither end before the shadow time nor keep within the spare GPUs
    (only jobs that must use the reserved pools can be ruled out on the second count)."""
    if not math.isfinite(res.shadow_s):
        return candidates
    if res.only_reserved is None:
        res.only_reserved = ~(view.type_set_masks() & ~res.pools[None, :]).any(axis=1)
    ends_in_time = view.now_s + view.min_runtime_s(candidates) <= res.shadow_s
    must_take = np.where(res.only_reserved[view.jobs.type_set[candidates]], view.jobs.gpus[candidates], 0)
    return candidates[ends_in_time | (must_take <= res.extra)]


def keeps_promise(view: ClusterView, res: Reservation, placement: Placement) -> bool:
    """Whether the placement leaves the reserved head its start: it ends by the shadow time,
    or uses no more of the reserved pools than the head leaves spare (EASY's rule)."""
    if view.now_s + view.runtime_s(placement) <= res.shadow_s:
        return True
    return int(placement.gpus[res.pools[placement.pools]].sum()) <= res.extra


def charge_spare(view: ClusterView, res: Reservation, placement: Placement) -> None:
    """A backfilled gang that runs past the shadow time uses up spare GPUs of the reservation."""
    if view.now_s + view.runtime_s(placement) > res.shadow_s:
        res.extra -= int(placement.gpus[res.pools[placement.pools]].sum())
