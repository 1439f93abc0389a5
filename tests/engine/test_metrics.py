"""Scheduling metrics against hand values: JCT percentiles, Themis finish-time fairness,
per-tenant and per-GPU-type breakdowns."""

from __future__ import annotations

import numpy as np
import pytest

from orbitgrid.engine import simulate
from orbitgrid.engine.metrics import finish_time_fairness, mean_active_jobs

TWO_JOBS = """
name: ftf
simulation: {duration_h: 4, tick_s: 60, drain: true}
sites:
  - name: s
    location: {lat_deg: 0, lon_deg: 0}
    power_cap_mw: 10
    pue: 1.0
    pools:
      - {name: h100, gpu: H100, count: 8}
workload:
  reference_gpu: H100
  csv: jobs.csv
policy: {name: fifo}
"""


def test_two_jobs_that_each_need_the_whole_cluster(write_scenario):
    # Two 8-GPU jobs of 8 GPU-h each arrive at 0 on 8 GPUs; FIFO runs A 0-1 h, B 1-2 h.
    # Themis: A had N = 2 contenders all its life: T_id = 1 h · max(1, 8·2/8) = 2 h, ρ = 1/2.
    # B: N = 2 for an hour, 1 for the next: mean 1.5, T_id = 1.5 h, ρ = 2/1.5 = 4/3.
    loaded = write_scenario(TWO_JOBS, jobs_csv="arrival_h,gpus,work_gpu_h,tenant\n0,8,8,alpha\n0,8,8,beta\n")
    r = simulate(loaded)
    s = r.summary
    assert s["mean_jct_h"] == pytest.approx(1.5) and s["p50_jct_h"] == pytest.approx(1.5)
    assert s["p99_jct_h"] == pytest.approx(1.0 + 0.99)  # numpy's linear interpolation between 1 and 2
    assert s["finish_time_fairness_max"] == pytest.approx(4 / 3, rel=1e-9)
    assert s["finish_time_fairness_mean"] == pytest.approx((0.5 + 4 / 3) / 2, rel=1e-9)
    ftf = r.tables["jobs"].column("finish_time_fairness").to_pylist()
    assert ftf == pytest.approx([0.5, 4 / 3])
    tenants = r.tables["tenants"].to_pylist()
    assert [t["tenant"] for t in tenants] == ["alpha", "beta"]
    assert [t["gpu_hours_allocated"] for t in tenants] == pytest.approx([8.0, 8.0])
    assert [t["mean_wait_h"] for t in tenants] == pytest.approx([0.0, 1.0])
    assert [t["mean_jct_h"] for t in tenants] == pytest.approx([1.0, 2.0])
    types = r.tables["gpu_types"].to_pylist()  # the run lasts to the 4 h horizon: 8 × 4 GPU-h offered
    assert types == [{"gpu": "H100", "installed": 8, "gpu_hours_available": pytest.approx(32.0),
                      "gpu_hours_allocated": pytest.approx(16.0), "allocation_utilization": pytest.approx(0.5),
                      "work_done_ref_gpu_h": pytest.approx(16.0)}]


def test_a_job_alone_is_exactly_fair():
    # alone on the cluster from arrival to end: N = 1, T_id = its runtime; ρ = 1
    assert finish_time_fairness(np.array([3600.0]), np.array([4 * 3600.0]), np.array([4.0]), np.array([1.0]),
                                np.array([16.0]), np.array([1.0]))[0] == pytest.approx(1.0)
    # a half-size share: N = 4 jobs on 8 GPUs, a 4-GPU job: share 2 GPUs, T_id = 2 × alone
    assert finish_time_fairness(np.array([2 * 3600.0]), np.array([4 * 3600.0]), np.array([4.0]), np.array([1.0]),
                                np.array([8.0]), np.array([4.0]))[0] == pytest.approx(1.0)


def test_mean_active_jobs_integrates_between_ticks():
    # 2 active from 0 to 10 s, 1 from 10 s on: over [5, 15] the mean is (5·2 + 5·1)/10 = 1.5
    got = mean_active_jobs(np.array([0.0, 10.0, 20.0]), np.array([2, 1, 1]), np.array([5.0, 0.0]), np.array([15.0, 10.0]))
    assert got == pytest.approx([1.5, 2.0])
