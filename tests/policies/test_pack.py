"""Generation packing (`pack`), worked out by hand, then on a random 300-job scenario (the
engine checks its invariants after every run: engine/invariants.py).

Hand cases: one site (one training domain: `allow_mixed_gangs: true`), one tick an hour,
`mixed_gang_penalty: 0.1`. Speeds against the H100 reference (catalogue BF16 TFLOPS): H100 1,
H200 989.5 / 989.4 = 1.0001, V100 v = 125 / 989.4 = 0.126339. A gang spanning types runs at
its slowest member's speed x 0.9.
"""

from __future__ import annotations

import pytest

from orbitgrid.engine import simulate
from lab import job_rows, lab_scenario, pool  # tests/lab.py
from test_las import RANDOM as LAS_RANDOM  # noqa: E402  (the shared random scenario)

V = 125 / 989.4  # V100 speed
MIXED = 0.9  # 1 - mixed_gang_penalty

H100_V100 = pool("h100", "H100", 4, busy_power_w=1000) + "\n" + pool("v100", "V100", 2, busy_power_w=400)
H100, V100 = 0, 1  # pool ids


def _run(write_scenario, policy, jobs, pools=H100_V100, horizon=20, name="scenario.yaml"):
    text = lab_scenario(pools, policy, horizon, name="pack-by-hand")
    return simulate(write_scenario(text, jobs, name=name))


_jobs = job_rows


def _pools(r, job):
    """{pool id: GPUs} of the job's first run, and its speed."""
    rows = [a for a in r.tables["allocations"].to_pylist() if a["job_id"] == job]
    first = min(a["start_h"] for a in rows)
    rows = [a for a in rows if a["start_h"] == first]
    return {a["pool_id"]: a["gpus"] for a in rows}, rows[0]["speed"]


PACK = "{name: pack, mixed_gang_penalty: 0.1}"


def test_starts_mixed_when_no_single_type_room_comes_soon(write_scenario):
    """job0: 2 GPUs, H100 only, 20 GPU-h: on 2 H100s 0-10 h. job1: 4 GPUs, any type,
    4 GPU-h, at 0. Free for job1: 2 H100 + 2 V100; no type has 4 free.

    mixed now:  0 + 4 / (4 x v x 0.9) = 4 / 0.454821 = 8.7947 h
    wait:       the H100s have 4 free when job0 ends at 10 h: 10 + 4 / (4 x 1) = 11 h
                (the V100 pool never holds 4)
    8.79 < 11: job1 starts mixed at 0, 2 H100 + 2 V100 at v x 0.9, and ends at 8.7947 h."""
    jobs = "arrival_h,gpus,work_gpu_h,gpu_types\n0,2,20,H100\n0,4,4,any\n"
    r = _run(write_scenario, PACK, jobs)
    mixed_end = 4 / (4 * V * MIXED)
    assert mixed_end == pytest.approx(8.7947, abs=1e-4)
    assert [j["first_start_h"] for j in _jobs(r)] == pytest.approx([0.0, 0.0])
    assert [j["end_h"] for j in _jobs(r)] == pytest.approx([10.0, mixed_end])
    pools, speed = _pools(r, 1)
    assert pools == {H100: 2, V100: 2} and speed == pytest.approx(V * MIXED)


def test_waits_when_one_type_frees_up_soon_enough(write_scenario):
    """As above, but job0 does 2 GPU-h: it ends at 1 h.

    mixed now:  8.7947 h (as above)
    wait:       1 + 4 / (4 x 1) = 2 h
    2 < 8.79: job1 waits, and starts at 1 h on the 4 H100s (speed 1); it ends at 2 h.
    job2 (2 GPUs, any, 0.5 GPU-h, also at 0) is backfilled behind it: its fastest single
    type with room is H100 (2 free); on 2 H100s it takes 0.25 h, ending before the 1 h job1
    waits for, so it runs 0-0.25."""
    jobs = "arrival_h,gpus,work_gpu_h,gpu_types\n0,2,2,H100\n0,4,4,any\n0,2,0.5,any\n"
    r = _run(write_scenario, PACK, jobs)
    out = _jobs(r)
    assert [j["first_start_h"] for j in out] == pytest.approx([0.0, 1.0, 0.0])
    assert [j["end_h"] for j in out] == pytest.approx([1.0, 2.0, 0.25])
    assert _pools(r, 1) == ({H100: 4}, pytest.approx(1.0))
    assert _pools(r, 2) == ({H100: 2}, pytest.approx(1.0))


