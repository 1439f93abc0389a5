"""Throttled GPUs and fault hits, on Worlds small enough to work out on paper.

Each World is built directly: H100 pools (speed 1.0 against the H100 reference), one tick
an hour, no grid cap, every GPU in service. A pool's speed factor, where one is given, is
tabulated on the tick grid as an orbital pool's is; fault hits are listed by hand.
"""

from __future__ import annotations

import numpy as np
import pytest

from orbitgrid.engine import simulate
from orbitgrid.world.pools import World
from lab import lab_scenario, pool  # tests/lab.py

H = 3600.0

SAT0 = pool("sat0", "H100", 4, busy_power_w=1000, idle_power_w=0)


def _world(count, horizon_h, factor=None, faults=()):
    """Pools sat0, sat1, ... of `count[i]` H100s, each its own training domain.
    `factor`: (hours, pools) speed factor per one-hour tick; `faults`: (t_h, pool, gpus)."""
    n = len(count)
    count = np.asarray(count, dtype=np.int64)
    times = np.arange(0.0, horizon_h * H, H)
    factor = np.ones((times.size, n)) if factor is None else np.asarray(factor, dtype=np.float64)
    faults = sorted(faults)
    return World(
        pool_names=tuple(f"sat{i}" for i in range(n)),
        pool_gpu=("H100",) * n,
        pool_site=np.zeros(n, dtype=np.int64),
        installed=count,
        speed=np.ones(n),
        busy_power_w=np.full(n, 1000.0),
        idle_power_w=np.zeros(n),
        domain=np.arange(n, dtype=np.int64),
        site_names=("orbit",),
        site_lat_deg=np.array([0.0]),
        site_lon_deg=np.array([0.0]),
        site_cap_w=np.array([np.inf]),
        site_pue=np.array([1.0]),
        outage_pool=np.zeros(0, dtype=np.int64),
        outage_start_s=np.zeros(0),
        outage_end_s=np.zeros(0),
        outage_gpus=np.zeros(0, dtype=np.int64),
        reference_gpu="H100",
        orbital_pools=np.arange(n, dtype=np.int64),
        orbital_times_s=times,
        orbital_usable=np.tile(count, (times.size, 1)),
        orbital_lost_power=np.zeros((times.size, n), dtype=np.int64),
        orbital_lost_heat=np.zeros((times.size, n), dtype=np.int64),
        orbital_speed_factor=factor,
        fault_time_s=np.array([f[0] * H for f in faults], dtype=np.float64),
        fault_pool=np.array([f[1] for f in faults], dtype=np.int64),
        fault_gpus=np.array([f[2] for f in faults], dtype=np.int64),
    )


def _run(write_scenario, jobs_csv, world, horizon=4, extra="", seed=None, name="scenario.yaml"):
    loaded = write_scenario(lab_scenario(SAT0, "{name: fifo}", horizon, extra, name="throttle-and-faults"), jobs_csv, name=name)
    return simulate(loaded, seed=seed, world=world)


def _rows(r):
    alloc = sorted(r.tables["allocations"].to_pylist(), key=lambda a: (a["start_h"], a["job_id"], a["pool_id"]))
    return [(a["start_h"], a["end_h"], a["ended_by"], a["speed"]) for a in alloc]


# --- throttling -------------------------------------------------------------------


