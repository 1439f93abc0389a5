"""Capacity that changes over time: outages preempt the newest gangs; a grid cap limits GPUs."""

from __future__ import annotations

import numpy as np
import pytest

from orbitgrid.engine import simulate

BASE = """
name: capacity
simulation: {{duration_h: {horizon}, tick_s: 3600, drain: {drain}}}
sites:
  - name: lab
    location: {{lat_deg: 10, lon_deg: 20}}
    power_cap_mw: {cap}
    pue: 1.25
    pools:
      - name: h100
        gpu: H100
        count: 8
        busy_power_w: 1000
        idle_power_w: 100
        outages: {outages}
workload: {{reference_gpu: H100, csv: jobs.csv}}
policy: {{name: fifo}}
"""


def test_outage_preempts_and_job_resumes(write_scenario):
    # 8 GPUs x 10 h of work; 4 GPUs fail from 2 h to 3 h. The gang is preempted at 2 h
    # with 16 of 80 GPU-h done, restarts at 3 h and needs 8 h more: it ends at 11 h.
    loaded = write_scenario(
        BASE.format(horizon=12, drain="false", cap=100, outages="[{start_h: 2, duration_h: 1, gpus: 4}]"),
        "arrival_h,gpus,work_gpu_h\n0,8,80\n",
    )
    r = simulate(loaded)
    job = r.tables["jobs"].to_pylist()[0]
    assert job["state"] == "completed"
    assert job["preemptions"] == 1
    assert job["end_h"] == pytest.approx(11.0)
    alloc = sorted(r.tables["allocations"].to_pylist(), key=lambda a: a["start_h"])
    assert [(a["start_h"], a["end_h"], a["ended_by"]) for a in alloc] == [
        (0.0, 2.0, "preempted"),
        (3.0, 11.0, "completed"),
    ]
    cap = r.tables["timeseries"].column("capacity_gpus").to_numpy()
    assert cap.tolist() == [8, 8, 4] + [8] * 9
    assert r.summary["gpu_hours_available"] == pytest.approx(12 * 8 - 4)
    assert r.summary["gpu_hours_allocated"] == pytest.approx(80.0)


def test_grid_cap_limits_busy_gpus(write_scenario):
    # cap 6 kW at PUE 1.25 -> 4.8 kW IT; 8 idle GPUs draw 0.8 kW; each busy one adds 0.9 kW:
    # floor((4.8 - 0.8) / 0.9) = 4 GPUs may run at once, so two 4-GPU jobs run one after the other
    loaded = write_scenario(
        BASE.format(horizon=10, drain="false", cap=0.006, outages="[]"),
        "arrival_h,gpus,work_gpu_h\n0,4,8\n0,4,8\n",
    )
    r = simulate(loaded)
    jobs = r.tables["jobs"].to_pylist()
    assert [j["end_h"] for j in jobs] == pytest.approx([2.0, 4.0])
    assert r.summary["peak_power_mw"] <= 0.006 + 1e-12
    assert r.summary["peak_power_mw"] == pytest.approx(1.25 * (4 * 1000 + 4 * 100) / 1e6)


def test_job_too_big_for_any_domain_fails_with_reason(write_scenario):
    loaded = write_scenario(
        BASE.format(horizon=2, drain="false", cap=100, outages="[]"),
        "arrival_h,gpus,work_gpu_h\n0,16,1\n0,1,1\n",
    )
    r = simulate(loaded)
    jobs = r.tables["jobs"].to_pylist()
    assert jobs[0]["state"] == "failed"
    assert "needs 16 GPUs" in jobs[0]["fail_reason"] and "can run 8" in jobs[0]["fail_reason"]
    assert jobs[1]["state"] == "completed"
    assert r.summary["jobs_failed"] == 1


