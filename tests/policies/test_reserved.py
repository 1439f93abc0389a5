"""Reserved capacity over spot work (`reserved`), worked out by hand, then on a random
300-job scenario (the engine checks its invariants after every run: engine/invariants.py).

Hand cases: one pool of 8 H100 (speed 1 against the H100 reference), one tick an hour; the
`tenant` column of the job file names each job's tenant.
"""

from __future__ import annotations

import numpy as np
import pytest

from orbitgrid.engine import simulate
from test_las import RANDOM as LAS_RANDOM  # noqa: E402  (the shared random scenario)
from orbitgrid.errors import InputError
from orbitgrid.policies.reserved import first_fit
from lab import alloc_rows, job_rows, lab_scenario, pool  # tests/lab.py

H100_8 = pool("h100", "H100", 8, busy_power_w=1000, idle_power_w=100)


def _run(write_scenario, policy, jobs, horizon=10, workload="", name="scenario.yaml"):
    text = lab_scenario(H100_8, policy, horizon, workload, name="reserved-by-hand")
    return simulate(write_scenario(text, jobs, name=name))


_jobs, _rows = job_rows, alloc_rows


# job0: spot (tenant `spot-co`, no reservation), 8 GPUs, 16 GPU-h: 2 h alone
# job1: tenant `gold` (4 GPUs reserved), 4 GPUs, 4 GPU-h, arrives at 1 h: 1 h on 4 GPUs
SPOT_THEN_GOLD = "arrival_h,gpus,work_gpu_h,tenant\n0,8,16,spot-co\n1,4,4,gold\n"


def test_fifo_reference(write_scenario):
    # without the policy, job1 waits for job0: 0-2, then 2-3
    r = _run(write_scenario, "{name: fifo}", SPOT_THEN_GOLD)
    assert [j["end_h"] for j in _jobs(r)] == pytest.approx([2.0, 3.0])


def test_a_guaranteed_job_preempts_spot_work(write_scenario):
    """At 1 h gold runs 0 GPUs; 0 + 4 <= 4: job1 is guaranteed. No GPU is free: it preempts
    job0 (spot; 8 GPU-h done, it keeps them) and runs 1-2 on 4 GPUs. job0 needs 8 and only 4
    are free: it waits. At 2 job1 ends and job0 resumes: 8 GPU-h left on 8 GPUs, 2-3."""
    r = _run(write_scenario, "{name: reserved, reserved_gpus: {gold: 4}}", SPOT_THEN_GOLD)
    jobs = _jobs(r)
    assert [j["end_h"] for j in jobs] == pytest.approx([3.0, 2.0])
    assert [j["first_start_h"] for j in jobs] == pytest.approx([0.0, 1.0])
    assert [j["preemptions"] for j in jobs] == [1, 0]
    assert _rows(r, 0) == [(0.0, 1.0, "preempted"), (2.0, pytest.approx(3.0), "completed")]
    assert r.summary["gpu_hours_allocated"] == pytest.approx(16 + 4)
    assert r.summary["useful_work_ref_gpu_h"] == pytest.approx(16 + 4)


def test_restart_overhead_and_rollback_are_the_engines(write_scenario):
    """As above with a 900 s restart overhead, checkpoints every 0.75 h and on_preemption:
    rollback: at its preemption (1 h) job0 goes back to its checkpoint at 0.75 h (6 GPU-h
    kept; 0.25 h x 8 GPUs = 2 GPU-h thrown away). It restarts at 2, does nothing until 2.25,
    then its 10 GPU-h left on 8 GPUs take 1.25 h: it ends at 3.5."""
    r = _run(
        write_scenario, "{name: reserved, reserved_gpus: {gold: 4}, restart_overhead_s: 900}",
        SPOT_THEN_GOLD, workload=", checkpoint_interval_h: 0.75, on_preemption: rollback",
    )  # fmt: skip
    jobs = _jobs(r)
    assert [j["end_h"] for j in jobs] == pytest.approx([3.5, 2.0])
    assert _rows(r, 0) == [(0.0, 1.0, "preempted"), (2.0, 2.25, "respeed"), (2.25, pytest.approx(3.5), "completed")]
    # 8 + 0.25 x 8 + 1.25 x 8 GPU-h held by job0
    assert r.summary["gpu_hours_allocated"] == pytest.approx(8 + 2 + 10 + 4)
    assert r.summary["gpu_hours_lost_preemption"] == pytest.approx(2.0 + 2.0)  # rolled back, and the overhead


