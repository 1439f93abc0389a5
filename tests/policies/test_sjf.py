"""Shortest job first and shortest remaining time first, worked out by hand; the preemption
interface a policy uses (Decision), and what the engine refuses.

One pool of 4 H100 (speed 1 against the H100 reference), one tick an hour. Jobs:
  job0  t=0    4 GPUs  8 GPU-h  -> 2 h alone
  job1  t=0.5  4 GPUs 12 GPU-h  -> 3 h
  job2  t=1    4 GPUs  2 GPU-h  -> 0.5 h
  job3  t=1    2 GPUs  4 GPU-h  -> 2 h on its 2 GPUs

FIFO: job0 0-2, job1 2-5, job2 5-5.5, job3 5.5-7.5 (it waits behind job2).
  JCT 2, 4.5, 4.5, 6.5: mean 17.5/4.

SJF (non-preemptive; length = time left on the fastest type): job0 runs 0-2. At 2 the queue
is job2 (0.5 h), job3 (2 h), job1 (3 h): job2 takes all 4 GPUs, 2-2.5. At 2.5 job3 starts
(2.5-4.5 on 2 GPUs); job1 needs 4 and is passed over. At 4.5 job1 runs 4.5-7.5.
  JCT 2, 7, 1.5, 3.5: mean 14/4. No preemptions.

SRTF (preemptive: true): at 1, job0 has 1 h left and job2 needs 0.5 h: job2 preempts job0
(job0 keeps its 4 GPU-h) and runs 1-1.5; job3 (2 h) and job1 (3 h) are longer than job0's
1 h, so they preempt nothing. At 1.5 job0 (1 h left) goes first: 1.5-2.5; job3 2.5-4.5;
job1 (3 h) cannot preempt job3 (2 h left): it runs 4.5-7.5.
  JCT 2.5, 7, 0.5, 3.5: mean 13.5/4. One preemption (job0).

SRTF with restart_overhead_s = 900: job0 restarts at 1.5 but does no work until 1.75 (its
time left, 1 h + 0.25 h, is still the shortest), so it ends at 2.75; job3 2.75-4.75;
job1 4.75-7.75. job0 holds 4 GPUs for 1 + 0.25 + 1 h = 9 GPU-h for 8 GPU-h of work.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from orbitgrid.engine import simulate, state
from orbitgrid.engine.simulator import PolicyError
from orbitgrid.policies import ClusterView, Decision, names, register_policy
from orbitgrid.policies import base
from orbitgrid.policies.registry import _POLICIES
from lab import lab_scenario, pool  # tests/lab.py

H100_4 = pool("h100", "H100", 4, busy_power_w=1000, idle_power_w=100)

JOBS = """
arrival_h,gpus,work_gpu_h
0,4,8
0.5,4,12
1,4,2
1,2,4
"""


def _run(write_scenario, policy: str, jobs: str = JOBS, name: str = "scenario.yaml"):
    return simulate(write_scenario(lab_scenario(H100_4, policy, 10, name="sjf-by-hand"), jobs, name=name))


def _jobs(r):
    return r.tables["jobs"].to_pylist()


def _rows(r, job):
    rows = [a for a in r.tables["allocations"].to_pylist() if a["job_id"] == job]
    return [(a["start_h"], a["end_h"], a["ended_by"], a["speed"]) for a in sorted(rows, key=lambda a: a["start_h"])]


def test_fifo_reference(write_scenario):
    r = _run(write_scenario, "{name: fifo}")
    assert [j["end_h"] for j in _jobs(r)] == pytest.approx([2.0, 5.0, 5.5, 7.5])
    assert r.summary["mean_jct_h"] == pytest.approx(17.5 / 4)


def test_sjf_runs_the_shortest_first(write_scenario):
    r = _run(write_scenario, "{name: sjf}")
    jobs = _jobs(r)
    assert [j["first_start_h"] for j in jobs] == pytest.approx([0.0, 4.5, 2.0, 2.5])
    assert [j["end_h"] for j in jobs] == pytest.approx([2.0, 7.5, 2.5, 4.5])
    assert r.summary["mean_jct_h"] == pytest.approx(14.0 / 4)
    assert r.summary["preemptions"] == 0


def test_srtf_preempts_a_longer_job(write_scenario):
    r = _run(write_scenario, "{name: sjf, preemptive: true}")
    jobs = _jobs(r)
    assert [j["end_h"] for j in jobs] == pytest.approx([2.5, 7.5, 1.5, 4.5])
    assert [j["preemptions"] for j in jobs] == [1, 0, 0, 0]
    assert r.summary["mean_jct_h"] == pytest.approx(13.5 / 4)
    assert r.summary["preemptions"] == 1 and r.summary["jobs_preempted"] == 1
    # job0 keeps its work across the preemption (a checkpoint on suspend)
    assert _rows(r, 0) == [(0.0, 1.0, "preempted", 1.0), (1.5, pytest.approx(2.5), "completed", 1.0)]
    assert jobs[0]["work_done_gpu_h"] == pytest.approx(8.0)
    assert r.summary["gpu_hours_allocated"] == pytest.approx(8 + 12 + 2 + 4)


def test_srtf_restart_overhead_delays_useful_work(write_scenario):
    r = _run(write_scenario, "{name: sjf, preemptive: true, restart_overhead_s: 900}")
    jobs = _jobs(r)
    assert [j["end_h"] for j in jobs] == pytest.approx([2.75, 7.75, 1.5, 4.75])
    # the overhead is a stretch at speed 0, logged: the work ledger still balances
    assert _rows(r, 0) == [
        (0.0, 1.0, "preempted", 1.0),
        (1.5, 1.75, "respeed", 0.0),
        (1.75, pytest.approx(2.75), "completed", 1.0),
    ]
    assert r.summary["gpu_hours_allocated"] == pytest.approx(9 + 12 + 2 + 4)
    assert r.summary["useful_work_ref_gpu_h"] == pytest.approx(8 + 12 + 2 + 4)
    assert r.summary["preemptions"] == 1


def test_a_shorter_job_of_lower_priority_preempts_nothing(write_scenario):
    # job0 (priority 5, 2 h) runs; job1 (priority 0, 0.5 h) waits for it despite being shorter
    jobs = "arrival_h,gpus,work_gpu_h,priority\n0,4,8,5\n0.5,4,2,0\n"
    r = _run(write_scenario, "{name: sjf, preemptive: true}", jobs)
    assert [j["end_h"] for j in _jobs(r)] == pytest.approx([2.0, 2.5])
    assert r.summary["preemptions"] == 0


def test_the_view_knows_the_running_state_code():
    assert base.RUNNING == state.RUNNING  # base.py cannot import the engine (a cycle)


def test_sjf_is_listed(tmp_path):
    assert {"sjf", "las"} <= set(names())
    proc = subprocess.run(
        [sys.executable, "-m", "orbitgrid", "policies"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    listed = [line.split()[0] for line in proc.stdout.splitlines() if line.strip() and not line.startswith(" ")]
    assert {"fifo", "backfill", "sjf", "las"} <= set(listed)


# --- the interface: a user's preemptive policy ------------------------------------------


@pytest.fixture
def evict_all():
    """A toy: the newest arrival preempts every running gang and starts alone."""

    @register_policy("evict-all")
    class EvictAll:
        preemptive = True

        def __init__(self, spec):
            self.restart_overhead_s = spec.restart_overhead_s

        def decide(self, view: ClusterView) -> Decision:
            newest = max(view.queued_jobs().tolist(), key=lambda j: (view.jobs.arrival_s[j], j))
            running = view.running_jobs()
            for job in running.tolist():
                view.preempt(job)
            assert view.free_total == int(view.world.installed.sum())  # all free, as if stopped
            assert view.release_profile(np.ones(view.world.n_pools, dtype=bool))[0].size == 0
            placement = view.find_placement(newest)
            view.take(placement)
            return Decision(start=[placement], preempt=view.preempted)

    yield EvictAll
    _POLICIES.pop("evict-all")


def test_a_custom_policy_preempts_through_a_decision(write_scenario, evict_all):
    # job0 0-1 (preempted with 4 of 8 GPU-h done), job1 1-2; at 2 job0 is the newest queued
    # job... it is the only one: 2-3. Both keep their work.
    r = _run(write_scenario, "{name: evict-all}", "arrival_h,gpus,work_gpu_h\n0,4,8\n1,4,4\n")
    jobs = _jobs(r)
    assert [j["end_h"] for j in jobs] == pytest.approx([3.0, 2.0])
    assert [j["preemptions"] for j in jobs] == [1, 0]
    assert _rows(r, 0) == [(0.0, 1.0, "preempted", 1.0), (2.0, 3.0, "completed", 1.0)]


@pytest.fixture
def preempts_a_queued_job():
    @register_policy("bad-preempt")
    class Bad:
        preemptive = True

        def __init__(self, spec):
            pass

        def decide(self, view):
            return Decision(preempt=[int(view.queued_jobs()[0])])

    yield Bad
    _POLICIES.pop("bad-preempt")


def test_preempting_a_job_that_is_not_running_fails_loudly(write_scenario, preempts_a_queued_job):
    with pytest.raises(PolicyError, match="preempted but not running"):
        _run(write_scenario, "{name: bad-preempt}", "arrival_h,gpus,work_gpu_h\n0,4,8\n")
