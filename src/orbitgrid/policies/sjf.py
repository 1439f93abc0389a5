"""Shortest job first: queued jobs start in order of the time they have left on their
fastest GPU type; with `preemptive`, shortest remaining time first.

The classic result: on one machine, serving the shortest job first minimises mean flow
time (W. E. Smith, "Various optimizers for single-stage production", Naval Research
Logistics Quarterly 3(1-2), 1956), and preempting for any job with less work left (SRPT)
is optimal with arrivals (L. Schrage, "A proof of the optimality of the shortest
remaining processing time discipline", Operations Research 16(3), 1968). GPU-cluster
studies use both as baselines with known runtimes (Gu et al., Tiresias, NSDI 2019:
"SRTF"; Narayanan et al., Gavel, OSDI 2020), as here: the simulator knows each job's work.

A job's length is the time its remaining work would take on its fastest acceptable GPU
type: remaining reference-GPU-seconds / (gang size x that type's speed), plus any restart
overhead it has still to pay. Priority (larger first) still comes before length; ties go
to the earlier arrival. Jobs that do not fit are passed over, without a reservation (so
long jobs may wait indefinitely, as under SJF anywhere).

`preemptive: true` (SRTF): a queued job that cannot start preempts running gangs with
strictly more time left (of its priority or lower), those with the most time left first,
only as many as make room (`priority_pass.py`). A preempted gang keeps its work; with
`restart_overhead_s` it pays that much idle time when it starts again.
"""

from __future__ import annotations

import numpy as np

from orbitgrid.policies.base import ClusterView, Decision, Placement
from orbitgrid.policies.priority_pass import priority_pass
from orbitgrid.policies.registry import register_policy
from orbitgrid.scenario import PolicySpec


@register_policy("sjf")
class ShortestJobFirstPolicy:
    def __init__(self, spec: PolicySpec) -> None:
        self.spec = spec
        self.preemptive = bool(spec.preemptive)
        self.restart_overhead_s = float(spec.restart_overhead_s)
        self._rank: np.ndarray | None = None
        self._klass: np.ndarray | None = None

    def decide(self, view: ClusterView) -> list[Placement] | Decision:
        jobs = view.jobs
        if self._rank is None:
            self._rank = np.zeros(len(jobs), dtype=np.int64)
            self._klass = np.zeros(len(jobs), dtype=np.int64)
        queued = view.queued_jobs()
        if not self.preemptive:
            queued = queued[view.fits(queued)]  # free GPUs only shrink in a pass without preemption
            running = np.zeros(0, dtype=np.int64)
        else:
            running = view.running_jobs()
        if queued.size == 0:
            return Decision() if self.preemptive else []
        jobs_all = np.concatenate([queued, running])
        left_s = view.min_runtime_s(jobs_all)
        prio = -jobs.priority[jobs_all].astype(np.int64)
        order = np.lexsort((jobs_all, jobs.arrival_s[jobs_all], left_s, prio))
        ranked = jobs_all[order]
        self._rank[ranked] = np.arange(ranked.size)
        # a class per (priority, time left): only a strictly shorter job preempts
        new_class = np.r_[True, (np.diff(prio[order]) != 0) | (np.diff(left_s[order]) != 0)]
        self._klass[ranked] = np.cumsum(new_class)
        queued_sorted = queued[np.argsort(self._rank[queued], kind="stable")]
        starts, preempted = priority_pass(view, queued_sorted, running, self._rank, self._klass, self.preemptive)
        if not self.preemptive:
            return starts
        return Decision(start=starts, preempt=preempted)
