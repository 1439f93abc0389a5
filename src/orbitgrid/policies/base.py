"""The policy interface: a policy is shown the queue and the pools and returns placements.

The view hands out a scratch copy of the free GPUs; `take` reserves on it, so a policy
can place several jobs in one pass. The engine checks every placement it is given and
fails loudly on one that breaks a rule (wrong type, over capacity, split domains).

A preemptive policy also sees the running gangs (`running_jobs`, `running_pools`,
`attained_gpu_s`, `run_start_s`), calls `preempt` on the view to count a gang's GPUs as
free, and returns a `Decision`: the jobs to preempt, which the engine stops first, and the
placements, which may use the GPUs so freed. A plain list of placements still means
"start these, preempt nothing".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Protocol, Union

import numpy as np

from orbitgrid.scenario import PolicySpec

if TYPE_CHECKING:
    from orbitgrid.engine.state import EngineState

RUNNING = 2  # orbitgrid.engine.state.RUNNING (not imported: the engine imports this module)


@dataclass(frozen=True)
class Placement:
    """Start `job` now on `gpus[i]` GPUs of pool `pools[i]`; the gang runs at `speed`."""

    job: int
    pools: np.ndarray  # int64
    gpus: np.ndarray  # int64
    speed: float  # slowest member's speed, relative to the reference GPU


@dataclass
class Decision:
    """What a pass decided: running jobs to stop now (each keeps its work and queues again),
    then placements to start, in order; and, optionally, a time at which the policy wants
    another pass even if nothing else happens by then (a priority that changes with time)."""

    start: list[Placement] = field(default_factory=list)
    preempt: list[int] = field(default_factory=list)
    wake_at_s: float | None = None


class Policy(Protocol):
    """A scheduling policy. Optional attributes the engine reads:

    * `preemptive` (default False): ask the policy on every change while jobs wait, even
      when no GPU is free (it may preempt to make room);
    * `restart_overhead_s` (default 0): seconds of no work a gang pays when it starts again
      after a preemption (the built-in policies take it from the scenario's policy spec).
    """

    name: ClassVar[str]

    def __init__(self, spec: PolicySpec) -> None: ...

    def decide(self, view: "ClusterView") -> Union[list[Placement], Decision]:
        """Placements to start now, in the order they should be applied; or a Decision
        that also preempts running jobs (applied before the placements)."""
        ...


class ClusterView:
    """What a policy sees at one instant. Cheap to build; valid for one `decide` call."""

    def __init__(self, state: "EngineState"):
        self._s = state
        self.now_s: float = state.now_s
        self.world = state.world
        self.jobs = state.jobs
        # scratch copy, int64 (P); a curtailment may leave gangs that may not be paused above it
        self.free = np.maximum(state.capacity - state.allocated, 0)
        self.free_total = int(self.free.sum())
        self._taken: list[tuple[Placement, float]] = []  # reserved in this view, with expected ends
        self._preempted: list[int] = []  # running jobs counted as stopped in this view
        self._preempted_set: set[int] = set()
        # True when nothing but arrivals (`new_jobs`) happened since the last pass
        self.quiet: bool = state.quiet
        self.new_jobs: list[int] = state.new_jobs
        self._domain_free_max: np.ndarray | None = None
        self._shared: dict[int, list[int]] = {}  # pool -> open shared GPUs' free thousandths (scratch)
        self._max_room: int | None = None

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

    def remaining_work_now_s(self, jobs: np.ndarray) -> np.ndarray:
        """Reference-GPU-seconds each job still has to do as of now: for a running gang, less
        what it has done since its current stretch began (the engine credits it later)."""
        s = self._s
        jobs = np.asarray(jobs, dtype=np.int64)
        since = np.where(s.state[jobs] == RUNNING, (self.now_s - s.seg_start_s[jobs]) * s.rate[jobs], 0.0)
        done = s.work_done_s[jobs] + since
        return np.maximum(self.jobs.work_ref_gpu_s[jobs] - done, 0.0)

    def restart_overhead_left_s(self, jobs: np.ndarray) -> np.ndarray:
        """Seconds of restart overhead each job has still to pay: all of it for a queued job
        that was preempted, the rest of it for a gang warming up, else 0."""
        s = self._s
        jobs = np.asarray(jobs, dtype=np.int64)
        due = np.where(s.restart_due[jobs], s.restart_overhead_s, 0.0)
        warming = np.nan_to_num(s.warm_until_s[jobs] - self.now_s, nan=0.0)
        return due + np.maximum(warming, 0.0)

    def min_runtime_s(self, jobs: np.ndarray) -> np.ndarray:
        """A lower bound on each job's remaining runtime: all of it on its fastest GPU type
        (plus any restart overhead it has still to pay)."""
        s = self._s
        remaining = self.remaining_work_now_s(jobs)
        run = remaining / (self.jobs.gpus[jobs] * s.share[jobs] * s.job_max_speed[jobs])
        return run + self.restart_overhead_left_s(jobs) if s.restart_overhead_s > 0 else run

    def type_set_masks(self) -> np.ndarray:
        """(T, P) bool: the pools each acceptable-type set may use."""
        return self._s.type_set_masks

    def min_gang(self) -> np.ndarray:
        """(N) each job's smallest acceptable gang: its gang size, less for an elastic job.
        Do not modify."""
        return self._s.min_gang

    def running_gpus(self, jobs: np.ndarray) -> np.ndarray:
        """GPUs each job holds in its current run (its last run, if not running): its gang
        size, or for an elastic job the size it started with."""
        return self._s.run_gpus[np.asarray(jobs, dtype=np.int64)].copy()

    def pool_speed(self, job: int) -> np.ndarray:
        """(P) the job's speed on each pool's GPUs, relative to the reference GPU: the
        catalogue's, or its speed class's measured figures (JobTable). Do not modify."""
        s = self._s
        return s.pool_speeds[s.speed_row[job]]

    def pool_speeds(self) -> tuple[np.ndarray, np.ndarray]:
        """(rows (1 + C, P), each job's row): every job's speed on every pool at once."""
        return self._s.pool_speeds, self._s.speed_row

    def runtime_s(self, placement: Placement) -> float:
        """How long the placement would take to finish the job's remaining work (and to pay
        its restart overhead, if it was preempted)."""
        rate = float(placement.gpus.sum()) * placement.speed
        if self._s.any_fractional:
            rate *= float(self._s.share[placement.job])
        run = self.remaining_work_s(placement.job) / rate
        if self._s.restart_overhead_s > 0 and self._s.restart_due[placement.job]:
            run += self._s.restart_overhead_s
        return run

    # --- fitting and placing --------------------------------------------------------
    def fits(self, jobs: np.ndarray) -> np.ndarray:
        """Bool per job: could it start now in some training domain (given this view's free GPUs)?"""
        if self._domain_free_max is None:
            # (T, P) free GPUs each type set may use, summed per domain: (T, D)
            per_domain = (self._s.type_set_masks * self.free) @ self._s.domain_onehot
            self._domain_free_max = per_domain.max(axis=1)
        ok = self._domain_free_max[self.jobs.type_set[jobs]] >= self._s.min_gang[jobs]
        if self._s.any_fractional:  # a share of a GPU may fit an open shared GPU (a bound: any pool)
            jobs = np.asarray(jobs, dtype=np.int64)
            ok |= self._s.fractional[jobs] & (self._s.milli[jobs] <= self._max_shared_room())
        return ok

    def find_placement(self, job: int) -> Placement | None:
        """Where the job's gang would go now: the fastest single pool that holds it (best fit
        among equals), else the training domain whose fastest-first fill gives the highest
        gang speed. None if no domain has room. An elastic job (JobTable.min_gpus) takes the
        largest gang up to its size that one domain can hold now, if that is at least its
        minimum."""
        world = self.world
        if self._s.any_fractional and self._s.fractional[job]:
            return self._find_shared(job)
        n, n_min = int(self.jobs.gpus[job]), int(self._s.min_gang[job])
        if n_min > self.free_total:
            return None
        pools = self._s.type_set_pools[self.jobs.type_set[job]]  # acceptable pool indices
        speed_of = self.pool_speed(job)
        free_ok = self.free[pools]
        if n_min < n:
            per_domain = np.bincount(world.domain[pools], weights=free_ok, minlength=world.n_domains)
            n = min(n, int(per_domain.max(initial=0)))
            if n < n_min:
                return None
        elif n > self.free_total:
            return None
        single = (free_ok >= n).nonzero()[0]
        if single.size == 1:
            p = int(pools[single[0]])
            return Placement(job, np.array([p]), np.array([n]), float(speed_of[p]))
        if single.size:
            order = np.lexsort((free_ok[single], -speed_of[pools[single]]))
            p = int(pools[single[order[0]]])
            return Placement(job, np.array([p]), np.array([n]), float(speed_of[p]))
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
            order = np.lexsort((-cand_free, -speed_of[cand]))
            cand, cand_free = cand[order], cand_free[order]
            cum = np.cumsum(cand_free)
            used = int(np.searchsorted(cum, n)) + 1
            gpus = cand_free[:used].copy()
            gpus[-1] -= int(cum[used - 1]) - n
            speed = world.gang_speed(cand[:used], pool_speed=speed_of)
            if best is None or speed > best.speed or (speed == best.speed and used < best.pools.size):
                best = Placement(job, cand[:used], gpus, speed)
        return best

    def _find_shared(self, job: int) -> Placement | None:
        """A fractional job: the fastest pool (for it) whose open shared GPUs have room, the
        tightest fit among equals (packing, as the engine packs); else the fastest pool with
        a free GPU to open. None if neither."""
        pools = self._s.type_set_pools[self.jobs.type_set[job]]
        speed_of = self.pool_speed(job)
        milli = int(self._s.milli[job])
        room = np.array([self._best_room(int(p), milli) for p in pools.tolist()], dtype=np.int64)
        fit = np.flatnonzero(room >= 0)
        if fit.size:
            p = int(pools[fit[np.lexsort((room[fit], -speed_of[pools[fit]]))[0]]])
        else:
            has = np.flatnonzero(self.free[pools] > 0)
            if not has.size:
                return None
            p = int(pools[has[np.argmax(speed_of[pools[has]])]])
        return Placement(job, np.array([p]), np.array([1]), float(speed_of[p]))

    def _shared_rooms(self, pool: int) -> list[int]:
        """This view's scratch copy of the pool's open shared GPUs' free thousandths."""
        if pool not in self._shared:
            self._shared[pool] = [f for f in self._s.shared.free[pool] if f >= 0]
        return self._shared[pool]

    def _best_room(self, pool: int, milli: int) -> int:
        """Free thousandths of the pool's tightest open shared GPU that holds `milli`; -1 if none."""
        fits = [f for f in self._shared_rooms(pool) if f >= milli]
        return min(fits) if fits else -1

    def _max_shared_room(self) -> int:
        if self._max_room is None:
            self._max_room = max((self._s.shared.max_room(p) for p in range(self.world.n_pools)), default=0)
        return self._max_room

    def take(self, placement: Placement) -> None:
        """Reserve the placement's GPUs in this view, so later choices see them as busy."""
        job = placement.job
        if self._s.any_fractional and self._s.fractional[job]:  # as the engine will: the tightest open GPU, or a new one
            pool, milli = int(placement.pools[0]), int(self._s.milli[job])
            rooms = self._shared_rooms(pool)
            fits = [i for i, f in enumerate(rooms) if f >= milli]
            if fits:
                i = min(fits, key=lambda k: rooms[k])
                rooms[i] -= milli
            else:
                rooms.append(1000 - milli)
                self.free[pool] -= 1
                self.free_total -= 1
        else:
            np.subtract.at(self.free, placement.pools, placement.gpus)
            self.free_total -= int(placement.gpus.sum())
        self._taken.append((placement, self.now_s + self.runtime_s(placement)))
        self._domain_free_max = None

    # --- running work, and preempting it ----------------------------------------
    def running_jobs(self) -> np.ndarray:
        """Jobs running when the pass began (int64, ascending), those preempted in this view
        included (see `preempted`); jobs taken in this view are not running yet."""
        return self._s.running_jobs()

    def running_pools(self, job: int) -> tuple[np.ndarray, np.ndarray]:
        """(pools, GPUs) a running gang holds."""
        rows = self._s.rows[job]
        return self._s.pieces.pool[rows].copy(), self._s.pieces.gpus[rows].copy()

    def running_pieces(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(job, pool, GPUs), one row per pool of each running gang (preempted in this view
        or not), in no particular order."""
        p = self._s.pieces
        active = p.active[: p.size]
        return p.job[: p.size][active], p.pool[: p.size][active], p.gpus[: p.size][active]

    def attained_gpu_s(self, jobs: np.ndarray) -> np.ndarray:
        """Attained service: GPUs x seconds each job has held GPUs so far, over all its runs,
        up to now (restart overhead and work faults threw away included)."""
        s = self._s
        jobs = np.asarray(jobs, dtype=np.int64)
        running = s.state[jobs] == RUNNING
        current = np.where(running, s.run_gpus[jobs] * s.share[jobs] * (self.now_s - s.seg_start_s[jobs]), 0.0)
        return s.allocated_gpu_s[jobs] + current

    def run_start_s(self, jobs: np.ndarray) -> np.ndarray:
        """When each job's current run began (its last run, for a job not running; NaN if
        it never started)."""
        return self._s.run_start_s[np.asarray(jobs, dtype=np.int64)].copy()

    def first_start_s(self, jobs: np.ndarray) -> np.ndarray:
        """When each job first started (NaN if it never has)."""
        return self._s.first_start_s[np.asarray(jobs, dtype=np.int64)].copy()

    def queued_jobs(self) -> np.ndarray:
        """Every queued job, by job id (int64): for policies that order the queue their own
        way (`queue_head` gives queue order)."""
        return self._s.queued_jobs()

    def preempt(self, job: int) -> None:
        """Count a running gang as stopped: its GPUs are free in this view. The policy must
        also list the job in its Decision's `preempt` (`preempted` holds them, in order)."""
        job = int(job)
        if job not in self._s.rows:
            raise ValueError(f"job {job} is not running")
        if job in self._preempted_set:
            raise ValueError(f"job {job} is already preempted in this pass")
        pools, gpus = self.running_pools(job)
        np.add.at(self.free, pools, gpus)
        self.free_total += int(gpus.sum())
        self._preempted.append(job)
        self._preempted_set.add(job)
        self._domain_free_max = None

    @property
    def preempted(self) -> list[int]:
        """Jobs preempted in this view, in the order `preempt` was called."""
        return list(self._preempted)

    def release_profile(self, pool_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(times, GPUs) at which running jobs will free GPUs in the masked pools, soonest
        first, assuming they run to their expected end. Includes jobs taken in this view,
        leaves out those preempted in it."""
        if self._preempted:
            p = self._s.pieces
            sel = p.active[: p.size] & pool_mask[p.pool[: p.size]]
            sel &= ~np.isin(p.job[: p.size], np.asarray(self._preempted, dtype=np.int64))
            order = np.argsort(p.end_s[: p.size][sel], kind="stable")
            end_s, gpus = p.end_s[: p.size][sel][order], p.gpus[: p.size][sel][order]
        else:
            end_s, gpus = self._s.release_profile(pool_mask)
        if not self._taken:
            return end_s, gpus
        extra_end = [end for pl, end in self._taken for p in pl.pools if pool_mask[p]]
        extra_gpus = [int(g) for pl, _ in self._taken for p, g in zip(pl.pools, pl.gpus) if pool_mask[p]]
        end_s = np.concatenate([end_s, np.asarray(extra_end, dtype=np.float64)])
        gpus = np.concatenate([gpus, np.asarray(extra_gpus, dtype=np.int64)])
        order = np.argsort(end_s, kind="stable")
        return end_s[order], gpus[order]
