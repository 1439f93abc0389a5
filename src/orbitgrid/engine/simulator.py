"""The discrete-event loop: job arrivals and completions from a heap, interleaved with a fixed
physics tick that sets every pool's capacity at once; the policy is asked after each change.

At one instant, events apply in this order: completions, the tick, arrivals, then one
scheduling pass. Nothing here depends on wall-clock time or unordered containers, so the
same scenario and seed give the same results bit for bit.
"""

from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from orbitgrid.engine.state import (
    COMPLETED,
    ENDED_COMPLETED,
    ENDED_HORIZON,
    ENDED_PREEMPTED,
    FAILED,
    QUEUED,
    RUNNING,
    EngineState,
)
from orbitgrid.policies.base import ClusterView, Placement, Policy
from orbitgrid.workload.jobs import JobTable
from orbitgrid.world.pools import World

SECONDS_PER_HOUR = 3600.0


class PolicyError(RuntimeError):
    """A policy returned a placement that breaks the rules: a bug in the policy, not the input."""


@dataclass
class TickRecord:
    """What the engine saw at each tick, for the time series."""

    time_s: list[float]
    capacity: list[np.ndarray]
    in_service: list[np.ndarray]
    queued_jobs: list[int]
    queued_gpus: list[int]
    running_jobs: list[int]


@dataclass
class SimOutput:
    state: EngineState
    ticks: TickRecord
    end_s: float
    events: int
    max_usable: np.ndarray  # per pool, with every GPU in service


ProgressFn = Callable[[float, float, int], None]  # (sim time s, end estimate s, events)


