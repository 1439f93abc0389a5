"""Gavel's heterogeneity-aware LPs and round mechanism, worked out by hand; then each
objective on the random 300-job scenario of test_las.py: the invariants hold, the same
seed gives the same tables.

The LP cases take a (jobs x types) throughput matrix directly (the policy's input); the
simulated ones use the catalogue's speeds (H100 1, GB200 s = 2500 / 989.4).
"""

from __future__ import annotations

import numpy as np
import pytest

import orbitgrid.policies.gavel as gavel  # (importing it registers the policy)
from orbitgrid.engine import simulate
from orbitgrid.policies import get_policy
from orbitgrid.policies.gavel import equal_share, solve_allocation
from orbitgrid.scenario import PolicySpec
from lab import lab_scenario  # tests/lab.py


S_GB200 = 2500 / 989.4  # GB200 BF16 dense / H100's (the catalogue)


# --- the LPs by hand ------------------------------------------------------------------


def test_defaults_are_gavel_ones():
    # Gavel's simulation sweeps: --interval 360 s (scripts/sweeps/run_sweep_continuous.py);
    # its headline policy is max-min fairness
    spec = PolicySpec(name="gavel")
    assert spec.gavel_round_s == 360.0
    assert spec.gavel_objective == "max_min_fairness"
    assert spec.gavel_priority_weights == {}
    assert get_policy("gavel") is gavel.GavelPolicy
    with pytest.raises(ValueError):
        PolicySpec(name="gavel", gavel_objective="fastest")
    with pytest.raises(ValueError):
        PolicySpec(name="gavel", gavel_round_s=0)


def test_max_min_fairness_puts_the_job_3x_faster_on_a_on_a():
    """Types A and B, one GPU each. job0 runs 3/s on A and 1/s on B; job1 1/s on both.

    Equal share (1/2 of each type each): job0 3/2 + 1/2 = 2, job1 1. Max-min of the
    normalised throughputs: job1 can never pass 1 (a row sums to at most 1, and it makes 1
    per unit of time anywhere), so t* = 1, reached with job1's whole unit of time; of the
    allocations that give it that, the one leaving job0 the most is job1 all on B and job0
    all on A: job0 makes 3, normalised 3/2. A heterogeneity-agnostic split (1/2 each of
    each) would give job0 2, job1 1.
    """
    T = np.array([[3.0, 1.0], [1.0, 1.0]])
    x_eq = equal_share(T, np.ones(2), np.ones(2))
    assert x_eq == pytest.approx(np.full((2, 2), 0.5))
    a = solve_allocation("max_min_fairness", T, np.ones(2), np.ones(2))
    assert a.value == pytest.approx(1.0, rel=1e-6)
    assert a.x == pytest.approx(np.array([[1.0, 0.0], [0.0, 1.0]]), abs=1e-6)
    assert (T * a.x).sum(axis=1) / (T * x_eq).sum(axis=1) == pytest.approx([1.5, 1.0], abs=1e-6)


def test_max_min_fairness_three_jobs_by_hand():
    """A and B one GPU each; job0 (3, 1), job1 and job2 (1, 1).

    Equal share: 1/3 of each type each: job0 4/3, job1 and job2 2/3. A unit of A is worth
    9/4 normalised to job0 and 3/2 to the others; a unit of B 3/4 and 3/2: job0 takes only
    A. With job0 on a share a of A, jobs 1 and 2 share the rest, (1 - a) + 1, equally:
    9a/4 = (3/2)(2 - a)/2 gives a = 1/2 and t* = 9/8; jobs 1 and 2 get 3/4 each.
    """
    T = np.array([[3.0, 1.0], [1.0, 1.0], [1.0, 1.0]])
    a = solve_allocation("max_min_fairness", T, np.ones(3), np.ones(2))
    assert a.value == pytest.approx(9 / 8, rel=1e-6)
    assert a.x[0] == pytest.approx([0.5, 0.0], abs=1e-6)
    assert a.x[1:].sum(axis=1) == pytest.approx([0.75, 0.75], abs=1e-6)
    assert a.x.sum(axis=0) == pytest.approx([1.0, 1.0], abs=1e-6)
    # finish-time fairness with no time elapsed is the same problem: rho* = 1 / t* = 8/9
    f = solve_allocation("finish_time_fairness", T, np.ones(3), np.ones(2), remaining=np.ones(3), elapsed=np.zeros(3))
    assert f.value == pytest.approx(8 / 9, rel=2e-3)
    assert f.x[0, 1] == pytest.approx(0.0, abs=1e-3)


