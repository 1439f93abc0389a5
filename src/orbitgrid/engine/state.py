"""The engine's mutable state: pool occupancy, the queue, running gangs, and per-job progress."""

from __future__ import annotations

import bisect
from array import array

import numpy as np

from orbitgrid.engine.sharing import SharedGpus
from orbitgrid.workload.jobs import JobTable
from orbitgrid.world.pools import World

# job states, as stored
PENDING, QUEUED, RUNNING, COMPLETED, FAILED = 0, 1, 2, 3, 4
STATE_NAMES = ("pending", "queued", "running", "completed", "failed")
# why an allocation interval ended (codes are stored: append new ones, never renumber).
# "respeed": the gang runs on, on the same GPUs, at a new speed from this instant (a log
# row per constant-speed stretch); "fault": a fault hit one of its GPUs.
ENDED_COMPLETED, ENDED_PREEMPTED, ENDED_HORIZON, ENDED_RESPEED, ENDED_FAULT = 0, 1, 2, 3, 4
ENDED_NAMES = ("completed", "preempted", "horizon", "respeed", "fault")


class Pieces:
    """Running allocations, one row per (job, pool), in growable numpy arrays so that
    reservations can be computed over all running work at once."""

    def __init__(self, capacity: int = 1024):
        self.job = np.zeros(capacity, dtype=np.int64)
        self.pool = np.zeros(capacity, dtype=np.int64)
        self.gpus = np.zeros(capacity, dtype=np.int64)
        self.end_s = np.zeros(capacity, dtype=np.float64)
        self.active = np.zeros(capacity, dtype=bool)
        self.size = 0
        self._free_rows: list[int] = []

    def add(self, job: int, pool: int, gpus: int, end_s: float) -> int:
        if self._free_rows:
            row = self._free_rows.pop()
        else:
            if self.size == self.job.shape[0]:
                self._grow()
            row = self.size
            self.size += 1
        self.job[row], self.pool[row], self.gpus[row], self.end_s[row] = job, pool, gpus, end_s
        self.active[row] = True
        return row

    def remove(self, row: int) -> None:
        self.active[row] = False
        self._free_rows.append(row)

    def _grow(self) -> None:
        for name in ("job", "pool", "gpus", "end_s", "active"):
            old = getattr(self, name)
            new = np.zeros(old.shape[0] * 2, dtype=old.dtype)
            new[: old.shape[0]] = old
            setattr(self, name, new)


class AllocationLog:
    """Closed allocation intervals, appended as gangs end: compact typed arrays, not objects."""

    def __init__(self) -> None:
        self.job = array("q")
        self.pool = array("q")
        self.gpus = array("d")  # whole GPUs, or a fractional job's share of one
        self.start_s = array("d")
        self.end_s = array("d")
        self.speed = array("d")
        self.ended_by = array("b")

    def append(self, job: int, pool: int, gpus: float, start_s: float, end_s: float, speed: float, why: int) -> None:
        self.job.append(job)
        self.pool.append(pool)
        self.gpus.append(gpus)
        self.start_s.append(start_s)
        self.end_s.append(end_s)
        self.speed.append(speed)
        self.ended_by.append(why)

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "job": np.frombuffer(self.job, dtype=np.int64).copy(),
            "pool": np.frombuffer(self.pool, dtype=np.int64).copy(),
            "gpus": np.frombuffer(self.gpus, dtype=np.float64).copy(),
            "start_s": np.frombuffer(self.start_s, dtype=np.float64).copy(),
            "end_s": np.frombuffer(self.end_s, dtype=np.float64).copy(),
            "speed": np.frombuffer(self.speed, dtype=np.float64).copy(),
            "ended_by": np.frombuffer(self.ended_by, dtype=np.int8).copy(),
        }


