"""Tiresias' discretised 2D-LAS worked out by hand, then every policy on a random 300-job
scenario: the invariants hold, the same seed gives the same tables.

Hand cases: one pool of 4 H100 (speed 1), one tick an hour, `las_thresholds_gpu_h: [4]`:
two queues, Q0 below 4 GPU-h of attained service (GPUs x hours held), Q1 from there.
"""

from __future__ import annotations

import numpy as np
import pytest

from orbitgrid.engine import simulate
from orbitgrid.scenario import PolicySpec
from orbitgrid.world.pools import World
from lab import lab_scenario, pool  # tests/lab.py

H = 3600.0
THREE_JOBS = "arrival_h,gpus,work_gpu_h\n0,4,12\n0.5,2,2\n2,4,4\n"  # the first case

H100_4 = pool("h100", "H100", 4, busy_power_w=1000, idle_power_w=100)


def _run(write_scenario, policy, jobs, horizon=10, workload="", world=None, name="scenario.yaml"):
    loaded = write_scenario(lab_scenario(H100_4, policy, horizon, workload, name="las-by-hand"), jobs, name=name)
    return simulate(loaded, world=world)


def _jobs(r):
    return r.tables["jobs"].to_pylist()


def _rows(r, job):
    rows = [a for a in r.tables["allocations"].to_pylist() if a["job_id"] == job]
    return [(a["start_h"], a["end_h"], a["ended_by"]) for a in sorted(rows, key=lambda a: a["start_h"])]


def test_defaults_are_tiresias_simulator_ones():
    # github.com/SymbioticLab/Tiresias simulator/jobs.py: num_queue = 3, queue_limit =
    # [3250, 7200, 18000] GPU-seconds (with 3 queues the first two apply); "dlas-gpu" runs
    # with solve_starvation = 0 (no promotion)
    spec = PolicySpec(name="las")
    assert [t * 3600 for t in spec.las_thresholds_gpu_h] == pytest.approx([3250, 7200])
    assert spec.las_promote_knob is None
    with pytest.raises(ValueError, match="increase strictly"):
        PolicySpec(name="las", las_thresholds_gpu_h=[2, 1])


def test_a_new_job_preempts_a_demoted_one(write_scenario):
    """job0 t=0 4 GPUs 12 GPU-h; job1 t=0.5 2 GPUs 2 GPU-h; job2 t=2 4 GPUs 4 GPU-h.

    0-1: job0 runs; at 0.5 job1 (Q0) waits: job0 is in Q0 too (2 GPU-h), no preemption.
    1: job0 reaches 4 GPU-h and drops to Q1 (the policy asked for a pass then): job1 preempts
       it and runs 1-2 on 2 GPUs; job0 does not fit in the 2 left and preempts nobody in
       its own queue (2 GPUs stay idle: no reservation, as in Tiresias).
    2: job1 ends (2 GPU-h, still Q0); job2 arrives in Q0 and runs 2-3 ahead of job0 (Q1).
    3: job2 ends; job0 (8 GPU-h left) runs 3-5.
    JCT 5, 1.5, 1 (FIFO: 3, 3.5, 3). One preemption.
    """
    r = _run(write_scenario, "{name: las, las_thresholds_gpu_h: [4]}", THREE_JOBS)
    jobs = _jobs(r)
    assert [j["end_h"] for j in jobs] == pytest.approx([5.0, 2.0, 3.0])
    assert [j["first_start_h"] for j in jobs] == pytest.approx([0.0, 1.0, 2.0])
    assert [j["preemptions"] for j in jobs] == [1, 0, 0]
    assert _rows(r, 0) == [(0.0, 1.0, "preempted"), (3.0, 5.0, "completed")]
    assert r.summary["mean_jct_h"] == pytest.approx((5 + 1.5 + 1) / 3)
    assert r.summary["gpu_hours_allocated"] == pytest.approx(12 + 2 + 4)