def test_weights_and_gangs():
    """One type of 4 GPUs; job0 1 GPU, job1 a 4-GPU gang (throughput = gang x 1).

    Equal share: 2 GPUs each, job0 can use 1 (time 1), job1 half its time. Normalised:
    x0 / 1 and x1 / (1/2); x0 <= 1 caps t* at 1 and job1 gets the rest, 3/4 of its time
    (3 GPUs). With job1 weighted 2 its normalised throughput must reach 2t, x1 / (1/2) >=
    2t, so x1 >= t as x0 >= t: x0 + 4 x1 <= 4 gives t* = 4/5, both 4/5 of their time (job1
    3.2 GPUs, job0 0.8).
    """
    T = np.array([[1.0], [4.0]])
    a = solve_allocation("max_min_fairness", T, np.array([1, 4]), np.array([4]))
    assert a.value == pytest.approx(1.0, rel=1e-6)
    assert a.x[:, 0] == pytest.approx([1.0, 0.75], abs=1e-6)
    w = solve_allocation("max_min_fairness", T, np.array([1, 4]), np.array([4]), weights=np.array([1.0, 2.0]))
    assert w.value == pytest.approx(0.8, rel=1e-6)
    assert w.x[:, 0] == pytest.approx([0.8, 0.8], abs=1e-6)


def test_min_makespan_by_hand():
    """Types H (1 GPU, speed 1) and G (1 GPU, speed s); job0 needs 1, job1 4.

    job1 alone on G takes 4/s; job0 on H 1 < 4/s: the makespan is 4/s, job1 all on G, and
    the second stage gives job0 all of H (rather than just the 1/(4/s) it needs)."""
    T = np.array([[1.0, S_GB200], [1.0, S_GB200]])
    a = solve_allocation("min_makespan", T, np.ones(2), np.ones(2), remaining=np.array([1.0, 4.0]))
    assert a.value == pytest.approx(4 / S_GB200, rel=1e-6)
    assert a.x == pytest.approx(np.array([[1.0, 0.0], [0.0, 1.0]]), abs=1e-6)


def test_lp_constraints_on_random_instances():
    """Row sums <= 1, per-type GPUs <= capacity, nothing where throughput is 0; max-min's
    value is the smallest normalised throughput; finish-time fairness never worse than the
    equal share (rho* <= 1) and its value is the largest rho of its X."""
    rng = np.random.default_rng(3)
    J, K = 400, 2
    gpus = rng.choice([1, 2, 4, 8, 16], size=J)
    T = gpus[:, None] * np.array([1.0, S_GB200])[None, :] * (rng.random((J, K)) < 0.8)
    T[T.sum(axis=1) == 0, 0] = gpus[T.sum(axis=1) == 0]
    cap = np.array([256, 128])
    rem = rng.lognormal(8, 1, size=J) * gpus
    el = rng.random(J) * 3600
    for objective in ("max_min_fairness", "min_makespan", "finish_time_fairness"):
        a = solve_allocation(objective, T, gpus, cap, remaining=rem, elapsed=el)
        x = a.x
        assert (x >= 0).all() and (x.sum(axis=1) <= 1 + 1e-6).all(), objective
        assert ((gpus[:, None] * x).sum(axis=0) <= cap + 1e-5).all(), objective
        assert (x[T == 0] == 0).all(), objective
        thr = (T * x).sum(axis=1)
        iso = (T * equal_share(T, gpus, cap)).sum(axis=1)
        if objective == "max_min_fairness":
            assert (thr / iso).min() == pytest.approx(a.value, rel=1e-5)
            assert a.value >= 1 - 1e-6  # the equal share is feasible
        elif objective == "min_makespan":
            assert (rem / thr).max() == pytest.approx(a.value, rel=1e-5)
        else:
            rho = (el + rem / thr) / (el + rem / iso)
            assert rho.max() == pytest.approx(a.value, rel=1e-9)
            assert a.value <= 1 + 1e-6


# --- the rounds, simulated ----------------------------------------------------------------

H = 3600.0

ONE_H100 = "      - {name: h100, gpu: H100, count: 1, busy_power_w: 1000, idle_power_w: 100}"
H100_GB200 = ONE_H100 + "\n      - {name: gb200, gpu: GB200, count: 1, busy_power_w: 2000, idle_power_w: 200}"


def _run(write_scenario, policy, jobs, pools=ONE_H100, horizon=10, name="scenario.yaml"):
    return simulate(write_scenario(lab_scenario(pools, policy, horizon, name="gavel-by-hand"), jobs, name=name))


def _jobs(r):
    return r.tables["jobs"].to_pylist()