class EngineState:
    """Everything that changes during a run. Policies read it through a ClusterView."""

    def __init__(self, world: World, jobs: JobTable):
        n = len(jobs)
        self.world = world
        self.jobs = jobs
        self.type_set_masks = world.type_set_masks(jobs)
        # pools x training domains, for per-domain sums as one matrix product
        self.domain_onehot = np.zeros((world.n_pools, world.n_domains), dtype=np.int64)
        self.domain_onehot[np.arange(world.n_pools), world.domain] = 1
        self.type_set_pools = [np.flatnonzero(m) for m in self.type_set_masks]
        # per-job speeds: row speed_row[j] of pool_speeds is job j's speed on each pool
        self.pool_speeds = world.job_pool_speeds(jobs)  # (1 + C, P)
        self.speed_row = (jobs.speed_classes() + 1).astype(np.int64)
        # the fastest GPU each job may use: bounds its runtime from below (computed once per
        # distinct (speed row, type set) pair)
        self.job_max_speed = _max_speed_per_job(self.pool_speeds, self.speed_row, self.type_set_masks, jobs.type_set)
        self.now_s = 0.0
        self.version = 0  # capacity changes and preemptions: reservations go stale
        self.changes = 0  # any start, stop or capacity change
        self.quiet = False  # set by the engine for each pass: only arrivals since the last
        self.restart_overhead_s = 0.0  # set by the engine: no work for this long after a preemption
        self.new_jobs: list[int] = []
        self.capacity = np.zeros(world.n_pools, dtype=np.int64)
        self.in_service = np.zeros(world.n_pools, dtype=np.int64)
        self.allocated = np.zeros(world.n_pools, dtype=np.int64)
        # per pool: the share of full speed its GPUs run at this tick (1 unless throttled);
        # replaced, never changed in place, so the tick record may share it
        self.factor = np.ones(world.n_pools)
        self.queue: list[tuple[int, float, int]] = []  # (-priority, arrival_s, job), kept sorted
        self._front = 0
        self._live: set[int] = set()  # jobs whose key is live
        self.n_queued = 0
        self.queued_gpus = 0
        self.state = np.zeros(n, dtype=np.int8)
        self.work_done_s = np.zeros(n, dtype=np.float64)  # reference-GPU-seconds done
        self.run_start_s = np.full(n, np.nan)  # start of the current run (checkpoints count from it)
        self.seg_start_s = np.full(n, np.nan)  # start of the current constant-speed stretch of it
        # reference-GPU-seconds the job had done at its last checkpoint before seg_start_s
        self.ckpt_work_s = np.zeros(n, dtype=np.float64)
        self.first_start_s = np.full(n, np.nan)
        self.end_s = np.full(n, np.nan)
        self.rate = np.zeros(n, dtype=np.float64)  # reference-GPU-seconds per second while running
        self.speed = np.zeros(n, dtype=np.float64)
        self.min_gang = np.asarray(jobs.min_gang(), dtype=np.int64)  # = gpus unless elastic
        self.run_gpus = np.zeros(n, dtype=np.int64)  # GPUs of the current (or last) run
        # fractional jobs: thousandths of a GPU; `share` = GPUs' worth of work per GPU held
        self.milli = np.asarray(jobs.milli(), dtype=np.int64)
        self.fractional = self.milli < 1000
        self.share = self.milli / 1000.0
        self.shared = SharedGpus(world.n_pools)
        self.any_fractional = bool(self.fractional.any())
        self.epoch = np.zeros(n, dtype=np.int32)
        self.preemptions = np.zeros(n, dtype=np.int32)
        # preempted since its last start: its next start pays the restart overhead
        self.restart_due = np.zeros(n, dtype=bool)
        # while a restarted gang does no work yet (restart overhead): when it starts to; else NaN
        self.warm_until_s = np.full(n, np.nan)
        self.fault_interruptions = np.zeros(n, dtype=np.int32)
        self.work_lost_s = np.zeros(n, dtype=np.float64)  # reference-GPU-seconds thrown away (faults, preemptions)
        self.work_lost_preemption_s = np.zeros(n, dtype=np.float64)  # of work_lost_s: thrown away by preemptions
        self.fault_hits = 0  # fault hit events processed
        self.fault_kills = 0  # jobs failed by a fault (on_fault: kill)
        self.allocated_gpu_s = np.zeros(n, dtype=np.float64)  # second ledger, checked against the log
        self.fail_reason: dict[int, str] = {}
        self.rows: dict[int, list[int]] = {}  # running job -> its rows in pieces
        self.pieces = Pieces()
        self.log = AllocationLog()

    # The queue is a sorted list of keys (-priority, arrival_s, job). Starting a job does
    # not delete its key (a deletion near the head of a long list moves the whole list):
    # a key is live while its job is QUEUED; dead keys are skipped, and swept out once
    # they outnumber the live ones. `_front` is the first key that may be live.
    def enqueue(self, job: int) -> None:
        key = self._key(job)
        i = bisect.bisect_left(self.queue, key)
        if i == len(self.queue) or self.queue[i] != key:  # else: its dead key comes back to life
            self.queue.insert(i, key)
        self._front = min(self._front, i)
        self._live.add(job)
        self.n_queued += 1
        self.queued_gpus += int(self.jobs.gpus[job])
        self.state[job] = QUEUED

    def dequeue(self, job: int, new_state: int) -> None:
        """Take a queued job off the queue, into `new_state`."""
        if self.state[job] != QUEUED:
            raise AssertionError(f"job {job} is not in the queue")
        self.state[job] = new_state
        self._live.discard(job)
        self.n_queued -= 1
        self.queued_gpus -= int(self.jobs.gpus[job])
        if len(self.queue) > 1024 and len(self.queue) > 2 * self.n_queued:
            live = self._live
            self.queue = [key for key in self.queue if key[2] in live]
            self._front = 0

    def queue_head(self, limit: int) -> list[int]:
        """The first `limit` queued jobs, in queue order."""
        queue, live = self.queue, self._live
        i = self._front
        while i < len(queue) and queue[i][2] not in live:
            i += 1
        self._front = i
        out: list[int] = []
        end = len(queue)
        while i < end and len(out) < limit:
            job = queue[i][2]
            if job in live:
                out.append(job)
            i += 1
        return out

    def queued_jobs(self) -> np.ndarray:
        """Every queued job, by job id (for policies that order the queue their own way)."""
        return np.sort(np.fromiter(self._live, dtype=np.int64, count=len(self._live)))

    def running_jobs(self) -> np.ndarray:
        """Every running job, by job id."""
        return np.sort(np.fromiter(self.rows, dtype=np.int64, count=len(self.rows)))

    def _key(self, job: int) -> tuple[int, float, int]:
        return (-int(self.jobs.priority[job]), float(self.jobs.arrival_s[job]), job)

    def release_profile(self, pool_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p = self.pieces
        sel = p.active[: p.size] & pool_mask[p.pool[: p.size]]
        end_s = p.end_s[: p.size][sel]
        gpus = p.gpus[: p.size][sel]
        order = np.argsort(end_s, kind="stable")
        return end_s[order], gpus[order]


def _max_speed_per_job(pool_speeds: np.ndarray, speed_row: np.ndarray, type_set_masks: np.ndarray,
                       type_set: np.ndarray) -> np.ndarray:
    """Per job: the highest speed on any pool its type set allows (0 if none)."""
    if speed_row.size == 0:
        return np.zeros(0)
    n_sets = type_set_masks.shape[0]
    key = speed_row * n_sets + type_set.astype(np.int64)
    pairs, inverse = np.unique(key, return_inverse=True)
    rows, sets = np.divmod(pairs, n_sets)
    best = np.where(type_set_masks[sets], pool_speeds[rows], 0.0).max(axis=1, initial=0.0)
    return best[inverse]
