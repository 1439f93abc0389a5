"""The discrete-event loop: job arrivals and completions from a heap, fault hits at their
exact times, interleaved with a fixed physics tick that sets every pool's capacity and
speed factor at once; the policy is asked after each change.

At one instant, events apply in this order: completions, fault hits, the tick, arrivals,
then one scheduling pass. So a gang that ends at the instant of a fault is not hit; a
fault at a tick's instant hits the allocation as it stood before the tick (the tick's
capacity already counts GPUs a fault takes out for good, so no extra preemption
follows); a gang a fault sends back to the queue may restart in the same instant's pass.

Throttling: a gang's speed is the slowest of its pools' speed x that pool's speed factor
at the current tick. When a tick changes it, the gang is re-sped: its log rows close
with "respeed", the work done at the old rate is credited, and the same pieces reopen at
once at the new rate with a new end event; allocation, preemption counts and free GPUs
do not change.

Fault hits: k GPUs of a pool with n in service and a allocated fail at random; the busy
ones among them are hypergeometric (k of n, a busy; all a when k >= n), drawn without
replacement among the pool's allocated GPUs and mapped to the gangs holding them; each
gang hit is interrupted once, in job order: it rolls back to its last checkpoint and
queues again (on_fault "rollback") or fails (on_fault "kill"). Checkpoints fall every
checkpoint interval of a run's time from the run's start (a checkpoint due at the fault's
instant is kept); with no interval a rollback loses all the job's work, and a killed job
loses all of it. The log keeps the GPU time the gang used; the work thrown away is
counted per job (work_lost_s) and taken off work_done_s.

Policy preemption: a policy may return a `Decision` that names running jobs to preempt as
well as placements. The engine stops those gangs first (each keeps all its work, as if it
checkpointed on suspend, counts one preemption and queues again in its old place), then
starts the placements, which may use the GPUs just freed. A policy with `preemptive` set
is asked even when no GPU is free; one may also ask for a pass at a later time
(`Decision.wake_at_s`, e.g. when a running job's priority will drop): that instant's pass
is then held even if nothing else happened (it is never "quiet").

Restart overhead: a gang that starts again after a preemption (by a policy or by lost
capacity) holds its GPUs but does no work for its first `restart_overhead_s`: a stretch at
speed 0 (logged, ended by "respeed"), then it runs on at its gang speed. So the allocation
log still reconciles: the overhead is GPU time allocated that did no work. The end of the
overhead is handled with the completions of its instant but is not an event (it asks for
no pass). Restarts after a fault pay no overhead (the fault's cost is the work rolled back).

Nothing here depends on wall-clock time or unordered containers, and the fault draws
come from a generator seeded from the scenario seed, so the same scenario and seed give
the same results bit for bit.
"""

from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass, field
from typing import Callable, Literal

import numpy as np

from orbitgrid.engine.curtailment import pick_gangs_to_pause
from orbitgrid.engine.state import (
    COMPLETED,
    ENDED_COMPLETED,
    ENDED_FAULT,
    ENDED_HORIZON,
    ENDED_PREEMPTED,
    ENDED_RESPEED,
    FAILED,
    QUEUED,
    RUNNING,
    EngineState,
)
from orbitgrid.policies.base import ClusterView, Decision, Placement, Policy
from orbitgrid.workload.jobs import JobTable
from orbitgrid.world.pools import World

SECONDS_PER_HOUR = 3600.0
FAULT_STREAM = 0xFA017  # second word of the fault generator's seed: its own stream

