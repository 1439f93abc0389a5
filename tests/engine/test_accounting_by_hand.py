"""A case small enough to work out on paper: three jobs, eight GPUs of two generations.

Site: 4 H100 (busy 1000 W, idle 100 W) and 4 GB200 (busy 2000 W, idle 200 W), PUE 1.5.
GB200 speed relative to H100 = 2500 / 989.4 BF16 dense TFLOPS (catalogue: NVIDIA datasheets).
  job0  t=0    4 GPUs, H100 only,  8 H100-GPU-h  -> 2 h on 4 H100
  job1  t=0    8 GPUs, any,       16 H100-GPU-h  -> mixed gang 4 H100 + 4 GB200 at H100 speed: 2 h
  job2  t=0.5  2 GPUs, GB200,     2*s GPU-h       -> 1 h on 2 GB200
FIFO: job1 waits for job0 (0-2 h), runs 2-4 h; job2 waits behind it and runs 4-5 h.
Backfill: job1 is reserved at 2 h with no spare GPUs; job2 ends at 1.5 h < 2 h, so it runs 0.5-1.5 h.
"""

from __future__ import annotations

import pytest

from orbitgrid.engine import simulate

S = 2500.0 / 989.4

SCENARIO = """
name: by-hand
simulation: {{duration_h: 6, tick_s: 3600, seed: 0}}
sites:
  - name: lab
    location: {{lat_deg: 0, lon_deg: 0}}
    power_cap_mw: 10
    pue: 1.5
    pools:
      - {{name: old, gpu: H100, count: 4, busy_power_w: 1000, idle_power_w: 100}}
      - {{name: new, gpu: GB200, count: 4, busy_power_w: 2000, idle_power_w: 200}}
workload:
  reference_gpu: H100
  csv: jobs.csv
policy: {{name: {policy}}}
"""

JOBS = f"""
job_id,arrival_h,gpus,work_gpu_h,gpu_types
job0,0,4,8,H100
job1,0,8,16,
job2,0.5,2,{2 * S!r},GB200
"""


@pytest.fixture(params=["fifo", "backfill"])
def result(request, write_scenario):
    loaded = write_scenario(SCENARIO.format(policy=request.param), JOBS)
    return request.param, simulate(loaded)


def test_gpu_hours_and_utilisation(result):
    _, r = result
    s = r.summary
    assert s["gpu_hours_available"] == pytest.approx(48.0)
    assert s["gpu_hours_allocated"] == pytest.approx(8 + 16 + 2)
    assert s["allocation_utilization"] == pytest.approx(26 / 48)
    useful = 8 + 16 + 2 * S  # job1's gang runs at H100 speed: its GB200s do H100 work
    possible = 6 * (4 * 1.0 + 4 * S)
    assert s["useful_work_ref_gpu_h"] == pytest.approx(useful)
    assert s["effective_utilization"] == pytest.approx(useful / possible)
    assert s["jobs_completed"] == 3 and s["jobs_queued"] == 0 and s["jobs_running"] == 0


def test_waits_and_completion_times(result):
    policy, r = result
    s = r.summary
    if policy == "fifo":
        assert s["mean_wait_h"] == pytest.approx((0 + 2 + 3.5) / 3)
        assert s["mean_jct_h"] == pytest.approx((2 + 4 + 4.5) / 3)
        assert s["makespan_h"] == pytest.approx(5.0)
    else:
        assert s["mean_wait_h"] == pytest.approx(2 / 3)
        assert s["mean_jct_h"] == pytest.approx((2 + 4 + 1) / 3)
        assert s["makespan_h"] == pytest.approx(4.0)


def test_energy_and_peak_power(result):
    _, r = result
    s = r.summary
    # H100 pool: 4 busy for 4 h (4000 W), idle 2 h (400 W) -> 16,800 Wh
    # GB200 pool: idle 2 h (800 W), 4 busy 2 h (8000 W), 2 busy + 2 idle 1 h (4400 W),
    #             idle 1 h (800 W) -> 22,800 Wh (the same in both orders)
    it_mwh = (16_800 + 22_800) / 1e6
    assert s["it_energy_mwh"] == pytest.approx(it_mwh)
    assert s["energy_mwh"] == pytest.approx(1.5 * it_mwh)
    # peak: job1's gang alone, 4 x 1000 + 4 x 2000 W at PUE 1.5
    assert s["peak_power_mw"] == pytest.approx(1.5 * 12_000 / 1e6)


def test_mixed_gang_is_recorded_at_slowest_speed(result):
    _, r = result
    alloc = r.tables["allocations"].to_pylist()
    job1 = [a for a in alloc if a["job_id"] == 1]
    assert sorted(a["pool_id"] for a in job1) == [0, 1]
    assert all(a["speed"] == pytest.approx(1.0) for a in job1)
    assert all(a["start_h"] == pytest.approx(2.0) and a["end_h"] == pytest.approx(4.0) for a in job1)


def test_time_series_adds_up(result):
    _, r = result
    ts = r.tables["timeseries"].to_pylist()
    assert len(ts) == 6 * 2  # six one-hour ticks, two pools
    gpu_h = sum(row["allocated_gpus"] * row["step_h"] for row in ts)
    assert gpu_h == pytest.approx(26.0)
    energy_mwh = sum(row["facility_power_mw"] * row["step_h"] for row in ts)
    assert energy_mwh == pytest.approx(r.summary["energy_mwh"])