def test_throttled_hour_slows_the_gang_without_preempting_it(write_scenario):
    # 4 GPUs x 8 GPU-h; factor 0.5 from 1 h to 2 h. 0-1 h at full speed: 4 GPU-h; 1-2 h at
    # half: 4 x 0.5 = 2 GPU-h; 2 GPU-h are left at 4 GPU-h/h: 0.5 h, so it ends at 2.5 h.
    world = _world([4], 4, factor=[[1.0], [0.5], [1.0], [1.0]])
    r = _run(write_scenario, "arrival_h,gpus,work_gpu_h\n0,4,8\n", world)
    job = r.tables["jobs"].to_pylist()[0]
    assert job["state"] == "completed"
    assert job["end_h"] == pytest.approx(2.5)
    assert job["first_start_h"] == 0.0
    assert job["preemptions"] == 0 and job["fault_interruptions"] == 0
    assert job["work_done_gpu_h"] == pytest.approx(8.0)
    # one log row per constant-speed stretch, split at the ticks that changed the speed
    rows = _rows(r)
    assert [row[:3] for row in rows] == [
        (0.0, 1.0, "respeed"),
        (1.0, 2.0, "respeed"),
        (2.0, pytest.approx(2.5), "completed"),
    ]
    assert [row[3] for row in rows] == [1.0, 0.5, 1.0]
    s = r.summary
    assert s["preemptions"] == 0
    assert s["gpu_hours_allocated"] == pytest.approx(10.0)  # 4 GPUs busy for 2.5 h
    assert s["allocation_utilization"] == pytest.approx(10.0 / 16.0)
    # useful 8 GPU-h; possible 4 GPUs x (1 + 0.5 + 1 + 1) h = 14 reference GPU-h
    assert s["useful_work_ref_gpu_h"] == pytest.approx(8.0)
    assert s["effective_utilization"] == pytest.approx(8.0 / 14.0)
    # the gang held its GPUs throughout: the queue series sees one running job each hour
    assert r.tables["queue"].column("running_jobs").to_pylist() == [1, 1, 1, 0]


def test_a_gang_started_while_throttled_starts_at_the_throttled_speed(write_scenario):
    # 4 GPUs x 2 GPU-h arriving at 1.25 h, factor 0.5 from 1 h to 2 h: 2 GPU-h/h until 2 h
    # gives 1.5 GPU-h; the last 0.5 GPU-h at 4 GPU-h/h take 0.125 h: it ends at 2.125 h.
    world = _world([4], 4, factor=[[1.0], [0.5], [1.0], [1.0]])
    r = _run(write_scenario, "arrival_h,gpus,work_gpu_h\n1.25,4,2\n", world)
    assert _rows(r) == [(1.25, 2.0, "respeed", 0.5), (2.0, pytest.approx(2.125), "completed", 1.0)]
    assert r.summary["gpu_hours_allocated"] == pytest.approx(4 * 0.875)
    assert r.summary["useful_work_ref_gpu_h"] == pytest.approx(2.0)


# --- fault hits -------------------------------------------------------------------


def test_fault_rolls_back_to_the_last_checkpoint(write_scenario):
    # 4 GPUs x 8 GPU-h from 0 h, checkpoints every hour of run time. All 4 GPUs hit at 1.5 h:
    # 6 GPU-h done, the checkpoint at 1 h holds 4, so 0.5 h x 4 GPUs = 2 GPU-h are lost. The
    # fault leaves capacity alone: the job queues and restarts at once with 4 GPU-h to go,
    # which take 1 h: it ends at 2.5 h.
    world = _world([4], 4, faults=[(1.5, 0, 4)])
    r = _run(write_scenario, "arrival_h,gpus,work_gpu_h\n0,4,8\n", world, extra=", checkpoint_interval_h: 1")
    job = r.tables["jobs"].to_pylist()[0]
    assert job["state"] == "completed"
    assert job["end_h"] == pytest.approx(2.5)
    assert job["first_start_h"] == 0.0
    assert job["fault_interruptions"] == 1 and job["preemptions"] == 0
    assert job["work_lost_gpu_h"] == pytest.approx(2.0)
    assert job["work_done_gpu_h"] == pytest.approx(8.0)
    assert _rows(r) == [(0.0, 1.5, "fault", 1.0), (1.5, pytest.approx(2.5), "completed", 1.0)]
    s = r.summary
    assert s["fault_hits"] == 1 and s["fault_interruptions"] == 1 and s["jobs_killed_by_faults"] == 0
    assert s["preemptions"] == 0
    assert s["work_lost_to_faults_gpu_h"] == pytest.approx(2.0)
    # the GPUs were busy 2.5 h (10 GPU-h), but only 10 - 2 = 8 reference GPU-h were kept
    assert s["gpu_hours_allocated"] == pytest.approx(10.0)
    assert s["useful_work_ref_gpu_h"] == pytest.approx(8.0)
    assert s["effective_utilization"] == pytest.approx(8.0 / 16.0)