def test_fifo_within_a_queue_is_by_the_time_a_job_entered_it(write_scenario):
    """A: job0 t=0 1 GPU 10 GPU-h; B: job1 t=0 3 GPUs 30 GPU-h; C: job2 t=5 4 GPUs 4 GPU-h;
    D: job3 t=5.5 1 GPU 0.5 GPU-h.

    0: A and B start. B reaches 4 GPU-h at 4/3 h and enters Q1 then; A only at 4 h.
    5: C (Q0) needs all 4 GPUs: it preempts both (A first: the last to enter Q1) and runs
       5-6. A has done 5 GPU-h, B 15.
    5.5: D (Q0) waits: C is in Q0 too.
    6: C ends. D (Q0) takes 1 GPU; in Q1, B (entered at 1.33 h) goes before A (entered at
       4 h, though it arrived first): B takes 3, A waits.
    6.5: D ends; A runs 6.5-11.5 (5 GPU-h left). B runs 6-11 (15 GPU-h on 3 GPUs).
    """
    jobs = "arrival_h,gpus,work_gpu_h\n0,1,10\n0,3,30\n5,4,4\n5.5,1,0.5\n"
    r = _run(write_scenario, "{name: las, las_thresholds_gpu_h: [4]}", jobs, horizon=12)
    out = _jobs(r)
    assert [j["end_h"] for j in out] == pytest.approx([11.5, 11.0, 6.0, 6.5])
    assert [j["preemptions"] for j in out] == [1, 1, 0, 0]
    assert _rows(r, 0) == [(0.0, 5.0, "preempted"), (6.5, pytest.approx(11.5), "completed")]
    assert _rows(r, 1) == [(0.0, 5.0, "preempted"), (6.0, pytest.approx(11.0), "completed")]


def test_promote_knob_brings_a_starved_job_back(write_scenario):
    """job0 t=0 4 GPUs 12 GPU-h; job1 t=1 4 GPUs 16 GPU-h.

    Without the knob: at 1 job0 drops to Q1 and job1 (Q0) preempts it; job1 reaches Q1 at 2
    but job0 is in Q1 too, so job1 runs on to 5 (16 GPU-h); job0 (8 left) runs 5-7.

    knob 1 (promote once the wait since first start, or since the last promotion, reaches
    1 x the run time in that span): job0 ran 0-1, waited 1-2: promoted at 2 to Q0, when
    job1 drops to Q1: job0 preempts job1. job0 runs 2-3, back in Q1 at 3; job1 ran 1-2 and
    waited 2-3: promoted at 3, preempts job0 and runs 3-4. At 4 job1 is in Q1 and job0
    (ran 2-3 since its promotion, waited 3-4) is promoted: it runs 4-5 and is done (12 GPU-h).
    job1 waited 4-5 after running 3-4: promoted at 5, runs 5-7 with its last 8 GPU-h.
    Two preemptions each.
    """
    jobs = "arrival_h,gpus,work_gpu_h\n0,4,12\n1,4,16\n"
    plain = _run(write_scenario, "{name: las, las_thresholds_gpu_h: [4]}", jobs, name="plain.yaml")
    assert [j["end_h"] for j in _jobs(plain)] == pytest.approx([7.0, 5.0])
    assert [j["preemptions"] for j in _jobs(plain)] == [1, 0]

    knob = _run(write_scenario, "{name: las, las_thresholds_gpu_h: [4], las_promote_knob: 1}", jobs, name="knob.yaml")
    out = _jobs(knob)
    assert [j["end_h"] for j in out] == pytest.approx([5.0, 7.0])
    assert [j["preemptions"] for j in out] == [2, 2]
    assert _rows(knob, 0) == [(0.0, 1.0, "preempted"), (2.0, 3.0, "preempted"), (4.0, 5.0, "completed")]
    assert _rows(knob, 1) == [(1.0, 2.0, "preempted"), (3.0, 4.0, "preempted"), (5.0, 7.0, "completed")]


def test_restart_overhead_under_las(write_scenario):
    """The first case with restart_overhead_s = 1800: job0 restarts at 3 but works only from
    3.5, so it ends at 5.5; it holds 4 GPUs for 1 + 0.5 + 2 h = 14 GPU-h."""
    r = _run(
        write_scenario, "{name: las, las_thresholds_gpu_h: [4], restart_overhead_s: 1800}",
        THREE_JOBS,
    )  # fmt: skip
    assert [j["end_h"] for j in _jobs(r)] == pytest.approx([5.5, 2.0, 3.0])
    assert _rows(r, 0) == [(0.0, 1.0, "preempted"), (3.0, 3.5, "respeed"), (3.5, pytest.approx(5.5), "completed")]
    assert r.summary["gpu_hours_allocated"] == pytest.approx(14 + 2 + 4)
    assert r.summary["useful_work_ref_gpu_h"] == pytest.approx(12 + 2 + 4)


# --- warm-up against throttling and faults (a World built by hand) ----------------------


