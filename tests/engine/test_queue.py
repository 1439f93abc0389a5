"""The job queue: priority then arrival order, lazy removal, a preempted job back in place."""

from __future__ import annotations

import numpy as np

from orbitgrid.engine.state import QUEUED, RUNNING, EngineState
from orbitgrid.workload.jobs import JobTable


def _state(n: int, priority=None) -> EngineState:
    jobs = JobTable(
        arrival_s=np.arange(n, dtype=float),
        gpus=np.ones(n, dtype=np.int32),
        work_ref_gpu_s=np.ones(n),
        type_set=np.zeros(n, dtype=np.int32),
        priority=np.asarray(priority if priority is not None else [0] * n, dtype=np.int32),
        tenant=np.zeros(n, dtype=np.int32),
        type_sets=(("any",),),
        tenants=("t",),
    )
    world = type("W", (), {"n_pools": 1, "n_domains": 1, "domain": np.zeros(1, dtype=np.int64),
                           "speed": np.ones(1), "type_set_masks": lambda self, jobs: np.ones((1, 1), bool),
                           "job_pool_speeds": lambda self, jobs: np.ones((1, 1))})()
    return EngineState(world, jobs)


def test_priority_then_arrival_and_lazy_removal():
    s = _state(6, priority=[0, 0, 5, 0, 5, 0])
    for job in range(6):
        s.enqueue(job)
    assert s.queue_head(10) == [2, 4, 0, 1, 3, 5]
    s.dequeue(2, RUNNING)
    s.dequeue(1, RUNNING)
    assert s.queue_head(10) == [4, 0, 3, 5] and s.n_queued == 4 and s.queued_gpus == 4
    assert s.queue_head(2) == [4, 0]
    # a preempted job returns to its old place (its dead key comes back to life)
    s.enqueue(1)
    assert s.queue_head(10) == [4, 0, 1, 3, 5]
    assert len(s.queue) == 6 and s.state[1] == QUEUED


def test_dead_keys_are_swept_and_order_kept():
    n = 5000
    s = _state(n)
    for job in range(n):
        s.enqueue(job)
    for job in range(0, n - 10):
        s.dequeue(job, RUNNING)
    assert len(s.queue) < n  # swept once dead keys outnumbered live ones
    assert s.queue_head(100) == list(range(n - 10, n))
    assert s.n_queued == 10