OnFault = Literal["rollback", "kill"]


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
    # per-pool speed factor at each tick (the same array object while it does not change)
    factor: list[np.ndarray] = field(default_factory=list)
    # per-pool busy draw as a share of full (below 1 while a curtailment power-caps GPUs);
    # empty when nothing is ever capped
    busy_scale: list[np.ndarray] = field(default_factory=list)


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
        seed: int = 0,
        checkpoint_interval_s: float | None = None,
        on_fault: OnFault = "rollback",
        restart_overhead_s: float | None = None,
        on_preemption: str = "keep",
        schedule_interval_s: float | None = None,
        curtailment=None,
    ):
        if schedule_interval_s is not None and not (schedule_interval_s > 0 and math.isfinite(schedule_interval_s)):
            raise ValueError(f"schedule interval must be positive, not {schedule_interval_s}")
        self.schedule_interval_s = schedule_interval_s
        if checkpoint_interval_s is not None and not checkpoint_interval_s > 0:
            raise ValueError(f"checkpoint interval must be positive, not {checkpoint_interval_s}")
        if restart_overhead_s is None:  # the policy carries the scenario's setting
            restart_overhead_s = float(getattr(policy, "restart_overhead_s", 0.0) or 0.0)
        if not (restart_overhead_s >= 0 and math.isfinite(restart_overhead_s)):
            raise ValueError(f"restart overhead must be finite and >= 0, not {restart_overhead_s}")
        self.restart_overhead_s = float(restart_overhead_s)
        if on_fault not in ("rollback", "kill"):
            raise ValueError(f"unknown on_fault {on_fault!r}")
        if on_preemption not in ("keep", "rollback"):
            raise ValueError(f"unknown on_preemption {on_preemption!r}")
        self.on_preemption = on_preemption
        self.world = world
        self.jobs = jobs
        self.policy = policy
        self.horizon_s = horizon_s
        self.tick_s = tick_s
        self.drain = drain
        self.stop_s = horizon_s + (drain_limit_s if drain_limit_s is not None else 100.0 * horizon_s) if drain else horizon_s
        self.s = EngineState(world, jobs)
        self.s.restart_overhead_s = self.restart_overhead_s
        self.heap: list[tuple[float, int, int]] = []  # (end_s, job, epoch)
        self.ticks = TickRecord([], [], [], [], [], [])
        self.events = 0
        self._changes_at_pass = -1
        self._wake_s = math.inf  # a pass the policy asked for, if nothing else happens first
        self._woken = False  # this instant's pass is the one it asked for
        self.checkpoint_interval_s = checkpoint_interval_s
        self.on_fault = on_fault
        self.rng = np.random.default_rng([int(seed), FAULT_STREAM])
        # speed factors are read each tick only if some pool is ever throttled
        f = world.orbital_speed_factor
        self._throttled = bool(world.orbital_pools.size and f.size and (f != 1.0).any())
        self._throttled |= bool((world.pool_speed_factor != 1.0).any())  # standing power caps
        self.dr = curtailment  # engine/curtailment.py: CurtailmentController, or None
        if self.dr is not None and self.dr.capping:
            self._throttled = True
        self._may_pause = jobs.may_pause()
        self._sharing = bool(self.s.fractional.any())  # fractional jobs: shared GPUs may have room
        self._min_gang = self.s.min_gang.tolist()  # gang bounds as Python ints, read per start
        self._max_gang_of = jobs.gpus.tolist()
        # the largest gang each type set could ever get, with all GPUs in service
        usable = world.max_usable()
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
        n = int(self.s.min_gang[job])  # an elastic job needs only its smallest gang
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
        if not self._min_gang[job] <= n <= self._max_gang_of[job] or min(gpu_list) <= 0:
            want = (f"{self.jobs.gpus[job]}" if s.min_gang[job] == self.jobs.gpus[job]
                    else f"{s.min_gang[job]} to {self.jobs.gpus[job]}")
            raise PolicyError(f"job {job} wants {want} GPUs, placement gives {gpu_list}")
        if len(set(pool_list)) != len(pool_list) or not s.type_set_masks[self.jobs.type_set[job]][pools].all():
            raise PolicyError(f"job {job} placed on pools it may not use: {pool_list}")
        if len(pool_list) > 1 and len(set(w.domain[pools].tolist())) != 1:
            raise PolicyError(f"job {job} split across training domains")
        fractional = self._sharing and bool(s.fractional[job])
        if fractional:  # a share of one GPU: an open shared GPU with room, or a newly opened one
            if len(pool_list) != 1 or n != 1:
                raise PolicyError(f"job {job} uses part of one GPU, placement gives {gpu_list} on {pool_list}")
            if s.shared.best_fit(pool_list[0], int(s.milli[job])) < 0 and s.allocated[pools[0]] + 1 > s.capacity[pools[0]]:
                raise PolicyError(f"job {job} placed beyond capacity of pools {pool_list}")
        elif (s.allocated[pools] + gpus > s.capacity[pools]).any():
            raise PolicyError(f"job {job} placed beyond capacity of pools {pool_list}")
        speed = w.gang_speed(pools, s.factor, s.pool_speeds[s.speed_row[job]])
        s.dequeue(job, RUNNING)
        s.changes += 1
        if fractional:
            if s.shared.place(job, pool_list[0], int(s.milli[job])):
                s.allocated[pools[0]] += 1
            gpu_list = [0]  # its pieces row holds no whole GPU (the shared GPU is the pool's)
        else:
            s.allocated[pools] += gpus
        s.speed[job] = speed
        s.run_gpus[job] = n
        s.rate[job] = n * float(s.share[job]) * speed if fractional else n * speed
        s.run_start_s[job] = s.seg_start_s[job] = s.now_s
        s.ckpt_work_s[job] = s.work_done_s[job]  # a run starts from what the job kept
        if math.isnan(s.first_start_s[job]):
            s.first_start_s[job] = s.now_s
        end_s = self._end_s(job)
        event_s = end_s
        if s.restart_due[job] and self.restart_overhead_s > 0:
            # no work until the overhead is over: a stretch at speed 0, then the gang speed
            event_s = s.warm_until_s[job] = s.now_s + self.restart_overhead_s
            left = self.jobs.work_ref_gpu_s[job] - s.work_done_s[job]
            # its expected end (for reservations), as _respeed will compute it then
            end_s = event_s + left / s.rate[job] if s.rate[job] > 0 else math.inf
            s.speed[job] = s.rate[job] = 0.0
        s.restart_due[job] = False
        s.rows[job] = [s.pieces.add(job, p, g, end_s) for p, g in zip(pool_list, gpu_list)]
        heapq.heappush(self.heap, (event_s, job, int(s.epoch[job])))

    def _end_s(self, job: int) -> float:
        """When the running gang finishes at its current rate (never, at rate 0)."""
        s = self.s
        rate = s.rate[job]
        return s.now_s + (self.jobs.work_ref_gpu_s[job] - s.work_done_s[job]) / rate if rate > 0 else math.inf

    def _close_segment(self, job: int, why: int) -> None:
        """Log the gang's rows for its current constant-speed stretch, up to now, and credit
        the GPU time and the work done in it. Its GPUs stay allocated."""
        s = self.s
        start = float(s.seg_start_s[job])
        elapsed = s.now_s - start
        for row in s.rows[job]:
            pool = int(s.pieces.pool[row])
            gpus = float(s.share[job]) if s.fractional[job] else int(s.pieces.gpus[row])
            s.allocated_gpu_s[job] += gpus * elapsed
            s.log.append(job, pool, gpus, start, s.now_s, float(s.speed[job]), why)
        if why == ENDED_COMPLETED:
            s.work_done_s[job] = self.jobs.work_ref_gpu_s[job]
        else:
            s.work_done_s[job] = min(s.work_done_s[job] + elapsed * s.rate[job], self.jobs.work_ref_gpu_s[job])
        s.seg_start_s[job] = s.now_s

    def _work_at_checkpoint(self, job: int) -> float:
        """What the running gang would keep if it stopped now and went back to its last
        checkpoint: checkpoints fall every `checkpoint_interval_s` of run time from the
        run's start, and a run starts from a checkpoint. Without an interval: nothing."""
        s, every = self.s, self.checkpoint_interval_s
        if every is None:
            return 0.0
        start = float(s.run_start_s[job])
        t_ckpt = start + math.floor((s.now_s - start) / every) * every
        if t_ckpt >= s.seg_start_s[job]:  # in the current stretch: its work so far + rate x time
            kept = s.work_done_s[job] + (t_ckpt - s.seg_start_s[job]) * s.rate[job]
        else:  # before this stretch began, at another speed: as recorded then
            kept = s.ckpt_work_s[job]
        return min(float(kept), float(self.jobs.work_ref_gpu_s[job]))

    def _stop(self, job: int, why: int) -> None:
        """End a running gang's allocation: log it, free its GPUs, credit its work."""
        s = self.s
        s.changes += 1
        self._close_segment(job, why)
        for row in s.rows.pop(job):
            s.allocated[int(s.pieces.pool[row])] -= int(s.pieces.gpus[row])
            s.pieces.remove(row)
        if s.fractional[job]:
            pool, closed = s.shared.release(job)
            if closed:
                s.allocated[pool] -= 1
        s.rate[job] = 0.0
        s.warm_until_s[job] = math.nan

    def _complete(self, job: int) -> None:
        self._stop(job, ENDED_COMPLETED)
        self.s.state[job] = COMPLETED
        self.s.end_s[job] = self.s.now_s

    def _preempt(self, job: int) -> None:
        """Stop the gang and queue it again. It keeps all its work (a checkpoint on suspend,
        `on_preemption: keep`) or goes back to its last periodic checkpoint (`rollback`)."""
        s = self.s
        kept = self._work_at_checkpoint(job) if self.on_preemption == "rollback" else None
        self._stop(job, ENDED_PREEMPTED)
        if kept is not None:
            kept = min(kept, float(s.work_done_s[job]))
            lost = float(s.work_done_s[job]) - kept
            s.work_lost_s[job] += lost
            s.work_lost_preemption_s[job] += lost
            s.work_done_s[job] = kept
        s.epoch[job] += 1
        s.preemptions[job] += 1
        s.restart_due[job] = True
        s.enqueue(job)

    def _gang_speed(self, job: int) -> float:
        """The slowest of the gang's pools' speed (for this job) x this tick's speed factor."""
        pools = self.s.pieces.pool[self.s.rows[job]]
        return self.world.gang_speed(pools, self.s.factor, self.s.pool_speeds[self.s.speed_row[job]])

    def _end_warmup(self, job: int) -> None:
        """The restart overhead is over: the gang runs on at its speed from now."""
        s = self.s
        expected = float(s.pieces.end_s[s.rows[job][0]])
        s.warm_until_s[job] = math.nan
        self._respeed(job, self._gang_speed(job))
        if float(s.pieces.end_s[s.rows[job][0]]) != expected:
            s.version += 1  # (throttling changed while it warmed up)

    def _respeed(self, job: int, speed: float) -> None:
        """The running gang goes on at `speed` from now on the same GPUs: close its rows at
        the old speed, reopen them at the new one with a new end event."""
        s = self.s
        if s.now_s > s.seg_start_s[job]:  # (a stretch of no length leaves no rows)
            s.ckpt_work_s[job] = self._work_at_checkpoint(job)  # the last checkpoint up to now
            self._close_segment(job, ENDED_RESPEED)
        s.speed[job] = speed
        s.rate[job] = float(s.run_gpus[job]) * s.share[job] * speed
        s.epoch[job] += 1  # the old end event is stale
        end_s = self._end_s(job)
        for row in s.rows[job]:
            s.pieces.end_s[row] = end_s
        heapq.heappush(self.heap, (end_s, job, int(s.epoch[job])))

    def _set_speed_factors(self, factor: np.ndarray) -> bool:
        """Take this tick's speed factors; re-speed the running gangs whose speed they change.
        Returns whether any gang's speed changed."""
        s, w = self.s, self.world
        moved = factor != s.factor
        s.factor = factor
        p = s.pieces
        rows = np.flatnonzero(p.active[: p.size] & moved[p.pool[: p.size]])
        respeeded = False
        for job in np.unique(p.job[rows]).tolist():
            pools = p.pool[s.rows[job]]
            speed = w.gang_speed(pools, factor, s.pool_speeds[s.speed_row[job]])
            if not math.isnan(s.warm_until_s[job]):  # no work yet: only its expected end moves
                rate = float(s.run_gpus[job]) * s.share[job] * speed
                left = self.jobs.work_ref_gpu_s[job] - s.work_done_s[job]
                end_s = s.warm_until_s[job] + left / rate if rate > 0 else math.inf
                if end_s != p.end_s[s.rows[job][0]]:
                    p.end_s[s.rows[job]] = end_s
                    respeeded = True
                continue
            if speed != s.speed[job]:
                self._respeed(job, speed)
                respeeded = True
        if respeeded:
            s.version += 1  # expected ends moved: reservations go stale
            s.changes += 1
        return respeeded

    def _fault(self, i: int) -> bool:
        """Fault hit i: its GPUs fail at random; interrupt every gang on a busy one.
        Returns whether any gang was hit."""
        s, w = self.s, self.world
        s.fault_hits += 1
        pool, k = int(w.fault_pool[i]), int(w.fault_gpus[i])
        n, a = int(s.in_service[pool]), int(s.allocated[pool])
        if a <= 0 or k <= 0:
            return False
        busy_hit = a if k >= n else int(self.rng.hypergeometric(a, max(n - a, 0), k))
        if busy_hit <= 0:
            return False
        p = s.pieces
        rows = np.flatnonzero(p.active[: p.size] & (p.pool[: p.size] == pool) & (p.gpus[: p.size] > 0))
        rows = rows[np.argsort(p.job[rows], kind="stable")]  # the pool's busy GPUs, in job order
        ends = np.cumsum(p.gpus[rows])
        whole = int(ends[-1]) if ends.size else 0
        hit = self.rng.choice(a, size=busy_hit, replace=False)
        jobs = set(p.job[rows[np.searchsorted(ends, hit[hit < whole], side="right")]].tolist())
        shared = s.shared.open_gpus(pool)  # then the pool's shared GPUs: every job on a hit one
        for h in hit[hit >= whole].tolist():
            jobs.update(shared[h - whole])
        for job in sorted(jobs):
            self._interrupt(job, pool)
        s.version += 1
        return True

    def _interrupt(self, job: int, pool: int) -> None:
        """A fault stopped the gang: the work since its last checkpoint is lost and it queues
        again (rollback), or all its work is lost and it fails (kill)."""
        s = self.s
        kept = self._work_at_checkpoint(job) if self.on_fault == "rollback" else 0.0
        self._stop(job, ENDED_FAULT)
        kept = min(kept, float(s.work_done_s[job]))
        s.work_lost_s[job] += s.work_done_s[job] - kept
        s.work_done_s[job] = kept
        s.epoch[job] += 1
        s.fault_interruptions[job] += 1
        if self.on_fault == "kill":
            s.fault_kills += 1
            s.state[job] = FAILED
            s.end_s[job] = s.now_s
            s.fail_reason[job] = (
                f"killed by a fault at t={s.now_s / SECONDS_PER_HOUR:.3f} h on pool {self.world.pool_names[pool]}"
            )
        else:
            s.enqueue(job)

    def _tick(self) -> bool:
        """Set every pool's capacity and speed factor for this tick; preempt the newest gangs
        where capacity fell below what is allocated, then re-speed the gangs whose speed
        changed. Returns whether capacity or any gang's speed changed.

        With curtailment events (engine/curtailment.py), the capacity the scheduler sees is
        further held to what keeps each site under its event's target: sites still above it
        after the power cap pause preemptible gangs (as few GPU-watts as will do; gangs that
        may not be paused stay); under a notice nothing is stopped, only new starts are
        held back."""
        s = self.s
        pue = self.world.site_pue_at(s.now_s)  # once a tick: the grid cap and curtailment both read it
        in_service, capacity = self.world.capacity_at(s.now_s, pue)
        physical = capacity
        self._shrink_to(physical, lambda job: True)
        if self.dr is not None:
            self.dr.update(s.now_s, s.allocated, in_service, pue)
            self._pause_to_targets(in_service, pue)
            self.dr.set_limits(s.allocated, in_service, pue)
            capacity = np.minimum(physical, self.dr.limit)
        changed = not np.array_equal(capacity, s.capacity)
        s.in_service, s.capacity = in_service, capacity
        if changed:
            s.version += 1
            s.changes += 1
        if self._throttled:
            factor = self.world.speed_factor_at(s.now_s)
            if self.dr is not None:
                factor = factor * self.dr.factor
            if not np.array_equal(factor, s.factor):
                changed |= self._set_speed_factors(factor)
        t = self.ticks
        t.time_s.append(s.now_s)
        t.capacity.append(physical)
        t.in_service.append(in_service)
        t.factor.append(s.factor)
        if self.dr is not None and self.dr.capping:
            last = t.busy_scale[-1] if t.busy_scale else None
            t.busy_scale.append(last if last is not None and np.array_equal(last, self.dr.scale) else self.dr.scale.copy())
        return changed

    def _pause_to_targets(self, in_service: np.ndarray, pue_site: np.ndarray) -> None:
        """Where a site is above its running event's target, pause preemptible gangs on it,
        as few GPU-watts as will do (engine/curtailment.py: pick_gangs_to_pause, newest
        first among equals), then newest first if shared GPUs kept it above."""
        s, w, dr = self.s, self.world, self.dr
        for site, target in sorted(dr.site_target_w.items()):
            excess_w = dr.site_power_w(site, s.allocated, in_service, pue_site) - target
            if excess_w <= target * 1e-9:
                continue
            p = s.pieces
            rows = np.flatnonzero(p.active[: p.size] & (w.pool_site[p.pool[: p.size]] == site))
            # what pausing each gang saves at the meter: its GPUs' swing over idle on this site
            jobs, at = np.unique(p.job[rows], return_inverse=True)
            piece_w = p.gpus[rows] * dr.busy_swing_w()[p.pool[rows]] * float(pue_site[site])
            freed_w = np.bincount(at, weights=piece_w, minlength=jobs.size)
            keep = self._may_pause[jobs] & (s.state[jobs] == RUNNING)
            jobs, freed_w = jobs[keep], freed_w[keep]
            if jobs.size == 0:
                continue
            newest = np.lexsort((-jobs, -s.run_start_s[jobs]))  # newest first
            jobs, freed_w = jobs[newest], freed_w[newest]
            chosen = pick_gangs_to_pause(freed_w, excess_w)
            for job in jobs[chosen].tolist():
                self._preempt(int(job))
            for job in jobs.tolist():  # a fallback: shared GPUs are freed only when empty
                if dr.site_power_w(site, s.allocated, in_service, pue_site) <= target * (1.0 + 1e-9):
                    break
                if s.state[job] == RUNNING:
                    self._preempt(int(job))

    def _shrink_to(self, limit: np.ndarray, may_stop) -> None:
        """Preempt the newest gangs of each pool allocated beyond `limit`, among those
        `may_stop` allows, until it fits or none is left."""
        s = self.s
        for pool in np.flatnonzero(s.allocated > limit):
            p = s.pieces
            rows = np.flatnonzero(p.active[: p.size] & (p.pool[: p.size] == pool))
            victims = p.job[rows]
            order = np.lexsort((-victims, -s.run_start_s[victims]))  # newest first
            for job in victims[order]:
                if s.allocated[pool] <= limit[pool]:
                    break
                if s.state[job] == RUNNING and may_stop(int(job)):
                    self._preempt(int(job))

    def _record_queue(self) -> None:
        """The queue as it stands once every event of a tick's instant has been handled."""
        s, t = self.s, self.ticks
        t.queued_jobs.append(s.n_queued)
        t.queued_gpus.append(s.queued_gpus)
        t.running_jobs.append(len(s.rows))

    def _schedule(self) -> None:
        """One scheduling pass: ask the policy (if a job waits and a GPU is free, or an open
        shared GPU has room, or always for a preemptive policy), then apply its preemptions
        and then its placements."""
        s = self.s
        woken, self._woken = self._woken, False
        self._wake_s = math.inf
        preemptive = bool(getattr(self.policy, "preemptive", False))
        sharing_room = self._sharing and s.shared.has_room()  # a share may fit an open shared GPU
        if s.n_queued and (preemptive or sharing_room or (s.capacity > s.allocated).any()):
            # a pass the policy asked for is never quiet: time changed its priorities
            s.quiet = s.changes == self._changes_at_pass and not woken
            decision = self.policy.decide(ClusterView(s))
        else:
            decision = []
        # a pass that starts nothing leaves every verdict standing until something changes
        self._changes_at_pass = s.changes
        s.new_jobs = []
        if isinstance(decision, Decision):
            preempt, placements, wake_s = decision.preempt, decision.start, decision.wake_at_s
        else:
            preempt, placements, wake_s = (), decision, None
        if len(preempt):
            for job in preempt:
                job = int(job)
                if not (0 <= job < len(self.jobs)) or s.state[job] != RUNNING:
                    raise PolicyError(f"job {job} preempted but not running")
                self._preempt(job)
            s.version += 1  # GPUs freed before their expected end: reservations go stale
        for placement in placements:
            self._start(placement)
        if wake_s is not None and wake_s > s.now_s:
            self._wake_s = float(wake_s)

    def _between_passes(self, now: float) -> bool:
        """A periodic scheduler (schedule_interval_s) decides only at multiples of its
        interval: off one, defer the pass to the next (as a wake-up) and say so."""
        every = self.schedule_interval_s
        if every is None:
            return False
        k = round(now / every)
        if abs(now - k * every) <= 1e-9 * max(1.0, abs(now)):
            return False
        boundary = (math.floor(now / every) + 1) * every
        self._wake_s = min(self._wake_s, boundary)
        self._woken = False
        return True

    # --- the loop ------------------------------------------------------------------
    def run(self, progress: ProgressFn | None = None) -> SimOutput:
        s, jobs, heap = self.s, self.jobs, self.heap
        arrivals = jobs.arrival_s
        n_jobs = len(jobs)
        next_job = 0
        next_tick_s = 0.0
        # capacity is also set at the edges of outages, so none falls between ticks unseen
        edges_s = self.world.change_times_s()
        if self.dr is not None:
            edges_s = np.union1d(edges_s, self.dr.plan.edges_s())
        edges_s = edges_s[edges_s > 0.0]
        next_edge = 0
        fault_s = self.world.fault_time_s
        next_fault = int(np.searchsorted(fault_s, 0.0, side="left"))  # none before the start
        n_faults = fault_s.size
        loops = 0
        last_report = time.monotonic()
        while True:
            t_arrival = arrivals[next_job] if next_job < n_jobs else math.inf
            t_done = heap[0][0] if heap else math.inf
            t_capacity = min(next_tick_s, edges_s[next_edge] if next_edge < edges_s.size else math.inf)
            t_fault = fault_s[next_fault] if next_fault < n_faults else math.inf
            t_wake = self._wake_s
            now = min(t_arrival, t_done, t_capacity, t_fault, t_wake)
            if now >= self.stop_s:
                break
            if now >= self.horizon_s and (not self.drain or (not heap and not s.n_queued)):
                break
            s.now_s = now
            changed = False
            while heap and heap[0][0] <= now:
                _, job, epoch = heapq.heappop(heap)
                if epoch == s.epoch[job] and s.state[job] == RUNNING:
                    if not math.isnan(s.warm_until_s[job]):
                        self._end_warmup(job)  # not an event a policy needs to see
                        continue
                    self._complete(job)
                    self.events += 1
                    changed = True
            while next_fault < n_faults and fault_s[next_fault] <= now:
                changed |= self._fault(next_fault)
                next_fault += 1
                self.events += 1
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
            if t_wake <= now:  # the pass the policy asked for
                self._wake_s = math.inf
                self._woken = True
            if (changed or self._woken) and not self._between_passes(now):
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
