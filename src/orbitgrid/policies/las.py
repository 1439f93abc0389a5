"""Tiresias' discretised 2D-LAS: jobs with the least attained service (GPUs x time) run
first, in K priority queues, preempting jobs of lower queues.

J. Gu, M. Chowdhury, K. G. Shin, Y. Zhu, M. Jeon, J. Qian, H. Liu, C. Guo, "Tiresias: A GPU
Cluster Manager for Distributed Deep Learning", NSDI 2019 (section 3, Discretized 2D-LAS),
and the authors' simulator (github.com/SymbioticLab/Tiresias, simulator/run_sim.py,
`dlas_sim_jobs`, scheme "dlas-gpu"). Least-attained-service itself is the foreground-
background queue (Nuyens & Wierman, Performance Evaluation 65(3-4), 2008).

Attained service is GPU-seconds held: gang size x time allocated, over all runs (as
Tiresias' "dlas-gpu" counts executed time x GPUs; not weighted by GPU speed). A job enters
queue 0 on arrival and drops to queue k once its attained service reaches threshold k-1
(`las_thresholds_gpu_h`; default 3250 and 7200 GPU-seconds with 3 queues, the simulator's
`queue_limit` with `num_queue = 3`). Queues are served in order, each first in, first out
by the time a job entered it; a queued job that does not fit preempts running jobs of
lower queues, lowest first (the last to enter the lowest queue first), only as many as
make room; it never preempts a job of its own queue. A job that finds no room is passed
over, as in the simulator. Job priority (larger first) comes before the queues.

Starvation (`las_promote_knob`, Tiresias' PROMOTEKNOB; the simulator's solve_starvation):
a queued job below queue 0 that has waited, since it first started or was last promoted,
knob x as long as it has run in that span goes back to queue 0 with its count reset.
Default: off, as in "dlas-gpu" (the authors also ran knobs 0.5 to 1000).

Demotions and promotions happen at their exact times: the policy asks the engine for a
pass at the next one (`Decision.wake_at_s`). A preempted job keeps its work (a checkpoint
on suspend, as Tiresias' simulator assumes) and, with `restart_overhead_s`, pays that much
idle time when it starts again. Per pass the cost is a few sorts of the running and
queued jobs plus `priority_pass.py`'s loop.
"""

from __future__ import annotations

import math

import numpy as np

from orbitgrid.policies.base import ClusterView, Decision
from orbitgrid.policies.priority_pass import priority_pass
from orbitgrid.policies.registry import register_policy
from orbitgrid.scenario import PolicySpec

SECONDS_PER_HOUR = 3600.0
EPS_S = 1e-6  # a threshold crossing or promotion due within a microsecond counts as due now