def test_a_job_beyond_its_tenants_reservation_is_spot(write_scenario):
    """job1 (gold, 8 GPUs) asks for more than gold's 4: it is spot, preempts nothing, and
    waits for job0: 0-2, then 2-4 (16 GPU-h on 8)."""
    jobs = "arrival_h,gpus,work_gpu_h,tenant\n0,8,16,spot-co\n1,8,16,gold\n"
    r = _run(write_scenario, "{name: reserved, reserved_gpus: {gold: 4}}", jobs)
    assert [j["end_h"] for j in _jobs(r)] == pytest.approx([2.0, 4.0])
    assert r.summary["preemptions"] == 0


def test_a_tenants_second_job_counts_its_first(write_scenario):
    """Two gold jobs of 4 GPUs at 1 h, gold reserved 4. job1 is guaranteed (0 + 4 <= 4) and
    preempts job0; job2 (4 + 4 > 4) is spot: it preempts nothing, but the 4 GPUs the
    preemption left free go to the spot queue, first in first out with skipping: job0 (8)
    does not fit, job2 (4) does. Both gold jobs run 1-2; job0 resumes 2-3."""
    jobs = "arrival_h,gpus,work_gpu_h,tenant\n0,8,16,spot-co\n1,4,4,gold\n1,4,4,gold\n"
    r = _run(write_scenario, "{name: reserved, reserved_gpus: {gold: 4}}", jobs)
    out = _jobs(r)
    assert [j["end_h"] for j in out] == pytest.approx([3.0, 2.0, 2.0])
    assert [j["preemptions"] for j in out] == [1, 0, 0]


def test_a_gang_running_beyond_its_reservation_is_spot(write_scenario):
    """job0 is gold's, 8 GPUs against gold's 4: beyond the reservation, so spot, even while
    it runs. job1 (silver, 4 reserved, 4 GPUs) arrives at 1 h: guaranteed, it preempts job0
    and runs 1-2; job0 resumes 2-3."""
    jobs = "arrival_h,gpus,work_gpu_h,tenant\n0,8,16,gold\n1,4,4,silver\n"
    r = _run(write_scenario, "{name: reserved, reserved_gpus: {gold: 4, silver: 4}}", jobs)
    assert [j["end_h"] for j in _jobs(r)] == pytest.approx([3.0, 2.0])
    assert [j["preemptions"] for j in _jobs(r)] == [1, 0]


def test_guaranteed_never_preempts_guaranteed(write_scenario):
    """gold reserves 8 and silver 4: 12 on a fleet of 8 (overbooked, allowed). job0 (gold,
    8 GPUs) is guaranteed and runs 0-2; job1 (silver, 4 GPUs at 1 h) is guaranteed too, but
    its only possible victim is: it waits, 2-3."""
    jobs = "arrival_h,gpus,work_gpu_h,tenant\n0,8,16,gold\n1,4,4,silver\n"
    r = _run(write_scenario, "{name: reserved, reserved_gpus: {gold: 8, silver: 4}}", jobs)
    assert [j["end_h"] for j in _jobs(r)] == pytest.approx([2.0, 3.0])
    assert r.summary["preemptions"] == 0