def test_fault_without_checkpoints_loses_everything(write_scenario):
    # no checkpoint interval: the 6 GPU-h done by 1.5 h are lost, and the job starts over at
    # 1.5 h with all 8 GPU-h to do: 2 h, it ends at 3.5 h. 14 GPU-h busy, 14 - 6 = 8 kept.
    world = _world([4], 4, faults=[(1.5, 0, 4)])
    r = _run(write_scenario, "arrival_h,gpus,work_gpu_h\n0,4,8\n", world)
    job = r.tables["jobs"].to_pylist()[0]
    assert job["end_h"] == pytest.approx(3.5)
    assert job["work_lost_gpu_h"] == pytest.approx(6.0)
    assert r.summary["gpu_hours_allocated"] == pytest.approx(14.0)
    assert r.summary["useful_work_ref_gpu_h"] == pytest.approx(8.0)
    assert r.summary["work_lost_to_faults_gpu_h"] == pytest.approx(6.0)


def test_checkpoint_taken_at_another_speed_is_kept(write_scenario):
    # factor 0.5 from 1 h to 2 h; checkpoints every 0.8 h; all GPUs hit at 1.2 h.
    # Work: 4 GPU-h by 1 h, then 2 GPU-h/h: 4.4 at 1.2 h. The last checkpoint, at 0.8 h,
    # holds 3.2 (taken at full speed, before the respeed), so 1.2 GPU-h are lost (not
    # rate x (1.2 mod 0.8) = 2 x 0.4 = 0.8: the rate changed since the checkpoint).
    # Restart at 1.2 h with 4.8 to go: 1.2-2 h at 2/h does 1.6, the last 3.2 at 4/h take
    # 0.8 h: it ends at 2.8 h. Busy 4 x 2.8 = 11.2 GPU-h; log work 4 + 0.4 + 1.6 + 3.2 = 9.2.
    world = _world([4], 4, factor=[[1.0], [0.5], [1.0], [1.0]], faults=[(1.2, 0, 4)])
    r = _run(write_scenario, "arrival_h,gpus,work_gpu_h\n0,4,8\n", world, extra=", checkpoint_interval_h: 0.8")
    job = r.tables["jobs"].to_pylist()[0]
    assert job["end_h"] == pytest.approx(2.8)
    assert job["work_lost_gpu_h"] == pytest.approx(1.2)
    assert _rows(r) == [
        (0.0, 1.0, "respeed", 1.0),
        (1.0, pytest.approx(1.2), "fault", 0.5),
        (pytest.approx(1.2), 2.0, "respeed", 0.5),
        (2.0, pytest.approx(2.8), "completed", 1.0),
    ]
    s = r.summary
    assert s["gpu_hours_allocated"] == pytest.approx(11.2)
    assert s["useful_work_ref_gpu_h"] == pytest.approx(9.2 - 1.2)
    assert s["effective_utilization"] == pytest.approx(8.0 / 14.0)  # possible as in the first test


def test_fault_kills_the_job(write_scenario):
    # on_fault kill: the gang hit at 1.5 h fails there; all 6 GPU-h it did are lost.
    world = _world([4], 4, faults=[(1.5, 0, 4)])
    r = _run(
        write_scenario, "arrival_h,gpus,work_gpu_h\n0,4,8\n", world,
        extra=", checkpoint_interval_h: 1, on_fault: kill",
    )  # fmt: skip
    job = r.tables["jobs"].to_pylist()[0]
    assert job["state"] == "failed"
    assert job["fail_reason"] == "killed by a fault at t=1.500 h on pool sat0"
    assert job["end_h"] == pytest.approx(1.5)
    assert job["fault_interruptions"] == 1
    assert job["work_done_gpu_h"] == 0.0 and job["work_lost_gpu_h"] == pytest.approx(6.0)
    assert _rows(r) == [(0.0, 1.5, "fault", 1.0)]
    s = r.summary
    assert s["jobs_failed"] == 1 and s["jobs_killed_by_faults"] == 1 and s["jobs_completed"] == 0
    assert s["fault_hits"] == 1 and s["fault_interruptions"] == 1
    assert s["gpu_hours_allocated"] == pytest.approx(6.0)
    assert s["useful_work_ref_gpu_h"] == pytest.approx(0.0, abs=1e-12)
    assert s["work_lost_to_faults_gpu_h"] == pytest.approx(6.0)