def _rows(r, job):
    rows = [a for a in r.tables["allocations"].to_pylist() if a["job_id"] == job]
    return [(a["start_h"], a["end_h"], a["ended_by"]) for a in sorted(rows, key=lambda a: a["start_h"])]


def test_two_jobs_time_share_one_gpu_round_by_round(write_scenario):
    """One H100; job0 and job1 arrive at 0, 1 GPU and 1 GPU-h each; rounds of 0.1 h.

    Max-min: X = 1/2 each. After the solve each has half a round to its name: equal
    priorities, equal deficits, equal X: job0 (the lower id) runs round 0. At 0.1 h job0
    has 0.15 h of 0.2 (share 3/4, priority 2/3), job1 0.05 (1/4, priority 2): job1 runs,
    job0 is preempted. At 0.2 h they are level again and job0 runs; and so on. job0 runs
    the even rounds and is done after its tenth, at 1.9 h; the round ends with it, job1
    runs on alone (a new solve: X = 1) and ends at 2.0 h. Nine preemptions each.
    """
    r = _run(write_scenario, "{name: gavel}", "arrival_h,gpus,work_gpu_h\n0,1,1\n0,1,1\n")
    out = _jobs(r)
    assert [j["end_h"] for j in out] == pytest.approx([1.9, 2.0])
    assert [j["preemptions"] for j in out] == [9, 9]
    rows0, rows1 = _rows(r, 0), _rows(r, 1)
    # job0 holds the GPU 0-0.1, 0.2-0.3, ..., 1.8-1.9 h; job1 0.1-0.2, ..., 1.9-2.0 h
    assert [x for a, b, _ in rows0 for x in (a, b)] == pytest.approx([0.1 * i for i in range(20)])
    assert [x for a, b, _ in rows1 for x in (a, b)] == pytest.approx([0.1 * i for i in range(1, 21)])
    assert [w for _, _, w in rows0] == ["preempted"] * 9 + ["completed"]
    assert [w for _, _, w in rows1] == ["preempted"] * 9 + ["completed"]
    assert r.summary["gpu_hours_allocated"] == pytest.approx(2.0)


def test_restart_overhead_is_paid_each_round(write_scenario):
    """As above with a 36 s (0.01 h) restart overhead: every round after a gang's first
    does 0.09 h of work. job0: 0.1 + 9 x 0.09 = 0.91 after 10 rounds, 0.09 left: its
    eleventh run (round 20, from 2.0 h) ends at 2.0 + 0.01 + 0.09 = 2.1 h. job1: 10 rounds
    (rounds 1 to 19) do 0.91 too; round 21 starts at 2.1 h, ends at 2.2 h."""
    r = _run(write_scenario, "{name: gavel, restart_overhead_s: 36}", "arrival_h,gpus,work_gpu_h\n0,1,1\n0,1,1\n")
    out = _jobs(r)
    assert [j["end_h"] for j in out] == pytest.approx([2.1, 2.2])
    assert [j["preemptions"] for j in out] == [10, 10]
    assert r.summary["useful_work_ref_gpu_h"] == pytest.approx(2.0)


def test_min_makespan_beats_fifo_by_hand(write_scenario):
    """One H100 and one GB200 (speed s = 2.5268); job0 1 GPU-h and job1 4 GPU-h, both at 0.

    FIFO starts job0 first, on the fastest pool: job0 on GB200 ends at 1/s = 0.396 h, job1
    on the H100 at 4 h: makespan 4 h. Gavel's min-makespan LP puts the long job on the
    GB200 and the short one on the H100: job0 ends at 1 h (a round boundary; the new
    solve keeps job1 where it is), job1 at 4/s = 1.583 h: makespan 2.417 h shorter, no
    preemption."""
    jobs = "arrival_h,gpus,work_gpu_h\n0,1,1\n0,1,4\n"
    fifo = _run(write_scenario, "{name: fifo}", jobs, pools=H100_GB200, name="f.yaml")
    mk = _run(write_scenario, "{name: gavel, gavel_objective: min_makespan}", jobs, pools=H100_GB200, name="g.yaml")
    assert [j["end_h"] for j in _jobs(fifo)] == pytest.approx([1 / S_GB200, 4.0])
    assert [j["end_h"] for j in _jobs(mk)] == pytest.approx([1.0, 4 / S_GB200])
    assert [j["preemptions"] for j in _jobs(mk)] == [0, 0]
    assert _rows(mk, 1) == [(0.0, pytest.approx(4 / S_GB200), "completed")]
    gain = fifo.summary["makespan_h"] - mk.summary["makespan_h"]
    assert gain == pytest.approx(4 - 4 / S_GB200)  # 2.417 h


