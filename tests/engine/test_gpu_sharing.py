"""Fractional-GPU jobs (job file column `gpu_milli`, Alibaba GPU-sharing pods), by hand.

One pool of 2 H100 (speed 1 against the H100 reference), FIFO. A job using m/1000 of a GPU
does its work (H100 GPU-hours) at m/1000 GPU-hours per hour; jobs share a GPU while their
shares fit in 1000, the tightest-fitting open GPU first (best fit); a GPU is allocated
while any job is on it.
"""

from __future__ import annotations

import pytest

from orbitgrid.engine import simulate
from orbitgrid.errors import InputError
from lab import lab_scenario, pool  # tests/lab.py


def _scenario(count: int, policy: str = "{name: fifo}") -> str:
    return lab_scenario(pool("h100", "H100", count, busy_power_w=1000, idle_power_w=100), policy, name="sharing-by-hand")

def _run(write_scenario, jobs: str, count: int = 2, policy: str = "{name: fifo}"):
    r = simulate(write_scenario(_scenario(count, policy), jobs))
    return r, r.tables["jobs"].to_pylist()


JOBS = """arrival_h,gpus,gpu_milli,work_gpu_h
0,1,500,1
0,1,500,1
0,1,600,1.2
0,1,,2
"""


def test_shares_pack_onto_gpus(write_scenario):
    """job0 and job1 (500 each) share GPU 1 for 2 h (1 GPU-h at 0.5 per hour); job2 (600)
    does not fit beside them and opens GPU 2 (1.2 / 0.6 = 2 h); job3 needs a whole GPU and
    waits until 2 h, then runs 2 h: ends at 4 h. Allocated GPU-hours: 0.5 x 2 + 0.5 x 2 +
    0.6 x 2 + 1 x 2 = 5.2 (shares, not whole GPUs)."""
    r, jobs = _run(write_scenario, JOBS)
    assert [j["first_start_h"] for j in jobs] == pytest.approx([0, 0, 0, 2])
    assert [j["end_h"] for j in jobs] == pytest.approx([2, 2, 2, 4])
    assert [j["gpu_milli"] for j in jobs] == [500, 500, 600, 1000]
    rows = r.tables["allocations"].to_pylist()
    assert sum(a["gpus"] * (a["end_h"] - a["start_h"]) for a in rows) == pytest.approx(5.2)
    assert r.summary["useful_work_ref_gpu_h"] == pytest.approx(5.2)


def test_best_fit_and_a_closed_gpu_is_free_again(write_scenario):
    """One GPU. job0 (700) runs 0-1 h (0.7 GPU-h); job1 (300) shares with it 0-2 h (0.6
    GPU-h). job2 (400) cannot fit (300 + 700 in use) until job0 leaves at 1 h, then shares
    with job1: 0.8 GPU-h at 0.4 per hour, 1-3 h. job3 (whole GPU) waits for the GPU to be
    empty: 3-4 h."""
    jobs_csv = "arrival_h,gpus,gpu_milli,work_gpu_h\n0,1,700,0.7\n0,1,300,0.6\n0,1,400,0.8\n0,1,,1\n"
    _, jobs = _run(write_scenario, jobs_csv, count=1)
    assert [j["first_start_h"] for j in jobs] == pytest.approx([0, 0, 1, 3])
    assert [j["end_h"] for j in jobs] == pytest.approx([1, 2, 3, 4])


@pytest.mark.parametrize("policy", ["{name: backfill}", "{name: sjf, preemptive: true}",
                                    "{name: las, preemptive: true}", "{name: gavel, gavel_round_s: 1800}"])
def test_every_policy_runs_shared_jobs(write_scenario, policy):
    """The engine checks each placement and the invariants (shares within open GPUs within
    capacity); all 5.2 GPU-hours of work get done."""
    r, _ = _run(write_scenario, JOBS, policy=policy)
    assert r.summary["jobs_completed"] == 4
    assert r.summary["useful_work_ref_gpu_h"] == pytest.approx(5.2)


def test_a_share_of_several_gpus_is_refused(write_scenario):
    with pytest.raises(InputError) as info:
        _run(write_scenario, "arrival_h,gpus,gpu_milli,work_gpu_h\n0,2,500,1\n")
    p = info.value.problems[0]
    assert (p.line, p.path) == (2, "gpu_milli") and "needs gpus 1" in p.message


def test_shares_that_do_not_add_up_in_binary(write_scenario):
    """Shares 0.1, 0.2 and 0.4 start together and leave 0.2 first, then 0.4, then 0.1: in
    floating point that running sum ends at -2.8e-17, not 0. The invariant check counts
    thousandths, so the run stands. Ends: 1 h (0.2 GPU-h at 0.2), 2 h (0.8 at 0.4), 3 h
    (0.3 at 0.1); the whole-GPU job waits for the empty GPU: 3-4 h."""
    jobs_csv = "arrival_h,gpus,gpu_milli,work_gpu_h\n0,1,100,0.3\n0,1,200,0.2\n0,1,400,0.8\n0,1,,1\n"
    _, jobs = _run(write_scenario, jobs_csv, count=1)
    assert [j["end_h"] for j in jobs] == pytest.approx([3, 1, 2, 4])


def test_a_fault_on_a_shared_gpu_stops_every_job_on_it(write_scenario):
    """One pool of 2 GPUs (an orbital pool from test_throttle_and_fault_hits, so faults can be
    set by hand): two shares of 500 on one GPU, a whole-GPU job on the other. At 1 h a fault
    takes both GPUs: all three jobs lose their hour (no checkpoints) and queue again; they
    restart at once (the GPUs are back): the shares need 1 GPU-h at 0.5, the whole job 2 GPU-h
    at 1, so all end at 3 h."""
    from test_throttle_and_fault_hits import _world

    from orbitgrid.engine import simulate

    loaded = write_scenario(_scenario(2),
                            "arrival_h,gpus,gpu_milli,work_gpu_h\n0,1,500,1\n0,1,500,1\n0,1,,2\n")
    r = simulate(loaded, world=_world([2], 20, faults=[(1.0, 0, 2)]))
    jobs = r.tables["jobs"].to_pylist()
    assert [j["fault_interruptions"] for j in jobs] == [1, 1, 1]
    assert [j["end_h"] for j in jobs] == pytest.approx([3.0, 3.0, 3.0])