def _world(count, horizon_h, factor, faults=()):
    n = len(count)
    count = np.asarray(count, dtype=np.int64)
    times = np.arange(0.0, horizon_h * H, H)
    return World(
        pool_names=tuple(f"sat{i}" for i in range(n)), pool_gpu=("H100",) * n,
        pool_site=np.zeros(n, dtype=np.int64), installed=count, speed=np.ones(n),
        busy_power_w=np.full(n, 1000.0), idle_power_w=np.zeros(n), domain=np.arange(n, dtype=np.int64),
        site_names=("orbit",), site_lat_deg=np.array([0.0]), site_lon_deg=np.array([0.0]),
        site_cap_w=np.array([np.inf]), site_pue=np.array([1.0]),
        outage_pool=np.zeros(0, dtype=np.int64), outage_start_s=np.zeros(0), outage_end_s=np.zeros(0),
        outage_gpus=np.zeros(0, dtype=np.int64), reference_gpu="H100", orbital_pools=np.arange(n, dtype=np.int64),
        orbital_times_s=times, orbital_usable=np.tile(count, (times.size, 1)),
        orbital_lost_power=np.zeros((times.size, n), dtype=np.int64),
        orbital_lost_heat=np.zeros((times.size, n), dtype=np.int64),
        orbital_speed_factor=np.asarray(factor, dtype=np.float64),
        fault_time_s=np.array([f[0] * H for f in faults], dtype=np.float64),
        fault_pool=np.array([f[1] for f in faults], dtype=np.int64),
        fault_gpus=np.array([f[2] for f in faults], dtype=np.int64),
    )  # fmt: skip


def test_warm_up_spans_a_throttled_tick(write_scenario):
    """The first case on a pool throttled to 0.5 from 3 h to 4 h, restart overhead 1.5 h:
    job0 restarts at 3 and does nothing until 4.5 (the throttle passes unseen); then 8
    GPU-h at 4 GPU-h/h: it ends at 6.5."""
    world = _world([4], 10, [[1.0]] * 3 + [[0.5]] + [[1.0]] * 6)
    r = _run(
        write_scenario, "{name: las, las_thresholds_gpu_h: [4], restart_overhead_s: 5400}",
        THREE_JOBS, world=world,
    )  # fmt: skip
    assert [j["end_h"] for j in _jobs(r)] == pytest.approx([6.5, 2.0, 3.0])
    assert _rows(r, 0) == [(0.0, 1.0, "preempted"), (3.0, 4.5, "respeed"), (4.5, pytest.approx(6.5), "completed")]


def test_a_fault_during_warm_up_loses_no_work(write_scenario):
    """As above, unthrottled, with all 4 GPUs hit at 3.25 h (inside the warm-up): job0 kept
    4 GPU-h at its preemption and has done nothing since, so it loses nothing, queues and
    restarts at once; a fault restart pays no overhead: 8 GPU-h from 3.25, ends at 5.25."""
    world = _world([4], 10, [[1.0]] * 10, faults=[(3.25, 0, 4)])
    r = _run(
        write_scenario, "{name: las, las_thresholds_gpu_h: [4], restart_overhead_s: 1800}",
        THREE_JOBS, world=world,
        workload=", checkpoint_interval_h: 1",
    )  # fmt: skip
    job0 = _jobs(r)[0]
    assert job0["end_h"] == pytest.approx(5.25)
    assert job0["work_lost_gpu_h"] == pytest.approx(0.0)
    assert job0["fault_interruptions"] == 1 and job0["preemptions"] == 1
    assert _rows(r, 0) == [(0.0, 1.0, "preempted"), (3.0, 3.25, "fault"), (3.25, pytest.approx(5.25), "completed")]


# --- every policy on a random 300-job scenario ------------------------------------------

RANDOM = """
name: random-300
simulation: {{duration_h: 24, tick_s: 600, seed: 11, drain: true, drain_limit_h: 200}}
sites:
  - name: a
    location: {{lat_deg: 0, lon_deg: 0}}
    power_cap_mw: 100
    pue: 1.2
    pools:
      - {{name: h100, gpu: H100, count: 64, outages: [{{start_h: 5, duration_h: 3, gpus: 24}}]}}
      - {{name: gb200, gpu: GB200, count: 36}}
  - name: b
    location: {{lat_deg: 10, lon_deg: 10}}
    power_cap_mw: 100
    pue: 1.3
    pools:
      - {{name: a100, gpu: A100, count: 32}}
workload:
  generator:
    arrival_rate_per_h: 40
    jobs: 300
    gpus_per_job: {{min: 1, max: 64, pareto_alpha: 0.9}}
    duration_h: {{median_h: 0.7, sigma: 1.3, max_h: 20}}
    gpu_types:
      - {{types: any, weight: 0.6}}
      - {{types: [H100], weight: 0.2}}
      - {{types: [GB200, H100], weight: 0.2}}
    priorities: [{{value: 0, weight: 0.9}}, {{value: 5, weight: 0.1}}]
policy: {policy}
"""

POLICIES = [
    "{name: fifo}",
    "{name: backfill, restart_overhead_s: 120}",
    "{name: sjf}",
    "{name: sjf, preemptive: true, restart_overhead_s: 120}",
    "{name: las}",
    "{name: las, las_thresholds_gpu_h: [2, 8], las_promote_knob: 4, restart_overhead_s: 60}",
]


