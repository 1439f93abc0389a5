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


def reserve(view: ClusterView, job: int) -> Reservation:
    """The earliest start of `job` in any training domain, if running jobs end as expected."""
    world = view.world
    n = int(view.jobs.gpus[job])
    acceptable = view._s.type_set_masks[view.jobs.type_set[job]]
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
            best = Reservation(job, view.state_version, float(times[k]), int(total[k]) - n, pools)
    return best


@register_policy("backfill")
class EasyBackfillPolicy:
    def __init__(self, spec: PolicySpec) -> None:
        self.depth = spec.backfill_depth
        self._reservation: Reservation | None = None

    def decide(self, view: ClusterView) -> list[Placement]:
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
        if i >= len(window) - 1:
            return placements
        head = window[i]
        rest = np.asarray(window[i + 1 :], dtype=np.int64)
        candidates = rest[view.fits(rest)]
        if candidates.size == 0:
            return placements
        res = self._reservation
        # jobs started ahead of the head in this pass used GPUs the old reservation counted on
        if res is None or res.job != head or res.version != view.state_version or placements:
            res = self._reservation = reserve(view, head)
        for job in candidates.tolist():
            placement = view.find_placement(int(job))
            if placement is None:
                continue
            ends_s = view.now_s + view.runtime_s(placement)
            on_reserved = int(placement.gpus[res.pools[placement.pools]].sum())
            if ends_s <= res.shadow_s or on_reserved <= res.extra:
                if ends_s > res.shadow_s:
                    res.extra -= on_reserved
                view.take(placement)
                placements.append(placement)
        return placements