def test_backfill_depth_1_is_plain_fifo(write_scenario):
    """The case above with backfill_depth: 1: job2 waits behind job1; at 1 h job1 takes the
    4 H100s and job2 the 2 V100s (its only single type with room): 0.5 / (2 x v) = 1.9788 h,
    ending at 2.9788 h."""
    jobs = "arrival_h,gpus,work_gpu_h,gpu_types\n0,2,2,H100\n0,4,4,any\n0,2,0.5,any\n"
    r = _run(write_scenario, "{name: pack, mixed_gang_penalty: 0.1, backfill_depth: 1}", jobs)
    out = _jobs(r)
    assert [j["first_start_h"] for j in out] == pytest.approx([0.0, 1.0, 1.0])
    assert [j["end_h"] for j in out] == pytest.approx([1.0, 2.0, 1.0 + 0.5 / (2 * V)])
    assert _pools(r, 2) == ({V100: 2}, pytest.approx(V))


def test_without_the_choice_backfill_would_start_mixed(write_scenario):
    """The reference: EASY backfill places job1 at once, mixed (the view's placement fills
    the fastest GPUs first), and it ends at 8.7947 h instead of 2 h."""
    jobs = "arrival_h,gpus,work_gpu_h,gpu_types\n0,2,2,H100\n0,4,4,any\n"
    r = _run(write_scenario, "{name: backfill, mixed_gang_penalty: 0.1}", jobs)
    assert [j["end_h"] for j in _jobs(r)] == pytest.approx([1.0, 4 / (4 * V * MIXED)])


H200_H100_H100 = """\
      - {name: h200, gpu: H200, count: 2, busy_power_w: 1000}
      - {name: h100a, gpu: H100, count: 2, busy_power_w: 1000}
      - {name: h100b, gpu: H100, count: 2, busy_power_w: 1000}"""


def test_a_gang_that_fits_one_type_goes_on_one_type(write_scenario):
    """Pools h200 (2), h100a (2), h100b (2). job0: 4 GPUs, any, 4 GPU-h, at 0; job1: 2 GPUs,
    any, 2 GPU-h, at 0.

    backfill: no single pool holds 4; the fastest-first fill is h200 + h100a, a mixed gang at
    min(1.0001, 1) x 0.9 = 0.9: job0 ends at 4 / (4 x 0.9) = 1.1111 h; job1 gets h100b.
    pack: the two H100 pools hold 4 on one type: job0 on h100a + h100b at speed 1, ending at
    1 h; job1 on the H200s (fastest with room), 2 / (2 x 1.0001) = 0.9999 h."""
    jobs = "arrival_h,gpus,work_gpu_h\n0,4,4\n0,2,2\n"
    ref = _run(write_scenario, "{name: backfill, mixed_gang_penalty: 0.1}", jobs, pools=H200_H100_H100, name="b.yaml")
    assert _jobs(ref)[0]["end_h"] == pytest.approx(4 / (4 * 0.9))
    assert _pools(ref, 0) == ({0: 2, 1: 2}, pytest.approx(0.9))

    r = _run(write_scenario, PACK, jobs, pools=H200_H100_H100, name="p.yaml")
    out = _jobs(r)
    assert [j["first_start_h"] for j in out] == pytest.approx([0.0, 0.0])
    assert out[0]["end_h"] == pytest.approx(1.0)
    assert _pools(r, 0) == ({1: 2, 2: 2}, pytest.approx(1.0))
    assert _pools(r, 1) == ({0: 2}, pytest.approx(989.5 / 989.4))
    assert out[1]["end_h"] == pytest.approx(2 / (2 * 989.5 / 989.4))


def test_a_gang_no_type_can_ever_hold_runs_mixed(write_scenario):
    """6 GPUs on a fleet of 4 H100 + 2 V100: no single type can ever hold it (the wait is
    infinite), so it starts mixed at once: 6 / (6 x v x 0.9)."""
    r = _run(write_scenario, PACK, "arrival_h,gpus,work_gpu_h\n0,6,6\n")
    assert _jobs(r)[0]["end_h"] == pytest.approx(6 / (6 * V * MIXED))
    assert _pools(r, 0) == ({H100: 4, V100: 2}, pytest.approx(V * MIXED))


def test_pack_is_listed():
    from orbitgrid.policies import names

    assert {"pack", "reserved"} <= set(names())