def test_running_work_of_the_tenant_counts_against_it(write_scenario):
    """gold reserves 8. job0 (gold, 4 GPUs, 40 GPU-h) and job1 (spot, 4 GPUs, 40 GPU-h) run
    from 0. At 1 h: job2 (gold, 4) is guaranteed (4 running + 4 <= 8) and preempts job1;
    job3 (gold, 4, also at 1 h) would make 12: spot, it waits. job2 runs 1-2 (4 GPU-h).
    At 2 h gold runs 4 again: job3 is guaranteed now and goes ahead of job1 (spot, though
    it arrived first): 2-3. At 3 job1 resumes with 36 GPU-h left on 4 GPUs: 3-12."""
    jobs = "arrival_h,gpus,work_gpu_h,tenant\n0,4,40,gold\n0,4,40,spot-co\n1,4,4,gold\n1,4,4,gold\n"
    r = _run(write_scenario, "{name: reserved, reserved_gpus: {gold: 8}}", jobs, horizon=13)
    out = _jobs(r)
    assert [j["end_h"] for j in out] == pytest.approx([10.0, 12.0, 2.0, 3.0])
    assert [j["first_start_h"] for j in out] == pytest.approx([0.0, 0.0, 1.0, 2.0])
    assert [j["preemptions"] for j in out] == [0, 1, 0, 0]


def test_newest_spot_gangs_go_first_and_only_as_many_as_needed(write_scenario):
    """Spot gangs s0 (4 GPUs, 0 h), s1 (2, 0.1 h), s2 (2, 0.2 h) fill the pool, 40 GPU-h each.
    At 1 h a gold job of 4 GPUs (4 reserved) preempts the newest, s2 then s1: 4 GPUs; s0
    runs on. Gold runs 1-2 (4 GPU-h); s1 and s2 resume at 2."""
    jobs = (
        "arrival_h,gpus,work_gpu_h,tenant\n0,4,40,spot-co\n0.1,2,40,spot-co\n0.2,2,40,spot-co\n"
        "1,4,4,gold\n"
    )
    r = _run(write_scenario, "{name: reserved, reserved_gpus: {gold: 4}}", jobs, horizon=30)
    out = _jobs(r)
    assert [j["preemptions"] for j in out] == [0, 1, 1, 0]
    assert out[3]["first_start_h"] == pytest.approx(1.0) and out[3]["end_h"] == pytest.approx(2.0)
    # s1 did 0.9 h x 2 = 1.8 GPU-h before 1 h, s2 1.6: the rest on 2 GPUs from 2 h
    assert out[1]["end_h"] == pytest.approx(2 + (40 - 1.8) / 2)
    assert out[2]["end_h"] == pytest.approx(2 + (40 - 1.6) / 2)
    assert out[0]["end_h"] == pytest.approx(10.0)


def test_first_fit():
    assert first_fit(np.array([4, 8, 2, 2, 1]), 8).tolist() == [True, False, True, True, False]
    assert first_fit(np.array([16, 4]), 8).tolist() == [False, True]
    assert first_fit(np.array([3, 3]), 0).tolist() == [False, False]
    assert first_fit(np.array([], dtype=np.int64), 5).tolist() == []


# --- reserved tenants must exist ---------------------------------------------------------

GENERATED = """
name: reserved-names
simulation: {duration_h: 2, tick_s: 3600}
sites:
  - name: lab
    location: {lat_deg: 0, lon_deg: 0}
    power_cap_mw: 10
    pue: 1.0
    pools: [{name: h100, gpu: H100, count: 8}]
workload:
  generator:
    arrival_rate_per_h: 2
    tenants: [{name: gold}, {name: spot-co}]
policy: {name: reserved, reserved_gpus: {gold: 4, glod: 2}}
"""


def test_an_unknown_generated_tenant_is_a_scenario_error(write_scenario):
    with pytest.raises(InputError) as err:
        write_scenario(GENERATED)
    line = err.value.first_line()
    assert "policy.reserved_gpus.glod" in line and "no tenant named 'glod'" in line and "gold" in line