def test_a_job_arriving_mid_round_waits_for_the_round_to_end(write_scenario):
    """job0 (1 GPU, 1 GPU-h) from 0 on one H100; job1 (the same) arrives at 0.05 h.

    Nothing starts or stops mid-round: job1 waits for 0.1 h. Then the new solve (X = 1/2
    each) resets the counters, and job0, which had what its old allocation owed it
    (deficit 0), ties with job1 and wins on its id: it runs 0.1-0.2 too. At 0.2 job0 has
    had 0.15 of 0.2 since the reset: job1 runs; at 0.3 they tie again: job0. So job0 runs
    0-0.2 and the odd rounds from 0.3, its tenth round ending at 1.8 h; job1 the even ones
    from 0.2 (8 of them by 1.7 h), then alone from 1.8: done at 2.0 h."""
    r = _run(write_scenario, "{name: gavel}", "arrival_h,gpus,work_gpu_h\n0,1,1\n0.05,1,1\n")
    out = _jobs(r)
    assert out[1]["first_start_h"] == pytest.approx(0.2)
    assert [j["end_h"] for j in out] == pytest.approx([1.8, 2.0])
    assert [j["preemptions"] for j in out] == [8, 8]
    assert _rows(r, 0)[0][:2] == (0.0, pytest.approx(0.2))


# --- every objective on a random 300-job scenario ------------------------------------------

# the scenario of test_las.py: 3 GPU types on 2 sites, an outage, priorities
from test_las import RANDOM  # noqa: E402



POLICIES = [
    "{name: gavel}",
    "{name: gavel, gavel_priority_weights: {5: 3}, restart_overhead_s: 60}",
    "{name: gavel, gavel_objective: min_makespan}",
    "{name: gavel, gavel_objective: finish_time_fairness, gavel_round_s: 600}",
]


@pytest.mark.parametrize("policy", POLICIES)
def test_invariants_and_determinism_on_300_random_jobs(write_scenario, policy):
    """simulate() checks the invariants itself (engine/invariants.py); here every job also
    ends, the work done is the work submitted, and a second run is identical."""
    loaded = write_scenario(RANDOM.format(policy=policy))
    a = simulate(loaded)
    s = a.summary
    assert s["jobs_submitted"] == 300
    assert s["jobs_completed"] == 300 and s["jobs_queued"] == 0 and s["jobs_running"] == 0
    jobs = a.tables["jobs"].to_pylist()
    assert sum(j["preemptions"] for j in jobs) == s["preemptions"] > 0
    assert s["useful_work_ref_gpu_h"] == pytest.approx(sum(j["work_gpu_h"] for j in jobs), rel=1e-9)
    b = simulate(loaded)
    assert a.summary == b.summary
    for name in a.tables:
        assert a.tables[name].equals(b.tables[name]), name


# two sites with both H100 and GB200 (a type spans two training domains: a gang the count
# admits may not fit one domain), and site a's H100 hall smaller than the largest gangs
# (those run mixed, outside the allocation)
TWO_SITES = RANDOM.replace("count: 64, outages", "count: 48, outages").replace(
    "      - {{name: a100, gpu: A100, count: 32}}",
    "      - {{name: a100, gpu: A100, count: 32}}\n"
    "      - {{name: h100b, gpu: H100, count: 40}}\n"
    "      - {{name: gb200b, gpu: GB200, count: 20}}",
)


@pytest.mark.parametrize("objective", ["max_min_fairness", "finish_time_fairness"])
def test_split_domains_and_mixed_gangs(write_scenario, objective):
    loaded = write_scenario(TWO_SITES.format(policy=f"{{name: gavel, gavel_objective: {objective}}}"))
    a = simulate(loaded)
    s = a.summary
    assert s["jobs_completed"] + s["jobs_failed"] == 300 and s["jobs_queued"] == 0 and s["jobs_running"] == 0
    # some gang ran on more than one GPU type at once: mixed, outside the allocation
    gpu_of = dict(zip(a.tables["pools"]["pool_id"].to_pylist(), a.tables["pools"]["gpu"].to_pylist()))
    types_of: dict[tuple[int, float], set[str]] = {}
    for r in a.tables["allocations"].to_pylist():
        types_of.setdefault((r["job_id"], r["start_h"]), set()).add(gpu_of[r["pool_id"]])
    assert any(len(t) > 1 for t in types_of.values())
    b = simulate(loaded)
    assert a.summary == b.summary
    for name in a.tables:
        assert a.tables[name].equals(b.tables[name]), name