# --- a random 300-job scenario -----------------------------------------------------------

# test_las.py's scenario with an H200 pool at site a and a V100 pool at site b
RANDOM = LAS_RANDOM.replace(
    "      - {{name: gb200, gpu: GB200, count: 36}}\n",
    "      - {{name: h200, gpu: H200, count: 32}}\n      - {{name: gb200, gpu: GB200, count: 36}}\n",
).replace(
    "      - {{name: a100, gpu: A100, count: 32}}\n",
    "      - {{name: a100, gpu: A100, count: 32}}\n      - {{name: v100, gpu: V100, count: 32}}\n",
)


def _mixed_runs(r) -> int:
    """Runs (job, start) whose gang spans pools of more than one GPU type."""
    gpu_of = {0: "H100", 1: "H200", 2: "GB200", 3: "A100", 4: "V100"}
    runs: dict[tuple[int, float], set[str]] = {}
    for a in r.tables["allocations"].to_pylist():
        runs.setdefault((a["job_id"], a["start_h"]), set()).add(gpu_of[a["pool_id"]])
    return sum(len(types) > 1 for types in runs.values())


@pytest.mark.parametrize("policy", [
    "{name: pack, mixed_gang_penalty: 0.1}",
    "{name: pack, mixed_gang_penalty: 0.3, backfill_depth: 1, restart_overhead_s: 120}",
    "{name: pack, allow_mixed_gangs: false}",
])  # fmt: skip
def test_invariants_and_determinism_on_300_random_jobs(write_scenario, policy):
    loaded = write_scenario(RANDOM.format(policy=policy))
    a = simulate(loaded)  # checks the invariants itself, and raises on a broken one
    s = a.summary
    assert s["jobs_submitted"] == 300 and s["jobs_failed"] == 0
    assert s["jobs_completed"] == 300 and s["jobs_queued"] == 0 and s["jobs_running"] == 0
    jobs = a.tables["jobs"].to_pylist()
    assert s["useful_work_ref_gpu_h"] == pytest.approx(sum(j["work_gpu_h"] for j in jobs), rel=1e-9)
    b = simulate(loaded)
    assert a.summary == b.summary
    for name in a.tables:
        assert a.tables[name].equals(b.tables[name]), name


def test_fewer_mixed_gangs_than_backfill(write_scenario):
    pack = simulate(write_scenario(RANDOM.format(policy="{name: pack, mixed_gang_penalty: 0.1}"), name="p.yaml"))
    easy = simulate(write_scenario(RANDOM.format(policy="{name: backfill, mixed_gang_penalty: 0.1}"), name="b.yaml"))
    assert _mixed_runs(easy) > 0
    assert _mixed_runs(pack) < _mixed_runs(easy)


def test_quiet_passes_and_cached_reservations_change_nothing(write_scenario, monkeypatch):
    """A pass with only arrivals since one that started nothing judges only the newcomers,
    and the head's reservation is kept while nothing changes: neither changes a decision,
    and a kept reservation equals a fresh one."""
    import orbitgrid.engine.simulator as simulator
    import orbitgrid.policies.pack as pack

    text = RANDOM.format(policy="{name: pack, mixed_gang_penalty: 0.1}").replace(
        "arrival_rate_per_h: 40", "arrival_rate_per_h: 120")
    loaded = write_scenario(text)
    mismatches, kept = [], []
    real_backfill = pack.PackPolicy._backfill

    def check(self, view, cache, head, head_wait, rest, placements):
        res = self._reservation
        if res is not None and res.job == head and res.version == view.state_version and not placements:
            kept.append(head)
            fresh = self._reserve(view, pack._Pass(view, self._groups), head, None)
            if (fresh.shadow_s, fresh.extra, fresh.pools.tolist()) != (res.shadow_s, res.extra, res.pools.tolist()):
                mismatches.append((view.now_s, head))
        return real_backfill(self, view, cache, head, head_wait, rest, placements)

    monkeypatch.setattr(pack.PackPolicy, "_backfill", check)
    fast = simulate(loaded)
    assert len(kept) > 10 and mismatches == []
    real = simulator.Simulator._schedule

    def always_full(self):
        self._changes_at_pass = -1  # never quiet
        return real(self)

    monkeypatch.setattr(simulator.Simulator, "_schedule", always_full)
    full = simulate(loaded)
    assert fast.tables["allocations"].equals(full.tables["allocations"])
