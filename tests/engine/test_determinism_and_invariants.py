"""Same scenario and seed -> identical tables; a run that contradicts itself fails loudly."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pytest

from orbitgrid.engine import simulate
from orbitgrid.engine.invariants import InvariantError, check_invariants
from orbitgrid.engine.state import COMPLETED, QUEUED
from orbitgrid.scenario import load_scenario
from orbitgrid.workload import build_jobs


@pytest.fixture(scope="module")
def quickstart():
    path = resources.files("orbitgrid").joinpath("examples/quickstart.yaml")
    return load_scenario(str(path))


@pytest.fixture(scope="module")
def quickstart_run(quickstart):
    return simulate(quickstart, seed=5)


def test_same_seed_same_tables(quickstart, quickstart_run):
    a = quickstart_run
    b = simulate(quickstart, seed=5)
    assert a.summary == b.summary
    assert set(a.tables) == set(b.tables)
    for name in a.tables:
        assert a.tables[name].equals(b.tables[name]), name


def test_other_seed_other_workload(quickstart):
    a, c = build_jobs(quickstart, 5), build_jobs(quickstart, 6)
    assert len(a) != len(c) or not np.array_equal(a.work_ref_gpu_s, c.work_ref_gpu_s)
    again = build_jobs(quickstart, 5)
    assert np.array_equal(a.arrival_s, again.arrival_s) and np.array_equal(a.gpus, again.gpus)


def test_quickstart_is_sane(quickstart_run):
    r = quickstart_run
    s = r.summary
    assert s["jobs_submitted"] == s["jobs_completed"] + s["jobs_failed"] + s["jobs_running"] + s["jobs_queued"]
    assert 0.5 < s["allocation_utilization"] < 1.0
    assert 0.0 < s["effective_utilization"] < 1.0
    # the GB200 rack outage (72 GPUs, 60-68 h) shows in the capacity series
    ts = r.tables["timeseries"].to_pydict()
    gb200 = [c for p, c in zip(ts["pool_id"], ts["capacity_gpus"]) if p == 1]
    assert min(gb200) == 1152 - 72 and max(gb200) == 1152
    assert s["gpu_hours_available"] == pytest.approx(168 * (2048 + 1152) - 8 * 72)
    # peak power may not exceed the grid cap of 6.5 MW
    assert 0 < s["peak_power_mw"] <= 6.5


def _good_inputs():
    log = {
        "job": np.array([0, 1]),
        "pool": np.array([0, 0]),
        "gpus": np.array([2, 2]),
        "start_s": np.array([0.0, 0.0]),
        "end_s": np.array([3600.0, 1800.0]),
        "speed": np.array([1.0, 1.0]),
        "ended_by": np.array([0, 1], dtype=np.int8),
    }
    return dict(
        state_codes=np.array([COMPLETED, QUEUED], dtype=np.int8),
        fail_reasons={},
        log=log,
        job_allocated_gpu_s=np.array([7200.0, 3600.0]),
        step_allocated_gpu_s=np.array([[10800.0]]),
        work_ref_gpu_s=np.array([7200.0, 7200.0]),
        work_done_s=np.array([7200.0, 3600.0]),
        n_pools=1,
        edges_s=np.array([0.0, 3600.0]),
        capacity=np.array([[4.0]]),
    )


def test_invariants_accept_a_consistent_run():
    check_invariants(**_good_inputs())
    check_invariants(**_good_inputs(), work_lost_s=np.zeros(2))


def test_work_ledger_counts_work_lost_to_faults():
    # job1 ran 2 GPUs for 0.5 h (3600 GPU-s) and a fault threw 1000 s of it away: it keeps 2600
    inputs = _good_inputs()
    inputs["work_done_s"] = np.array([7200.0, 2600.0])
    check_invariants(**inputs, work_lost_s=np.array([0.0, 1000.0]))


@pytest.mark.parametrize(
    "breakage, message",
    [
        (lambda d: d.update(capacity=np.array([[3.0]])), "over-allocated"),
        (lambda d: d.update(job_allocated_gpu_s=np.array([7200.0, 0.0])), "GPU-hours disagree"),
        (lambda d: d.update(work_done_s=np.array([7000.0, 3600.0])), "without doing all its work"),
        (lambda d: d.update(state_codes=np.array([COMPLETED, 0], dtype=np.int8)), "no known state"),
        (lambda d: d.update(state_codes=np.array([COMPLETED, 4], dtype=np.int8)), "without a reason"),
        # job1's GPUs did 2 x 0.5 h = 1 GPU-h (3600 s) of work: it cannot have kept 3600 s and lost 100 s
        (lambda d: d.update(work_lost_s=np.array([0.0, 100.0])), "it kept 1.000000 and lost 0.027778"),
        (lambda d: d.update(work_lost_s=np.array([0.0, -1.0])), "lost negative work"),
    ],
)
def test_invariants_catch_each_breakage(breakage, message):
    inputs = _good_inputs()
    breakage(inputs)
    with pytest.raises(InvariantError, match=message):
        check_invariants(**inputs)