@pytest.mark.parametrize("policy", POLICIES)
def test_invariants_and_determinism_on_300_random_jobs(write_scenario, policy):
    """simulate() checks the invariants itself (engine/invariants.py) and raises on a broken
    one; here every job also ends, and a second run with the same seed is identical."""
    loaded = write_scenario(RANDOM.format(policy=policy))
    a = simulate(loaded)
    s = a.summary
    assert s["jobs_submitted"] == 300
    assert s["jobs_completed"] + s["jobs_failed"] == 300 and s["jobs_queued"] == 0 and s["jobs_running"] == 0
    assert s["jobs_failed"] == 0
    jobs = a.tables["jobs"].to_pylist()
    assert sum(j["preemptions"] for j in jobs) == s["preemptions"]
    if "sjf, preemptive" in policy or "las" in policy:
        assert s["preemptions"] > 0  # the scenario really makes them preempt
    # allocated GPU-hours = log rows; useful work = every job's work (none lost: no faults)
    work = sum(j["work_gpu_h"] for j in jobs)
    assert s["useful_work_ref_gpu_h"] == pytest.approx(work, rel=1e-9)
    b = simulate(loaded)
    assert a.summary == b.summary
    for name in a.tables:
        assert a.tables[name].equals(b.tables[name]), name


def test_las_beats_fifo_on_mean_jct(write_scenario):
    """Tiresias' headline: LAS without runtime knowledge cuts mean JCT against FIFO."""
    fifo = simulate(write_scenario(RANDOM.format(policy="{name: fifo}"), name="f.yaml"))
    las = simulate(write_scenario(RANDOM.format(policy="{name: las}"), name="l.yaml"))
    srtf = simulate(write_scenario(RANDOM.format(policy="{name: sjf, preemptive: true}"), name="s.yaml"))
    assert las.summary["mean_jct_h"] < fifo.summary["mean_jct_h"]
    assert srtf.summary["mean_jct_h"] < fifo.summary["mean_jct_h"]


def test_periodic_scheduler_waits_for_its_interval(write_scenario):
    """schedule_interval_s 1 h, FIFO on 4 H100: job0 (0 h, 4 GPUs, 8 GPU-h) starts at 0 (a
    multiple) and runs 0-2 h; job1 (0.5 h, 4 GPUs, 2 GPU-h) starts at the 2 h pass and runs
    2-2.5 h; job2 (2.25 h, 4 GPUs, 1 GPU-h) waits for job1 and then for the 3 h pass.
    Event-driven, job2 starts when job1 ends: 2.5 h."""
    jobs = "arrival_h,gpus,work_gpu_h\n0,4,8\n0.5,4,2\n2.25,4,1\n"
    r = _run(write_scenario, "{name: fifo, schedule_interval_s: 3600}", jobs)
    assert [j["first_start_h"] for j in _jobs(r)] == pytest.approx([0.0, 2.0, 3.0])
    r = _run(write_scenario, "{name: fifo}", jobs, name="b.yaml")
    assert [j["first_start_h"] for j in _jobs(r)] == pytest.approx([0.0, 2.0, 2.5])


def test_preemption_within_a_queue(write_scenario):
    """One LAS queue (threshold 1000 GPU-h) on 4 H100. A (0 h, 2 GPUs, 2 GPU-h) runs 0-1 h.
    B (0.1 h, 4 GPUs, 4 GPU-h) does not fit and waits. C (0.2 h, 2 GPUs, 20 GPU-h) fits the
    2 free GPUs and starts. At 1 h A ends; B needs 4.
    Default (the Tiresias authors' simulator): B may not preempt C, same queue; it waits for C
    (ends 10.2 h): B 10.2-11.2 h.
    las_preempt_within_queue (Pollux's Tiresias, strict order): B entered first, so it
    preempts C at 1 h and runs 1-2 h; C, 0.8 h x 2 GPUs = 1.6 GPU-h done, restarts at 2 h
    with 18.4 GPU-h: 9.2 h, ends 11.2 h."""
    jobs = "arrival_h,gpus,work_gpu_h\n0,2,2\n0.1,4,4\n0.2,2,20\n"
    base = "{{name: las, preemptive: true, las_thresholds_gpu_h: [1000]{extra}}}"
    r = _run(write_scenario, base.format(extra=""), jobs, horizon=20)
    assert [j["end_h"] for j in _jobs(r)] == pytest.approx([1.0, 11.2, 10.2]) and r.summary["preemptions"] == 0
    r = _run(write_scenario, base.format(extra=", las_preempt_within_queue: true"), jobs, horizon=20, name="s.yaml")
    assert [j["end_h"] for j in _jobs(r)] == pytest.approx([1.0, 2.0, 11.2]) and r.summary["preemptions"] == 1