class Simulator:
    def __init__(
        self,
        world: World,
        jobs: JobTable,
        policy: Policy,
        horizon_s: float,
        tick_s: float,
        drain: bool = False,
        drain_limit_s: float | None = None,
    ):
        self.world = world
        self.jobs = jobs
        self.policy = policy
        self.horizon_s = horizon_s
        self.tick_s = tick_s
        self.drain = drain
        self.stop_s = horizon_s + (drain_limit_s if drain_limit_s is not None else 100.0 * horizon_s) if drain else horizon_s
        self.s = EngineState(world, jobs)
        self.heap: list[tuple[float, int, int]] = []  # (end_s, job, epoch)
        self.ticks = TickRecord([], [], [], [], [], [])
        self.events = 0
        self._changes_at_pass = -1
        # the largest gang each type set could ever get, with all GPUs in service
        _, usable = world.capacity_at(-math.inf)
        self.max_usable = usable
        masks = self.s.type_set_masks
        self.max_gang = np.array(
            [np.bincount(world.domain, weights=np.where(m, usable, 0), minlength=world.n_domains).max() for m in masks]
            if world.n_domains
            else [0] * masks.shape[0]
        )

    # --- transitions -------------------------------------------------------------
    def _arrive(self, job: int) -> None:
        ts = int(self.jobs.type_set[job])
        n = int(self.jobs.gpus[job])
        if n > self.max_gang[ts]:
            self.s.state[job] = FAILED
            self.s.end_s[job] = self.s.now_s
            self.s.fail_reason[job] = (
                f"unschedulable: needs {n} GPUs of {self.jobs.type_set_label(ts)}; "
                f"the largest training domain can run {int(self.max_gang[ts])}"
            )
            return
        self.s.enqueue(job)

    def _start(self, pl: Placement) -> None:
        s, w, job = self.s, self.world, pl.job
        pools = np.asarray(pl.pools, dtype=np.int64)
        gpus = np.asarray(pl.gpus, dtype=np.int64)
        if s.state[job] != QUEUED:
            raise PolicyError(f"job {job} placed but not queued")
        pool_list, gpu_list = pools.tolist(), gpus.tolist()
        n = sum(gpu_list)
        if n != int(self.jobs.gpus[job]) or min(gpu_list) <= 0:
            raise PolicyError(f"job {job} wants {self.jobs.gpus[job]} GPUs, placement gives {gpu_list}")
        if len(set(pool_list)) != len(pool_list) or not s.type_set_masks[self.jobs.type_set[job]][pools].all():
            raise PolicyError(f"job {job} placed on pools it may not use: {pool_list}")
        if len(pool_list) > 1 and len(set(w.domain[pools].tolist())) != 1:
            raise PolicyError(f"job {job} split across training domains")
        if (s.allocated[pools] + gpus > s.capacity[pools]).any():
            raise PolicyError(f"job {job} placed beyond capacity of pools {pool_list}")
        speed = float(w.speed[pools].min())
        s.dequeue(job, RUNNING)
        s.changes += 1
        s.allocated[pools] += gpus
        s.speed[job] = speed
        s.rate[job] = float(n) * speed
        s.run_start_s[job] = s.now_s
        if math.isnan(s.first_start_s[job]):
            s.first_start_s[job] = s.now_s
        end_s = s.now_s + (self.jobs.work_ref_gpu_s[job] - s.work_done_s[job]) / s.rate[job]
        s.rows[job] = [s.pieces.add(job, p, g, end_s) for p, g in zip(pool_list, gpu_list)]
        heapq.heappush(self.heap, (end_s, job, int(s.epoch[job])))

    def _stop(self, job: int, why: int) -> None:
        """End a running gang's allocation: log it, free its GPUs, credit its work."""
        s = self.s
        s.changes += 1
        start = float(s.run_start_s[job])
        elapsed = s.now_s - start
        for row in s.rows.pop(job):
            pool, gpus = int(s.pieces.pool[row]), int(s.pieces.gpus[row])
            s.allocated[pool] -= gpus
            s.allocated_gpu_s[job] += gpus * elapsed
            s.log.append(job, pool, gpus, start, s.now_s, float(s.speed[job]), why)
            s.pieces.remove(row)
        if why == ENDED_COMPLETED:
            s.work_done_s[job] = self.jobs.work_ref_gpu_s[job]
        else:
            s.work_done_s[job] = min(s.work_done_s[job] + elapsed * s.rate[job], self.jobs.work_ref_gpu_s[job])
        s.rate[job] = 0.0

    def _complete(self, job: int) -> None:
        self._stop(job, ENDED_COMPLETED)
        self.s.state[job] = COMPLETED
        self.s.end_s[job] = self.s.now_s

    def _preempt(self, job: int) -> None:
        s = self.s
        self._stop(job, ENDED_PREEMPTED)
        s.epoch[job] += 1
        s.preemptions[job] += 1
        s.enqueue(job)

    def _tick(self) -> bool:
        """Set every pool's capacity for this tick; preempt the newest gangs where it fell
        below what is allocated. Returns whether capacity changed."""
        s = self.s
        in_service, capacity = self.world.capacity_at(s.now_s)
        changed = not np.array_equal(capacity, s.capacity)
        s.in_service, s.capacity = in_service, capacity
        for pool in np.flatnonzero(s.allocated > capacity):
            p = s.pieces
            rows = np.flatnonzero(p.active[: p.size] & (p.pool[: p.size] == pool))
            victims = p.job[rows]
            order = np.lexsort((-victims, -s.run_start_s[victims]))  # newest first
            for job in victims[order]:
                if s.allocated[pool] <= capacity[pool]:
                    break
                self._preempt(int(job))
        if changed:
            s.version += 1
            s.changes += 1
        t = self.ticks
        t.time_s.append(s.now_s)
        t.capacity.append(capacity)
        t.in_service.append(in_service)
        return changed

    def _record_queue(self) -> None:
        """The queue as it stands once every event of a tick's instant has been handled."""
        s, t = self.s, self.ticks
        t.queued_jobs.append(s.n_queued)
        t.queued_gpus.append(s.queued_gpus)
        t.running_jobs.append(len(s.rows))

    def _schedule(self) -> None:
        s = self.s
        if s.n_queued and (s.capacity > s.allocated).any():
            s.quiet = s.changes == self._changes_at_pass
            placements = self.policy.decide(ClusterView(s))
        else:
            placements = []
        # a pass that starts nothing leaves every verdict standing until something changes
        self._changes_at_pass = s.changes
        s.new_jobs = []
        for placement in placements:
            self._start(placement)

    # --- the loop ------------------------------------------------------------------
    def run(self, progress: ProgressFn | None = None) -> SimOutput:
        s, jobs, heap = self.s, self.jobs, self.heap
        arrivals = jobs.arrival_s
        n_jobs = len(jobs)
        next_job = 0
        next_tick_s = 0.0
        # capacity is also set at the edges of outages, so none falls between ticks unseen
        edges_s = self.world.change_times_s()
        edges_s = edges_s[edges_s > 0.0]
        next_edge = 0
        loops = 0
        last_report = time.monotonic()
        while True:
            t_arrival = arrivals[next_job] if next_job < n_jobs else math.inf
            t_done = heap[0][0] if heap else math.inf
            t_capacity = min(next_tick_s, edges_s[next_edge] if next_edge < edges_s.size else math.inf)
            now = min(t_arrival, t_done, t_capacity)
            if now >= self.stop_s:
                break
            if now >= self.horizon_s and (not self.drain or (not heap and not s.n_queued)):
                break
            s.now_s = now
            changed = False
            while heap and heap[0][0] <= now:
                _, job, epoch = heapq.heappop(heap)
                if epoch == s.epoch[job] and s.state[job] == RUNNING:
                    self._complete(job)
                    self.events += 1
                    changed = True
            ticked = t_capacity <= now
            if ticked:
                changed |= self._tick()
                if next_tick_s <= now:
                    next_tick_s += self.tick_s
                while next_edge < edges_s.size and edges_s[next_edge] <= now:
                    next_edge += 1
            while next_job < n_jobs and arrivals[next_job] <= now:
                s.new_jobs.append(next_job)
                self._arrive(next_job)
                next_job += 1
                self.events += 1
                changed = True
            if changed:
                self._schedule()
            if ticked:
                self._record_queue()
            loops += 1
            if progress is not None and loops % 2048 == 0:
                wall = time.monotonic()
                if wall - last_report > 0.1:
                    progress(now, self.horizon_s, self.events)
                    last_report = wall
        end_s = max(self.horizon_s, s.now_s) if self.drain else self.horizon_s
        s.now_s = end_s
        for job in sorted(s.rows):
            self._stop(job, ENDED_HORIZON)
        if progress is not None:
            progress(end_s, end_s, self.events)
        return SimOutput(s, self.ticks, end_s, self.events, self.max_usable)