def test_an_unknown_job_file_tenant_fails_when_the_run_starts(write_scenario):
    with pytest.raises(InputError, match=r"policy\.reserved_gpus\.platinum: no job has the tenant"):
        _run(write_scenario, "{name: reserved, reserved_gpus: {platinum: 4}}", SPOT_THEN_GOLD)


def test_reservations_must_be_counts():
    from orbitgrid.scenario import PolicySpec

    assert PolicySpec().reserved_gpus == {}
    for bad in ({"a": -1}, {"a": 1.5}, {"a": True}, {"": 1}, {"a": 10**9}):
        with pytest.raises(ValueError):
            PolicySpec(name="reserved", reserved_gpus=bad)


# --- a random 300-job scenario -----------------------------------------------------------

# test_las.py's scenario with checkpoints, three tenants and the reserved policy
RANDOM = LAS_RANDOM.replace(
    "workload:\n  generator:\n",
    "workload:\n  checkpoint_interval_h: 0.5\n  on_preemption: {on_preemption}\n  generator:\n",
).replace(
    "    priorities: [{{value: 0, weight: 0.9}}, {{value: 5, weight: 0.1}}]\n",
    "    priorities: [{{value: 0, weight: 0.9}}, {{value: 5, weight: 0.1}}]\n"
    "    tenants: [{{name: anchor, weight: 0.5}}, {{name: second, weight: 0.2}}, {{name: spot, weight: 0.3}}]\n",
).replace(
    "policy: {policy}\n",
    "policy: {{name: reserved, reserved_gpus: {{anchor: 48, second: 16}}, restart_overhead_s: 120}}\n",
)


@pytest.mark.parametrize("on_preemption", ["keep", "rollback"])
def test_invariants_and_determinism_on_300_random_jobs(write_scenario, on_preemption):
    loaded = write_scenario(RANDOM.format(on_preemption=on_preemption))
    a = simulate(loaded)  # checks the invariants itself, and raises on a broken one
    s = a.summary
    assert s["jobs_submitted"] == 300 and s["jobs_failed"] == 0
    assert s["jobs_completed"] == 300 and s["jobs_queued"] == 0 and s["jobs_running"] == 0
    assert s["preemptions"] > 0  # the scenario really makes it preempt
    jobs = a.tables["jobs"].to_pylist()
    assert sum(j["preemptions"] for j in jobs) == s["preemptions"]
    assert s["useful_work_ref_gpu_h"] == pytest.approx(sum(j["work_gpu_h"] for j in jobs), rel=1e-9)
    b = simulate(loaded)
    assert a.summary == b.summary
    for name in a.tables:
        assert a.tables[name].equals(b.tables[name]), name


def test_quiet_passes_decide_as_full_passes(write_scenario, monkeypatch):
    """After a pass that changed nothing, with only arrivals since, the policy judges only the
    newcomers when none of them could be guaranteed: that changes no decision."""
    import orbitgrid.engine.simulator as simulator
    from orbitgrid.policies.reserved import ReservedPolicy

    text = RANDOM.format(on_preemption="keep").replace("arrival_rate_per_h: 40", "arrival_rate_per_h: 120")
    loaded = write_scenario(text)
    quick = []
    real_quick = ReservedPolicy._only_arrivals

    def spy(self, view):
        out = real_quick(self, view)
        quick.append(out is not None)
        return out

    monkeypatch.setattr(ReservedPolicy, "_only_arrivals", spy)
    fast = simulate(loaded)
    assert sum(quick) > 10  # the shortcut is really taken
    real = simulator.Simulator._schedule

    def always_full(self):
        self._changes_at_pass = -1  # never quiet
        return real(self)

    monkeypatch.setattr(simulator.Simulator, "_schedule", always_full)
    quick.clear()
    full = simulate(loaded)
    assert not any(quick)
    assert fast.tables["allocations"].equals(full.tables["allocations"])
    assert fast.summary == full.summary
