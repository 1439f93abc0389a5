"""Elastic jobs (job file column `min_gpus`), worked out by hand.

One pool of 8 H100 (speed 1 against the H100 reference), one tick an hour. An elastic job
starts on the largest gang up to `gpus` that fits then (at least `min_gpus`) and keeps it;
its rate is proportional to the gang (linear scaling).
"""

from __future__ import annotations

import pytest

from orbitgrid.engine import simulate
from orbitgrid.errors import InputError
from lab import lab_scenario, pool  # tests/lab.py

H100_8 = pool("h100", "H100", 8)

def _run(write_scenario, jobs: str, policy: str = "{name: fifo}"):
    r = simulate(write_scenario(lab_scenario(H100_8, policy, name="elastic-by-hand"), jobs))
    return r, r.tables["jobs"].to_pylist()


def test_elastic_job_starts_on_what_is_free(write_scenario):
    """job0 takes 4 of 8 GPUs for 2 h (8 GPU-h). job1 asks for 8 but accepts 2: it starts at
    once on the 4 left, 8 GPU-h / 4 GPUs = 2 h. Rigid, it would wait: 2-3 h."""
    r, jobs = _run(write_scenario, "arrival_h,gpus,min_gpus,work_gpu_h\n0,4,,8\n0,8,2,8\n")
    assert [j["first_start_h"] for j in jobs] == pytest.approx([0.0, 0.0])
    assert [j["end_h"] for j in jobs] == pytest.approx([2.0, 2.0])
    assert jobs[1]["min_gpus"] == 2 and jobs[0]["min_gpus"] == 4
    rows = [a for a in r.tables["allocations"].to_pylist() if a["job_id"] == 1]
    assert [a["gpus"] for a in rows] == [4]
    _, rigid = _run(write_scenario, "arrival_h,gpus,work_gpu_h\n0,4,8\n0,8,8\n")
    assert [j["end_h"] for j in rigid] == pytest.approx([2.0, 3.0])


def test_elastic_job_waits_for_its_minimum(write_scenario):
    """min_gpus 6 > the 4 free: it waits for job0 (ends 2 h), then takes all 8: 1 h, ends 3 h."""
    _, jobs = _run(write_scenario, "arrival_h,gpus,min_gpus,work_gpu_h\n0,4,,8\n0,8,6,8\n")
    assert [j["end_h"] for j in jobs] == pytest.approx([2.0, 3.0])


def test_elastic_job_larger_than_the_fleet_runs_smaller(write_scenario):
    """16 GPUs asked on an 8-GPU fleet is unschedulable for a rigid job; with min_gpus 4 it
    runs on all 8: 8 GPU-h in 1 h."""
    _, jobs = _run(write_scenario, "arrival_h,gpus,min_gpus,work_gpu_h\n0,16,4,8\n")
    assert jobs[0]["state"] == "completed" and jobs[0]["end_h"] == pytest.approx(1.0)


def test_preemption_makes_room_for_the_minimum_only(write_scenario):
    """SRTF (sjf, preemptive). job0: 4 GPUs, 40 GPU-h (10 h). At 1 h job1 arrives, 8 GPUs
    wanted, 4 GPU-h (0.5 h on 8: shorter than job0's 9 h left).
    min_gpus 4: the 4 free GPUs suffice, nobody is preempted; 4 GPU-h on 4 GPUs: 1-2 h.
    min_gpus 6: job0 is preempted (keeps 4 GPU-h), job1 takes all 8: 1-1.5 h; job0 runs
    again 1.5-10.5 h."""
    policy = "{name: sjf, preemptive: true}"
    r, jobs = _run(write_scenario, "arrival_h,gpus,min_gpus,work_gpu_h\n0,4,,40\n1,8,4,4\n", policy)
    assert [j["end_h"] for j in jobs] == pytest.approx([10.0, 2.0]) and r.summary["preemptions"] == 0
    r, jobs = _run(write_scenario, "arrival_h,gpus,min_gpus,work_gpu_h\n0,4,,40\n1,8,6,4\n", policy)
    assert [j["end_h"] for j in jobs] == pytest.approx([10.5, 1.5]) and r.summary["preemptions"] == 1


@pytest.mark.parametrize("policy", ["{name: backfill}", "{name: las, preemptive: true}",
                                    "{name: gavel, gavel_round_s: 1800}"])
def test_every_policy_runs_elastic_jobs(write_scenario, policy):
    """The engine checks every placement (gang within [min_gpus, gpus]) and the invariants;
    all the work gets done: 8 + 8 + 12 GPU-h on 8 GPUs."""
    r, jobs = _run(write_scenario, "arrival_h,gpus,min_gpus,work_gpu_h\n0,4,,8\n0,8,2,8\n0.5,6,3,12\n", policy)
    assert r.summary["jobs_completed"] == 3
    assert r.summary["useful_work_ref_gpu_h"] == pytest.approx(28.0)


def test_min_gpus_is_checked(write_scenario):
    with pytest.raises(InputError) as info:
        simulate(write_scenario(lab_scenario(H100_8, name="elastic-by-hand"),
                                "arrival_h,gpus,min_gpus,work_gpu_h\n0,4,,8\n0,8,9,8\n"))
    p = info.value.problems[0]
    assert (p.line, p.path) == (3, "min_gpus") and "<= 8" in p.message