def test_a_hit_on_an_idle_pool_does_nothing(write_scenario):
    # two 4-GPU pools; the 4-GPU job runs on sat0 (the first of equals) 0-2 h. All of sat1
    # is hit at 1 h: no GPU hit is busy, so nothing changes but the count of hits.
    world = _world([4, 4], 4, faults=[(1.0, 1, 4)])
    r = _run(write_scenario, "arrival_h,gpus,work_gpu_h\n0,4,8\n", world, extra=", checkpoint_interval_h: 1")
    alloc = r.tables["allocations"].to_pylist()
    assert [(a["pool_id"], a["start_h"], a["end_h"], a["ended_by"]) for a in alloc] == [(0, 0.0, 2.0, "completed")]
    s = r.summary
    assert s["fault_hits"] == 1
    assert s["fault_interruptions"] == 0 and s["work_lost_to_faults_gpu_h"] == 0.0 and s["jobs_killed_by_faults"] == 0
    assert s["jobs_completed"] == 1


# --- the random draw ----------------------------------------------------------------

N_HITS = 1000


def _half_busy_run(write_scenario, seed, name):
    # 8 GPUs, four 1-GPU jobs far too long to finish: a = 4 busy of n = 8. A hit of k = 2
    # GPUs every minute, from 0.5 min; each interrupted job (no checkpoints) queues and
    # restarts at once, so every hit finds 4 of 8 busy again.
    times = (np.arange(N_HITS) + 0.5) / 60.0
    world = _world([8], 20, faults=[(t, 0, 2) for t in times])
    jobs = "arrival_h,gpus,work_gpu_h\n" + "0,1,1000000\n" * 4
    return _run(write_scenario, jobs, world, horizon=20, seed=seed, name=name)


def test_fault_draws_are_hypergeometric_and_seeded(write_scenario):
    a = _half_busy_run(write_scenario, 0, "a.yaml")
    again = _half_busy_run(write_scenario, 0, "b.yaml")
    other = _half_busy_run(write_scenario, 1, "c.yaml")
    assert a.summary == again.summary
    for name in a.tables:
        assert a.tables[name].equals(again.tables[name]), name
    assert not a.tables["allocations"].equals(other.tables["allocations"])

    for r in (a, other):
        s = r.summary
        assert s["fault_hits"] == N_HITS
        alloc = r.tables["allocations"].to_pydict()
        fault_ends = [e for e, why in zip(alloc["end_h"], alloc["ended_by"]) if why == "fault"]
        busy_hit = np.bincount(np.unique(np.round(fault_ends, 9), return_counts=True)[1], minlength=3)
        busy_hit[0] = N_HITS - busy_hit[1:].sum()  # hits that found no busy GPU leave no row
        # busy GPUs among 2 drawn of 8 with 4 busy: P(0) = C(4,2)/C(8,2) = 6/28,
        # P(1) = 4*4/28 = 16/28, P(2) = 6/28 (drawing with replacement would give 1/4, 1/2, 1/4);
        # sd of each share over 1000 hits <= sqrt(0.25/1000) = 0.016: within 0.05 is > 3 sd
        assert busy_hit / N_HITS == pytest.approx([6 / 28, 16 / 28, 6 / 28], abs=0.05)
        # the share of hit GPUs that were busy: a/n = 1/2; its sd over 2000 GPUs drawn in
        # pairs is sqrt(1000 * 2 * 1/2 * 1/2 * 6/7) / 2000 = 0.0104: within 0.04 is ~4 sd
        assert s["fault_interruptions"] == len(fault_ends) == busy_hit[1] + 2 * busy_hit[2]
        assert s["fault_interruptions"] / (2 * N_HITS) == pytest.approx(0.5, abs=0.04)
        # no checkpoints: what each interrupted run did is lost; what is kept is the
        # stretch each job was running at the horizon
        rows = list(zip(alloc["start_h"], alloc["end_h"], alloc["ended_by"]))
        lost = sum(e - st for st, e, why in rows if why == "fault")
        kept = sum(e - st for st, e, why in rows if why == "horizon")
        assert s["work_lost_to_faults_gpu_h"] == pytest.approx(lost)
        assert s["useful_work_ref_gpu_h"] == pytest.approx(kept)
        assert s["gpu_hours_allocated"] == pytest.approx(4 * 20)
