"""The policy interface: a policy is shown the queue and the pools and returns placements.

The view hands out a scratch copy of the free GPUs; `take` reserves on it, so a policy
can place several jobs in one pass. The engine checks every placement it is given and
fails loudly on one that breaks a rule (wrong type, over capacity, split domains).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Protocol

import numpy as np

from orbitgrid.scenario import PolicySpec

if TYPE_CHECKING:
    from orbitgrid.engine.state import EngineState


@dataclass(frozen=True)
class Placement:
    """Start `job` now on `gpus[i]` GPUs of pool `pools[i]`; the gang runs at `speed`."""

    job: int
    pools: np.ndarray  # int64
    gpus: np.ndarray  # int64
    speed: float  # slowest member's speed, relative to the reference GPU


class Policy(Protocol):
    name: ClassVar[str]

    def __init__(self, spec: PolicySpec) -> None: ...

    def decide(self, view: "ClusterView") -> list[Placement]:
        """Placements to start now, in the order they should be applied."""
        ...


class ClusterView:
    """What a policy sees at one instant. Cheap to build; valid for one `decide` call."""

    def __init__(self, state: "EngineState"):
        self._s = state
        self.now_s: float = state.now_s
        self.world = state.world
        self.jobs = state.jobs
        self.free = state.capacity - state.allocated  # scratch copy, int64 (P)
        self.free_total = int(self.free.sum())
        self._taken: list[tuple[Placement, float]] = []  # reserved in this view, with expected ends
        # True when nothing but arrivals (`new_jobs`) happened since the last pass
        self.quiet: bool = state.quiet
        self.new_jobs: list[int] = state.new_jobs
        self._domain_free_max: np.ndarray | None = None

    # --- the queue -------------------------------------------------------------
    def queue_length(self) -> int:
        return self._s.n_queued

    def queue_head(self, limit: int) -> list[int]:
        """The first `limit` queued jobs, in policy order (priority, then arrival)."""
        return self._s.queue_head(limit)

    @property
    def state_version(self) -> int:
        """Changes whenever capacity changes or a job is preempted (reservations go stale)."""
        return self._s.version

    def remaining_work_s(self, job: int) -> float:
        """Reference-GPU-seconds of work the job still has to do."""
        return float(self.jobs.work_ref_gpu_s[job] - self._s.work_done_s[job])

    def min_runtime_s(self, jobs: np.ndarray) -> np.ndarray:
        """A lower bound on each job's remaining runtime: all of it on its fastest GPU type."""
        s = self._s
        remaining = self.jobs.work_ref_gpu_s[jobs] - s.work_done_s[jobs]
        return remaining / (self.jobs.gpus[jobs] * s.type_set_max_speed[self.jobs.type_set[jobs]])

    def type_set_masks(self) -> np.ndarray:
        """(T, P) bool: the pools each acceptable-type set may use."""
        return self._s.type_set_masks

    def runtime_s(self, placement: Placement) -> float:
        """How long the placement would take to finish the job's remaining work."""
        rate = float(placement.gpus.sum()) * placement.speed
        return self.remaining_work_s(placement.job) / rate

    # --- fitting and placing --------------------------------------------------------
    def fits(self, jobs: np.ndarray) -> np.ndarray:
        """Bool per job: could it start now in some training domain (given this view's free GPUs)?"""
        if self._domain_free_max is None:
            # (T, P) free GPUs each type set may use, summed per domain: (T, D)
            per_domain = (self._s.type_set_masks * self.free) @ self._s.domain_onehot
            self._domain_free_max = per_domain.max(axis=1)
        return self._domain_free_max[self.jobs.type_set[jobs]] >= self.jobs.gpus[jobs]

    def find_placement(self, job: int) -> Placement | None:
        """Where the job's gang would go now: the fastest single pool that holds it (best fit
        among equals), else the training domain whose fastest-first fill gives the highest
        gang speed. None if no domain has room."""
        world = self.world
        n = int(self.jobs.gpus[job])
        if n > self.free_total:
            return None
        pools = self._s.type_set_pools[self.jobs.type_set[job]]  # acceptable pool indices
        free_ok = self.free[pools]
        single = (free_ok >= n).nonzero()[0]
        if single.size == 1:
            p = int(pools[single[0]])
            return Placement(job, np.array([p]), np.array([n]), float(world.speed[p]))
        if single.size:
            order = np.lexsort((free_ok[single], -world.speed[pools[single]]))
            p = int(pools[single[order[0]]])
            return Placement(job, np.array([p]), np.array([n]), float(world.speed[p]))
        have = free_ok > 0
        pools, free_ok = pools[have], free_ok[have]
        if int(free_ok.sum()) < n:
            return None
        domains = world.domain[pools]
        best: Placement | None = None
        for d in np.unique(domains):
            in_d = domains == d
            if int(free_ok[in_d].sum()) < n:
                continue
            cand, cand_free = pools[in_d], free_ok[in_d]
            order = np.lexsort((-cand_free, -world.speed[cand]))
            cand, cand_free = cand[order], cand_free[order]
            cum = np.cumsum(cand_free)
            used = int(np.searchsorted(cum, n)) + 1
            gpus = cand_free[:used].copy()
            gpus[-1] -= int(cum[used - 1]) - n
            speed = float(world.speed[cand[:used]].min())
            if best is None or speed > best.speed or (speed == best.speed and used < best.pools.size):
                best = Placement(job, cand[:used], gpus, speed)
        return best

    def take(self, placement: Placement) -> None:
        """Reserve the placement's GPUs in this view, so later choices see them as busy."""
        np.subtract.at(self.free, placement.pools, placement.gpus)
        self.free_total -= int(placement.gpus.sum())
        self._taken.append((placement, self.now_s + self.runtime_s(placement)))
        self._domain_free_max = None

    # --- running work, for reservations --------------------------------------
    def release_profile(self, pool_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(times, GPUs) at which running jobs will free GPUs in the masked pools, soonest
        first, assuming they run to their expected end. Includes jobs taken in this view."""
        end_s, gpus = self._s.release_profile(pool_mask)
        if not self._taken:
            return end_s, gpus
        extra_end = [end for pl, end in self._taken for p in pl.pools if pool_mask[p]]
        extra_gpus = [int(g) for pl, _ in self._taken for p, g in zip(pl.pools, pl.gpus) if pool_mask[p]]
        end_s = np.concatenate([end_s, np.asarray(extra_end, dtype=np.float64)])
        gpus = np.concatenate([gpus, np.asarray(extra_gpus, dtype=np.int64)])
        order = np.argsort(end_s, kind="stable")
        return end_s[order], gpus[order]