def test_drain_runs_past_the_horizon(write_scenario):
    text = BASE.format(horizon=1, drain="{d}", cap=100, outages="[]")
    csv = "arrival_h,gpus,work_gpu_h\n0.5,8,24\n"
    stopped = simulate(write_scenario(text.replace("{d}", "false"), csv))
    assert stopped.summary["jobs_running"] == 1 and stopped.summary["end_h"] == 1.0
    assert stopped.tables["allocations"].column("ended_by").to_pylist() == ["horizon"]
    drained = simulate(write_scenario(text.replace("{d}", "true"), csv, name="drained.yaml"))
    assert drained.summary["jobs_completed"] == 1
    assert drained.summary["makespan_h"] == pytest.approx(3.0)
    assert drained.summary["end_h"] == pytest.approx(3.5)


def test_queue_series_counts_waiting_jobs(write_scenario):
    loaded = write_scenario(
        BASE.format(horizon=4, drain="false", cap=100, outages="[]"),
        "arrival_h,gpus,work_gpu_h\n0,8,16\n0,8,8\n",
    )
    r = simulate(loaded)
    q = r.tables["queue"].to_pylist()
    # recorded once each tick's instant is settled: job1 waits at 0 h and 1 h, starts at 2 h
    assert [row["queued_jobs"] for row in q] == [1, 1, 0, 0]
    assert [row["running_jobs"] for row in q] == [1, 1, 1, 0]  # job1 runs 2-3 h
    assert np.isclose(r.summary["gpu_hours_allocated"], 24.0)


def test_outage_between_ticks_is_not_missed(write_scenario):
    # a 6-minute outage of 4 GPUs from 0.05 h to 0.15 h, inside one 10-minute tick
    text = BASE.format(horizon=1, drain="false", cap=100, outages="[{start_h: 0.05, duration_h: 0.1, gpus: 4}]")
    r = simulate(write_scenario(text.replace("tick_s: 3600", "tick_s: 600"), "arrival_h,gpus,work_gpu_h\n0,2,1\n"))
    assert r.summary["gpu_hours_available"] == pytest.approx(8 * 1.0 - 4 * 0.1)
    ts = r.tables["timeseries"].to_pydict()
    assert min(ts["capacity_gpus"]) == 4
    assert sum(ts["step_h"]) == pytest.approx(1.0)


@pytest.mark.parametrize("on_preemption,overhead_s,end_h,lost_gpu_h", [
    # keep: the work done before 2 h stays; ends at 11 h as above, nothing lost
    ("keep", 0, 11.0, 0.0),
    # rollback with checkpoints every 0.75 h: the last one before 2 h is at 1.5 h, so 0.5 h x 8
    # GPUs = 4 GPU-h are thrown away; 68 GPU-h are left at 3 h: 8.5 h more, ending at 11.5 h
    ("rollback", 0, 11.5, 4.0),
    # and a 900 s restart overhead: 8 GPUs held idle for 0.25 h (2 GPU-h), ending at 11.75 h
    ("rollback", 900, 11.75, 6.0),
])
def test_preemption_keeps_or_rolls_back_work(write_scenario, on_preemption, overhead_s, end_h, lost_gpu_h):
    text = BASE.format(horizon=13, drain="false", cap=100, outages="[{start_h: 2, duration_h: 1, gpus: 4}]")
    text = (text.replace("csv: jobs.csv}", f"csv: jobs.csv, checkpoint_interval_h: 0.75, on_preemption: {on_preemption}}}")
            .replace("policy: {name: fifo}", f"policy: {{name: fifo, restart_overhead_s: {overhead_s}}}"))
    r = simulate(write_scenario(text, "arrival_h,gpus,work_gpu_h\n0,8,80\n"))
    job = r.tables["jobs"].to_pylist()[0]
    assert job["state"] == "completed" and job["preemptions"] == 1
    assert job["end_h"] == pytest.approx(end_h)
    assert r.summary["gpu_hours_lost_preemption"] == pytest.approx(lost_gpu_h)
    assert r.summary["work_lost_to_faults_gpu_h"] == 0.0
    assert r.summary["useful_work_ref_gpu_h"] == pytest.approx(80.0)
