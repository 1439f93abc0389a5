"""A user's own policy, registered by name, runs like the built-in ones."""

from __future__ import annotations

import pytest

from orbitgrid.engine import simulate
from orbitgrid.policies import ClusterView, Placement, names, register_policy
from orbitgrid.policies.registry import _POLICIES

SCENARIO = """
name: custom
simulation: {duration_h: 4, tick_s: 3600}
sites:
  - name: a
    location: {lat_deg: 0, lon_deg: 0}
    power_cap_mw: 1
    pue: 1.0
    pools: [{name: p, gpu: H100, count: 4, busy_power_w: 1000}]
workload: {csv: jobs.csv}
policy: {name: biggest-first}
"""


@pytest.fixture
def biggest_first():
    @register_policy("biggest-first")
    class BiggestFirst:
        """Start the largest queued gang that fits (a toy, for the test)."""

        def __init__(self, spec):
            self.spec = spec

        def decide(self, view: ClusterView) -> list[Placement]:
            queued = view.queue_head(view.queue_length())
            out = []
            for job in sorted(queued, key=lambda j: -int(view.jobs.gpus[j])):
                placement = view.find_placement(job)
                if placement is not None:
                    view.take(placement)
                    out.append(placement)
            return out

    yield BiggestFirst
    _POLICIES.pop("biggest-first")


def test_custom_policy_is_listed_and_runs(write_scenario, biggest_first):
    assert "biggest-first" in names()
    # all arrive at once: FIFO would run the 1-GPU job first; this policy starts the 4-GPU gang
    r = simulate(write_scenario(SCENARIO, "arrival_h,gpus,work_gpu_h\n0,1,1\n0,4,4\n"))
    jobs = r.tables["jobs"].to_pylist()
    assert jobs[1]["first_start_h"] == 0.0 and jobs[0]["first_start_h"] == pytest.approx(1.0)


def test_duplicate_name_is_refused(biggest_first):
    with pytest.raises(ValueError, match="already registered"):
        register_policy("biggest-first")(type("Other", (), {}))