@register_policy("las")
class DiscretizedLasPolicy:
    preemptive = True

    def __init__(self, spec: PolicySpec) -> None:
        self.spec = spec
        self.restart_overhead_s = float(spec.restart_overhead_s)
        self.thresholds = np.asarray(spec.las_thresholds_gpu_h, dtype=np.float64) * SECONDS_PER_HOUR  # GPU-s
        self.knob = spec.las_promote_knob
        self.within_queue = spec.las_preempt_within_queue
        self._n = -1

    def _setup(self, n: int) -> None:
        self._n = n
        self.level = np.full(n, -1, dtype=np.int64)  # queue; -1: not seen yet
        self.entered_s = np.zeros(n)  # when it entered its queue
        self.offset = np.zeros(n)  # attained service at its last promotion (counts from there)
        self.since_s = np.full(n, np.nan)  # last promotion (starvation clock); NaN: first start
        self.run_t0 = np.zeros(n)  # start of its latest run, and its attained service then
        self.run_a0 = np.zeros(n)
        self.rank = np.zeros(n, dtype=np.int64)
        self._flag = np.zeros(n, dtype=bool)
        self.klass = np.zeros(n, dtype=np.int64)

    def decide(self, view: ClusterView) -> Decision:
        jobs, now = view.jobs, view.now_s
        if self._n != len(jobs):
            self._setup(len(jobs))
        queued = view.queued_jobs()
        running = view.running_jobs()
        cand = np.concatenate([queued, running])
        held = view.running_gpus(cand)  # GPUs of the latest run (an elastic job's may be fewer)
        gpus = np.where(held > 0, held, jobs.gpus[cand]).astype(np.float64)
        attained = view.attained_gpu_s(cand)

        # first sight (every job is seen queued, on arrival): queue 0
        new = self.level[cand] < 0
        if new.any():
            self.level[cand[new]] = 0
            self.entered_s[cand[new]] = jobs.arrival_s[cand[new]]

        # demotions: the queue its attained service (since its last promotion) puts it in
        service = attained - self.offset[cand]
        level = np.searchsorted(self.thresholds, service + gpus * EPS_S, side="right")
        down = level > self.level[cand]
        if down.any():
            j = cand[down]
            # it crossed the threshold of its new queue in its latest run, at a known rate
            before = self.run_a0[j] - self.offset[j]  # its service when that run began
            crossed = self.run_t0[j] + (self.thresholds[level[down] - 1] - before) / gpus[down]
            self.entered_s[j] = np.clip(crossed, self.run_t0[j], now)
            self.level[j] = level[down]

        # promotions: waited knob x its run time since it first started or was last promoted
        nq = queued.size
        if self.knob is not None and nq:
            due_s = self._promotion_due_s(view, queued, service[:nq], gpus[:nq])
            up = due_s <= now + EPS_S
            if up.any():
                j = queued[up]
                self.level[j] = 0
                self.offset[j] = attained[:nq][up]
                self.since_s[j] = self.entered_s[j] = now  # (due now, or before, while it ran)
                service[:nq][up] = 0.0

        # priority order: job priority, queue, time it entered the queue, job id
        prio = -jobs.priority[cand].astype(np.int64)
        lv = self.level[cand]
        order = np.lexsort((cand, self.entered_s[cand], lv, prio))
        ranked = cand[order]
        self.rank[ranked] = np.arange(ranked.size)
        if self.within_queue:  # Pollux's Tiresias: strict order, any later job may be preempted
            self.klass[ranked] = np.arange(ranked.size)
        else:
            self.klass[ranked] = np.cumsum(np.r_[True, (np.diff(prio[order]) != 0) | (np.diff(lv[order]) != 0)])
        queued_sorted = queued[np.argsort(self.rank[queued], kind="stable")]
        starts, preempted = priority_pass(view, queued_sorted, running, self.rank, self.klass, True)

        # after the pass: ask for a pass at the next demotion of a running job or promotion
        # of a waiting one (a promotion already due is taken at the next pass, as Tiresias does)
        started = np.array([p.job for p in starts], dtype=np.int64)
        if started.size:
            self.run_t0[started] = now
            self.run_a0[started] = view.attained_gpu_s(started)
        # running after this pass: (running less preempted) or started; a scratch flag per
        # job, set and cleared here (no sorting, unlike isin/setdiff1d)
        flag = self._flag
        flag[running] = True
        flag[np.asarray(preempted, dtype=np.int64)] = False
        flag[started] = True
        is_running = flag[cand]
        flag[running] = False
        flag[started] = False
        wake = math.inf
        lv = self.level[cand]
        deeper = is_running & (lv < self.thresholds.size)
        if deeper.any():
            wake = float((now + (self.thresholds[lv[deeper]] - service[deeper]) / gpus[deeper]).min())
        if self.knob is not None:
            waiting = ~is_running
            if waiting.any():
                due_s = self._promotion_due_s(view, cand[waiting], service[waiting], gpus[waiting])
                later = due_s[due_s > now + EPS_S]
                if later.size:
                    wake = min(wake, float(later.min()))
        return Decision(start=starts, preempt=preempted, wake_at_s=wake if math.isfinite(wake) else None)

    def _promotion_due_s(
        self, view: ClusterView, jobs: np.ndarray, service: np.ndarray, gpus: np.ndarray
    ) -> np.ndarray:
        """When each waiting job is promoted to queue 0: once it has waited, since it first
        started or was last promoted, knob x as long as it ran in that span (inf for jobs in
        queue 0 or that never ran)."""
        first = view.first_start_s(jobs)
        since = np.where(np.isnan(self.since_s[jobs]), first, self.since_s[jobs])
        ran_s = service / gpus
        due_s = since + (1.0 + self.knob) * ran_s
        return np.where((self.level[jobs] > 0) & ~np.isnan(first) & (ran_s > 0), due_s, math.inf)
